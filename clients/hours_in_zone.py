"""The freelancer's weekly working windows read on another zone's clock. Pure: no database.

"Mon–Fri 09:00–17:00 Berlin time = Mon–Fri 03:00–11:00 New York time until 8 Mar, then
Mon–Fri 04:00–12:00 …": what the boundary and reply-window scripts say to a client.

- `convert_week()` converts one real week's windows with the zones' real offsets, so a window
  that spans a clock change is shorter or longer on the other clock, as it really is.
- `clock_changes()` finds the moments a zone changes its UTC offset within N days.
- `hours_statement()` puts them together: the hours now, and how they read after each clock
  change (in either zone) within the horizon. Each period between changes is converted with the
  offsets in force during it, so a week that straddles a change never muddles the sentence.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from clients.business_time import DAY_NAMES, Window
from clients.formats import city as zone_name

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HORIZON_DAYS = 60
_STEP = timedelta(hours=6)  # no zone changes its offset twice within six hours


def hhmm(t: time) -> str:
    return f"{t:%H:%M}"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class Converted:
    """One working window of a given week: aware start/end at home and on the other clock."""

    window: Window
    home_start: datetime
    home_end: datetime
    start: datetime  # on the other zone's clock
    end: datetime

    @property
    def day_shift(self) -> int:
        """Days between the window's start on the two clocks' calendars: -1, 0 or +1."""
        return (self.start.date() - self.home_start.date()).days

    @property
    def end_shift(self) -> int:
        """Days between the window's start and end on the other clock (0, or 1 past midnight);
        an end at exactly midnight counts as the same day (shown as 24:00)."""
        days = (self.end.date() - self.start.date()).days
        return days - 1 if days and self.end.time() == time() else days

    @property
    def shifts_days(self) -> bool:
        return self.day_shift != 0 or self.end_shift != 0


def _sorted(windows: Iterable[Window]) -> list[Window]:
    return sorted(windows, key=lambda w: (w.weekday, w.start))


def convert_week(
    windows: Iterable[Window], home: tzinfo, there: tzinfo, monday: date
) -> tuple[Converted, ...]:
    """Each window of the week starting ``monday`` (a date on the home calendar), converted.

    A wall-clock time that does not exist at home (inside a spring-forward gap) is read with the
    offset before the change, as zoneinfo does (fold=0).
    """
    if monday.weekday() != 0:
        raise ValueError(f"{monday} is not a Monday.")
    result = []
    for w in _sorted(windows):
        midnight = datetime.combine(monday + timedelta(days=w.weekday), time(), tzinfo=home)
        home_start, home_end = (midnight + b for b in w.bounds)  # wall-clock arithmetic
        result.append(
            Converted(
                w, home_start, home_end, home_start.astimezone(there), home_end.astimezone(there)
            )
        )
    return tuple(result)


@dataclass(frozen=True)
class ClockChange:
    zone: ZoneInfo
    at: datetime  # the first instant (UTC) with the new offset
    before: timedelta
    after: timedelta

    @property
    def local_date(self) -> date:
        return self.at.astimezone(self.zone).date()

    @property
    def direction(self) -> str:
        return "forward" if self.after > self.before else "back"


def _offset(zone: tzinfo, at: datetime) -> timedelta:
    return at.astimezone(zone).utcoffset()


def clock_changes(zone: ZoneInfo, start: datetime, days: int = HORIZON_DAYS) -> list[ClockChange]:
    """The offset changes of ``zone`` in ``(start, start + days]``, in order."""
    t, end = start.astimezone(UTC), start.astimezone(UTC) + timedelta(days=days)
    changes = []
    while t < end:
        nxt = min(t + _STEP, end)
        before, after = _offset(zone, t), _offset(zone, nxt)
        if before != after:
            lo, hi = t, nxt  # the change is in (lo, hi]: bisect to the second
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                lo, hi = (mid, hi) if _offset(zone, mid) == before else (lo, mid)
            at = hi.replace(microsecond=0)
            changes.append(ClockChange(zone, at, before, _offset(zone, at)))
        t = nxt
    return changes


def _day_list(days: list[int], names: tuple[str, ...] = DAYS, to: str = "–") -> str:
    """[0, 1, 2, 3] → "Mon–Thu"; [0, 2, 4] → "Mon, Wed, Fri"; [6, 0, 1] → "Sun–Tue"
    (consecutive in the order given, the week wrapping round). With the full names and
    `to=" to "`: "Sunday to Thursday", "Monday and Wednesday"."""
    runs: list[list[int]] = []
    for d in days:
        if runs and (runs[-1][-1] + 1) % 7 == d:
            runs[-1].append(d)
        else:
            runs.append([d])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{names[run[0]]}{to}{names[run[-1]]}")
        else:
            parts.extend(names[d] for d in run)
    return ", ".join(parts) if names is DAYS else _join(parts)


def _group(rows: list[tuple[int, tuple]]) -> list[tuple[list[int], tuple]]:
    """(day, pattern) rows → [(days, pattern)], one per distinct pattern, in order of first day."""
    groups: dict[tuple, list[int]] = {}
    for day, pattern in rows:
        groups.setdefault(pattern, []).append(day)
    return [(days, pattern) for pattern, days in groups.items()]


def describe_home(windows: Iterable[Window]) -> str:
    """ "Mon–Thu 09:00–12:30 and 13:30–17:30, Fri 09:00–14:00" on the freelancer's own clock;
    a night is "Mon–Fri 22:00–06:00 (overnight)": it belongs to the day it starts."""
    by_day: dict[int, list[str]] = {}
    for w in _sorted(windows):
        by_day.setdefault(w.weekday, []).append(
            w.hours + (" (overnight)" if w.crosses_midnight else "")
        )
    groups = _group([(d, tuple(spans)) for d, spans in by_day.items()])
    return ", ".join(f"{_day_list(days)} {' and '.join(spans)}" for days, spans in groups)


def _end_label(c: Converted) -> str:
    if c.end.time() == time() and c.end.date() != c.start.date():
        return "24:00"
    return hhmm(c.end.time())


def describe_there(converted: Iterable[Converted]) -> str:
    """The same windows on the other clock, grouped by the freelancer's working days, each day
    labelled with the weekday on which it starts over there: "Sun–Thu 15:00–19:00". A day that
    runs past midnight over there is named as the night it is: "22:45–02:45 and 03:45–07:45
    your Sunday to Thursday night" (never "Sun–Thu … 03:45–07:45", which reads as Sunday
    morning). Keeping the freelancer's grouping keeps a split shift readable across midnight."""
    by_day: dict[int, list[Converted]] = {}
    for c in converted:
        by_day.setdefault(c.window.weekday, []).append(c)
    rows = []
    for weekday, items in by_day.items():
        first = items[0]
        anchor = first.start.date()
        spans = tuple(
            (hhmm(c.start.time()), _end_label(c), (c.start.date() - anchor).days + c.end_shift)
            for c in items
        )
        rows.append(((weekday + first.day_shift) % 7, spans))
    groups = _group([(day, spans) for day, spans in rows])
    parts = []
    for days, spans in groups:
        hours = " and ".join(f"{s}–{e}" for s, e, _ in spans)
        if any(later for _, _, later in spans):
            parts.append(f"{hours} your {_day_list(days, DAY_NAMES, ' to ')} night")
        else:
            parts.append(f"{_day_list(days)} {hours}")
    return ", ".join(parts)


