"""The pictures in the README: the demo account's dashboard, a client page and its mailbox's
page, the weekly review looking back, the confirmation of a change in writing and a new account's
first step, desktop and phone.

Not part of `make test` (it rewrites files under docs/): `make screenshots` runs it with
SCREENSHOTS=1. Each picture is the whole page (full_page), so what a phone user scrolls to is in it.
The server's clock is set to one Wednesday morning in Berlin, so the pictures are the same
whenever they are made and change only when the pages do.
"""

import re
from datetime import datetime
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from playwright.sync_api import expect

from clients.models import Client
from engagements.models import ChangeRecord
from inbox.models import Mailbox

pytestmark = [pytest.mark.browser, pytest.mark.screenshots]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The demo's client whose page shows the most: a reply owed, a timeline, a heatmap.
CLIENT = "Acme Robotics"
MOMENT = datetime(2026, 11, 25, 11, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Wednesday
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def demo(settings):
    """The demo account, seeded and evaluated at MOMENT; the clock then runs on from there."""
    settings.DEBUG = True  # seed_demo refuses to create a demo/demo login with DEBUG off
    with time_machine.travel(MOMENT, tick=True):
        call_command("seed_demo", stdout=StringIO())
        call_command("evaluate_flags", stdout=StringIO())
        yield Client.objects.get(owner__username="demo", name=CLIENT)


def test_screenshots_of_the_dashboard_a_client_page_and_the_mailbox(demo, new_page, login):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width, viewport in WIDTHS.items():
        page = new_page(viewport=viewport)
        login(page, "demo", "demo")
        expect(page.get_by_role("heading", level=1).first).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"dashboard-{width}.png", full_page=True)

        page.goto(f"/clients/{demo.pk}/")
        expect(page.get_by_role("heading", name=CLIENT).first).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"client-{width}.png", full_page=True)

        page.goto(f"/settings/mailboxes/{Mailbox.objects.get(owner=demo.owner).pk}/")
        expect(page.get_by_role("heading", name="Studio mail (demo)")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"mailbox-{width}.png", full_page=True)

        # Last week's review, as a Monday morning opens it (the week before this Wednesday's).
        page.goto("/review/2026-W47/")
        expect(page.get_by_text("Looking back at the week that ended.")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"review-{width}.png", full_page=True)

        # The written confirmation of the demo's change agreed on the phone.
        moved = ChangeRecord.objects.get(client__owner=demo.owner, field="due")
        page.goto(f"/scripts/client/{moved.client_id}/confirm_change/?change={moved.pk}")
        expect(page.get_by_label("Message")).to_have_value(re.compile("As agreed"))
        page.screenshot(path=SCREENSHOTS / f"confirm-{width}.png", full_page=True)


def test_screenshot_of_a_new_accounts_first_step(demo, new_page, django_user_model):
    django_user_model.objects.create_user("newcomer", password="newcomer-password")
    for width, viewport in WIDTHS.items():
        page = new_page(viewport=viewport, timezone_id="Europe/Berlin")
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("newcomer")
        page.get_by_label("Password").fill("newcomer-password")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_text("Proposed from your browser: Berlin.")).to_be_visible()
        page.screenshot(path=SCREENSHOTS / f"welcome-{width}.png", full_page=True)
