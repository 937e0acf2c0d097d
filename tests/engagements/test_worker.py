"""A real Celery worker against Redis and the PostgreSQL test database.

The worker is a separate process (`celery -A config worker --pool solo`), so it sees only what
the test has committed: these tests use a transactional database. It consumes a queue of its
own, with a node name of its own, so stale messages from other runs or a developer's worker on
the same Redis cannot reach it, and it cannot take ours.

The worker evaluates with the real clock, so the data is placed relative to now: every inbound
message is at 03:00 Berlin time yesterday, out of hours whatever the day.
"""

import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest
import redis
from django.db import connection, transaction
from django.utils import timezone

from config.celery import app as celery_app
from engagements.models import Expectation, Flag, Interaction, Rule
from engagements.services import log_interaction
from engagements.tasks import evaluate_user
from tests.factories import ClientFactory, EngagementFactory, ExpectationFactory, InteractionFactory

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

PROJECT = Path(__file__).resolve().parents[2]
BERLIN = ZoneInfo("Europe/Berlin")
START_TIMEOUT = 30  # seconds for the worker to answer a ping
TASK_TIMEOUT = 30  # seconds for a task's effect to show


def worker_database_url() -> str:
    """A postgres:// URL for the database this test session really uses (test_…)."""
    s = connection.settings_dict
    user = quote(s["USER"] or "", safe="")
    password = f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else ""
    port = f":{s['PORT']}" if s["PORT"] else ""
    query = f"?{urlencode(s['OPTIONS'])}" if s.get("OPTIONS") else ""
    name = quote(s["NAME"], safe="")
    return f"postgres://{user}{password}@{s['HOST'] or ''}{port}/{name}{query}"


def use_broker(**conf) -> dict:
    """Point this process's Celery app at `conf` (broker_url, task_default_queue…); returns the
    values it replaced, to put back the same way."""
    saved = {name: celery_app.conf[name] for name in conf}
    celery_app.conf.update(conf)
    # Celery caches its broker connection pools on first use; drop them so the next send
    # connects to whatever conf.broker_url says now.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    return saved


class Worker:
    """One worker process for the module, started on first use (once the database is known to
    be PostgreSQL) and stopped when the module's tests are done."""

    def __init__(self, redis_url: str, directory: Path):
        run = f"rapport-test-{uuid.uuid4().hex[:12]}"
        self.redis_url, self.queue, self.node = redis_url, run, f"{run}@localhost"
        self.log, self.var = directory / "worker.log", directory / "var"
        self.process = None
        self._replaced = {}  # this process's Celery settings, put back by stop()
        self._seen = 0

    def start_once(self):
        if self.process is not None:
            return
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CELERY_")},
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": self.redis_url,
            "DEBUG": "1",
            "VAR_DIR": str(self.var),
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "celery", "-A", "config", "worker",
                    "--pool", "solo", "--concurrency", "1", "--loglevel", "INFO",
                    "-Q", self.queue, "-n", self.node,
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                ],
                cwd=PROJECT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        # This process sends to the worker's queue, for real (never eagerly).
        self._replaced = use_broker(
            broker_url=self.redis_url, task_default_queue=self.queue, task_always_eager=False
        )
        self.wait_until_ready()

    def new_test(self):
        """Start a fresh page of the log: output() shows only what happened since."""
        self._seen = len(self.log.read_text(errors="replace"))

    def output(self) -> str:
        return self.log.read_text(errors="replace")[self._seen :]

    def wait_until_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"The worker exited ({self.process.returncode}):\n{self.output()}")
            if celery_app.control.ping(destination=[self.node], timeout=0.5):
                return
        pytest.fail(f"The worker did not answer a ping in {START_TIMEOUT} s:\n{self.output()}")

    def wait_for_success(self, *task_ids):
        deadline = time.monotonic() + TASK_TIMEOUT
        pending = set(task_ids)
        while pending and time.monotonic() < deadline:
            log = self.output()
            pending = {t for t in pending if f"[{t}] succeeded" not in log}
            time.sleep(0.1)
        assert not pending, f"Tasks {pending} did not succeed:\n{self.output()}"

    def stop(self):
        if self.process is None:
            return
        use_broker(**self._replaced)
        if self.process.poll() is None:
            self.process.terminate()  # warm shutdown
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        # The queue and its bindings are ours alone: leave nothing behind in Redis.
        r = redis.Redis.from_url(self.redis_url)
        for key in r.scan_iter(match=f"*{self.queue}*"):
            r.delete(key)


@pytest.fixture(scope="module")
def worker_process(redis_url, tmp_path_factory):
    w = Worker(redis_url, tmp_path_factory.mktemp("worker"))
    try:
        yield w
    finally:
        w.stop()


@pytest.fixture
def worker(worker_process, postgres, transactional_db):
    """The module's Celery worker, on a queue of its own, reading the PostgreSQL test database.

    Committed rows only: the test database is transactional here (flushed after each test).
    """
    worker_process.start_once()
    worker_process.new_test()
    celery_app.conf.task_always_eager = False  # conftest's celery_eager puts it back afterwards
    return worker_process


