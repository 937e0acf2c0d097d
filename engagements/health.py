"""Client health: a 0–100 score from behaviour over the last four weeks, every part visible.

The formula lives here and only here. Each component scores 0–1 from facts about one client
(`ClientFacts`, gathered for all of a freelancer's clients in a fixed number of queries by
`health_by_client`), and the score is the weighted mean, ×100:

| component              | weight | 1.0 means                               | 0.0 means                          |
|------------------------|--------|-----------------------------------------|------------------------------------|
| my responsiveness      | 25     | every reply within the reply window     | none was                           |
| client responsiveness  | 15     | everything they owed came on time       | nothing did                        |
| out-of-hours contact   | 15     | none of their messages out of my hours  | half or more were                  |
| open breaches          | 15     | no red flag open                        | two or more                        |
| deadline reliability   | 15     | my deliverables on time, dates kept     | late, or dates moved 5+ times      |
| documentation          | 5      | every agreement confirmed in writing    | none was                           |
| tone                   | 10     | no tense or hostile message             | two hostile (or four tense) ones   |

A component with nothing to judge (no deliverable fell due, say) counts as 1.0 and says so.
Bands: green ≥ 75, amber 50–74, red < 50.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Count, OuterRef, Q, Subquery

from clients.business_time import BusinessCalendar
from engagements.models import ChangeRecord, Expectation, Flag, Interaction, Severity

if TYPE_CHECKING:
    from engagements.evaluation import Pass

Dated = tuple[date, datetime | None]  # (due, completed_at or None)

WINDOW = timedelta(days=28)
WEIGHTS = {
    "my_responsiveness": 25,
    "client_responsiveness": 15,
    "out_of_hours": 15,
    "open_breaches": 15,
    "deadlines": 15,
    "documentation": 5,
    "tone": 10,
}
LABELS = {
    "my_responsiveness": "My responsiveness",
    "client_responsiveness": "Client responsiveness",
    "out_of_hours": "Out-of-hours contact",
    "open_breaches": "Open breaches",
    "deadlines": "Deadline reliability",
    "documentation": "Documentation",
    "tone": "Tone",
}
GREEN, AMBER = 75, 50


def band(score: int) -> str:
    return "green" if score >= GREEN else "amber" if score >= AMBER else "red"


@dataclass
class ClientFacts:
    """What happened with one client in the window (plus what is open now)."""

    reply_window_hours: int = 8
    replies: list[tuple[datetime, datetime | None]] = field(
        default_factory=list
    )  # (asked, answered)
    client_owed: list[Dated] = field(default_factory=list)
    mine_owed: list[Dated] = field(default_factory=list)
    inbound: int = 0
    inbound_out_of_hours: int = 0
    hostile: int = 0
    tense: int = 0
    open_breaches: int = 0
    due_date_changes: int = 0
    agreements: int = 0
    unconfirmed: int = 0


@dataclass(frozen=True)
class Component:
    key: str
    score: float
    explanation: str

    @property
    def label(self) -> str:
        return LABELS[self.key]

    @property
    def weight(self) -> int:
        return WEIGHTS[self.key]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "score": round(self.score, 3), "explanation": self.explanation}


@dataclass(frozen=True)
class Health:
    score: int
    components: tuple[Component, ...]

    @property
    def band(self) -> str:
        return band(self.score)


def on_time(items: Iterable[Dated], cal: BusinessCalendar, now: datetime) -> tuple[int, int]:
    """(on time, judged) for things due by the end of their due date."""
    judged = done = 0
    for due, completed_at in items:
        end = datetime.combine(due + timedelta(days=1), time(0), tzinfo=cal.tz)
        if completed_at is not None:
            judged += 1
            done += completed_at <= end
        elif now > end:
            judged += 1
    return done, judged


def score(facts: ClientFacts, cal: BusinessCalendar, now: datetime) -> Health:
    """The health of one client from its facts: pure, so every weight is easy to test."""
    parts = []

    window = timedelta(hours=facts.reply_window_hours)
    judged = prompt = 0
    for asked_at, answered_at in facts.replies:
        used = cal.working_time_between(asked_at, answered_at or now)
        if answered_at is not None or used > window:
            judged += 1
            prompt += answered_at is not None and used <= window
    parts.append(
        Component(
            "my_responsiveness",
            prompt / judged,
            f"{prompt} of {judged} replies within {facts.reply_window_hours} working hours",
        )
        if judged
        else Component("my_responsiveness", 1.0, "No reply fell due")
    )

    done, judged = on_time(facts.client_owed, cal, now)
    parts.append(
        Component(
            "client_responsiveness",
            done / judged,
            f"{done} of {judged} things they owed came on time",
        )
        if judged
        else Component("client_responsiveness", 1.0, "They owed nothing that fell due")
    )

    share = facts.inbound_out_of_hours / facts.inbound if facts.inbound else 0.0
    parts.append(
        Component(
            "out_of_hours",
            max(0.0, 1 - 2 * share),
            f"{share:.0%} of their {facts.inbound} messages came out of your hours"
            if facts.inbound
            else "No messages from them",
        )
    )

    n = facts.open_breaches
    parts.append(
        Component("open_breaches", max(0.0, 1 - n / 2), f"{n} red flag{'s' * (n != 1)} open")
    )

    done, judged = on_time(facts.mine_owed, cal, now)
    reliability = done / judged if judged else 1.0
    drift = max(0.0, 1 - 0.2 * facts.due_date_changes)
    words = (
        f"{done} of {judged} of your deliverables on time"
        if judged
        else "Nothing of yours fell due"
    )
    parts.append(
        Component(
            "deadlines",
            reliability * drift,
            f"{words}; due dates moved {facts.due_date_changes} time{'s' * (facts.due_date_changes != 1)}",
        )
    )

    if facts.agreements:
        confirmed = facts.agreements - facts.unconfirmed
        parts.append(
            Component(
                "documentation",
                confirmed / facts.agreements,
                f"{confirmed} of {facts.agreements} agreements confirmed in writing",
            )
        )
    else:
        parts.append(Component("documentation", 1.0, "No new agreements"))

    incidents = facts.hostile + facts.tense / 2
    parts.append(
        Component(
            "tone",
            max(0.0, 1 - incidents / 2),
            f"{facts.hostile} hostile and {facts.tense} tense message{'s' * (facts.tense != 1)}",
        )
    )

    total = sum(p.weight * p.score for p in parts) / sum(WEIGHTS.values())
    return Health(round(100 * total), tuple(parts))


def health_by_client(p: "Pass", now: datetime) -> dict[int, Health]:
    """Health of every client in an evaluation pass (engagements.evaluation.load_pass), in six
    queries whatever the number of clients."""
    since = now - WINDOW
    facts = {
        cid: ClientFacts(reply_window_hours=c.reply_window_hours) for cid, c in p.clients.items()
    }

    def for_client(client_id: int) -> ClientFacts | None:
        return facts.get(client_id)

    log = Interaction.objects.filter(owner_id=p.owner_id, occurred_at__gte=since)
    answered = Interaction.objects.filter(
        client=OuterRef("client"),
        direction=Interaction.Direction.OUTBOUND,
        occurred_at__gt=OuterRef("occurred_at"),
    ).order_by("occurred_at")
    requests = log.filter(direction=Interaction.Direction.INBOUND, needs_reply=True).annotate(
        answered_at=Subquery(answered.values("occurred_at")[:1])
    )
    for client_id, asked_at, answered_at in requests.values_list(
        "client_id", "occurred_at", "answered_at"
    ):
        if f := for_client(client_id):
            f.replies.append((asked_at, answered_at))

    for row in log.counts_by_client():
        if f := for_client(row["client_id"]):
            f.inbound, f.inbound_out_of_hours = row["inbound"], row["out_of_hours"]
            f.hostile, f.tense = row["hostile"], row["tense"]

    today = now.astimezone(p.calendar.tz).date()
    expectations = Expectation.objects.filter(owner_id=p.owner_id).exclude(
        status=Expectation.Status.CANCELLED
    )
    window_start = since.astimezone(p.calendar.tz).date()
    for client_id, owed_by, due, completed_at, created_at, confirmed in expectations.filter(
        Q(due__gte=window_start, due__lt=today) | Q(created_at__gte=since)
    ).values_list(
        "client_id", "owed_by", "due", "completed_at", "created_at", "confirmed_in_writing"
    ):
        if not (f := for_client(client_id)):
            continue
        if window_start <= due < today:
            (f.client_owed if owed_by == "client" else f.mine_owed).append((due, completed_at))
        if created_at >= since:
            f.agreements += 1
            f.unconfirmed += not confirmed

    changes = (
        ChangeRecord.objects.filter(owner_id=p.owner_id, changed_at__gte=since)
        .values("client_id")
        .annotate(
            n=Count("pk"),
            unconfirmed=Count("pk", filter=Q(confirmed_in_writing=False)),
            due_changes=Count("pk", filter=Q(field="due")),
        )
    )
    for change in changes:
        if f := for_client(change["client_id"]):
            f.agreements += change["n"]
            f.unconfirmed += change["unconfirmed"]
            f.due_date_changes += change["due_changes"]

    breaches = (
        Flag.objects.filter(owner_id=p.owner_id, severity=Severity.BREACH)
        .exclude(state=Flag.State.RESOLVED)
        .values("client_id")
        .annotate(n=Count("pk"))
    )
    for breach in breaches:
        if f := for_client(breach["client_id"]):
            f.open_breaches = breach["n"]

    return {client_id: score(f, p.calendar, now) for client_id, f in facts.items()}


def iso_monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def snapshot_moment(cal: BusinessCalendar, week: date) -> datetime:
    """When the week's snapshot is due: the start of the freelancer's first working window of
    that ISO week (Monday, or the first working day after a holiday), or Monday 00:00 in their
    zone when the week has no working time at all."""
    monday = datetime.combine(week, time(0), tzinfo=cal.tz)
    first = cal.next_working_start(monday)
    if first is None or first >= monday + timedelta(days=7):
        return monday
    return first
