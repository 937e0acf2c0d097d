"""The outbox sender, against a real SMTP server: each email once, retries with backoff, the pause
after ten failures in a row, a row left behind by a killed worker, and two senders racing."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import connection

from engagements import sender
from engagements.models import EmailStatus, OutboundEmail
from engagements.models.email import LEASE
from tests.engagements.email_helpers import (
    Inbox,
    free_port,
    freelancer,
    html_of,
    smtp_server,
    subject_of,
    text_of,
    use_smtp,
)
from tests.threads import run_together

T = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)
Status = OutboundEmail.Status
PROJECT = Path(__file__).resolve().parents[2]
JOIN_TIMEOUT = 60


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as inbox:
        yield inbox


@pytest.fixture
def dead_smtp(settings):
    """Django's SMTP backend pointed at a local port where nothing listens."""
    use_smtp(settings, free_port())


def queued(profile, key: str, *, at=T, kind=OutboundEmail.Kind.DIGEST, **fields) -> OutboundEmail:
    values = {
        "to": profile.user.email,
        "subject": f"Email {key}",
        "text_body": f"Plain {key}",
        "html_body": f"<p>HTML {key}</p>",
        "created_at": at,
        "next_attempt_at": at,
    }
    return OutboundEmail.objects.create(owner=profile.user, kind=kind, key=key, **(values | fields))


def send(at=T, **kwargs) -> sender.SendOutcome:
    with time_machine.travel(at, tick=False):
        return sender.send_due(**kwargs)


@pytest.fixture
def alice(db):
    return freelancer("alice", "Europe/Berlin")


@pytest.fixture
def bob(db):
    return freelancer("bob", "America/New_York")


# --- sending once ----------------------------------------------------------------------------


def test_a_due_email_is_sent_once_as_html_and_plain_text(alice, smtp, settings):
    settings.DEFAULT_FROM_EMAIL = "Rapport <rapport@rapport.test>"
    row = queued(alice, "2026-03-27")

    outcome = send()

    assert (outcome.sent, outcome.failed) == (1, 0)
    [message] = smtp.to("alice@example.com")
    assert subject_of(message) == "Email 2026-03-27"
    assert message["From"] == "Rapport <rapport@rapport.test>"
    assert message["Message-ID"] == f"<rapport.digest.{row.pk}@rapport.test>"
    assert message.get_content_type() == "multipart/alternative"
    assert text_of(message).strip() == "Plain 2026-03-27"
    assert html_of(message).strip() == "<p>HTML 2026-03-27</p>"
    row.refresh_from_db()
    assert (row.status, row.sent_at, row.attempts, row.claim_token) == (Status.SENT, T, 1, None)


def test_running_the_sender_again_sends_nothing_twice(alice, smtp):
    queued(alice, "2026-03-27")
    send()
    second = send(T + timedelta(minutes=5))
    third = send(T + LEASE * 3)

    assert second.sent == third.sent == 0
    assert len(smtp.messages) == 1


def test_an_email_waits_for_its_moment(alice, smtp):
    queued(alice, "follow-up:1", at=T + timedelta(hours=1), kind=OutboundEmail.Kind.REMINDER)

    assert send().sent == 0
    assert send(T + timedelta(minutes=59)).sent == 0
    assert send(T + timedelta(hours=1)).sent == 1
    assert smtp.subjects("alice@example.com") == ["Email follow-up:1"]


def test_each_email_goes_to_its_own_freelancer(alice, bob, smtp):
    queued(alice, "2026-03-27")
    queued(bob, "2026-03-27")

    assert send().sent == 2
    assert [m["Message-ID"] for m in smtp.to("alice@example.com")] == [
        OutboundEmail.objects.get(owner=alice.user).message_id
    ]
    assert [m["Message-ID"] for m in smtp.to("bob@example.com")] == [
        OutboundEmail.objects.get(owner=bob.user).message_id
    ]


