"""Every page at phone width: nothing scrolls sideways, every form control has a name a screen
reader can say (a <label>, aria-label or aria-labelledby), and (conftest.py) nothing breaks the
Content-Security-Policy."""

from datetime import timedelta

import pytest
from django.utils import timezone

from engagements.evaluation import evaluate
from integrations.models import ApiToken, CalendarFeed, WebhookEndpoint
from tests.factories import ExpectationFactory, InteractionFactory

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}

AUDIT = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 1)
    .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
                 (el.className ? "." + String(el.className).split(" ").join(".") : ""));
  const controls = "input:not([type=hidden]), select, textarea, button";
  const unnamed = [...document.querySelectorAll(controls)]
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label") &&
                    !el.getAttribute("aria-labelledby") &&
                    !(el.tagName === "BUTTON" && el.textContent.trim()))
    .map((el) => el.outerHTML.slice(0, 120));
  return {scrollWidth: document.documentElement.scrollWidth, width, wide, unnamed};
}"""


def test_every_page_fits_a_phone_and_names_its_controls(page, user):
    expectation = ExpectationFactory(
        engagement__client__owner=user,
        engagement__client__name="Hartmann Maschinenbau und Anlagenbau GmbH & Co. KG",
        engagement__client__timezone="America/Argentina/Buenos_Aires",
        title="A deliverable with a long name that has to wrap somewhere on a narrow screen",
    )
    client = expectation.client
    for hours_ago in (3, 30, 80):
        InteractionFactory(
            client=client,
            occurred_at=timezone.now() - timedelta(hours=hours_ago),
            needs_reply=True,
            summary="Können Sie mir bitte bis morgen früh die überarbeitete Fassung schicken?",
        )
    evaluate(user.pk)
    ApiToken.issue(user.pk, "Zapier: log WhatsApp messages from the shared team number")
    CalendarFeed.issue(user.pk, client)
    WebhookEndpoint.objects.create(
        owner=user,
        url="https://hooks.example.com/webhook/4f1c2a9e-very-long-path/rapport-events",
        events=["flag.raised", "flag.escalated", "flag.resolved", "interaction.logged"],
        secret="whsec_x",
    )
    pages = [
        "/",
        "/clients/",
        "/clients/new/",
        f"/clients/{client.pk}/",
        f"/clients/{client.pk}/edit/",
        f"/clients/{client.pk}/timeline/",
        f"/clients/{client.pk}/engagements/new/",
        f"/clients/engagements/{expectation.engagement_id}/edit/",
        f"/clients/engagements/{expectation.engagement_id}/expectations/new/",
        f"/clients/expectations/{expectation.pk}/edit/",
        "/interactions/new/",
        "/settings/",
        "/settings/hours/",
        "/settings/days-off/",
        "/settings/thresholds/",
        "/settings/api-tokens/",
        "/settings/calendar/",
        "/settings/webhooks/",
        "/settings/import/",
        "/settings/export/",
        "/settings/account/",
        "/email/sent/",
        "/email/reminders/",
        "/review/",
        "/scripts/",
        f"/scripts/client/{client.pk}/",
        f"/scripts/client/{client.pk}/acknowledge/",
    ]
    page.set_viewport_size(PHONE)

    problems = []
    for path in pages:
        response = page.goto(path)
        assert response.status == 200, f"{path}: {response.status}"
        found = page.evaluate(AUDIT)
        if found["scrollWidth"] > found["width"]:
            problems.append(f"{path} scrolls sideways at 390 px: {found['wide'][:5]}")
        if found["unnamed"]:
            problems.append(f"{path} has controls without a label: {found['unnamed'][:5]}")
    assert not problems, "\n".join(problems)
