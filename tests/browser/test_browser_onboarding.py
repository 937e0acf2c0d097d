"""A new account's first minutes in a real browser: led from the login to the time zone (the
browser's zone proposed by JavaScript), working hours from a preset, holidays, reply window
and update cadence, the first client; and the same without JavaScript, choosing the zone from
the list; and skipping, after which the dashboard says the time zone is not set."""

from datetime import time

import pytest
from playwright.sync_api import expect

from clients.models import Client, FreelancerProfile

pytestmark = pytest.mark.browser


def log_in(page):
    """Alice logs in for the first time (the login form posts plainly: no JavaScript needed)."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("alice-password")
    page.get_by_role("button", name="Log in").click()


def test_a_new_account_is_led_through_the_first_run_with_its_browsers_time_zone(new_page, user):
    page = new_page(timezone_id="America/St_Johns")
    log_in(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your time zone")
    steps = page.get_by_role("list", name="Setting up your account").get_by_role("listitem")
    expect(steps).to_have_count(5)
    expect(steps.first).to_have_attribute("aria-current", "step")
    expect(page.get_by_label("Your time zone")).to_have_value("America/St_Johns")
    expect(page.get_by_role("status")).to_have_text(
        "Proposed from your browser: St John's. Change it if that is not where you work."
    )
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Working hours")
    page.get_by_role("button", name="Mon–Fri 09:00–12:00 and 13:00–17:00 (a lunch break)").click()
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Public holidays")
    page.get_by_label("Country").fill("CA")
    page.get_by_label("State or region (optional)").fill("NL")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Replies and updates")
    page.get_by_label("Reply window (working hours)").fill("4")
    page.get_by_role("button", name="Save and continue").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Your first client")
    page.get_by_label("Name", exact=True).fill("Cabot Tours")
    page.get_by_label("Their time zone").fill("Europe/London")
    page.get_by_role("button", name="Add the client and finish").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Cabot Tours")
    expect(page.get_by_role("status")).to_contain_text("You are set up")
    profile = FreelancerProfile.objects.get(user=user)
    assert (profile.timezone, profile.holiday_country, profile.reply_window_hours) == (
        "America/St_Johns",
        "CA",
        4,
    )
    assert profile.working_windows.filter(start=time(13)).count() == 5
    assert Client.objects.get(owner=user).boundaries.reply_window_hours == 4
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")  # never again


def test_without_javascript_the_time_zone_is_chosen_from_the_list(new_page, user):
    page = new_page(java_script_enabled=False, timezone_id="Asia/Kathmandu")
    log_in(page)

    zone = page.get_by_label("Your time zone")
    expect(zone).to_have_value("")  # nothing proposed without JavaScript
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_text("Choose a time zone.")).to_be_visible()
    page.get_by_label("Your time zone").select_option("Asia/Kathmandu")
    page.get_by_role("button", name="Save and continue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Working hours")
    page.get_by_role("button", name="Skip the rest: I will set things up later").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_text("Your time zone is not set")).to_have_count(0)
    assert FreelancerProfile.objects.get(user=user).timezone == "Asia/Kathmandu"


def test_skipping_everything_leaves_a_notice_until_the_time_zone_is_set(new_page, user):
    page = new_page()
    log_in(page)
    page.get_by_role("button", name="Skip the rest: I will set things up later").click()

    notice = page.get_by_text("Your time zone is not set:")
    expect(notice).to_be_visible()
    page.get_by_role("link", name="Set your time zone").click()
    page.get_by_label("Your time zone").fill("Europe/Lisbon")
    page.get_by_role("button", name="Save profile").click()
    page.goto("/")
    expect(page.get_by_text("Your time zone is not set:")).to_have_count(0)