def test_an_email_past_its_expiry_is_not_sent(alice, smtp):
    row = queued(alice, "2026-03-27", expires_at=T + timedelta(hours=8))

    outcome = send(T + timedelta(hours=8))

    assert (outcome.sent, outcome.expired) == (0, 1)
    row.refresh_from_db()
    assert row.status == Status.EXPIRED
    assert smtp.messages == []


def test_skipped_and_cancelled_rows_are_never_sent(alice, smtp):
    queued(alice, "2026-03-26", status=Status.SKIPPED)
    queued(alice, "follow-up:9", kind=OutboundEmail.Kind.REMINDER, status=Status.CANCELLED)

    assert send().sent == 0
    assert smtp.messages == []


# --- failures, backoff and the pause ---------------------------------------------------------


def test_a_failed_send_is_retried_later_with_backoff(alice, dead_smtp):
    row = queued(alice, "2026-03-27")

    first = send()

    assert (first.sent, first.failed) == (0, 1)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.claim_token) == (Status.QUEUED, 1, None)
    assert row.next_attempt_at == T + timedelta(minutes=5)
    assert "ConnectionRefusedError" in row.last_error
    assert EmailStatus.objects.get(owner=alice.user).consecutive_failures == 1

    assert send(T + timedelta(minutes=4)).failed == 0  # not due again yet
    assert send(T + timedelta(minutes=5)).failed == 1
    row.refresh_from_db()
    assert (row.attempts, row.next_attempt_at) == (2, T + timedelta(minutes=15))


def test_backoff_doubles_up_to_six_hours():
    assert [sender.backoff(n) for n in (1, 2, 3, 4)] == [
        timedelta(minutes=m) for m in (5, 10, 20, 40)
    ]
    assert sender.backoff(20) == timedelta(hours=6)


def test_a_retried_email_is_sent_once_the_server_is_back(alice, smtp, settings):
    row = queued(alice, "2026-03-27")
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()
    send()
    settings.EMAIL_PORT = live_port

    assert send(T + timedelta(minutes=5)).sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == (Status.SENT, 2, "")
    assert EmailStatus.objects.get(owner=alice.user).consecutive_failures == 0
    assert len(smtp.messages) == 1


def test_ten_failures_in_a_row_pause_the_freelancers_email(alice, bob, smtp, settings):
    for n in range(sender.MAX_FAILURES):
        queued(alice, f"follow-up:{n}", kind=OutboundEmail.Kind.REMINDER)
    queued(bob, "2026-03-27")
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nothing listens there

    outcome = send()

    assert (outcome.failed, outcome.paused) == (sender.MAX_FAILURES + 1, 1)
    assert sender.email_paused(alice.user)
    assert not sender.email_paused(bob.user)  # one failure only
    status = EmailStatus.objects.get(owner=alice.user)
    assert (status.consecutive_failures, status.paused_at) == (sender.MAX_FAILURES, T)

    # The server is back: Bob's email goes at its retry; Alice's waits while she is paused.
    settings.EMAIL_PORT = live_port
    assert send(T + timedelta(hours=1)).sent == 1
    assert smtp.to("alice@example.com") == []
    assert len(smtp.to("bob@example.com")) == 1

    assert sender.resume_email(alice.user, now=T + timedelta(hours=2))
    assert not sender.email_paused(alice.user)
    assert send(T + timedelta(hours=2)).sent == sender.MAX_FAILURES
    assert len(smtp.to("alice@example.com")) == sender.MAX_FAILURES


def test_a_paused_freelancer_gets_nothing_more_in_the_same_run(alice, dead_smtp):
    for n in range(sender.MAX_FAILURES + 5):
        queued(alice, f"follow-up:{n}", kind=OutboundEmail.Kind.REMINDER)

    outcome = send()

    assert outcome.failed == sender.MAX_FAILURES
    untried = OutboundEmail.objects.filter(attempts=0, status=Status.QUEUED)
    assert untried.count() == 5  # never claimed, for after the pause


