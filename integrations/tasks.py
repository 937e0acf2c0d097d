"""Celery tasks: thin shells around the webhook sender."""

import logging

from celery import shared_task

from integrations import webhooks

log = logging.getLogger(__name__)


@shared_task  # type: ignore[untyped-decorator]
def deliver_webhooks() -> str:
    """Beat entry (every minute by default): deliver what is due in the webhook outbox."""
    outcome = webhooks.deliver_due()
    if outcome.delivered or outcome.failed:
        log.info("webhooks: %s", outcome)
    return str(outcome)
