"""Engagements (pieces of work) and expectations (who owes what by when)."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from clients.changes import ChangeTracked
from clients.models import Client
from clients.ownership import Owned
from clients.validation import TEXT_LIMIT, no_nul, text_validators, validate_date_in_range


class Party(models.TextChoices):
    FREELANCER = "freelancer", "Me"
    CLIENT = "client", "The client"


class Engagement(ChangeTracked, Owned):
    """A piece of work for a client."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    owner_from = "client"
    tracked_fields = ("title", "scope", "end")

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="engagements")
    title = models.CharField(max_length=200, validators=[no_nul])
    goals = models.TextField(blank=True, max_length=TEXT_LIMIT, validators=text_validators())
    scope = models.TextField(blank=True, max_length=TEXT_LIMIT, validators=text_validators())
    start = models.DateField(default=date.today, validators=[validate_date_in_range])
    end = models.DateField(null=True, blank=True, validators=[validate_date_in_range])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        ordering = ["-start", "title"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="engagement_ends_after_it_starts",
                violation_error_message="The end date cannot be before the start date.",
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": "The end date cannot be before the start date."})


class Expectation(ChangeTracked, Owned):
    """Something someone owes by a date."""

    class Kind(models.TextChoices):
        DELIVERABLE = "deliverable", "Deliverable"
        FEEDBACK = "feedback", "Feedback"
        DECISION = "decision", "Decision"
        PAYMENT = "payment", "Payment"
        MEETING = "meeting", "Meeting"

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        CANCELLED = "cancelled", "Cancelled"

    owner_from = "engagement"
    tracked_fields = ("title", "due", "owed_by")

    engagement = models.ForeignKey(
        Engagement, on_delete=models.CASCADE, related_name="expectations"
    )
    client = models.ForeignKey(
        Client, on_delete=models.CASCADE, related_name="expectations", editable=False
    )
    title = models.CharField(max_length=200, validators=[no_nul])
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.DELIVERABLE)
    owed_by = models.CharField(max_length=10, choices=Party.choices, default=Party.FREELANCER)
    due = models.DateField(validators=[validate_date_in_range])
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    confirmed_in_writing = models.BooleanField(default=False)
    confirmed_reference = models.CharField(max_length=300, blank=True, validators=[no_nul])
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "title"]
        indexes = [models.Index(fields=["owner", "status", "due"])]

    def __str__(self):
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.NOT_STARTED, self.Status.IN_PROGRESS)

    def clean(self):
        if self.engagement_id:
            self.client_id = self.engagement.client_id
        super().clean()

    def save(self, *args, **kwargs):
        if self.engagement_id:
            self.client_id = self.engagement.client_id
        if self.status == self.Status.DONE and self.completed_at is None:
            self.completed_at = timezone.now()
        elif self.status != self.Status.DONE:
            self.completed_at = None
        super().save(*args, **kwargs)