def _with_zone(there: str, zone: str) -> str:
    """ "Mon–Fri 03:00–11:00 New York time"; "22:45–02:45 St John's time, your Sunday to
    Thursday night" (the zone beside the hours, not after the night)."""
    hours, your, night = there.rpartition(" your ")
    if your and night.endswith(" night"):
        return f"{hours} {zone} time, your {night}"
    return f"{there} {zone} time"


def day_note(converted: Iterable[Converted], home: tzinfo, there: tzinfo) -> str:
    """When the days differ on the two calendars, say so with the first window that shows it:
    "Mon 09:00 Berlin = Mon 21:00 Auckland, Mon 17:00 Berlin = Tue 05:00 Auckland"."""
    c = next((c for c in converted if c.shifts_days), None)
    if c is None:
        return ""
    a, b = zone_name(home), zone_name(there)
    return (
        f"{c.home_start:%a %H:%M} {a} = {c.start:%a %H:%M} {b}, "
        f"{c.home_end:%a %H:%M} {a} = {c.end:%a %H:%M} {b}"
    )


def _fixed(zone: tzinfo, at: datetime) -> timezone:
    return timezone(_offset(zone, at))


@dataclass(frozen=True)
class Period:
    """The hours on the other clock from ``since`` (None: now) until the next change."""

    since: ClockChange | None
    there: str
    day_note: str


