"""The weekly review page: it looks back on the week that ended (until the first working day of
the new week is over), with health as each week ended, the week's facts, the snoozes, last
week's decision, why a prompt is there, and decisions saved as you go. Alice works Mon–Fri
09–17 in Berlin."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.models import DayOff
from engagements.evaluation import evaluate
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


def snapshot(client, week, score):
    """The health snapshot taken as `week` began: health as the week before it ended."""
    HealthSnapshot.objects.create(client=client, week=week, score=score)


MONDAY_30 = date(2026, 11, 30)  # the first day of 2026-W49


@pytest.mark.parametrize(
    ("at", "opens_on"),
    [
        (datetime(2026, 11, 30, 8, tzinfo=BERLIN), "2026-W48"),  # Monday morning: look back
        (datetime(2026, 11, 30, 16, 59, tzinfo=BERLIN), "2026-W48"),
        (datetime(2026, 11, 30, 17, tzinfo=BERLIN), "2026-W49"),  # Monday's work is over
        (datetime(2026, 12, 2, 11, tzinfo=BERLIN), "2026-W49"),
    ],
)
def test_the_review_opens_on_the_week_that_ended_until_the_first_working_day_is_over(
    logged_in, acme, at, opens_on
):
    with time_machine.travel(at, tick=False):
        assert logged_in.get("/review/").context["review"].label == opens_on


def test_after_a_monday_off_the_review_looks_back_until_tuesdays_work_is_over(
    logged_in, acme, profile
):
    DayOff.objects.create(profile=profile, date=MONDAY_30)
    with time_machine.travel(datetime(2026, 12, 1, 12, tzinfo=BERLIN), tick=False):
        assert logged_in.get("/review/").context["review"].label == "2026-W48"
    with time_machine.travel(datetime(2026, 12, 1, 17, tzinfo=BERLIN), tick=False):
        assert logged_in.get("/review/").context["review"].label == "2026-W49"


def test_on_monday_morning_the_review_shows_the_week_that_ended_and_links_the_one_in_progress(
    logged_in, acme
):
    InteractionFactory(client=acme, occurred_at=datetime(2026, 11, 26, 10, tzinfo=BERLIN))
    InteractionFactory(client=acme, occurred_at=datetime(2026, 11, 27, 22, tzinfo=BERLIN))
    with time_machine.travel(datetime(2026, 11, 30, 9, 30, tzinfo=BERLIN), tick=False):
        response = logged_in.get("/review/")
    html = response.content.decode()
    assert "Weekly review · 2026-W48" in html and "Mon 23 – Sun 29 Nov 2026" in html
    assert "2 in · 0 out" in html and "1 out of hours" in html
    assert 'href="/review/2026-W49/">This week so far (2026-W49) →</a>' in html
    assert not response.context["review"].read_only


def test_a_weeks_score_is_its_health_as_it_ended_and_the_trend_reads_the_same_series(
    logged_in, acme
):
    # Taken as W45, W46, W47 and W48 began: health as W44 … W47 ended.
    for week, score in [(date(2026, 11, 2), 40), (date(2026, 11, 9), 60), (date(2026, 11, 16), 80)]:
        snapshot(acme, week, score)
    snapshot(acme, date(2026, 11, 23), 70)
    row = logged_in.get("/review/2026-W47/").context["review"].rows[0]
    assert row.score == 70  # the snapshot taken as W48 began
    assert [(p.label, p.score) for p in row.trend] == [
        ("W40", None),
        ("W41", None),
        ("W42", None),
        ("W43", None),
        ("W44", 40),
        ("W45", 60),
        ("W46", 80),
        ("W47", 70),
    ]
    html = logged_in.get("/review/2026-W47/").content.decode()
    assert "Health as each week ended, 0 to 100" in html and "W47 70" in html
    assert "Green from 75, amber from 50." in html


def test_red_two_weeks_running_suggests_talking_to_a_mentor_or_peer_and_says_which(logged_in, acme):
    snapshot(acme, date(2026, 11, 16), 30)  # W46 ended red
    snapshot(acme, date(2026, 11, 23), 35)  # W47 ended red
    response = logged_in.get("/review/2026-W47/")
    assert (
        response.context["review"].rows[0].seek_support
        == "Red two weeks running: 30 in W46 and 35 in W47"
    )
    assert "Consider talking it through with a mentor or a peer" in response.content.decode()


def test_an_amber_score_never_sits_under_red_two_weeks_running(logged_in, acme):
    snapshot(acme, date(2026, 11, 16), 30)
    snapshot(acme, date(2026, 11, 23), 35)
    # This week so far: one request unanswered past its window (-25), two red flags open (-15).
    InteractionFactory(
        client=acme, occurred_at=datetime(2026, 11, 23, 9, tzinfo=BERLIN), needs_reply=True
    )
    for n in range(2):
        Flag.objects.create(
            client=acme, rule=Rule.DEADLINE, severity=Severity.BREACH, subject=f"x:{n}", summary="x"
        )
    row = logged_in.get("/review/2026-W48/").context["review"].rows[0]
    assert (row.score, row.band) == (60, "amber")
    assert [p.score for p in row.trend[-2:]] == [35, 60]
    assert row.seek_support == ""
    assert "Red two weeks running" not in logged_in.get("/review/2026-W48/").content.decode()


def test_a_walk_away_prompt_says_which_weeks_and_scores(logged_in, acme, user):
    for week, score in [
        (date(2026, 11, 9), 38),
        (date(2026, 11, 16), 33),
        (date(2026, 11, 23), 29),
    ]:
        snapshot(acme, week, score)
    evaluate(user.pk, now=NOW)
    row = logged_in.get("/review/2026-W48/").context["review"].rows[0]
    assert row.walk_away == "Health below 40 for 3 weeks running: 38 in W45, 33 in W46, 29 in W47."
    html = logged_in.get("/review/2026-W48/").content.decode()
    assert "Consider ending this engagement." in html and "29 in W47" in html


def test_open_snoozes_show_with_their_reason_and_expiry(logged_in, acme):
    Flag.objects.create(
        client=acme,
        rule=Rule.REPLY_OWED,
        severity=Severity.WARNING,
        subject="interaction:1",
        summary="Reply owed to Acme",
        state=Flag.State.SNOOZED,
        snoozed_until=datetime(2026, 11, 27, 9, tzinfo=BERLIN),
        snooze_reason="They are in the middle of a launch",
    )
    html = logged_in.get("/review/").content.decode()
    assert (
        "Snoozed until Fri 27 Nov, 09:00:</strong> Reply owed to Acme "
        '<span class="muted">(Reply owed)</span> — They are in the middle of a launch'
    ) in html


def test_last_weeks_decision_and_note_stand_beside_this_weeks(logged_in, acme, user):
    last = WeeklyReview.objects.create(owner=user, week=date(2026, 11, 16))
    ReviewEntry.objects.create(
        review=last, client=acme, decision="reset", note="They want daily updates"
    )
    InteractionFactory(client=acme, occurred_at=datetime(2026, 11, 24, 10, tzinfo=BERLIN))
    html = logged_in.get("/review/2026-W48/").content.decode()
    assert (
        "<strong>Last week:</strong> Reset expectations — “They want daily updates”. "
        '<span class="muted">Since then: 1 in · 0 out · flags 0 opened, 0 resolved.</span>'
    ) in html


def test_the_step_back_questions_open_only_when_a_decision_needs_them(logged_in, acme, user):
    snapshot(acme, date(2026, 11, 23), 55)  # amber
    closed = logged_in.get("/review/2026-W47/").content.decode()
    assert '<details class="step-back">' in closed
    assert "What is the client's underlying concern?" in closed  # there, folded away
    logged_in.post(f"/review/2026-W48/clients/{acme.pk}/", {"decision": "reset"})
    opened = logged_in.get("/review/2026-W48/").content.decode()
    assert '<details class="step-back" open>' in opened
    logged_in.post(f"/review/2026-W48/clients/{acme.pk}/", {"decision": "keep_going"})
    assert '<details class="step-back">' in logged_in.get("/review/2026-W48/").content.decode()


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
    walk_away = {row.name: bool(row.walk_away) for row in response.context["review"].rows}
    assert walk_away == {"Acme": True, "Calm Co": False, "Resolved Ltd": False}
    html = response.content.decode()
    assert html.count("Consider ending this engagement.") == 1
    assert f'<a href="/scripts/client/{acme.pk}/exit/">Respectful exit script</a>' in html
    assert calm.name in html


def test_a_review_can_be_marked_complete(logged_in, acme, user):
    response = logged_in.post("/review/2026-W48/complete/")
    assert response.status_code == 302
    assert WeeklyReview.objects.get(owner=user, week=date(2026, 11, 23)).completed_at == NOW


def test_the_week_before_can_still_be_decided_on_and_older_ones_are_read_only(logged_in, acme):
    response = logged_in.post(f"/review/2026-W46/clients/{acme.pk}/", {"decision": "walk_away"})
    assert response.status_code == 422
    assert "only the week in progress and the one before it" in response.content.decode()
    assert not ReviewEntry.objects.exists()
    assert b"disabled" in logged_in.get("/review/2026-W46/").content
    ok = logged_in.post(f"/review/2026-W47/clients/{acme.pk}/", {"decision": "walk_away"})
    assert ok.status_code == 302
    assert ReviewEntry.objects.get().review.week == date(2026, 11, 16)


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
