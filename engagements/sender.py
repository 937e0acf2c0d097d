"""Send the outbox: claim due rows with a conditional UPDATE, send each, mark it sent.

A claim moves a batch of rows from "queued" (and due) to "sending" in one UPDATE whose WHERE
repeats the condition it selected them on, stamping them with this run's token and the time;
the rows carrying the token are this run's and nobody else's (on PostgreSQL a concurrent claim
re-checks the condition on the row it waited for, finds it no longer claimable, and skips it).
A row left in "sending" longer than LEASE was claimed by a worker that died: the next run
claims it again. Sending is therefore at least once: a worker killed after the SMTP server
accepted a message and before it was marked sent resends it after the lease, with the same
Message-ID. Everything else is exactly once.

A failed send pushes the row's deadline forward with exponential backoff before the run moves
on (or re-raises, for an error that is not about sending). A freelancer's email is paused after
MAX_FAILURES failed sends in a row; `email_paused(user)` says so and `resume_email(user)` undoes
it.
"""

import logging
import smtplib
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.mail import get_connection
from django.db.models import F
from django.utils import timezone

from engagements import dashboard_cache
from engagements.models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)

Status = OutboundEmail.Status
BATCH = 20
RUN_BUDGET = timedelta(minutes=3)  # a run stops claiming after this: well inside LEASE
MAX_FAILURES = 10  # consecutive failed sends for one freelancer, then their email pauses
MAX_ATTEMPTS = 10  # a row that failed this often is given up on
FIRST_RETRY, LAST_RETRY = timedelta(minutes=5), timedelta(hours=6)
# Errors about one message or the mail server: recorded, and the run goes on with the next row.
SEND_ERRORS = (smtplib.SMTPException, OSError, ValueError)


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: 5 min, 10, 20, … at most 6 h."""
    return min(FIRST_RETRY * 2 ** max(0, attempts - 1), LAST_RETRY)


@dataclass
class SendOutcome:
    sent: int = 0
    failed: int = 0
    gave_up: int = 0
    expired: int = 0
    paused: int = 0  # freelancers whose email this run paused
    lost: int = 0  # rows whose lease another run took over while this one was sending

    def __str__(self):
        return (
            f"{self.sent} sent, {self.failed} failed, {self.gave_up} given up, "
            f"{self.expired} expired, {self.paused} paused"
        )


# Pausing ------------------------------------------------------------------------------------


def email_paused(user) -> bool:
    """Whether the freelancer's email is paused after repeated failures (for the dashboard)."""
    return EmailStatus.objects.filter(
        owner_id=getattr(user, "pk", user), paused_at__isnull=False
    ).exists()


def resume_email(user, now=None) -> bool:
    """Unpause; emails that failed are retried at once. False if it was not paused."""
    now = now or timezone.now()
    owner_id = getattr(user, "pk", user)
    resumed = EmailStatus.objects.filter(owner_id=owner_id, paused_at__isnull=False).update(
        paused_at=None, consecutive_failures=0
    )
    if resumed:
        dashboard_cache.changed(owner_id)
        OutboundEmail.objects.filter(
            owner_id=owner_id, status=Status.QUEUED, attempts__gt=0, next_attempt_at__gt=now
        ).update(next_attempt_at=now)
    return bool(resumed)


def _record_failure(owner_id: int, error: str, now: datetime) -> bool:
    """Count one more failure in a row; True if that paused the freelancer's email."""
    EmailStatus.objects.bulk_create([EmailStatus(owner_id=owner_id)], ignore_conflicts=True)
    EmailStatus.objects.filter(owner_id=owner_id).update(
        consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now, last_error=error
    )
    paused = EmailStatus.objects.filter(
        owner_id=owner_id, paused_at__isnull=True, consecutive_failures__gte=MAX_FAILURES
    ).update(paused_at=now)
    if paused:
        dashboard_cache.changed(owner_id)
        log.warning("user %s: email paused after %s failed sends in a row", owner_id, MAX_FAILURES)
    return bool(paused)


# Claiming and sending ----------------------------------------------------------------------


def expire(now: datetime) -> int:
    """Rows past their expiry are not sent any more (a digest is stale by the evening)."""
    return (
        OutboundEmail.objects.claimable(now)
        .filter(expires_at__lte=now)
        .update(status=Status.EXPIRED, claim_token=None)
    )


