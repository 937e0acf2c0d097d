"""The email outbox, the per-freelancer sending state, and follow-up reminders.

Every email Rapport sends is first an `OutboundEmail` row whose idempotency key (owner, kind,
key) is unique: the daily digest's key is its local date, the weekly review's its ISO week, a
reminder's its follow-up. Composing twice, or on two workers at once, writes one row. The sender
(engagements.sender) claims rows with a conditional UPDATE, sends them, and marks them sent;
`next_attempt_at` is the stored deadline ("what is due now" is one indexed query).
"""

import re
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.models import Client
from clients.ownership import Owned, OwnedQuerySet
from clients.validation import no_nul, validate_date_in_range

# A row left in "sending" longer than this was claimed by a worker that died: it is sent again.
# Far longer than one send run (engagements.sender.RUN_BUDGET) plus an SMTP timeout.
LEASE = timedelta(minutes=10)
LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


def one_line(value: str) -> str:
    """A header value with every line break (and the spaces around it) made one space: CR or LF
    in a header would let it add headers of its own, and Django refuses to send it."""
    return LINE_BREAKS.sub(" ", value).strip()


class OutboundEmailQuerySet(OwnedQuerySet):
    def claimable(self, now):
        """Queued and due, or stuck in "sending" past its lease."""
        return self.filter(
            Q(status=OutboundEmail.Status.QUEUED, next_attempt_at__lte=now)
            | Q(status=OutboundEmail.Status.SENDING, claimed_at__lte=now - LEASE)
        )

    def history(self):
        """What the history page lists: every email but the digests that had nothing to say."""
        return self.exclude(status=OutboundEmail.Status.SKIPPED)


class OutboundEmail(Owned):
    """One email to one freelancer, composed once, sent at most once by a successful claim."""

    class Kind(models.TextChoices):
        DIGEST = "digest", "Daily digest"
        WEEKLY = "weekly", "Weekly review"
        REMINDER = "reminder", "Follow-up reminder"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "Nothing to say"
        EXPIRED = "expired", "Too late to send"
        FAILED = "failed", "Gave up"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    key = models.CharField(
        max_length=40, help_text='The period or subject: "2026-03-30", "2026-W14", "follow-up:17".'
    )
    follow_up = models.OneToOneField(
        "engagements.FollowUp",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="email",
    )
    to = models.EmailField(blank=True)
    subject = models.CharField(max_length=300, blank=True)
    text_body = models.TextField(blank=True)
    html_body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(help_text="When it may next be tried.")
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Not sent after this (a digest is stale by evening)."
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    objects = OutboundEmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "kind", "key"], name="one_email_per_owner_kind_and_key"
            ),
            models.CheckConstraint(
                condition=~Q(status="sending")
                | Q(claim_token__isnull=False, claimed_at__isnull=False),
                name="sending_email_has_a_claim",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="sent_email_has_a_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="queued"), name="email_due_idx"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="email_sending_idx"
            ),
            models.Index(fields=["owner", "-created_at"], name="email_history_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key} to {self.to} ({self.status})"

    @property
    def message_id(self) -> str:
        """Stable across retries, so a resend after a lost lease can be recognised."""
        domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
        return f"<rapport.{self.kind}.{self.pk}@{domain or 'localhost'}>"

    def message(self, connection=None) -> EmailMultiAlternatives:
        """The email to send; every header value on one line, whatever the row holds."""
        headers = {one_line(k): one_line(str(v)) for k, v in self.headers.items()}
        message = EmailMultiAlternatives(
            subject=one_line(self.subject),
            body=self.text_body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[one_line(self.to)],
            headers={**headers, "Message-ID": self.message_id},
            connection=connection,
        )
        if self.html_body:
            message.attach_alternative(self.html_body, "text/html")
        return message


class EmailStatus(models.Model):
    """Whether a freelancer's email is flowing: consecutive failed sends, and the pause they
    cause (kept here rather than on the profile, so the clients app's schema is untouched)."""

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    consecutive_failures = models.PositiveIntegerField(default=0)
    paused_at = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "email statuses"

    def __str__(self):
        return f"Email of user {self.owner_id}: " + (
            "paused" if self.paused_at else f"{self.consecutive_failures} failures in a row"
        )


class FollowUp(Owned):
    """A follow-up ("remind me to check in with Acme on Tuesday"): an email at `send_at`, which is
    `remind_at` or, when that falls outside working hours, the start of the next working window."""

    owner_from = "client"
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="follow_ups")
    note = models.CharField(max_length=300, validators=[no_nul])
    remind_at = models.DateTimeField(
        help_text="The moment asked for.", validators=[validate_date_in_range]
    )
    send_at = models.DateTimeField(help_text="When it goes: the moment, or the next working start.")
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["send_at", "pk"]
        indexes = [models.Index(fields=["owner", "send_at"])]

    def __str__(self):
        return f"{self.note} ({self.client})"

    @property
    def waited_for_working_hours(self) -> bool:
        return self.send_at != self.remind_at


class UsedLink(models.Model):
    """An action link from an email that has been used: it works once (engagements.links). The
    token is kept as a digest only, with what it did, to tell someone who uses it again."""

    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    purpose = models.CharField(max_length=20)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    used_at = models.DateTimeField()
    outcome = models.CharField(max_length=500, blank=True, help_text="What it did, in words.")

    def __str__(self):
        return f"{self.purpose} link used at {self.used_at:%Y-%m-%d %H:%M}"
