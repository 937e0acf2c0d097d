"""Personal API tokens, calendar feeds, webhook endpoints and their delivery outbox."""

import uuid
from datetime import datetime, timedelta
from typing import ClassVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from clients.encryption import EncryptedTextField
from clients.models import Client
from clients.ownership import Owned, OwnedQuerySet
from engagements import events
from integrations import outbound, tokens

# last_used_at / last_fetched_at are written at most this often: a busy token is not a write
# per request.
TOUCH_EVERY = timedelta(minutes=1)


class ApiTokenQuerySet(OwnedQuerySet["ApiToken"]):
    def usable(self, now: datetime) -> "ApiTokenQuerySet":
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), revoked_at=None)


class ApiToken(Owned):
    """A personal API token: `Authorization: Bearer rpt_…`. Stored as its SHA-256 only."""

    KIND = "rpt"

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=tokens.PREFIX_LENGTH, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[ApiTokenQuerySet] = ApiTokenQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(
        cls, owner_id: int, name: str, expires_at: datetime | None = None
    ) -> tuple["ApiToken", str]:
        """A new token: the row, and the token itself (shown once, never stored)."""
        token = tokens.new_token(cls.KIND)
        row = cls.objects.create(
            owner_id=owner_id,
            name=name,
            prefix=tokens.visible_prefix(token),
            digest=tokens.digest(token),
            expires_at=expires_at,
        )
        return row, token

    @classmethod
    def authenticate(cls, token: str, now: datetime) -> "ApiToken | None":
        """The usable token row for `token` (its last use noted), or None."""
        row: ApiToken | None = (
            cls.objects.usable(now)
            .filter(digest=tokens.digest(token))
            .select_related("owner")
            .first()
        )
        if row is None or not row.owner.is_active:
            return None
        if row.last_used_at is None or row.last_used_at < now - TOUCH_EVERY:
            cls.objects.filter(pk=row.pk).update(last_used_at=now)
            row.last_used_at = now
        return row

    def revoke(self, now: datetime | None = None) -> bool:
        done = ApiToken.objects.filter(pk=self.pk, revoked_at=None).update(
            revoked_at=now or timezone.now()
        )
        return bool(done)


class CalendarFeed(Owned):
    """A private calendar URL: every client's dates, or one client's (`client`). The token is in
    the URL and stored as its SHA-256: regenerating replaces it, and the old URL stops at once."""

    KIND = "cal"

    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    prefix = models.CharField(max_length=tokens.PREFIX_LENGTH, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["client__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner"], condition=Q(client=None), name="one_whole_calendar_feed"
            ),
            models.UniqueConstraint(
                fields=["owner", "client"], name="one_calendar_feed_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.client or 'every client'}"

    def regenerate(self) -> str:
        """A new token (returned, shown once); the old one stops working now."""
        token = tokens.new_token(self.KIND)
        self.prefix, self.digest = tokens.visible_prefix(token), tokens.digest(token)
        self.created_at = timezone.now()
        self.save(update_fields=["prefix", "digest", "created_at"])
        return token

    @classmethod
    def issue(cls, owner_id: int, client: Client | None = None) -> tuple["CalendarFeed", str]:
        """The feed of every client (client=None) or of one, with a new token."""
        feed, _ = cls.objects.get_or_create(
            owner_id=owner_id,
            client=client,
            defaults={"digest": uuid.uuid4().hex, "prefix": ""},
        )
        return feed, feed.regenerate()

    @classmethod
    def find(cls, token: str, now: datetime) -> "CalendarFeed | None":
        feed = cls.objects.filter(digest=tokens.digest(token)).first()
        if feed is not None and (
            feed.last_fetched_at is None or feed.last_fetched_at < now - TOUCH_EVERY
        ):
            cls.objects.filter(pk=feed.pk).update(last_fetched_at=now)
        return feed


EVENT_CHOICES = [
    (events.FLAG_RAISED, "A flag is raised"),
    (events.FLAG_ESCALATED, "A warning turns into a breach"),
    (events.FLAG_RESOLVED, "A flag is resolved"),
    (events.INTERACTION_LOGGED, "An interaction is logged"),
]
EVENTS = [value for value, _ in EVENT_CHOICES]


class WebhookEndpoint(Owned):
    """A URL that receives events as signed JSON. After MAX_FAILURES failed deliveries in a row
    it is disabled, and the settings page says so until it is enabled again."""

    # http and https only (the default validator), to public addresses only (clean).
    url = models.URLField("URL", max_length=500)
    events = models.JSONField(default=list)
    secret = EncryptedTextField(help_text="Signs each delivery (HMAC-SHA256); shown once.")
    created_at = models.DateTimeField(default=timezone.now)
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        super().clean()
        errors = {}
        if self.url and not self.url.lower().startswith(("http://", "https://")):
            errors["url"] = "Use an http:// or https:// address."
        elif self.url and (refused := outbound.refusal(self.url)):
            errors["url"] = refused
        if not isinstance(self.events, list) or not self.events:
            errors["events"] = "Choose at least one event."
        elif not set(self.events) <= set(EVENTS):
            errors["events"] = f"Choose events from: {', '.join(EVENTS)}."
        if errors:
            raise ValidationError(errors)


class WebhookDelivery(Owned):
    """One event for one endpoint: the outbox row the sender claims (integrations.webhooks).
    `event_id` is the same on every attempt, so a receiver can drop a repeat."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Gave up"

    owner_from = "endpoint"
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=30, choices=EVENT_CHOICES)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="one_delivery_per_event"),
            models.CheckConstraint(
                condition=~Q(status="sending")
                | Q(claim_token__isnull=False, claimed_at__isnull=False),
                name="sending_delivery_has_a_claim",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=Q(status="queued"), name="webhook_due_idx"
            ),
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="webhook_sending_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.event_id} to {self.endpoint_id} ({self.status})"
