"""Tests for clients.business_time: a minute-stepping oracle, property tests, and examples."""

import functools
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.business_time import HORIZON_DAYS, BusinessCalendar, Window, validate_windows

MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Pacific/Auckland",
    "Pacific/Apia",
    "America/St_Johns",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Europe/London",
    "UTC",
    "America/Santiago",  # falls back from 24:00 to 23:00, springs forward from 24:00 to 01:00
    "Asia/Beirut",
]
HOLIDAY_REGIONS = [("", ""), ("DE", "BY"), ("US", "NY"), ("AU", "NSW"), ("IN", ""), ("NZ", "")]
FIRST, LAST = datetime(2011, 1, 1, tzinfo=UTC), datetime(2030, 12, 20, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_5 = [(wd, time(9), time(17)) for wd in range(5)]


def examples(n: int) -> settings:
    return settings(max_examples=n, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# The oracle ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    zone: str
    windows: tuple[tuple[int, time, time], ...]
    country: str = ""
    subdiv: str = ""
    days_off: frozenset[date] = frozenset()

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            self.zone,
            self.windows,
            holiday_country=self.country,
            holiday_subdiv=self.subdiv,
            days_off=self.days_off,
        )

    def working(self, at: datetime) -> bool:
        """The definition, read off the local wall clock directly: inside a window of that
        local date, or of the day before when that one runs past midnight."""
        wall = at.astimezone(ZoneInfo(self.zone)).replace(tzinfo=None)
        return self._on(wall.date(), wall) or self._on(wall.date() - timedelta(1), wall)

    def working_on(self, day: date, at: datetime) -> bool:
        """Whether the local wall clock at `at` reads a time inside one of `day`'s windows (an
        end at or before the start being on the next day), and `day` is neither a holiday nor
        a day off."""
        return self._on(day, at.astimezone(ZoneInfo(self.zone)).replace(tzinfo=None))

    def _on(self, day: date, wall: datetime) -> bool:
        if day in self.days_off or (self.country and day in oracle_holidays(*self.region)):
            return False
        for weekday, s, e in self.windows:
            if weekday == day.weekday():
                start = datetime.combine(day, s)
                end = datetime.combine(day if e > s else day + timedelta(1), e)
                if start <= wall < end:
                    return True
        return False

    @property
    def region(self) -> tuple[str, str]:
        return self.country, self.subdiv

    def minutes(self, start: datetime, end: datetime) -> list[datetime]:
        """Every whole minute in [start, end), stepped in UTC."""
        out, t = [], start.astimezone(UTC)
        while t < end:
            out.append(t)
            t += MINUTE
        return out

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        return sum(map(self.working, self.minutes(start, end))) * MINUTE


@functools.cache
def oracle_holidays(country: str, subdiv: str) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdiv or None)


@functools.cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """Instants (to within 6 h) at which the zone's UTC offset changed in 2011-2030."""
    tz, found, t = ZoneInfo(zone), [], FIRST
    previous = t.astimezone(tz).utcoffset()
    while t < LAST:
        t += 6 * HOUR
        if (offset := t.astimezone(tz).utcoffset()) != previous:
            found.append(t)
            previous = offset
    return tuple(found)


# Strategies ---------------------------------------------------------------------------------

minute_of_day = st.one_of(
    st.integers(0, 1439),
    st.integers(55, 245),  # around the DST hours
    st.sampled_from([0, 60, 90, 120, 150, 180, 540, 750, 810, 1020, 1050, 1439]),
)


