"""The second way in: mail forwarded (or Bcc'd) to the freelancer's private address, and
.eml files uploaded on a client page. Both go through inbox.pipeline like the IMAP sync.

The address is ``log+<token>@INBOUND_DOMAIN``. Only the token's SHA-256 is stored, so the
address is shown once, when it is made; making a new one (rotating) replaces the hash, and
mail to the old address is refused at SMTP time from that moment (docs/decisions/0061).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from clients.models import Client
from inbox.message import MessageError, parse_message
from inbox.models import ForwardingAddress, MailMessage, token_hash
from inbox.pipeline import Mail, evaluate_clients, load_address_book, record
from inbox.receiver import ForwardingHandler

log = logging.getLogger(__name__)

LOCAL_PART = "log"
#: .eml files bigger than this are refused (the receiver's own limit is the same).
MAX_MESSAGE_BYTES = 25 * 1024 * 1024


def address_of(token: str) -> str:
    return f"{LOCAL_PART}+{token}@{settings.INBOUND_DOMAIN}"


def new_address(owner_id: int, now: datetime | None = None) -> str:
    """Make (or replace) the freelancer's forwarding address; returns it, for showing once.
    The previous one stops working at once."""
    token = secrets.token_urlsafe(15)  # 20 characters of [A-Za-z0-9_-]
    ForwardingAddress.objects.update_or_create(
        owner_id=owner_id,
        defaults={
            "token_hash": token_hash(token),
            "hint": token[-4:],
            "created_at": now or timezone.now(),
        },
    )
    return address_of(token)


def owner_of(token: str) -> int | None:
    return (
        ForwardingAddress.objects.filter(token_hash=token_hash(token))
        .values_list("owner_id", flat=True)
        .first()
    )


def token_is_known(token: str) -> bool:
    return owner_of(token) is not None


def deliver(token: str, raw: bytes) -> None:
    """What the receiver calls for each accepted message (inbox.receiver). Idempotent: the
    sending server may retry. Unreadable mail is accepted and dropped (a retry would not make
    it readable); a token rotated since RCPT drops the message too."""
    owner_id = owner_of(token)
    if owner_id is None:
        log.info("A message for a forwarding address that was just replaced was dropped")
        return
    now = timezone.now()
    try:
        parsed = parse_message(raw, now=now)
    except MessageError as error:
        log.warning(
            "User %s: an unreadable forwarded message was dropped (%s)", owner_id, error.reason
        )
        return
    book = load_address_book(owner_id)
    with transaction.atomic():
        outcome = record(
            owner_id,
            [Mail.arrived(parsed, book)],
            book=book,
            source=MailMessage.Source.FORWARD,
            now=now,
        )
        evaluate_clients(owner_id, outcome.clients)


T = TypeVar("T")


def _in_worker_thread(function: Callable[..., T]) -> Callable[..., T]:
    """The receiver calls back in worker threads of its own: each call gets a fresh database
    connection and closes it (mail arrives seldom; a pool of idle connections is not worth
    keeping, nor one gone stale)."""

    def call(*args: object) -> T:
        try:
            return function(*args)
        finally:
            connections.close_all()  # this thread's

    return call


def handler() -> ForwardingHandler:
    """The receiver's handler for log+<token>@INBOUND_DOMAIN (``manage.py receive_mail``)."""
    return ForwardingHandler(
        domain=settings.INBOUND_DOMAIN,
        local_part=LOCAL_PART,
        token_is_known=_in_worker_thread(token_is_known),
        deliver=_in_worker_thread(deliver),
        max_size=MAX_MESSAGE_BYTES,
    )


@dataclass(frozen=True)
class Upload:
    """What an uploaded .eml became: ``logged`` (new), else already in the log."""

    logged: bool
    mail: Mail


def upload(client: Client, raw: bytes) -> Upload:
    """Log an .eml file dropped on `client`'s page with that client. MessageError (nothing
    saved) when it is not an email message."""
    if len(raw) > MAX_MESSAGE_BYTES:
        raise MessageError("too_big", "The file is larger than 25 MB.")
    now = timezone.now()
    parsed = parse_message(raw, now=now)
    book = load_address_book(client.owner_id)
    mail = Mail.arrived(parsed, book)
    with transaction.atomic():
        outcome = record(
            client.owner_id,
            [mail],
            book=book,
            source=MailMessage.Source.UPLOAD,
            now=now,
            client_id=client.pk,
        )
        evaluate_clients(client.owner_id, outcome.clients)
    return Upload(bool(outcome.logged), mail)
