"""The freelancer's working hours on a client's clock: a client 9 hours away, a split shift, the
coming clock changes (within 60 days or not), a half-hour zone, the date line; and a property:
a converted window lasts as long as the original unless a clock changes during it."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.business_time import Window
from clients.hours_in_zone import (
    clock_changes,
    convert_week,
    describe_home,
    hours_statement,
    monday_of,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
KOLKATA = ZoneInfo("Asia/Kolkata")
AUCKLAND = ZoneInfo("Pacific/Auckland")

NINE_TO_FIVE = [Window(d, time(9), time(17)) for d in range(5)]
SPLIT_SHIFT = [
    *(Window(d, time(9), time(12, 30)) for d in range(4)),
    *(Window(d, time(13, 30), time(17, 30)) for d in range(4)),
    Window(4, time(9), time(14)),
]
# No clock changes anywhere near: the last autumn change was weeks ago, spring is months away.
NOVEMBER = datetime(2025, 11, 17, 12, tzinfo=BERLIN)


def test_a_client_nine_hours_behind_sees_nine_to_five_in_berlin_as_midnight_to_eight():
    statement = hours_statement(NINE_TO_FIVE, BERLIN, LOS_ANGELES, NOVEMBER)

    assert statement.text == (
        "Mon–Fri 09:00–17:00 Berlin time = Mon–Fri 00:00–08:00 Los Angeles time"
    )
    week = convert_week(NINE_TO_FIVE, BERLIN, LOS_ANGELES, monday_of(NOVEMBER.date()))
    assert [(c.start.strftime("%a %H:%M"), c.end.strftime("%a %H:%M")) for c in week] == [
        (f"{day} 00:00", f"{day} 08:00") for day in ("Mon", "Tue", "Wed", "Thu", "Fri")
    ]
    assert all(c.start == c.home_start for c in week)  # the same instant, read on another clock


def test_the_client_nine_hours_behind_in_summer_too():
    summer = datetime(2026, 6, 1, 12, tzinfo=BERLIN)  # CEST +2 and PDT -7
    assert hours_statement(NINE_TO_FIVE, BERLIN, LOS_ANGELES, summer).yours == (
        "Mon–Fri 00:00–08:00 Los Angeles time"
    )


def test_a_split_shift_keeps_its_days_grouped_on_both_clocks():
    statement = hours_statement(SPLIT_SHIFT, BERLIN, NEW_YORK, NOVEMBER)

    assert statement.text == (
        "Mon–Thu 09:00–12:30 and 13:30–17:30, Fri 09:00–14:00 Berlin time = "
        "Mon–Thu 03:00–06:30 and 07:30–11:30, Fri 03:00–08:00 New York time"
    )


def test_days_that_are_not_consecutive_are_listed_one_by_one():
    windows = [Window(d, time(9), time(13)) for d in (0, 2, 4)] + [Window(5, time(10), time(12))]
    assert describe_home(windows) == "Mon, Wed, Fri 09:00–13:00, Sat 10:00–12:00"


def test_the_clock_changes_of_both_zones_within_60_days_are_found_to_the_second():
    start = datetime(2026, 3, 1, tzinfo=UTC)

    assert [c.at for c in clock_changes(NEW_YORK, start)] == [datetime(2026, 3, 8, 7, tzinfo=UTC)]
    assert [c.at for c in clock_changes(BERLIN, start)] == [datetime(2026, 3, 29, 1, tzinfo=UTC)]
    assert clock_changes(BERLIN, start)[0].direction == "forward"


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=BERLIN), tick=False)
def test_a_clock_change_in_either_zone_within_60_days_is_noted_with_the_hours_after_it():
    statement = hours_statement(NINE_TO_FIVE, BERLIN, NEW_YORK, timezone.now())

    # New York springs forward on 8 Mar (5 hours behind Berlin), Berlin on 29 Mar (6 again).
    assert statement.yours == (
        "Mon–Fri 03:00–11:00 New York time until 8 Mar, then Mon–Fri 04:00–12:00 "
        "until 29 Mar, then Mon–Fri 03:00–11:00 again"
    )
    assert statement.note == (
        "Clocks go forward in New York on Sun 8 Mar and in Berlin on Sun 29 Mar."
    )
    assert statement.text.startswith("Mon–Fri 09:00–17:00 Berlin time = Mon–Fri 03:00–11:00")


@time_machine.travel(datetime(2026, 6, 1, 12, tzinfo=BERLIN), tick=False)
def test_no_note_when_no_clock_changes_within_60_days():
    statement = hours_statement(NINE_TO_FIVE, BERLIN, NEW_YORK, timezone.now())

    assert statement.changes == ()
    assert statement.note == ""
    assert statement.text == "Mon–Fri 09:00–17:00 Berlin time = Mon–Fri 03:00–11:00 New York time"


def test_a_change_just_past_the_60_days_is_left_out_and_one_just_inside_is_noted():
    new_york_changes = datetime(2026, 3, 8, 7, tzinfo=UTC)
    just_outside = new_york_changes - timedelta(days=60, seconds=1)
    just_inside = new_york_changes - timedelta(days=60)

    assert "until" not in hours_statement(NINE_TO_FIVE, BERLIN, NEW_YORK, just_outside).yours
    assert "until 8 Mar" in hours_statement(NINE_TO_FIVE, BERLIN, NEW_YORK, just_inside).yours


def test_a_half_hour_zone_gets_half_hours():
    statement = hours_statement(SPLIT_SHIFT, BERLIN, KOLKATA, NOVEMBER)  # 4 h 30 ahead

    assert statement.yours == ("Mon–Thu 13:30–17:00 and 18:00–22:00, Fri 13:30–18:30 Kolkata time")


@time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=BERLIN), tick=False)
def test_across_the_date_line_the_hours_run_into_the_next_day_and_it_says_so():
    statement = hours_statement(NINE_TO_FIVE, BERLIN, AUCKLAND, timezone.now())  # 12 h ahead

    assert statement.there == "21:00–05:00 your Monday to Friday night"
    assert statement.yours.startswith("21:00–05:00 Auckland time, your Monday to Friday night")
    assert "Mon 09:00 Berlin = Mon 21:00 Auckland" in statement.note
    assert "Mon 17:00 Berlin = Tue 05:00 Auckland" in statement.note
    assert "back in Auckland on Sun 5 Apr" in statement.note


def test_hours_that_fall_wholly_on_the_next_day_there_are_labelled_with_that_day():
    afternoons = [Window(d, time(13), time(17)) for d in range(5)]
    statement = hours_statement(afternoons, BERLIN, AUCKLAND, NOVEMBER)  # 12 h ahead

    assert statement.there == "Tue–Sat 01:00–05:00"
    assert "Mon 13:00 Berlin = Tue 01:00 Auckland" in statement.note


def test_a_freelancer_in_auckland_starts_the_week_on_sunday_on_a_berlin_clock():
    statement = hours_statement(NINE_TO_FIVE, AUCKLAND, BERLIN, NOVEMBER)

    assert statement.there == "21:00–05:00 your Sunday to Thursday night"
    assert "Mon 09:00 Auckland = Sun 21:00 Berlin" in statement.note


def test_a_window_ending_at_midnight_there_ends_at_24_00_on_the_same_day():
    late = [Window(0, time(14), time(21))]  # Dubai is 3 hours ahead of Berlin in winter
    assert hours_statement(late, BERLIN, ZoneInfo("Asia/Dubai"), NOVEMBER).there == (
        "Mon 17:00–24:00"
    )


def test_a_split_shift_that_crosses_midnight_there_says_which_of_their_nights_it_is():
    split = [Window(d, time(8), time(12)) for d in range(5)]
    split += [Window(d, time(13), time(17)) for d in range(5)]
    st_johns = ZoneInfo("America/St_Johns")  # 9 h 15 behind Kathmandu in November
    statement = hours_statement(split, ZoneInfo("Asia/Kathmandu"), st_johns, NOVEMBER)

    assert statement.text.startswith(
        "Mon–Fri 08:00–12:00 and 13:00–17:00 Kathmandu time = 22:45–02:45 and 03:45–07:45 "
        "St John's time, your Sunday to Thursday night."
    )
    assert "Sun–Thu" not in statement.text and "St Johns" not in statement.text


def test_a_night_shift_at_home_belongs_to_the_day_it_starts_and_says_overnight():
    nights = [Window(d, time(22), time(6)) for d in range(4)] + [Window(4, time(18), time(0))]
    statement = hours_statement(nights, BERLIN, NEW_YORK, NOVEMBER)

    assert statement.mine == "Mon–Thu 22:00–06:00 (overnight), Fri 18:00–24:00 Berlin time"
    assert statement.yours == "Mon–Thu 16:00–24:00, Fri 12:00–18:00 New York time"


def test_zones_on_the_same_clock_say_so_instead_of_repeating_the_hours():
    paris = hours_statement(NINE_TO_FIVE, BERLIN, ZoneInfo("Europe/Paris"), NOVEMBER)
    assert paris.text == "Mon–Fri 09:00–17:00 Berlin time (the same in Paris)"
    assert hours_statement(NINE_TO_FIVE, BERLIN, BERLIN, NOVEMBER).text == (
        "Mon–Fri 09:00–17:00 Berlin time"
    )


def test_no_windows_means_no_fixed_hours():
    assert hours_statement([], BERLIN, NEW_YORK, NOVEMBER).text == "no fixed working hours"


# The property ---------------------------------------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "America/St_Johns",  # -3:30 with DST
    "Asia/Kolkata",
    "Asia/Kathmandu",  # +5:45
    "Australia/Lord_Howe",  # a half-hour DST change
    "Pacific/Auckland",
    "Pacific/Chatham",  # +12:45 / +13:45
    "Pacific/Apia",
    "UTC",
]
minutes = st.integers(min_value=0, max_value=23 * 60 + 59)


@st.composite
def windows(draw):
    """Any window: within its day, until midnight (end 00:00) or past it (end before start)."""
    weekday = draw(st.integers(0, 6))
    start, end = draw(minutes), draw(minutes)
    if start == end and start:
        end = 0
    return Window(weekday, time(*divmod(start, 60)), time(*divmod(end, 60)))


def wall(dt: datetime) -> datetime:
    return dt.replace(tzinfo=None)


@settings(max_examples=300, deadline=None)
@given(
    ws=st.lists(windows(), min_size=1, max_size=6),
    home=st.sampled_from(ZONES),
    there=st.sampled_from(ZONES),
    monday=st.dates(date(2018, 1, 1), date(2032, 12, 31)).map(monday_of),
)
def test_converted_windows_last_as_long_as_the_originals_unless_a_clock_changes(
    ws, home, there, monday
):
    home, there = ZoneInfo(home), ZoneInfo(there)
    for c in convert_week(ws, home, there, monday):
        original = wall(c.home_end) - wall(c.home_start)
        converted = wall(c.end) - wall(c.start)
        home_shift = c.home_end.utcoffset() - c.home_start.utcoffset()
        there_shift = c.end.utcoffset() - c.start.utcoffset()

        # The same instants. (Compared in UTC: by PEP 495, a time in a repeated hour never
        # equals a time in another zone under ==.)
        assert c.start.astimezone(UTC) == c.home_start.astimezone(UTC)
        assert c.end.astimezone(UTC) == c.home_end.astimezone(UTC)
        if not home_shift and not there_shift:
            assert converted == original
        else:  # exactly what the clock changes added or took away
            assert converted == original - home_shift + there_shift
