"""Fixtures for the inbox tests: the .eml corpus, a private Dovecot, a hanging server.

The Dovecot fixture starts a real, private IMAP server (inbox.dovecot) on free loopback ports
with its own configuration, users and self-signed certificate, and stops it at the end of the
session. Tests that need it skip when /usr/sbin/dovecot is missing (fail under
REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from inbox.dovecot import Account, Dovecot, DovecotUnavailable, free_port, running
from tests.conftest import need

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(scope="session")
def eml() -> Callable[[str], bytes]:
    """``eml("reply_gmail")``: the bytes of tests/inbox/corpus/reply_gmail.eml."""

    def load(name: str) -> bytes:
        return (CORPUS / f"{name.removesuffix('.eml')}.eml").read_bytes()

    return load


# --------------------------------------------------------------------------- Dovecot


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """A private Dovecot for the whole session (inbox.dovecot), stopped and removed at the end."""
    try:
        with running(tmp_path_factory.mktemp("dovecot")) as server:
            yield server
    except DovecotUnavailable as error:
        need(False, str(error))


@pytest.fixture
def account(dovecot: Dovecot) -> Account:
    """A fresh, empty mailbox on the private Dovecot."""
    return dovecot.new_account()


# --------------------------------------------------------------------------- hanging server


@dataclass
class HangingServer:
    port: int
    connections: list[socket.socket]


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    """A loopback port that accepts connections and never says a word."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    server = HangingServer(listener.getsockname()[1], [])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            server.connections.append(conn)  # held open, never written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server
    stop.set()
    thread.join(timeout=5)
    for conn in server.connections:
        conn.close()
    listener.close()


@pytest.fixture
def closed_port() -> int:
    """A loopback port where nothing listens (connection refused)."""
    return free_port()


@pytest.fixture
def trust_dovecot(settings, dovecot):
    """The sync trusts the private Dovecot's self-signed certificate, and gives up quickly."""
    settings.MAIL_CA_FILE = str(dovecot.ca_file)
    settings.MAIL_TIMEOUT = 5
