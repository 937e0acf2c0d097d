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


def named(words: str, flag) -> re.Pattern:
    """A control's accessible name: its words and, visually hidden, the flag's summary."""
    return re.compile(rf"^{re.escape(words)}\s*: {re.escape(flag.summary)}$")


def open_forms(item, flag):
    """Follow a flag's "Snooze or resolve…" link: htmx loads the forms into its item, and the
    focus goes to the first field."""
    link = item.get_by_role("link", name=named("Snooze or resolve…", flag))
    expect(link).to_have_attribute("href", re.compile(rf"^/flags/{flag.pk}/\?next="))
    link.click()
    expect(item.get_by_label("Until")).to_be_focused()
    expect(link).to_be_hidden()


def raise_out_of_hours_flag(user) -> Flag:
    client = ClientFactory(owner=user, name="Acme Robotics")
    InteractionFactory(client=client, occurred_at=last_night(), summary="Late call")
    evaluate(user.pk)
    return Flag.objects.get(rule=Rule.OUT_OF_HOURS)


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
    flag = raise_out_of_hours_flag(user)
    page.goto("/")
    mark_document(page)

    flags = page.get_by_role("region", name="Open flags")
    item = flags.get_by_role("listitem").filter(has_text=flag.summary)
    open_forms(item, flag)
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


def test_a_bad_snooze_keeps_the_forms_open_with_the_error_and_what_was_typed(page, user):
    flag = raise_out_of_hours_flag(user)
    page.goto("/")
    mark_document(page)
    item = page.get_by_role("region", name="Open flags").get_by_role("listitem")
    item = item.filter(has_text=flag.summary)
    open_forms(item, flag)
    item.get_by_label("Until").fill("2020-01-06T09:00")
    item.get_by_label("Reason").fill("Kept as typed")
    item.get_by_role("button", name="Snooze", exact=True).click()

    expect(page.get_by_role("status").filter(has_text="Not snoozed")).to_be_visible()
    until = item.get_by_label("Until")
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(until).to_have_accessible_description("Choose a time in the future.")
    expect(until).to_be_focused()
    expect(item.get_by_label("Reason")).to_have_value("Kept as typed")
    assert_same_document(page)
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


def test_cancel_closes_the_forms_and_gives_the_focus_back_to_their_link(page, user):
    flag = raise_out_of_hours_flag(user)
    page.set_viewport_size(PHONE)
    page.goto("/")
    mark_document(page)
    item = page.get_by_role("region", name="Open flags").get_by_role("listitem")
    item = item.filter(has_text=flag.summary)
    open_forms(item, flag)
    # At 390 px the forms fit: nothing scrolls sideways, every control is reachable.
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    expect(item.get_by_label("How was it resolved?")).to_be_in_viewport(ratio=0.5)
    page.evaluate("document.getElementById('live').dataset.old = 'yes'")

    item.get_by_role("link", name=named("Cancel", flag)).click()
    expect(item.get_by_label("Until")).to_have_count(0)
    link = item.get_by_role("link", name=named("Snooze or resolve…", flag))
    expect(link).to_be_focused()
    assert_same_document(page)
    # Nothing was asked of the server: the dashboard was not refreshed, the flag is untouched.
    assert page.evaluate("document.getElementById('live').dataset.old") == "yes"
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


def test_without_javascript_the_link_opens_a_page_that_snoozes_and_comes_back(
    page, browser, live_server, user
):
    flag = raise_out_of_hours_flag(user)
    page.goto("/")  # signs the session in; its cookies go to a context without JavaScript
    context = browser.new_context(
        java_script_enabled=False, base_url=live_server.url, viewport=PHONE
    )
    try:
        context.add_cookies(page.context.cookies())
        plain = context.new_page()
        plain.goto("/?all=flags")
        plain.get_by_role("link", name=named("Snooze or resolve…", flag)).click()
        expect(plain).to_have_url(re.compile(rf"/flags/{flag.pk}/\?next="))
        expect(plain.get_by_role("heading", name="Snooze or resolve a flag")).to_be_visible()
        expect(plain.get_by_label("Until")).not_to_have_value("")
        plain.get_by_label("Reason").fill("Waiting for their launch")
        plain.get_by_role("button", name="Snooze", exact=True).click()

        expect(plain).to_have_url(re.compile(r"/\?all=flags#flags$"))
        expect(plain.get_by_role("status")).to_contain_text("Snoozed until")
    finally:
        context.close()
    flag.refresh_from_db()
    assert flag.state == Flag.State.SNOOZED
    assert flag.snooze_reason == "Waiting for their launch"


def test_the_forms_page_fits_a_phone(page, user):
    flag = raise_out_of_hours_flag(user)
    page.set_viewport_size(PHONE)
    page.goto(f"/flags/{flag.pk}/")
    expect(page.get_by_role("heading", name="Snooze or resolve a flag")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    for label in ("Until", "Reason", "How was it resolved?"):
        expect(page.get_by_label(label)).to_be_visible()


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
