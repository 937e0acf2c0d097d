"""Business-time arithmetic for one freelancer: working windows, holidays, days off.

A window belongs to the weekday it starts on and runs ``[start, end)`` on the local wall clock;
an end at or before its start is on the next day (22:00–06:00 is a night, an end of 00:00 is
midnight, 24:00; 00:00–00:00 is the whole day). An instant is working time iff its local
wall-clock time in the freelancer's zone falls in a window of some local date, and that date
(the day the window starts) is not a public holiday or a personal day off. So a window covering
a DST gap is shorter in real time, one covering a repeated (fall-back) hour is longer, and a
local date that does not exist (Pacific/Apia, 2011-12-30) has no working time of its own (only
what its night runs into). Assumes a zone changes its UTC offset at most once in any two days.
All returned datetimes are aware UTC.
"""

import math
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
HORIZON_DAYS = 400  # give up after this many consecutive days without working time
SUMS_KEPT = 20_000  # remembered add_working_time/add_working_days answers per calendar
EMPTY_WINDOW = "a window cannot start and end at the same time (00:00–24:00 is the whole day)."
_DAY = timedelta(days=1)
_WEEK = 7 * _DAY
Period = tuple[datetime, datetime]


@dataclass(frozen=True)
class Window:
    """One working window on a weekday (0 = Monday), local wall-clock, ``[start, end)``; an end
    at or before the start is on the next day (00:00 as an end is 24:00)."""

    weekday: int
    start: time
    end: time

    @property
    def empty(self) -> bool:
        """Starts and ends at the same time, other than 00:00–00:00 (the whole day)."""
        return self.start == self.end and self.start != time(0)

    @property
    def bounds(self) -> tuple[timedelta, timedelta]:
        """Start and end after the local midnight that begins its day: (22 h, 30 h) for
        22:00–06:00, (22 h, 24 h) for 22:00–00:00, (0 h, 24 h) for 00:00–00:00."""
        start, end = _since_midnight(self.start), _since_midnight(self.end)
        return start, end if end > start else end + _DAY

    @property
    def crosses_midnight(self) -> bool:
        """Runs on past the end of its day (ending at 24:00 does not)."""
        return self.bounds[1] > _DAY

    @property
    def hours(self) -> str:
        """ "09:00–17:00", "22:00–24:00", "22:00–06:00"."""
        end = "24:00" if self.bounds[1] == _DAY else self.end.isoformat("minutes")
        return f"{self.start.isoformat('minutes')}–{end}"

    @property
    def label(self) -> str:
        """ "Monday 22:00–06:00"."""
        return f"{DAY_NAMES[self.weekday]} {self.hours}"

    def week_spans(self) -> list[tuple[timedelta, timedelta]]:
        """Where it lies in the week, from Monday 00:00 local: one span, and for a Sunday night
        running into Monday also that span a week earlier (so that the week wraps round)."""
        monday = self.weekday * _DAY
        start, end = monday + self.bounds[0], monday + self.bounds[1]
        spans = [(start, end)]
        if end > _WEEK:
            spans.append((start - _WEEK, end - _WEEK))
        return spans


def _since_midnight(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)


def _window(w: Window | tuple[int, time, time]) -> Window:
    return w if isinstance(w, Window) else Window(*w)


def overlapping(windows: Iterable[Window]) -> list[tuple[int, int]]:
    """Index pairs ``(i, j)``, ``i < j``, of windows that share some time of the week (a night
    overlaps the next morning's window; Sunday night overlaps Monday morning)."""
    spans = [w.week_spans() for w in windows]
    return [
        (i, j)
        for i, j in combinations(range(len(spans)), 2)
        if any(a < d and c < b for a, b in spans[i] for c, d in spans[j])
    ]


