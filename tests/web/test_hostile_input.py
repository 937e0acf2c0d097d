"""What a tester attacking the pages tried (issue 12), one behaviour at a time: a `next` that is
not a local path, a request too large, ids too long for a column, dates out of range, NUL bytes
and texts longer than their field. The fuzz test (tests/test_fuzz.py) tries them everywhere."""

from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone

from clients.models import Client, FreelancerProfile
from clients.validation import TEXT_LIMIT
from engagements.models import Flag, FollowUp, Interaction, ReviewEntry, Rule, Severity
from tests.factories import ClientFactory, InteractionFactory
from tests.test_isolation import ALL_ROUTES
from web.views.common import id_param, safe_next

DATE_RANGE = "Enter a date between 1 Jan 1970 and 31 Dec 2200."


@pytest.fixture
def flag(profile):
    client = ClientFactory(owner=profile.user, name="Acme")
    message = InteractionFactory(client=client, needs_reply=True)
    return Flag.objects.create(
        client=client,
        interaction=message,
        rule=Rule.OUT_OF_HOURS,
        severity=Severity.INFO,
        subject=f"interaction:{message.pk}",
        summary="Acme wrote at night",
    )


# --- next ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["x", "dashboard", "//evil.example/", "https://evil.example/", "/\r\nSet-Cookie: x=1", "/a b"],
)
def test_a_next_that_is_not_a_local_path_falls_back_to_the_dashboard(web, flag, target):
    response = web.post(f"/flags/{flag.pk}/acknowledge/", {"next": target})
    assert (response.status_code, response.url) == (302, "/")


def test_a_local_next_is_followed_with_its_query_and_fragment():
    request = RequestFactory().post("/", {"next": "/clients/3/?all=flags#flags"})
    assert safe_next(request) == "/clients/3/?all=flags#flags"


def test_a_next_planted_in_a_link_is_not_carried_into_the_forms(web, flag):
    html = web.get(f"/flags/{flag.pk}/?next=x").content.decode()
    assert 'name="next" value="x"' not in html
    assert 'name="next" value="/#flags"' in html


# --- requests too large ----------------------------------------------------------------------


def test_acknowledging_a_flag_with_a_too_large_body_acts_on_nothing_and_says_what_and_how_much(
    web, flag
):
    response = web.post(f"/flags/{flag.pk}/acknowledge/", {"note": "x" * 2_700_000})
    assert response.status_code == 413
    html = response.content.decode()
    assert "What you sent was too large (2.7 MB)" in html
    assert "Rapport accepts at most 2.6 MB at once" in html
    assert f"a text box holds at most {TEXT_LIMIT:,} characters" in html
    assert '<a class="brand"' in html  # the site's own page, with its navigation
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


def test_a_request_with_too_many_fields_is_refused_before_any_view(web, flag):
    response = web.post(f"/flags/{flag.pk}/acknowledge/", {f"f{i}": "1" for i in range(1001)})
    assert response.status_code == 413
    assert "at most 1,000 at once" in response.content.decode()
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


def test_with_htmx_the_notice_goes_above_the_page_and_leaves_the_form_alone(web, profile):
    response = web.post("/clients/new/", {"notes": "x" * 2_700_000}, HTTP_HX_REQUEST="true")
    assert response.status_code == 413
    assert (response["HX-Retarget"], response["HX-Reswap"]) == ("#main", "afterbegin show:top")
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="narrow problem" role="alert">')
    assert "Nothing was saved." in html
    assert not Client.objects.exists()


def test_in_debug_mode_too_the_page_is_rapports_not_djangos(web, flag, settings):
    settings.DEBUG = True
    response = web.post(f"/flags/{flag.pk}/acknowledge/", {"note": "x" * 2_700_000})
    assert response.status_code == 413
    assert "RequestDataTooBig" not in response.content.decode()


# --- numbers in URLs and query strings -------------------------------------------------------


def test_an_id_longer_than_a_bigint_in_a_url_is_a_404(web):
    assert web.get(f"/clients/{'9' * 19}/").status_code == 404
    assert web.get(f"/flags/{'9' * 5000}/").status_code == 404


@pytest.mark.parametrize("raw", ["9" * 5000, "9" * 19, "²", "٣", "-1", "1.5", ""])
def test_an_id_in_a_query_string_is_up_to_18_ascii_digits(raw):
    assert id_param(raw) is None


def test_a_client_of_5000_digits_preselects_no_one(web, profile):
    response = web.get("/interactions/new/", {"client": "9" * 5000})
    assert response.status_code == 200
    assert response.context["form"].initial.get("client") is None


