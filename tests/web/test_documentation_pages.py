"""Confirming in writing after the fact, as a person does it: from the timeline, from the
expectation's edit form, from the undocumented-agreement flag on the dashboard, and by sending
the confirmation script. Every way confirms the change record and clears its flag. Alice works
Mon–Fri 09–17 in Berlin; 30 November 2026 is a Monday."""

import json
from datetime import date, datetime
from html import unescape
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from clients.changes import ChangeNote
from engagements.evaluation import evaluate
from engagements.models import ChangeRecord, Flag, Interaction, Rule
from tests.factories import ClientFactory, ContactFactory, ExpectationFactory
from tests.web.test_expectation_pages import expectation_post

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = datetime(2026, 11, 30, 10, tzinfo=BERLIN)
TUESDAY = datetime(2026, 12, 1, 17, 30, tzinfo=BERLIN)  # a working day after the change
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "live"}


@pytest.fixture
def acme(profile):
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=BERLIN), tick=False):
        client = ClientFactory(owner=profile.user, name="Acme", timezone="Pacific/Auckland")
        ContactFactory(client=client, name="Jane Doe")
        return client


@pytest.fixture
def draft(acme):
    """The homepage draft, agreed in writing; on Monday's call it moved a week."""
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=BERLIN), tick=False):
        draft = ExpectationFactory(
            engagement__client=acme,
            engagement__title="Website",
            title="Homepage draft",
            due=date(2026, 12, 14),
            confirmed_in_writing=True,
            confirmed_reference="Contract",
        )
    with time_machine.travel(MONDAY, tick=False):
        draft.due = date(2026, 12, 21)
        draft.change_note = ChangeNote(requested_by="client")
        draft.save()
    return draft


@pytest.fixture
def flagged(draft, user):
    """Tuesday evening: the change has waited a working day for its written confirmation."""
    with time_machine.travel(TUESDAY, tick=False):
        evaluate(user.pk)
    return Flag.objects.get(rule=Rule.UNDOCUMENTED)


@pytest.fixture(autouse=True)
def tuesday_evening():
    with time_machine.travel(TUESDAY, tick=False):
        yield


def the_change(draft) -> ChangeRecord:
    return draft.change_records.get()


def test_the_timeline_offers_to_confirm_a_change_and_confirming_it_clears_the_flag(
    web, draft, flagged
):
    page = web.get(reverse("client-detail", args=[draft.client_id]))
    html = page.content.decode()
    record = the_change(draft)
    assert f'action="/clients/changes/{record.pk}/confirm/"' in html
    assert f"/scripts/client/{draft.client_id}/confirm_change/?change={record.pk}" in html
    assert "<del>Mon 14 Dec 2026</del> → <ins>Mon 21 Dec 2026</ins>" in html

    response = web.post(
        reverse("change-confirm", args=[record.pk]), {"reference": "Jane's email of Tuesday"}
    )
    assert response.status_code == 302
    assert response.url == reverse("client-detail", args=[draft.client_id]) + "#timeline"
    record.refresh_from_db()
    assert (record.confirmed_in_writing, record.confirmed_reference) == (
        True,
        "Jane's email of Tuesday",
    )
    flagged.refresh_from_db()
    assert flagged.state == Flag.State.RESOLVED
    after = unescape(web.get(response.url).content.decode())
    assert "Confirmed in writing (Jane's email of Tuesday)" in after
    assert "confirmed in writing Tue 1 Dec 2026: Jane's email of Tuesday" in after
    assert f'action="/clients/changes/{record.pk}/confirm/"' not in after


def test_confirming_without_a_reference_is_refused_on_a_page_of_its_own(web, draft):
    record = the_change(draft)
    response = web.post(reverse("change-confirm", args=[record.pk]), {"reference": "  "})
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "reference": ["Say where it was confirmed in writing."]
    }
    assert "Draft the written confirmation" in response.content.decode()
    assert not ChangeRecord.objects.get(pk=record.pk).confirmed_in_writing