def validate_windows(windows: Iterable[Window | tuple[int, time, time]]) -> list[str]:
    """Human-readable problems with ``windows``; an empty list if they are fine."""
    problems, valid = [], []
    for w in map(_window, windows):
        if w.weekday not in range(7):
            problems.append(f"Weekday {w.weekday!r} is out of range (0 = Monday … 6 = Sunday).")
        elif w.empty:
            problems.append(f"{w.label}: {EMPTY_WINDOW}")
        else:
            valid.append(w)
    valid.sort(key=lambda w: (w.weekday, w.start))
    for i, j in overlapping(valid):
        problems.append(f"{valid[i].label} overlaps {valid[j].label}.")
    return problems


@cache
def _holiday_dates(country: str, subdiv: str, year: int) -> frozenset[date]:
    """One year's public holidays, frozen: a shared HolidayBase fills in years lazily, racily."""
    try:
        return frozenset(holidays.country_holidays(country, subdiv=subdiv or None, years=year))
    except NotImplementedError as exc:  # how the package reports unknown codes
        raise ValueError(f"Unknown holiday country/subdivision: {exc}") from None


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"Expected an aware datetime, got naive {at!r}.")
    return at.astimezone(UTC)


class BusinessCalendar:
    """Working windows per weekday in a time zone, minus public holidays and days off."""

    def __init__(
        self,
        tz: str | ZoneInfo,
        windows: Iterable[Window | tuple[int, time, time]],
        *,
        holiday_country: str = "",
        holiday_subdiv: str = "",
        days_off: Iterable[date] = (),
    ) -> None:
        try:
            self.tz = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"Unknown time zone: {tz!r}.") from None
        self.windows = tuple(map(_window, windows))
        # Overlaps are harmless here (working time is their union); nonsense windows are not.
        if bad := [w for w in self.windows if w.weekday not in range(7) or w.empty]:
            raise ValueError(" ".join(validate_windows(bad)))
        self._by_weekday = tuple(
            tuple(w.bounds for w in self.windows if w.weekday == wd) for wd in range(7)
        )
        self._region = (holiday_country.strip().upper(), holiday_subdiv.strip())
        if self._region[0]:
            _holiday_dates(*self._region, date.today().year)  # fail early on unknown codes
        elif self._region[1]:
            raise ValueError("A holiday subdivision needs a holiday country.")
        self.days_off = frozenset(days_off)
        self._periods_by_day: dict[date, tuple[Period, ...]] = {}
        # Answers to add_working_time/add_working_days: a calendar never changes (its inputs
        # are its identity), and the dashboard and every pass ask the same questions again.
        self._sums: dict[tuple[str, datetime, object], datetime | None] = {}
        self._between: dict[tuple[datetime, datetime], timedelta] = {}

    def is_working_day(self, day: date) -> bool:
        """Whether the local date has a window, isn't a holiday/day off, and exists locally."""
        return bool(self._day_periods(day))

    def is_working(self, at: datetime) -> bool:
        """Whether the aware instant ``at`` is working time."""
        wall = _utc(at).astimezone(self.tz).replace(tzinfo=None)
        today = wall.date()
        for day in (today, today - _DAY):  # a window of the day before may run past midnight
            midnight = datetime.combine(day, time())
            if self._open(day) and any(
                midnight + s <= wall < midnight + e for s, e in self._by_weekday[day.weekday()]
            ):
                return True
        return False

    def working_intervals(self, start: datetime, end: datetime) -> Iterator[Period]:
        """Working periods overlapping ``[start, end)``, clipped to it, in order (UTC)."""
        start, end = _utc(start), _utc(end)
        for s, e in self._periods(start, end):
            yield max(s, start), min(e, end)

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Total working time in ``[start, end)``; zero when ``end <= start``. Remembered, as the
        evaluation pass asks it twice per cadence (when it changes, and what it says now)."""
        key = (_utc(start), _utc(end))
        if (known := self._between.get(key)) is None:
            if len(self._between) >= SUMS_KEPT:
                self._between.clear()
            known = self._between[key] = sum(
                (e - s for s, e in self.working_intervals(start, end)), timedelta()
            )
        return known

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime | None:
        """Earliest ``t >= start`` with ``amount`` of working time in ``[start, t)``.

        A zero amount gives ``next_working_start(start)``; None if no such instant is found.
        """
        if amount < timedelta():
            raise ValueError("amount must not be negative.")
        if not amount:
            return self.next_working_start(start)
        return self._remember(("time", _utc(start), amount), self._add_working_time)

    def _add_working_time(self, start: datetime, amount: timedelta) -> datetime | None:
        for s, e in self._periods(start):
            s = max(s, start)
            if e - s >= amount:
                return s + amount
            amount -= e - s
        return None

    def next_working_start(self, at: datetime) -> datetime | None:
        """``at`` if it is working time, else the start of the next working period, or None."""
        at = _utc(at)
        return next((max(s, at) for s, _ in self._periods(at)), None)

    def current_window_end(self, at: datetime) -> datetime | None:
        """End of the working period containing ``at``; None if ``at`` is not working time."""
        at = _utc(at)
        return next((e if s <= at else None for s, e in self._periods(at)), None)

    def start_of_working_day(self, day: date) -> datetime | None:
        """Start of the first window of the local date ``day`` (not the end of the night before
        running into it); None if it is not a working day."""
        periods = self._day_periods(day)
        return min(s for s, _ in periods) if periods else None

    def end_of_working_day(self, day: date) -> datetime | None:
        """End of the last window of the local date ``day``; None if it is not a working day."""
        periods = self._day_periods(day)
        return max(e for _, e in periods) if periods else None

    def add_working_days(self, start: datetime, days: int) -> datetime | None:
        """End of the ``days``-th working day strictly after ``start``'s local date (days >= 1)."""
        if days < 1:
            raise ValueError("days must be at least 1.")
        return self._remember(("days", _utc(start), days), self._add_working_days)

    def _add_working_days(self, start: datetime, days: int) -> datetime | None:
        day, idle = start.astimezone(self.tz).date(), 0
        while idle < HORIZON_DAYS:
            day += _DAY
            end = self.end_of_working_day(day)
            idle = 0 if end else idle + 1
            if end and (days := days - 1) == 0:
                return end
        return None

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """Number of working days ``d`` with ``start``'s local date < d <= ``end``'s local date."""
        start, end = _utc(start), _utc(end)
        if end <= start:
            return 0
        first, last = (t.astimezone(self.tz).date() for t in (start, end))
        return sum(self.is_working_day(first + n * _DAY) for n in range(1, (last - first).days + 1))

    def _remember(
        self, key: tuple[str, datetime, Any], compute: Callable[[datetime, Any], datetime | None]
    ) -> datetime | None:
        """compute(*key[1:]), remembered; forgotten wholesale past SUMS_KEPT answers."""
        try:
            return self._sums[key]
        except KeyError:
            if len(self._sums) >= SUMS_KEPT:
                self._sums.clear()
            try:
                result = compute(key[1], key[2])
            except OverflowError:  # the answer lies past year 9999: none that can be told
                result = None
            self._sums[key] = result
            return result

    def _open(self, day: date) -> bool:
        return (
            bool(self._by_weekday[day.weekday()])
            and day not in self.days_off
            and not (self._region[0] and day in _holiday_dates(*self._region, day.year))
        )

    def _day_periods(self, day: date) -> tuple[Period, ...]:
        """Working periods (UTC) whose local wall time lies in ``day``'s windows (memoised:
        a batch job asks about the same few weeks thousands of times)."""
        if (cached := self._periods_by_day.get(day)) is not None:
            return cached
        periods = []
        if self._open(day):
            midnight = datetime.combine(day, time())
            for s, e in self._by_weekday[day.weekday()]:
                # A night running past year 9999 is not one that can be told.
                with suppress(OverflowError):
                    periods += self._wall_to_utc(midnight + s, midnight + e)
        self._periods_by_day[day] = result = tuple(periods)
        return result

    def _wall_to_utc(self, a: datetime, b: datetime) -> list[Period]:
        """UTC intervals during which the local wall clock reads a time in naive ``[a, b)``."""
        offsets = {_offset(w.replace(tzinfo=self.tz, fold=f)) for w in (a, b) for f in (0, 1)}
        a, b = a.replace(tzinfo=UTC), b.replace(tzinfo=UTC)
        lo, hi = a - max(offsets), b - min(offsets)
        if len(offsets) == 1:
            return [(lo, hi)]
        # One offset change at t: before it the clock reads t + before, after it t + after.
        t = self._transition(lo, hi)
        before, after = _offset(lo.astimezone(self.tz)), _offset(hi.astimezone(self.tz))
        parts = [(a - before, min(b - before, t)), (max(a - after, t), b - after)]
        return [(s, e) for s, e in parts if s < e]

    def _transition(self, lo: datetime, hi: datetime) -> datetime:
        """The instant in ``(lo, hi]`` where the UTC offset changes (tzdata uses whole seconds)."""
        before = lo.astimezone(self.tz).utcoffset()
        lo_s, hi_s = math.floor(lo.timestamp()), math.ceil(hi.timestamp())
        while hi_s - lo_s > 1:
            mid = (lo_s + hi_s) // 2
            if datetime.fromtimestamp(mid, self.tz).utcoffset() == before:
                lo_s = mid
            else:
                hi_s = mid
        return datetime.fromtimestamp(hi_s, UTC)

    def _periods(self, start: datetime, end: datetime | None = None) -> Iterator[Period]:
        """Merged working periods (UTC, in order) ending after ``start`` and, if ``end`` is
        given, starting before it; unbounded otherwise, until HORIZON_DAYS idle days pass."""
        if not self.windows or (end is not None and end <= start):
            return
        # The day before may have a window running past midnight, and around a fold an instant's
        # local date can be a day behind a slightly earlier one's.
        day = start.astimezone(self.tz).date() - 2 * _DAY
        last = end.astimezone(self.tz).date() + _DAY if end is not None else None
        pending: list[Period] = []
        idle = 0
        while day <= last if last is not None else idle < HORIZON_DAYS:
            periods = self._day_periods(day)
            idle = 0 if periods else idle + 1
            pending = _merge(
                pending + [(s, e) for s, e in periods if e > start and (end is None or s < end)]
            )
            if last is None and pending and pending[0][1] - pending[0][0] > HORIZON_DAYS * _DAY:
                break  # working round the clock for the whole horizon: that much, and no further
            day += _DAY
            # Later dates' periods start after their local midnight, so (|offset| < 24 h)
            # after this instant: whatever ends before it is final.
            horizon = datetime.combine(day, time(), tzinfo=UTC) - _DAY
            while pending and pending[0][1] < horizon:
                yield pending.pop(0)
        yield from pending


def _merge(periods: list[Period]) -> list[Period]:
    """Sort periods and merge those that overlap or touch."""
    merged: list[Period] = []
    for s, e in sorted(periods):
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


@lru_cache(maxsize=512)
def shared_calendar(
    tz: str,
    windows: tuple[Window, ...],
    holiday_country: str,
    holiday_subdiv: str,
    days_off: frozenset[date],
) -> BusinessCalendar:
    """One calendar per distinct set of inputs, kept between requests and passes so that the
    days it has already worked out stay worked out. Its inputs are its identity: a change of
    hours, holidays or days off is a different calendar."""
    return BusinessCalendar(
        tz,
        windows,
        holiday_country=holiday_country,
        holiday_subdiv=holiday_subdiv,
        days_off=days_off,
    )


def _offset(at: datetime) -> timedelta:
    """The UTC offset of an aware datetime (a ZoneInfo always has one)."""
    offset = at.utcoffset()
    assert offset is not None, "an aware datetime"
    return offset
