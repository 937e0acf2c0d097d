"""Two evaluation passes at once, on real PostgreSQL: one live flag per (rule, subject), always.

Each pass runs in its own thread with its own database connection, so the two transactions
really overlap; the partial unique constraint and the conditional updates are what keep them
from doubling anything. The database is transactional (committed for real, flushed after).
"""

import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections
from django.db.models.signals import post_delete

from clients.models import Client
from engagements import evaluation
from engagements.models import Engagement, Flag, Interaction, Rule
from tests.factories import ClientFactory, EngagementFactory, ExpectationFactory, InteractionFactory
from tests.threads import run_together

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BERLIN = ZoneInfo("Europe/Berlin")
# Alice works Mon–Fri 09–17 in Berlin (the `profile` fixture).
NOW = datetime(2026, 6, 10, 14, 0, tzinfo=BERLIN)  # a Wednesday afternoon
SET_UP = NOW - timedelta(days=20)  # when the clients and their work were created
ROUNDS = 5
JOIN_TIMEOUT = 30


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=BERLIN)


@pytest.fixture
def clients(postgres, profile):
    """Four clients whose data raises flags of nine rules at NOW."""
    owner = profile.user
    with time_machine.travel(SET_UP, tick=False):
        acme = ClientFactory(owner=owner, name="Acme")  # owes nothing but a reply
        bright = ClientFactory(owner=owner, name="Bright Ledger")  # writes out of hours
        hartmann = ClientFactory(owner=owner, name="Hartmann")  # hostile, on the phone
        harbour = ClientFactory(owner=owner, name="Harbour Events")  # an overdue deliverable
        work = EngagementFactory(client=harbour, title="Festival site")
        ExpectationFactory(engagement=work, title="Site map", due=date(2026, 6, 5))
    # Reply owed, breach: asked Monday 10:00, the 8 working hours ran out Tuesday 10:00.
    InteractionFactory(client=acme, occurred_at=at(date(2026, 6, 8), 10), needs_reply=True)
    # Out of hours three times in 14 days: three out-of-hours flags and a boundary pattern.
    for when in (at(date(2026, 6, 6), 10), at(date(2026, 6, 7), 11), at(date(2026, 6, 9), 20)):
        InteractionFactory(client=bright, occurred_at=when)
    # Hostile, and by phone (not an agreed channel): disrespect and off-channel.
    InteractionFactory(
        client=hartmann,
        occurred_at=at(date(2026, 6, 9), 11),
        channel="phone",
        tone=Interaction.Tone.HOSTILE,
    )
    return {"acme": acme, "bright": bright, "hartmann": hartmann, "harbour": harbour}


def live_flags(owner):
    return Counter(Flag.objects.filter(owner=owner).live().values_list("rule", "subject"))


def all_flags(owner):
    return sorted(Flag.objects.filter(owner=owner).values_list("rule", "subject", "severity"))


def a_pass(owner_id, now=NOW):
    return lambda: evaluation.evaluate(owner_id, now=now)


@pytest.fixture
def single_pass(clients, profile):
    """What one pass alone raises at NOW: the reference the concurrent passes must match."""
    outcome = evaluation.evaluate(profile.user_id, now=NOW)
    flags = all_flags(profile.user)
    Flag.objects.all().delete()
    return outcome, flags


def test_the_scenario_raises_flags_of_nine_rules(single_pass):
    outcome, flags = single_pass
    assert set(outcome.raised) == {
        Rule.REPLY_OWED,
        Rule.OUT_OF_HOURS,
        Rule.BOUNDARY_PATTERN,
        Rule.DISRESPECT,
        Rule.OFF_CHANNEL,
        Rule.DEADLINE,
        Rule.UNDOCUMENTED,
        Rule.UPDATE_OWED,
        Rule.CHECK_IN_MISSED,
    }
    assert outcome.raised[Rule.OUT_OF_HOURS] == 3
    assert outcome.raised[Rule.CHECK_IN_MISSED] == 4
    assert (Rule.REPLY_OWED, "breach") in {(rule, severity) for rule, _, severity in flags}
    assert (Rule.DEADLINE, "breach") in {(rule, severity) for rule, _, severity in flags}
    assert outcome.raised.total() == len(flags) == 14


def test_two_passes_at_the_same_moment_raise_each_flag_once(single_pass, profile):
    _, reference = single_pass
    for round_ in range(ROUNDS):
        results = run_together(a_pass(profile.user_id), a_pass(profile.user_id))

        assert not [r for r in results if isinstance(r, BaseException)], results
        live = live_flags(profile.user)
        assert max(live.values()) == 1, f"round {round_}: {live}"
        assert all_flags(profile.user) == reference, f"round {round_}"
        Flag.objects.all().delete()  # the next round races from nothing again


def test_two_passes_after_a_reply_resolve_the_reply_owed_flag_once(single_pass, clients, profile):
    evaluation.evaluate(profile.user_id, now=NOW)
    InteractionFactory(
        client=clients["acme"],
        direction=Interaction.Direction.OUTBOUND,
        occurred_at=NOW - timedelta(minutes=30),
    )
    later = NOW + timedelta(minutes=5)

    first, second = run_together(a_pass(profile.user_id, later), a_pass(profile.user_id, later))

    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    # Exactly one of the two passes resolved it; the other found it already resolved.
    assert first.resolved[Rule.REPLY_OWED] + second.resolved[Rule.REPLY_OWED] == 1
    reply_owed = Flag.objects.get(rule=Rule.REPLY_OWED)
    assert (reply_owed.state, reply_owed.resolved_at) == (Flag.State.RESOLVED, later)
    assert first.raised.total() == second.raised.total() == 0
    assert max(live_flags(profile.user).values()) == 1


