"""Shared by the mailbox tests: messages written as a mail client would, Alice's clients with
their contacts, and her mailbox on the private Dovecot (tests/inbox/conftest.py)."""

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from clients.models import Contact
from inbox.message import parse_message
from inbox.models import Mailbox
from inbox.pipeline import Mail
from tests.factories import ClientFactory

ALICE = "alice@studio.example"  # Alice's own address (her mailbox's)


def compose(
    sender: str,
    to: str | list[str],
    subject: str = "Hello",
    body: str = "Could you send the files?",
    *,
    date: datetime | None = None,
    message_id: str | None = None,
    cc: str | list[str] = (),
    headers: dict | None = None,
) -> bytes:
    """One message as bytes, with a Message-ID unless told otherwise ("" for none)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join([to] if isinstance(to, str) else to)
    if cc:
        msg["Cc"] = ", ".join([cc] if isinstance(cc, str) else cc)
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime.now(UTC))
    if message_id != "":
        msg["Message-ID"] = message_id or make_msgid(domain="test.example")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def client_with_contact(owner, name="Acme", email="jane@acme.example", **fields):
    client = ClientFactory(owner=owner, name=name, **fields)
    contact = Contact.objects.create(client=client, name=email.split("@")[0].title(), email=email)
    return client, contact


def mailbox_on(dovecot, account, owner, **fields) -> Mailbox:
    """Alice's mailbox on the private Dovecot (STARTTLS; settings trust its certificate)."""
    values = {
        "host": dovecot.host,
        "port": dovecot.port,
        "security": Mailbox.Security.STARTTLS,
        "username": account.username,
        "password": account.password,
        "addresses": [ALICE],
    } | fields
    return Mailbox.objects.create(owner=owner, **values)


def mail(sender: str, to: str | list[str], subject: str = "Hello", body: str = "Any news?", *,
         key: str | None = None, **fields) -> Mail:  # fmt: skip
    """A message as the pipeline gets it (parsed by inbox.message, as the sync does)."""
    raw = compose(sender, to, subject, body, message_id=f"<{key}>" if key else None, **fields)
    return Mail.of(parse_message(raw, now=timezone.now()))
