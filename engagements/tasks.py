"""Celery tasks: thin shells that take ids and call the evaluation pass.

The beat entries work through every freelancer with clients.isolation: one freelancer's failure
is logged with their id and counted, and the others go on."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from clients.isolation import each_freelancer, everyone, log_failure
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
def evaluate_everyone() -> int:
    """Beat entry: queue one pass per freelancer (each its own task: one failing touches no
    other). Returns how many were queued."""
    # A pass still queued when the next beat comes is superseded by that beat's.
    expires = (
        settings.CELERY_BEAT_SCHEDULE.get("evaluate-flags", {})
        .get("options", {})
        .get("expires", 240)
    )
    tally = each_freelancer(
        "evaluate-flags",
        everyone(),
        lambda user_id: evaluate_user.apply_async((user_id,), expires=expires),
    )
    return len(tally.results)


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