@st.composite
def day_windows(draw) -> list[tuple[int, int]]:
    """(start, end) minute pairs for one weekday; an end at or before the start is on the next
    day (0 as an end is 24:00; (0, 0) the whole day). The last one may run past midnight."""
    kind = draw(
        st.sampled_from(
            ["random", "random", "touching", "split", "9-17", "01-05", "night", "to-24", "off"]
        )
    )
    if kind in ("random", "touching"):
        points = sorted(draw(st.lists(minute_of_day, min_size=2, max_size=6, unique=True)))
        if kind == "touching":
            pairs = list(zip(points, points[1:], strict=False))
        else:
            pairs = list(zip(points[::2], points[1::2], strict=False))
        if draw(st.booleans()):  # the last one runs on past midnight (or ends at 24:00)
            start = pairs[-1][0]
            ends = [e for e in (0, 30, 180, 420) if e != start or e == 0]  # never empty
            pairs[-1] = (start, draw(st.sampled_from(ends)))
        return pairs
    return {
        "split": [(540, 750), (810, 1050)],
        "9-17": [(540, 1020)],
        "01-05": [(60, 300)],
        "night": [(1320, 360)],  # 22:00–06:00, across every DST change at 02:00 or 03:00
        "to-24": [(0, 0)] if draw(st.booleans()) else [(1080, 0)],  # the whole day, 18:00–24:00
    }.get(kind, [])


