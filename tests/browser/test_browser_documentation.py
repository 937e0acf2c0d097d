"""Completing the written record in a real browser: a change confirmed from the timeline, the
undocumented-agreement flag confirmed from the dashboard without a reload, and the confirmation
script drafted, then logged as sent, which confirms the change with the message."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from clients.changes import ChangeNote
from engagements.evaluation import evaluate
from engagements.models import ChangeRecord, Flag, Rule
from tests.factories import ClientFactory, ContactFactory, ExpectationFactory

pytestmark = pytest.mark.browser

BERLIN = ZoneInfo("Europe/Berlin")
MARKER = "window.__sameDocument"


@pytest.fixture
def moved(user):
    """The homepage draft of Acme (in New York) moved a week on a call, two working days ago."""
    now = datetime.now(BERLIN)
    with time_machine.travel(now - timedelta(days=30), tick=False):
        acme = ClientFactory(owner=user, name="Acme Robotics", timezone="America/New_York")
        ContactFactory(client=acme, name="Jane Doe")
        draft = ExpectationFactory(
            engagement__client=acme,
            title="Homepage draft",
            due=date(2026, 12, 14),
            confirmed_in_writing=True,
        )
    with time_machine.travel(now - timedelta(days=4), tick=False):
        draft.due = date(2026, 12, 21)
        draft.change_note = ChangeNote(requested_by="client")
        draft.save()
    evaluate(user.pk)
    return draft.change_records.get()


def test_a_change_is_confirmed_in_writing_from_the_timeline(page, moved):
    page.goto(f"/clients/{moved.client_id}/")
    change = (
        page.get_by_role("region", name="Timeline")
        .get_by_role("listitem")
        .filter(has_text="Mon 14 Dec 2026")
    )
    expect(change).to_contain_text("not confirmed in writing")
    change.locator("summary", has_text="Confirm in writing").click()
    change.get_by_label("Where it was confirmed").fill("Jane's email of 30 Nov")
    change.get_by_role("button", name="Confirm in writing").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Confirmed in writing (Jane's email of 30 Nov)"
    )
    change = (
        page.get_by_role("region", name="Timeline")
        .get_by_role("listitem")
        .filter(has_text="Mon 14 Dec 2026")
    )
    expect(change).to_contain_text("Jane's email of 30 Nov")
    expect(change.get_by_role("button", name="Confirm in writing")).to_have_count(0)
    assert ChangeRecord.objects.get(pk=moved.pk).confirmed_in_writing
    assert not Flag.objects.filter(rule=Rule.UNDOCUMENTED).live().exists()


def test_the_flag_is_confirmed_from_the_dashboard_without_a_reload(page, moved):
    flag = Flag.objects.get(rule=Rule.UNDOCUMENTED)
    page.goto("/")
    item = page.locator(f"#flag-{flag.pk}")
    expect(item).to_contain_text("“Homepage draft”: due date → Mon 21 Dec 2026")
    page.evaluate(f"{MARKER} = true")
    item.get_by_role("link", name=re.compile(r"^Confirm, snooze or resolve…")).click()
    reference = item.get_by_label("Where it was confirmed")
    expect(reference).to_be_focused()
    reference.fill("Email to Jane, 30 Nov")
    item.get_by_role("button", name="Confirm in writing").click()

    expect(page.get_by_role("status").first).to_contain_text("Confirmed in writing (Email to Jane")
    expect(page.locator(f"#flag-{flag.pk}")).to_have_count(0)
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded"
    assert ChangeRecord.objects.get(pk=moved.pk).confirmed_reference == "Email to Jane, 30 Nov"


def test_the_confirmation_script_is_drafted_and_logging_it_confirms_the_change(page, moved):
    flag = Flag.objects.get(rule=Rule.UNDOCUMENTED)
    page.goto("/")
    page.locator(f"#flag-{flag.pk}").get_by_role(
        "link", name="Script: Confirm a change in writing"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Confirm a change in writing")
    message = page.get_by_label("Message")
    expect(message).to_have_value(re.compile(r"^Hi Jane,"))
    expect(message).to_have_value(
        re.compile(
            r"As agreed on \w{3} \d+ \w{3}, “Homepage draft” moves from Mon 14 Dec to Mon 21 Dec\."
        )
    )
    page.evaluate(f"{MARKER} = true")
    page.get_by_role("button", name="Log as sent").click()

    expect(page.get_by_role("status").first).to_contain_text(
        "The change is now confirmed in writing."
    )
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded"
    record = ChangeRecord.objects.get(pk=moved.pk)
    assert record.confirmed_in_writing
    assert "“Homepage draft” moves from Mon 14 Dec to Mon 21 Dec" in record.confirmed_reference
    assert not Flag.objects.filter(rule=Rule.UNDOCUMENTED).live().exists()
