"""The demo account's mailbox (seed_demo sends engagements.signals.demo_account_seeded): a
mailbox as it looks once connected, which never connects (``demo=True``: the sync and the
beat leave it alone, so ``make run`` needs no mail server), a few messages logged from mail
through the real pipeline, and two senders for "Who is this?"."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from clients.business_time import BusinessCalendar
from clients.models import Client
from inbox.message import Address, is_acknowledgement, summarise
from inbox.models import FolderCursor, Mailbox, MailMessage
from inbox.pipeline import Mail, load_address_book, record

ME = Address("dana@studio.example", "Dana")

# (client, days ago, local time, from the client?, subject, text, automated reason)
MESSAGES = [
    ("Acme Robotics", 4, time(10, 5), True, "Launch plan",
     "Hi Dana, honestly I'm a bit worried about the launch date. Can we go through the plan "
     "on Thursday?", ""),
    ("Acme Robotics", 4, time(11, 20), False, "Re: Launch plan",
     "Of course: Thursday 15:00 your time works, I'll send an invitation.", ""),
    ("Kiwi Studio", 3, time(9, 40), False, "Homepage copy, second round",
     "Here is the second round of the homepage copy, with your notes in.", ""),
    ("Kiwi Studio", 3, time(10, 2), True, "Re: Homepage copy, second round",
     "Got it, thank you!", ""),
    ("Bright Ledger", 2, time(23, 12), True, "Automatic reply: Invoice 2026-114",
     "I am out of the office until Monday and will answer your message then.",
     "Auto-Submitted: auto-replied"),
]  # fmt: skip
STRANGERS = [
    (Address("priya@newco.example", "Priya Raman"), 1, time(14, 30), "A website for our bakery?",
     "Hello Dana, a friend gave me your address. We are opening a second bakery and need a "
     "website by spring. Would you have time for a call next week?"),
    (Address("tom.becker@gmail.com", "Tom Becker"), 6, time(8, 15), "Quote request",
     "Hi, could you send me a quote for a small portfolio site? Thanks, Tom"),
]  # fmt: skip


def seed(sender: Any, *, user: Any, now: datetime, **kwargs: Any) -> None:
    """Receiver of engagements.signals.demo_account_seeded."""
    calendar = user.profile.calendar()
    mailbox = Mailbox.objects.create(
        owner_id=user.pk,
        name="Studio mail (demo)",
        host="imap.example.com",
        port=993,
        username=ME.email,
        addresses=[ME.email],
        demo=True,
        status=Mailbox.Status.OK,
        first_sync_done=True,
        last_sync_at=now - timedelta(minutes=3),
        next_sync_at=now + timedelta(minutes=2),
    )
    for folder, uid in (("INBOX", 1204), ("Sent", 388)):
        FolderCursor.objects.create(
            mailbox=mailbox, folder=folder, uidvalidity=1, last_uid=uid, first_pass_done=True
        )
    book = load_address_book(user.pk)
    clients = dict(Client.objects.owned_by(user).values_list("name", "pk"))
    contacts = {party.client_id: address for address, party in book.contacts.items()}
    mails = []
    for n, (name, days, at, inbound, subject, text, automated) in enumerate(MESSAGES):
        client = Address(contacts[clients[name]], name)
        sent = _at(now, calendar, days, at)
        mails.append(_mail(f"demo-{n}@studio.example", client if inbound else ME,
                           ME if inbound else client, subject, text, sent, automated))  # fmt: skip
    for n, (stranger, days, at, subject, text) in enumerate(STRANGERS):
        mails.append(_mail(f"demo-unknown-{n}@studio.example", stranger, ME, subject, text,
                           _at(now, calendar, days, at), ""))  # fmt: skip
    outcome = record(
        user.pk, mails, book=book, source=MailMessage.Source.IMAP, now=now, mailbox_id=mailbox.pk
    )
    Mailbox.objects.filter(pk=mailbox.pk).update(seen=1592, logged=212 + outcome.logged, skipped=1)


def _at(now: datetime, calendar: BusinessCalendar, days: int, at: time) -> datetime:
    """`at` on the working day `days` or a little more before today (the demo's mail comes on
    working days, like the rest of its story)."""
    day = now.astimezone(calendar.tz).date() - timedelta(days=days)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return min(datetime.combine(day, at, tzinfo=calendar.tz), now - timedelta(minutes=5))


def _mail(
    key: str, sender: Address, to: Address, subject: str, text: str, sent: datetime, auto: str
) -> Mail:
    return Mail(
        key=key,
        message_id=key,
        in_reply_to=(),
        references=(),
        sender=sender,
        to=(to,),
        cc=(),
        subject=subject,
        sent_at=sent,
        summary=summarise(subject, text),
        new_text=text,
        attachments=(),
        automated=auto,
        acknowledgement=not auto and is_acknowledgement(text),
    )