def hm(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def scenarios(draw, max_span: int = 10 * 1440) -> tuple[Scenario, datetime, datetime]:
    zone = draw(st.sampled_from(ZONES))
    near = transitions(zone)
    choice = draw(st.integers(0, 3))
    if zone == "Pacific/Apia" and choice == 0:
        start = datetime(2011, 12, 28, 12, tzinfo=UTC) + draw(st.integers(0, 4 * 1440)) * MINUTE
    elif near and choice < 3:
        start = draw(st.sampled_from(near)) + draw(st.integers(-3 * 1440, 1440)) * MINUTE
    else:
        start = FIRST + draw(st.integers(0, (LAST - FIRST) // MINUTE)) * MINUTE
    span = st.integers(0, max_span) if draw(st.booleans()) else st.integers(max_span // 3, max_span)
    end = start + draw(span) * MINUTE

    weekday_pattern = draw(day_windows()) if draw(st.booleans()) else None
    windows = tuple(
        (wd, hm(a), hm(b))
        for wd in range(7)
        for a, b in (
            weekday_pattern if weekday_pattern is not None and wd < 5 else draw(day_windows())
        )
    )
    if draw(st.sampled_from([False] * 30 + [True])):
        windows = ()
    country, subdiv = draw(st.sampled_from(HOLIDAY_REGIONS))
    first_day = start.astimezone(ZoneInfo(zone)).date()
    days_off = draw(
        st.frozensets(st.integers(-1, 11).map(lambda n: first_day + n * timedelta(1)), max_size=3)
    )
    # Inputs may come in any zone.
    shown_in = draw(st.sampled_from([UTC, BERLIN, ZoneInfo("Asia/Kathmandu"), ZoneInfo(zone)]))
    return (
        Scenario(zone, windows, country, subdiv, days_off),
        start.astimezone(shown_in),
        end.astimezone(shown_in),
    )


# Properties ---------------------------------------------------------------------------------


@examples(300)
@given(scenarios())
def test_working_time_between_matches_the_minute_by_minute_oracle(case):
    scenario, start, end = case
    assert scenario.calendar().working_time_between(start, end) == scenario.working_time(start, end)


@examples(150)
@given(scenarios(max_span=2 * 1440))
def test_is_working_agrees_with_the_oracle_at_every_minute(case):
    scenario, start, end = case
    calendar = scenario.calendar()
    for t in scenario.minutes(start, end):
        assert calendar.is_working(t) == scenario.working(t), t


@examples(200)
@given(scenarios())
def test_adding_the_working_time_between_two_instants_does_not_overshoot_the_later(case):
    scenario, start, end = case
    calendar = scenario.calendar()
    amount = calendar.working_time_between(start, end)
    if not amount:
        return
    reached = calendar.add_working_time(start, amount)
    assert reached is not None and reached <= end
    assert calendar.working_time_between(start, reached) == amount


@examples(200)
@given(scenarios(max_span=0), st.integers(0, 3 * 1440))
def test_add_working_time_returns_the_earliest_instant_with_that_much_work(case, minutes):
    scenario, start, _ = case
    calendar, amount = scenario.calendar(), minutes * MINUTE
    reached = calendar.add_working_time(start, amount)
    if not scenario.windows:
        assert reached is None
        return
    assert reached is not None and reached.tzinfo is UTC and reached >= start
    assert calendar.working_time_between(start, reached) == amount
    if amount:
        assert calendar.working_time_between(start, reached - MINUTE) < amount
    else:
        assert reached == calendar.next_working_start(start)


@examples(150)
@given(scenarios(max_span=0))
def test_next_working_start_is_working_and_nothing_before_it_is(case):
    scenario, at, _ = case
    found = scenario.calendar().next_working_start(at)
    if not scenario.windows:
        assert found is None
        return
    assert found is not None and found.tzinfo is UTC and found >= at
    assert scenario.working(found)
    assert not any(scenario.working(t) for t in scenario.minutes(at, found))


@examples(200)
@given(scenarios())
def test_working_intervals_are_ordered_disjoint_working_and_sum_to_the_working_time(case):
    scenario, start, end = case
    calendar = scenario.calendar()
    intervals = list(calendar.working_intervals(start, end))
    assert sum((e - s for s, e in intervals), timedelta()) == calendar.working_time_between(
        start, end
    )
    for s, e in intervals:
        assert start <= s < e <= end and s.tzinfo is UTC and e.tzinfo is UTC
        assert scenario.working(s) and scenario.working(e - MINUTE)
    for (_, e1), (s2, _) in zip(intervals, intervals[1:], strict=False):
        assert e1 <= s2


@examples(150)
@given(scenarios(max_span=0))
def test_current_window_end_is_where_the_working_period_stops(case):
    scenario, at, _ = case
    calendar = scenario.calendar()
    end = calendar.current_window_end(at)
    if not scenario.working(at):
        assert end is None
        return
    assert end is not None and end > at
    assert all(scenario.working(t) for t in scenario.minutes(at, end))
    # Working round the clock, the calendar looks HORIZON_DAYS ahead and no further.
    if end - at < timedelta(days=HORIZON_DAYS - 3):
        assert not scenario.working(end)


@examples(150)
@given(scenarios(max_span=0), st.integers(1, 6))
def test_add_working_days_ends_the_nth_working_day_after_the_start_date(case, days):
    scenario, start, _ = case
    calendar = scenario.calendar()
    due = calendar.add_working_days(start, days)
    if not scenario.windows:
        assert due is None
        return
    assert due is not None
    # The due day is the days-th working day after the start's date, and its last window ends
    # at `due`: the day `due` falls on, or the day before when that day's night runs into the
    # next morning (a date the zone skipped, Samoa's 30 December 2011, may have a night too).
    first = start.astimezone(calendar.tz).date()

    def nth(d: date) -> int:
        return sum(
            calendar.is_working_day(first + n * timedelta(1))
            for n in range(1, (d - first).days + 1)
        )

    last = (due - MINUTE).astimezone(calendar.tz).date()
    due_day = next(
        d
        for d in (last, last - timedelta(1))
        if calendar.end_of_working_day(d) == due and nth(d) == days
    )
    assert calendar.is_working_day(due_day)
    assert scenario.working_on(due_day, due - MINUTE)
    assert not any(scenario.working_on(due_day, t) for t in scenario.minutes(due, due + DAY))


@examples(150)
@given(scenarios(max_span=0))
def test_start_of_working_day_is_where_the_days_first_window_begins(case):
    scenario, at, _ = case
    calendar = scenario.calendar()
    day = at.astimezone(calendar.tz).date()
    start = calendar.start_of_working_day(day)
    if start is None:
        assert not calendar.is_working_day(day)
        return
    assert scenario.working_on(day, start)
    assert not any(scenario.working_on(day, t) for t in scenario.minutes(start - DAY, start))


# Examples -----------------------------------------------------------------------------------


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local_day(calendar: BusinessCalendar, day: date) -> tuple[datetime, datetime]:
    """The local day `day` in the calendar's zone, as [midnight, next midnight)."""
    return (
        datetime.combine(day, time(0), tzinfo=calendar.tz),
        datetime.combine(day + timedelta(1), time(0), tzinfo=calendar.tz),
    )


@pytest.mark.parametrize(
    ("zone", "day", "early_hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 3),
        ("Europe/Berlin", date(2026, 10, 25), 5),
        ("America/New_York", date(2026, 3, 8), 3),
        ("America/New_York", date(2026, 11, 1), 5),
    ],
)
def test_a_window_over_the_dst_change_is_an_hour_shorter_or_longer(zone, day, early_hours):
    calendar = BusinessCalendar(zone, [(6, time(1), time(5)), (6, time(9), time(17))])
    start, end = local_day(calendar, day)
    noon = datetime.combine(day, time(6), tzinfo=calendar.tz)
    assert calendar.working_time_between(start, noon) == early_hours * HOUR
    assert calendar.working_time_between(noon, end) == 8 * HOUR


def test_a_window_covering_the_skipped_hour_is_one_hour_shorter():
    calendar = BusinessCalendar("Europe/Berlin", [(6, time(1), time(5))])
    assert calendar.working_time_between(*local_day(calendar, date(2026, 3, 29))) == 3 * HOUR
    assert calendar.working_time_between(*local_day(calendar, date(2026, 3, 22))) == 4 * HOUR


def test_a_window_starting_inside_the_skipped_hour_starts_at_the_transition():
    calendar = BusinessCalendar("Europe/Berlin", [(6, time(2, 30), time(4))])
    assert calendar.next_working_start(berlin(2026, 3, 29, 0)) == utc(2026, 3, 29, 1)
    assert list(calendar.working_intervals(*local_day(calendar, date(2026, 3, 29)))) == [
        (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2))
    ]


def test_both_occurrences_of_the_repeated_hour_are_working_time():
    calendar = BusinessCalendar("Europe/Berlin", [(6, time(2), time(3))])
    assert list(calendar.working_intervals(*local_day(calendar, date(2026, 10, 25)))) == [
        (utc(2026, 10, 25, 0), utc(2026, 10, 25, 2))
    ]
    assert calendar.current_window_end(utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 25, 2)


def test_a_fold_across_midnight_repeats_the_previous_evening_in_order():
    # St. John's fell back from 00:01 NDT on 2010-11-07 to 23:01 NST on the 6th.
    scenario = Scenario(
        "America/St_Johns", ((5, time(23, 30), time(23, 59)), (6, time(0), time(0, 30)))
    )
    calendar = scenario.calendar()
    start, end = utc(2010, 11, 7, 2, 30), utc(2010, 11, 7, 3, 15)
    assert list(calendar.working_intervals(start, end)) == [
        (utc(2010, 11, 7, 2, 30), utc(2010, 11, 7, 2, 31)),  # Sunday 00:00 NDT
        (utc(2010, 11, 7, 3), utc(2010, 11, 7, 3, 15)),  # Saturday 23:30 NST, again
    ]
    assert calendar.working_time_between(start, end) == 16 * MINUTE
    night = utc(2010, 11, 7, 1), utc(2010, 11, 7, 5)
    assert calendar.working_time_between(*night) == scenario.working_time(*night) == 89 * MINUTE


def test_kathmandu_windows_sit_five_hours_forty_five_ahead_of_utc():
    calendar = BusinessCalendar("Asia/Kathmandu", WEEKDAYS_9_TO_5)
    assert not calendar.is_working(utc(2026, 1, 5, 3, 14))
    assert calendar.is_working(utc(2026, 1, 5, 3, 15))
    assert calendar.next_working_start(utc(2026, 1, 5)) == utc(2026, 1, 5, 3, 15)
    assert calendar.working_time_between(utc(2026, 1, 5), utc(2026, 1, 5, 6)) == timedelta(
        hours=2, minutes=45
    )
    assert calendar.end_of_working_day(date(2026, 1, 5)) == utc(2026, 1, 5, 11, 15)


def test_apia_skipped_2011_12_30_so_that_day_has_no_working_time():
    calendar = BusinessCalendar("Pacific/Apia", [(wd, time(9), time(17)) for wd in range(7)])
    start = datetime(2011, 12, 29, tzinfo=calendar.tz)  # 10:00 UTC, at UTC-10
    end = datetime(2012, 1, 1, tzinfo=calendar.tz)  # 2011-12-31 10:00 UTC, at UTC+14
    assert end.astimezone(UTC) - start.astimezone(UTC) == 48 * HOUR  # same-zone `-` is wall time
    assert calendar.working_time_between(start, end) == 16 * HOUR  # 8 h on the 29th and 31st
    assert not calendar.is_working_day(date(2011, 12, 30))
    assert calendar.end_of_working_day(date(2011, 12, 30)) is None
    assert calendar.add_working_days(start, 1) == utc(2011, 12, 31, 3)  # 17:00 on the 31st


def test_christmas_day_is_not_a_working_day_in_germany():
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5, holiday_country="DE")
    assert not calendar.is_working_day(date(2026, 12, 25))
    assert calendar.working_time_between(berlin(2026, 12, 25), berlin(2026, 12, 26)) == timedelta()
    assert calendar.is_working_day(date(2026, 12, 23))


def test_epiphany_is_a_holiday_in_bavaria_but_not_in_berlin_or_germany_at_large():
    epiphany = date(2026, 1, 6)

    def calendar(subdiv):
        return BusinessCalendar(
            "Europe/Berlin", WEEKDAYS_9_TO_5, holiday_country="DE", holiday_subdiv=subdiv
        )

    assert not calendar("BY").is_working_day(epiphany)
    assert calendar("BE").is_working_day(epiphany)
    assert calendar("").is_working_day(epiphany)


def test_a_personal_day_off_is_not_a_working_day():
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5, days_off=[date(2026, 6, 3)])
    assert not calendar.is_working_day(date(2026, 6, 3))
    assert not calendar.is_working(berlin(2026, 6, 3, 12))
    assert calendar.next_working_start(berlin(2026, 6, 3, 12)) == utc(2026, 6, 4, 7)


def test_a_split_shift_does_not_count_the_lunch_break():
    calendar = BusinessCalendar(
        "Europe/Berlin", [(0, time(9), time(12, 30)), (0, time(13, 30), time(17, 30))]
    )
    monday = date(2026, 6, 1)
    assert calendar.working_time_between(*local_day(calendar, monday)) == 7.5 * HOUR
    assert not calendar.is_working(berlin(2026, 6, 1, 13))
    assert calendar.current_window_end(berlin(2026, 6, 1, 10)) == berlin(2026, 6, 1, 12, 30)
    assert calendar.next_working_start(berlin(2026, 6, 1, 12, 45)) == berlin(2026, 6, 1, 13, 30)
    assert calendar.add_working_time(berlin(2026, 6, 1, 12), timedelta(hours=1)) == berlin(
        2026, 6, 1, 14
    )


def test_a_friday_afternoon_message_with_an_eight_working_hour_reply_window_is_due_monday():
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5)
    inbound = berlin(2026, 3, 6, 16)  # Friday, one working hour left
    due = calendar.add_working_time(inbound, 8 * HOUR)
    assert due == berlin(2026, 3, 9, 16)
    assert due.tzinfo is UTC
    late = calendar.add_working_time(berlin(2026, 3, 6, 19), 8 * HOUR)
    assert late == berlin(2026, 3, 9, 17)


