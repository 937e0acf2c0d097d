"""Weekly health snapshots: one per active client per ISO week, for the trend."""

from django.db import models
from django.utils import timezone

from clients.models import Client
from clients.ownership import Owned


class HealthSnapshot(Owned):
    owner_from = "client"
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="health_snapshots")
    week = models.DateField(help_text="Monday of the ISO week, in the freelancer's time zone.")
    score = models.PositiveSmallIntegerField()
    components = models.JSONField(default=list)
    taken_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-week"]
        constraints = [
            models.UniqueConstraint(
                fields=["client", "week"], name="one_snapshot_per_client_and_week"
            ),
            models.CheckConstraint(condition=models.Q(score__lte=100), name="snapshot_score_range"),
        ]
        indexes = [models.Index(fields=["owner", "week"])]

    def __str__(self):
        return f"{self.client} {self.week:%G-W%V}: {self.score}"
