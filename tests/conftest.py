"""Shared fixtures. Tests that need PostgreSQL, Redis or Chromium skip without them, unless
REQUIRE_SERVICES=1 (set by .ci/run), where a missing service fails the test instead."""

import os
import shutil
from datetime import timedelta

import pytest
import redis
from django.db import connection
from django.utils import timezone

from clients.models import FreelancerProfile
from config.celery import app as celery_app
from inbox.dovecot import Account, Dovecot, DovecotUnavailable, running

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need(available: bool, what: str) -> None:
    """Skip (or, under REQUIRE_SERVICES=1, fail) when a service the test needs is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {what}")
    pytest.skip(what)


@pytest.fixture
def postgres(db):
    """The test database is PostgreSQL (DATABASE_URL=postgres://…)."""
    need(connection.vendor == "postgresql", "needs PostgreSQL: set DATABASE_URL=postgres://…")


@pytest.fixture(scope="session")
def redis_url():
    url = os.environ.get("REDIS_URL", "")
    need(bool(url), "needs Redis: set REDIS_URL=redis://…")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as e:
        need(False, f"Redis at {url} does not answer: {e}")
    return url


@pytest.fixture(scope="session")
def chromium_path():
    need(
        shutil.which(CHROMIUM) is not None,
        f"needs Chromium at {CHROMIUM} (apt-get install chromium)",
    )
    return CHROMIUM


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-password")


@pytest.fixture
def outsider(django_user_model):
    return django_user_model.objects.create_user(
        "mallory", "mallory@example.com", "mallory-password"
    )


@pytest.fixture
def profile(user):
    """Alice works Mon–Fri 09:00–17:00 in Berlin."""
    profile = FreelancerProfile.for_user(user)
    profile.timezone, profile.timezone_set = "Europe/Berlin", True
    profile.onboarded_at = timezone.now()
    profile.save()
    return profile


@pytest.fixture
def world(user, profile):
    """Alice's one of each object (tests/test_isolation.py), a flag on her dashboard, a reminder
    to cancel and this week's review to fill in: what the tests that visit every page use."""
    from engagements import emails
    from engagements.evaluation import evaluate
    from tests.test_isolation import make_world

    objects = make_world(user)
    emails.schedule_follow_up(
        client=objects["client"], note="Call back", remind_at=timezone.now() + timedelta(days=2)
    )
    evaluate(user.pk)
    return objects


@pytest.fixture
def signed_in(client, user):
    """Alice's signed-in test client (her profile as the first page made it: UTC), past the
    first-run steps (tests/web/test_onboarding.py goes through them)."""
    FreelancerProfile.for_user(user)
    FreelancerProfile.objects.filter(user=user).update(onboarded_at=timezone.now())
    client.force_login(user)
    return client


@pytest.fixture
def web(client, profile):
    """Alice, signed in (Berlin, Mon–Fri 09:00–17:00)."""
    client.force_login(profile.user)
    return client


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """PBKDF2 costs ~0.3 s a user; these tests check behaviour, not the hash's strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def celery_eager():
    """Tasks queued by the code under test run in-process (the worker tests opt out)."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def own_cache(settings, monkeypatch):
    """Each test starts with an empty in-process cache (the dashboard keeps its rows there), in
    a process that has never seen the cache fail."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    from engagements import dashboard_cache

    cache.clear()
    monkeypatch.setattr(dashboard_cache, "_down_until", 0.0)
    monkeypatch.setattr(dashboard_cache, "_missed", set())


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory):
    """A private Dovecot IMAP server for the session (inbox.dovecot): free loopback ports,
    throw-away accounts and mail, a self-signed certificate; stopped and removed at the end."""
    try:
        with running(tmp_path_factory.mktemp("dovecot")) as server:
            yield server
    except DovecotUnavailable as error:
        need(False, str(error))


@pytest.fixture
def account(dovecot: Dovecot) -> Account:
    """A fresh, empty mailbox on the private Dovecot."""
    return dovecot.new_account()


@pytest.fixture
def trust_dovecot(settings, dovecot):
    """The sync trusts the private Dovecot's self-signed certificate, and gives up quickly."""
    settings.MAIL_CA_FILE = str(dovecot.ca_file)
    settings.MAIL_TIMEOUT = 5