@dataclass(frozen=True)
class HoursStatement:
    home_zone: str  # "Berlin"
    there_zone: str  # "New York"
    home: str  # "Mon–Fri 09:00–17:00"
    periods: tuple[Period, ...]  # the first is now; one more per clock change in the horizon
    changes: tuple[ClockChange, ...] = field(default=())

    @property
    def there(self) -> str:
        return self.periods[0].there if self.periods else ""

    @property
    def same_clock(self) -> bool:
        return all(p.there == self.home and not p.day_note for p in self.periods)

    @property
    def mine(self) -> str:
        """ "Mon–Fri 09:00–17:00 Berlin time"."""
        return f"{self.home} {self.home_zone} time" if self.home else "no fixed working hours"

    @property
    def yours(self) -> str:
        """ "Mon–Fri 03:00–11:00 New York time until 8 Mar, then Mon–Fri 04:00–12:00 …"."""
        if not self.home:
            return "no fixed working hours"
        text = _with_zone(self.there, self.there_zone)
        seen = {self.there}
        for p in self.periods[1:]:
            text += f" until {_short(p.since)}, then {p.there}"
            text += " again" if p.there in seen else ""
            seen.add(p.there)
        return text

    @property
    def changes_note(self) -> str:
        """ "Clocks go forward in New York on Sun 8 Mar and in Berlin on Sun 29 Mar." or ""."""
        if not self.changes:
            return ""
        # "forward in Berlin and Paris on Sun 29 Mar", "back in Auckland on Sun 5 Apr"
        same: dict[tuple[str, str], list[str]] = {}
        for c in self.changes:
            same.setdefault((c.direction, _long(c)), []).append(zone_name(c.zone))
        parts, said = [], None
        for (direction, day), zones in same.items():
            where = f"in {_join(zones)} on {day}"
            parts.append(where if direction == said else f"{direction} {where}")
            said = direction
        note = f"Clocks go {_join(parts)}."
        if len(self.periods) == 1 and self.home:
            note += " These hours stay the same on your clock."
        return note

    @property
    def note(self) -> str:
        """The day-shift and clock-change notes, as one sentence or two (may be empty)."""
        notes = []
        if self.periods and self.periods[0].day_note:
            notes.append(f"Note the days: {self.periods[0].day_note}.")
        if self.changes_note:
            notes.append(self.changes_note)
        return " ".join(notes)

    @property
    def text(self) -> str:
        """The whole statement: "X Berlin time = Y New York time until …, then …. Notes."."""
        if not self.home:
            return "no fixed working hours"
        if self.same_clock and self.home_zone == self.there_zone:
            main = self.mine
        elif self.same_clock:
            main = f"{self.mine} (the same in {self.there_zone})"
        else:
            main = f"{self.mine} = {self.yours}"
        return f"{main}. {self.note}".strip() if self.note else main


def _short(change: ClockChange) -> str:
    d = change.local_date
    return f"{d.day} {d:%b}"


def _long(change: ClockChange) -> str:
    d = change.local_date
    return f"{d:%a} {d.day} {d:%b}"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def hours_statement(
    windows: Iterable[Window],
    home: ZoneInfo,
    there: ZoneInfo,
    now: datetime,
    horizon_days: int = HORIZON_DAYS,
) -> HoursStatement:
    """The freelancer's hours now on the other clock, and after each clock change in either zone
    within ``horizon_days``. A change that leaves the hours as they were adds no period but is
    still named (both zones changing on the same day, say)."""
    windows = _sorted(windows)
    changes = []
    if there.key != home.key:  # on one clock a clock change changes nothing worth saying
        changes = sorted(
            clock_changes(home, now, horizon_days) + clock_changes(there, now, horizon_days),
            key=lambda c: c.at,
        )
    # Changes within a day of each other (Sydney and Auckland on the same Sunday) make one step.
    steps: list[tuple[ClockChange, datetime]] = []
    for c in changes:
        if steps and c.at - steps[-1][0].at < timedelta(days=1):
            steps[-1] = (steps[-1][0], c.at)
        else:
            steps.append((c, c.at))
    monday = monday_of(now.astimezone(home).date())
    periods: list[Period] = []
    for since, at in [(None, now), *steps]:
        week = convert_week(windows, _fixed(home, at), _fixed(there, at), monday)
        text = describe_there(week)
        note = day_note(week, home, there) if since is None else ""
        if periods and text == periods[-1].there:
            continue
        periods.append(Period(since, text, note))
    return HoursStatement(
        home_zone=zone_name(home),
        there_zone=zone_name(there),
        home=describe_home(windows),
        periods=tuple(periods),
        changes=tuple(changes),
    )
