""" "Who is this?": the senders of kept messages that nobody known is in.

The freelancer either adds the address to a client as a new contact, which logs that
address's kept messages at once (inbox.pipeline.log_known), or ignores it, which forgets its
messages and keeps nothing from it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Max, OuterRef, Subquery

from clients.models import Client, Contact
from inbox.models import IgnoredSender, MailMessage
from inbox.pipeline import log_known


@dataclass(frozen=True)
class Sender:
    address: str
    name: str
    messages: int
    last_at: datetime
    last_subject: str


def unknown_senders(owner_id: int, limit: int | None = None) -> list[Sender]:
    """Senders of kept unknown messages, most recent first (one query)."""
    unknown = MailMessage.objects.filter(
        owner_id=owner_id, state=MailMessage.State.UNKNOWN, outbound=False
    ).exclude(from_address="")
    latest = unknown.filter(from_address=OuterRef("from_address")).order_by("-sent_at")
    rows = (
        unknown.values("from_address")
        .annotate(
            n=Count("pk"),
            last_at=Max("sent_at"),
            name=Max("from_name"),
            subject=Subquery(latest.values("subject")[:1]),
        )
        .order_by("-last_at", "from_address")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        Sender(r["from_address"], r["name"] or "", r["n"], r["last_at"], r["subject"] or "")
        for r in rows
    ]


def is_unknown_sender(owner_id: int, address: str) -> bool:
    return MailMessage.objects.filter(
        owner_id=owner_id, state=MailMessage.State.UNKNOWN, outbound=False, from_address=address
    ).exists()


@transaction.atomic
def add_to_client(client: Client, address: str, name: str) -> tuple[Contact, int]:
    """A new contact of `client` with this address; returns it and how many kept messages
    were logged with it. ValidationError (nothing saved) for a bad name or address."""
    contact = Contact(client=client, owner_id=client.owner_id, name=name.strip(), email=address)
    contact.full_clean()
    contact.save()
    return contact, log_known(client.owner_id)


@transaction.atomic
def ignore(owner_id: int, address: str) -> int:
    """Forget this sender's kept messages and keep nothing from it again; returns how many
    were forgotten."""
    IgnoredSender.objects.get_or_create(owner_id=owner_id, address=address.lower())
    deleted, _ = MailMessage.objects.filter(
        owner_id=owner_id, state=MailMessage.State.UNKNOWN, from_address=address.lower()
    ).delete()
    return deleted
