"""What the weekly review shows: each active client's week, looked back on, in fixed queries.

The review looks back. `/review/` opens on the week that ended until the freelancer's first
working day of the new week is over, then on the week in progress (`default_week`); that week
and the one before it can still be decided on, older ones are read-only.

A week's score is the client's health as that week ended: the snapshot taken when the next week
began (engagements/snapshots.py takes it at the start of the first working window), or health
now for the week in progress, and for the week just ended until its snapshot is taken. The
trend, the prompts and their reasons all read that one series, so an amber score never sits
under "red two weeks running".
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q

from clients import scripts
from clients.business_time import BusinessCalendar
from clients.formats import day_date, plural
from clients.validation import EARLIEST, LATEST
from engagements.evaluation import load_pass
from engagements.health import AMBER, GREEN, band, health_by_client, iso_monday
from engagements.models import (
    ChangeRecord,
    Flag,
    HealthSnapshot,
    Interaction,
    ReviewEntry,
    Rule,
    WeeklyReview,
)
from engagements.rules import Thresholds

TREND_WEEKS = 8
# (client id, the week it was taken in) → (score, components)
Snapshots = dict[tuple[int, date], tuple[int, list[dict[str, Any]]]]
WEEK = timedelta(weeks=1)
# A decision → the message script that carries it out.
DECISION_SCRIPTS = {
    ReviewEntry.Decision.STATE_BOUNDARY: "boundary",
    ReviewEntry.Decision.WALK_AWAY: "exit",
    ReviewEntry.Decision.RESET_EXPECTATIONS: "reply_window",
}
# Decisions that change course: the step-back questions open for them.
STEP_BACK_DECISIONS = frozenset(DECISION_SCRIPTS)
WEEK_PATTERN = re.compile(r"(\d{4})-W(\d{2})")


def parse_week(text: str) -> date | None:
    """The Monday of an ISO week written "2026-W48"; None if it is not one, or not within the
    years a date may have (clients.validation)."""
    match = WEEK_PATTERN.fullmatch(text)
    if not match:
        return None
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None
    return monday if EARLIEST <= monday <= LATEST else None


def week_label(week: date) -> str:
    return f"{week:%G-W%V}"


def week_span(week: date) -> str:
    """ "Mon 23 – Sun 29 Nov 2026"."""
    sunday = week + timedelta(days=6)
    first = day_date(week) if week.month != sunday.month else f"{week:%a} {week.day}"
    return f"{first} – {day_date(sunday)} {sunday.year}"


def this_week(calendar: BusinessCalendar, now: datetime) -> date:
    return iso_monday(now.astimezone(calendar.tz).date())


def default_week(calendar: BusinessCalendar, now: datetime) -> date:
    """The week the review opens on: the one that ended, until the first working day of the
    new week is over (Monday's last window has ended, or Tuesday's after a Monday holiday), then
    the week in progress. A week without working days keeps looking back."""
    monday = this_week(calendar, now)
    for n in range(7):
        end = calendar.end_of_working_day(monday + timedelta(days=n))
        if end is not None:
            return monday if now >= end else monday - WEEK
    return monday - WEEK


def is_open(week: date, current: date) -> bool:
    """Decisions can be saved for the week in progress and the one that ended before it."""
    return current - WEEK <= week <= current


@dataclass(frozen=True)
class Point:
    """A week's score in the trend: health as the week ended (or so far, this week)."""

    week: date
    score: int | None

    @property
    def label(self) -> str:
        return f"W{self.week:%V}"

    @property
    def band(self) -> str | None:
        return band(self.score) if self.score is not None else None


@dataclass(frozen=True)
class Snooze:
    rule: str
    summary: str
    until: datetime
    reason: str


