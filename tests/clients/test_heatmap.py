"""The heatmap of when a client writes: pure functions of moments and a business calendar."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clients.business_time import BusinessCalendar, Window
from clients.heatmap import build_heatmap, out_of_hours_share, split_by_age, working_minutes

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = [Window(d, time(9), time(17)) for d in range(5)]  # Mon–Fri


def berlin(windows=NINE_TO_FIVE, **kwargs):
    return BusinessCalendar("Europe/Berlin", windows, **kwargs)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_a_message_counts_in_the_freelancers_local_weekday_and_hour():
    # Tuesday 3 Feb 2026, 20:15 UTC = 21:15 in Berlin (CET, UTC+1)
    grid = build_heatmap([utc(2026, 2, 3, 20, 15)], berlin())
    assert grid.cell(1, 21).count == 1
    assert grid.cell(1, 20).count == 0
    assert grid.total == 1


def test_a_late_sunday_message_in_utc_is_monday_morning_in_auckland():
    auckland = BusinessCalendar("Pacific/Auckland", NINE_TO_FIVE)
    # Sunday 1 Feb 2026 21:30 UTC = Monday 2 Feb 10:30 in Auckland (NZDT, UTC+13)
    grid = build_heatmap([utc(2026, 2, 1, 21, 30)], auckland)
    assert grid.cell(0, 10).count == 1
    assert grid.out_of_hours == 0


def test_the_same_utc_hour_moves_an_hour_later_after_the_spring_dst_change():
    # 07:30 UTC on a Monday: 08:30 in Berlin on 23 Mar 2026 (CET), 09:30 on 30 Mar (CEST).
    before, after = utc(2026, 3, 23, 7, 30), utc(2026, 3, 30, 7, 30)
    grid = build_heatmap([before, after], berlin())
    assert grid.cell(0, 8).count == 1
    assert grid.cell(0, 9).count == 1
    # 08:30 is before the working day, 09:30 inside it: one of two out of hours.
    assert (grid.total, grid.out_of_hours, grid.percent) == (2, 1, 50)


def test_a_message_in_the_repeated_autumn_hour_counts_once_in_that_hour():
    # 25 Oct 2026: Berlin goes from 03:00 CEST back to 02:00 CET; both 02:30s are hour 2.
    first, second = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)
    grid = build_heatmap([first, second], berlin())
    assert grid.cell(6, 2).count == 2
    assert grid.out_of_hours == 2


def test_the_share_counts_messages_outside_working_hours():
    moments = [
        utc(2026, 2, 3, 9),  # Tue 10:00 Berlin: working
        utc(2026, 2, 3, 10),  # Tue 11:00: working
        utc(2026, 2, 3, 19),  # Tue 20:00: out of hours
        utc(2026, 2, 7, 10),  # Saturday: out of hours
    ]
    grid = build_heatmap(moments, berlin())
    assert (grid.total, grid.out_of_hours, grid.share, grid.percent) == (4, 2, 0.5, 50)


def test_a_message_on_a_day_off_is_out_of_hours_though_the_cell_is_outlined():
    tuesday_off = berlin(days_off=[date(2026, 2, 3)])
    grid = build_heatmap([utc(2026, 2, 3, 9)], tuesday_off)
    assert grid.cell(1, 10).working
    assert grid.out_of_hours == 1


def test_a_public_holiday_is_out_of_hours():
    with_holidays = berlin(holiday_country="DE")
    assert out_of_hours_share([utc(2026, 5, 1, 9)], with_holidays) == 1.0  # Labour Day, 11:00


def test_no_messages_means_no_share_rather_than_zero():
    grid = build_heatmap([], berlin())
    assert (grid.total, grid.share, grid.percent) == (0, None, None)
    assert all(cell.level == 0 for row in grid.rows for cell in row)


def test_the_grid_is_seven_days_by_twenty_four_hours_indexed_by_hour_then_weekday():
    grid = build_heatmap([], berlin())
    assert len(grid.rows) == 24
    assert all(len(row) == 7 for row in grid.rows)
    assert [(c.weekday, c.hour) for c in grid.rows[13][:2]] == [(0, 13), (1, 13)]


def test_the_working_hours_are_outlined_on_their_outer_edges_only():
    grid = build_heatmap([], berlin())
    assert grid.cell(0, 9).edges == ("top", "left")
    assert grid.cell(2, 9).edges == ("top",)
    assert grid.cell(2, 12).edges == ()
    assert grid.cell(4, 16).edges == ("bottom", "right")
    assert not grid.cell(4, 17).working
    assert grid.cell(5, 12).edges == ()  # Saturday: not working, no outline


def test_a_lunch_break_leaves_a_hole_in_the_outline():
    split = [Window(0, time(9), time(12)), Window(0, time(13), time(17))]
    grid = build_heatmap([], berlin(split))
    assert not grid.cell(0, 12).working
    assert "bottom" in grid.cell(0, 11).edges
    assert "top" in grid.cell(0, 13).edges


def test_half_hours_make_a_cell_partly_working():
    minutes = working_minutes(berlin([Window(0, time(9, 30), time(17, 15))]))
    assert (minutes[0][8], minutes[0][9], minutes[0][12], minutes[0][17]) == (0, 30, 60, 15)
    grid = build_heatmap([], berlin([Window(0, time(9, 30), time(17, 15))]))
    assert grid.cell(0, 9).label == "Mon 09:00 — 0 messages (partly working hours)"


def test_each_cell_has_a_label_that_reads_without_the_colours():
    moments = [utc(2026, 2, 3, 20, m) for m in (0, 10, 20)] + [utc(2026, 2, 4, 9)]
    grid = build_heatmap(moments, berlin())
    assert grid.cell(1, 21).label == "Tue 21:00 — 3 messages (outside working hours)"
    assert grid.cell(2, 10).label == "Wed 10:00 — 1 message (working hours)"


def test_the_busiest_cell_is_darkest_and_an_empty_one_has_no_colour():
    moments = [utc(2026, 2, 3, 20)] * 8 + [utc(2026, 2, 4, 9)]
    grid = build_heatmap(moments, berlin())
    assert grid.cell(1, 21).level == 4
    assert grid.cell(2, 10).level == 1
    assert grid.cell(3, 10).level == 0
    assert grid.cell(2, 10).css.split()[:2] == ["l1", "work"]


def test_moments_split_into_the_recent_period_and_the_one_before():
    now = utc(2026, 3, 1)
    week = timedelta(weeks=1)
    recent, earlier = split_by_age(
        [now - timedelta(days=1), now - timedelta(days=8), now - timedelta(days=20)], now, week
    )
    assert recent == [now - timedelta(days=1)]
    assert earlier == [now - timedelta(days=8)]


def test_a_night_is_outlined_in_its_evening_and_in_the_next_mornings_column():
    nights = [Window(0, time(22), time(6)), Window(6, time(23, 30), time(1))]  # Mon, Sun
    grid = build_heatmap([], berlin(nights))
    assert [h for h in range(24) if grid.cell(0, h).working] == [0, 22, 23]  # Sun's ends Mon 01
    assert grid.cell(0, 0).working_minutes == 60
    assert [h for h in range(24) if grid.cell(1, h).working] == [0, 1, 2, 3, 4, 5]
    assert grid.cell(6, 23).working_minutes == 30
    assert grid.cell(0, 23).edges == ("bottom", "left", "right")
    assert grid.cell(1, 0).edges == ("top", "right")  # Monday 00:00 is Sunday's night


def test_a_window_until_midnight_fills_the_last_hour():
    grid = build_heatmap([], berlin([Window(4, time(18), time(0))]))
    assert grid.cell(4, 23).working_minutes == 60
    assert not grid.cell(5, 0).working
