"""An evaluation pass against the database: flags raised, escalated in place, cleared, reopened."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Boundaries, Client
from engagements.evaluation import evaluate
from engagements.models import Expectation, Flag, Interaction, Rule, Severity
from engagements.services import log_interaction
from tests.factories import ClientFactory, EngagementFactory, ExpectationFactory, InteractionFactory

BERLIN = ZoneInfo("Europe/Berlin")
IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026: the 23rd is a Monday."""
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def client(profile):
    with time_machine.travel(berlin(2, 9), tick=False):
        return ClientFactory(owner=profile.user, name="Acme", timezone="America/New_York")


def message(client, at, direction=IN, **fields):
    with time_machine.travel(at, tick=False):
        return InteractionFactory(client=client, direction=direction, occurred_at=at, **fields)


def run(user, at, **kwargs):
    with time_machine.travel(at, tick=False):
        return evaluate(user.pk, **kwargs)


def live(user, rule):
    return list(Flag.objects.owned_by(user).live().filter(rule=rule))


def test_a_reply_owed_warning_becomes_a_breach_in_the_same_row(client, user):
    asked = message(client, berlin(23, 10), needs_reply=True)
    run(user, berlin(23, 16))
    (warning,) = live(user, Rule.REPLY_OWED)
    assert (warning.severity, warning.interaction_id) == (Severity.WARNING, asked.pk)
    run(user, berlin(24, 10))
    (breach,) = live(user, Rule.REPLY_OWED)
    assert (breach.pk, breach.severity, breach.breach_at) == (
        warning.pk,
        Severity.BREACH,
        berlin(24, 10),
    )


def test_any_outbound_on_any_channel_clears_a_reply_owed(client, user):
    message(client, berlin(23, 10), needs_reply=True)
    run(user, berlin(24, 11))
    message(client, berlin(24, 11, 30), direction=OUT, channel="phone", kind="other")
    outcome = run(user, berlin(24, 12))
    (flag,) = Flag.objects.owned_by(user).filter(rule=Rule.REPLY_OWED)
    assert (flag.state, flag.resolved_by, flag.resolved_at) == ("resolved", "rule", berlin(24, 12))
    assert outcome.resolved[Rule.REPLY_OWED] == 1


def test_a_second_pass_with_nothing_new_writes_nothing(client, user):
    message(client, berlin(23, 10), needs_reply=True)
    message(client, berlin(23, 22), summary="late")
    first = run(user, berlin(24, 12))
    assert first.raised[Rule.REPLY_OWED] == first.raised[Rule.OUT_OF_HOURS] == 1
    again = run(user, berlin(24, 12, 1))
    assert again.rows_written == 0
    assert Flag.objects.owned_by(user).count() == first.raised.total()


def test_an_acknowledged_flag_stays_quiet_until_it_gets_worse(client, user):
    message(client, berlin(23, 10), needs_reply=True)
    run(user, berlin(23, 16))
    (flag,) = live(user, Rule.REPLY_OWED)
    assert flag.acknowledge(now=berlin(23, 16, 5))
    run(user, berlin(23, 16, 30))
    flag.refresh_from_db()
    assert flag.state == Flag.State.ACKNOWLEDGED
    run(user, berlin(24, 10))
    flag.refresh_from_db()
    assert (flag.state, flag.severity) == (Flag.State.OPEN, Severity.BREACH)


def test_a_snoozed_flag_reopens_when_the_snooze_ends_and_the_condition_holds(client, user):
    message(client, berlin(23, 10), needs_reply=True)
    run(user, berlin(24, 10))
    (flag,) = live(user, Rule.REPLY_OWED)
    assert flag.snooze(berlin(24, 15), "Waiting for the designer's files", now=berlin(24, 10))
    run(user, berlin(24, 14))
    flag.refresh_from_db()
    assert (flag.state, flag.snooze_reason) == (
        Flag.State.SNOOZED,
        "Waiting for the designer's files",
    )
    run(user, berlin(24, 15))
    flag.refresh_from_db()
    assert flag.state == Flag.State.OPEN


def test_a_snoozed_flag_whose_condition_clears_is_resolved_not_reopened(client, user):
    message(client, berlin(23, 10), needs_reply=True)
    run(user, berlin(24, 10))
    (flag,) = live(user, Rule.REPLY_OWED)
    flag.snooze(berlin(24, 15), "later", now=berlin(24, 10))
    message(client, berlin(24, 11), direction=OUT)
    run(user, berlin(24, 16))
    flag.refresh_from_db()
    assert flag.state == Flag.State.RESOLVED