def test_add_working_days_skips_the_weekend_and_the_christmas_holidays():
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5, holiday_country="DE")
    christmas_eve = berlin(2026, 12, 24, 10)  # Thursday; 25th and 26th are holidays
    assert calendar.add_working_days(christmas_eve, 1) == berlin(2026, 12, 28, 17)
    assert calendar.add_working_days(christmas_eve, 2) == berlin(2026, 12, 29, 17)
    assert calendar.working_days_between(christmas_eve, berlin(2026, 12, 29, 9)) == 2
    assert calendar.working_days_between(berlin(2026, 12, 29, 9), christmas_eve) == 0


def test_inputs_in_any_zone_give_the_same_utc_answers():
    calendar = BusinessCalendar("America/New_York", WEEKDAYS_9_TO_5)
    at = datetime(2026, 6, 1, 15, tzinfo=ZoneInfo("Asia/Tokyo"))  # Monday 02:00 in New York
    assert calendar.next_working_start(at) == utc(2026, 6, 1, 13)
    assert calendar.next_working_start(at.astimezone(BERLIN)) == utc(2026, 6, 1, 13)


def test_an_empty_calendar_has_no_working_time_and_does_not_crash():
    calendar = BusinessCalendar("Europe/Berlin", [])
    start, end = berlin(2026, 1, 1), berlin(2026, 2, 1)
    assert calendar.working_time_between(start, end) == timedelta()
    assert list(calendar.working_intervals(start, end)) == []
    assert not calendar.is_working(start)
    assert not calendar.is_working_day(date(2026, 1, 5))
    assert calendar.next_working_start(start) is None
    assert calendar.current_window_end(start) is None
    assert calendar.add_working_time(start, HOUR) is None
    assert calendar.add_working_time(start, timedelta()) is None
    assert calendar.end_of_working_day(date(2026, 1, 5)) is None
    assert calendar.add_working_days(start, 3) is None
    assert calendar.working_days_between(start, end) == 0


