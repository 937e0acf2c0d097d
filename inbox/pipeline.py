"""From messages to the log: the one pipeline for the IMAP sync, the forwarding address and
uploaded .eml files.

:func:`record` takes a batch of one freelancer's messages (:class:`Mail`, made from
:func:`inbox.message.parse_message`'s output) and, in one transaction:

1. places each one (inbox.matching): inbound from a client, outbound to one, or nobody's;
2. inserts one :class:`~inbox.models.MailMessage` per message key with ON CONFLICT DO NOTHING,
   stamped with this batch's claim: the unique (owner, key) keeps a message seen in two
   folders, two mailboxes, a re-scan or by two workers at once to one row, and the rows that
   carry the claim are this batch's to log;
3. logs those rows as interactions through the Interaction QuerySet's bulk_create (which
   derives out-of-hours as Interaction.save() does and keeps ClientActivity current), with the
   suggested tone and needs-reply marked as suggestions.

A message with nobody known is kept as an "unknown" row (subject, summary, suggestions, no
body) when a person wrote it, for "Who is this?"; :func:`log_known` logs such rows once one of
their addresses becomes known (docs/decisions/0060). Automated mail from unknown senders and
anything from an ignored sender is not kept at all.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from clients.models import Channel, Client, Contact
from engagements.models import Interaction
from engagements.tasks import evaluate_user
from inbox.matching import AddressBook, Match
from inbox.message import (
    Address,
    Attachment,
    ParsedMessage,
    is_acknowledgement,
    message_key,
    summarise,
)
from inbox.models import ForwardingAddress, IgnoredSender, Mailbox, MailMessage
from inbox.tone import HIGH_CONFIDENCE, suggest_tone

MAX_KEY = 500  # MailMessage.key's length: longer keys are hashed


@dataclass(frozen=True, slots=True)
class Mail:
    """What the log needs from one message (or from the original inside a forward)."""

    key: str
    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    sender: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    subject: str
    sent_at: datetime
    summary: str
    new_text: str
    attachments: tuple[Attachment, ...]
    automated: str
    acknowledgement: bool

    @property
    def recipients(self) -> list[str]:
        return list(dict.fromkeys(a.email for a in self.to + self.cc))

    @classmethod
    def of(cls, parsed: ParsedMessage) -> Mail:
        return cls(
            key=_bounded(parsed.key),
            message_id=parsed.message_id or "",
            in_reply_to=parsed.in_reply_to,
            references=parsed.references,
            sender=parsed.from_address,
            to=parsed.to,
            cc=parsed.cc,
            subject=parsed.subject,
            sent_at=parsed.date,
            summary=parsed.summary,
            new_text=parsed.new_text,
            attachments=parsed.attachments,
            automated=parsed.automated or "",
            acknowledgement=parsed.is_acknowledgement,
        )

    @classmethod
    def arrived(cls, parsed: ParsedMessage, book: AddressBook) -> Mail:
        """A message that reached Rapport directly (forwarding address, upload): the original
        when it is a forward whose original sender is readable, unless a client forwarded it
        (then the client's forward is what happened)."""
        original = parsed.forwarded
        outer = parsed.from_address
        if original is None or original.from_address is None:
            return cls.of(parsed)
        if outer is not None and book.party(outer.email) is not None:
            return cls.of(parsed)
        key = original.key or message_key(
            [original.from_address],
            original.to,
            original.cc,
            original.date.isoformat() if original.date else "",
            original.subject,
            original.text,
        )
        automated = original.automated or ""
        return cls(
            key=_bounded(key),
            message_id=original.message_id or "",
            in_reply_to=original.in_reply_to,
            references=original.references,
            sender=original.from_address,
            to=original.to,
            cc=original.cc,
            subject=original.subject,
            sent_at=original.date or parsed.date,
            summary=summarise(original.subject, original.new_text or original.text),
            new_text=original.new_text,
            attachments=original.attachments,
            automated=automated,
            acknowledgement=not automated and is_acknowledgement(original.new_text),
        )


def _bounded(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()


# --------------------------------------------------------------------------- address book


def own_addresses(owner_id: int) -> set[str]:
    """The freelancer's addresses: their login's, their mailboxes' (and user names that are
    addresses) and those given with the forwarding address."""
    found: set[str] = set()
    email = get_user_model().objects.filter(pk=owner_id).values_list("email", flat=True).first()
    if email:
        found.add(email.lower())
    for addresses, username in Mailbox.objects.owned_by(owner_id).values_list(
        "addresses", "username"
    ):
        found.update(a.lower() for a in addresses)
        if "@" in username:
            found.add(username.strip().lower())
    for addresses in ForwardingAddress.objects.owned_by(owner_id).values_list(
        "addresses", flat=True
    ):
        found.update(a.lower() for a in addresses)
    return found


def load_address_book(owner_id: int) -> AddressBook:
    """One freelancer's address book (four small queries)."""
    contacts = (
        Contact.objects.owned_by(owner_id)
        .exclude(email="")
        .order_by("client_id", "pk")
        .values_list("email", "client_id", "pk")
    )
    domains = [
        (domain, client_id)
        for client_id, names in Client.objects.owned_by(owner_id)
        .exclude(email_domains=[])
        .order_by("pk")
        .values_list("pk", "email_domains")
        for domain in names
    ]
    ignored = IgnoredSender.objects.owned_by(owner_id).values_list("address", flat=True)
    return AddressBook.build(own_addresses(owner_id), contacts, domains, ignored)


# --------------------------------------------------------------------------- recording


@dataclass
class Outcome:
    """What one batch did: messages logged, with nobody known, already there; the clients
    whose log changed."""

    logged: int = 0
    unknown: int = 0
    duplicates: int = 0
    clients: set[int] = field(default_factory=set)

    def add(self, other: Outcome) -> None:
        self.logged += other.logged
        self.unknown += other.unknown
        self.duplicates += other.duplicates
        self.clients |= other.clients


def record(
    owner_id: int,
    mails: Sequence[Mail],
    *,
    book: AddressBook,
    source: str,
    now: datetime,
    mailbox_id: int | None = None,
    client_id: int | None = None,
) -> Outcome:
    """Log a batch of one freelancer's messages (see the module docstring); `client_id` places
    every message with that client (an upload on its page). Call it inside the transaction that
    also moves the caller's cursor, or on its own."""
    outcome = Outcome()
    claim = uuid.uuid4().hex
    rows: dict[str, tuple[MailMessage, Match | None]] = {}
    summaries = {mail.key: mail.summary[:500] for mail in mails}
    for mail in mails:
        if mail.key in rows:
            outcome.duplicates += 1
            continue
        sender = mail.sender.email if mail.sender else None
        if client_id is not None:
            match: Match | None = book.place_with(client_id, sender, mail.recipients)
        else:
            match = book.place(sender, mail.recipients)
        row = _row(owner_id, mail, match, book, source, mailbox_id, claim, now)
        if row is None:
            outcome.unknown += 1
        else:
            rows[mail.key] = (row, match)
    if not rows:
        return outcome
    with transaction.atomic():
        # In key order: two batches with messages in common lock their keys in the same order.
        MailMessage.objects.bulk_create(
            [rows[key][0] for key in sorted(rows)], ignore_conflicts=True
        )
        placed = [key for key, (_, match) in rows.items() if match is not None]
        # Rows kept earlier with nobody known, whom this batch places now: taken over.
        MailMessage.objects.filter(
            owner_id=owner_id, key__in=placed, state=MailMessage.State.UNKNOWN
        ).update(state=MailMessage.State.LOGGED, claim=claim, summary="")
        ours = dict(
            MailMessage.objects.filter(owner_id=owner_id, key__in=list(rows), claim=claim)
            .values_list("key", "pk")
            .order_by()
        )
        to_log = []
        for key, (row, match) in rows.items():
            if key not in ours:
                outcome.duplicates += 1
            elif match is None:
                outcome.unknown += 1
            else:
                row.pk = ours[key]
                to_log.append((row, match, summaries[key]))
        outcome.clients |= _log(owner_id, to_log)
    outcome.logged += len(to_log)
    return outcome


def _row(
    owner_id: int,
    mail: Mail,
    match: Match | None,
    book: AddressBook,
    source: str,
    mailbox_id: int | None,
    claim: str,
    now: datetime,
) -> MailMessage | None:
    """The row for one message, or None when it is nobody's and not worth keeping."""
    sender = mail.sender.email if mail.sender else ""
    outbound = match.direction == "out" if match else book.is_own(sender)
    if match is None:
        strangers = [a for a in mail.recipients if not book.is_own(a)] if outbound else [sender]
        if mail.automated or not sender or not strangers or set(strangers) <= book.ignored:
            return None
    needs_reply = False
    tone = ""
    confident = False
    if not outbound:
        cc_only = not any(book.is_own(a.email) for a in mail.to) and any(
            book.is_own(a.email) for a in mail.cc
        )
        needs_reply = not (mail.automated or mail.acknowledgement or cc_only)
        suggestion = suggest_tone(mail.new_text or mail.summary)
        tone, confident = suggestion.tone, suggestion.confidence >= HIGH_CONFIDENCE
    return MailMessage(
        owner_id=owner_id,
        key=mail.key,
        state=MailMessage.State.LOGGED if match else MailMessage.State.UNKNOWN,
        source=source,
        mailbox_id=mailbox_id,
        message_id=mail.message_id[:500],
        in_reply_to=list(mail.in_reply_to),
        references=list(mail.references),
        from_address=sender[:254],
        from_name=(mail.sender.name if mail.sender else "")[:200],
        addresses=MailMessage.join_addresses([a for a in [sender, *mail.recipients] if a]),
        outbound=outbound,
        sent_at=min(mail.sent_at, now),  # a sender's clock ahead of ours: it arrived now
        subject=mail.subject[:300],
        summary="" if match else mail.summary[:500],  # a logged one's is the interaction's
        attachments=[{"name": a.filename, "size": a.size} for a in mail.attachments],
        automated=mail.automated[:120],
        tone=tone,
        tone_confident=confident,
        needs_reply=needs_reply,
        claim=claim,
    )


def _log(owner_id: int, rows: list[tuple[MailMessage, Match, str]]) -> set[int]:
    """Interactions for rows this caller has claimed (with their summaries); returns the
    clients logged with."""
    if not rows:
        return set()
    interactions = []
    for row, match, summary in rows:
        inbound = match.direction == "in"
        interactions.append(
            Interaction(
                owner_id=owner_id,
                client_id=match.client_id,
                contact_id=match.contact_id,
                direction=Interaction.Direction.INBOUND
                if inbound
                else Interaction.Direction.OUTBOUND,
                channel=Channel.EMAIL,
                occurred_at=row.sent_at,
                summary=summary,
                needs_reply=inbound and row.needs_reply,
                needs_reply_suggested=inbound and not row.automated,
                tone=row.tone or Interaction.Tone.NEUTRAL,
                tone_suggested=inbound and bool(row.tone),
                tone_confident=inbound and row.tone_confident,
                automated=bool(row.automated),
            )
        )
    Interaction.objects.bulk_create(interactions)  # type: ignore[no-untyped-call]
    _link([(row.pk, i.pk) for (row, _, _), i in zip(rows, interactions, strict=True)])
    return {match.client_id for _, match, _ in rows}


def _link(pairs: list[tuple[int, int]]) -> None:
    """Point each MailMessage (pk) at its new interaction (pk): one UPDATE … FROM (VALUES …)
    on PostgreSQL, where Django's bulk_update (a CASE per row) costs more than the insert."""
    if connection.vendor != "postgresql":
        MailMessage.objects.bulk_update(
            [MailMessage(pk=pk, interaction_id=iid) for pk, iid in pairs], ["interaction"]
        )
        return
    values = ", ".join(["(%s::bigint, %s::bigint)"] * len(pairs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {MailMessage._meta.db_table} AS m SET interaction_id = v.interaction "
            f"FROM (VALUES {values}) AS v(id, interaction) WHERE m.id = v.id",
            [n for pair in pairs for n in pair],
        )


def log_known(owner_id: int) -> int:
    """Log every kept message of this freelancer that somebody known is now in (after a
    contact or a client's domains changed); returns how many. Safe to run twice at once."""
    unknown = list(
        MailMessage.objects.filter(owner_id=owner_id, state=MailMessage.State.UNKNOWN).only(
            "pk", "from_address", "addresses", "sent_at", "summary", "tone", "tone_confident",
            "needs_reply", "automated",
        )
    )  # fmt: skip
    if not unknown:
        return 0
    book = load_address_book(owner_id)
    placed = []
    for row in unknown:
        recipients = [a for a in row.addresses.strip(",").split(",") if a and a != row.from_address]
        match = book.place(row.from_address, recipients)
        if match is not None:
            placed.append((row, match))
    if not placed:
        return 0
    claim = uuid.uuid4().hex
    with transaction.atomic():
        MailMessage.objects.filter(
            pk__in=[row.pk for row, _ in placed], state=MailMessage.State.UNKNOWN
        ).update(state=MailMessage.State.LOGGED, claim=claim, summary="")
        ours = set(
            MailMessage.objects.filter(owner_id=owner_id, claim=claim).values_list("pk", flat=True)
        )
        clients = _log(
            owner_id, [(row, match, row.summary) for row, match in placed if row.pk in ours]
        )
        evaluate_clients(owner_id, clients)
    return len(ours)


def evaluate_clients(owner_id: int, client_ids: Iterable[int]) -> None:
    """The flags of these clients follow their new log once the transaction commits (one
    pass for all of them)."""
    ids = sorted(set(client_ids))
    if ids:
        transaction.on_commit(lambda: evaluate_user.delay(owner_id, ids))