def test_a_pass_and_a_second_pass_a_moment_later_agree_with_one_pass(single_pass, profile):
    _, reference = single_pass
    for round_ in range(ROUNDS):
        results = run_together(
            a_pass(profile.user_id), a_pass(profile.user_id, NOW + timedelta(seconds=1))
        )

        assert not [r for r in results if isinstance(r, BaseException)], results
        assert all_flags(profile.user) == reference, f"round {round_}"
        # Each flag was raised by one pass or the other, never by both.
        assert sum(r.raised.total() for r in results) == len(reference), f"round {round_}"
        Flag.objects.all().delete()


# --- a client deleted while a pass runs --------------------------------------------------------


def blocked_on_a_lock() -> bool:
    """Is any other session of this database waiting for a row lock?"""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # fresh figures, even in a transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_a_pass_that_races_a_client_deletion_skips_that_client_quietly(clients, profile, caplog):
    """The deletion is uncommitted while the pass reads and raises flags for the client; the pass
    then waits for the client's row at commit, the deletion commits, and the pass runs again."""
    doomed = clients["bright"]
    deleted, release = threading.Event(), threading.Event()
    results = {}

    def delete_client():
        from django.db import transaction

        try:
            with transaction.atomic():
                Client.objects.get(pk=doomed.pk).delete()
                deleted.set()
                release.wait(JOIN_TIMEOUT)
        finally:
            connections.close_all()

    def evaluate():
        try:
            results["outcome"] = evaluation.evaluate(profile.user_id, now=NOW)
        except BaseException as e:  # noqa: BLE001 - reported below
            results["error"] = e
        finally:
            connections.close_all()

    deleter = threading.Thread(target=delete_client)
    deleter.start()
    assert deleted.wait(JOIN_TIMEOUT)
    evaluator = threading.Thread(target=evaluate)
    evaluator.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    while evaluator.is_alive() and not blocked_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    waited = evaluator.is_alive()
    release.set()
    deleter.join(JOIN_TIMEOUT)
    evaluator.join(JOIN_TIMEOUT)

    assert waited, "the pass never waited for the deleted client: the race did not happen"
    assert "error" not in results, results
    assert not Client.objects.filter(pk=doomed.pk).exists()
    assert not Flag.objects.filter(client_id=doomed.pk).exists()
    # The other clients' flags are all there, once each.
    live = live_flags(profile.user)
    assert max(live.values()) == 1
    assert {c for c in Flag.objects.values_list("client_id", flat=True)} == {
        clients["acme"].pk,
        clients["hartmann"].pk,
        clients["harbour"].pk,
    }
    assert results["outcome"].raised[Rule.OUT_OF_HOURS] == 0  # Bright's were never kept
    assert "raced a deletion; running again" in caplog.text


def test_deleting_a_client_while_a_pass_commits_its_flags_still_deletes_it(clients, profile):
    """The other interleaving: the deletion has already removed the client's flags and work, and
    is about to remove the client itself, when a pass raises and commits a flag for it."""
    with time_machine.travel(SET_UP, tick=False):
        quiet = ClientFactory(owner=profile.user, name="Quiet Co")
        EngagementFactory(client=quiet, title="Retainer")  # active: update owed, check-in missed
    results = {}

    def evaluate():
        try:
            results["outcome"] = evaluation.evaluate(profile.user_id, now=NOW)
        except BaseException as e:  # noqa: BLE001 - reported below
            results["pass error"] = e
        finally:
            connections.close_all()

    def mid_deletion(sender, instance, **kwargs):
        # The engagement is gone (uncommitted) and the client not yet: a pass runs now, and
        # either commits or waits for the deletion (which is then free to go on).
        if instance.client_id == quiet.pk:
            evaluator = threading.Thread(target=evaluate)
            evaluator.start()
            deadline = time.monotonic() + JOIN_TIMEOUT
            while evaluator.is_alive() and time.monotonic() < deadline:
                if blocked_on_a_lock():
                    results["pass waited"] = True
                    break
                time.sleep(0.02)
            results["evaluator"] = evaluator

    def delete_client():
        from django.db import transaction

        try:
            with transaction.atomic():
                Client.objects.get(pk=quiet.pk).delete()
        except BaseException as e:  # noqa: BLE001 - reported below
            results["deletion error"] = e
        finally:
            connections.close_all()

    post_delete.connect(mid_deletion, sender=Engagement)
    try:
        deleter = threading.Thread(target=delete_client)
        deleter.start()
        deleter.join(JOIN_TIMEOUT)
    finally:
        post_delete.disconnect(mid_deletion, sender=Engagement)
    results["evaluator"].join(JOIN_TIMEOUT)

    assert "pass error" not in results, results
    if not results.get("pass waited"):  # it committed in the middle of the deletion
        assert results["outcome"].raised[Rule.UPDATE_OWED] == 2  # Quiet Co's among them
    if "deletion error" in results:
        raise results["deletion error"]
    assert not Client.objects.filter(pk=quiet.pk).exists()
    assert not Flag.objects.filter(client_id=quiet.pk).exists()
