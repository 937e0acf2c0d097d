"""The mailbox pages in a real Chromium: they fit a phone and name their controls, a suggestion
is confirmed in place (HTMX), and an .eml file dropped on a client page is logged."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from engagements.models import Interaction
from inbox.models import Mailbox
from inbox.pipeline import load_address_book, record
from tests.browser.test_browser_layout import AUDIT, PHONE
from tests.inbox.mail_helpers import ALICE, client_with_contact, compose, mail

pytestmark = pytest.mark.browser


def log(user, *mails):
    record(user.pk, mails, book=load_address_book(user.pk), source="imap", now=timezone.now())


def test_the_mailbox_pages_fit_a_phone_and_name_their_controls(page, user):
    client, _ = client_with_contact(user, name="Hartmann Maschinenbau und Anlagenbau GmbH")
    mailbox = Mailbox.objects.create(
        owner=user,
        name="A mailbox with a rather long name for a narrow screen",
        host="imap.a-very-long-host-name-of-a-mail-provider.example",
        username="someone.with.a.long.address@a-very-long-domain-name.example",
        status=Mailbox.Status.FAILING,
        failing_since=timezone.now() - timedelta(hours=2),
        last_error="imap.a-very-long-host-name-of-a-mail-provider.example refused the login: "
        "[AUTHENTICATIONFAILED] Authentication failed.",
    )
    log(user, mail("Priya Raman <priya.raman@a-new-company-with-a-long-name.example>", ALICE))
    log(user, mail("jane@acme.example", ALICE, "Status", "Honestly, I'm worried about it."))
    pages = [
        "/",
        "/settings/mailboxes/",
        "/settings/mailboxes/new/",
        f"/settings/mailboxes/{mailbox.pk}/",
        f"/settings/mailboxes/{mailbox.pk}/edit/",
        f"/settings/mailboxes/{mailbox.pk}/delete/",
        "/settings/forwarding/",
        "/mail/unknown/",
        f"/clients/{client.pk}/",
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


def test_a_suggestion_is_confirmed_in_place(page, user):
    client, _ = client_with_contact(user)
    log(user, mail("jane@acme.example", ALICE, "Q", "Could you call me tomorrow?"))
    interaction = Interaction.objects.get()
    page.goto(f"/clients/{client.pk}/")
    item = page.locator(f"#interaction-{interaction.pk}")

    item.get_by_role("button", name="No reply needed").click()

    expect(item.get_by_text("Needs a reply suggested")).to_have_count(0)
    interaction.refresh_from_db()
    assert not interaction.needs_reply and not interaction.needs_reply_suggested


def test_an_eml_file_dropped_on_the_client_page_is_logged(page, user):
    client, _ = client_with_contact(user)
    raw = compose("Jane <jane@acme.example>", ALICE, "Dropped", "Here is the brief.")
    page.goto(f"/clients/{client.pk}/")
    expect(page.get_by_text("Or drop the .eml file on this box.")).to_be_visible()

    page.locator("form[data-eml-drop]").evaluate(
        """(form, text) => {
            const data = new DataTransfer();
            data.items.add(new File([text], "brief.eml", {type: "message/rfc822"}));
            form.dispatchEvent(new DragEvent("drop", {dataTransfer: data, bubbles: true}));
        }""",
        raw.decode(),
    )

    expect(page.get_by_text("Logged the email from Jane")).to_be_visible()
    assert Interaction.objects.get(client=client).mail.subject == "Dropped"
