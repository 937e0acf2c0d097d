"""`python manage.py sync_mail [--user NAME] [--mailbox ID]`: the beat's sync, run now."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inbox import imap
from inbox.models import Mailbox
from inbox.sync import sync_mailbox

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Sync mailboxes now (every one, one user's, or one), as the beat's job does."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--user", help="Only this user's mailboxes (user name).")
        parser.add_argument("--mailbox", type=int, help="Only this mailbox (its id).")
        parser.add_argument(
            "--batch", type=int, default=imap.DEFAULT_BATCH, help="Messages per batch."
        )

    def handle(
        self, *args: Any, user: str | None, mailbox: int | None, batch: int, **options: Any
    ) -> None:
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        mailboxes = Mailbox.objects.filter(demo=False).order_by("pk")
        if user:
            mailboxes = mailboxes.filter(owner__username=user)
        if mailbox:
            mailboxes = mailboxes.filter(pk=mailbox)
        ids = list(mailboxes.values_list("pk", flat=True))
        if not ids:
            raise CommandError("No mailbox to sync (demo mailboxes never connect).")
        failed = 0
        for mailbox_id in ids:
            try:  # one mailbox's bug never stops the others
                result = sync_mailbox(mailbox_id, batch=batch)
            except Exception:
                log.exception("Mailbox %s: the sync stopped on an unexpected error", mailbox_id)
                failed += 1
                continue
            failed += result.status == "failed"
            self.stdout.write(str(result))
        if failed:
            raise CommandError(f"{failed} of {len(ids)} mailboxes failed (see above).")
