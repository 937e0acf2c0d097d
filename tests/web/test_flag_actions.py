"""Acknowledge, snooze and resolve a flag from the dashboard: with htmx (the live fragment and
HX-Trigger flagsChanged), without JavaScript (a redirect back), bad input (errors, nothing
changed), and another user's flag (404 on every action). The snooze and resolve forms come from
GET /flags/<pk>/: a page of their own without JavaScript, the bare forms for htmx."""

import json
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from engagements.models import Flag, Rule, Severity
from tests.factories import ClientFactory

BERLIN = ZoneInfo("Europe/Berlin")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "live"}
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=BERLIN)  # a Monday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme", timezone="America/New_York")


@pytest.fixture
def check_in(acme):
    return Flag.objects.create(
        owner=acme.owner,
        client=acme,
        rule=Rule.CHECK_IN_MISSED,
        severity=Severity.WARNING,
        subject=f"client:{acme.pk}",
        summary="Check-in with Acme is due",
    )


def post(signed_in, flag, action, data=None, **headers):
    return signed_in.post(f"/flags/{flag.pk}/{action}/", data or {}, **headers)


def triggers(response) -> dict:
    return json.loads(response.headers.get("HX-Trigger", "{}"))


def forms_beside(html: str, flag) -> str:
    """The snooze and resolve forms open in the flag's item on the dashboard, or ""."""
    item = re.search(
        rf'<li class="flag[^"]*" id="flag-{flag.pk}">.*?<div class="flag-more" '
        rf'id="flag-more-{flag.pk}">(.*?)</div>\s*</div>\s*</li>',
        html,
        re.S,
    )
    assert item, f"flag {flag.pk} is not on the dashboard"
    return item.group(1)


# Acknowledge -------------------------------------------------------------------------------


def test_acknowledging_with_htmx_returns_the_live_fragment_and_triggers_flags_changed(
    signed_in, check_in
):
    response = post(signed_in, check_in, "acknowledge", **HTMX)
    assert response.status_code == 200
    assert "flagsChanged" in triggers(response)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="live"')
    assert "<html" not in html
    assert "Acknowledged: Check-in with Acme is due." in html
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.ACKNOWLEDGED
    assert check_in.acknowledged_at == NOW


def test_acknowledging_without_javascript_redirects_to_the_dashboard(signed_in, check_in):
    response = post(signed_in, check_in, "acknowledge")
    assert response.status_code == 302
    assert response.url == "/"
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.ACKNOWLEDGED
    page = signed_in.get(response.url).content.decode()
    assert "Acknowledged: Check-in with Acme is due." in page


def test_acknowledging_redirects_to_next_when_it_is_one_of_our_pages(signed_in, check_in):
    response = post(signed_in, check_in, "acknowledge", {"next": "/clients/"})
    assert response.url == "/clients/"


def test_acknowledging_ignores_a_next_that_leaves_the_site(signed_in, check_in):
    response = post(signed_in, check_in, "acknowledge", {"next": "https://evil.example/"})
    assert response.url == "/"


def test_acknowledging_an_out_of_hours_flag_clears_it(signed_in, acme):
    f = Flag.objects.create(
        owner=acme.owner,
        client=acme,
        rule=Rule.OUT_OF_HOURS,
        severity=Severity.INFO,
        subject="interaction:1",
        summary="Acme contacted you out of hours",
    )
    response = post(signed_in, f, "acknowledge", **HTMX)
    f.refresh_from_db()
    assert f.state == Flag.State.RESOLVED
    html = response.content.decode()
    assert "Acknowledged and cleared" in html
    assert f"flag-{f.pk}" not in html


def test_acknowledging_a_flag_someone_else_just_resolved_says_so(signed_in, check_in):
    Flag.objects.filter(pk=check_in.pk).update(state=Flag.State.RESOLVED, resolved_at=NOW)
    response = post(signed_in, check_in, "acknowledge", **HTMX)
    assert "had already changed" in response.content.decode()
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.RESOLVED


# Snooze ------------------------------------------------------------------------------------


def test_snoozing_with_htmx_hides_the_flag_and_counts_it(signed_in, check_in):
    response = post(
        signed_in,
        check_in,
        "snooze",
        {"until": "2026-11-25T09:00", "reason": "They are on holiday"},
        **HTMX,
    )
    assert response.status_code == 200
    assert "flagsChanged" in triggers(response)
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.SNOOZED
    assert check_in.snoozed_until == datetime(2026, 11, 25, 9, 0, tzinfo=BERLIN)
    assert check_in.snooze_reason == "They are on holiday"
    html = response.content.decode()
    assert f'id="flag-{check_in.pk}"' not in html
    assert "1 snoozed flag hidden; the first comes back Wed 25 Nov 09:00" in html


