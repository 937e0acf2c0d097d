"""Settings in a real browser: a working window that ends before it starts is refused, with the
message beside the row, the user's input kept and nothing saved."""

import pytest
from playwright.sync_api import expect

from clients.models import WorkingWindow

pytestmark = pytest.mark.browser


def test_working_hours_that_end_before_they_start_show_the_error_by_the_field(page, profile):
    before = list(
        WorkingWindow.objects.filter(profile=profile).values_list("weekday", "start", "end")
    )
    page.goto("/settings/hours/")

    monday = page.get_by_role("group", name="Window 1")
    expect(monday.get_by_label("Day")).to_have_value("0")  # Monday, 09:00–17:00
    monday.get_by_label("Starts").fill("14:00")
    monday.get_by_label("Ends").fill("08:00")
    page.get_by_role("button", name="Save working hours").click()

    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    monday = page.get_by_role("group", name="Window 1")
    expect(monday).to_contain_text("Must be after the start time.")
    expect(monday).to_have_accessible_description("Ends: Must be after the start time.")
    expect(monday.get_by_label("Starts")).to_have_value("14:00")
    expect(monday.get_by_label("Ends")).to_have_value("08:00")
    expect(page.get_by_role("group", name="Window 2")).not_to_contain_text("Must be after")
    after = list(
        WorkingWindow.objects.filter(profile=profile).values_list("weekday", "start", "end")
    )
    assert after == before
