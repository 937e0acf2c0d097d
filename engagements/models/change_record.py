"""The append-only record of every change to an expectation, a scope or a boundary."""

from datetime import date

from django.db import models
from django.utils import timezone

from clients.changes import ChangeNote
from clients.formats import day_date_year
from clients.models import Channel, Client
from clients.ownership import Owned, OwnedQuerySet
from clients.validation import no_nul
from engagements.models.engagement import Engagement, Expectation, Party

FIELD_LABELS = {
    "agreed_channels": "agreed channels",
    "reply_window_hours": "reply window (working hours)",
    "update_cadence_days": "update cadence (working days)",
    "checkin_cadence_days": "check-in cadence (working days)",
    "after_hours_policy": "after-hours contact",
    "due": "due date",
    "owed_by": "owed by",
    "end": "end date",
}
DATE_FIELDS = frozenset({"due", "end"})


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, name.replace("_", " "))


def shown_value(field: str, value: str) -> str:
    """A recorded value as the pages write it: dates "Mon 14 Dec 2026" (stored ISO)."""
    if field in DATE_FIELDS and value:
        try:
            return day_date_year(date.fromisoformat(value))
        except ValueError:
            return value
    return value


def change_words(subject: str, field: str, to_value: str, title: str = "") -> str:
    """ "“Booking form”: due date → Mon 14 Dec 2026", "boundaries: reply window … → 4"."""
    shown = shown_value(field, to_value)
    shown = shown if len(shown) <= 80 else shown[:79] + "…"
    return f"{f'“{title}”' if title else subject}: {field_label(field)} → {shown}"


class ChangeRecordQuerySet(OwnedQuerySet):
    def update(self, **kwargs):
        raise TypeError("Change records are append-only: they cannot be updated.")

    def delete(self):
        raise TypeError("Change records are append-only: they cannot be deleted.")


class ChangeRecord(Owned):
    """Append-only: what changed, from → to, who asked, when, confirmed in writing or not.

    Saving an existing record, QuerySet.update() and delete() raise. The one permitted change
    is confirm_in_writing(), which fills the confirmation once and never takes it back.
    Records go when their client goes (a cascade), never one by one: an engagement or an
    expectation with records cannot be deleted on its own (RESTRICT); cancel it instead.
    """

    owner_from = "client"
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="change_records")
    engagement = models.ForeignKey(
        Engagement, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    expectation = models.ForeignKey(
        Expectation, on_delete=models.RESTRICT, null=True, blank=True, related_name="change_records"
    )
    subject = models.CharField(max_length=20)  # "boundaries", "engagement", "expectation"
    field = models.CharField(max_length=40)
    from_value = models.TextField(blank=True)
    to_value = models.TextField(blank=True)
    requested_by = models.CharField(max_length=10, choices=Party.choices, default=Party.FREELANCER)
    changed_at = models.DateTimeField(default=timezone.now)
    confirmed_in_writing = models.BooleanField(default=False)
    confirmed_reference = models.CharField(max_length=300, blank=True, validators=[no_nul])
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = ChangeRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at"]
        indexes = [models.Index(fields=["owner", "changed_at"])]

    def __str__(self):
        return f"{self.subject} {self.field}: {self.from_value} → {self.to_value}"

    @property
    def headline(self) -> str:
        """ "Expectation “First draft”: due date", "Boundaries: reply window (working hours)"
        (reads the expectation or engagement: select_related them for a list)."""
        if self.subject == "expectation" and self.expectation_id and self.expectation:
            return f"Expectation “{self.expectation.title}”: {field_label(self.field)}"
        if self.subject == "engagement" and self.engagement_id and self.engagement:
            return f"Engagement “{self.engagement.title}”: {field_label(self.field)}"
        return f"{self.subject.capitalize()}: {field_label(self.field)}"

    @property
    def from_shown(self) -> str:
        return shown_value(self.field, self.from_value)

    @property
    def to_shown(self) -> str:
        return shown_value(self.field, self.to_value)

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("Change records are append-only: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Change records are append-only: they cannot be deleted.")

    def confirm_in_writing(self, reference: str, at=None) -> bool:
        """Mark the change confirmed in writing; False if it already was."""
        at = at or timezone.now()
        done = (
            models.QuerySet(ChangeRecord)
            .filter(pk=self.pk, confirmed_in_writing=False)
            .update(confirmed_in_writing=True, confirmed_reference=reference, confirmed_at=at)
        )
        if done:
            self.confirmed_in_writing, self.confirmed_reference, self.confirmed_at = (
                True,
                reference,
                at,
            )
        return bool(done)

    @classmethod
    def on_fields_changed(cls, sender, *, instance, changes, note: ChangeNote, **kwargs):
        """Receiver of clients.changes.fields_changed (ChangeTracked.save())."""
        cls.record(instance, changes, note)

    @classmethod
    def record(cls, instance, changes, note: ChangeNote) -> list["ChangeRecord"]:
        """Append one record per changed field of a Boundaries, Engagement or Expectation."""
        subject = instance._meta.model_name
        links = {"client_id": instance.client_id}
        if subject == "engagement":
            links["engagement_id"] = instance.pk
        elif subject == "expectation":
            links |= {"engagement_id": instance.engagement_id, "expectation_id": instance.pk}
        now = timezone.now()
        return cls.objects.bulk_create(
            cls(
                owner_id=instance.owner_id,
                subject=subject,
                field=name,
                from_value=_display(instance, name, old),
                to_value=_display(instance, name, new),
                requested_by=note.requested_by,
                changed_at=now,
                confirmed_in_writing=note.confirmed_in_writing,
                confirmed_reference=note.reference,
                confirmed_at=now if note.confirmed_in_writing else None,
                **links,
            )
            for name, old, new in changes
        )


def _display(instance, name, value) -> str:
    field = instance._meta.get_field(name)
    if value is None or value == "":
        return ""
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, list):
        labels = dict(Channel.choices)
        return ", ".join(str(labels.get(v, v)) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
