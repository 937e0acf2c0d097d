"""Which clients the beat's pass evaluates (engagements/due.py): those written to since their last
evaluation, and those whose stored next moment has come, which is the very instant a verdict
changes by time alone."""

import threading
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connections, transaction

from clients.models import Client, FreelancerProfile
from engagements import documentation, snapshots
from engagements.due import due_clients
from engagements.evaluation import evaluate
from engagements.models import ClientActivity, Expectation, Flag, Interaction, Rule
from engagements.services import log_interaction
from tests.factories import (
    ClientFactory,
    EngagementFactory,
    ExpectationFactory,
    InteractionFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 6, 8)


def berlin(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=BERLIN)


NOW = berlin(MONDAY, 10)


@pytest.fixture
def quiet(profile):
    """A client with no engagement and check-ins every 60 working days: nothing falls due soon."""
    with time_machine.travel(NOW - timedelta(days=2), tick=False):
        client = ClientFactory(
            owner=profile.user, name="Quiet Co", boundaries__checkin_cadence_days=60
        )
        evaluate(profile.user_id)
    return client


def due_pass(owner_id: int, now: datetime) -> int:
    """The beat's pass for this freelancer at `now`; the rows it wrote."""
    with time_machine.travel(now, tick=False):
        if clients := due_clients(now).get(owner_id):
            return evaluate(owner_id, client_ids=clients, now=now).rows_written
    return 0


def stored(client: Client) -> datetime | None:
    return ClientActivity.objects.get(client=client).due_at


def full_pass_writes(owner_id: int, now: datetime) -> int:
    """What a full pass at `now` would write, rolled back."""
    sid = transaction.savepoint()
    written = evaluate(owner_id, now=now).rows_written
    transaction.savepoint_rollback(sid)
    return written


def inbound(client, at, **fields):
    with time_machine.travel(at, tick=False):
        return log_interaction(client=client, direction=Interaction.Direction.INBOUND, **fields)


# Writes mark, evaluations clear ---------------------------------------------------------


def test_a_client_written_to_is_due_and_only_it(quiet, profile):
    other = ClientFactory(owner=profile.user)
    evaluate(profile.user_id, now=NOW)
    assert due_clients(NOW) == {}

    inbound(quiet, NOW, summary="Hello")

    assert due_clients(NOW) == {profile.user_id: [quiet.pk]}
    assert other.pk not in due_clients(NOW + timedelta(days=1)).get(profile.user_id, [])


def test_once_evaluated_a_client_is_not_due_until_its_moment(quiet, profile):
    inbound(quiet, NOW, summary="Hello")
    due_pass(profile.user_id, NOW + timedelta(minutes=5))
    assert due_clients(NOW + timedelta(minutes=10)) == {}


def test_a_new_client_is_due_before_it_has_any_row(profile):
    client = ClientFactory(owner=profile.user)
    ClientActivity.objects.filter(client=client).delete()
    assert due_clients(NOW) == {profile.user_id: [client.pk]}


def test_an_ended_client_is_evaluated_once_its_flags_resolved_then_never_due(quiet, profile):
    inbound(quiet, NOW - timedelta(days=3), needs_reply=True)  # Friday: owed since today
    due_pass(profile.user_id, NOW)
    assert Flag.objects.filter(client=quiet, rule=Rule.REPLY_OWED).live().count() == 1
    with time_machine.travel(NOW, tick=False):
        quiet.status = Client.Status.ENDED
        quiet.save()

    due_pass(profile.user_id, NOW + timedelta(minutes=5))

    assert Flag.objects.filter(client=quiet, rule=Rule.REPLY_OWED).live().count() == 0
    assert stored(quiet) is None


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda c: Client.objects.get(pk=c.pk).save(), id="the client"),
        pytest.param(lambda c: c.boundaries.save(), id="its boundaries"),
        pytest.param(lambda c: EngagementFactory(client=c), id="an engagement"),
        pytest.param(lambda c: FreelancerProfile.for_user(c.owner_id).save(), id="the profile"),
        pytest.param(
            lambda c: FreelancerProfile.for_user(c.owner_id).days_off.create(date=MONDAY),
            id="a day off",
        ),
    ],
)
def test_rows_the_rules_read_mark_the_client_due_when_saved(quiet, profile, change):
    due_pass(profile.user_id, NOW)
    with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
        change(quiet)
    assert quiet.pk in due_clients(NOW + timedelta(minutes=1)).get(profile.user_id, [])


# The moment stored is the instant a verdict changes --------------------------------------


def exactly_at(client, profile, moment: datetime, evaluated_at: datetime = NOW) -> None:
    """The pass at `evaluated_at` stored `moment`; a full pass just before it would write nothing;
    the due pass at it writes something."""
    due_pass(profile.user_id, evaluated_at)
    assert stored(client) == moment
    assert full_pass_writes(profile.user_id, moment - timedelta(microseconds=1)) == 0
    assert due_clients(moment) == {profile.user_id: [client.pk]}
    assert due_pass(profile.user_id, moment) > 0


def test_a_reply_owed_warning_then_its_breach(quiet, profile):
    inbound(quiet, NOW, needs_reply=True)  # 8 working hours, a warning at 75 %
    exactly_at(quiet, profile, berlin(MONDAY, 16))
    assert Flag.objects.get(client=quiet, rule=Rule.REPLY_OWED).severity == "warning"
    assert stored(quiet) == berlin(MONDAY + timedelta(days=1), 10)  # till 17:00, then 09:00–10:00


