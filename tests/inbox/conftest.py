"""Fixtures for the inbox tests: the .eml corpus, a private Dovecot, a hanging server.

The Dovecot fixture starts a real, private IMAP server on free loopback ports with its own
configuration, users and self-signed certificate, and stops it at the end of the session.
Tests that need it skip when /usr/sbin/dovecot is missing (fail under REQUIRE_SERVICES=1).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(scope="session")
def eml() -> Callable[[str], bytes]:
    """``eml("reply_gmail")``: the bytes of tests/inbox/corpus/reply_gmail.eml."""

    def load(name: str) -> bytes:
        return (CORPUS / f"{name.removesuffix('.eml')}.eml").read_bytes()

    return load