def test_out_of_hours_contact_is_flagged_once_and_acknowledging_clears_it_for_good(client, user):
    late = message(client, berlin(24, 21, 30))
    run(user, berlin(24, 21, 35))
    (flag,) = live(user, Rule.OUT_OF_HOURS)
    assert (flag.interaction_id, flag.severity) == (late.pk, Severity.INFO)
    assert flag.acknowledge(now=berlin(25, 9))
    assert flag.state == Flag.State.RESOLVED
    run(user, berlin(25, 9, 5))
    assert live(user, Rule.OUT_OF_HOURS) == []
    assert Flag.objects.owned_by(user).filter(rule=Rule.OUT_OF_HOURS).count() == 1


def test_no_out_of_hours_flags_for_a_client_whose_after_hours_contact_was_agreed(client, user):
    Boundaries.objects.filter(client=client).update(after_hours_policy="ok")
    for day in (23, 24, 25):
        message(client, berlin(day, 22))
    run(user, berlin(25, 23))
    assert live(user, Rule.OUT_OF_HOURS) == live(user, Rule.BOUNDARY_PATTERN) == []


def test_three_out_of_hours_messages_in_two_weeks_raise_the_boundary_pattern_until_they_age_out(
    client, user
):
    for day in (10, 13, 17):
        message(client, berlin(day, 22))
    run(user, berlin(17, 23))
    (flag,) = live(user, Rule.BOUNDARY_PATTERN)
    assert flag.figures == {"count": 3, "days": 14, "threshold": 3}
    run(user, berlin(25, 9))  # the message of the 10th is now more than 14 days old
    assert live(user, Rule.BOUNDARY_PATTERN) == []


def test_the_freelancers_own_late_message_is_a_self_boundary_flag(client, user):
    message(client, berlin(24, 23), direction=OUT)
    run(user, berlin(24, 23, 5))
    assert len(live(user, Rule.SELF_BOUNDARY)) == 1


def test_contact_through_a_channel_not_agreed_is_flagged(client, user):
    message(client, berlin(24, 10), channel="sms")
    message(client, berlin(24, 11), channel="email")
    run(user, berlin(24, 12))
    (flag,) = live(user, Rule.OFF_CHANNEL)
    assert flag.figures["channel"] == "sms"


def test_two_hostile_messages_in_thirty_days_escalate_disrespect_until_the_window_passes(
    client, user
):
    message(client, berlin(2, 10), tone="hostile")
    run(user, berlin(2, 11))
    (flag,) = live(user, Rule.DISRESPECT)
    assert flag.severity == Severity.WARNING
    message(client, berlin(20, 10), tone="hostile")
    run(user, berlin(20, 11))
    (flag,) = live(user, Rule.DISRESPECT)
    assert flag.severity == Severity.BREACH
    run(user, datetime(2026, 12, 21, 11, tzinfo=BERLIN))
    assert live(user, Rule.DISRESPECT) == []


def test_update_owed_is_cleared_by_a_progress_update_on_any_channel(client, user):
    engagement = EngagementFactory(client=client, start=date(2026, 11, 2))
    message(client, berlin(16, 10), direction=OUT, kind="update", engagement=engagement)
    run(user, berlin(24, 10))
    (flag,) = live(user, Rule.UPDATE_OWED)
    assert flag.breach_at == berlin(23, 17)  # five working days after Monday the 16th
    message(client, berlin(24, 11), direction=OUT, kind="update", channel="chat")
    run(user, berlin(24, 12))
    assert live(user, Rule.UPDATE_OWED) == []


def test_check_in_missed_is_cleared_by_a_meeting(client, user):
    message(client, berlin(2, 10), direction=OUT, kind="check_in")
    run(user, berlin(24, 10))
    assert live(user, Rule.CHECK_IN_MISSED)[0].severity == Severity.BREACH
    message(client, berlin(24, 11), direction=IN, kind="meeting", channel="video")
    run(user, berlin(24, 12))
    assert live(user, Rule.CHECK_IN_MISSED) == []


def test_waiting_on_client_clears_when_the_client_responds(client, user):
    with time_machine.travel(berlin(10, 9), tick=False):
        ExpectationFactory(
            engagement__client=client,
            owed_by="client",
            due=date(2026, 11, 20),
            confirmed_in_writing=True,
        )
    run(user, berlin(24, 10))
    assert len(live(user, Rule.WAITING_ON_CLIENT)) == 1
    message(client, berlin(24, 11), summary="Here is our feedback")
    run(user, berlin(24, 12))
    assert live(user, Rule.WAITING_ON_CLIENT) == []


def test_an_overdue_deliverable_clears_when_its_date_moves_and_the_move_is_recorded(client, user):
    with time_machine.travel(berlin(10, 9), tick=False):
        expectation = ExpectationFactory(
            engagement__client=client,
            due=date(2026, 11, 20),
            status="in_progress",
            confirmed_in_writing=True,
        )
    run(user, berlin(24, 10))
    assert live(user, Rule.DEADLINE)[0].severity == Severity.BREACH
    with time_machine.travel(berlin(24, 11), tick=False):
        expectation.due = date(2026, 12, 4)
        expectation.save()
    run(user, berlin(24, 12))
    assert live(user, Rule.DEADLINE) == []
    assert expectation.change_records.get().to_value == "2026-12-04"


