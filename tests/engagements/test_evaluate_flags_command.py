"""`manage.py evaluate_flags`: the evaluation pass run by hand, with a table of counts per rule."""

import re
from datetime import date, datetime, timedelta
from datetime import time as clock
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from engagements.models import Flag, Interaction, Rule
from tests.factories import ClientFactory, InteractionFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY, SATURDAY = date(2026, 6, 5), date(2026, 6, 6)
NOW = datetime(2026, 6, 8, 12, 0, tzinfo=BERLIN)  # Monday noon
ROW = re.compile(r"^(?P<label>.+?)\s+(?P<live>\d+)\s+(?P<raised>\d+)\s+(?P<resolved>\d+)$")


def at(day, hour, zone=BERLIN):
    return datetime.combine(day, clock(hour), tzinfo=zone)


@pytest.fixture
def acme(profile):
    """Alice's client: asked for a reply on Friday morning (owed since Monday 10:00, a breach at
    noon), and wrote again on Saturday (out of hours)."""
    with time_machine.travel(at(FRIDAY, 9), tick=False):
        client = ClientFactory(owner=profile.user, name="Acme")
    InteractionFactory(client=client, occurred_at=at(FRIDAY, 10), needs_reply=True)
    InteractionFactory(client=client, occurred_at=at(SATURDAY, 10))
    return client


@pytest.fixture
def bob(db):
    """Another freelancer (UTC, Mon–Fri 09–17) whose client also wrote on Saturday."""
    bob = UserFactory(username="bob")
    with time_machine.travel(at(FRIDAY, 9), tick=False):
        client = ClientFactory(owner=bob, name="Bob's client")
    InteractionFactory(client=client, occurred_at=at(SATURDAY, 11))
    return bob


def evaluate_flags(*args, now=NOW) -> tuple[str, dict[str, tuple[int, int, int]]]:
    """Run the command at `now`; its first line, and its table as label → (live, raised, resolved)."""
    out = StringIO()
    with time_machine.travel(now, tick=False):
        call_command("evaluate_flags", *args, stdout=out)
    first, header, *rows = out.getvalue().splitlines()
    assert header.split() == ["rule", "live", "raised", "resolved"]
    table = {}
    for row in rows:
        match = ROW.match(row)
        assert match, f"not a table row: {row!r}"
        table[match["label"]] = (int(match["live"]), int(match["raised"]), int(match["resolved"]))
    return first, table


def column(table, index) -> dict[str, int]:
    """One column of the table, without the rules that are zero in it."""
    return {label: counts[index] for label, counts in table.items() if counts[index]}


LIVE, RAISED, RESOLVED = 0, 1, 2


def test_it_prints_a_line_per_rule_with_live_raised_and_resolved_counts(acme, bob):
    first, table = evaluate_flags("--full")

    assert first == "Evaluated every client of 2 freelancer(s): 3 flag(s) corrected."
    assert list(table) == [rule.label for rule in Rule]
    assert column(table, RAISED) == {"Reply owed": 1, "Out-of-hours contact": 2}
    assert column(table, LIVE) == column(table, RAISED)
    assert column(table, RESOLVED) == {}
    assert Flag.objects.live().count() == 3
    assert Flag.objects.get(rule=Rule.REPLY_OWED).severity == "breach"


def test_user_limits_the_pass_and_the_counts_to_that_freelancer(acme, bob):
    first, table = evaluate_flags("--full", "--user", "alice")

    assert first == "Evaluated every client of 1 freelancer(s): 2 flag(s) corrected."
    assert column(table, RAISED) == {"Reply owed": 1, "Out-of-hours contact": 1}
    assert column(table, LIVE) == {"Reply owed": 1, "Out-of-hours contact": 1}
    assert not Flag.objects.filter(owner=bob).exists()
    assert Flag.objects.filter(owner=acme.owner).count() == 2


def test_the_live_column_counts_only_that_freelancers_flags(acme, bob):
    evaluate_flags("--full", "--user", "bob")

    _, table = evaluate_flags("--full", "--user", "alice")

    assert column(table, LIVE) == {"Reply owed": 1, "Out-of-hours contact": 1}


def test_an_unknown_user_is_a_command_error_naming_them(acme):
    with pytest.raises(CommandError, match="No user called 'nobody'"):
        evaluate_flags("--full", "--user", "nobody")
    assert not Flag.objects.exists()


def test_running_it_twice_raises_nothing_new(acme, bob):
    _, first = evaluate_flags("--full")

    _, second = evaluate_flags("--full", now=NOW + timedelta(minutes=5))

    assert column(second, RAISED) == {}
    assert column(second, RESOLVED) == {}
    assert column(second, LIVE) == column(first, LIVE)
    assert Flag.objects.count() == 3


def test_a_condition_that_cleared_is_counted_as_resolved(acme, bob):
    evaluate_flags("--full")
    InteractionFactory(
        client=acme,
        direction=Interaction.Direction.OUTBOUND,
        occurred_at=NOW + timedelta(minutes=1),
    )

    _, table = evaluate_flags("--full", now=NOW + timedelta(minutes=5))

    assert column(table, RESOLVED) == {"Reply owed": 1}
    assert column(table, RAISED) == {}
    assert column(table, LIVE) == {"Out-of-hours contact": 2}


def test_without_full_it_evaluates_only_the_clients_due(profile):
    with time_machine.travel(at(FRIDAY, 9), tick=False):
        acme = ClientFactory(owner=profile.user, name="Acme")
        InteractionFactory(client=acme, occurred_at=at(FRIDAY, 8, BERLIN))

    first, table = evaluate_flags()
    again, _ = evaluate_flags(now=NOW + timedelta(minutes=5))
    with time_machine.travel(NOW + timedelta(minutes=6), tick=False):
        InteractionFactory(client=acme, occurred_at=NOW + timedelta(minutes=6))  # a write: due
    later, _ = evaluate_flags(now=NOW + timedelta(minutes=10))

    assert first == "Evaluated the clients due of 1 freelancer(s)."
    assert column(table, RAISED) == {"Out-of-hours contact": 1}
    assert again == "Evaluated the clients due of 0 freelancer(s)."
    assert later == "Evaluated the clients due of 1 freelancer(s)."