def wait_for(query, timeout=TASK_TIMEOUT):
    """Poll the database until `query` (a queryset) has rows; return them."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(query.all())  # .all(): a fresh query each time, not the cached result
        if rows:
            return rows
        time.sleep(0.2)
    return []


def yesterday_at_three_in_berlin() -> datetime:
    """Out of hours (Mon–Fri 09–17 Berlin) whatever today is, and in the past."""
    yesterday = timezone.now().astimezone(BERLIN).date() - timedelta(days=1)
    return datetime.combine(yesterday, clock(3), tzinfo=BERLIN)


# --- logging an interaction ------------------------------------------------------------------


def test_logging_an_out_of_hours_inbound_raises_its_flag_through_the_worker(worker, profile):
    acme = ClientFactory(owner=profile.user, name="Acme")

    with transaction.atomic():
        message = log_interaction(
            client=acme,
            direction=Interaction.Direction.INBOUND,
            channel="email",
            occurred_at=yesterday_at_three_in_berlin(),
            summary="Quick question at 3 am",
        )
        # Nothing is sent until the transaction commits: the worker could not see the row.
        assert not Flag.objects.exists()

    flags = wait_for(Flag.objects.filter(owner=profile.user))
    assert [(f.rule, f.subject, f.severity, f.state) for f in flags] == [
        (Rule.OUT_OF_HOURS, f"interaction:{message.pk}", "info", Flag.State.OPEN)
    ], worker.output()
    assert "engagements.tasks.evaluate_user" in worker.output()


def test_a_rolled_back_interaction_sends_nothing_to_the_worker(worker, profile):
    acme = ClientFactory(owner=profile.user, name="Acme")

    with pytest.raises(RuntimeError), transaction.atomic():
        log_interaction(
            client=acme,
            direction=Interaction.Direction.INBOUND,
            occurred_at=yesterday_at_three_in_berlin(),
        )
        raise RuntimeError("the request failed after logging")

    # A pass that does get through proves the worker is listening; the rolled-back one never came.
    result = evaluate_user.apply_async((profile.user_id,), queue=worker.queue)
    worker.wait_for_success(result.id)
    assert worker.output().count("engagements.tasks.evaluate_user[") == 2  # received + succeeded
    assert not Flag.objects.exists()
    assert not Interaction.objects.exists()


# --- running twice ---------------------------------------------------------------------------


@pytest.fixture
def troubled_client(profile):
    """A client whose data raises seven flags of six rules, all decided by dates, not hours."""
    at_three = yesterday_at_three_in_berlin()
    acme = ClientFactory(owner=profile.user, name="Acme")
    engagement = EngagementFactory(
        client=acme, start=timezone.localdate() - timedelta(days=30)
    )  # active, never an update: update owed (breach)
    ExpectationFactory(
        engagement=engagement,
        title="Design review",
        due=timezone.localdate() - timedelta(days=10),
        created_at=timezone.now() - timedelta(days=20),
    )  # mine, overdue (deadline) and never confirmed in writing (undocumented)
    InteractionFactory(client=acme, occurred_at=at_three)  # out of hours
    InteractionFactory(
        client=acme,
        occurred_at=at_three + timedelta(minutes=10),
        channel="phone",
        tone=Interaction.Tone.HOSTILE,
    )  # out of hours, off channel, disrespect
    return acme


def flag_keys(user):
    return Counter(Flag.objects.filter(owner=user).values_list("rule", "subject"))


def test_two_passes_through_the_worker_leave_exactly_one_flag_per_condition(
    worker, profile, troubled_client
):
    first = evaluate_user.apply_async((profile.user_id,), queue=worker.queue)
    second = evaluate_user.apply_async((profile.user_id,), queue=worker.queue)
    worker.wait_for_success(first.id, second.id)

    expectation = Expectation.objects.get()
    messages = list(Interaction.objects.order_by("occurred_at").values_list("pk", flat=True))
    c = troubled_client.pk
    assert flag_keys(profile.user) == {
        (Rule.UPDATE_OWED, f"client:{c}"): 1,
        (Rule.DEADLINE, f"expectation:{expectation.pk}"): 1,
        (Rule.UNDOCUMENTED, f"expectation:{expectation.pk}"): 1,
        (Rule.OUT_OF_HOURS, f"interaction:{messages[0]}"): 1,
        (Rule.OUT_OF_HOURS, f"interaction:{messages[1]}"): 1,
        (Rule.OFF_CHANNEL, f"interaction:{messages[1]}"): 1,
        (Rule.DISRESPECT, f"client:{c}"): 1,
    }, worker.output()
    assert set(Flag.objects.values_list("state", flat=True)) == {Flag.State.OPEN}
    # The second pass found everything already raised and rewrote nothing.
    assert all(f.last_seen_at == f.opened_at for f in Flag.objects.all())
