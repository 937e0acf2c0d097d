"""Details a person notices, in a real browser: the quick log's checkbox sits beside its label
(and the label ticks it), a summary pasted longer than the field is refused with a message,
kept whole, not cut by the browser, and the boundary script names the client's nights and
city as people say them."""

import re
from datetime import time

import pytest
from playwright.sync_api import expect

from engagements.models import Interaction
from tests.factories import ClientFactory

pytestmark = pytest.mark.browser


def test_needs_a_reply_sits_beside_its_checkbox_and_its_label_ticks_it(page, user):
    page.goto("/")
    log = page.get_by_role("complementary", name="Log an interaction")
    box = log.get_by_role("checkbox", name="Needs a reply")
    label = log.get_by_text("Needs a reply", exact=True)
    expect(box).not_to_be_checked()
    b, t = box.bounding_box(), label.bounding_box()  # the label holds the box, then the words
    assert abs(b["x"] - t["x"]) < 8, "the box starts the label"
    assert t["width"] > b["width"] + 40, "the words follow the box"
    assert t["height"] < 2 * b["height"], "on one line, not the box above the words"
    label.click()
    expect(box).to_be_checked()


def test_a_summary_longer_than_the_field_is_refused_with_a_message_and_kept_whole(page, user):
    ClientFactory(owner=user, name="Acme Robotics")
    page.goto("/interactions/new/")
    page.get_by_label("Client").select_option(label="Acme Robotics")
    summary = page.get_by_label("Summary")
    summary.fill("x" * 600)  # as a paste: a maxlength would cut it to 500 without a word
    expect(summary).to_have_value("x" * 600)
    page.get_by_role("button", name="Log it").click()

    expect(page.get_by_text("Must be at most 500 characters long (this has 600).")).to_be_visible()
    expect(page.get_by_label("Summary")).to_have_value("x" * 600)
    assert not Interaction.objects.exists()


def test_the_boundary_script_names_the_clients_nights_and_city(page, profile, user):
    profile.timezone = "Asia/Kathmandu"
    profile.save()
    profile.working_windows.all().delete()
    for day in range(5):
        profile.working_windows.create(weekday=day, start=time(8), end=time(12))
        profile.working_windows.create(weekday=day, start=time(13), end=time(17))
    cabot = ClientFactory(owner=user, name="Cabot Tours", timezone="America/St_Johns")
    page.goto(f"/scripts/client/{cabot.pk}/boundary/")
    expect(page.get_by_label("Message")).to_have_value(
        re.compile(
            r"My working hours are Mon–Fri 08:00–12:00 and 13:00–17:00 Kathmandu time = "
            r"\d\d:45–\d\d:45 and \d\d:45–\d\d:45 St John's time, your Sunday to Thursday night"
        )
    )
