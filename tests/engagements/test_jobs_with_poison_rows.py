"""One freelancer's bad row stops no background job for anyone else.

Alice's rows are poisoned the way validation cannot stop (raw SQL): her profile names a time zone
that no longer exists (tzdata does retire names; the database's check is lifted for the test, in
its transaction), so everything that works in her time raises, and her reminder's address is not
an address, so it cannot become a message. (Dates outside Python's years, the
other classic poison, now read as the nearest day it can hold: tests/test_pages_with_poison_rows.py.)
Every job that works through freelancers still does Bob's work, logs Alice's id and counts her
as failed.
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
    with time_machine.travel(MONDAY - timedelta(days=1), tick=False):
        for client in (acme, bolt):
            InteractionFactory(
                client=client, occurred_at=MONDAY - timedelta(days=5), needs_reply=True
            )
        for client in (acme, bolt):
            emails.schedule_follow_up(client=client, note="Chase the invoice", remind_at=MONDAY)

    poison("SET CONSTRAINTS ALL IMMEDIATE")  # fire pending checks, so the table may change
    poison("ALTER TABLE clients_freelancerprofile DROP CONSTRAINT profile_timezone_valid")
    poison(
        "UPDATE clients_freelancerprofile SET timezone = 'Atlantis/Poseidonia' WHERE user_id = %s",
        alice.user_id,
    )
    poison(
        "UPDATE engagements_outboundemail SET \"to\" = 'alice@@example.com' WHERE owner_id = %s",
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
    caplog.set_level(logging.WARNING)
    out, err = StringIO(), StringIO()

    with time_machine.travel(MONDAY, tick=False):
        queued = tasks.evaluate_due.delay().get()
        nightly = tasks.evaluate_everyone.delay().get()
        call_command("evaluate_flags", "--full", stdout=out, stderr=err)
        snapshots = tasks.take_weekly_snapshots.delay().get()
        run = tasks.send_due_emails.delay().get()

    # Bob's flags, snapshot and emails, all of them.
    assert queued == nightly == 1  # Bob's passes ran (here, eagerly); Alice's failed
    assert Flag.objects.filter(owner=bob, rule=Rule.REPLY_OWED).live().count() == 1
    assert "Evaluated every client of 1 freelancer(s): 0 flag(s) corrected." in out.getvalue()
    assert f"1 failed (user ids {alice.pk})" in err.getvalue()
    assert snapshots == 1
    assert HealthSnapshot.objects.filter(owner=bob).count() == 1
    subjects = smtp.subjects("bob@example.com")
    assert len(subjects) == 3, subjects
    assert any(s.startswith("Rapport · Mon 30 Nov: 1 reply owed") for s in subjects)
    assert any(s.startswith("Rapport · Weekly review 2026-W49") for s in subjects)
    assert "Reminder: Chase the invoice (Bolt)" in subjects

    # Alice: nothing half-done, her reminder failed (to be tried later) and her id in the log.
    assert not Flag.objects.filter(owner=alice, rule=Rule.REPLY_OWED).exists()
    assert not HealthSnapshot.objects.filter(owner=alice).exists()
    assert smtp.to("alice@example.com") == []
    assert "3 sent, 1 failed" in run
    reminder = OutboundEmail.objects.get(owner=alice)
    assert reminder.status == Status.QUEUED and reminder.next_attempt_at > MONDAY
    assert "Invalid address" in reminder.last_error
    logged = failures_logged(caplog, alice)
    assert len(logged) == 4, logged  # due pass, nightly pass, command, snapshot
    # Composing emails needs her calendar first, and leaves her out with a warning.
    no_calendar = f"user {alice.pk}: no usable business calendar, no email"
    assert caplog.messages.count(no_calendar) == 2  # the digest and the weekly email
    assert not [m for m in caplog.messages if "Atlantis" in m]  # no row values
    assert not failures_logged(caplog, bob)


def test_a_reminder_note_with_line_breaks_already_stored_is_sent_on_one_line(tenants, smtp):
    alice, bob = tenants
    OutboundEmail.objects.filter(owner=bob).update(
        subject="Reminder: call\r\nBcc: everyone@example.com\r\n(Bolt)"
    )

    with time_machine.travel(MONDAY, tick=False):
        outcome = emails.sender.send_due()

    assert (outcome.sent, outcome.failed) == (1, 1)  # Bob's; Alice's, to no address
    [message] = smtp.to("bob@example.com")
    assert subject_of(message) == "Reminder: call Bcc: everyone@example.com (Bolt)"
    assert message["Bcc"] is None
    assert [rcpt for rcpt, _ in smtp.received] == [["bob@example.com"]]
