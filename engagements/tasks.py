"""Celery tasks: thin shells that take ids and call the evaluation pass."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from clients.models import FreelancerProfile
from engagements import emails, evaluation, snapshots

log = logging.getLogger(__name__)


@shared_task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def evaluate_user(user_id: int, client_ids: list[int] | None = None) -> None:
    """One evaluation pass for one freelancer (or some of their clients)."""
    outcome = evaluation.evaluate(user_id, client_ids=client_ids)
    if outcome.rows_written:
        log.info(
            "user %s: raised %s, resolved %s", user_id, dict(outcome.raised), dict(outcome.resolved)
        )


@shared_task
def evaluate_everyone() -> int:
    """Beat entry: queue one pass per freelancer."""
    # A pass still queued when the next beat comes is superseded by that beat's.
    expires = (
        settings.CELERY_BEAT_SCHEDULE.get("evaluate-flags", {})
        .get("options", {})
        .get("expires", 240)
    )
    user_ids = list(FreelancerProfile.objects.values_list("user_id", flat=True))
    for user_id in user_ids:
        evaluate_user.apply_async((user_id,), expires=expires)
    return len(user_ids)


@shared_task
def take_weekly_snapshots() -> int:
    """Hourly beat entry: snapshot the clients of every freelancer whose week has begun."""
    now = timezone.now()
    return sum(
        snapshots.take_weekly_snapshot(user_id, now)
        for user_id in FreelancerProfile.objects.values_list("user_id", flat=True)
    )


@shared_task
def send_due_emails() -> str:
    """Beat entry (every 5 minutes): compose what has fallen due, then send the outbox."""
    run = emails.send_due_emails()
    if run.sending.sent or run.sending.failed:
        log.info("emails: %s", run)
    return str(run)