def test_ticking_confirmed_in_writing_on_the_edit_form_confirms_the_earlier_change(
    web, draft, flagged
):
    data = expectation_post(
        title="Homepage draft",
        due="2026-12-21",
        confirmed_in_writing="on",
        confirmed_reference="Contract",
        **{"change-confirmed": "on", "change-reference": "Jane's email of Tuesday"},
    )
    response = web.post(reverse("expectation-edit", args=[draft.pk]), data, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert (
        "Saved “Homepage draft”. 1 earlier change confirmed in writing (Jane&#x27;s email of "
        "Tuesday)." in response.content.decode()
    )
    assert "timelineChanged" in json.loads(response.headers["HX-Trigger"])
    assert the_change(draft).confirmed_reference == "Jane's email of Tuesday"
    flagged.refresh_from_db()
    assert flagged.state == Flag.State.RESOLVED


def test_agreeing_an_expectation_in_writing_confirms_its_changes_too(web, acme):
    with time_machine.travel(MONDAY, tick=False):
        booking = ExpectationFactory(engagement__client=acme, title="Booking form")
        booking.due = date(2026, 12, 30)
        booking.save()
    data = expectation_post(
        title="Booking form",
        due="2026-12-30",
        confirmed_in_writing="on",
        confirmed_reference="Signed quote",
    )
    response = web.post(reverse("expectation-edit", args=[booking.pk]), data, follow=True)
    assert "1 earlier change confirmed in writing (Signed quote)." in unescape(
        response.content.decode()
    )
    assert booking.change_records.get().confirmed_reference == "Signed quote"


def test_the_undocumented_flag_is_confirmed_from_the_dashboard(web, flagged, draft):
    dashboard = web.get(reverse("dashboard")).content.decode()
    assert "Confirm, snooze or resolve…" in dashboard
    forms = web.get(reverse("flag-actions", args=[flagged.pk]), HTTP_HX_REQUEST="true")
    html = forms.content.decode()
    assert f'hx-post="/flags/{flagged.pk}/confirm/"' in html
    assert f"confirm_change/?change={the_change(draft).pk}" in html

    response = web.post(
        reverse("flag-confirm", args=[flagged.pk]), {"reference": "Email of Tuesday"}, **HTMX
    )
    assert response.status_code == 200
    assert "Confirmed in writing (Email of Tuesday)" in response.content.decode()
    assert "flagsChanged" in json.loads(response.headers["HX-Trigger"])
    assert the_change(draft).confirmed_in_writing
    flagged.refresh_from_db()
    assert flagged.state == Flag.State.RESOLVED


def test_a_flag_confirmed_without_a_reference_keeps_its_form_open_with_the_error(web, flagged):
    response = web.post(reverse("flag-confirm", args=[flagged.pk]), {"reference": ""}, **HTMX)
    html = response.content.decode()
    assert "Not confirmed: Say where it was confirmed in writing." in html
    assert f'id="confirm-reference-{flagged.pk}"' in html and "autofocus" in html
    flagged.refresh_from_db()
    assert flagged.state == Flag.State.OPEN


def test_only_an_undocumented_agreement_can_be_confirmed(web, acme):
    other = Flag.objects.create(
        owner=acme.owner,
        client=acme,
        rule=Rule.CHECK_IN_MISSED,
        severity="warning",
        subject=f"client:{acme.pk}",
        summary="Check-in due",
    )
    response = web.post(reverse("flag-confirm", args=[other.pk]), {"reference": "x"})
    assert response.status_code == 422
    other.refresh_from_db()
    assert other.state == Flag.State.OPEN


def test_the_confirmation_script_drafts_the_change_in_the_clients_time_zone(web, draft):
    record = the_change(draft)
    url = (
        reverse("client-script", args=[draft.client_id, "confirm_change"]) + f"?change={record.pk}"
    )
    # Monday 10:00 in Berlin was Monday 22:00 in Auckland; it is now Wednesday 05:30 there.
    text = web.get(url).context["form"].initial["text"]
    assert "As agreed yesterday, “Homepage draft” moves from Mon 14 Dec to Mon 21 Dec." not in text
    assert "As agreed on Mon 30 Nov, “Homepage draft” moves from Mon 14 Dec to Mon 21 Dec." in text
    assert text.startswith("Hi Jane,")
    with time_machine.travel(datetime(2026, 11, 30, 12, tzinfo=BERLIN), tick=False):
        same_day = web.get(url).context["form"].initial["text"]  # 00:00 Tuesday in Auckland
    assert "As agreed yesterday, “Homepage draft”" in same_day


def test_logging_the_confirmation_as_sent_confirms_the_change_with_the_message(web, draft, flagged):
    record = the_change(draft)
    url = reverse("client-script-log", args=[draft.client_id, "confirm_change"])
    text = "Hi Jane, as agreed on Mon 30 Nov, “Homepage draft” moves to Mon 21 Dec."
    response = web.post(
        url, {"channel": "email", "text": text, "change": record.pk, "contact": ""}, follow=True
    )
    assert "The change is now confirmed in writing." in unescape(response.content.decode())
    record.refresh_from_db()
    assert record.confirmed_in_writing
    assert record.confirmed_reference == f"Email of Tue 1 Dec 17:30: “{text}”"
    sent = Interaction.objects.get(script="confirm_change")
    assert (sent.direction, sent.client_id) == ("out", draft.client_id)
    flagged.refresh_from_db()
    assert flagged.state == Flag.State.RESOLVED


def test_another_users_change_cannot_be_named_in_the_confirmation_script(
    client, outsider, web, draft
):
    theirs = ClientFactory(owner=outsider, name="Theirs")
    client.force_login(outsider)
    url = reverse("client-script", args=[theirs.pk, "confirm_change"])
    assert client.get(f"{url}?change={the_change(draft).pk}").status_code == 404
    log = reverse("client-script-log", args=[theirs.pk, "confirm_change"])
    response = client.post(log, {"channel": "email", "text": "x", "change": the_change(draft).pk})
    assert response.status_code == 404
    assert not the_change(draft).confirmed_in_writing
    assert web.get(f"/scripts/client/{draft.client_id}/confirm_change/?change=x").status_code == 404


def test_boundaries_are_confirmed_from_the_client_page(web, acme):
    page = web.get(reverse("client-detail", args=[acme.pk])).content.decode()
    assert f'href="/clients/{acme.pk}/boundaries/confirm/"' in page
    response = web.post(reverse("boundaries-confirm", args=[acme.pk]), {"reference": "Kick-off"})
    assert response.status_code == 302
    acme.boundaries.refresh_from_db()
    assert acme.boundaries.confirmed_reference == "Kick-off"
    assert acme.boundaries.confirmed_in_writing_at == TUESDAY
