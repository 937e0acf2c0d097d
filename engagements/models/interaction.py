"""The communication log, and where each client's log stands (ClientActivity).

ClientActivity keeps, beside the log, the latest interaction, the first message still waiting
for a reply and the latest progress update of each client. The dashboard reads these instead of
searching the log of every client on every refresh (the way Healthchecks keeps a check's
`alert_after`). They are rewritten from the log, never edited: by Interaction.save() and
delete(), and by the Interaction QuerySet's bulk writes, in the same transaction as the write.
The references are ordinary (deferred) foreign keys, so a write that forgot to refresh them
would fail at commit rather than leave them pointing at nothing. docs/decisions/ says why.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clients.models import Channel, Client, Contact, FreelancerProfile
from clients.ownership import Owned, OwnedQuerySet
from clients.validation import no_nul, validate_date_in_range
from engagements import dashboard_cache
from engagements.models.engagement import Engagement


class InteractionQuerySet(OwnedQuerySet):
    """Bulk writes keep ClientActivity current, as Interaction.save() and delete() do."""

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        derive_out_of_hours(objs)
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
            rows = set(self.values_list("client_id", "owner_id"))
            deleted = super().delete()
            ClientActivity.refresh(client_id for client_id, _ in rows)
            for owner_id in {owner_id for _, owner_id in rows}:  # flags about them went too
                dashboard_cache.changed(owner_id, dashboard_cache.FLAGS)
        return deleted

    def counts_by_client(self) -> "models.QuerySet[Interaction, dict[str, Any]]":
        """Per client: messages in and out, and of the inbound ones those out of hours, hostile
        or tense (one aggregate query)."""
        inbound = Q(direction=Interaction.Direction.INBOUND)
        return self.values("client_id").annotate(
            inbound=Count("pk", filter=inbound),
            outbound=Count("pk", filter=~inbound),
            out_of_hours=Count("pk", filter=inbound & Q(out_of_hours=True)),
            hostile=Count("pk", filter=inbound & trusted_tone(Interaction.Tone.HOSTILE)),
            tense=Count("pk", filter=inbound & trusted_tone(Interaction.Tone.TENSE)),
        )


def trusted_tone(tone: str) -> Q:
    """Messages of this tone that the rules may act on: chosen by the freelancer, or suggested
    with high confidence. A mere suggestion is shown, never acted on."""
    return Q(tone=tone) & (Q(tone_suggested=False) | Q(tone_confident=True))


def derive_out_of_hours(rows) -> None:
    """Set `out_of_hours` on new rows exactly as Interaction.save() does (one calendar per
    owner): what the bulk writers (mail sync, imports, seeding) share with the form."""
    calendars = {}
    for row in rows:
        owner_id = row.owner_id or row.client.owner_id
        if owner_id not in calendars:
            calendars[owner_id] = FreelancerProfile.for_user(owner_id).calendar()
        row.out_of_hours = row.counts_out_of_hours(calendars[owner_id])


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
    occurred_at = models.DateTimeField(default=timezone.now, validators=[validate_date_in_range])
    summary = models.CharField(max_length=500, blank=True, validators=[no_nul])
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OTHER)
    needs_reply = models.BooleanField(default=False)
    tone = models.CharField(max_length=10, choices=Tone.choices, default=Tone.NEUTRAL)
    concern = models.CharField(
        "underlying concern",
        max_length=500,
        blank=True,
        validators=[no_nul],
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
    # Logged from mail (the inbox app) rather than typed. Automated mail (auto-replies, lists,
    # bounces) never needs a reply and never counts as contact out of hours. A tone or a
    # needs-reply that was suggested stays marked so until the freelancer confirms or changes
    # it; the rules act on a suggested tone only when it was suggested with high confidence.
    automated = models.BooleanField(default=False, editable=False)
    tone_suggested = models.BooleanField(default=False, editable=False)
    tone_confident = models.BooleanField(default=False, editable=False)
    needs_reply_suggested = models.BooleanField(default=False, editable=False)
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
            ),
            models.CheckConstraint(
                condition=Q(needs_reply=False) | Q(automated=False),
                name="automated_mail_needs_no_reply",
                violation_error_message="Automated mail never needs a reply.",
            ),
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
        elif self.needs_reply and self.automated:
            errors["needs_reply"] = "Automated mail never needs a reply."
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

    def counts_out_of_hours(self, calendar) -> bool:
        """Whether this is contact outside the freelancer's working hours (`calendar`, theirs):
        automated mail never is."""
        return not self.automated and not calendar.is_working(self.occurred_at)

    def save(self, *args, **kwargs):
        if self._state.adding or self.occurred_at != getattr(self, "_logged_at", self.occurred_at):
            self.out_of_hours = self.counts_out_of_hours(
                FreelancerProfile.for_user(self.client.owner_id).calendar()
            )
        with transaction.atomic():
            super().save(*args, **kwargs)
            ClientActivity.refresh([self.client_id, getattr(self, "_loaded_client_id", None)])
        self._logged_at, self._loaded_client_id = self.occurred_at, self.client_id

    def delete(self, *args, **kwargs):
        with transaction.atomic():
            deleted = super().delete(*args, **kwargs)
            ClientActivity.refresh([self.client_id])
            dashboard_cache.changed(self.owner_id, dashboard_cache.FLAGS)  # flags about it too
        return deleted


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def latest(q: Q, ref: str = "pk"):
    """Subquery: when the client's latest interaction matching `q` happened."""
    rows = Interaction.objects.filter(q, client=OuterRef(ref)).order_by("-occurred_at")
    return Subquery(rows.values("occurred_at")[:1])