def test_an_unconfirmed_expectation_is_flagged_a_working_day_later_and_cleared_when_confirmed(
    client, user
):
    with time_machine.travel(berlin(23, 10), tick=False):
        expectation = ExpectationFactory(engagement__client=client, due=date(2026, 12, 20))
    run(user, berlin(24, 16))
    assert live(user, Rule.UNDOCUMENTED) == []
    run(user, berlin(24, 17))
    assert len(live(user, Rule.UNDOCUMENTED)) == 1
    Expectation.objects.filter(pk=expectation.pk).update(confirmed_in_writing=True)
    run(user, berlin(24, 18))
    assert live(user, Rule.UNDOCUMENTED) == []


def test_a_pass_over_one_client_leaves_the_other_clients_flags_alone(client, user):
    other = ClientFactory(owner=user, name="Other")
    message(client, berlin(24, 22))
    message(other, berlin(24, 22))
    run(user, berlin(24, 23))
    run(user, berlin(25, 23), client_ids=[client.pk])
    assert {f.client_id for f in live(user, Rule.OUT_OF_HOURS)} == {client.pk, other.pk}


def test_an_ended_client_has_its_flags_resolved(client, user):
    message(client, berlin(23, 10), needs_reply=True)
    run(user, berlin(24, 12))
    Client.objects.filter(pk=client.pk).update(status="ended")
    run(user, berlin(24, 13))
    assert live(user, Rule.REPLY_OWED) == []


def test_a_profile_without_working_windows_makes_everything_out_of_hours_and_does_not_crash(
    client, profile, user
):
    profile.working_windows.all().delete()
    message(client, berlin(24, 11), needs_reply=True)
    outcome = run(user, berlin(26, 11))
    assert outcome.raised[Rule.OUT_OF_HOURS] == 1
    assert live(user, Rule.REPLY_OWED) == []  # no working time, so no reply window ever runs out


def test_an_interaction_dated_in_the_future_is_refused_and_nothing_is_saved(client, user):
    with pytest.raises(ValidationError) as error:
        log_interaction(
            client=client, direction=IN, occurred_at=datetime.now(BERLIN) + timedelta(hours=2)
        )
    assert "in the future" in str(error.value)
    assert Interaction.objects.owned_by(user).count() == 0


def test_another_users_pass_does_not_touch_this_users_flags(client, user, outsider):
    message(client, berlin(24, 22))
    run(user, berlin(24, 23))
    assert run(outsider, berlin(24, 23)).rows_written == 0
    assert Flag.objects.owned_by(outsider).count() == 0


@pytest.mark.parametrize("clients", [5, 50])
def test_a_pass_runs_the_same_number_of_queries_for_5_or_50_clients(profile, user, clients):
    for n in range(clients):
        with time_machine.travel(berlin(2, 9), tick=False):
            c = ClientFactory(owner=user, name=f"C{n}")
        EngagementFactory(client=c, start=date(2026, 11, 2))
        message(c, berlin(23, 10), needs_reply=True)
    run(user, berlin(25, 12))  # first pass raises flags in bulk
    with (
        time_machine.travel(berlin(25, 12, 5), tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        evaluate(user.pk)
    assert len(queries) == EXPECTED_QUERIES


# the clients' due marks; profile, windows, days off, clients; 13 for the rules; live flags;
# savepoint pair (their next moments are as the first pass stored them: no write)
EXPECTED_QUERIES = 1 + 4 + 13 + 1 + 2


def test_a_flag_resolved_by_hand_stays_resolved_until_something_new_happens(client, user):
    message(client, berlin(23, 10), needs_reply=True)
    run(user, berlin(23, 16))
    (flag,) = live(user, Rule.REPLY_OWED)
    assert flag.resolve("Answered on the phone; not logged", now=berlin(23, 16, 5))
    run(user, berlin(23, 16, 30))
    assert live(user, Rule.REPLY_OWED) == []  # same message, same warning: stays resolved
    run(user, berlin(24, 10))
    (worse,) = live(user, Rule.REPLY_OWED)  # it turned red: that is news
    assert worse.severity == Severity.BREACH and worse.pk != flag.pk
    worse.resolve("Sorted", now=berlin(24, 10, 5))
    message(client, berlin(24, 11), direction=OUT)
    message(client, berlin(24, 11, 30), needs_reply=True, summary="Another question")
    run(user, berlin(25, 10))  # 6.5 of 8 working hours used
    (again,) = live(user, Rule.REPLY_OWED)  # a new unanswered message is a new episode
    assert again.since == berlin(24, 11, 30)