@dataclass
class ClientWeek:
    """One row of the review."""

    client_id: int
    name: str
    score: int | None
    components: list[dict[str, Any]] = field(default_factory=list)
    trend: list[Point] = field(default_factory=list)  # oldest → newest, the last is `score`'s
    inbound: int = 0
    outbound: int = 0
    out_of_hours: int = 0
    flags_opened: int = 0
    flags_resolved: int = 0
    due_changes: int = 0
    entry: ReviewEntry | None = None
    previous: ReviewEntry | None = None  # the decision of the week before
    snoozes: list[Snooze] = field(default_factory=list)
    walk_away: str = ""  # why a live walk-away flag is there; "" when there is none

    @property
    def band(self) -> str | None:
        return band(self.score) if self.score is not None else None

    @property
    def seek_support(self) -> str:
        """Red two weeks running (the week and the one before, as they ended): suggest talking
        it through with a mentor or a peer, saying which weeks and scores; "" otherwise."""
        last = self.trend[-2:]
        if len(last) < 2 or any(p.band != "red" for p in last):
            return ""
        return "Red two weeks running: " + " and ".join(f"{p.score} in {p.label}" for p in last)

    @property
    def step_back_open(self) -> bool:
        """The step-back questions are open when the decision changes course, or answered."""
        e = self.entry
        return e is not None and (
            e.decision in STEP_BACK_DECISIONS or bool(e.concern or e.unclear or e.peer_advice)
        )

    @property
    def since_then(self) -> str:
        """What happened in the week after last week's decision (this review's week)."""
        flags = f"flags {self.flags_opened} opened, {self.flags_resolved} resolved"
        return f"{self.inbound} in · {self.outbound} out · {flags}"

    @property
    def decision_script(self) -> tuple[str, str] | None:
        """(URL, title) of the script that carries out the decision taken, if there is one."""
        key = DECISION_SCRIPTS.get(self.entry.decision) if self.entry else None
        if key is None:
            return None
        return scripts.script_url(self.client_id, key), scripts.BUILTINS[key].title

    @property
    def exit_script_url(self) -> str:
        return scripts.script_url(self.client_id, "exit")

    @property
    def sparkline(self) -> list[dict[str, Any]]:
        """The trend's points in the review's chart (x 20–116, y 4–36 for 100–0)."""
        step = 96 / max(1, TREND_WEEKS - 1)
        return [
            {"x": round(20 + i * step, 1), "y": y(p.score), "point": p}
            for i, p in enumerate(self.trend)
            if p.score is not None
        ]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p['x']},{p['y']}" for p in self.sparkline)


def y(score: int) -> float:
    """Where a score sits in the chart: 100 at the top (4), 0 at the bottom (36)."""
    return round(36 - score * 0.32, 1)


# The chart's scale and band thresholds, for the template.
SCALE = {"top": y(100), "green": y(GREEN), "amber": y(AMBER), "bottom": y(0)}


@dataclass
class Review:
    week: date
    review: WeeklyReview | None
    rows: list[ClientWeek]
    current: date  # the week in progress
    default: date  # the week /review/ opens on

    @property
    def label(self) -> str:
        return week_label(self.week)

    @property
    def span(self) -> str:
        return week_span(self.week)

    @property
    def read_only(self) -> bool:
        return not is_open(self.week, self.current)

    @property
    def in_progress(self) -> bool:
        return self.week == self.current


def build_review(owner_id: int, week: date, now: datetime) -> Review:
    """The review of `week` for one freelancer, in a fixed number of queries whatever the
    number of clients."""
    p = load_pass(owner_id, now)
    assert p is not None, "a freelancer signed in has a profile"
    tz = p.calendar.tz
    start = datetime.combine(week, time(0), tzinfo=tz)
    end = datetime.combine(week + WEEK, time(0), tzinfo=tz)
    current = this_week(p.calendar, now)
    active = {cid: c for cid, c in p.clients.items() if c.status == "active"}

    # Snapshots are labelled by the week they were taken in, as it began: week W ended when
    # snapshot W + 1 was taken. Enough of them for the trend and the walk-away reason.
    first = week - (TREND_WEEKS - 1) * WEEK
    oldest = min(first + WEEK, current - p.thresholds.walk_away_weeks * WEEK)
    snapshots: Snapshots = {}
    for client_id, taken, score, components in HealthSnapshot.objects.filter(
        owner_id=owner_id, week__gte=oldest, week__lte=max(week + WEEK, current)
    ).values_list("client_id", "week", "score", "components"):
        snapshots[client_id, taken] = (score, components)
    needs_live = week == current or (
        week + WEEK == current and any((cid, current) not in snapshots for cid in active)
    )
    live = health_by_client(p, now) if needs_live else {}

    def as_ended(cid: int, w: date) -> tuple[int, list[dict[str, Any]]] | None:
        """The client's health as week `w` ended (so far, for the week in progress)."""
        if (snap := snapshots.get((cid, w + WEEK))) is not None:
            return snap
        if cid in live and w + WEEK >= current:
            h = live[cid]
            return h.score, [c.as_dict() | {"label": c.label} for c in h.components]
        return None

    rows = {}
    for cid, c in active.items():
        shown = as_ended(cid, week)
        trend = [
            Point(w, s[0] if (s := as_ended(cid, w)) else None)
            for w in (first + n * WEEK for n in range(TREND_WEEKS))
        ]
        rows[cid] = ClientWeek(
            cid, c.name, shown[0] if shown else None, shown[1] if shown else [], trend
        )

    _count_the_week(rows, owner_id, start, end)
    entries = ReviewEntry.objects.filter(
        owner_id=owner_id, review__week__in=[week, week - WEEK]
    ).select_related("review")
    for entry in entries:
        if r := rows.get(entry.client_id):
            if entry.review.week == week:
                r.entry = entry
            else:
                r.previous = entry
    if is_open(week, current):
        _now_open(rows, owner_id, now, p.thresholds, snapshots, current)

    review = WeeklyReview.objects.filter(owner_id=owner_id, week=week).first()
    ordered = sorted(
        rows.values(),
        key=lambda r: (r.score is None, r.score if r.score is not None else 0, r.name),
    )
    return Review(week, review, ordered, current, default_week(p.calendar, now))


