"""The IMAP sync of one mailbox: read-only, incremental, one run at a time, nothing lost.

:func:`sync_mailbox` is what the beat's task (one per due mailbox) and ``manage.py sync_mail``
run. One run:

1. **claims** the mailbox with a conditional UPDATE (a lease with a token): a second run of
   the same mailbox, on another worker, finds it taken and returns; a run killed outright
   leaves a lease that expires after LEASE, and the next run carries on;
2. connects (inbox.imap: read-only, with timeouts) and reads Inbox, the Sent folder and the
   chosen folders. Per folder, STATUS says whether anything is new (a quiet mailbox costs one
   round trip per folder); a changed UIDVALIDITY starts the folder again from the look-back
   (message keys keep anything from being logged twice);
3. fetches in bounded batches; each batch is parsed (an unreadable message is skipped and
   counted) and recorded (inbox.pipeline) in **one transaction with the cursor move and the
   lease renewal**: the cursor never passes a message that is not committed, and a run that
   lost its lease rolls its batch back;
4. marks the mailbox working, or failing with the server's words (then retried with backoff:
   5 minutes, 10, 20… at most 6 hours), and releases the lease.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.formats import plural
from engagements import dashboard_cache
from engagements.sender import backoff
from inbox import imap
from inbox.matching import AddressBook
from inbox.message import MessageError, parse_message
from inbox.models import LEASE, FolderCursor, Mailbox, MailMessage
from inbox.pipeline import Mail, Outcome, evaluate_clients, load_address_book, record

log = logging.getLogger(__name__)

#: Messages kept with nobody known are forgotten after this many days (or the longest
#: look-back of the freelancer's mailboxes, if longer).
UNKNOWN_KEPT_DAYS = 60


class LeaseLost(Exception):
    """Another run took the mailbox over (this one was too slow to renew its lease)."""


@dataclass
class SyncResult:
    """What one run did. ``status``: synced, failed, busy (another run has it), skipped (a
    demo mailbox, or gone)."""

    mailbox_id: int
    status: str = "synced"
    seen: int = 0
    skipped: int = 0
    error: str = ""
    finished: bool = True  # False: stopped at its time budget, to carry on next time
    outcome: Outcome = field(default_factory=Outcome)

    def __str__(self) -> str:
        if self.status != "synced" and self.status != "failed":
            return f"mailbox {self.mailbox_id}: {self.status}"
        text = (
            f"mailbox {self.mailbox_id}: {plural(self.seen, 'message')} read, "
            f"{self.outcome.logged} logged, {self.skipped} unreadable"
        )
        if not self.finished:
            text += " (stopped for now, carries on next run)"
        return text + (f"; failed: {self.error}" if self.error else "")


def due(now: datetime) -> QuerySet[Mailbox]:
    """Mailboxes to sync now: not demos, due, and not held by a live run."""
    return Mailbox.objects.filter(demo=False).filter(
        Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now),
        Q(lease_until__isnull=True) | Q(lease_until__lte=now),
    )


def claim(mailbox_id: int, now: datetime) -> str | None:
    """Take the mailbox for one run; the lease token, or None if a live run has it."""
    token = uuid.uuid4().hex
    taken = (
        Mailbox.objects.filter(pk=mailbox_id, demo=False)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lte=now))
        .update(lease_token=token, lease_until=now + LEASE)
    )
    return token if taken else None


def release(mailbox_id: int, token: str) -> None:
    Mailbox.objects.filter(pk=mailbox_id, lease_token=token).update(
        lease_token="", lease_until=None
    )


def sync_mailbox(
    mailbox_id: int,
    *,
    now: datetime | None = None,
    batch: int = imap.DEFAULT_BATCH,
    budget: float | None = None,
) -> SyncResult:
    """One run for one mailbox (see the module docstring). `budget` (seconds): stop between
    batches after this long, to carry on at the next run. Never raises MailboxError: a
    failure is recorded on the mailbox."""
    now = now or timezone.now()
    result = SyncResult(mailbox_id)
    token = claim(mailbox_id, now)
    if token is None:
        exists = Mailbox.objects.filter(pk=mailbox_id, demo=False).exists()
        result.status = "busy" if exists else "skipped"
        return result
    try:
        mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
        if mailbox is None:  # deleted a moment ago
            result.status = "skipped"
            return result
        was_failing = mailbox.failing_since is not None
        run = _Run(mailbox, token, now, batch, budget, result)
        try:
            run.all_folders()
        except imap.MailboxError as error:
            result.status, result.error = "failed", error.message
            _failed(mailbox, token, error, now, was_failing)
        except LeaseLost:
            result.status = "busy"
        else:
            _succeeded(mailbox, token, now, result.finished, was_failing)
        _forget_old_unknown(mailbox.owner_id, now)
        evaluate_clients(mailbox.owner_id, result.outcome.clients)
    finally:
        release(mailbox_id, token)
    log.info("%s", result)
    return result


class _Run:
    def __init__(
        self,
        mailbox: Mailbox,
        token: str,
        now: datetime,
        batch: int,
        budget: float | None,
        result: SyncResult,
    ) -> None:
        self.mailbox = mailbox
        self.token = token
        self.now = now
        self.batch = batch
        self.stop_at = None if budget is None else time.monotonic() + budget
        self.result = result
        self.book: AddressBook | None = None

    def all_folders(self) -> None:
        m = self.mailbox
        if m.password is None:
            raise imap.MailboxError(
                "auth",
                "The stored password can no longer be read (the encryption keys changed): "
                "enter it again.",
            )
        missing: imap.MailboxError | None = None
        with connect(m) as conn:
            for folder in folders_to_read(conn, m.folders):
                try:
                    self.folder(conn, folder)
                except imap.MailboxError as error:
                    if error.kind != "folder_missing":
                        raise
                    missing = missing or error
                if not self.result.finished:
                    return
        if missing is not None:
            raise missing

    def folder(self, conn: imap.Mailbox, folder: str) -> None:
        m = self.mailbox
        status = conn.folder_status(folder)
        cursor, _ = FolderCursor.objects.get_or_create(mailbox=m, folder=folder)
        if cursor.uidvalidity != status.uidvalidity:
            if cursor.uidvalidity is not None:
                log.info("Mailbox %s: %s was renumbered, reading it again", m.pk, folder)
            cursor.uidvalidity, cursor.last_uid = status.uidvalidity, 0
            cursor.scan_from_uid, cursor.scan_to_uid = None, status.uidnext - 1
            cursor.first_pass_done = False
            cursor.save()
        newest = status.uidnext - 1
        if newest > cursor.last_uid:
            since = (self.now - timedelta(days=m.look_back_days)).date()
            for fetched in conn.fetch_since(folder, cursor.last_uid, since, self.batch):
                self.commit(cursor, fetched)
                if self.stop_at is not None and time.monotonic() >= self.stop_at:
                    self.result.finished = False
                    return
        if cursor.last_uid < newest or not cursor.first_pass_done:
            # Everything up to the UIDNEXT read before fetching has been seen (or is older
            # than the look-back): the next run starts after it.
            FolderCursor.objects.filter(pk=cursor.pk).update(
                last_uid=max(newest, cursor.last_uid), first_pass_done=True
            )

    def commit(self, cursor: FolderCursor, fetched: list[imap.FetchedMessage]) -> None:
        """One batch: its messages, the cursor past them and the lease, all or nothing."""
        m = self.mailbox
        mails, skipped = [], 0
        for message in fetched:
            try:
                parsed = parse_message(
                    message.raw, internal_date=message.internal_date, now=self.now
                )
            except MessageError as error:
                skipped += 1
                log.warning("Mailbox %s: skipped UID %s (%s)", m.pk, message.uid, error.reason)
                continue
            mails.append(Mail.of(parsed))
        if self.book is None:
            self.book = load_address_book(m.owner_id)
        last = fetched[-1].uid
        with transaction.atomic():
            outcome = record(
                m.owner_id,
                mails,
                book=self.book,
                source=MailMessage.Source.IMAP,
                now=self.now,
                mailbox_id=m.pk,
            )
            renewed = Mailbox.objects.filter(pk=m.pk, lease_token=self.token).update(
                lease_until=timezone.now() + LEASE,
                seen=F("seen") + len(fetched),
                logged=F("logged") + outcome.logged,
                skipped=F("skipped") + skipped,
            )
            if not renewed:
                raise LeaseLost
            FolderCursor.objects.filter(pk=cursor.pk).update(
                last_uid=last, scan_from_uid=Coalesce("scan_from_uid", fetched[0].uid)
            )
        cursor.last_uid = last
        self.result.seen += len(fetched)
        self.result.skipped += skipped
        self.result.outcome.add(outcome)


def connect(mailbox: Mailbox) -> imap.Mailbox:
    """A read-only session with the mailbox's server (settings: MAIL_TIMEOUT, MAIL_CA_FILE)."""
    return imap.connect(
        mailbox.host,
        mailbox.port,
        "starttls" if mailbox.security == Mailbox.Security.STARTTLS else "ssl",
        mailbox.username,
        mailbox.password or "",
        timeout=float(settings.MAIL_TIMEOUT),
        ca_file=settings.MAIL_CA_FILE or None,
    )


