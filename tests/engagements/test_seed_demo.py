"""`manage.py seed_demo`: the demo/demo account that tells every rule's story, and bulk benchmark
users (--scale). Seeding and evaluating happen inside one time travel, at fixed Berlin moments."""

from collections import Counter
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from clients.models import Boundaries, Client, Contact
from engagements.evaluation import evaluate
from engagements.models import ChangeRecord, Engagement, Expectation, Flag, Interaction, Rule

BERLIN = ZoneInfo("Europe/Berlin")
# The demo should tell its story whatever day it is seeded (November 2026: the 23rd is a Monday).
MOMENTS = [
    pytest.param(datetime(2026, 11, 25, 11, 0, tzinfo=BERLIN), id="wednesday-11:00"),
    pytest.param(datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN), id="monday-09:30"),
    pytest.param(datetime(2026, 11, 28, 15, 0, tzinfo=BERLIN), id="saturday-15:00"),
]
EVALUATED_RULES = Rule.values  # walk away too: the demo has seven weeks of health snapshots


@pytest.fixture
def debug(settings):
    """pytest-django runs with DEBUG off; the demo account is for development only."""
    settings.DEBUG = True


def seed(*args, at: datetime) -> str:
    out = StringIO()
    with time_machine.travel(at, tick=False):
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def demo_user():
    return get_user_model().objects.get(username="demo")


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def seed_and_evaluate(at: datetime):
    with time_machine.travel(at, tick=False):
        call_command("seed_demo", stdout=StringIO())
        user = demo_user()
        evaluate(user.pk)
    return user


# The demo account ----------------------------------------------------------------------------


@pytest.mark.parametrize("at", MOMENTS)
def test_the_demo_account_has_eight_clients_around_the_world_with_eight_weeks_of_history(
    db, debug, at
):
    seed(at=at)
    user = get_user_model().objects.get(username="demo")
    assert user.check_password("demo") and user.is_active

    clients = list(Client.objects.owned_by(user))
    zones = {c.timezone for c in clients}
    assert len(clients) == len(zones) == 8
    assert "Pacific/Apia" in zones  # across the date line
    assert zones & {"Pacific/Auckland", "Australia/Sydney"}  # southern-hemisphere DST
    for c in clients:
        assert Boundaries.objects.filter(client=c).exists(), c.name
        assert Contact.objects.filter(client=c).exists(), c.name
        assert Expectation.objects.filter(engagement__client=c).exists(), c.name
        assert Interaction.objects.filter(client=c).exists(), c.name

    times = Interaction.objects.owned_by(user).values_list("occurred_at", flat=True)
    oldest, newest = min(times), max(times)
    assert oldest <= at - timedelta(days=50)
    assert at - timedelta(days=1) <= newest <= at

    records = ChangeRecord.objects.owned_by(user)
    assert records.exists()
    assert records.filter(confirmed_in_writing=False).exists()


def test_out_of_hours_on_the_demo_log_is_derived_from_the_freelancers_working_hours(db, debug):
    seed(at=datetime(2026, 11, 25, 11, tzinfo=BERLIN))
    user = demo_user()
    calendar = user.profile.calendar()
    rows = list(
        Interaction.objects.owned_by(user).values_list("occurred_at", "out_of_hours", "automated")
    )
    assert {ooh for _, ooh, _ in rows} == {True, False}
    # Automated mail (an auto-reply in the demo's mail) is never contact out of hours.
    assert all(ooh == (not auto and not calendar.is_working(at)) for at, ooh, auto in rows)
    assert any(auto and not calendar.is_working(at) for at, _, auto in rows)


def test_seeding_twice_changes_nothing_and_says_so(db, debug):
    first = seed(at=datetime(2026, 11, 25, 11, tzinfo=BERLIN))
    assert "Created the demo account" in first
    before = row_counts()
    again = seed(at=datetime(2026, 11, 26, 14, tzinfo=BERLIN))
    assert "already there; nothing changed" in again
    assert row_counts() == before


@pytest.mark.parametrize("at", MOMENTS)
def test_one_evaluation_pass_after_seeding_raises_every_rule(db, debug, at):
    user = seed_and_evaluate(at)
    raised = Counter(Flag.objects.owned_by(user).values_list("rule", flat=True))
    assert [r for r in EVALUATED_RULES if not raised[r]] == []


