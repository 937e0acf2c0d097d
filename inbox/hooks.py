"""What the inbox app hooks into (connected in InboxConfig.ready)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q
from django.db.models.signals import post_delete, post_save

from clients.models import Client, Contact
from engagements import dashboard_cache
from engagements.signals import demo_account_seeded, digest_notices
from inbox import demo, notices
from inbox.models import Mailbox, MailMessage


def address_book_changed(sender: Any, instance: Client | Contact, **kwargs: Any) -> None:
    """A contact's address or a client's domains may now place kept messages: log them once
    the change commits (only when a kept message has that address or domain)."""
    if isinstance(instance, Contact):
        needles = [f",{instance.email.lower()},"] if instance.email else []
    else:
        needles = [f"@{domain}," for domain in instance.email_domains]
    kept = MailMessage.objects.filter(owner_id=instance.owner_id, state=MailMessage.State.UNKNOWN)
    query = Q()
    for needle in needles:
        query |= Q(addresses__contains=needle)
    if not needles or not kept.filter(query).exists():
        return
    from inbox.tasks import log_known_messages

    owner_id = instance.owner_id
    transaction.on_commit(lambda: log_known_messages.delay(owner_id))


def mailbox_changed(sender: Any, instance: Mailbox, **kwargs: Any) -> None:
    """The dashboard shows failing mailboxes: a saved or deleted one may change that."""
    dashboard_cache.changed(instance.owner_id, dashboard_cache.SETTINGS)


def connect() -> None:
    digest_notices.connect(notices.digest_lines, dispatch_uid="inbox:digest")
    demo_account_seeded.connect(demo.seed, dispatch_uid="inbox:demo")
    for model in (Client, Contact):
        post_save.connect(
            address_book_changed, sender=model, dispatch_uid=f"inbox:{model.__name__}"
        )
    post_save.connect(mailbox_changed, sender=Mailbox, dispatch_uid="inbox:mailbox-saved")
    post_delete.connect(mailbox_changed, sender=Mailbox, dispatch_uid="inbox:mailbox-deleted")
