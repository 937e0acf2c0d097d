"""The mailbox: connected IMAP mailboxes, where each folder's sync stands, the messages seen,
the private forwarding address and the senders the freelancer chose to ignore.

- :class:`Mailbox`: connection details (the password encrypted at rest, never shown again),
  the freelancer's own addresses, folders to read besides Inbox and Sent, and the sync's state:
  status, the last error in plain words, since when it fails, last and next sync, counts, and
  a lease so that one sync of a mailbox runs at a time.
- :class:`FolderCursor`: per folder, its UIDVALIDITY and the last UID whose message is
  committed; the first sync's progress.
- :class:`MailMessage`: one row per message per freelancer (unique ``key``: the Message-ID, or
  a stable hash of the headers): logged (linked to its Interaction) or with nobody known
  (kept for "Who is this?", docs/decisions/0060). Bodies are never stored, only the summary.
- :class:`ForwardingAddress`: the token of ``log+<token>@INBOUND_DOMAIN``, stored hashed.
- :class:`IgnoredSender`: "Who is this?" answered with "ignore".
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.encryption import EncryptedTextField
from clients.ownership import Owned
from engagements.models import Interaction

#: How long a sync may hold its mailbox without renewing its lease (it renews at every batch).
LEASE = timedelta(minutes=10)
ADDRESSES_HELP = "Your own addresses and aliases, so that mail you sent is logged as outbound."


def address_list(values: Any) -> list[str]:
    """Lower-cased, stripped, without repeats; ValidationError for anything not an address."""
    if not isinstance(values, list):
        raise ValidationError("Give the addresses as a list.")
    found = list(dict.fromkeys(str(v).strip().lower() for v in values if str(v).strip()))
    bad = []
    for value in found:
        try:
            validate_email(value)
        except ValidationError:
            bad.append(value)
    if bad:
        raise ValidationError(f"Not an email address: {', '.join(bad)}.")
    return found


class Mailbox(Owned):
    """One IMAP mailbox of one freelancer, read (never changed) by the sync."""

    class Security(models.TextChoices):
        SSL = "ssl", "TLS"
        STARTTLS = "starttls", "STARTTLS"

    class Status(models.TextChoices):
        NEW = "new", "Not synced yet"
        OK = "ok", "Working"
        FAILING = "failing", "Failing"

    name = models.CharField(max_length=100, blank=True, help_text="A name for you, e.g. “Work”.")
    host = models.CharField("IMAP server", max_length=253, help_text="e.g. imap.fastmail.com")
    port = models.PositiveIntegerField(
        default=993, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    security = models.CharField(
        max_length=10,
        choices=Security.choices,
        default=Security.SSL,
        help_text="TLS from the start is usually port 993; STARTTLS usually port 143.",
    )
    username = models.CharField("user name", max_length=254)
    # Encrypted at rest (clients.encryption); never rendered, logged or put in an error.
    password = EncryptedTextField(blank=True)
    addresses = models.JSONField(default=list, blank=True, help_text=ADDRESSES_HELP)
    folders = models.JSONField(
        default=list, blank=True, help_text="Folders to read besides Inbox and Sent."
    )
    look_back_days = models.PositiveSmallIntegerField(
        "days to look back",
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="The first sync reads this many days of mail.",
    )

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    error_kind = models.CharField(max_length=20, blank=True)
    last_error = models.TextField(blank=True, help_text="What went wrong, in plain words.")
    failing_since = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed syncs in a row.")
    last_sync_at = models.DateTimeField(null=True, blank=True, help_text="The last good sync.")
    next_sync_at = models.DateTimeField(null=True, blank=True)
    first_sync_done = models.BooleanField(default=False)
    seen = models.PositiveIntegerField(default=0, help_text="Messages read.")
    logged = models.PositiveIntegerField(default=0, help_text="Messages logged as interactions.")
    skipped = models.PositiveIntegerField(default=0, help_text="Messages that could not be read.")
    demo = models.BooleanField(
        default=False, help_text="A description for the demo account: never connects."
    )
    lease_token = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "username", "pk"]
        verbose_name_plural = "mailboxes"
        indexes = [
            models.Index(fields=["next_sync_at"], condition=Q(demo=False), name="mailbox_due")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(port__gte=1, port__lte=65535), name="mailbox_port_range"
            ),
            models.CheckConstraint(condition=Q(look_back_days__gte=1), name="mailbox_look_back"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.username} at {self.host}"

    def __repr__(self) -> str:  # never the password
        return f"<Mailbox {self.pk}: {self.username}@{self.host}:{self.port}>"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        for name in ("addresses", "folders"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = "Give a list."
        if "addresses" not in errors:
            try:
                self.addresses = address_list(self.addresses)
            except ValidationError as e:
                errors["addresses"] = e.messages
        if "folders" not in errors:
            self.folders = list(dict.fromkeys(f.strip() for f in self.folders if f.strip()))
        self.host = self.host.strip().lower()
        if errors:
            raise ValidationError(errors)

    @property
    def label(self) -> str:
        return str(self)

    @property
    def syncing(self) -> bool:
        return self.lease_until is not None and self.lease_until > timezone.now()


class FolderCursor(models.Model):
    """Where the sync of one folder stands: messages up to ``last_uid`` are committed.

    A changed UIDVALIDITY means the server renumbered the folder: the cursor starts again
    (the message keys keep anything from being logged twice). ``scan_from_uid`` and
    ``scan_to_uid`` bound the first pass, for its progress.
    """

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="cursors")
    folder = models.CharField(max_length=500)
    uidvalidity = models.BigIntegerField(null=True, blank=True)
    last_uid = models.BigIntegerField(default=0)
    scan_from_uid = models.BigIntegerField(null=True, blank=True)
    scan_to_uid = models.BigIntegerField(null=True, blank=True)
    first_pass_done = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["mailbox", "folder"], name="one_cursor_per_folder")
        ]

    def __str__(self) -> str:
        return f"{self.folder} up to UID {self.last_uid}"

    @property
    def progress(self) -> int | None:
        """Per cent of the first pass done (None before it has a range)."""
        if self.first_pass_done:
            return 100
        if self.scan_from_uid is None or self.scan_to_uid is None:
            return None
        span = self.scan_to_uid - self.scan_from_uid + 1
        if span <= 0:
            return 100
        return max(0, min(99, (self.last_uid - self.scan_from_uid + 1) * 100 // span))


class MailMessage(Owned):
    """One message of one freelancer, whichever folders, mailboxes or ways it came by.

    ``state`` is "logged" once it is an interaction (``interaction`` may later be deleted by
    the freelancer: the message then stays logged, never logged again) or "unknown" while
    nobody in it is known; unknown rows keep what an interaction needs (summary, suggestions)
    until a participant becomes a contact or the sender is ignored (docs/decisions/0060).
    """

    class State(models.TextChoices):
        LOGGED = "logged", "Logged"
        UNKNOWN = "unknown", "Nobody known"

    class Source(models.TextChoices):
        IMAP = "imap", "Mailbox"
        FORWARD = "forward", "Forwarding address"
        UPLOAD = "upload", "Uploaded file"

    key = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    mailbox = models.ForeignKey(
        Mailbox, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    interaction = models.OneToOneField(
        Interaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="mail"
    )
    message_id = models.CharField(max_length=500, blank=True)
    in_reply_to = models.JSONField(default=list, blank=True)
    references = models.JSONField(default=list, blank=True)
    from_address = models.CharField(max_length=254, blank=True)
    from_name = models.CharField(max_length=200, blank=True)
    # ",a@x,b@y,": every address in From, To and Cc, for "messages with this address".
    addresses = models.TextField(blank=True)
    outbound = models.BooleanField(default=False, help_text="Sent from your own address.")
    sent_at = models.DateTimeField()
    subject = models.CharField(max_length=300, blank=True)
    summary = models.CharField(max_length=500, blank=True, help_text="Only while unknown.")
    attachments = models.JSONField(default=list, blank=True)
    automated = models.CharField(max_length=120, blank=True, help_text="Why it is automated.")
    tone = models.CharField(max_length=10, blank=True)
    tone_confident = models.BooleanField(default=False)
    needs_reply = models.BooleanField(default=False)
    claim = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="one_message_per_owner")
        ]
        indexes = [
            models.Index(
                fields=["owner", "from_address"],
                condition=Q(state="unknown"),
                name="mail_unknown_by_sender",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject[:60] or '(no subject)'} ({self.sent_at:%Y-%m-%d})"

    @property
    def excerpt(self) -> str:
        """The interaction's summary without the subject it starts with."""
        text = self.interaction.summary if self.interaction else self.summary
        prefix = f"{self.subject} — "
        return text[len(prefix) :] if self.subject and text.startswith(prefix) else text

    @staticmethod
    def join_addresses(addresses: list[str]) -> str:
        return "," + ",".join(dict.fromkeys(addresses)) + "," if addresses else ""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ForwardingAddress(Owned):
    """A freelancer's private ``log+<token>@INBOUND_DOMAIN``: only the token's hash is kept,
    so the address is shown once, when made (docs/decisions/0061)."""

    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8, help_text="The token's last characters.")
    addresses = models.JSONField(default=list, blank=True, help_text=ADDRESSES_HELP)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["owner"], name="one_forwarding_address")]

    def __str__(self) -> str:
        return f"log+…{self.hint}@{settings.INBOUND_DOMAIN}"

    def __repr__(self) -> str:
        return f"<ForwardingAddress of user {self.owner_id}>"

    def clean(self) -> None:
        super().clean()
        try:
            self.addresses = address_list(self.addresses)
        except ValidationError as e:
            raise ValidationError({"addresses": e.messages}) from None


class IgnoredSender(Owned):
    """An address the freelancer does not want to hear about: nothing from it is kept."""

    address = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "address"], name="ignore_once_per_owner")
        ]

    def __str__(self) -> str:
        return self.address
