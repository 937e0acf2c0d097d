"""Secrets at rest (mailbox passwords, webhook signing secrets): encrypted with Fernet.

The keys come from ENCRYPTION_KEYS (settings), newest first: the first encrypts, every one
decrypts (MultiFernet), so a key is rotated by putting a new one in front and running
`python manage.py reencrypt_secrets`, then dropping the old one. A value that no configured key
decrypts reads as None: the secret has to be entered again (a lost key loses its secrets, and
nothing else). Secrets that are only ever compared (API and calendar tokens) are hashed instead.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except (ValueError, TypeError) as e:
        raise ImproperlyConfigured(
            "ENCRYPTION_KEYS holds a key that is not a Fernet key (32 url-safe base64 bytes; "
            "`python manage.py reencrypt_secrets --new-key` prints one)."
        ) from e


def fernet() -> MultiFernet:
    keys = tuple(settings.ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("ENCRYPTION_KEYS is empty.")
    return _fernet(keys)


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str | None:
    """The plain text, or None when no configured key opens the token."""
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        return None


def reencrypt(token: str) -> str:
    """The token re-encrypted under the first key (InvalidToken if no key opens it)."""
    return fernet().rotate(token.encode()).decode()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored encrypted. "" stays "" (no secret); a value no key opens reads as None."""

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)


def encrypted_fields() -> list[tuple[type[models.Model], str]]:
    """Every (model, field name) stored with EncryptedTextField."""
    from django.apps import apps

    return [
        (model, field.name)
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if isinstance(field, EncryptedTextField)
    ]