def claim(now: datetime, limit: int = BATCH) -> tuple[uuid.UUID, list[OutboundEmail]]:
    """Claim up to `limit` due rows of freelancers whose email is not paused: (token, rows)."""
    token = uuid.uuid4()
    paused = EmailStatus.objects.filter(paused_at__isnull=False).values("owner_id")
    candidates = (
        OutboundEmail.objects.claimable(now)
        .exclude(owner_id__in=paused)
        .order_by("next_attempt_at", "pk")
        .values("pk")[:limit]
    )
    claimed = (
        OutboundEmail.objects.claimable(now)
        .filter(pk__in=candidates)
        .update(
            status=Status.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return token, []
    rows = OutboundEmail.objects.filter(claim_token=token, status=Status.SENDING)
    return token, list(rows.order_by("next_attempt_at", "pk"))


def release(token: uuid.UUID) -> int:
    """Give back rows still claimed by `token` (not tried: the run stopped first)."""
    return OutboundEmail.objects.filter(claim_token=token, status=Status.SENDING).update(
        status=Status.QUEUED, claim_token=None, claimed_at=None, attempts=F("attempts") - 1
    )


def send_due(now: datetime | None = None, *, batch: int = BATCH, connection=None) -> SendOutcome:
    """Expire stale rows, then claim and send due ones until none is left or RUN_BUDGET is spent.

    `now` fixes the clock (tests, and one consistent moment for a run); by default each step
    reads the time afresh.
    """

    def clock() -> datetime:
        return now or timezone.now()

    outcome = SendOutcome(expired=expire(clock()))
    connection = connection or get_connection()
    started = time.monotonic()

    def in_budget() -> bool:
        return time.monotonic() - started < RUN_BUDGET.total_seconds()

    try:
        while in_budget():
            token, rows = claim(clock(), batch)
            if not rows:
                break
            try:
                _send_batch(rows, token, connection, outcome, clock, in_budget)
            finally:
                release(token)
    finally:
        with suppress(Exception):
            connection.close()
    return outcome


def _send_batch(rows, token, connection, outcome: SendOutcome, clock, in_budget) -> None:
    paused = set()
    for row in rows:
        if row.owner_id in paused or not in_budget():
            continue  # released, untried, by the caller
        try:
            connection.open()  # a no-op while the connection is open
            if connection.send_messages([row.message(connection)]) != 1:
                raise smtplib.SMTPException("the email backend did not send the message")
        except SEND_ERRORS as e:
            with suppress(Exception):
                connection.close()  # the next row opens a fresh one
            if _failed(row, token, e, clock(), outcome):
                paused.add(row.owner_id)
            continue
        except BaseException as e:
            _failed(row, token, e, clock(), outcome)  # the deadline moves on before re-raising
            raise
        _sent(row, token, clock(), outcome)


def _sent(row: OutboundEmail, token: uuid.UUID, now: datetime, outcome: SendOutcome) -> None:
    done = OutboundEmail.objects.filter(pk=row.pk, claim_token=token, status=Status.SENDING).update(
        status=Status.SENT, sent_at=now, claim_token=None, last_error=""
    )
    if done:
        outcome.sent += 1
    else:
        outcome.lost += 1
        log.warning("email %s: sent, but its lease had passed to another run", row.pk)
    EmailStatus.objects.filter(owner_id=row.owner_id, consecutive_failures__gt=0).update(
        consecutive_failures=0
    )


def _failed(row, token, error: BaseException, now: datetime, outcome: SendOutcome) -> bool:
    """Push the row's deadline forward (or give up on it); True if its owner is now paused."""
    message = f"{type(error).__name__}: {error}"[:2000]
    log.warning(
        "email %s to user %s failed (attempt %s): %s", row.pk, row.owner_id, row.attempts, message
    )
    gave_up = row.attempts >= MAX_ATTEMPTS
    OutboundEmail.objects.filter(pk=row.pk, claim_token=token, status=Status.SENDING).update(
        status=Status.FAILED if gave_up else Status.QUEUED,
        next_attempt_at=now + backoff(row.attempts),
        claim_token=None,
        last_error=message,
    )
    outcome.failed += 1
    outcome.gave_up += gave_up
    paused = _record_failure(row.owner_id, message, now)
    outcome.paused += paused
    return paused
