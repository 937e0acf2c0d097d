"""The communication log."""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from clients.models import Channel, Client, Contact, FreelancerProfile
from clients.ownership import Owned, OwnedQuerySet
from engagements.models.activity import ClientActivity
from engagements.models.engagement import Engagement


class InteractionQuerySet(OwnedQuerySet):
    """Bulk writes keep ClientActivity current, as Interaction.save() and delete() do."""

    def bulk_create(self, objs, *args, **kwargs):
        with transaction.atomic():
            created = super().bulk_create(objs, *args, **kwargs)
            ClientActivity.refresh(o.client_id for o in created)
        return created

    def update(self, **kwargs):
        with transaction.atomic():
            clients = set(self.values_list("client_id", flat=True))
            changed = super().update(**kwargs)
            ClientActivity.refresh(
                clients | {kwargs.get("client_id", getattr(kwargs.get("client"), "pk", None))}
            )
        return changed

    def delete(self):
        with transaction.atomic():
            clients = set(self.values_list("client_id", flat=True))
            deleted = super().delete()
            ClientActivity.refresh(clients)
        return deleted

    def counts_by_client(self):
        """Per client: messages in and out, and of the inbound ones those out of hours, hostile
        or tense (one aggregate query)."""
        inbound = Q(direction=Interaction.Direction.INBOUND)
        return self.values("client_id").annotate(
            inbound=Count("pk", filter=inbound),
            outbound=Count("pk", filter=~inbound),
            out_of_hours=Count("pk", filter=inbound & Q(out_of_hours=True)),
            hostile=Count("pk", filter=inbound & Q(tone=Interaction.Tone.HOSTILE)),
            tense=Count("pk", filter=inbound & Q(tone=Interaction.Tone.TENSE)),
        )


class Interaction(Owned):
    """One communication with a client. Whether it was out of hours is derived, never typed."""

    class Direction(models.TextChoices):
        INBOUND = "in", "Inbound (from the client)"
        OUTBOUND = "out", "Outbound (from me)"

    class Kind(models.TextChoices):
        REQUEST = "request", "Request"
        PROGRESS_UPDATE = "update", "Progress update"
        CHECK_IN = "check_in", "Check-in"
        MEETING = "meeting", "Meeting"
        COMPLAINT = "complaint", "Complaint"
        APPROVAL = "approval", "Approval"
        OTHER = "other", "Other"

    class Tone(models.TextChoices):
        POSITIVE = "positive", "Positive"
        NEUTRAL = "neutral", "Neutral"
        TENSE = "tense", "Tense"
        HOSTILE = "hostile", "Hostile"

    # Clock skew allowed between a device and the server before a time counts as "the future".
    FUTURE_TOLERANCE = timedelta(minutes=5)

    owner_from = "client"
    objects = InteractionQuerySet.as_manager()
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="interactions")
    engagement = models.ForeignKey(
        Engagement, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    occurred_at = models.DateTimeField(default=timezone.now)
    summary = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OTHER)
    needs_reply = models.BooleanField(default=False)
    tone = models.CharField(max_length=10, choices=Tone.choices, default=Tone.NEUTRAL)
    concern = models.CharField(
        "underlying concern",
        max_length=500,
        blank=True,
        help_text="What is the client really worried about?",
    )
    script = models.CharField(
        max_length=40,
        blank=True,
        help_text="The message script it was sent from, if any (e.g. boundary).",
    )
    # Decided when the interaction is logged (or its time corrected), against the working hours
    # in force then: changing one's hours later should not rewrite what already happened.
    out_of_hours = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at"]
        indexes = [
            models.Index(fields=["client", "occurred_at"]),
            models.Index(fields=["owner", "occurred_at"]),
            # "The client's latest outbound / progress update": one index probe per client.
            models.Index(
                fields=["client", "direction", "occurred_at"], name="interaction_client_direction"
            ),
            # "The first message still waiting for a reply".
            models.Index(
                fields=["client", "occurred_at"],
                condition=Q(direction="in", needs_reply=True),
                name="interaction_awaiting_reply",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(needs_reply=False) | Q(direction="in"),
                name="only_inbound_needs_reply",
                violation_error_message="Only a message from the client can need a reply.",
            )
        ]

    def __str__(self):
        return (
            f"{self.get_direction_display()} {self.occurred_at:%Y-%m-%d %H:%M}: {self.summary[:40]}"
        )

    def clean(self):
        super().clean()
        errors = {}
        if self.occurred_at and self.occurred_at > timezone.now() + self.FUTURE_TOLERANCE:
            errors["occurred_at"] = (
                "That time is in the future: log an interaction once it has happened."
            )
        if self.needs_reply and self.direction != self.Direction.INBOUND:
            errors["needs_reply"] = "Only a message from the client can need a reply."
        for name in ("engagement", "contact"):
            related = getattr(self, name) if getattr(self, f"{name}_id") else None
            if related is not None and related.client_id != self.client_id:
                errors[name] = f"That {name} is not with this client."
        if errors:
            raise ValidationError(errors)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._logged_at = instance.__dict__.get("occurred_at")
        instance._loaded_client_id = instance.__dict__.get("client_id")
        return instance

    def save(self, *args, **kwargs):
        if self._state.adding or self.occurred_at != getattr(self, "_logged_at", self.occurred_at):
            self.out_of_hours = (
                not FreelancerProfile.for_user(self.client.owner_id)
                .calendar()
                .is_working(self.occurred_at)
            )
        with transaction.atomic():
            super().save(*args, **kwargs)
            ClientActivity.refresh([self.client_id, getattr(self, "_loaded_client_id", None)])
        self._logged_at, self._loaded_client_id = self.occurred_at, self.client_id

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            deleted = super().delete(*args, **kwargs)
            ClientActivity.refresh([self.client_id])
        return deleted
