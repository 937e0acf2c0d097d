"""Settings in a real browser: a working window that starts and ends at the same time is refused,
with the message beside the row, the user's input kept and nothing saved; a night shift and a
window until midnight are saved; a preset and "copy to the other weekdays" fill in the rows."""

from datetime import time

import pytest
from playwright.sync_api import expect

from clients.models import WorkingWindow

pytestmark = pytest.mark.browser

EMPTY = "A window cannot start and end at the same time (00:00–24:00 is the whole day)."


def windows_of(profile):
    return list(
        WorkingWindow.objects.filter(profile=profile).values_list("weekday", "start", "end")
    )


def test_a_working_window_that_ends_when_it_starts_shows_the_error_by_the_field(page, profile):
    before = windows_of(profile)
    page.goto("/settings/hours/")

    monday = page.get_by_role("group", name="Window 1", exact=True)
    expect(monday.get_by_label("Day")).to_have_value("0")  # Monday, 09:00–17:00
    monday.get_by_label("Starts").fill("14:00")
    monday.get_by_label("Ends").fill("14:00")
    page.get_by_role("button", name="Save working hours").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    monday = page.get_by_role("group", name="Window 1", exact=True)
    expect(monday).to_contain_text(EMPTY)
    expect(monday).to_have_accessible_description(f"Ends: {EMPTY}")
    expect(monday.get_by_label("Starts")).to_have_value("14:00")
    expect(monday.get_by_label("Ends")).to_have_value("14:00")
    expect(page.get_by_role("group", name="Window 2", exact=True)).not_to_contain_text("same time")
    assert windows_of(profile) == before


def test_a_night_shift_and_an_evening_until_midnight_are_saved(page, profile):
    page.goto("/settings/hours/")
    monday = page.get_by_role("group", name="Window 1", exact=True)
    monday.get_by_label("Starts").fill("22:00")
    monday.get_by_label("Ends").fill("06:00")
    tuesday = page.get_by_role("group", name="Window 2", exact=True)
    tuesday.get_by_label("Starts").fill("18:00")
    tuesday.get_by_label("Ends").fill("00:00")
    page.get_by_role("button", name="Save working hours").click()

    expect(page.get_by_role("status")).to_contain_text("Working hours saved.")
    week = page.get_by_role("region", name="Your week now")
    expect(week).to_contain_text("Monday22:00–06:00 (overnight)")
    expect(week).to_contain_text("Tuesday18:00–24:00")
    assert windows_of(profile)[:2] == [(0, time(22), time(6)), (1, time(18), time(0))]


def test_a_lunch_break_preset_copied_from_an_edited_monday_fills_ten_rows(page, profile):
    page.goto("/settings/hours/")
    page.get_by_role("button", name="Mon–Fri 09:00–12:00 and 13:00–17:00 (a lunch break)").click()
    expect(page.get_by_role("status")).to_contain_text("Nothing is saved yet")
    page.get_by_role("group", name="Window 1", exact=True).get_by_label("Starts").fill("08:00")
    page.get_by_label("Copy the hours of").select_option(label="Monday")
    page.get_by_role("button", name="to the other weekdays").click()
    expect(page.get_by_role("status")).to_contain_text("Monday's hours copied")
    expect(
        page.get_by_role("group", name="Window 3", exact=True).get_by_label("Starts")
    ).to_have_value("08:00")
    page.get_by_role("button", name="Save working hours").click()

    expect(page.get_by_role("status")).to_contain_text("Working hours saved.")
    assert windows_of(profile) == [
        (d, s, e) for d in range(5) for s, e in ((time(8), time(12)), (time(13), time(17)))
    ]
