"""Send the outbox: claim a due row with a conditional UPDATE, send it, mark it sent; repeat.

A claim moves one row from "queued" (and due) to "sending" in an UPDATE whose WHERE repeats the
condition it selected it on, stamping it with a fresh token and the time; the row carrying the
token is this run's and nobody else's (on PostgreSQL a concurrent claim re-checks the condition
on the row it waited for, finds it no longer claimable, and looks for the next). A row left in
"sending" longer than LEASE was claimed by a worker that died: the next run claims it again.
Claiming one row at a time (two queries per email) means a worker killed mid-run delays one
email by the lease, never the rest of a batch. Sending is at least once: a worker killed after
the SMTP server accepted a message and before it was marked sent resends it after the lease,
with the same Message-ID. Everything else is exactly once.

A failed send pushes the row's deadline forward with exponential backoff, and the run moves on:
a row that cannot even become a message (or be read) fails alone, and only an interruption
(KeyboardInterrupt, SystemExit) ends the run. A freelancer's email is paused after
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

from clients.isolation import log_failure
from engagements import dashboard_cache
from engagements.models import EmailStatus, OutboundEmail

log = logging.getLogger(__name__)

Status = OutboundEmail.Status
RUN_BUDGET = timedelta(minutes=3)  # a run stops claiming after this: well inside LEASE
MAX_FAILURES = 10  # consecutive failed sends for one freelancer, then their email pauses
MAX_ATTEMPTS = 10  # a row that failed this often is given up on
FIRST_RETRY, LAST_RETRY = timedelta(minutes=5), timedelta(hours=6)
# Errors about one message or the mail server: recorded, and the run goes on with the next row.
# Anything else (a row that cannot become a message) fails that row too, without closing the
# connection.
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
        dashboard_cache.changed(owner_id, dashboard_cache.SETTINGS)
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
        dashboard_cache.changed(owner_id, dashboard_cache.SETTINGS)
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


def claim(now: datetime) -> uuid.UUID | None:
    """Claim the next due row (the longest overdue, of a freelancer whose email is not paused):
    its claim token, or None when nothing is due. One row at a time, so a sender that dies holds
    one email for the lease, not a batch."""
    paused = EmailStatus.objects.filter(paused_at__isnull=False).values("owner_id")
    candidates = (
        OutboundEmail.objects.claimable(now)
        .exclude(owner_id__in=paused)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)
    )
    token = uuid.uuid4()
    while (pk := candidates.first()) is not None:
        # Conditional on the row still being claimable: of two senders, one gets it, and the
        # other looks for the next.
        if (
            OutboundEmail.objects.claimable(now)
            .filter(pk=pk)
            .update(
                status=Status.SENDING,
                claim_token=token,
                claimed_at=now,
                attempts=F("attempts") + 1,
            )
        ):
            return token
    return None


def send_due(now: datetime | None = None, *, connection=None) -> SendOutcome:
    """Expire stale rows, then claim and send due ones, one at a time, until none is left or
    RUN_BUDGET is spent. A row that fails (to send, or even to be read) is recorded and the run
    goes on with the next.

    `now` fixes the clock (tests, and one consistent moment for a run); by default each step
    reads the time afresh.
    """

    def clock() -> datetime:
        return now or timezone.now()

    outcome = SendOutcome(expired=expire(clock()))
    connection = connection or get_connection()
    started = time.monotonic()
    try:
        while time.monotonic() - started < RUN_BUDGET.total_seconds():
            token = claim(clock())
            if token is None:
                break
            try:
                row = OutboundEmail.objects.get(claim_token=token)
            except Exception as error:  # a value Python cannot load, written around validation
                _unreadable(token, error, outcome)
                continue
            _send(row, token, connection, outcome, clock)
    finally:
        with suppress(Exception):
            connection.close()
    return outcome


def _send(row: OutboundEmail, token: uuid.UUID, connection, outcome: SendOutcome, clock) -> None:
    try:
        connection.open()  # a no-op while the connection is open
        if connection.send_messages([row.message(connection)]) != 1:
            raise smtplib.SMTPException("the email backend did not send the message")
    except Exception as e:  # about this message or the mail server: the run goes on
        if isinstance(e, SEND_ERRORS):
            with suppress(Exception):
                connection.close()  # the next row opens a fresh one
        _failed(row, token, e, clock(), outcome)
    except BaseException as e:
        _failed(row, token, e, clock(), outcome)  # the deadline moves on before re-raising
        raise
    else:
        _sent(row, token, clock(), outcome)


def _unreadable(token: uuid.UUID, error: Exception, outcome: SendOutcome) -> None:
    """Give up on a claimed row that cannot even be loaded; the others are sent."""
    rows = OutboundEmail.objects.filter(claim_token=token, status=Status.SENDING)
    pk, owner_id = rows.values_list("pk", "owner_id").get()
    rows.update(
        status=Status.FAILED,
        claim_token=None,
        last_error=f"{type(error).__name__}: the row could not be read",
    )
    log_failure("send emails", f"email {pk} of freelancer", owner_id, error)
    outcome.failed += 1
    outcome.gave_up += 1


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