def folders_to_read(conn: imap.Mailbox, chosen: list[str]) -> list[str]:
    """Inbox, the Sent folder (when there is one) and the chosen folders, each once."""
    sent = conn.sent_folder()
    names = ["INBOX", *([sent.name] if sent else []), *chosen]
    return list(dict.fromkeys(names))


def _succeeded(
    mailbox: Mailbox, token: str, now: datetime, finished: bool, was_failing: bool
) -> None:
    first_done = not mailbox.cursors.filter(first_pass_done=False).exists()
    interval = timedelta(seconds=settings.MAIL_SYNC_INTERVAL * 0.8)
    Mailbox.objects.filter(pk=mailbox.pk, lease_token=token).update(
        status=Mailbox.Status.OK,
        error_kind="",
        last_error="",
        failing_since=None,
        failures=0,
        last_sync_at=now,
        next_sync_at=now + interval if finished else now,
        first_sync_done=first_done,
    )
    if was_failing:
        dashboard_cache.changed(mailbox.owner_id, dashboard_cache.SETTINGS)


def _failed(
    mailbox: Mailbox, token: str, error: imap.MailboxError, now: datetime, was_failing: bool
) -> None:
    failures = mailbox.failures + 1
    Mailbox.objects.filter(pk=mailbox.pk, lease_token=token).update(
        status=Mailbox.Status.FAILING,
        error_kind=error.kind,
        last_error=error.message,
        failing_since=Coalesce("failing_since", now),
        failures=failures,
        next_sync_at=now + backoff(failures),
    )
    log.warning("Mailbox %s failed (%s), try %s", mailbox.pk, error.kind, failures)
    if not was_failing:
        dashboard_cache.changed(mailbox.owner_id, dashboard_cache.SETTINGS)


