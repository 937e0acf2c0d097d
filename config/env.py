"""Typed readers for environment variables that fail loudly, naming the variable."""

import base64
import hashlib
import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database_from_url(name: str, url: str) -> dict:
    """Django DATABASES entry from a postgres:// or sqlite:/// URL in variable `name`."""
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql"):
        if not parts.path.strip("/"):
            raise ImproperlyConfigured(
                f"{name}={url!r} names no database: postgres://user@host:5432/dbname"
            )
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={url!r} has a port that is not a number.") from None
        options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(port or ""),
            "OPTIONS": options,
            "CONN_MAX_AGE": 60,
            "CONN_HEALTH_CHECKS": True,
        }
    if parts.scheme == "sqlite":
        path = url.removeprefix("sqlite://").removeprefix("/") if parts.netloc == "" else ""
        if not path:
            raise ImproperlyConfigured(
                f"{name}={url!r}: use sqlite:///relative/path.db or sqlite:////abs/path.db"
            )
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    raise ImproperlyConfigured(
        f"{name}={url!r} is not a database URL: expected postgres://user:pass@host:5432/dbname "
        "or sqlite:///path.db"
    )


def email_from_url(name: str, url: str) -> dict:
    """Django EMAIL_* settings from smtp://user:pass@host:port/?tls=1, console:// or locmem://."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme in ("smtp", "smtps"):
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        try:
            port = parts.port
        except ValueError:
            raise ImproperlyConfigured(f"{name}={url!r} has a port that is not a number.") from None
        if not parts.hostname:
            raise ImproperlyConfigured(
                f"{name}={url!r} names no host: smtp://user:pass@host:587/?tls=1"
            )
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname,
            "EMAIL_PORT": port or (465 if parts.scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_TLS": query.get("tls") in _TRUE,
            "EMAIL_USE_SSL": parts.scheme == "smtps" or query.get("ssl") in _TRUE,
            "EMAIL_TIMEOUT": 20,
        }
    raise ImproperlyConfigured(
        f"{name}={url!r} is not an email URL: expected smtp://user:pass@host:587/?tls=1 or console://"
    )


def env_cron(name: str, default: str):
    """A crontab from five fields ("*/5 * * * *"), or None when the variable says "disable"."""
    from celery.schedules import crontab

    raw = os.environ.get(name, default).strip()
    if raw.lower() == "disable":
        return None
    fields = raw.split()
    if len(fields) != 5:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a cron schedule: five fields, e.g. '*/5 * * * *', or 'disable'."
        )
    minute, hour, day_of_month, month_of_year, day_of_week = fields
    try:
        return crontab(minute, hour, day_of_week, day_of_month, month_of_year)
    except ValueError as e:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a cron schedule: {e}") from None


def shortest_interval(schedule) -> int:
    """Seconds between the two closest runs of a crontab within a week."""
    runs = [
        day * 1440 + hour * 60 + minute
        for day in sorted(schedule.day_of_week)
        for hour in sorted(schedule.hour)
        for minute in sorted(schedule.minute)
    ]
    gaps = [b - a for a, b in zip(runs, runs[1:], strict=False)] + [runs[0] + 7 * 1440 - runs[-1]]
    return min(gaps) * 60


def development_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY, for development only (settings says so)."""
    digest = hashlib.sha256(b"rapport-encryption:" + secret_key.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode()