def test_naive_datetimes_are_rejected():
    calendar = BusinessCalendar("Europe/Berlin", WEEKDAYS_9_TO_5)
    naive = datetime(2026, 1, 5, 10)
    with pytest.raises(ValueError, match="naive"):
        calendar.is_working(naive)
    with pytest.raises(ValueError, match="naive"):
        calendar.working_time_between(naive, berlin(2026, 1, 6))
    with pytest.raises(ValueError, match="naive"):
        calendar.add_working_time(naive, HOUR)


@pytest.mark.parametrize(("country", "subdiv"), [("XX", ""), ("DE", "ZZ"), ("", "BY")])
def test_an_unknown_holiday_country_or_subdivision_is_rejected(country, subdiv):
    with pytest.raises(ValueError, match="holiday"):
        BusinessCalendar(
            "Europe/Berlin", WEEKDAYS_9_TO_5, holiday_country=country, holiday_subdiv=subdiv
        )


def test_an_unknown_time_zone_is_rejected():
    with pytest.raises(ValueError, match="time zone"):
        BusinessCalendar("Mars/Olympus_Mons", WEEKDAYS_9_TO_5)


def test_a_window_may_end_at_midnight_without_losing_a_minute():
    calendar = BusinessCalendar("Europe/Berlin", [(0, time(18), time(0))])  # Monday 18:00–24:00
    monday = date(2026, 6, 1)
    assert calendar.working_time_between(*local_day(calendar, monday)) == 6 * HOUR
    assert calendar.is_working(berlin(2026, 6, 1, 23, 59, 59))
    assert not calendar.is_working(berlin(2026, 6, 2, 0))
    assert calendar.end_of_working_day(monday) == berlin(2026, 6, 2, 0)


