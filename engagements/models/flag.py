"""Flags: signals raised by the rules, one live flag per (owner, rule, subject)."""

from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from clients.models import Client
from clients.ownership import Owned, OwnedQuerySet
from clients.validation import TEXT_LIMIT, no_nul, text_validators, validate_date_in_range
from engagements import dashboard_cache, events
from engagements.models.change_record import ChangeRecord
from engagements.models.engagement import Expectation
from engagements.models.interaction import ClientActivity, Interaction


class Rule(models.TextChoices):
    REPLY_OWED = "reply_owed", "Reply owed"
    UPDATE_OWED = "update_owed", "Update owed"
    CHECK_IN_MISSED = "check_in_missed", "Check-in missed"
    WAITING_ON_CLIENT = "waiting_on_client", "Waiting on client"
    OUT_OF_HOURS = "out_of_hours", "Out-of-hours contact"
    BOUNDARY_PATTERN = "boundary_pattern", "Boundary pattern"
    SELF_BOUNDARY = "self_boundary", "Self boundary"
    DEADLINE = "deadline", "Deadline at risk / overdue"
    UNDOCUMENTED = "undocumented", "Undocumented agreement"
    OFF_CHANNEL = "off_channel", "Off-channel contact"
    DISRESPECT = "disrespect", "Disrespect"
    WALK_AWAY = "walk_away", "Walk away"


class Severity(models.TextChoices):
    INFO = "info", "Info"
    WARNING = "warning", "Warning"
    BREACH = "breach", "Breach"


SEVERITY_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.BREACH: 2}
# Rules about one event (a message): raised once per interaction, cleared when acknowledged.
ACKNOWLEDGE_CLEARS = frozenset({Rule.OUT_OF_HOURS, Rule.SELF_BOUNDARY, Rule.OFF_CHANNEL})


class FlagQuerySet(OwnedQuerySet):
    def live(self) -> "FlagQuerySet":
        """Not resolved: open, acknowledged or snoozed."""
        return self.exclude(state=Flag.State.RESOLVED)

    def needing_attention(self, now=None):
        """Open, or snoozed until a moment that has passed."""
        now = now or timezone.now()
        return self.filter(
            Q(state=Flag.State.OPEN) | Q(state=Flag.State.SNOOZED, snoozed_until__lte=now)
        )

    def visible(self, now):
        """What the dashboard lists: needing attention, plus acknowledged flags still live."""
        return self.filter(
            Q(state__in=[Flag.State.OPEN, Flag.State.ACKNOWLEDGED])
            | Q(state=Flag.State.SNOOZED, snoozed_until__lte=now)
        )


class Flag(Owned):
    """A signal raised by a rule about one subject: open → acknowledged / snoozed → resolved."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"

    class ResolvedBy(models.TextChoices):
        RULE = "rule", "The rule cleared"
        HAND = "hand", "By hand"

    owner_from = "client"
    rule = models.CharField(max_length=20, choices=Rule.choices)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    # What the flag is about: always a client, and at most one of the finer subjects. `subject`
    # is the key the uniqueness is enforced on ("client:3", "expectation:17", "interaction:40").
    subject = models.CharField(max_length=40)
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="flags")
    expectation = models.ForeignKey(
        Expectation, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    interaction = models.ForeignKey(
        Interaction, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    change_record = models.ForeignKey(
        ChangeRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )

    summary = models.CharField(max_length=300)
    figures = models.JSONField(
        default=dict, blank=True, help_text="The numbers that raised the flag."
    )
    since = models.DateTimeField(
        null=True, blank=True, help_text="When the condition began (e.g. the unanswered message)."
    )
    warn_at = models.DateTimeField(null=True, blank=True)
    breach_at = models.DateTimeField(
        null=True, blank=True, help_text="When it becomes (or became) a breach."
    )

    opened_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(
        default=timezone.now, help_text="When a pass last changed what it says."
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True, validators=[validate_date_in_range])
    snooze_reason = models.CharField(max_length=300, blank=True, validators=[no_nul])
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=4, choices=ResolvedBy.choices, blank=True)
    resolution_note = models.TextField(
        blank=True, max_length=TEXT_LIMIT, validators=text_validators()
    )

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "rule", "subject"],
                condition=~Q(state="resolved"),
                name="one_live_flag_per_rule_and_subject",
            ),
            models.CheckConstraint(
                condition=~Q(state="snoozed") | Q(snoozed_until__isnull=False),
                name="snoozed_flag_has_an_expiry",
            ),
            models.CheckConstraint(
                condition=~Q(state="resolved") | Q(resolved_at__isnull=False),
                name="resolved_flag_has_a_time",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "state", "rule"]),
            # The dashboard's most pressing live flags of each severity, read in order.
            models.Index(
                "owner",
                "severity",
                "breach_at",
                F("opened_at").desc(),
                F("id").desc(),
                condition=~Q(state="resolved"),
                name="flag_pressing",
            ),
        ]

    def __str__(self):
        return f"{self.get_rule_display()} ({self.severity}): {self.summary}"

    @property
    def clears_on_acknowledge(self) -> bool:
        """Flags about one event (an out-of-hours message) are done once seen."""
        return self.rule in ACKNOWLEDGE_CLEARS

    def _transition(self, from_states, **changes) -> bool:
        """Conditional update from one of `from_states`; False if someone else moved it first."""
        with transaction.atomic():  # the change and what it announces commit together
            done = Flag.objects.filter(pk=self.pk, state__in=from_states).update(**changes)
            if done and changes.get("state") == self.State.RESOLVED:
                events.announce_flags(Flag, self.owner_id, [(events.FLAG_RESOLVED, self.pk)])
        if done:
            dashboard_cache.changed(self.owner_id, dashboard_cache.FLAGS)
            ClientActivity.mark_due([self.client_id])
            for name, value in changes.items():
                setattr(self, name, value)
        return bool(done)

    def acknowledge(self, now=None) -> bool:
        now = now or timezone.now()
        changes = {"state": self.State.ACKNOWLEDGED, "acknowledged_at": now}
        if self.clears_on_acknowledge:
            changes |= {
                "state": self.State.RESOLVED,
                "resolved_at": now,
                "resolved_by": self.ResolvedBy.HAND,
            }
        return self._transition([self.State.OPEN, self.State.SNOOZED], **changes)

    def snooze(self, until, reason: str, now=None) -> bool:
        now = now or timezone.now()
        if until <= now:
            raise ValueError("A snooze must end in the future.")
        if not reason.strip():
            raise ValueError("Say why you are snoozing it.")
        return self._transition(
            [self.State.OPEN, self.State.ACKNOWLEDGED, self.State.SNOOZED],
            state=self.State.SNOOZED,
            snoozed_until=until,
            snooze_reason=reason.strip(),
        )

    def resolve(self, note: str, now=None) -> bool:
        """Resolve by hand, with a note saying how."""
        return self._transition(
            [self.State.OPEN, self.State.ACKNOWLEDGED, self.State.SNOOZED],
            state=self.State.RESOLVED,
            resolved_at=now or timezone.now(),
            resolved_by=self.ResolvedBy.HAND,
            resolution_note=note.strip(),
        )
