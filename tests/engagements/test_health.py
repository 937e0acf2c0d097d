"""Client health: each component moves the score the right way; weekly snapshots; walk away."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.business_time import BusinessCalendar
from engagements.evaluation import evaluate, load_pass
from engagements.health import ClientFacts, band, health_by_client, score, snapshot_moment
from engagements.models import Flag, HealthSnapshot, Rule
from engagements.snapshots import take_weekly_snapshot
from tests.factories import ClientFactory, InteractionFactory

BERLIN = ZoneInfo("Europe/Berlin")
CAL = BusinessCalendar(BERLIN, [(d, time(9), time(17)) for d in range(5)], holiday_country="DE")
NOW = datetime(2026, 11, 25, 12, tzinfo=BERLIN)


def health(**facts):
    return score(ClientFacts(**facts), CAL, NOW)


def test_a_client_with_nothing_against_them_is_fully_healthy_and_green():
    h = health()
    assert (h.score, h.band) == (100, "green")
    assert [c.label for c in h.components] == [
        "My responsiveness",
        "Client responsiveness",
        "Out-of-hours contact",
        "Open breaches",
        "Deadline reliability",
        "Documentation",
        "Tone",
    ]


@pytest.mark.parametrize(
    "facts",
    [
        {"replies": [(NOW - timedelta(days=5), None)]},  # a reply long overdue
        {"client_owed": [(date(2026, 11, 20), None)]},  # they owe something past due
        {"inbound": 10, "inbound_out_of_hours": 4},
        {"open_breaches": 1},
        {
            "mine_owed": [(date(2026, 11, 20), datetime(2026, 11, 23, 10, tzinfo=BERLIN))]
        },  # delivered late
        {"due_date_changes": 2},
        {"agreements": 2, "unconfirmed": 1},
        {"hostile": 1},
        {"tense": 1},
    ],
)
def test_each_kind_of_trouble_lowers_the_score(facts):
    assert health(**facts).score < 100


def test_a_reply_within_the_window_counts_as_prompt_and_one_outside_as_late():
    asked = datetime(2026, 11, 23, 10, tzinfo=BERLIN)
    prompt = health(replies=[(asked, asked + timedelta(hours=2))])
    late = health(replies=[(asked, asked + timedelta(days=2))])
    assert prompt.components[0].score == 1.0
    assert late.components[0].score == 0.0
    assert late.components[0].explanation == "0 of 1 replies within 8 working hours"


def test_more_out_of_hours_contact_means_a_lower_score():
    scores = [health(inbound=10, inbound_out_of_hours=n).score for n in range(0, 11)]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > scores[5] == scores[10]  # half or more out of hours scores zero on that part


@settings(max_examples=50, deadline=None)
@given(
    breaches=st.integers(0, 5),
    hostile=st.integers(0, 5),
    tense=st.integers(0, 5),
    ooh=st.integers(0, 20),
    changes=st.integers(0, 8),
)
def test_the_score_stays_between_0_and_100_and_more_trouble_never_raises_it(
    breaches, hostile, tense, ooh, changes
):
    facts = dict(
        open_breaches=breaches,
        hostile=hostile,
        tense=tense,
        inbound=20,
        inbound_out_of_hours=ooh,
        due_date_changes=changes,
    )
    h = health(**facts)
    assert 0 <= h.score <= 100
    worse = health(**{**facts, "open_breaches": breaches + 1, "hostile": hostile + 1})
    assert worse.score <= h.score


@pytest.mark.parametrize(
    ("value", "expected"),
    [(100, "green"), (75, "green"), (74, "amber"), (50, "amber"), (49, "red"), (0, "red")],
)
def test_bands(value, expected):
    assert band(value) == expected


@pytest.mark.parametrize(
    ("zone", "week", "expected"),
    [
        ("Europe/Berlin", date(2026, 11, 23), datetime(2026, 11, 23, 9, tzinfo=BERLIN)),
        # Easter Monday is a holiday in Germany: the first working window is on Tuesday.
        ("Europe/Berlin", date(2026, 4, 6), datetime(2026, 4, 7, 9, tzinfo=BERLIN)),
        # The week after Europe springs forward (29 March): 09:00 is now UTC+2.
        ("Europe/Berlin", date(2026, 3, 30), datetime(2026, 3, 30, 7, tzinfo=ZoneInfo("UTC"))),
        # New York's clocks change on 8 March 2026; Monday the 9th starts at 09:00 EDT = 13:00 UTC.
        ("America/New_York", date(2026, 3, 9), datetime(2026, 3, 9, 13, tzinfo=ZoneInfo("UTC"))),
    ],
)
def test_the_snapshot_is_due_at_the_first_working_window_of_the_week_in_the_freelancers_zone(
    zone, week, expected
):
    cal = BusinessCalendar(
        zone,
        [(d, time(9), time(17)) for d in range(5)],
        holiday_country="DE" if zone == "Europe/Berlin" else "",
    )
    assert snapshot_moment(cal, week) == expected


def test_without_working_hours_the_snapshot_is_due_at_monday_midnight():
    cal = BusinessCalendar(BERLIN, [])
    assert snapshot_moment(cal, date(2026, 11, 23)) == datetime(2026, 11, 23, tzinfo=BERLIN)


@pytest.fixture
def clients(profile):
    with time_machine.travel(datetime(2026, 10, 1, 9, tzinfo=BERLIN), tick=False):
        active = [ClientFactory(owner=profile.user, name=f"Active {n}") for n in range(3)]
        ClientFactory(owner=profile.user, name="Paused", status="paused")
    return active


def test_snapshots_wait_for_the_week_to_begin_then_cover_each_active_client_once(clients, user):
    monday = datetime(2026, 11, 23, 8, 59, tzinfo=BERLIN)
    assert take_weekly_snapshot(user.pk, monday) == 0
    assert take_weekly_snapshot(user.pk, monday + timedelta(minutes=1)) == 3
    assert take_weekly_snapshot(user.pk, monday + timedelta(hours=1)) == 0
    assert HealthSnapshot.objects.owned_by(user).filter(week=date(2026, 11, 23)).count() == 3


def test_a_snapshot_records_the_score_and_its_explained_components(clients, user):
    InteractionFactory(
        client=clients[0], occurred_at=datetime(2026, 11, 20, 22, tzinfo=BERLIN), tone="hostile"
    )
    take_weekly_snapshot(user.pk, datetime(2026, 11, 23, 10, tzinfo=BERLIN))
    snap = HealthSnapshot.objects.get(client=clients[0])
    assert snap.score < 100
    assert {c["key"]: c["explanation"] for c in snap.components}[
        "tone"
    ] == "1 hostile and 0 tense messages"


@pytest.mark.parametrize("n", [5, 50])
def test_health_for_all_clients_takes_the_same_number_of_queries_for_5_or_50(profile, user, n):
    for i in range(n):
        ClientFactory(owner=user, name=f"C{i}")
    p = load_pass(user.pk, NOW)
    with CaptureQueriesContext(connection) as queries:
        assert len(health_by_client(p, NOW)) == n
    assert len(queries) == 5


def red_weeks(client, scores, last_monday=date(2026, 11, 23)):
    for weeks_ago, s in enumerate(scores):
        HealthSnapshot.objects.create(
            client=client, week=last_monday - timedelta(weeks=weeks_ago), score=s
        )


def test_three_red_weeks_in_a_row_raise_walk_away_until_health_recovers(clients, user):
    red_weeks(clients[0], [30, 35, 20])
    red_weeks(clients[1], [30, 35])  # only two weeks
    red_weeks(clients[2], [30, 80, 20])  # not consecutive red
    with time_machine.travel(datetime(2026, 11, 23, 10, tzinfo=BERLIN), tick=False):
        evaluate(user.pk)
    (flag,) = Flag.objects.owned_by(user).live().filter(rule=Rule.WALK_AWAY)
    assert (flag.client, flag.figures["scores"]) == (clients[0], [30, 35, 20])
    HealthSnapshot.objects.create(client=clients[0], week=date(2026, 11, 30), score=70)
    with time_machine.travel(datetime(2026, 11, 30, 10, tzinfo=BERLIN), tick=False):
        evaluate(user.pk)
    assert not Flag.objects.owned_by(user).live().filter(rule=Rule.WALK_AWAY).exists()


def test_out_of_hours_contact_going_on_after_a_boundary_statement_raises_walk_away(clients, user):
    acme = clients[0]
    InteractionFactory(
        client=acme,
        direction="out",
        script="boundary",
        occurred_at=datetime(2026, 11, 16, 10, tzinfo=BERLIN),
    )
    for day in (17, 18):
        InteractionFactory(client=acme, occurred_at=datetime(2026, 11, day, 22, tzinfo=BERLIN))
    with time_machine.travel(datetime(2026, 11, 19, 10, tzinfo=BERLIN), tick=False):
        evaluate(user.pk)
    assert (
        not Flag.objects.owned_by(user).live().filter(rule=Rule.WALK_AWAY).exists()
    )  # two is not yet a pattern
    InteractionFactory(client=acme, occurred_at=datetime(2026, 11, 19, 23, tzinfo=BERLIN))
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=BERLIN), tick=False):
        evaluate(user.pk)
    (flag,) = Flag.objects.owned_by(user).live().filter(rule=Rule.WALK_AWAY)
    assert (flag.client, flag.figures) == (acme, {"after_boundary_statement": 3})
