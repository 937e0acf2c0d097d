"""Settings come from the environment and fail loudly, naming the variable that is wrong.

The start-up checks run `django.setup()` in a fresh interpreter with a controlled environment
(nothing inherited but PATH), so they prove what a real start does.
"""

import subprocess

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    database_from_url,
    email_from_url,
    env_bool,
    env_int,
    env_list,
    env_str,
)
from tests import fresh_start

SHOW = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.ALLOWED_HOSTS, s.DATABASES['default']['ENGINE'], s.EMAIL_BACKEND, sep='|')"
)


def start(tmp_path, **env) -> subprocess.CompletedProcess:
    """django.setup() with only `env` set, then the settings the tests look at."""
    return fresh_start.start(tmp_path, f"import django; django.setup(); {SHOW}", **env)


def refused(result) -> str:
    """The last line of the traceback of a start that failed with ImproperlyConfigured."""
    assert result.returncode != 0, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    return last.removeprefix("django.core.exceptions.ImproperlyConfigured: ")


# --- starting up ---------------------------------------------------------------------------


def test_it_starts_with_nothing_set_on_sqlite_with_console_email(tmp_path):
    result = start(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "True",
        "[]",
        "django.db.backends.sqlite3",
        "django.core.mail.backends.console.EmailBackend",
    ]


def test_it_refuses_a_debug_that_is_not_a_boolean(tmp_path):
    assert refused(start(tmp_path, DEBUG="maybe")).startswith("DEBUG='maybe' is not a boolean")


@pytest.mark.parametrize(
    "url", ["mysql://x", "postgres://host:notaport/db", "postgres://host", "sqlite://"]
)
def test_it_refuses_a_malformed_database_url(tmp_path, url):
    assert refused(start(tmp_path, DATABASE_URL=url)).startswith(f"DATABASE_URL={url!r}")


@pytest.mark.parametrize("url", ["smtp://", "smtp://mail.example.com:notaport", "pigeon://x"])
def test_it_refuses_a_malformed_email_url(tmp_path, url):
    assert refused(start(tmp_path, EMAIL_URL=url)).startswith(f"EMAIL_URL={url!r}")


def test_production_mode_refuses_to_start_without_a_secret_key_and_allowed_hosts(tmp_path):
    message = refused(start(tmp_path, DEBUG="0"))
    assert "SECRET_KEY and ALLOWED_HOSTS are not set" in message


def test_production_mode_names_the_one_setting_that_is_missing(tmp_path):
    message = refused(start(tmp_path, DEBUG="0", SECRET_KEY="s3cret-" * 8))
    assert "ALLOWED_HOSTS is not set" in message
    assert "SECRET_KEY" not in message


def test_production_mode_refuses_to_start_without_encryption_keys(tmp_path):
    message = refused(
        start(tmp_path, DEBUG="0", SECRET_KEY="s3cret-" * 8, ALLOWED_HOSTS="rapport.example.com")
    )
    assert "ENCRYPTION_KEYS is not set" in message