def test_snoozing_without_javascript_redirects_back(signed_in, check_in):
    response = post(
        signed_in, check_in, "snooze", {"until": "2026-11-25T09:00", "reason": "On holiday"}
    )
    assert (response.status_code, response.url) == (302, "/")
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.SNOOZED


@pytest.mark.parametrize(
    "data, message",
    [
        ({"until": "2026-11-23T11:00", "reason": "Later"}, "Choose a time in the future."),
        ({"until": "", "reason": "Later"}, "Say until when."),
        ({"until": "next week", "reason": "Later"}, "Enter a date and time."),
        ({"until": "2026-11-25T09:00", "reason": "   "}, "Say why you are snoozing it."),
    ],
)
def test_a_snooze_needs_a_future_time_and_a_reason(signed_in, check_in, data, message):
    response = post(signed_in, check_in, "snooze", data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert "flagsChanged" not in triggers(response)
    # The form stays open beside its flag, with what was typed.
    opened = forms_beside(html, check_in)
    assert message in opened
    assert f'<input type="text" id="snooze-reason-{check_in.pk}" name="reason"' in opened
    assert 'aria-invalid="true"' in opened
    if data["reason"].strip():
        assert f'value="{data["reason"]}"' in opened
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.OPEN
    assert check_in.snoozed_until is None


def test_a_bad_snooze_without_javascript_shows_the_form_with_its_errors(signed_in, check_in):
    response = post(
        signed_in, check_in, "snooze", {"until": "2026-11-20T09:00", "reason": "Kept reason"}
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Snooze a flag" in html
    assert "Choose a time in the future." in html
    assert 'value="Kept reason"' in html
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.OPEN


# Resolve -----------------------------------------------------------------------------------


def test_resolving_with_a_note_closes_the_flag_by_hand(signed_in, check_in):
    response = post(signed_in, check_in, "resolve", {"note": "Called them on Friday"}, **HTMX)
    assert "flagsChanged" in triggers(response)
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.RESOLVED
    assert check_in.resolved_by == Flag.ResolvedBy.HAND
    assert check_in.resolution_note == "Called them on Friday"
    assert check_in.resolved_at == NOW
    assert f'id="flag-{check_in.pk}"' not in response.content.decode()


def test_resolving_without_javascript_redirects_back(signed_in, check_in):
    response = post(signed_in, check_in, "resolve", {"note": "Done"})
    assert (response.status_code, response.url) == (302, "/")


def test_resolving_needs_a_note(signed_in, check_in):
    response = post(signed_in, check_in, "resolve", {"note": "  ", "all": "flags"}, **HTMX)
    opened = forms_beside(response.content.decode(), check_in)
    assert "Add a note saying how it was resolved." in opened
    assert (
        f'<textarea id="resolve-note-{check_in.pk}" name="note" rows="2" maxlength="10000" '
        'aria-invalid="true" '
        f'aria-describedby="resolve-note-{check_in.pk}-error" autofocus>'
    ) in opened
    assert f'<p class="error" id="resolve-note-{check_in.pk}-error">' in opened
    # The snooze half offers its default, and both still answer with #live, keeping `all`.
    assert 'name="until" value="2026-11-24T09:00"' in opened
    assert f'hx-post="/flags/{check_in.pk}/resolve/"' in opened
    assert '<input type="hidden" name="all" value="flags">' in opened
    assert "flagsChanged" not in triggers(response)
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.OPEN

    response = post(signed_in, check_in, "resolve", {"note": ""})
    assert response.status_code == 422
    assert "Add a note saying how it was resolved." in response.content.decode()


# The snooze and resolve forms, on demand ---------------------------------------------------


def test_the_forms_page_without_javascript_shows_the_flag_and_both_forms(signed_in, check_in):
    response = signed_in.get(f"/flags/{check_in.pk}/?next=/%3Fall%3Dflags%23flags")
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    html = response.content.decode()
    assert "<html" in html
    assert "Snooze or resolve a flag" in html
    assert "Check-in with Acme is due" in html
    assert f'<a href="/clients/{check_in.client_id}/">Acme</a>' in html
    assert f'action="/flags/{check_in.pk}/snooze/"' in html
    assert f'formaction="/flags/{check_in.pk}/resolve/"' in html
    # Monday noon: the snooze is offered until the start of the next working day.
    assert (
        f'<label for="snooze-until-{check_in.pk}">Until</label>\n      <input '
        f'type="datetime-local" id="snooze-until-{check_in.pk}" name="until" '
        'value="2026-11-24T09:00"'
    ) in html
    assert f'<label for="snooze-reason-{check_in.pk}">Reason</label>' in html
    assert f'<label for="resolve-note-{check_in.pk}">How was it resolved?</label>' in html
    assert '<input type="hidden" name="next" value="/?all=flags#flags">' in html
    assert '<input type="hidden" name="all" value="flags">' in html
    assert '<a href="/?all=flags#flags">Cancel' in html
    # No #live on this page: its forms post the old way.
    assert "hx-post" not in html
    assert "autofocus" not in html


def test_the_forms_for_htmx_are_the_bare_forms_answering_with_the_live_fragment(
    signed_in, check_in
):
    response = signed_in.get(
        f"/flags/{check_in.pk}/?next=/%3Fall%3Dflags%23flags",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET=f"flag-more-{check_in.pk}",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form class="flag-form"')
    assert "<html" not in html and "Snooze or resolve a flag" not in html
    assert f'hx-post="/flags/{check_in.pk}/snooze/" hx-target="#live" hx-swap="outerHTML"' in html
    assert f'hx-post="/flags/{check_in.pk}/resolve/"' in html
    assert '<input type="hidden" name="all" value="flags">' in html
    assert 'name="until" value="2026-11-24T09:00" autofocus>' in html
    assert 'class="flag-form-cancel"' in html  # static/js/dashboard.js closes them in place


def test_the_forms_keep_the_sections_named_in_the_query_string(signed_in, check_in):
    html = signed_in.get(
        f"/flags/{check_in.pk}/?all=owed&all=bogus", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert re.findall(r'<input type="hidden" name="all" value="(\w+)">', html) == ["owed"]
    assert '<input type="hidden" name="next" value="/#flags">' in html


def test_the_forms_page_ignores_a_next_that_leaves_the_site(signed_in, check_in):
    html = signed_in.get(f"/flags/{check_in.pk}/?next=https://evil.example/").content.decode()
    assert "evil.example" not in html
    assert '<input type="hidden" name="next" value="/#flags">' in html


def test_snoozing_from_the_forms_page_goes_back_to_the_dashboard_it_came_from(signed_in, check_in):
    html = signed_in.get(f"/flags/{check_in.pk}/?next=/%3Fall%3Dflags%23flags").content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', html))
    response = post(
        signed_in,
        check_in,
        "snooze",
        {**fields, "until": "2026-11-25T09:00", "reason": "On holiday"},
    )
    assert (response.status_code, response.url) == (302, "/?all=flags#flags")
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.SNOOZED


def test_the_forms_page_takes_get_only(signed_in, check_in):
    assert signed_in.post(f"/flags/{check_in.pk}/").status_code == 405


# Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True])
def test_another_users_flag_has_no_forms_page(client, outsider, check_in, htmx):
    client.force_login(outsider)
    response = client.get(f"/flags/{check_in.pk}/", **(HTMX if htmx else {}))
    assert response.status_code == 404


@pytest.mark.parametrize(
    "action, data",
    [
        ("acknowledge", {}),
        ("snooze", {"until": "2026-11-25T09:00", "reason": "Mine now"}),
        ("resolve", {"note": "Mine now"}),
    ],
)
@pytest.mark.parametrize("htmx", [False, True])
def test_another_users_flag_is_a_404_on_every_action(
    client, outsider, check_in, action, data, htmx
):
    client.force_login(outsider)
    response = post(client, check_in, action, data, **(HTMX if htmx else {}))
    assert response.status_code == 404
    check_in.refresh_from_db()
    assert check_in.state == Flag.State.OPEN


@pytest.mark.parametrize("action", ["acknowledge", "snooze", "resolve"])
def test_flag_actions_take_post_only(signed_in, check_in, action):
    assert signed_in.get(f"/flags/{check_in.pk}/{action}/").status_code == 405


@pytest.mark.parametrize("action", ["acknowledge", "snooze", "resolve"])
def test_flag_actions_need_a_login(client, check_in, action):
    response = client.post(f"/flags/{check_in.pk}/{action}/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_an_action_keeps_the_sections_the_page_showed_in_full(signed_in, check_in):
    response = post(signed_in, check_in, "acknowledge", {"all": ["flags", "bogus"]}, **HTMX)
    html = response.content.decode()
    assert 'hx-get="/?all=flags"' in html
    # The link to the flag's snooze and resolve forms passes them on (see the tests above).
    assert f'href="/flags/{check_in.pk}/?next=/%3Fall%3Dflags%23flags"' in html
    assert f'hx-get="/flags/{check_in.pk}/?next=/%3Fall%3Dflags%23flags"' in html
