"""The weekly review in a real browser: deciding about a client as you go (saved over htmx,
without a reload), finding the decision again after a reload, and completing the review; on a
Monday morning it looks back, and a decision that changes course opens the step-back questions.

A marker set on `window` before acting is checked afterwards: had the browser loaded a new page
(the form posted the old way), the marker would be gone.
"""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import expect

from engagements.models import ReviewEntry, WeeklyReview
from tests.factories import ClientFactory, InteractionFactory

pytestmark = pytest.mark.browser

MARKER = "window.__sameDocument"
BERLIN = ZoneInfo("Europe/Berlin")  # the `profile` fixture: Mon–Fri 09:00–17:00 in Berlin


def is_entry_post(response) -> bool:
    return response.request.method == "POST" and re.search(
        r"/review/[^/]+/clients/\d+/$", response.url
    )


def test_a_freelancer_completes_the_weekly_review(page, user):
    acme = ClientFactory(owner=user, name="Acme Robotics")
    ClientFactory(owner=user, name="Northwind")
    ClientFactory(owner=user, name="Paused Ltd", status="paused")
    page.goto("/review/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Weekly review")
    expect(page.get_by_role("region", name="Acme Robotics")).to_be_visible()
    expect(page.get_by_role("region", name="Northwind")).to_be_visible()
    expect(page.get_by_role("region", name="Paused Ltd")).to_have_count(0)
    page.evaluate(f"{MARKER} = true")

    card = page.get_by_role("region", name="Acme Robotics")
    decision = card.get_by_role("group", name="Your decision about Acme Robotics")
    with page.expect_response(is_entry_post):
        decision.get_by_label("State a boundary").check()
    expect(card.get_by_role("status")).to_contain_text("Saved")
    # The script for the decision appears beside it, still without a reload.
    expect(card.get_by_role("link", name="Boundary statement (working hours)")).to_have_attribute(
        "href", f"/scripts/client/{acme.pk}/boundary/"
    )
    with page.expect_response(is_entry_post):
        decision.get_by_label("Note").fill("They write at 22:00; state my hours on Monday.")
        decision.get_by_label("Note").press("Tab")  # a textarea's change fires when it is left
    expect(card.get_by_role("status")).to_contain_text("Saved")
    assert page.evaluate(f"{MARKER} === true"), "the page was reloaded or replaced"

    entry = ReviewEntry.objects.get(client=acme)
    assert (entry.decision, entry.note) == (
        "boundary",
        "They write at 22:00; state my hours on Monday.",
    )

    page.reload()
    card = page.get_by_role("region", name="Acme Robotics")
    expect(card.get_by_label("State a boundary")).to_be_checked()
    expect(card.get_by_label("Keep going")).not_to_be_checked()
    expect(card.get_by_label("Note")).to_have_value(
        "They write at 22:00; state my hours on Monday."
    )
    expect(page.get_by_role("region", name="Northwind").get_by_label("Note")).to_have_value("")

    page.get_by_role("button", name="Mark this review complete").click()
    expect(page.get_by_role("status")).to_contain_text("Review complete")
    expect(page.get_by_text(re.compile(r"^Completed "))).to_be_visible()
    expect(page.get_by_role("button", name="Mark this review complete")).to_have_count(0)
    assert WeeklyReview.objects.get(owner=user).completed_at is not None


def test_a_note_too_large_to_send_is_refused_above_the_page_and_stays_in_its_box(page, user):
    ClientFactory(owner=user, name="Acme Robotics")
    page.goto("/review/")
    page.evaluate(f"{MARKER} = true")
    note = page.get_by_role("region", name="Acme Robotics").get_by_label("Note")
    pasted = "x" * 3_000_000  # what a script could send past the box's maxlength
    with page.expect_response(is_entry_post, timeout=30_000) as answer:
        note.evaluate(
            "(box, text) => { box.value = text; box.dispatchEvent(new Event('change', "
            "{bubbles: true})); }",
            pasted,
        )
    assert answer.value.status == 413
    notice = page.locator("#main > .problem")
    expect(notice).to_contain_text("What you sent was too large")
    expect(notice).to_contain_text("Nothing was saved.")
    assert len(note.input_value()) == len(pasted)
    assert page.evaluate(MARKER)
    assert not ReviewEntry.objects.exists()


def test_on_monday_morning_the_review_looks_back_and_a_decision_opens_the_step_back(page, user):
    acme = ClientFactory(owner=user, name="Acme Robotics")
    InteractionFactory(client=acme, occurred_at=datetime(2026, 11, 26, 10, tzinfo=BERLIN))
    with time_machine.travel(datetime(2026, 11, 30, 8, 30, tzinfo=BERLIN), tick=True):
        page.goto("/review/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("2026-W48")
        card = page.get_by_role("region", name="Acme Robotics")
        expect(card).to_contain_text("1 in · 0 out")
        expect(
            card.get_by_role("img", name=re.compile("as each week ended, 0 to 100"))
        ).to_be_visible()

        questions = card.get_by_label("What is the client's underlying concern?")
        expect(questions).to_be_hidden()  # folded away until a decision needs them
        decision = card.get_by_role("group", name="Your decision about Acme Robotics")
        with page.expect_response(is_entry_post):
            decision.get_by_label("Keep going").check()
        expect(questions).to_be_hidden()
        with page.expect_response(is_entry_post):
            decision.get_by_label("Reset expectations").check()
        expect(questions).to_be_visible()

        page.get_by_role("link", name="This week so far (2026-W49) →").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("2026-W49")
        expect(page.get_by_text("The week in progress")).to_be_visible()
        expect(page.get_by_role("region", name="Acme Robotics")).to_contain_text("0 in · 0 out")