def test_production_mode_starts_with_a_secret_key_and_allowed_hosts(tmp_path):
    result = start(
        tmp_path,
        DEBUG="0",
        SECRET_KEY="s3cret-" * 8,
        ALLOWED_HOSTS="rapport.example.com, www.rapport.example.com",
        ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DATABASE_URL="postgres://rapport:pw@db.example.com:5432/rapport",
        EMAIL_URL="smtp://mail.example.com:587/?tls=1",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split("|") == [
        "False",
        "['rapport.example.com', 'www.rapport.example.com']",
        "django.db.backends.postgresql",
        "django.core.mail.backends.smtp.EmailBackend",
    ]


def production(**env) -> dict:
    """The README's production recipe ("In production"), with `env` on top."""
    return {
        "DEBUG": "0",
        "SECRET_KEY": "s3cret-" * 8,
        "ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "rapport.example.com",
        "DATABASE_URL": "postgres://rapport:pw@db.example.com:5432/rapport",
        "REDIS_URL": "redis://redis.example.com:6379/0",
        "EMAIL_URL": "smtp://user:pass@smtp.example.com:587/?tls=1",
        "SITE_URL": "https://rapport.example.com",
    } | env


def test_production_mode_refuses_a_secret_key_shorter_than_50_characters(tmp_path):
    message = refused(start(tmp_path, **production(SECRET_KEY="short")))
    assert "SECRET_KEY has 5 characters: it needs at least 50" in message


def test_the_production_recipe_passes_the_deployment_checks(tmp_path):
    result = fresh_start.start(
        tmp_path,
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('check', deploy=True, fail_level='WARNING')",
        **production(),
    )
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


HTTPS = (
    "from django.conf import settings as s; print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, "
    "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, sep='|')"
)


def test_production_is_https_only_unless_told_it_runs_on_plain_http(tmp_path):
    https = fresh_start.start(tmp_path, f"import django; django.setup(); {HTTPS}", **production())
    assert https.stdout.split() == ["True|31536000|True|True"], https.stderr
    plain = fresh_start.start(
        tmp_path, f"import django; django.setup(); {HTTPS}", **production(HTTPS_ONLY="0")
    )
    assert plain.stdout.split() == ["False|0|False|False"], plain.stderr


# --- env helpers -----------------------------------------------------------------------------


@pytest.fixture
def no_var(monkeypatch):
    monkeypatch.delenv("RAPPORT_TEST_VAR", raising=False)
    return "RAPPORT_TEST_VAR"


def test_env_str_reads_the_variable_or_the_default(monkeypatch, no_var):
    assert env_str(no_var) == ""
    assert env_str(no_var, "fallback") == "fallback"
    monkeypatch.setenv(no_var, "value")
    assert env_str(no_var, "fallback") == "value"


@pytest.mark.parametrize("raw", ["1", "true", "True", "YES", "on", " 1 "])
def test_env_bool_reads_yes_words_as_true(monkeypatch, no_var, raw):
    monkeypatch.setenv(no_var, raw)
    assert env_bool(no_var, False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "OFF"])
def test_env_bool_reads_no_words_as_false(monkeypatch, no_var, raw):
    monkeypatch.setenv(no_var, raw)
    assert env_bool(no_var, True) is False


def test_env_bool_gives_the_default_when_unset(no_var):
    assert env_bool(no_var, True) is True


@pytest.mark.parametrize("raw", ["", "  "])
def test_env_bool_gives_the_default_when_set_to_nothing(monkeypatch, no_var, raw):
    monkeypatch.setenv(no_var, raw)
    assert env_bool(no_var, True) is True
    assert env_bool(no_var, False) is False


def test_env_bool_refuses_anything_else_naming_the_variable(monkeypatch, no_var):
    monkeypatch.setenv(no_var, "maybe")
    with pytest.raises(ImproperlyConfigured, match=r"^RAPPORT_TEST_VAR='maybe' is not a boolean"):
        env_bool(no_var, True)


def test_env_int_reads_a_whole_number(monkeypatch, no_var):
    monkeypatch.setenv(no_var, "8080")
    assert env_int(no_var, 8000) == 8080


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_env_int_gives_the_default_when_unset_or_blank(monkeypatch, no_var, raw):
    if raw is not None:
        monkeypatch.setenv(no_var, raw)
    assert env_int(no_var, 8000) == 8000


@pytest.mark.parametrize("raw", ["80.5", "eighty"])
def test_env_int_refuses_anything_else_naming_the_variable(monkeypatch, no_var, raw):
    monkeypatch.setenv(no_var, raw)
    with pytest.raises(ImproperlyConfigured, match=rf"^RAPPORT_TEST_VAR='{raw}' is not a whole"):
        env_int(no_var, 8000)


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch, no_var):
    assert env_list(no_var) == []
    assert env_list(no_var, "a,b") == ["a", "b"]
    monkeypatch.setenv(no_var, " example.com, ,www.example.com,")
    assert env_list(no_var) == ["example.com", "www.example.com"]


