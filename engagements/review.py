"""What the weekly review shows: each active client's health, trend and week, in fixed queries."""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q

from clients import scripts
from clients.validation import EARLIEST, LATEST
from engagements.evaluation import load_pass
from engagements.health import Health, band, health_by_client, iso_monday
from engagements.models import (
    ChangeRecord,
    Flag,
    HealthSnapshot,
    Interaction,
    ReviewEntry,
    Rule,
    WeeklyReview,
)

TREND_WEEKS = 8
# A decision → the message script that carries it out.
DECISION_SCRIPTS = {
    ReviewEntry.Decision.STATE_BOUNDARY: "boundary",
    ReviewEntry.Decision.WALK_AWAY: "exit",
    ReviewEntry.Decision.RESET_EXPECTATIONS: "reply_window",
}
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


@dataclass
class ClientWeek:
    """One row of the review."""

    client_id: int
    name: str
    score: int | None
    components: list = field(default_factory=list)
    trend: list = field(default_factory=list)  # weekly snapshots, oldest → newest, None where none
    inbound: int = 0
    outbound: int = 0
    out_of_hours: int = 0
    flags_opened: int = 0
    flags_resolved: int = 0
    due_changes: int = 0
    entry: ReviewEntry | None = None
    walk_away: bool = False  # a live walk-away flag (shown in this week's review only)

    @property
    def band(self) -> str | None:
        return band(self.score) if self.score is not None else None

    @property
    def step_back(self) -> bool:
        """Amber and red clients get the step-back questions."""
        return self.band in ("amber", "red")

    @property
    def seek_support(self) -> bool:
        """Red two weeks running: suggest talking it through with a mentor or a peer."""
        known = [s for s in self.trend if s is not None]
        return len(known) >= 2 and all(band(s) == "red" for s in known[-2:])

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
    def sparkline(self) -> str:
        """Points for an inline SVG polyline, 0–100 drawn in a 100 × 24 box."""
        points = [(i, s) for i, s in enumerate(self.trend) if s is not None]
        step = 100 / max(1, TREND_WEEKS - 1)
        return " ".join(f"{i * step:.0f},{24 - s * 0.24:.1f}" for i, s in points)


@dataclass
class Review:
    week: date
    review: WeeklyReview | None
    rows: list[ClientWeek]
    read_only: bool

    @property
    def label(self) -> str:
        return week_label(self.week)


def current_week(profile, now: datetime) -> date:
    return iso_monday(now.astimezone(profile.zone).date())


def build_review(owner_id: int, week: date, now: datetime) -> Review:
    p = load_pass(owner_id, now)
    tz = p.calendar.tz
    start = datetime.combine(week, time(0), tzinfo=tz)
    end = datetime.combine(week + timedelta(days=7), time(0), tzinfo=tz)
    this_week = iso_monday(now.astimezone(tz).date())
    active = {cid: c for cid, c in p.clients.items() if c.status == "active"}

    first = week - timedelta(weeks=TREND_WEEKS - 1)
    snapshots = {}
    for client_id, snap_week, score, components in HealthSnapshot.objects.filter(
        owner_id=owner_id, week__gte=first, week__lte=week
    ).values_list("client_id", "week", "score", "components"):
        snapshots[client_id, snap_week] = (score, components)
    live: dict[int, Health] = health_by_client(p, now) if week == this_week else {}

    rows = {}
    for cid, c in active.items():
        snap = snapshots.get((cid, week))
        if cid in live:
            score, components = (
                live[cid].score,
                [x.as_dict() | {"label": x.label} for x in live[cid].components],
            )
        elif snap:
            score, components = snap[0], snap[1]
        else:
            score, components = None, []
        trend = [
            snapshots.get((cid, first + timedelta(weeks=n)), (None,))[0] for n in range(TREND_WEEKS)
        ]
        rows[cid] = ClientWeek(cid, c.name, score, components, trend)

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
    for row in (
        Flag.objects.filter(owner_id=owner_id)
        .filter(
            Q(opened_at__gte=start, opened_at__lt=end)
            | Q(resolved_at__gte=start, resolved_at__lt=end)
        )
        .values("client_id")
        .annotate(
            opened=Count("pk", filter=Q(opened_at__gte=start, opened_at__lt=end)),
            resolved=Count("pk", filter=Q(resolved_at__gte=start, resolved_at__lt=end)),
        )
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
    if week == this_week:
        for client_id in (
            Flag.objects.filter(owner_id=owner_id, rule=Rule.WALK_AWAY)
            .live()
            .values_list("client_id", flat=True)
        ):
            if r := rows.get(client_id):
                r.walk_away = True

    review = WeeklyReview.objects.filter(owner_id=owner_id, week=week).first()
    if review:
        for entry in review.entries.all():
            if r := rows.get(entry.client_id):
                r.entry = entry
    ordered = sorted(
        rows.values(),
        key=lambda r: (r.score is None, r.score if r.score is not None else 0, r.name),
    )
    return Review(week, review, ordered, read_only=week < this_week)
