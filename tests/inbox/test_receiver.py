"""inbox.receiver: the forwarding address, served for real on a free loopback port and
spoken to with smtplib (SMTP and LMTP)."""

import logging
import smtplib
import socket
import threading

import pytest

from inbox.receiver import ForwardingHandler, start_server

DOMAIN = "in.rapport.example"
KNOWN = {"k3J9x", "alice-2"}


class Log:
    """What deliver() received: (token, raw bytes), in order."""

    def __init__(self, fail_for: set[str] = frozenset()) -> None:
        self.received: list[tuple[str, bytes]] = []
        self.fail_for = fail_for
        self.lock = threading.Lock()

    def deliver(self, token: str, raw: bytes) -> None:
        if token in self.fail_for:
            raise RuntimeError(f"database down while saving {raw[-40:]!r}")
        with self.lock:
            self.received.append((token, raw))


MESSAGE = (
    b"From: Bob <bob@freelancer.example>\r\nTo: log+k3J9x@in.rapport.example\r\n"
    b"Subject: Fwd: Logo feedback\r\nMessage-ID: <fwd-1@freelancer.example>\r\n\r\n"
    b"For the log: the client loved the logo. Secret-Body-Words\r\n"
)


@pytest.fixture
def received():
    return Log()


def serve(log: Log, *, lmtp: bool = False, max_size: int = 25 * 1024 * 1024, known=KNOWN):
    handler = ForwardingHandler(
        domain=DOMAIN,
        token_is_known=known.__contains__ if isinstance(known, set) else known,
        deliver=log.deliver,
        max_size=max_size,
    )
    return start_server("127.0.0.1", 0, handler, lmtp=lmtp)


@pytest.fixture
def smtp_server(received):
    with serve(received) as server:
        yield server


def test_a_message_to_a_known_token_is_delivered_exactly_as_sent(smtp_server, received):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        refused = client.sendmail(
            "bob@freelancer.example", ["log+k3J9x@in.rapport.example"], MESSAGE
        )
    assert refused == {}
    assert received.received == [("k3J9x", MESSAGE)]


def test_the_local_part_and_domain_are_case_insensitive_but_the_token_is_kept(
    smtp_server, received
):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.sendmail("bob@freelancer.example", ["LOG+k3J9x@In.Rapport.Example"], MESSAGE)
    assert [token for token, _ in received.received] == ["k3J9x"]


@pytest.mark.parametrize(
    ("recipient", "text"),
    [
        ("log+nope@in.rapport.example", "unknown logging address"),
        ("log+k3j9x@in.rapport.example", "unknown logging address"),  # tokens keep their case
        ("bob@in.rapport.example", "not a logging address"),
        ("log+k3J9x@elsewhere.example", "not a logging address"),
        ("log+../etc@in.rapport.example", "not a logging address"),
        ("log@in.rapport.example", "not a logging address"),
    ],
)
def test_other_recipients_are_refused_at_rcpt_with_550(smtp_server, received, recipient, text):
    with (
        smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as caught,
    ):
        client.sendmail("bob@freelancer.example", [recipient], MESSAGE)
    code, reply = caught.value.recipients[recipient]
    assert code == 550
    assert text in reply.decode()
    assert received.received == []


def test_one_refused_recipient_does_not_stop_the_others(smtp_server, received):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        refused = client.sendmail(
            "bob@freelancer.example",
            ["log+nope@in.rapport.example", "log+alice-2@in.rapport.example"],
            MESSAGE,
        )
    assert list(refused) == ["log+nope@in.rapport.example"]
    assert [token for token, _ in received.received] == ["alice-2"]


def test_each_distinct_token_gets_the_message_once(smtp_server, received):
    with smtplib.SMTP(smtp_server.host, smtp_server.port, timeout=5) as client:
        client.sendmail(
            "bob@freelancer.example",
            [
                "log+k3J9x@in.rapport.example",
                "log+alice-2@in.rapport.example",
                "LOG+k3J9x@in.rapport.example",
            ],
            MESSAGE,
        )
    assert [token for token, _ in received.received] == ["k3J9x", "alice-2"]


def test_a_message_over_the_size_limit_is_refused_with_552():
    log = Log()
    big = MESSAGE + (b"x" * 98 + b"\r\n") * 200
    with serve(log, max_size=10_000) as server:
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            assert client.has_extn("size") or client.ehlo()[0] == 250
            assert client.esmtp_features["size"] == "10000"
            with pytest.raises(smtplib.SMTPSenderRefused) as declared:
                client.sendmail("bob@freelancer.example", ["log+k3J9x@in.rapport.example"], big)
            assert declared.value.smtp_code == 552
        with smtplib.SMTP(server.host, server.port, timeout=5) as client:
            client.ehlo()
            client.mail("bob@freelancer.example")  # no SIZE= said: found out while reading
            client.rcpt("log+k3J9x@in.rapport.example")
            code, _ = client.data(big)
            assert code == 552
    assert log.received == []


def test_a_failing_delivery_is_a_451_and_is_logged_without_the_body_or_the_token(caplog):
    caplog.set_level(logging.DEBUG)
    log = Log(fail_for={"k3J9x"})
    with (
        serve(log) as server,
        smtplib.SMTP(server.host, server.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPDataError) as caught,
    ):
        client.sendmail("bob@freelancer.example", ["log+k3J9x@in.rapport.example"], MESSAGE)
    assert caught.value.smtp_code == 451
    assert "try again later" in caught.value.smtp_error.decode()
    expected = f"Delivering a {len(MESSAGE)}-byte message to a logging address failed"
    assert f"{expected} (RuntimeError)" in caplog.text
    assert "Secret-Body-Words" not in caplog.text
    assert "k3J9x" not in caplog.text


def test_a_failing_token_check_is_a_451_at_rcpt():
    def broken(token: str) -> bool:
        raise ConnectionError("database unreachable")

    log = Log()
    with (
        serve(log, known=broken) as server,
        smtplib.SMTP(server.host, server.port, timeout=5) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as caught,
    ):
        client.sendmail("bob@freelancer.example", ["log+k3J9x@in.rapport.example"], MESSAGE)
    assert caught.value.recipients["log+k3J9x@in.rapport.example"][0] == 451


def test_lmtp_answers_once_per_recipient(caplog):
    log = Log(fail_for={"alice-2"})
    with serve(log, lmtp=True) as server:
        client = smtplib.LMTP(server.host, server.port, timeout=5)
        try:
            assert client.ehlo_or_helo_if_needed() is None
            assert client.mail("bob@freelancer.example")[0] == 250
            assert client.rcpt("log+k3J9x@in.rapport.example")[0] == 250
            assert client.rcpt("log+alice-2@in.rapport.example")[0] == 250
            first = client.data(MESSAGE)
            second = client.getreply()
        finally:
            client.close()
    assert first[0] == 250 and second[0] == 451
    assert log.received == [("k3J9x", MESSAGE)]


def test_lmtp_refuses_smtp_greetings():
    with (
        serve(Log(), lmtp=True) as server,
        socket.create_connection((server.host, server.port), timeout=5) as sock,
    ):
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"220")
        sock.sendall(b"EHLO client.example\r\n")
        assert reader.readline().startswith(b"500")


def test_port_0_picks_a_free_port_and_stop_releases_it():
    server = serve(Log())
    port = server.port
    assert port != 0
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        assert sock.recv(100).startswith(b"220")
    server.stop()
    server.stop()  # twice is fine
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)
