"""A failing mailbox is told once: on the dashboard while it fails (tests/web), and in one
daily digest (this file, through a real SMTP server), not in every digest after."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from engagements import emails
from inbox.models import Mailbox
from tests.engagements.email_helpers import freelancer, smtp_server, text_of

MONDAY_9 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)  # 09:00 in Berlin: digest time


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as inbox:
        yield inbox


def digest_at(when, smtp, address="alice@example.com") -> str:
    """The text of the digest sent at `when` ("" when there was nothing to say)."""
    smtp.clear()
    with time_machine.travel(when, tick=False):
        emails.send_due_emails()
    return "".join(text_of(m) for m in smtp.to(address))


def failing(user, since) -> Mailbox:
    return Mailbox.objects.create(
        owner=user,
        name="Work",
        host="imap.example.com",
        username="alice",
        status=Mailbox.Status.FAILING,
        failing_since=since,
        last_error="imap.example.com refused the login for alice: [AUTHENTICATIONFAILED].",
    )


def test_a_mailbox_failing_for_more_than_an_hour_is_in_the_next_digest_once(db, smtp):
    alice = freelancer("alice", "Europe/Berlin")
    failing(alice.user, MONDAY_9 - timedelta(hours=12))

    monday = digest_at(MONDAY_9, smtp)
    tuesday = digest_at(MONDAY_9 + timedelta(days=1), smtp)

    assert "NOTICES\n- Your mailbox Work has not synced since Sun 29 Nov 21:00:" in monday
    assert "[AUTHENTICATIONFAILED]" in monday and "Settings → Mailboxes" in monday
    assert tuesday == ""  # told once: on Tuesday there is nothing to say


def test_a_mailbox_failing_for_less_than_an_hour_waits_for_a_later_digest(db, smtp):
    alice = freelancer("alice", "Europe/Berlin", email_when_nothing_owed=True)
    failing(alice.user, MONDAY_9 - timedelta(minutes=20))

    assert "Your mailbox" not in digest_at(MONDAY_9, smtp)
    assert "Your mailbox Work has not synced" in digest_at(MONDAY_9 + timedelta(days=1), smtp)


def test_a_demo_mailbox_is_never_in_a_digest(db, smtp):
    alice = freelancer("alice", "Europe/Berlin", email_when_nothing_owed=True)
    demo = failing(alice.user, MONDAY_9 - timedelta(days=2))
    Mailbox.objects.filter(pk=demo.pk).update(demo=True)
    assert "Your mailbox" not in digest_at(MONDAY_9, smtp)
