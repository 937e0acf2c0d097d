"""Celery tasks: thin shells that take ids and call the evaluation pass.

The beat entries work through every freelancer (or every one with a client due) with
clients.isolation: one freelancer's failure is logged with their id and counted, and the others
go on."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from clients.isolation import each_freelancer, everyone, log_failure
from engagements import due as duepass
from engagements import emails, evaluation, snapshots

log = logging.getLogger(__name__)


def _log_failed_pass(task, error, task_id, args, kwargs, einfo) -> None:
    """Celery's on_failure (once the retries are spent): the freelancer's id in the log."""
    log_failure(task.name, "freelancer", args[0], error)


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    on_failure=_log_failed_pass,
)
def evaluate_user(user_id: int, client_ids: list[int] | None = None) -> None:
    """One evaluation pass for one freelancer (or some of their clients)."""
    outcome = evaluation.evaluate(user_id, client_ids=client_ids)
    if outcome.rows_written:
        log.info(
            "user %s: raised %s, resolved %s", user_id, dict(outcome.raised), dict(outcome.resolved)
        )


@shared_task
def evaluate_due() -> int:
    """Beat entry (every 5 minutes): one indexed query finds the clients, across all freelancers,
    whose next moment has come or that were written to since their last evaluation
    (engagements/due.py); one pass per freelancer evaluates theirs, each its own task (one failing
    touches no other). Returns how many passes were queued."""
    expires = _expires("evaluate-flags")
    due = duepass.due_clients(timezone.now())
    tally = each_freelancer(
        "evaluate-flags",
        sorted(due),
        lambda user_id: evaluate_user.apply_async((user_id, due[user_id]), expires=expires),
    )
    return len(tally.results)


@shared_task
def evaluate_everyone() -> int:
    """Nightly beat entry: a full pass for every freelancer, whatever is due, to heal what a
    missed mark or a hand edit of the database left behind. Each pass logs the flags it had to
    correct, which should stay 0 (docs/decisions/0050-stored-next-moments.md)."""
    expires = _expires("evaluate-flags-full")
    tally = each_freelancer(
        "evaluate-flags-full",
        everyone(),
        lambda user_id: evaluate_fully.apply_async((user_id,), expires=expires),
    )
    return len(tally.results)


@shared_task(
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
    on_failure=_log_failed_pass,
)
def evaluate_fully(user_id: int) -> int:
    """A full pass for one freelancer; how many flags it corrected (logged when not 0)."""
    outcome = evaluation.evaluate(user_id)
    if outcome.rows_written:
        log.warning(
            "user %s: the full pass corrected %s flags (raised %s, resolved %s, changed %s, "
            "reopened %s) that the due passes had missed",
            user_id,
            outcome.rows_written,
            dict(outcome.raised),
            dict(outcome.resolved),
            outcome.changed,
            outcome.reopened,
        )
    return outcome.rows_written


def _expires(entry: str) -> int:
    """A pass still queued when the next beat comes is superseded by that beat's."""
    return settings.CELERY_BEAT_SCHEDULE.get(entry, {}).get("options", {}).get("expires", 240)


@shared_task
def take_weekly_snapshots() -> int:
    """Hourly beat entry: snapshot the clients of every freelancer whose week has begun."""
    now = timezone.now()
    tally = each_freelancer(
        "weekly-snapshots", everyone(), lambda user_id: snapshots.take_weekly_snapshot(user_id, now)
    )
    return sum(tally.results)


@shared_task
def send_due_emails() -> str:
    """Beat entry (every 5 minutes): compose what has fallen due, then send the outbox."""
    run = emails.send_due_emails()
    if run.sending.sent or run.sending.failed:
        log.info("emails: %s", run)
    return str(run)
