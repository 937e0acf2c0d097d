"""Client pages in a real browser: adding a client with its boundaries; changing a due date and
finding the change in the client's timeline."""

import re
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.formats import day_date_year
from clients.models import Boundaries, Client
from engagements.models import ChangeRecord
from tests.factories import EngagementFactory, ExpectationFactory

pytestmark = pytest.mark.browser


def test_adding_a_client_with_a_time_zone_and_boundaries(page, user):
    page.goto("/clients/new/")
    page.get_by_label("Name", exact=True).fill("Acme Robotics")
    page.get_by_label("Their time zone").fill("America/New_York")

    boundaries = page.get_by_role("group", name="Boundaries")
    channels = boundaries.get_by_role("group", name="Agreed channels")
    channels.get_by_label("Email").check()
    channels.get_by_label("Video call").check()
    boundaries.get_by_label("Reply window (working hours)").fill("4")
    boundaries.get_by_label("Progress update every (working days)").fill("3")
    boundaries.get_by_label("Check-in every (working days)").fill("7")
    boundaries.get_by_role("group", name="Contact after hours").get_by_label("Urgent only").check()
    boundaries.get_by_label("Confirmed in writing on").fill("2026-03-02T10:30")
    boundaries.get_by_label("Where it was confirmed").fill("Kick-off email, 2 March")
    page.get_by_role("button", name="Add client").click()

    client = Client.objects.get(owner=user)
    expect(page).to_have_url(re.compile(rf"/clients/{client.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Robotics")
    expect(page.get_by_text("(New York)").first).to_be_visible()
    shown = page.get_by_role("region", name="Boundaries")
    expect(shown).to_contain_text("Email, Video call")
    expect(shown).to_contain_text("4 working hours")
    expect(shown).to_contain_text("Urgent only")
    expect(shown).to_contain_text("Kick-off email, 2 March")

    assert client.name == "Acme Robotics"
    assert client.timezone == "America/New_York"
    bounds = Boundaries.objects.get(client=client)
    assert sorted(bounds.agreed_channels) == ["email", "video"]
    assert (bounds.reply_window_hours, bounds.update_cadence_days) == (4, 3)
    assert bounds.checkin_cadence_days == 7
    assert bounds.after_hours_policy == Boundaries.AfterHours.URGENT_ONLY
    assert bounds.confirmed_reference == "Kick-off email, 2 March"
    # Typed on a Berlin clock (the profile's zone): 10:30 CET is 09:30 UTC.
    assert bounds.confirmed_in_writing_at.astimezone(UTC).strftime("%H:%M") == "09:30"


def test_changing_a_due_date_shows_the_change_record_in_the_timeline(page, user):
    engagement = EngagementFactory(client__owner=user, client__name="Acme Robotics")
    engagement.title = "Website redesign"
    engagement.save()
    old_due = timezone.localdate() + timedelta(days=7)
    new_due = old_due + timedelta(days=14)
    expectation = ExpectationFactory(engagement=engagement, title="Homepage mock-ups", due=old_due)
    page.goto(f"/clients/{engagement.client_id}/")
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).not_to_contain_text(day_date_year(new_due))
    page.evaluate("window.__sameDocument = true")

    card = page.get_by_role("article", name="Website redesign")
    card.get_by_role("link", name="Edit Homepage mock-ups").click()
    card.get_by_label("Due", exact=True).fill(new_due.isoformat())
    card.get_by_role("group", name="Who asked for this change?").get_by_label("The client").check()
    card.get_by_label("Confirmed in writing").check()
    card.get_by_label("Reference").fill("Dana's email of Monday")
    card.get_by_role("button", name="Save expectation").click()

    expect(card).to_contain_text(f"due {new_due:%a} {new_due.day} {new_due:%b %Y}")
    change = timeline.get_by_role("listitem").filter(has_text=f"→ {day_date_year(new_due)}")
    expect(change).to_contain_text(day_date_year(old_due))  # written as everywhere else
    expect(change).to_contain_text("Dana's email of Monday")
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"

    record = ChangeRecord.objects.get(expectation=expectation)
    assert (record.field, record.from_value, record.to_value) == (
        "due",
        old_due.isoformat(),
        new_due.isoformat(),
    )
    assert record.requested_by == "client"
    assert record.confirmed_in_writing