def test_the_whole_day_is_00_00_to_24_00():
    calendar = BusinessCalendar("UTC", [(5, time(0), time(0))])  # Saturday
    assert calendar.working_time_between(utc(2026, 6, 6), utc(2026, 6, 8)) == 24 * HOUR


def test_a_night_shift_belongs_to_the_day_it_starts():
    # Monday 22:00–06:00; Monday 1 June 2026 is a day off, Tuesday 2 June is not.
    calendar = BusinessCalendar(
        "Europe/Berlin",
        [(0, time(22), time(6)), (1, time(22), time(6))],
        days_off=[date(2026, 6, 1)],
    )
    assert not calendar.is_working(berlin(2026, 6, 2, 3))  # Monday's night, a day off
    assert calendar.is_working(berlin(2026, 6, 3, 3))  # Tuesday's night
    assert calendar.is_working_day(date(2026, 6, 2)) and not calendar.is_working_day(
        date(2026, 6, 1)
    )
    assert calendar.end_of_working_day(date(2026, 6, 2)) == berlin(2026, 6, 3, 6)
    assert calendar.start_of_working_day(date(2026, 6, 2)) == berlin(2026, 6, 2, 22)
    assert calendar.current_window_end(berlin(2026, 6, 2, 23)) == berlin(2026, 6, 3, 6)
    assert calendar.next_working_start(berlin(2026, 6, 2, 12)) == berlin(2026, 6, 2, 22)
    assert calendar.add_working_time(berlin(2026, 6, 2, 23), 4 * HOUR) == berlin(2026, 6, 3, 3)


