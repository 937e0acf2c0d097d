"""The weekly client health review: per freelancer per ISO week, a decision per client."""

from django.db import models

from clients.models import Client
from clients.ownership import Owned
from clients.validation import TEXT_LIMIT, text_validators


class WeeklyReview(Owned):
    week = models.DateField(help_text="Monday of the ISO week.")
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-week"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "week"], name="one_review_per_week")
        ]

    def __str__(self):
        return f"Review {self.week:%G-W%V}"


class ReviewEntry(Owned):
    """What the freelancer decided about one client in one week's review."""

    class Decision(models.TextChoices):
        KEEP_GOING = "keep_going", "Keep going"
        RESET_EXPECTATIONS = "reset", "Reset expectations"
        STATE_BOUNDARY = "boundary", "State a boundary"
        WALK_AWAY = "walk_away", "Walk away"

    owner_from = "review"
    review = models.ForeignKey(WeeklyReview, on_delete=models.CASCADE, related_name="entries")
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="review_entries")
    decision = models.CharField(max_length=12, choices=Decision.choices, blank=True)
    note = models.TextField(blank=True, max_length=TEXT_LIMIT, validators=text_validators())
    concern = models.TextField(
        "What is the client's underlying concern?",
        blank=True,
        max_length=TEXT_LIMIT,
        validators=text_validators(),
    )
    unclear = models.TextField(
        "Which expectation was unclear?",
        blank=True,
        max_length=TEXT_LIMIT,
        validators=text_validators(),
    )
    peer_advice = models.TextField(
        "What would you tell a peer in your place?",
        blank=True,
        max_length=TEXT_LIMIT,
        validators=text_validators(),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "client"], name="one_entry_per_client_per_review"
            )
        ]

    def __str__(self):
        return f"{self.client}: {self.get_decision_display() or 'undecided'}"
