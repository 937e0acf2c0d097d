"""The dashboard in a real browser: logging a message and acting on flags without a reload.

Each test sets a marker on `window` before acting and checks it afterwards: had the browser
loaded a new page (a form posted the old way), the marker would be gone.
"""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from engagements.evaluation import evaluate
from engagements.models import Flag, Interaction, Rule
from tests.factories import ClientFactory, InteractionFactory

pytestmark = pytest.mark.browser

BERLIN = ZoneInfo("Europe/Berlin")  # the `profile` fixture: Mon–Fri 09:00–17:00 in Berlin
MARKER = "window.__sameDocument"
PHONE = {"width": 390, "height": 844}


def last_night() -> datetime:
    """Yesterday 22:00 in Berlin: in the past, and outside working hours whatever the day."""
    yesterday = timezone.now().astimezone(BERLIN).date() - timedelta(days=1)
    return datetime.combine(yesterday, time(22), tzinfo=BERLIN)


def mark_document(page):
    page.evaluate(f"{MARKER} = true")


def assert_same_document(page):
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded or replaced"


def test_an_inbound_message_out_of_hours_raises_its_flag_without_a_reload(page, user):
    ClientFactory(owner=user, name="Acme Robotics")
    page.goto("/")
    flags = page.get_by_role("region", name="Open flags")
    expect(flags).to_contain_text("No open flags")
    mark_document(page)

    log = page.get_by_role("complementary", name="Log an interaction")
    log.get_by_label("Client").select_option(label="Acme Robotics")
    log.get_by_label("Direction").select_option(label="Inbound (from the client)")
    log.get_by_label("Channel").select_option(label="Email")
    log.get_by_label("When").fill(last_night().strftime("%Y-%m-%dT%H:%M"))
    log.get_by_label("Summary").fill("Can we go over the invoice tonight?")
    log.get_by_role("button", name="Log it").click()

    expect(log.get_by_role("status")).to_contain_text("outside your working hours")
    expect(flags).to_contain_text("Acme Robotics contacted you out of hours")
    expect(flags).to_contain_text("Out-of-hours contact")
    assert_same_document(page)
    interaction = Interaction.objects.get()
    assert interaction.occurred_at == last_night()
    assert interaction.out_of_hours
    assert Flag.objects.get(rule=Rule.OUT_OF_HOURS).interaction == interaction


def test_snoozing_a_flag_with_a_reason_takes_it_off_the_open_list(page, user):
    client = ClientFactory(owner=user, name="Acme Robotics")
    InteractionFactory(client=client, occurred_at=last_night(), summary="Late call")
    evaluate(user.pk)
    flag = Flag.objects.get(rule=Rule.OUT_OF_HOURS)
    page.goto("/")
    mark_document(page)

    flags = page.get_by_role("region", name="Open flags")
    item = flags.get_by_role("listitem").filter(has_text=flag.summary)
    item.locator("summary").filter(has_text="Snooze").click()
    expect(item.get_by_label("Until")).not_to_have_value("")  # a default is offered
    item.get_by_label("Reason").fill("They are in the middle of a product launch")
    item.get_by_role("button", name="Snooze", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="Snoozed until")).to_be_visible()
    expect(flags.get_by_text(flag.summary)).to_have_count(0)
    expect(flags).to_contain_text("1 snoozed flag hidden")
    assert_same_document(page)
    flag.refresh_from_db()
    assert flag.state == Flag.State.SNOOZED
    assert flag.snooze_reason == "They are in the middle of a product launch"
    assert flag.snoozed_until > timezone.now()


def test_on_a_phone_a_link_at_the_top_jumps_past_the_flags_to_the_quick_log(page, user):
    for n in range(25):
        client = ClientFactory(owner=user, name=f"Client {n:02d}")
        InteractionFactory(client=client, occurred_at=last_night(), summary="Late call")
    evaluate(user.pk)
    page.set_viewport_size(PHONE)
    page.goto("/")
    log = page.get_by_role("complementary", name="Log an interaction")
    expect(log.get_by_label("Client")).not_to_be_in_viewport()

    jump = page.get_by_role("link", name="Log an interaction")
    expect(jump).to_be_in_viewport()
    jump.click()
    expect(page).to_have_url(re.compile(r"/#log$"))
    expect(log.get_by_label("Client")).to_be_in_viewport()