def test_a_snooze_ending(quiet, profile):
    inbound(quiet, berlin(MONDAY, 7))  # out of hours
    due_pass(profile.user_id, NOW)
    flag = Flag.objects.get(client=quiet, rule=Rule.OUT_OF_HOURS)
    with time_machine.travel(NOW, tick=False):
        flag.snooze(NOW + timedelta(hours=3), "after lunch", NOW)
    exactly_at(quiet, profile, NOW + timedelta(hours=3))
    assert Flag.objects.get(pk=flag.pk).state == Flag.State.OPEN


def test_an_update_falling_due(quiet, profile):
    with time_machine.travel(NOW, tick=False):
        EngagementFactory(client=quiet, start=MONDAY)
        quiet.boundaries.update_cadence_days = 2
        quiet.boundaries.save()
        documentation.confirm_boundaries(quiet.boundaries, "their email")
    # 2 working days from Monday 00:00: due at Wednesday 17:00; a warning at 75 % of them.
    exactly_at(quiet, profile, berlin(MONDAY + timedelta(days=2), 11))


def test_something_the_client_owes_falling_overdue(quiet, profile):
    with time_machine.travel(NOW, tick=False):
        ExpectationFactory(engagement=EngagementFactory(client=quiet), owed_by="client", due=MONDAY)
        Expectation.objects.update(confirmed_in_writing=True)
    exactly_at(quiet, profile, berlin(MONDAY + timedelta(days=1), 0))


def test_a_deadline_coming_into_risk_then_passing(quiet, profile):
    friday = MONDAY + timedelta(days=4)
    with time_machine.travel(NOW, tick=False):
        ExpectationFactory(engagement=EngagementFactory(client=quiet), due=friday)
        Expectation.objects.update(confirmed_in_writing=True)
    # At risk once it is due within one working day: from Thursday 00:00.
    exactly_at(quiet, profile, berlin(friday - timedelta(days=1), 0))
    assert stored(quiet) == berlin(friday + timedelta(days=1), 0)


def test_an_agreement_not_confirmed_in_writing(quiet, profile):
    with time_machine.travel(NOW, tick=False):
        ExpectationFactory(engagement=EngagementFactory(client=quiet), due=MONDAY + timedelta(30))
    exactly_at(quiet, profile, berlin(MONDAY + timedelta(days=1), 17))


def test_a_hostile_message_leaving_the_window(quiet, profile):
    inbound(quiet, NOW, tone=Interaction.Tone.HOSTILE)
    due_pass(profile.user_id, NOW + timedelta(minutes=5))
    assert Flag.objects.filter(client=quiet, rule=Rule.DISRESPECT).live().count() == 1
    exactly_at(
        quiet,
        profile,
        NOW + timedelta(days=30, microseconds=1),
        evaluated_at=NOW + timedelta(minutes=5),
    )
    assert Flag.objects.filter(client=quiet, rule=Rule.DISRESPECT).live().count() == 0


def test_out_of_hours_contact_leaving_the_boundary_pattern_window(quiet, profile):
    for day in range(3):
        inbound(quiet, berlin(MONDAY, 7, day))
    due_pass(profile.user_id, NOW)
    assert Flag.objects.filter(client=quiet, rule=Rule.BOUNDARY_PATTERN).live().count() == 1
    exactly_at(quiet, profile, berlin(MONDAY, 7) + timedelta(days=14, microseconds=1))
    assert Flag.objects.filter(client=quiet, rule=Rule.BOUNDARY_PATTERN).live().count() == 0


def test_the_weeks_of_health_snapshots_moving_on(quiet, profile):
    for weeks in (3, 2, 1, 0):
        with time_machine.travel(NOW - timedelta(weeks=weeks), tick=False):
            snapshots.take_weekly_snapshot(profile.user_id, NOW - timedelta(weeks=weeks))
    due_pass(profile.user_id, NOW)
    assert stored(quiet) == berlin(MONDAY + timedelta(days=7), 0)


# Two at once -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_write_during_a_pass_keeps_its_client_due(postgres, profile):
    """The pass read the client's mark before the write committed: it must not store its moment
    over the write's mark, or the write would wait for the nightly pass."""
    client = ClientFactory(owner=profile.user)
    evaluate(profile.user_id, now=NOW)
    read, wrote = threading.Event(), threading.Event()
    real_load = evaluate.__globals__["load_pass"]

    def slow_load(*args, **kwargs):
        read.set()  # the marks are read; let the write happen now
        wrote.wait(10)
        return real_load(*args, **kwargs)

    def write():
        read.wait(10)
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            InteractionFactory(client=client, occurred_at=NOW, summary="Meanwhile")
        wrote.set()
        connections.close_all()

    writer = threading.Thread(target=write)
    writer.start()
    evaluate.__globals__["load_pass"] = slow_load
    try:
        evaluate(profile.user_id, now=NOW + timedelta(minutes=1))
    finally:
        evaluate.__globals__["load_pass"] = real_load
        writer.join(10)

    assert stored(client) == NOW + timedelta(minutes=1)
    assert due_clients(NOW + timedelta(minutes=2)) == {profile.user_id: [client.pk]}
