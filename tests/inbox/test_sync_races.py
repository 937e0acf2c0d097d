"""Syncs racing each other, and a sync killed outright: nothing lost, nothing twice.

Real threads and a real process against PostgreSQL (committed data: a transactional
database) and the private Dovecot.
"""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from engagements.models import Interaction
from inbox import forwarding
from inbox.models import LEASE, FolderCursor, MailMessage
from inbox.sync import sync_mailbox
from tests.engagements.test_worker import worker_database_url
from tests.inbox.mail_helpers import ALICE, client_with_contact, compose, mailbox_on
from tests.threads import run_together

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("postgres", "trust_dovecot"),
]

PROJECT = Path(__file__).resolve().parents[2]
JANE = "Jane <jane@acme.example>"
KILL_TIMEOUT = 60  # seconds for the killed sync to have committed a first batch


@pytest.fixture
def acme(profile):
    return client_with_contact(profile.user)[0]


def messages(n: int, prefix: str = "m") -> list[bytes]:
    return [
        compose(JANE, ALICE, f"{prefix} {i}", message_id=f"<{prefix}{i}@test.example>")
        for i in range(n)
    ]


def interactions_per_message(owner) -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in (
        MailMessage.objects.owned_by(owner)
        .filter(interaction__isnull=False)
        .values_list("key", flat=True)
    ):
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_two_syncs_of_one_mailbox_at_once_log_each_message_once(dovecot, account, acme):
    mailbox = mailbox_on(dovecot, account, acme.owner)
    dovecot.append_many(account, messages(30))

    results = run_together(
        lambda: sync_mailbox(mailbox.pk, batch=5), lambda: sync_mailbox(mailbox.pk, batch=5)
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert sorted(r.status for r in results) == ["busy", "synced"]
    assert Interaction.objects.owned_by(acme.owner).count() == 30


def test_two_mailboxes_with_the_same_messages_synced_at_once_log_each_message_once(
    dovecot, account, acme
):
    """Two mailboxes of one freelancer that share messages (an alias delivered to both)."""
    other = dovecot.new_account()
    shared = messages(40)
    dovecot.append_many(account, shared)
    dovecot.append_many(other, list(reversed(shared)))
    first = mailbox_on(dovecot, account, acme.owner)
    second = mailbox_on(dovecot, other, acme.owner)

    results = run_together(
        lambda: sync_mailbox(first.pk, batch=7), lambda: sync_mailbox(second.pk, batch=7)
    )

    assert not [r for r in results if isinstance(r, BaseException)], results
    assert [r.status for r in results] == ["synced", "synced"]
    assert sum(r.outcome.logged for r in results) == 40
    assert Interaction.objects.owned_by(acme.owner).count() == 40
    assert set(interactions_per_message(acme.owner).values()) == {1}


def test_the_same_message_forwarded_twice_at_once_is_logged_once(acme, settings):
    settings.INBOUND_DOMAIN = "in.rapport.example"
    token = forwarding.new_address(acme.owner_id).split("+", 1)[1].split("@", 1)[0]
    raw = compose(JANE, ALICE, "Once", message_id="<once@test.example>")

    results = run_together(
        lambda: forwarding.deliver(token, raw), lambda: forwarding.deliver(token, raw)
    )

    assert results == [None, None]
    assert Interaction.objects.owned_by(acme.owner).count() == 1


def test_a_sync_killed_mid_run_loses_nothing_and_duplicates_nothing(dovecot, account, acme):
    total = 400
    mailbox = mailbox_on(dovecot, account, acme.owner)
    dovecot.append_many(account, messages(total))
    env = {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "MAIL_CA_FILE": str(dovecot.ca_file),
        "DEBUG": "1",
    }
    sync = subprocess.Popen(
        [sys.executable, "manage.py", "sync_mail", "--mailbox", str(mailbox.pk), "--batch", "4"],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    cursor = None
    deadline = time.monotonic() + KILL_TIMEOUT
    while time.monotonic() < deadline and sync.poll() is None:
        cursor = FolderCursor.objects.filter(mailbox=mailbox, folder="INBOX").first()
        if cursor is not None and cursor.last_uid > 0:
            break
        time.sleep(0.01)
    sync.send_signal(signal.SIGKILL)
    sync.wait(timeout=10)

    # Killed between two of its batches or in the middle of one: what is committed is whole.
    assert cursor is not None and 0 < cursor.last_uid < total, "killed too late to tell"
    cursor.refresh_from_db()
    committed = MailMessage.objects.owned_by(acme.owner).count()
    assert committed == cursor.last_uid
    assert Interaction.objects.owned_by(acme.owner).count() == committed

    # The killed run's lease runs out; the next run carries on from its cursor.
    with time_machine.travel(timezone.now() + LEASE + timedelta(minutes=1)):
        result = sync_mailbox(mailbox.pk)

    assert result.status == "synced"
    assert result.seen == total - cursor.last_uid
    assert Interaction.objects.owned_by(acme.owner).count() == total
    assert set(interactions_per_message(acme.owner).values()) == {1}