def test_a_holiday_the_morning_after_does_not_cut_the_night_short():
    # Christmas Eve (a Thursday, a working day in Germany) runs into Christmas Day.
    calendar = BusinessCalendar("Europe/Berlin", [(3, time(22), time(6))], holiday_country="DE")
    assert calendar.is_working(berlin(2026, 12, 25, 5))
    assert calendar.working_time_between(berlin(2026, 12, 24), berlin(2026, 12, 26)) == 8 * HOUR


@pytest.mark.parametrize(("night", "hours"), [(date(2026, 3, 28), 7), (date(2026, 10, 24), 9)])
def test_a_saturday_night_over_the_clock_change_is_an_hour_shorter_or_longer(night, hours):
    calendar = BusinessCalendar("Europe/Berlin", [(5, time(22), time(6))])
    start = datetime.combine(night, time(12), tzinfo=calendar.tz)
    assert calendar.working_time_between(start, start + 2 * DAY) == hours * HOUR
    assert calendar.end_of_working_day(night) == datetime.combine(
        night + DAY, time(6), tzinfo=calendar.tz
    )


def test_validate_windows_reports_overlaps_and_empty_windows():
    problems = validate_windows(
        [
            Window(0, time(9), time(12)),
            (0, time(11), time(13)),
            (2, time(9), time(9)),
            (7, time(9), time(10)),
        ]
    )
    assert problems == [
        "Wednesday 09:00–09:00: a window cannot start and end at the same time (00:00–24:00 "
        "is the whole day).",
        "Weekday 7 is out of range (0 = Monday … 6 = Sunday).",
        "Monday 09:00–12:00 overlaps Monday 11:00–13:00.",
    ]


def test_a_night_overlaps_the_next_mornings_window_and_sunday_night_monday_morning():
    assert validate_windows([(1, time(22), time(6)), (2, time(5), time(9))]) == [
        "Tuesday 22:00–06:00 overlaps Wednesday 05:00–09:00."
    ]
    assert validate_windows([(0, time(7), time(9)), (6, time(23), time(8))]) == [
        "Monday 07:00–09:00 overlaps Sunday 23:00–08:00."
    ]
    assert validate_windows([(1, time(22), time(6)), (2, time(6), time(9))]) == []  # touching


def test_validate_windows_accepts_touching_windows_and_an_empty_list():
    assert validate_windows([(0, time(9), time(12)), (0, time(12), time(17))]) == []
    assert validate_windows([]) == []


def test_the_constructor_rejects_empty_windows_but_takes_overlaps_as_their_union():
    with pytest.raises(ValueError, match="cannot start and end at the same time"):
        BusinessCalendar("UTC", [(0, time(12), time(12))])
    calendar = BusinessCalendar("UTC", [(0, time(9), time(12)), (0, time(11), time(13))])
    monday = utc(2026, 1, 5), utc(2026, 1, 6)
    assert list(calendar.working_intervals(*monday)) == [(utc(2026, 1, 5, 9), utc(2026, 1, 5, 13))]


def test_negative_amounts_and_day_counts_are_rejected():
    calendar = BusinessCalendar("UTC", WEEKDAYS_9_TO_5)
    with pytest.raises(ValueError):
        calendar.add_working_time(utc(2026, 1, 5), -HOUR)
    with pytest.raises(ValueError):
        calendar.add_working_days(utc(2026, 1, 5), 0)


def test_working_round_the_clock_every_day_is_answered_without_searching_to_year_9999():
    # Whole days (00:00–00:00) on every weekday make one period that never ends: the calendar
    # says how long it runs as far as its horizon looks, instead of merging days until overflow.
    calendar = BusinessCalendar("Europe/Berlin", [(d, time(0), time(0)) for d in range(7)])
    at = utc(2026, 11, 30, 3)
    assert calendar.next_working_start(at) == at
    assert calendar.current_window_end(at) > at + timedelta(days=365)
    assert calendar.add_working_time(at, 30 * HOUR) == at + 30 * HOUR
