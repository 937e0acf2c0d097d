"""The beat schedule: what runs when, that the worker knows the task, and that the environment
can change or disable it (checked by starting settings in a fresh interpreter, as a real start
would)."""

import json
import subprocess
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from celery.schedules import crontab
from celery.signals import task_prerun
from django.conf import settings as django_settings

from clients.models import Client
from config.celery import app as celery_app
from engagements.models import Flag, Rule
from engagements.tasks import evaluate_due, evaluate_everyone
from tests import fresh_start
from tests.factories import ClientFactory, InteractionFactory, UserFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 6, 8, 12, 0, tzinfo=BERLIN)  # Monday noon
SATURDAY = date(2026, 6, 6)
FIVE_MINUTES = timedelta(minutes=5)


def shortest_interval(schedule: crontab) -> timedelta:
    """The shortest gap between two runs of `schedule`, over a week of minutes."""
    start = datetime(2026, 6, 1)  # a Monday
    runs = [
        t
        for t in (start + timedelta(minutes=m) for m in range(2 * 7 * 24 * 60))
        if t.minute in schedule.minute
        and t.hour in schedule.hour
        and t.isoweekday() % 7 in schedule.day_of_week  # crontab: 0 = Sunday
        and t.day in schedule.day_of_month
        and t.month in schedule.month_of_year
    ]
    return min(b - a for a, b in zip(runs, runs[1:], strict=False))


BEAT = (
    "import json, django; django.setup(); from django.conf import settings; "
    "print(json.dumps({name: {'task': e['task'], 'minute': sorted(e['schedule'].minute), "
    "'hour': sorted(e['schedule'].hour), 'expires': e['options']['expires']} "
    "for name, e in settings.CELERY_BEAT_SCHEDULE.items()}))"
)


def start(tmp_path, code=BEAT, **env) -> subprocess.CompletedProcess:
    return fresh_start.start(tmp_path, code, **env)


