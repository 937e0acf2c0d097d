"""Fixtures for the inbox tests: the .eml corpus, a server that hangs, a closed port. The
private Dovecot is in tests/conftest.py (the page tests use it too)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from inbox.dovecot import free_port

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(scope="session")
def eml() -> Callable[[str], bytes]:
    """``eml("reply_gmail")``: the bytes of tests/inbox/corpus/reply_gmail.eml."""

    def load(name: str) -> bytes:
        return (CORPUS / f"{name.removesuffix('.eml')}.eml").read_bytes()

    return load


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