def awaiting_reply(clients):
    """`clients` annotated with `asked_at` / `asked_id`: their first message needing a reply that
    no outbound has followed (None when nothing is waiting)."""
    IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND
    first_open = Interaction.objects.filter(
        client=OuterRef("pk"),
        direction=IN,
        needs_reply=True,
        occurred_at__gt=OuterRef("answered_up_to"),
    ).order_by("occurred_at", "pk")
    return clients.annotate(answered_up_to=Coalesce(latest(Q(direction=OUT)), EPOCH)).annotate(
        asked_at=Subquery(first_open.values("occurred_at")[:1]),
        asked_id=Subquery(first_open.values("pk")[:1]),
    )


class ClientActivity(Owned):
    """One row per client that has a log: where its communication stands."""

    owner_from = "client"
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="activity")
    last_interaction = models.ForeignKey(
        "engagements.Interaction", on_delete=models.DO_NOTHING, null=True, related_name="+"
    )
    awaiting_reply = models.ForeignKey(
        "engagements.Interaction",
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        help_text="The first message needing a reply that no outbound has followed.",
    )
    last_update_at = models.DateTimeField(null=True, help_text="The latest progress update.")
    due_at = models.DateTimeField(
        null=True,
        db_index=True,
        help_text="When the evaluation pass must look at this client next: the time of a write "
        "since its last look, or the next moment a verdict can change (engagements/due.py).",
    )

    class Meta:
        verbose_name_plural = "client activity"

    def __str__(self):
        return f"Activity of client {self.client_id}"

    @classmethod
    def mark_due(cls, client_ids, now: datetime | None = None) -> None:
        """These clients' flags may have changed: the next beat evaluates them (due.py)."""
        ids = {i for i in client_ids if i is not None}
        if ids:
            cls.objects.filter(client_id__in=ids).update(due_at=now or timezone.now())

    @classmethod
    def mark_owner_due(cls, owner_id: int, now: datetime | None = None) -> None:
        """Every client of this freelancer (their hours, days off or thresholds changed)."""
        cls.objects.filter(owner_id=owner_id).update(due_at=now or timezone.now())

    @classmethod
    def refresh(cls, client_ids) -> None:
        """Rewrite the rows of these clients from their log, and mark them due for the evaluation
        pass (three queries, whatever their number). The clients are locked first, so that two writes to one client's log take
        turns, and the second reads what the first committed."""
        ids = sorted({i for i in client_ids if i is not None})
        if not ids:
            return
        with transaction.atomic():
            clients = Client.objects.filter(pk__in=ids)
            list(clients.select_for_update(no_key=True).order_by("pk").values_list("pk"))
            latest_pk = Interaction.objects.filter(client=OuterRef("pk")).order_by("-occurred_at")
            update = Q(
                direction=Interaction.Direction.OUTBOUND, kind=Interaction.Kind.PROGRESS_UPDATE
            )
            now = timezone.now()
            rows = list(
                awaiting_reply(clients)
                .annotate(last_id=Subquery(latest_pk.values("pk")[:1]), last_update=latest(update))
                .values_list("pk", "owner_id", "last_id", "asked_id", "last_update")
            )
            cls.objects.bulk_create(
                [
                    cls(
                        client_id=pk,
                        owner_id=owner_id,
                        last_interaction_id=last_id,
                        awaiting_reply_id=asked_id,
                        last_update_at=last_update,
                        due_at=now,
                    )
                    for pk, owner_id, last_id, asked_id, last_update in rows
                ],
                update_conflicts=True,
                unique_fields=["client"],
                update_fields=["last_interaction", "awaiting_reply", "last_update_at", "due_at"],
            )
            for owner_id in {owner_id for _, owner_id, *_ in rows}:
                dashboard_cache.changed(owner_id, clients=[r[0] for r in rows if r[1] == owner_id])
