"""One freelancer's bad row stops no background job for anyone else.

Alice's rows are poisoned the way validation cannot stop (raw SQL): a boundary confirmed in the
year 1 in Berlin (year 0 in UTC, which PostgreSQL stores and Python cannot load), a flag raised
in the year 10000 UTC and a reminder that expires then. Every job that works through
freelancers still does Bob's work, logs Alice's id and counts her as failed.
"""

import logging
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from engagements import emails, tasks
from engagements.models import Flag, HealthSnapshot, OutboundEmail, Rule
from tests.engagements.email_helpers import (
    client_of,
    freelancer,
    raise_flag,
    smtp_server,
    subject_of,
)
from tests.factories import InteractionFactory

MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 11:00 in Berlin, 10:00 in London
Status = OutboundEmail.Status


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as inbox:
        yield inbox


def poison(sql: str, *params) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@pytest.fixture
def tenants(postgres):
    """Alice (Berlin), with poison in her boundaries, a flag and a reminder; Bob (London), whose
    client asked for a reply last Wednesday and who has a reminder due."""
    with time_machine.travel(MONDAY - timedelta(days=30), tick=False):
        alice, bob = freelancer("alice", "Europe/Berlin"), freelancer("bob", "Europe/London")
        acme, bolt = client_of(alice, "Acme"), client_of(bob, "Bolt")
    InteractionFactory(client=acme, occurred_at=MONDAY - timedelta(days=5), needs_reply=True)
    InteractionFactory(client=bolt, occurred_at=MONDAY - timedelta(days=5), needs_reply=True)
    with time_machine.travel(MONDAY - timedelta(days=1), tick=False):
        for client in (acme, bolt):
            emails.schedule_follow_up(client=client, note="Chase the invoice", remind_at=MONDAY)

    poison(
        "UPDATE clients_boundaries SET confirmed_in_writing_at = "
        "'0001-01-01 00:00:00 Europe/Berlin' WHERE client_id = %s",
        acme.pk,
    )
    flag = raise_flag(acme, Rule.UPDATE_OWED, opened_at=MONDAY - timedelta(days=1))
    poison(
        "UPDATE engagements_flag SET opened_at = '9999-12-31 23:59 America/New_York' WHERE id = %s",
        flag.pk,
    )
    poison(
        "UPDATE engagements_outboundemail SET expires_at = "
        "'9999-12-31 23:59 America/New_York' WHERE owner_id = %s",
        alice.user_id,
    )
    return alice.user, bob.user


def failures_logged(caplog, user) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.ERROR and f" {user.pk} failed with " in r.getMessage()
    ]


def test_one_freelancers_bad_rows_leave_everyone_elses_flags_snapshots_and_emails(
    tenants, smtp, caplog
):
    alice, bob = tenants
    caplog.set_level(logging.ERROR)
    out, err = StringIO(), StringIO()

    with time_machine.travel(MONDAY, tick=False):
        queued = tasks.evaluate_everyone.delay().get()
        call_command("evaluate_flags", stdout=out, stderr=err)
        snapshots = tasks.take_weekly_snapshots.delay().get()
        run = tasks.send_due_emails.delay().get()

    # Bob's flags, snapshot and emails, all of them.
    assert queued == 1  # Bob's pass ran (here, eagerly); Alice's failed
    assert Flag.objects.filter(owner=bob, rule=Rule.REPLY_OWED).live().count() == 1
    assert "Evaluated 1 freelancer(s)." in out.getvalue()
    assert f"1 failed (user ids {alice.pk})" in err.getvalue()
    assert snapshots == 1
    assert HealthSnapshot.objects.filter(owner=bob).count() == 1
    subjects = smtp.subjects("bob@example.com")
    assert len(subjects) == 3, subjects
    assert any(s.startswith("Rapport · Mon 30 Nov: 1 reply owed") for s in subjects)
    assert any(s.startswith("Rapport · Weekly review 2026-W49") for s in subjects)
    assert "Reminder: Chase the invoice (Bolt)" in subjects

    # Alice: nothing half-done, her unreadable reminder given up, and her id in the log.
    assert not Flag.objects.filter(owner=alice, rule=Rule.REPLY_OWED).exists()
    assert not HealthSnapshot.objects.filter(owner=alice).exists()
    assert smtp.to("alice@example.com") == []
    assert "Failed to compose for 1 freelancer(s)." in run
    assert "1 given up" in run
    assert OutboundEmail.objects.filter(owner=alice).values_list("status", flat=True).get() == (
        Status.FAILED
    )
    logged = failures_logged(caplog, alice)
    assert len(logged) == 6, logged  # beat pass, command, snapshot, digest, weekly, reminder
    assert all("DataError" in message for message in logged)
    assert not [m for m in caplog.messages if "timestamp too" in m]  # no row values
    assert not failures_logged(caplog, bob)


def test_a_reminder_note_with_line_breaks_already_stored_is_sent_on_one_line(tenants, smtp):
    alice, bob = tenants
    OutboundEmail.objects.filter(owner=bob).update(
        subject="Reminder: call\r\nBcc: everyone@example.com\r\n(Bolt)"
    )

    with time_machine.travel(MONDAY, tick=False):
        outcome = emails.sender.send_due()

    assert (outcome.sent, outcome.failed) == (1, 1)  # Bob's; Alice's unreadable one
    [message] = smtp.to("bob@example.com")
    assert subject_of(message) == "Reminder: call Bcc: everyone@example.com (Bolt)"
    assert message["Bcc"] is None
    assert [rcpt for rcpt, _ in smtp.received] == [["bob@example.com"]]
