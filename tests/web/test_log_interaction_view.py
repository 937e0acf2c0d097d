"""Logging an interaction from the dashboard (htmx) or its own page (no JavaScript): it saves
through the service, raises the client's flags at once, and on bad input saves nothing and keeps
what was typed. Alice works Mon–Fri 09:00–17:00 in Berlin."""

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from engagements.models import Flag, Interaction, Rule
from tests.factories import ClientFactory

BERLIN = ZoneInfo("Europe/Berlin")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "log-form"}
TUESDAY_NIGHT = datetime(2026, 11, 24, 22, 5, tzinfo=BERLIN)


@pytest.fixture
def acme(profile):
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=BERLIN), tick=False):
        return ClientFactory(owner=profile.user, name="Acme", timezone="America/New_York")


def form_data(client, **overrides):
    return {
        "client": client.pk,
        "direction": Interaction.Direction.INBOUND,
        "channel": "email",
        "occurred_at": "2026-11-24T22:00",
        "summary": "Can we talk tonight?",
        "kind": Interaction.Kind.REQUEST,
        "needs_reply": "on",
        "tone": Interaction.Tone.TENSE,
        "concern": "The launch date",
    } | overrides


def log(signed_in, data, at=TUESDAY_NIGHT, **headers):
    with time_machine.travel(at, tick=False):
        return signed_in.post("/interactions/new/", data, **headers)


def test_an_inbound_at_ten_at_night_is_saved_and_raises_an_out_of_hours_flag_at_once(
    signed_in, acme
):
    response = log(signed_in, form_data(acme), **HTMX)
    assert response.status_code == 200
    assert "flagsChanged" in json.loads(response.headers["HX-Trigger"])

    (saved,) = Interaction.objects.filter(client=acme)
    assert saved.occurred_at == datetime(2026, 11, 24, 22, 0, tzinfo=BERLIN)
    assert (saved.direction, saved.kind, saved.tone) == ("in", "request", "tense")
    assert saved.needs_reply is True
    assert saved.concern == "The launch date"
    assert saved.out_of_hours is True
    assert saved.owner_id == acme.owner_id

    (flag,) = Flag.objects.filter(rule=Rule.OUT_OF_HOURS)
    assert (flag.client_id, flag.interaction_id, flag.state) == (acme.pk, saved.pk, "open")

    # The answer is a fresh form (now as the default time) with a word about what was saved.
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="log-form"')
    assert "Logged: inbound email with Acme, Tue 22:00. It was outside your working hours." in html
    assert 'value="2026-11-24T22:05"' in html
    assert "Can we talk tonight?" not in html

    # The dashboard's refresh (which flagsChanged sets off) shows the flag and the reply owed.
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        live = signed_in.get("/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live").content.decode()
    assert "Acme contacted you out of hours" in live
    assert f'Reply to <a href="/clients/{acme.pk}/">Acme</a>' in live


def test_without_javascript_it_saves_and_redirects_to_the_dashboard(signed_in, acme):
    response = log(signed_in, form_data(acme))
    assert (response.status_code, response.url) == (302, "/")
    assert Interaction.objects.filter(client=acme).count() == 1


def test_it_redirects_to_next_when_it_is_one_of_our_pages(signed_in, acme):
    response = log(signed_in, form_data(acme, next=f"/clients/{acme.pk}/"))
    assert response.url == f"/clients/{acme.pk}/"


def test_a_time_in_the_future_is_refused_with_a_clear_message_and_nothing_saved(signed_in, acme):
    response = log(signed_in, form_data(acme, occurred_at="2026-11-24T23:30"), **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "That time is in the future: log an interaction once it has happened." in html
    assert "HX-Trigger" not in response.headers
    assert not Interaction.objects.exists()
    assert not Flag.objects.exists()
    # What was typed is still there.
    assert 'value="2026-11-24T23:30"' in html
    assert 'value="Can we talk tonight?"' in html
    assert 'value="The launch date"' in html
    assert f'<option value="{acme.pk}" selected>Acme</option>' in html


def test_without_javascript_errors_come_back_on_the_full_page(signed_in, acme):
    response = log(signed_in, form_data(acme, occurred_at="2026-11-25T10:00"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "<h1>Log an interaction</h1>" in html
    assert "That time is in the future" in html
    assert 'value="Can we talk tonight?"' in html
    assert not Interaction.objects.exists()


def test_another_freelancers_client_is_not_a_valid_choice(signed_in, outsider, acme):
    theirs = ClientFactory(owner=outsider, name="Theirs")
    response = log(signed_in, form_data(theirs), **HTMX)
    assert "Select a valid choice" in response.content.decode()
    assert not Interaction.objects.exists()


def test_only_a_message_from_the_client_can_need_a_reply(signed_in, acme):
    response = log(signed_in, form_data(acme, direction="out"), **HTMX)
    assert "Only a message from the client can need a reply." in response.content.decode()
    assert not Interaction.objects.exists()


def test_missing_fields_are_named_beside_them(signed_in, acme):
    response = log(signed_in, {"client": "", "occurred_at": ""}, **HTMX)
    html = response.content.decode()
    assert '<p class="error" id="id_client_error">This field is required.</p>' in html
    assert '<p class="error" id="id_occurred_at_error">This field is required.</p>' in html
    assert not Interaction.objects.exists()


def test_the_page_shows_the_form_with_now_in_my_zone(signed_in, acme):
    with time_machine.travel(TUESDAY_NIGHT, tick=False):
        response = signed_in.get(f"/interactions/new/?client={acme.pk}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Log an interaction</h1>" in html
    assert 'value="2026-11-24T22:05"' in html
    assert f'<option value="{acme.pk}" selected>Acme</option>' in html
    assert "hx-post" not in html[html.index('id="log-form"') :].split(">")[0]
    for label in ("Client", "Direction", "Channel", "When", "Summary", "Kind", "Tone"):
        assert f">{label}</label>" in html
    assert "Underlying concern</label>" in html
    assert "Needs a reply</label>" in html


def test_the_page_does_not_preselect_another_users_client(signed_in, outsider):
    theirs = ClientFactory(owner=outsider, name="Theirs")
    html = signed_in.get(f"/interactions/new/?client={theirs.pk}").content.decode()
    assert "Theirs" not in html


def test_logging_needs_a_login(client, acme):
    response = client.post("/interactions/new/", form_data(acme))
    assert response.status_code == 302
    assert not Interaction.objects.exists()
