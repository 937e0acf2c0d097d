"""The freelancer's working hours read on the client's clock, for the client page."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from clients.business_time import BusinessCalendar, Window
from clients.hours import Span, office_overlap, shared_hours

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
AUCKLAND = ZoneInfo("Pacific/Auckland")
SPLIT_SHIFT = [Window(d, time(9), time(12, 30)) for d in range(5)] + [
    Window(d, time(13, 30), time(17, 30)) for d in range(5)
]


def calendar(windows=SPLIT_SHIFT):
    return BusinessCalendar("Europe/Berlin", windows)


def test_todays_windows_are_shown_on_both_clocks():
    now = datetime(2026, 6, 2, 8, tzinfo=UTC)  # Tuesday 10:00 in Berlin
    shared = shared_hours(calendar(), NEW_YORK, now)
    assert shared.day == date(2026, 6, 2) and shared.is_today
    assert [s.on(BERLIN) for s in shared.yours] == ["09:00–12:30", "13:30–17:30"]
    assert [s.on(NEW_YORK) for s in shared.yours] == ["03:00–06:30", "07:30–11:30"]


def test_both_at_work_is_the_part_inside_an_office_day_at_the_clients():
    now = datetime(2026, 6, 2, 8, tzinfo=UTC)
    shared = shared_hours(calendar(), NEW_YORK, now)
    assert [(s.on(BERLIN), s.on(NEW_YORK)) for s in shared.overlap] == [
        ("15:00–17:30", "09:00–11:30")
    ]


def test_the_conversion_follows_a_dst_change_on_one_side_only():
    # 16 Mar 2026: New York is on summer time (since 8 Mar), Berlin not yet (29 Mar).
    now = datetime(2026, 3, 16, 8, tzinfo=UTC)
    shared = shared_hours(calendar(), NEW_YORK, now)
    assert [s.on(NEW_YORK) for s in shared.yours] == ["04:00–07:30", "08:30–12:30"]


def test_on_a_weekend_it_shows_the_next_working_day():
    saturday = datetime(2026, 6, 6, 10, tzinfo=UTC)
    shared = shared_hours(calendar(), NEW_YORK, saturday)
    assert shared.day == date(2026, 6, 8) and not shared.is_today


def test_with_no_working_hours_there_is_nothing_to_show():
    assert shared_hours(calendar([]), NEW_YORK, datetime(2026, 6, 2, tzinfo=UTC)) is None


def test_a_window_crossing_the_clients_midnight_names_both_days():
    span = Span(datetime(2026, 6, 2, 7, tzinfo=UTC), datetime(2026, 6, 2, 15, tzinfo=UTC))
    assert span.on(BERLIN) == "09:00–17:00"
    assert span.on(AUCKLAND) == "Tue 19:00 – Wed 03:00"


def test_the_office_overlap_can_fall_on_the_clients_next_day():
    # Berlin 09:00–17:00 on Tue = Auckland Tue 19:00 – Wed 03:00: no office hours at all.
    span = Span(datetime(2026, 6, 2, 7, tzinfo=UTC), datetime(2026, 6, 2, 15, tzinfo=UTC))
    assert office_overlap((span,), AUCKLAND) == ()
    late = Span(datetime(2026, 6, 2, 19, tzinfo=UTC), datetime(2026, 6, 2, 23, tzinfo=UTC))
    [part] = office_overlap((late,), AUCKLAND)  # Wed 07:00–11:00 Auckland
    assert part.on(AUCKLAND) == "09:00–11:00"


def test_a_night_shows_whole_on_the_day_it_starts_and_not_on_the_morning_after():
    nights = calendar([Window(d, time(22), time(6)) for d in range(5)])  # Mon–Fri nights
    tuesday_noon = datetime(2026, 6, 2, 10, tzinfo=UTC)
    shared = shared_hours(nights, NEW_YORK, tuesday_noon)
    assert shared.day == date(2026, 6, 2)
    assert [s.on(BERLIN) for s in shared.yours] == ["Tue 22:00 – Wed 06:00"]
    assert [s.on(NEW_YORK) for s in shared.yours] == ["16:00–24:00"]
