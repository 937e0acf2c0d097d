"""Secrets that are only ever compared: a long random token, shown once, kept as its SHA-256.

A token reads `<kind>_<43 url-safe characters>` (256 random bits), so a leaked one says what it
is; its first characters are kept in the clear to tell tokens apart on the settings pages.
"""

import hashlib
import secrets

PREFIX_LENGTH = 12  # "rpt_" and 8 characters of the random part


def new_token(kind: str) -> str:
    return f"{kind}_{secrets.token_urlsafe(32)}"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def visible_prefix(token: str) -> str:
    return token[:PREFIX_LENGTH]
