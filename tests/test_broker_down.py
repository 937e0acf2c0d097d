"""A write never fails because Redis does: with the broker (and cache) killed, or hung with
SIGSTOP, a write that committed answers success within a couple of seconds, the row is there,
and the next beat pass raises the flag the worker could not.

Each test starts a Redis of its own on a free port (no disk), points Celery's broker and the
cache at it with the production timeouts, and breaks it; the shared Redis is never touched.
"""

import os
import shutil
import signal
import subprocess
import time
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from django.conf import settings as django_settings
from django.core.cache import cache

from config.celery import app as celery_app
from engagements.evaluation import evaluate
from engagements.models import Expectation, Flag, Interaction, Party, Rule
from tests.conftest import need
from tests.engagements.email_helpers import free_port
from tests.engagements.test_worker import use_broker
from tests.factories import ClientFactory, EngagementFactory

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY_NIGHT = datetime(2026, 11, 24, 22, 5, tzinfo=BERLIN)
HUNG_REQUEST = 15  # seconds after which a request counts as hung (it would wait for ever)


@pytest.fixture
def private_redis():
    """A throw-away redis-server on a free port: (url, process). Killed at teardown, after a
    SIGCONT in case the test stopped it."""
    need(shutil.which("redis-server") is not None, "needs redis-server (apt-get install redis)")
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url, process
    finally:
        process.send_signal(signal.SIGCONT)
        process.kill()
        process.wait()


@pytest.fixture
def broken_redis(private_redis, settings, request):
    """The broker and the cache on the private Redis, as in production (REDIS_URL set); then
    Redis is killed or stopped (the test's parameter)."""
    url, process = private_redis
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": django_settings.REDIS_TIMEOUTS,
        }
    }
    saved = use_broker(
        broker_url=url,
        task_always_eager=False,
        broker_connection_timeout=django_settings.CELERY_BROKER_CONNECTION_TIMEOUT,
        broker_transport_options=django_settings.REDIS_TIMEOUTS,
        task_publish_retry=False,
    )
    cache.set("warm", 1)  # connections open before Redis breaks, as on a live server
    celery_app.send_task("rapport.warm-up", queue=f"rapport-test-{os.getpid()}")
    if request.param == "killed":
        process.kill()
        process.wait()
    else:
        process.send_signal(signal.SIGSTOP)
    yield request.param
    use_broker(**saved)


@contextmanager
def at_most(seconds: int):
    """Fail the test, rather than hang the suite, if the block takes longer than `seconds`."""

    def hung(signum, frame):
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def acme(profile):
    """Alice's client, with an active engagement."""
    with time_machine.travel(datetime(2026, 11, 2, 9, tzinfo=BERLIN), tick=False):
        client = ClientFactory(owner=profile.user, name="Acme")
        return client, EngagementFactory(client=client, title="Launch")


@pytest.fixture
def post(web, django_capture_on_commit_callbacks):
    """POST as Alice, its on-commit work (queueing the evaluation) run as after a real commit;
    the whole of it must end within HUNG_REQUEST seconds."""

    def post(url: str, data: dict):
        with (
            at_most(HUNG_REQUEST),
            time_machine.travel(TUESDAY_NIGHT, tick=False),
            django_capture_on_commit_callbacks(execute=True) as callbacks,
        ):
            response = web.post(url, data)
        assert callbacks, "the write queued no evaluation"
        return response

    return post


@pytest.mark.services
@pytest.mark.parametrize("broken_redis", ["killed", "stopped"], indirect=True)
def test_a_logged_message_is_saved_and_answered_with_redis_broken(post, acme, broken_redis):
    client, _ = acme
    response = post(
        "/interactions/new/",
        {
            "client": client.pk,
            "direction": Interaction.Direction.INBOUND,
            "channel": "email",
            "occurred_at": "2026-11-24T22:00",
            "summary": "Can we talk tonight?",
            "kind": Interaction.Kind.REQUEST,
            "tone": Interaction.Tone.NEUTRAL,
        },
    )

    assert (response.status_code, response.url) == (302, "/")
    assert Interaction.objects.filter(client=client, summary="Can we talk tonight?").exists()
    assert Flag.objects.filter(client=client, rule=Rule.OUT_OF_HOURS).exists()  # at once


@pytest.mark.services
@pytest.mark.parametrize("broken_redis", ["killed", "stopped"], indirect=True)
def test_a_deadline_saved_with_redis_broken_is_flagged_by_the_next_pass(post, acme, broken_redis):
    client, engagement = acme
    response = post(
        f"/clients/engagements/{engagement.pk}/expectations/new/",
        {
            "title": "Mock-ups",
            "kind": Expectation.Kind.DELIVERABLE,
            "owed_by": Party.FREELANCER,
            "due": "2026-11-23",
            "status": Expectation.Status.IN_PROGRESS,
        },
    )

    assert (response.status_code, response.url) == (
        302,
        f"/clients/{client.pk}/#engagement-{engagement.pk}",
    )
    assert Expectation.objects.filter(engagement=engagement, title="Mock-ups").exists()
    assert not Flag.objects.filter(client=client, rule=Rule.DEADLINE).exists()  # not queued

    evaluate(client.owner_id, now=TUESDAY_NIGHT)  # the beat's next pass

    assert Flag.objects.filter(client=client, rule=Rule.DEADLINE).exists()


@pytest.mark.services
@pytest.mark.parametrize("broken_redis", ["killed", "stopped"], indirect=True)
def test_settings_are_saved_with_redis_broken(post, profile, broken_redis):
    response = post(
        "/settings/thresholds/",
        {
            "reply_warning_percent": "50",
            "boundary_pattern_count": "3",
            "boundary_pattern_days": "14",
            "disrespect_breach_count": "2",
            "disrespect_window_days": "30",
            "deadline_risk_days": "1",
            "undocumented_after_days": "1",
            "walk_away_score": "40",
            "walk_away_weeks": "3",
        },
    )

    assert (response.status_code, response.url) == (302, "/settings/thresholds/")
    profile.refresh_from_db()
    assert profile.reply_warning_percent == 50