def test_a_success_resets_the_count_of_failures_in_a_row(alice, smtp, settings):
    live_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()
    for n in range(sender.MAX_FAILURES - 1):
        queued(alice, f"follow-up:{n}", kind=OutboundEmail.Kind.REMINDER)
    send()
    assert EmailStatus.objects.get(owner=alice.user).consecutive_failures == 9

    settings.EMAIL_PORT = live_port
    queued(alice, "2026-03-27", at=T + timedelta(minutes=1))
    send(T + timedelta(minutes=1))  # only the new one is due yet
    assert EmailStatus.objects.get(owner=alice.user).consecutive_failures == 0

    settings.EMAIL_PORT = free_port()
    send(T + timedelta(minutes=5))
    assert EmailStatus.objects.get(owner=alice.user).consecutive_failures == 9
    assert not sender.email_paused(alice.user)


def test_an_email_that_keeps_failing_is_given_up_after_ten_attempts(alice, dead_smtp):
    row = queued(alice, "2026-03-27", attempts=sender.MAX_ATTEMPTS - 1)

    assert send().gave_up == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, sender.MAX_ATTEMPTS)


def test_resuming_an_unpaused_freelancer_changes_nothing(alice):
    assert not sender.email_paused(alice.user)
    assert not sender.resume_email(alice.user)


# --- a worker that dies mid-send ---------------------------------------------------------------


def test_a_row_left_sending_by_a_dead_worker_is_sent_once_after_its_lease(alice, smtp):
    row = queued(alice, "2026-03-27")
    with time_machine.travel(T, tick=False):
        token = sender.claim(T)  # ... and the worker is killed before it sends
    assert OutboundEmail.objects.get(claim_token=token) == row

    assert send(T + timedelta(minutes=5)).sent == 0  # the lease still holds
    assert send(T + LEASE).sent == 1
    assert send(T + LEASE + timedelta(minutes=5)).sent == 0
    assert send(T + 3 * LEASE).sent == 0
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len(smtp.messages) == 1


class StallingInbox(Inbox):
    """Holds the first message's DATA until released, then refuses it (the sender is dead by
    then); accepts every later one."""

    def __init__(self):
        super().__init__()
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.stalled.is_set():
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_sender_process_killed_mid_send_delays_one_email_and_sends_each_once(
    postgres, alice, settings
):
    """A real `manage.py send_due_emails` process with five emails due, SIGKILLed while the SMTP
    server holds the first: that one stays in "sending" until its lease runs out; the other
    four go with the very next run; each is sent once."""
    inbox = StallingInbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), server_hostname="t")
    controller.start()
    try:
        use_smtp(settings, controller.port)
        due = datetime.now(UTC) - timedelta(minutes=1)
        rows = [queued(alice, f"follow-up:{n}", at=due, kind="reminder") for n in range(5)]
        db = connection.settings_dict
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "send_due_emails"],
            cwd=PROJECT,
            env={
                **os.environ,
                "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:"
                f"{db['PORT'] or 5432}/{db['NAME']}",
                "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
            },
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert inbox.stalled.wait(JOIN_TIMEOUT), worker.communicate(timeout=5)
        worker.send_signal(signal.SIGKILL)
        worker.wait(JOIN_TIMEOUT)
        inbox.release.set()

        # The process runs on the real clock, so it may also compose today's digest: only the
        # five reminders are looked at.
        mine = OutboundEmail.objects.filter(pk__in=[r.pk for r in rows])
        statuses = dict(mine.values_list("pk", "status"))
        assert statuses == {r.pk: Status.SENDING if r == rows[0] else Status.QUEUED for r in rows}
        claimed_at = OutboundEmail.objects.get(pk=rows[0].pk).claimed_at
        assert send(claimed_at + timedelta(seconds=1)).sent == 4  # the rest, at once
        assert send(claimed_at + LEASE - timedelta(seconds=1)).sent == 0
        assert send(claimed_at + LEASE).sent == 1
        assert send(claimed_at + 2 * LEASE).sent == 0
        assert set(mine.values_list("status", flat=True)) == {Status.SENT}
        ids = {r.message_id for r in rows}
        assert sorted(m["Message-ID"] for m in inbox.messages if m["Message-ID"] in ids) == sorted(
            ids
        )
    finally:
        controller.stop()