def beat_schedule(tmp_path, **env) -> dict:
    result = start(tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(result) -> str:
    """The message of a start that failed with ImproperlyConfigured."""
    assert result.returncode != 0, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured: "), result.stderr
    return last.removeprefix("django.core.exceptions.ImproperlyConfigured: ")


# --- the schedule --------------------------------------------------------------------------


def test_evaluate_flags_runs_evaluate_due_every_five_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["evaluate-flags"]
    assert entry["task"] == "engagements.tasks.evaluate_due"
    assert entry["schedule"] == crontab(minute="*/5")
    assert shortest_interval(entry["schedule"]) == FIVE_MINUTES


def test_a_full_pass_runs_every_night():
    entry = django_settings.CELERY_BEAT_SCHEDULE["evaluate-flags-full"]
    assert entry["task"] == "engagements.tasks.evaluate_everyone"
    assert entry["schedule"] == crontab(minute=17, hour=3)


def test_evaluate_flags_expires_before_the_next_run_is_due():
    entry = django_settings.CELERY_BEAT_SCHEDULE["evaluate-flags"]
    assert 0 < entry["options"]["expires"] < FIVE_MINUTES.total_seconds()


def test_every_beat_entry_expires_sooner_than_it_repeats():
    for name, entry in django_settings.CELERY_BEAT_SCHEDULE.items():
        interval = shortest_interval(entry["schedule"]).total_seconds()
        assert 0 < entry["options"]["expires"] < interval, name


def test_the_celery_app_takes_its_schedule_from_the_settings():
    assert celery_app.conf.beat_schedule == django_settings.CELERY_BEAT_SCHEDULE


def test_every_beat_task_is_registered_when_a_worker_starts(tmp_path):
    # In a fresh interpreter: here the test modules have already imported engagements.tasks,
    # which would hide a task that the worker's autodiscovery does not find.
    result = start(
        tmp_path,
        "import django; django.setup(); from django.conf import settings; "
        "from config.celery import app; app.loader.import_default_modules(); "
        "print(*sorted(e['task'] for e in settings.CELERY_BEAT_SCHEDULE.values() "
        "if e['task'] in app.tasks), sep='\\n')",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "engagements.tasks.evaluate_due",
        "engagements.tasks.evaluate_everyone",
        "engagements.tasks.send_due_emails",
        "engagements.tasks.take_weekly_snapshots",
        "inbox.tasks.sync_due_mailboxes",
        "integrations.tasks.deliver_webhooks",
    ]


# --- the schedule from the environment -------------------------------------------------------


def test_by_default_health_snapshots_are_looked_for_every_hour(tmp_path):
    entry = beat_schedule(tmp_path)["weekly-snapshots"]
    assert (entry["task"], entry["minute"], entry["hour"]) == (
        "engagements.tasks.take_weekly_snapshots",
        [2],
        list(range(24)),
    )
    assert entry["expires"] < 3600


def test_by_default_a_fresh_start_schedules_evaluate_flags_every_five_minutes(tmp_path):
    others_off = {
        "EVALUATE_FLAGS_FULL_CRON",
        "HEALTH_SNAPSHOT_CRON",
        "SEND_EMAILS_CRON",
        "DELIVER_WEBHOOKS_CRON",
        "MAIL_SYNC_CRON",
    }
    assert beat_schedule(tmp_path, **dict.fromkeys(others_off, "disable")) == {
        "evaluate-flags": {
            "task": "engagements.tasks.evaluate_due",
            "minute": list(range(0, 60, 5)),
            "hour": list(range(24)),
            "expires": django_settings.CELERY_BEAT_SCHEDULE["evaluate-flags"]["options"]["expires"],
        }
    }


@pytest.mark.parametrize("value", ["disable", "DISABLE", " disable "])
def test_evaluate_flags_cron_disable_removes_the_entry(tmp_path, value):
    assert "evaluate-flags" not in beat_schedule(tmp_path, EVALUATE_FLAGS_CRON=value)


def test_evaluate_flags_cron_sets_another_schedule(tmp_path):
    entry = beat_schedule(tmp_path, EVALUATE_FLAGS_CRON="*/15 8-18 * * *")["evaluate-flags"]
    assert (entry["minute"], entry["hour"]) == ([0, 15, 30, 45], list(range(8, 19)))


@pytest.mark.parametrize(
    "value", ["every five minutes", "*/5 * * *", "*/5 * * * * *", "61 * * * *", "*/5 25 * * *"]
)
def test_a_malformed_evaluate_flags_cron_fails_start_up_naming_the_variable(tmp_path, value):
    message = refused(start(tmp_path, EVALUATE_FLAGS_CRON=value))
    assert message.startswith(f"EVALUATE_FLAGS_CRON={value!r} is not a cron schedule")


def test_by_default_webhooks_are_delivered_every_minute_and_can_be_disabled(tmp_path):
    entry = beat_schedule(tmp_path)["deliver-webhooks"]
    assert (entry["task"], entry["minute"], entry["hour"]) == (
        "integrations.tasks.deliver_webhooks",
        list(range(60)),
        list(range(24)),
    )
    assert "deliver-webhooks" not in beat_schedule(tmp_path, DELIVER_WEBHOOKS_CRON="disable")


def test_a_schedule_every_minute_expires_within_the_minute(tmp_path):
    entry = beat_schedule(tmp_path, EVALUATE_FLAGS_CRON="* * * * *")["evaluate-flags"]
    assert entry["expires"] < 60


# --- evaluate_due and evaluate_everyone ------------------------------------------------------


@pytest.fixture
def freelancers(profile):
    """Alice (Berlin), Bob and Carol (UTC): each has a client who wrote on Saturday, logged on
    Sunday."""
    users = [profile.user, UserFactory(username="bob"), UserFactory(username="carol")]
    for user in users:
        with time_machine.travel(NOW - timedelta(days=3), tick=False):
            client = ClientFactory(owner=user)
        with time_machine.travel(NOW - timedelta(days=1), tick=False):
            InteractionFactory(
                client=client, occurred_at=datetime.combine(SATURDAY, clock(10), BERLIN)
            )
    UserFactory(username="dave")  # not a freelancer: no profile, no clients
    return users


@pytest.fixture
def eager(monkeypatch):
    """Tasks run in this process as they are queued."""
    monkeypatch.setitem(celery_app.conf, "task_always_eager", True)
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", True)


@pytest.fixture
def tasks_run():
    """(task name, args) of every task that starts while the test runs."""
    seen = []

    def record(sender, task, args, **kwargs):
        seen.append((task.name, tuple(args)))

    task_prerun.connect(record, weak=False)
    yield seen
    task_prerun.disconnect(record)


def test_evaluate_due_runs_one_pass_per_freelancer_over_their_clients_due(
    freelancers, eager, tasks_run
):
    with time_machine.travel(NOW, tick=False):
        queued = evaluate_due.delay().get()

    assert queued == 3
    assert sorted(tasks_run) == sorted(
        [("engagements.tasks.evaluate_due", ())]
        + [
            ("engagements.tasks.evaluate_user", (user.pk, [client.pk]))
            for user in freelancers
            for client in Client.objects.filter(owner=user)
        ]
    )
    for user in freelancers:
        assert list(Flag.objects.filter(owner=user).values_list("rule", flat=True)) == [
            Rule.OUT_OF_HOURS
        ], user.username


def test_the_next_beat_with_nothing_new_and_nothing_due_queues_nothing(
    freelancers, eager, tasks_run
):
    with time_machine.travel(NOW, tick=False):
        evaluate_due.delay().get()
    with time_machine.travel(NOW + FIVE_MINUTES, tick=False):
        assert evaluate_due.delay().get() == 0


def test_the_nightly_pass_evaluates_every_freelancer_in_full(freelancers, eager, tasks_run):
    with time_machine.travel(NOW, tick=False):
        evaluate_due.delay().get()
        assert evaluate_everyone.delay().get() == 3

    assert sorted(name for name, _ in tasks_run if name != "engagements.tasks.evaluate_user") == [
        "engagements.tasks.evaluate_due",
        "engagements.tasks.evaluate_everyone",
        *["engagements.tasks.evaluate_fully"] * 3,
    ]
    assert Flag.objects.count() == 3  # nothing to correct


def test_the_nightly_pass_logs_the_flags_it_had_to_correct(freelancers, eager, caplog):
    # A hand edit of the database the due passes know nothing about.
    with time_machine.travel(NOW, tick=False):
        evaluate_due.delay().get()
        Flag.objects.filter(owner=freelancers[0]).delete()
        evaluate_everyone.delay().get()

    assert Flag.objects.count() == 3
    assert [r.getMessage() for r in caplog.records if "corrected" in r.getMessage()] == [
        f"user {freelancers[0].pk}: the full pass corrected 1 flags (raised "
        "{'out_of_hours': 1}, resolved {}, changed 0, reopened 0) that the due passes had missed"
    ]


def test_evaluate_due_with_no_freelancers_queues_nothing(db, eager, tasks_run):
    assert evaluate_due.delay().get() == 0
    assert [name for name, _ in tasks_run] == ["engagements.tasks.evaluate_due"]


@pytest.fixture
def queue(redis_url, monkeypatch):
    """A Redis queue of our own that this process's tasks go to; emptied and removed after."""
    name = f"rapport-test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setitem(celery_app.conf, "broker_url", redis_url)
    monkeypatch.setitem(celery_app.conf, "task_default_queue", name)
    monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
    # Celery caches its broker connection pools on first use: forget them, before and after.
    for obj, attr in ((celery_app, "_pool"), (celery_app.amqp, "_producer_pool")):
        monkeypatch.setattr(obj, attr, None)
    yield name
    r = redis.Redis.from_url(redis_url)
    for key in r.scan_iter(match=f"*{name}*"):
        r.delete(key)


def queued_messages(name):
    """Take every message off the queue `name`."""
    messages = []
    with celery_app.connection_for_read() as conn, conn.SimpleQueue(name) as q:
        while True:
            try:
                message = q.get(timeout=0.5)
            except q.Empty:
                return messages
            message.ack()
            messages.append(message)


@pytest.mark.services
def test_evaluate_due_queues_passes_that_expire_before_the_next_beat(freelancers, queue):
    sent_at = datetime.now(tz=BERLIN)
    assert evaluate_due() == 3  # called as the beat's worker would, queueing for real

    messages = queued_messages(queue)
    assert sorted(m.headers["task"] for m in messages) == ["engagements.tasks.evaluate_user"] * 3
    assert sorted(m.payload[0][0] for m in messages) == sorted(u.pk for u in freelancers)
    for m in messages:
        expires = datetime.fromisoformat(m.headers["expires"])
        assert sent_at < expires < sent_at + FIVE_MINUTES