def _forget_old_unknown(owner_id: int, now: datetime) -> None:
    days = max(
        [UNKNOWN_KEPT_DAYS]
        + list(Mailbox.objects.owned_by(owner_id).values_list("look_back_days", flat=True))
    )
    MailMessage.objects.filter(
        owner_id=owner_id, state=MailMessage.State.UNKNOWN, sent_at__lt=now - timedelta(days=days)
    ).delete()


@dataclass(frozen=True)
class ConnectionCheck:
    """What "Test connection" found: ``ok`` and one plain sentence per finding."""

    ok: bool
    lines: tuple[str, ...]


def check_connection(mailbox: Mailbox) -> ConnectionCheck:
    """Log in, find Inbox, the Sent folder and the chosen folders; say plainly what failed
    (host unreachable, TLS error, wrong password, timeout, folder missing)."""
    try:
        with connect(mailbox) as conn:
            lines = [f"Logged in to {mailbox.host} as {mailbox.username}."]
            ok = True
            sent = conn.sent_folder()
            for folder in ["INBOX", *([sent.name] if sent else []), *mailbox.folders]:
                try:
                    count = conn.folder_status(folder).exists
                except imap.MailboxError as error:
                    if error.kind != "folder_missing":
                        raise
                    ok = False
                    lines.append(f"Folder missing: {error.message}")
                    continue
                name = "Inbox" if folder == "INBOX" else f"“{folder}”"
                lines.append(f"{name}: {plural(count, 'message')}.")
            if sent is None:
                lines.append("No Sent folder was found: only what you receive will be logged.")
            return ConnectionCheck(ok, tuple(lines))
    except imap.MailboxError as error:
        return ConnectionCheck(False, (f"{ERROR_TITLES[error.kind]}: {error.message}",))


ERROR_TITLES = {
    "unreachable": "Host unreachable",
    "tls": "TLS error",
    "auth": "Wrong user name or password",
    "timeout": "Timeout",
    "folder_missing": "Folder missing",
    "protocol": "The server answered unexpectedly",
}
