"""The forwarding address end to end: smtplib sends to the real aiosmtpd receiver wired as
`receive_mail` wires it (inbox.forwarding.handler), which logs through the same pipeline as the
sync. The receiver's threads need committed data: a transactional database."""

import os
import smtplib
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from engagements.models import Interaction
from inbox import forwarding
from inbox.dovecot import free_port
from inbox.message import parse_message
from inbox.models import MailMessage
from inbox.receiver import start_server
from tests.engagements.test_worker import worker_database_url
from tests.inbox.mail_helpers import ALICE, client_with_contact, compose

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = Path(__file__).resolve().parents[2]
DOMAIN = "in.rapport.example"
JANE = "Jane <jane@acme.example>"


@pytest.fixture
def inbound(settings):
    settings.INBOUND_DOMAIN = DOMAIN


@pytest.fixture
def acme(profile, inbound):
    profile.user.email = ALICE  # her own address: what she Bcc's from it is outbound
    profile.user.save()
    return client_with_contact(profile.user)[0]


@contextmanager
def receiver(lmtp=False):
    with start_server("127.0.0.1", 0, forwarding.handler(), lmtp=lmtp) as server:
        yield server


def send(server, raw: bytes, to: str, sender="bounce@mail.example"):
    with smtplib.SMTP(server.host, server.port, timeout=10) as smtp:
        smtp.sendmail(sender, [to], raw)


def token_of(address: str) -> str:
    return address.split("+", 1)[1].split("@", 1)[0]


def test_a_message_bccd_to_the_address_is_logged_like_one_from_the_mailbox(acme):
    address = forwarding.new_address(acme.owner_id)
    with receiver() as server:
        send(server, compose(ALICE, JANE, "Proposal", "Here is the proposal."), address)

    [interaction] = Interaction.objects.filter(client=acme)
    assert interaction.direction == "out" and interaction.summary.startswith("Proposal")
    assert interaction.mail.source == MailMessage.Source.FORWARD


def test_a_forwarded_message_is_logged_as_the_original_from_its_sender_at_its_date(acme):
    address = forwarding.new_address(acme.owner_id)
    original = datetime(2026, 11, 28, 21, 10, tzinfo=UTC)
    inner = compose(JANE, ALICE, "Launch", "Can we launch on Tuesday?", date=original)
    forward = (
        b"From: Alice <alice@studio.example>\r\nTo: " + address.encode() + b"\r\n"
        b"Subject: Fwd: Launch\r\nMessage-ID: <fwd@studio.example>\r\n"
        b"Date: Mon, 30 Nov 2026 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nFor the log.\r\n--b\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--b--\r\n"
    )
    with receiver() as server:
        send(server, forward, address)

    [interaction] = Interaction.objects.filter(client=acme)
    assert interaction.direction == "in" and interaction.occurred_at == original
    assert interaction.mail.from_address == "jane@acme.example"
    assert interaction.summary == "Launch — Can we launch on Tuesday?"


def test_an_inline_forward_from_gmail_is_unwrapped(acme, eml):
    address = forwarding.new_address(acme.owner_id)
    raw = eml("forwarded_inline_gmail")
    original_sender = parse_message(raw, now=datetime.now(UTC)).forwarded.from_address
    acme.contacts.update(email=original_sender.email)

    with receiver() as server:
        send(server, raw, address)

    [interaction] = Interaction.objects.filter(client=acme)
    assert interaction.mail.from_address == original_sender.email


def test_the_same_message_arriving_twice_is_logged_once(acme):
    address = forwarding.new_address(acme.owner_id)
    raw = compose(JANE, ALICE, "Twice", message_id="<twice@acme.example>")
    with receiver() as server:
        send(server, raw, address)
        send(server, raw, address)
    assert Interaction.objects.filter(client=acme).count() == 1


def test_mail_to_an_unknown_token_is_refused_at_rcpt(acme):
    with receiver() as server, pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(server, compose(JANE, ALICE), f"log+NotAToken123@{DOMAIN}")
    code, words = refused.value.recipients[f"log+NotAToken123@{DOMAIN}"]
    assert code == 550 and b"unknown logging address" in words
    assert not MailMessage.objects.exists()


def test_a_rotated_address_is_refused_at_once(acme):
    old = forwarding.new_address(acme.owner_id)
    new = forwarding.new_address(acme.owner_id)
    with receiver() as server:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            send(server, compose(JANE, ALICE, "Old"), old)
        send(server, compose(JANE, ALICE, "New"), new)
    assert [i.summary for i in Interaction.objects.all()] == ["New — Could you send the files?"]


def test_an_unreadable_message_is_accepted_and_dropped_not_retried_forever(acme):
    address = forwarding.new_address(acme.owner_id)
    with receiver() as server:
        send(server, b"\r\n\r\n", address)  # no header fields: nothing to log
    assert not MailMessage.objects.exists()


def test_lmtp_answers_per_recipient(acme, outsider):
    address = forwarding.new_address(acme.owner_id)
    with receiver(lmtp=True) as server, smtplib.LMTP(server.host, server.port) as lmtp:
        refused = lmtp.sendmail(
            "b@x.example", [address, f"log+nope@{DOMAIN}"], compose(JANE, ALICE)
        )
    assert list(refused) == [f"log+nope@{DOMAIN}"]
    assert Interaction.objects.filter(client=acme).count() == 1


@pytest.mark.usefixtures("postgres")
def test_receive_mail_runs_the_server_until_stopped(acme, tmp_path):
    address = forwarding.new_address(acme.owner_id)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": worker_database_url(), "INBOUND_DOMAIN": DOMAIN}
    log = tmp_path / "receive_mail.log"
    server = subprocess.Popen(
        [sys.executable, "manage.py", "receive_mail", "--port", str(port)],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
    )
    try:
        assert f"SMTP on 127.0.0.1:{port}" in server.stdout.readline()
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.sendmail("b@x.example", [address], compose(JANE, ALICE, "Via the command"))
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
    assert server.returncode == 0 and "Stopped." in output
    assert "recip: log+…@in.rapport.example" in log.read_text()  # its log, without the token
    assert token_of(address) not in output + log.read_text()
    deadline = time.monotonic() + 5
    while not Interaction.objects.filter(client=acme).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Interaction.objects.get(client=acme).summary.startswith("Via the command")
