"""Celery tasks: thin shells around the sync and the matching of kept messages."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ParamSpec, Protocol, TypeVar, cast

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from inbox import pipeline, sync

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R", covariant=True)


class Task(Protocol[P, R]):
    """What a Celery task offers the code that queues it."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R: ...
    def delay(self, *args: P.args, **kwargs: P.kwargs) -> Any: ...
    def apply_async(self, args: tuple[Any, ...], **options: Any) -> Any: ...


def task(**options: Any) -> Callable[[Callable[P, R]], Task[P, R]]:
    """Celery's shared_task, typed (Celery ships no type hints)."""
    return cast(Callable[[Callable[P, R]], Task[P, R]], shared_task(**options))


#: A run stops between batches after this many seconds (well inside Celery's soft time limit)
#: and the next beat carries on from its cursor.
RUN_BUDGET = 180.0


@task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def sync_one_mailbox(mailbox_id: int) -> str:
    """One run of one mailbox (returns quietly when it is gone, a demo or already running)."""
    return str(sync.sync_mailbox(mailbox_id, budget=RUN_BUDGET))


@task()
def sync_due_mailboxes() -> int:
    """Beat entry: queue one run per due mailbox, each expiring before the next beat."""
    expires = (
        settings.CELERY_BEAT_SCHEDULE.get("sync-mail", {}).get("options", {}).get("expires", 240)
    )
    ids = list(sync.due(timezone.now()).values_list("pk", flat=True))
    for mailbox_id in ids:
        sync_one_mailbox.apply_async((mailbox_id,), expires=expires)
    return len(ids)


@task(autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def log_known_messages(owner_id: int) -> int:
    """After a contact or a client's domains changed: log the kept messages now known."""
    return pipeline.log_known(owner_id)