def test_a_reminder_for_a_client_of_5000_digits_is_a_404(web, profile):
    assert web.get("/email/reminders/new/", {"client": "9" * 5000}).status_code == 404


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52", "1969-W52", "2201-W01"])
def test_a_review_week_outside_the_sane_years_is_a_404(web, profile, week):
    assert web.get(f"/review/{week}/").status_code == 404


# --- dates -----------------------------------------------------------------------------------


def test_a_year_1_confirmation_is_refused_on_a_new_client(web, profile):
    response = web.post(
        "/clients/new/",
        {"name": "Acme", "timezone": "Europe/Berlin", "status": "active"}
        | {"b-after_hours_policy": "not_ok", "b-confirmed_in_writing_at": "0001-01-01"},
    )
    assert response.status_code == 200
    assert DATE_RANGE in response.content.decode()
    assert not Client.objects.exists()


def test_an_interaction_in_year_1_is_refused(web, flag):
    response = web.post(
        "/interactions/new/",
        {"client": flag.client_id, "direction": "in", "channel": "email"}
        | {"occurred_at": "0001-01-01T00:00", "kind": "other", "tone": "neutral"},
    )
    assert response.status_code == 422
    assert DATE_RANGE in response.content.decode()
    assert Interaction.objects.count() == 1


def test_a_reminder_at_the_last_minute_of_9999_in_new_york_is_refused(web, profile, flag):
    FreelancerProfile.objects.filter(pk=profile.pk).update(timezone="America/New_York")
    response = web.post(
        "/email/reminders/new/",
        {"client": flag.client_id, "note": "Call", "remind_at": "9999-12-31T23:59"},
    )
    assert response.status_code == 422
    assert DATE_RANGE in response.content.decode()
    assert not FollowUp.objects.exists()


def test_a_snooze_until_9999_is_refused(web, flag):
    response = web.post(
        f"/flags/{flag.pk}/snooze/", {"until": "9999-12-31T23:59", "reason": "Later"}
    )
    assert response.status_code == 422
    assert DATE_RANGE in response.content.decode()
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


def test_an_import_runs_the_same_checks_through_full_clean(profile):
    client = Client(owner=profile.user, name="Acme\x00", notes="x" * (TEXT_LIMIT + 1))
    with pytest.raises(ValidationError) as refused:
        client.full_clean()
    assert set(refused.value.message_dict) == {"name", "notes"}
    interaction = InteractionFactory.build(
        client=ClientFactory(owner=profile.user),
        occurred_at=timezone.now() - timedelta(days=365 * 60),
    )
    with pytest.raises(ValidationError) as refused:
        interaction.full_clean()
    assert refused.value.message_dict["occurred_at"] == [DATE_RANGE]


# --- text ------------------------------------------------------------------------------------


def test_a_nul_byte_in_the_review_is_refused_and_saves_nothing(web, flag):
    week = f"{timezone.localdate():%G-W%V}"
    response = web.post(f"/review/{week}/clients/{flag.client_id}/", {"note": "a\x00b"})
    assert response.status_code == 422
    assert "Null characters are not allowed." in response.content.decode()
    assert not ReviewEntry.objects.exists()


def test_a_note_longer_than_its_field_is_refused_with_a_message_not_cut(web, flag):
    client = flag.client
    response = web.post(
        f"/clients/{client.pk}/edit/",
        {"name": client.name, "timezone": client.timezone, "status": client.status}
        | {"notes": "x" * (TEXT_LIMIT + 1), "b-after_hours_policy": "not_ok"}
        | {"b-reply_window_hours": 8, "b-update_cadence_days": 5, "b-checkin_cadence_days": 10}
        | {"change-requested_by": "freelancer"},
    )
    assert response.status_code == 200
    assert f"at most {TEXT_LIMIT} characters" in response.content.decode()
    client.refresh_from_db()
    assert client.notes == ""


class TextInputs(HTMLParser):
    """The text inputs and text areas of a page, and their maxlength."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "textarea" or (tag == "input" and a.get("type", "text") in ("text", "search")):
            self.found.append((a.get("name"), a.get("maxlength")))


# The quick log's texts: a browser cuts a paste at `maxlength` without a word, so these are
# refused whole with a message instead (docs/decisions/0015-long-text-refused-whole.md).
REFUSED_WHOLE = {"summary", "concern"}


def test_every_text_input_on_every_page_says_how_long_it_may_be(web, world):
    missing = []
    for route in ALL_ROUTES:
        url = route.url([world[key] for key in route.objects()])
        response = web.get(url)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            parser = TextInputs()
            parser.feed(response.content.decode())
            missing += [
                f"{url} {name}"
                for name, maxlength in parser.found
                if not maxlength and name not in REFUSED_WHOLE
            ]
    assert not missing, "text inputs without a maxlength:\n" + "\n".join(missing)
