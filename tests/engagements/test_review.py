"""The weekly review page: health, trend, the week's facts, decisions saved as you go."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from engagements.models import Flag, HealthSnapshot, ReviewEntry, Rule, Severity, WeeklyReview
from engagements.review import parse_week
from tests.factories import ClientFactory, InteractionFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 25, 11, tzinfo=BERLIN)  # Wednesday of 2026-W48


@pytest.fixture(autouse=True)
def wednesday():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme")


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2026-W48", date(2026, 11, 23)),
        ("2026-W01", date(2025, 12, 29)),
        ("2026-W53", date(2026, 12, 28)),
        ("2025-W53", None),
        ("2026-48", None),
        ("x", None),
    ],
)
def test_parse_week(text, monday):
    assert parse_week(text) == monday


def test_this_weeks_review_lists_active_clients_with_health_and_the_weeks_facts(
    logged_in, acme, profile
):
    ClientFactory(owner=profile.user, name="Paused Ltd", status="paused")
    InteractionFactory(client=acme, occurred_at=datetime(2026, 11, 24, 22, tzinfo=BERLIN))
    InteractionFactory(
        client=acme, occurred_at=datetime(2026, 11, 24, 10, tzinfo=BERLIN), direction="out"
    )
    response = logged_in.get("/review/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Weekly review · 2026-W48" in html
    assert "Acme" in html and "Paused Ltd" not in html
    assert "1 in · 1 out" in html and "1 out of hours" in html
    row = response.context["review"].rows[0]
    assert row.score is not None and row.band in ("green", "amber", "red")


def test_the_trend_shows_eight_weeks_of_snapshots_as_a_sparkline(logged_in, acme):
    for weeks_ago, score in enumerate([80, 60, 40]):
        HealthSnapshot.objects.create(
            client=acme, week=date(2026, 11, 16) - timedelta(weeks=weeks_ago), score=score
        )
    row = logged_in.get("/review/").context["review"].rows[0]
    assert row.trend[-4:-1] == [40, 60, 80]
    assert row.trend[:4] == [None] * 4
    assert "Health over 8 weeks" in logged_in.get("/review/").content.decode()


def test_red_two_weeks_running_suggests_talking_to_a_mentor_or_peer(logged_in, acme):
    HealthSnapshot.objects.create(client=acme, week=date(2026, 11, 16), score=30)
    HealthSnapshot.objects.create(client=acme, week=date(2026, 11, 23), score=35)
    response = logged_in.get("/review/2026-W48/")
    assert response.context["review"].rows[0].seek_support
    assert "mentor or a peer" in response.content.decode()


def test_amber_and_red_clients_get_the_step_back_questions(logged_in, acme):
    HealthSnapshot.objects.create(client=acme, week=date(2026, 11, 16), score=55)
    response = logged_in.get("/review/2026-W47/")
    assert "What is the client's underlying concern?" in response.content.decode()


def test_a_decision_is_saved_via_htmx_and_shown_on_the_page(logged_in, acme, user):
    response = logged_in.post(
        f"/review/2026-W48/clients/{acme.pk}/",
        {"decision": "boundary", "note": "State my hours on Monday", "concern": "Their launch"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200 and b"Saved" in response.content
    entry = ReviewEntry.objects.get(client=acme)
    assert (entry.review.week, entry.decision, entry.note, entry.owner) == (
        date(2026, 11, 23),
        "boundary",
        "State my hours on Monday",
        user,
    )
    assert 'value="boundary" checked' in logged_in.get("/review/").content.decode()
    logged_in.post(
        f"/review/2026-W48/clients/{acme.pk}/", {"decision": "keep_going"}, HTTP_HX_REQUEST="true"
    )
    assert ReviewEntry.objects.get(client=acme).decision == "keep_going"  # updated, not duplicated


@pytest.mark.parametrize(
    ("decision", "script", "title"),
    [
        ("boundary", "boundary", "Boundary statement (working hours)"),
        ("walk_away", "exit", "Respectful exit"),
        ("reset", "reply_window", "Reply-window statement"),
    ],
)
def test_a_decision_links_the_script_that_carries_it_out(logged_in, acme, decision, script, title):
    link = f'<a href="/scripts/client/{acme.pk}/{script}/">{title}</a>'
    assert link not in logged_in.get("/review/").content.decode()
    response = logged_in.post(
        f"/review/2026-W48/clients/{acme.pk}/", {"decision": decision}, HTTP_HX_REQUEST="true"
    )
    # At once, out of band beside the "Saved" status, and on the page from then on.
    saved = response.content.decode()
    assert f'id="decision-script-{acme.pk}" hx-swap-oob="true"' in saved and link in saved
    assert link in logged_in.get("/review/").content.decode()


def test_keep_going_links_no_script(logged_in, acme):
    response = logged_in.post(
        f"/review/2026-W48/clients/{acme.pk}/", {"decision": "keep_going"}, HTTP_HX_REQUEST="true"
    )
    assert "/scripts/" not in response.content.decode()
    assert f'<p class="decision-script" id="decision-script-{acme.pk}"></p>' in (
        logged_in.get("/review/").content.decode()
    )


def test_a_live_walk_away_flag_suggests_ending_the_engagement_with_the_exit_script(
    logged_in, acme, profile
):
    calm = ClientFactory(owner=profile.user, name="Calm Co")
    gone = ClientFactory(owner=profile.user, name="Resolved Ltd")
    for client, state in ((acme, Flag.State.SNOOZED), (gone, Flag.State.RESOLVED)):
        Flag.objects.create(
            client=client,
            rule=Rule.WALK_AWAY,
            severity=Severity.BREACH,
            subject=f"client:{client.pk}",
            summary=f"Consider ending the engagement with {client.name}",
            state=state,
            snoozed_until=NOW + timedelta(days=1),
            resolved_at=NOW if state == Flag.State.RESOLVED else None,
        )
    response = logged_in.get("/review/")
    walk_away = {row.name: row.walk_away for row in response.context["review"].rows}
    assert walk_away == {"Acme": True, "Calm Co": False, "Resolved Ltd": False}
    html = response.content.decode()
    assert html.count("Consider ending this engagement.") == 1
    assert f'<a href="/scripts/client/{acme.pk}/exit/">Respectful exit script</a>' in html
    assert calm.name in html


def test_a_review_can_be_marked_complete(logged_in, acme, user):
    response = logged_in.post("/review/2026-W48/complete/")
    assert response.status_code == 302
    assert WeeklyReview.objects.get(owner=user, week=date(2026, 11, 23)).completed_at == NOW


def test_past_reviews_are_read_only(logged_in, acme):
    response = logged_in.post(f"/review/2026-W47/clients/{acme.pk}/", {"decision": "walk_away"})
    assert response.status_code == 422
    assert "past weeks are read-only" in response.content.decode()
    assert not ReviewEntry.objects.exists()
    assert b"disabled" in logged_in.get("/review/2026-W47/").content


def test_an_unknown_decision_is_refused(logged_in, acme):
    response = logged_in.post(f"/review/2026-W48/clients/{acme.pk}/", {"decision": "shout"})
    assert response.status_code == 422
    assert "Choose one of the decisions offered." in response.content.decode()
    assert not ReviewEntry.objects.exists()


@pytest.mark.parametrize("week", ["2026-W99", "2026-48", "banana", "2027-W10"])
def test_a_malformed_or_future_week_is_a_404(logged_in, week):
    assert logged_in.get(f"/review/{week}/").status_code == 404


def test_another_users_client_is_a_404_in_the_review(client, outsider, acme):
    client.force_login(outsider)
    assert (
        client.post(f"/review/2026-W48/clients/{acme.pk}/", {"decision": "walk_away"}).status_code
        == 404
    )
    assert "Acme" not in client.get("/review/").content.decode()


@pytest.mark.parametrize("n", [3, 30])
def test_the_review_page_runs_a_fixed_number_of_queries(
    logged_in, profile, django_assert_max_num_queries, n
):
    for i in range(n):
        ClientFactory(owner=profile.user, name=f"C{i}")
    with django_assert_max_num_queries(22):
        assert logged_in.get("/review/").status_code == 200
