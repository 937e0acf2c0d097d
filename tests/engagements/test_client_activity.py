"""ClientActivity: where each client's log stands (its latest interaction, the first message
still waiting for a reply, its latest progress update), kept by every write to the log.

Each test compares the stored row with the answer worked out from the log itself, after
writing the log the ways the app does: logging, correcting a time, deleting, bulk writes.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, connection, transaction

from engagements.models import ClientActivity, Interaction
from engagements.services import log_interaction
from tests.factories import ClientFactory
from tests.threads import run_together

BERLIN = ZoneInfo("Europe/Berlin")
IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND
UPDATE = Interaction.Kind.PROGRESS_UPDATE
MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme")


def stored(client):
    row = ClientActivity.objects.get(client=client)
    return row.last_interaction_id, row.awaiting_reply_id, row.last_update_at


def from_the_log(client):
    """The same three answers, read from the log directly."""
    log = list(Interaction.objects.filter(client=client).order_by("occurred_at", "pk"))
    last = log[-1].pk if log else None
    answered = max((i.occurred_at for i in log if i.direction == OUT), default=None)
    waiting = [
        i
        for i in log
        if i.direction == IN and i.needs_reply and (answered is None or i.occurred_at > answered)
    ]
    updates = [i.occurred_at for i in log if i.direction == OUT and i.kind == UPDATE]
    return last, waiting[0].pk if waiting else None, max(updates, default=None)


def at(hours: float) -> datetime:
    return MONDAY + timedelta(hours=hours)


def test_logging_keeps_the_latest_the_waiting_and_the_latest_update(acme):
    asked = log_interaction(client=acme, direction=IN, needs_reply=True, occurred_at=at(0))
    log_interaction(client=acme, direction=IN, needs_reply=True, occurred_at=at(1))
    assert stored(acme) == from_the_log(acme)
    assert stored(acme)[1] == asked.pk  # the first unanswered message sets the clock

    update = log_interaction(client=acme, direction=OUT, kind=UPDATE, occurred_at=at(2))
    assert stored(acme) == (update.pk, None, at(2)) == from_the_log(acme)

    later = log_interaction(client=acme, direction=IN, needs_reply=True, occurred_at=at(3))
    assert stored(acme) == (later.pk, later.pk, at(2)) == from_the_log(acme)


def test_a_message_logged_late_with_an_earlier_time_is_not_the_latest(acme):
    newest = log_interaction(client=acme, direction=OUT, occurred_at=at(5))
    log_interaction(client=acme, direction=IN, needs_reply=True, occurred_at=at(1))
    assert stored(acme) == (newest.pk, None, None) == from_the_log(acme)


def test_correcting_a_time_or_deleting_a_message_recomputes_it(acme):
    asked = log_interaction(client=acme, direction=IN, needs_reply=True, occurred_at=at(0))
    reply = log_interaction(client=acme, direction=OUT, occurred_at=at(1))
    assert stored(acme)[1] is None

    reply.occurred_at = at(-1)  # the reply was in fact sent before the question
    reply.save()
    assert stored(acme) == (asked.pk, asked.pk, None) == from_the_log(acme)

    asked.delete()
    assert stored(acme) == (reply.pk, None, None) == from_the_log(acme)


def test_bulk_writes_keep_it_too(acme, profile):
    other = ClientFactory(owner=profile.user, name="Bright")
    Interaction.objects.bulk_create(
        [
            Interaction(
                client=acme,
                owner_id=acme.owner_id,
                direction=IN,
                needs_reply=True,
                occurred_at=at(0),
            ),
            Interaction(
                client=other, owner_id=acme.owner_id, direction=OUT, kind=UPDATE, occurred_at=at(1)
            ),
        ]
    )
    assert stored(acme) == from_the_log(acme)
    assert stored(other) == from_the_log(other)

    Interaction.objects.filter(client=acme).update(needs_reply=False)
    assert stored(acme)[1] is None
    Interaction.objects.filter(client=other).delete()
    assert stored(other) == (None, None, None)


def test_a_write_that_fails_changes_nothing(acme):
    kept = log_interaction(client=acme, direction=IN, needs_reply=True, occurred_at=at(0))
    with pytest.raises(IntegrityError), transaction.atomic():
        Interaction.objects.create(  # an outbound message cannot need a reply
            client=acme, direction=OUT, needs_reply=True, occurred_at=at(1)
        )
    assert stored(acme) == (kept.pk, kept.pk, None)


def test_every_client_gets_a_row_even_without_a_log(acme):
    ClientActivity.refresh([acme.pk])
    assert stored(acme) == (None, None, None)


@pytest.mark.django_db(transaction=True)
def test_two_messages_logged_at_once_both_count(postgres, profile):
    """Two requests log to one client's log at the same moment, in their own transactions: the
    client row's lock makes the second read what the first wrote."""
    acme = ClientFactory(owner=profile.user, name="Acme")
    for round_ in range(5):
        base = 10 * round_
        results = run_together(
            lambda b=base: log_interaction(
                client=acme, direction=IN, needs_reply=True, occurred_at=at(b)
            ),
            lambda b=base: log_interaction(client=acme, direction=OUT, occurred_at=at(b + 1)),
        )
        assert not [r for r in results if isinstance(r, Exception)], results
        assert stored(acme) == from_the_log(acme)
        assert stored(acme)[1] is None  # the reply came after the question
    assert connection.vendor == "postgresql"
