"""The rules as pure functions of data and time: each turns one candidate into a Finding or None.

The queries that find candidates live in engagements/evaluation.py; nothing here touches the
database, so every rule can be tested with plain values and a BusinessCalendar.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from clients.business_time import BusinessCalendar
from engagements.models.flag import Rule, Severity

RISK_LOOKAHEAD_DAYS = 366  # how far ahead deadline_changes looks for the day a deadline is at risk


@dataclass(frozen=True)
class Thresholds:
    """The freelancer's rule thresholds (FreelancerProfile fields of the same names)."""

    reply_warning_percent: int = 75
    boundary_pattern_count: int = 3
    boundary_pattern_days: int = 14
    disrespect_breach_count: int = 2
    disrespect_window_days: int = 30
    deadline_risk_days: int = 1
    undocumented_after_days: int = 1
    walk_away_score: int = 40
    walk_away_weeks: int = 3

    @classmethod
    def of(cls, profile: object) -> "Thresholds":
        return cls(**{name: getattr(profile, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Finding:
    """What a rule says about one subject right now; becomes (or updates) a Flag."""

    rule: str
    subject: str
    client_id: int
    severity: str
    summary: str
    figures: dict[str, Any] = field(default_factory=dict)
    since: datetime | None = None
    warn_at: datetime | None = None
    breach_at: datetime | None = None
    expectation_id: int | None = None
    interaction_id: int | None = None
    change_record_id: int | None = None


@dataclass(frozen=True)
class Timer:
    """A stretch of business time that started at `since`: amber at `warn_at`, red at `breach_at`."""

    since: datetime
    warn_at: datetime | None
    breach_at: datetime | None

    def severity(self, now: datetime) -> str | None:
        if self.breach_at is not None and now >= self.breach_at:
            return Severity.BREACH
        if self.warn_at is not None and now >= self.warn_at:
            return Severity.WARNING
        return None

    def next_change(self, now: datetime) -> datetime | None:
        """When the severity changes next after `now` (None: never, by time alone)."""
        return min((t for t in (self.warn_at, self.breach_at) if t and t > now), default=None)


def working_hours_timer(
    cal: BusinessCalendar, since: datetime, hours: int, warn_percent: int
) -> Timer:
    """`hours` of working time from `since`, warning at `warn_percent` of them."""
    window = timedelta(hours=hours)
    return Timer(
        since,
        cal.add_working_time(since, window * warn_percent / 100),
        cal.add_working_time(since, window),
    )


def working_days_timer(
    cal: BusinessCalendar, since: datetime, days: int, warn_percent: int
) -> Timer:
    """Due by the end of the `days`-th working day after `since`; warning at `warn_percent` of the
    working time in between."""
    due = cal.add_working_days(since, days)
    if due is None:
        return Timer(since, None, None)
    return Timer(
        since,
        cal.add_working_time(since, cal.working_time_between(since, due) * warn_percent / 100),
        due,
    )


def local_start_of(day: date, cal: BusinessCalendar) -> datetime:
    return datetime.combine(day, time(0), tzinfo=cal.tz)


def next_week_start(now: datetime, cal: BusinessCalendar) -> datetime:
    """Next Monday's local midnight, when the weeks of health snapshots a rule reads move on."""
    today = now.astimezone(cal.tz).date()
    return local_start_of(today + timedelta(days=7 - today.weekday()), cal)


# Rules about timers ------------------------------------------------------------------------


def reply_owed(
    cal: BusinessCalendar,
    t: Thresholds,
    now: datetime,
    *,
    client_id: int,
    client_name: str,
    interaction_id: int,
    asked_at: datetime,
    window_hours: int,
) -> Finding | None:
    """An inbound needing a reply with no outbound since: amber at 75 % of the reply window, red at 100 %."""
    timer = working_hours_timer(cal, asked_at, window_hours, t.reply_warning_percent)
    severity = timer.severity(now)
    if severity is None:
        return None
    return Finding(
        Rule.REPLY_OWED,
        f"interaction:{interaction_id}",
        client_id,
        severity,
        f"Reply owed to {client_name}",
        {"window_hours": window_hours, "warning_percent": t.reply_warning_percent},
        since=asked_at,
        warn_at=timer.warn_at,
        breach_at=timer.breach_at,
        interaction_id=interaction_id,
    )


def update_owed(
    cal: BusinessCalendar,
    t: Thresholds,
    now: datetime,
    *,
    client_id: int,
    client_name: str,
    last_update_at: datetime,
    cadence_days: int,
) -> Finding | None:
    """An active engagement and no progress update within the cadence (working days)."""
    return _cadence(
        Rule.UPDATE_OWED,
        f"Progress update owed to {client_name}",
        cal,
        t,
        now,
        client_id,
        last_update_at,
        cadence_days,
    )


def check_in_missed(
    cal: BusinessCalendar,
    t: Thresholds,
    now: datetime,
    *,
    client_id: int,
    client_name: str,
    last_check_in_at: datetime,
    cadence_days: int,
) -> Finding | None:
    """No check-in or meeting within the check-in cadence (working days)."""
    return _cadence(
        Rule.CHECK_IN_MISSED,
        f"Check-in with {client_name} is due",
        cal,
        t,
        now,
        client_id,
        last_check_in_at,
        cadence_days,
    )


def _cadence(
    rule: Rule,
    summary: str,
    cal: BusinessCalendar,
    t: Thresholds,
    now: datetime,
    client_id: int,
    since: datetime,
    cadence_days: int,
) -> Finding | None:
    """Amber at `reply_warning_percent` of the cadence's working time, red at its end."""
    timer = working_days_timer(cal, since, cadence_days, t.reply_warning_percent)
    severity = timer.severity(now)
    if severity is None:
        return None
    return Finding(
        rule,
        f"client:{client_id}",
        client_id,
        severity,
        summary,
        {"cadence_days": cadence_days},
        since=since,
        warn_at=timer.warn_at,
        breach_at=timer.breach_at,
    )


# Rules about expectations ------------------------------------------------------------------


def waiting_on_client(
    cal: BusinessCalendar,
    now: datetime,
    *,
    client_id: int,
    client_name: str,
    expectation_id: int,
    title: str,
    due: date,
    last_inbound_at: datetime | None,
) -> Finding | None:
    """Something the client owes is past due and they have been silent since it fell due."""
    due_start = local_start_of(due, cal)
    if now.astimezone(cal.tz).date() <= due or (
        last_inbound_at is not None and last_inbound_at >= due_start
    ):
        return None
    return Finding(
        Rule.WAITING_ON_CLIENT,
        f"expectation:{expectation_id}",
        client_id,
        Severity.WARNING,
        f"Waiting on {client_name}: {title}",
        {"due": due.isoformat()},
        since=local_start_of(due + timedelta(days=1), cal),
        expectation_id=expectation_id,
    )


def deadline(
    cal: BusinessCalendar,
    t: Thresholds,
    now: datetime,
    *,
    client_id: int,
    client_name: str,
    expectation_id: int,
    title: str,
    due: date,
    started: bool,
) -> Finding | None:
    """Something I owe is due within `deadline_risk_days` working days and not started (amber),
    or past due and not delivered (red)."""
    today = now.astimezone(cal.tz).date()
    figures = {"due": due.isoformat()}
    end_of_due = local_start_of(due + timedelta(days=1), cal)
    if due < today:
        return Finding(
            Rule.DEADLINE,
            f"expectation:{expectation_id}",
            client_id,
            Severity.BREACH,
            f"Overdue for {client_name}: {title}",
            figures,
            since=end_of_due,
            breach_at=end_of_due,
            expectation_id=expectation_id,
        )
    horizon = cal.add_working_days(now, t.deadline_risk_days)
    if started or horizon is None or due > horizon.astimezone(cal.tz).date():
        return None
    return Finding(
        Rule.DEADLINE,
        f"expectation:{expectation_id}",
        client_id,
        Severity.WARNING,
        f"At risk for {client_name}: {title} (not started)",
        figures,
        breach_at=end_of_due,
        expectation_id=expectation_id,
    )


def deadline_changes(
    cal: BusinessCalendar, t: Thresholds, now: datetime, *, due: date, started: bool
) -> datetime | None:
    """When deadline()'s verdict on this expectation next changes by time alone: the local
    midnight from which it is due within `deadline_risk_days` working days (amber, if not
    started), or the end of its due day (red). The horizon depends only on the local date."""
    end_of_due = local_start_of(due + timedelta(days=1), cal)
    if end_of_due <= now:
        return None
    if not started:
        day = now.astimezone(cal.tz).date()
        for n in range(min((due - day).days, RISK_LOOKAHEAD_DAYS) + 1):
            horizon = cal.add_working_days(
                local_start_of(day + timedelta(days=n), cal), t.deadline_risk_days
            )
            if horizon is not None and due <= horizon.astimezone(cal.tz).date():
                if n > 0:  # n == 0: at risk already
                    return local_start_of(day + timedelta(days=n), cal)
                break
        else:
            if due - day > timedelta(days=RISK_LOOKAHEAD_DAYS):
                # Not within the look-ahead: no sooner than its last day.
                return local_start_of(day + timedelta(days=RISK_LOOKAHEAD_DAYS + 1), cal)
    return end_of_due


def undocumented(
    cal: BusinessCalendar,
    t: Thresholds,
    now: datetime,
    *,
    client_id: int,
    client_name: str,
    subject: str,
    what: str,
    made_at: datetime,
    expectation_id: int | None = None,
    change_record_id: int | None = None,
) -> Finding | None:
    """An expectation or change not confirmed in writing `undocumented_after_days` working days on."""
    due = cal.add_working_days(made_at, t.undocumented_after_days)
    if due is None or now < due:
        return None
    return Finding(
        Rule.UNDOCUMENTED,
        subject,
        client_id,
        Severity.WARNING,
        f"Not confirmed in writing with {client_name}: {what}",
        {"after_days": t.undocumented_after_days},
        since=made_at,
        warn_at=due,
        expectation_id=expectation_id,
        change_record_id=change_record_id,
    )


# Rules about contact -----------------------------------------------------------------------


def out_of_hours(*, client_id: int, client_name: str, interaction_id: int, at: datetime) -> Finding:
    return Finding(
        Rule.OUT_OF_HOURS,
        f"interaction:{interaction_id}",
        client_id,
        Severity.INFO,
        f"{client_name} contacted you out of hours",
        since=at,
        interaction_id=interaction_id,
    )


def self_boundary(
    *, client_id: int, client_name: str, interaction_id: int, at: datetime
) -> Finding:
    return Finding(
        Rule.SELF_BOUNDARY,
        f"interaction:{interaction_id}",
        client_id,
        Severity.INFO,
        f"You wrote to {client_name} out of hours: it teaches them to expect it",
        since=at,
        interaction_id=interaction_id,
    )


def off_channel(
    *,
    client_id: int,
    client_name: str,
    interaction_id: int,
    at: datetime,
    channel: str,
    agreed: list[str],
) -> Finding | None:
    if channel in agreed:
        return None
    return Finding(
        Rule.OFF_CHANNEL,
        f"interaction:{interaction_id}",
        client_id,
        Severity.INFO,
        f"{client_name} used a channel you did not agree on ({channel})",
        {"channel": channel, "agreed": sorted(agreed)},
        since=at,
        interaction_id=interaction_id,
    )


def boundary_pattern(
    t: Thresholds, *, client_id: int, client_name: str, count: int, first_at: datetime
) -> Finding | None:
    """`boundary_pattern_count` or more out-of-hours inbound in `boundary_pattern_days` days."""
    if count < t.boundary_pattern_count:
        return None
    return Finding(
        Rule.BOUNDARY_PATTERN,
        f"client:{client_id}",
        client_id,
        Severity.WARNING,
        f"{client_name} keeps contacting you out of hours: time to state your hours",
        {"count": count, "days": t.boundary_pattern_days, "threshold": t.boundary_pattern_count},
        since=first_at,
    )


def disrespect(
    t: Thresholds, *, client_id: int, client_name: str, count: int, first_at: datetime
) -> Finding | None:
    """A hostile message (amber); `disrespect_breach_count` within the window (red)."""
    if count < 1:
        return None
    severity = Severity.BREACH if count >= t.disrespect_breach_count else Severity.WARNING
    return Finding(
        Rule.DISRESPECT,
        f"client:{client_id}",
        client_id,
        severity,
        f"Hostile tone from {client_name}",
        {"count": count, "days": t.disrespect_window_days},
        since=first_at,
    )


def walk_away(
    t: Thresholds,
    *,
    client_id: int,
    client_name: str,
    scores: list[int],
    after_boundary_statement: int = 0,
) -> Finding | None:
    """Health below `walk_away_score` in each of the last `walk_away_weeks` weekly snapshots
    (`scores`, newest first, consecutive weeks only), or the boundary pattern still firing after
    a boundary statement was sent (`after_boundary_statement` out-of-hours messages since)."""
    recent = scores[: t.walk_away_weeks]
    red = len(recent) == t.walk_away_weeks and all(s < t.walk_away_score for s in recent)
    ignored = after_boundary_statement >= t.boundary_pattern_count
    if not (red or ignored):
        return None
    figures = (
        {"scores": recent, "below": t.walk_away_score, "weeks": t.walk_away_weeks} if red else {}
    )
    if ignored:
        figures["after_boundary_statement"] = after_boundary_statement
    return Finding(
        Rule.WALK_AWAY,
        f"client:{client_id}",
        client_id,
        Severity.BREACH,
        f"Consider ending the engagement with {client_name}",
        figures,
    )