@pytest.mark.parametrize("at", MOMENTS)
def test_each_demo_client_raises_the_flags_of_its_story(db, debug, at):
    user = seed_and_evaluate(at)
    flags = Flag.objects.owned_by(user).select_related("client", "expectation")
    by_client = {(f.client.name, f.rule) for f in flags}
    assert {
        ("Acme Robotics", Rule.REPLY_OWED),
        ("Samoa Tourism Board", Rule.UPDATE_OWED),
        ("Samoa Tourism Board", Rule.CHECK_IN_MISSED),
        ("Bright Ledger", Rule.OUT_OF_HOURS),
        ("Bright Ledger", Rule.BOUNDARY_PATTERN),
        ("Bright Ledger", Rule.SELF_BOUNDARY),
        ("Hartmann GmbH", Rule.OFF_CHANNEL),
        ("Lotus Payments", Rule.WAITING_ON_CLIENT),
        ("Himal Treks", Rule.UNDOCUMENTED),
    } <= by_client
    # Two hostile messages within 30 days: a breach, not a warning.
    assert {(f.client.name, f.severity) for f in flags if f.rule == Rule.DISRESPECT} == {
        ("Hartmann GmbH", "breach")
    }
    # One deliverable overdue, one due tomorrow and not started.
    assert {(f.expectation.title, f.severity) for f in flags if f.rule == Rule.DEADLINE} == {
        ("Event microsite", "breach"),
        ("Speaker page", "warning"),
    }
    # The healthy client is the contrast: nothing owed, nothing late, nothing hostile.
    kiwi = {rule for name, rule in by_client if name == "Kiwi Studio"}
    assert not kiwi & {
        Rule.REPLY_OWED,
        Rule.UPDATE_OWED,
        Rule.CHECK_IN_MISSED,
        Rule.DEADLINE,
        Rule.WAITING_ON_CLIENT,
        Rule.DISRESPECT,
        Rule.BOUNDARY_PATTERN,
    }


def test_with_debug_off_it_refuses_and_says_why_creating_no_user(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed(at=datetime(2026, 11, 25, 11, tzinfo=BERLIN))
    assert not get_user_model().objects.exists()
    assert not Client.objects.exists()


# Benchmark users (--scale) -------------------------------------------------------------------

SCALE_AT = datetime(2026, 11, 25, 11, tzinfo=BERLIN)


def test_scale_creates_benchmark_users_with_clients_boundaries_engagements_and_history(db):
    out = seed("--scale", "2", "3", "4", at=SCALE_AT)
    assert "2 benchmark users created" in out
    users = get_user_model().objects.order_by("username")
    assert [u.username for u in users] == ["bench-0001", "bench-0002"]
    seen_out_of_hours = set()
    for user in users:
        assert not user.has_usable_password()
        clients = list(Client.objects.owned_by(user))
        assert len(clients) == 3
        for c in clients:
            assert Boundaries.objects.filter(client=c, owner=user).exists()
            (engagement,) = Engagement.objects.filter(client=c)
            owed_by = Expectation.objects.filter(engagement=engagement).values_list(
                "owed_by", flat=True
            )
            assert sorted(owed_by) == ["client", "freelancer"]
        rows = list(Interaction.objects.owned_by(user).values_list("occurred_at", "out_of_hours"))
        assert len(rows) == 12
        calendar = user.profile.calendar()
        for at, out_of_hours in rows:
            assert out_of_hours == (not calendar.is_working(at)), (user.username, at)
            assert at <= SCALE_AT
        seen_out_of_hours |= {ooh for _, ooh in rows}
    assert seen_out_of_hours == {True, False}  # the sample checks both answers


def test_scale_run_again_creates_nothing_more(db):
    seed("--scale", "2", "3", "4", at=SCALE_AT)
    before = row_counts()
    out = seed("--scale", "2", "3", "4", at=SCALE_AT + timedelta(hours=3))
    assert "0 benchmark users created, 2 already there" in out
    assert row_counts() == before


@pytest.mark.parametrize("numbers", ["0 1 1", "1 0 1", "1 1 0"])
def test_scale_needs_three_positive_numbers(db, numbers):
    with pytest.raises(CommandError, match="positive"):
        seed("--scale", *numbers.split(), at=SCALE_AT)
    assert not get_user_model().objects.exists()


def test_copy_writes_every_column_as_bulk_create_would(postgres):
    """The benchmark loads its million rows with COPY; a column added to Interaction (and left
    out of the COPY) would break `make bench` on a fresh database."""
    from engagements.management.commands.seed_demo import copy_interactions

    seed("--scale", "1", "1", "2", at=SCALE_AT)
    fields = [f.attname for f in Interaction._meta.concrete_fields if not f.primary_key]
    template = Interaction.objects.first()
    copied = Interaction(**{a: getattr(template, a) for a in fields if a != "created_at"})
    copied.script = "boundary"
    copy_interactions([copied])
    latest = Interaction.objects.latest("pk")
    assert latest.script == "boundary"
    assert latest.created_at is not None
    assert {a: getattr(latest, a) for a in fields if a != "created_at"} == {
        a: getattr(copied, a) for a in fields if a != "created_at"
    }