def _count_the_week(
    rows: dict[int, ClientWeek], owner_id: int, start: datetime, end: datetime
) -> None:
    """What happened that week: messages each way, out of hours, flags, moved due dates."""
    week_log = Interaction.objects.filter(
        owner_id=owner_id, occurred_at__gte=start, occurred_at__lt=end
    )
    for row in week_log.counts_by_client():
        if r := rows.get(row["client_id"]):
            r.inbound, r.outbound, r.out_of_hours = (
                row["inbound"],
                row["outbound"],
                row["out_of_hours"],
            )
    in_week = {"gte": start, "lt": end}
    opened = Q(**{f"opened_at__{k}": v for k, v in in_week.items()})
    resolved = Q(**{f"resolved_at__{k}": v for k, v in in_week.items()})
    for row in (
        Flag.objects.filter(owner_id=owner_id)
        .filter(opened | resolved)
        .values("client_id")
        .annotate(opened=Count("pk", filter=opened), resolved=Count("pk", filter=resolved))
    ):
        if r := rows.get(row["client_id"]):
            r.flags_opened, r.flags_resolved = row["opened"], row["resolved"]
    for row in (
        ChangeRecord.objects.filter(
            owner_id=owner_id, field="due", changed_at__gte=start, changed_at__lt=end
        )
        .values("client_id")
        .annotate(n=Count("pk"))
    ):
        if r := rows.get(row["client_id"]):
            r.due_changes = row["n"]


def _now_open(
    rows: dict[int, ClientWeek],
    owner_id: int,
    now: datetime,
    t: Thresholds,
    snapshots: Snapshots,
    current: date,
) -> None:
    """What stands now, for a review still being decided on: the snoozes and the walk-away
    flags, with why."""
    flags = (
        Flag.objects.filter(owner_id=owner_id)
        .live()
        .filter(Q(state=Flag.State.SNOOZED, snoozed_until__gt=now) | Q(rule=Rule.WALK_AWAY))
        .order_by("snoozed_until")
    )
    for flag in flags:
        r = rows.get(flag.client_id)
        if r is None:
            continue
        if flag.state == Flag.State.SNOOZED and flag.snoozed_until > now:
            r.snoozes.append(
                Snooze(Rule(flag.rule).label, flag.summary, flag.snoozed_until, flag.snooze_reason)
            )
        if flag.rule == Rule.WALK_AWAY:
            r.walk_away = walk_away_reason(flag.figures, t, _latest_run(snapshots, r, current))


def _latest_run(snapshots: Snapshots, row: ClientWeek, current: date) -> list[Point]:
    """The client's latest consecutive snapshots, newest first, as the weeks they ended."""
    run = []
    taken = current
    if (row.client_id, taken) not in snapshots:
        taken -= WEEK
    while (snap := snapshots.get((row.client_id, taken))) is not None:
        run.append(Point(taken - WEEK, snap[0]))
        taken -= WEEK
    return run


def walk_away_reason(figures: dict[str, Any], t: Thresholds, run: list[Point]) -> str:
    """Why the walk-away flag is up, with the weeks and their scores: "Health below 40 for 3
    weeks running: 38 in W46, 33 in W47, 29 in W48."."""
    reasons = []
    if "scores" in figures:
        weeks = figures.get("weeks", t.walk_away_weeks)
        scores = list(figures["scores"])  # newest first
        named = run[: len(scores)]
        if [p.score for p in named] == scores:
            shown = ", ".join(f"{p.score} in {p.label}" for p in reversed(named))
        else:  # the snapshots moved on since the last pass: the flag's own figures
            shown = ", ".join(str(s) for s in reversed(scores))
        below = figures.get("below", t.walk_away_score)
        reasons.append(f"Health below {below} for {plural(weeks, 'week')} running: {shown}.")
    if n := figures.get("after_boundary_statement"):
        reasons.append(
            f"{plural(n, 'out-of-hours message')} since you sent the boundary statement."
        )
    return " ".join(reasons) or "The walk-away rule has flagged this client."