# --- two senders at once ------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_send_each_email_once(postgres, alice, bob, smtp):
    carol = freelancer("carol", "Asia/Tokyo")
    rounds, per_user = 5, 12
    for round_ in range(rounds):
        at = T + timedelta(hours=round_)
        for profile in (alice, bob, carol):
            for n in range(per_user):
                queued(profile, f"follow-up:{round_}-{n}", at=at, kind="reminder")
        smtp.clear()

        with time_machine.travel(at, tick=False):
            results = run_together(sender.send_due, sender.send_due)

        assert not [r for r in results if isinstance(r, BaseException)], results
        ids = [m["Message-ID"] for m in smtp.messages]
        assert len(ids) == len(set(ids)) == 3 * per_user, f"round {round_}"
        assert sum(r.sent for r in results) == 3 * per_user
        assert sum(r.lost for r in results) == 0
        assert not OutboundEmail.objects.exclude(status=Status.SENT).exists()


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_senders_reclaiming_the_same_stuck_rows_send_each_once(postgres, alice, smtp):
    for n in range(10):
        queued(alice, f"follow-up:{n}", kind="reminder")
    with time_machine.travel(T, tick=False):
        for _ in range(10):
            sender.claim(T)  # ten workers that died holding one each

    with time_machine.travel(T + LEASE, tick=False):
        results = run_together(sender.send_due, sender.send_due)

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sum(r.sent for r in results) == 10
    assert len({m["Message-ID"] for m in smtp.messages}) == len(smtp.messages) == 10


# --- the history page -------------------------------------------------------------------------


def test_the_history_page_lists_the_users_emails_only(
    alice, bob, client, django_assert_num_queries
):
    for n in range(3):
        queued(alice, f"2026-03-2{n}", status=Status.SENT, sent_at=T)
    queued(alice, "2026-03-19", status=Status.SKIPPED)
    queued(bob, "2026-03-27", subject="Bob's digest")
    client.force_login(alice.user)

    with django_assert_num_queries(6):  # session, user, profile, count, page, email status
        page = client.get("/email/sent/")

    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("<details>") == 3
    assert "Bob&#x27;s digest" not in body and "Bob's digest" not in body
    assert "Email 2026-03-19" not in body  # a skipped digest had nothing to say


def test_the_history_page_says_when_email_is_paused_and_resumes_it(alice, client):
    EmailStatus.objects.create(
        owner=alice.user, consecutive_failures=10, paused_at=T, last_failure_at=T, last_error="x"
    )
    client.force_login(alice.user)

    assert "Your email is paused" in client.get("/email/sent/").content.decode()
    response = client.post("/email/resume/")

    assert (response.status_code, response.url) == (302, "/email/sent/")
    assert not sender.email_paused(alice.user)
    assert "Your email is paused" not in client.get("/email/sent/").content.decode()


def test_the_history_page_needs_a_signed_in_user(client, db):
    response = client.get("/email/sent/")
    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/email/sent/")


def test_one_user_resuming_does_not_resume_another(alice, bob, client):
    EmailStatus.objects.create(owner=bob.user, consecutive_failures=10, paused_at=T)
    client.force_login(alice.user)

    client.post("/email/resume/")

    assert sender.email_paused(bob.user)


def test_the_lease_outlasts_a_whole_run():
    assert sender.RUN_BUDGET * 2 < LEASE