def test_a_postgres_url_becomes_a_database_entry():
    assert database_from_url(
        "DB", "postgres://rap%40port:p%2Fss@db.example.com:6543/rap%20port?sslmode=require"
    ) == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "rap port",
        "USER": "rap@port",
        "PASSWORD": "p/ss",
        "HOST": "db.example.com",
        "PORT": "6543",
        "OPTIONS": {"sslmode": "require"},
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def test_a_postgresql_url_without_user_or_port_leaves_them_empty():
    entry = database_from_url("DB", "postgresql://localhost/rapport")
    assert (entry["NAME"], entry["USER"], entry["PASSWORD"], entry["HOST"], entry["PORT"]) == (
        "rapport",
        "",
        "",
        "localhost",
        "",
    )


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("sqlite:///var/rapport.db", "var/rapport.db"),
        ("sqlite:////srv/rapport.db", "/srv/rapport.db"),
    ],
)
def test_a_sqlite_url_becomes_a_relative_or_absolute_path(url, name):
    assert database_from_url("DB", url) == {"ENGINE": "django.db.backends.sqlite3", "NAME": name}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("mysql://x", "is not a database URL"),
        ("postgres://host", "names no database"),
        ("postgres://host/", "names no database"),
        ("postgres://host:notaport/db", "has a port that is not a number"),
        ("sqlite://", "use sqlite:///relative/path.db"),
        ("sqlite://host/x.db", "use sqlite:///relative/path.db"),
        ("", "is not a database URL"),
    ],
)
def test_a_malformed_database_url_is_refused_naming_the_variable(url, problem):
    with pytest.raises(ImproperlyConfigured) as caught:
        database_from_url("DATABASE_URL", url)
    assert str(caught.value).startswith(f"DATABASE_URL={url!r}")
    assert problem in str(caught.value)


def test_an_smtp_url_becomes_email_settings():
    assert email_from_url(
        "EMAIL", "smtp://me%40example.com:p%40ss@mail.example.com:587/?tls=1"
    ) == {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "mail.example.com",
        "EMAIL_PORT": 587,
        "EMAIL_HOST_USER": "me@example.com",
        "EMAIL_HOST_PASSWORD": "p@ss",
        "EMAIL_USE_TLS": True,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 20,
    }


def test_smtps_defaults_to_port_465_with_ssl_and_smtp_to_port_25():
    smtps = email_from_url("EMAIL", "smtps://mail.example.com")
    assert (smtps["EMAIL_PORT"], smtps["EMAIL_USE_SSL"], smtps["EMAIL_USE_TLS"]) == (
        465,
        True,
        False,
    )
    smtp = email_from_url("EMAIL", "smtp://mail.example.com")
    assert (smtp["EMAIL_PORT"], smtp["EMAIL_USE_SSL"], smtp["EMAIL_USE_TLS"]) == (25, False, False)


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console://", "django.core.mail.backends.console.EmailBackend"),
        ("locmem://", "django.core.mail.backends.locmem.EmailBackend"),
    ],
)
def test_console_and_locmem_urls_pick_their_backends(url, backend):
    assert email_from_url("EMAIL", url) == {"EMAIL_BACKEND": backend}


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("smtp://", "names no host"),
        ("smtp://mail.example.com:notaport", "has a port that is not a number"),
        ("pigeon://loft", "is not an email URL"),
        ("mail.example.com", "is not an email URL"),
    ],
)
def test_a_malformed_email_url_is_refused_naming_the_variable(url, problem):
    with pytest.raises(ImproperlyConfigured) as caught:
        email_from_url("EMAIL_URL", url)
    assert str(caught.value).startswith(f"EMAIL_URL={url!r}")
    assert problem in str(caught.value)
