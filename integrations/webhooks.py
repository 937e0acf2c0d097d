"""Webhooks: events go into an outbox as they happen, and a sender delivers them, signed.

Queueing: the receivers of engagements.events (connected in IntegrationsConfig.ready) write one
WebhookDelivery per event and subscribed endpoint, in the transaction of the change itself, so an
event is queued if and only if its change commits (docs/decisions/0030).

Delivering follows engagements.sender: a run claims due rows with a conditional UPDATE that
stamps its token, POSTs each, and marks it delivered. A row left "sending" past LEASE belonged
to a worker that died and is claimed again, so delivery is at least once; the event id in the
body and in `X-Rapport-Event-Id` stays the same on every attempt, for the receiver to drop a
repeat. Requests go to public internet addresses only, and redirects are not followed
(integrations.outbound). A failure (a network error, a timeout, an address that is not public, a
redirect, any status but 2xx) is retried with backoff; after MAX_FAILURES failures in a row the
endpoint is disabled and its settings page says so.

Each request is signed: `X-Rapport-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>" under the endpoint's secret>`. The README shows the ten lines that check it.
"""

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from engagements import events
from engagements.models import Flag, Interaction
from engagements.sender import backoff
from integrations import outbound
from integrations.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

Status = WebhookDelivery.Status
LEASE = timedelta(minutes=5)  # far longer than a run (RUN_BUDGET) plus a request (TIMEOUT)
RUN_BUDGET = timedelta(minutes=2)
TIMEOUT = 10  # seconds per request
BATCH = 20
MAX_FAILURES = 10  # failed deliveries in a row, then the endpoint is disabled
MAX_ATTEMPTS = 10  # a delivery that failed this often is given up on
SIGNATURE_HEADER = "X-Rapport-Signature"
USER_AGENT = "Rapport-Webhooks/1"


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


# Queueing -----------------------------------------------------------------------------------


def listening(owner_id: int, wanted: set[str]) -> list[WebhookEndpoint]:
    """The owner's enabled endpoints if any of them wants one of these events, else []."""
    endpoints = list(
        WebhookEndpoint.objects.filter(owner_id=owner_id, disabled_at=None).only(
            "pk", "owner_id", "events"
        )
    )
    return endpoints if any(wanted & set(e.events) for e in endpoints) else []


def queue(
    endpoints: list[WebhookEndpoint], items: list[tuple[str, dict[str, Any]]], now: datetime
) -> int:
    """One delivery per (event, payload) for each of `endpoints` subscribed to the event."""
    rows = []
    for event, data in items:
        event_id = uuid.uuid4()
        body = {"id": str(event_id), "type": event, "created_at": now.isoformat(), "data": data}
        rows += [
            WebhookDelivery(
                owner_id=endpoint.owner_id,
                endpoint_id=endpoint.pk,
                event_id=event_id,
                event=event,
                payload=body,
                created_at=now,
                next_attempt_at=now,
            )
            for endpoint in endpoints
            if event in endpoint.events
        ]
    WebhookDelivery.objects.bulk_create(rows)
    return len(rows)


def flag_data(flag: Flag) -> dict[str, Any]:
    return {
        "flag": {
            "id": flag.pk,
            "rule": flag.rule,
            "severity": flag.severity,
            "state": flag.state,
            "summary": flag.summary,
            "client": {"id": flag.client_id, "name": flag.client.name},
            "expectation_id": flag.expectation_id,
            "interaction_id": flag.interaction_id,
            "since": flag.since and flag.since.isoformat(),
            "breach_at": flag.breach_at and flag.breach_at.isoformat(),
            "opened_at": flag.opened_at.isoformat(),
            "resolved_at": flag.resolved_at and flag.resolved_at.isoformat(),
        }
    }


def interaction_data(interaction: Interaction) -> dict[str, Any]:
    return {
        "interaction": {
            "id": interaction.pk,
            "client": {"id": interaction.client_id, "name": interaction.client.name},
            "direction": interaction.direction,
            "channel": interaction.channel,
            "occurred_at": interaction.occurred_at.isoformat(),
            "summary": interaction.summary,
            "kind": interaction.kind,
            "needs_reply": interaction.needs_reply,
            "tone": interaction.tone,
            "out_of_hours": interaction.out_of_hours,
        }
    }


def on_flags_changed(
    sender: Any, *, owner_id: int, events: list[tuple[str, int]], **kw: Any
) -> None:
    """Receiver of engagements.events.flags_changed: one query when nobody listens."""
    endpoints = listening(owner_id, {event for event, _ in events})
    if endpoints:
        flags = Flag.objects.select_related("client").in_bulk([pk for _, pk in events])
        items = [(event, flag_data(flags[pk])) for event, pk in events if pk in flags]
        queue(endpoints, items, timezone.now())


def on_interaction_logged(sender: Any, *, interaction: Interaction, **kw: Any) -> None:
    """Receiver of engagements.events.interaction_logged."""
    if endpoints := listening(interaction.owner_id, {events.INTERACTION_LOGGED}):
        item = (events.INTERACTION_LOGGED, interaction_data(interaction))
        queue(endpoints, [item], timezone.now())


# Delivering ---------------------------------------------------------------------------------


@dataclass
class DeliveryOutcome:
    delivered: int = 0
    failed: int = 0
    gave_up: int = 0
    disabled: int = 0  # endpoints this run disabled
    lost: int = 0  # rows whose lease another run took over while this one was sending

    def __str__(self) -> str:
        return (
            f"{self.delivered} delivered, {self.failed} failed, {self.gave_up} given up, "
            f"{self.disabled} endpoints disabled"
        )


def claimable(now: datetime) -> Q:
    """Queued and due, or stuck in "sending" past its lease."""
    return Q(status=Status.QUEUED, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_at__lte=now - LEASE
    )


def claim(now: datetime, limit: int = BATCH) -> tuple[uuid.UUID, list[WebhookDelivery]]:
    """Claim up to `limit` due deliveries of enabled endpoints: (this run's token, the rows).

    The UPDATE's own WHERE repeats the condition on the delivery row alone (no join), so that a
    concurrent claim re-checks it on the row it waited for and skips a row taken meanwhile.
    """
    token = uuid.uuid4()
    candidates = (
        WebhookDelivery.objects.filter(claimable(now), endpoint__disabled_at=None)
        .order_by("next_attempt_at", "pk")
        .values("pk")[:limit]
    )
    claimed = (
        WebhookDelivery.objects.filter(claimable(now))
        .filter(pk__in=candidates)
        .update(
            status=Status.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1
        )
    )
    if not claimed:
        return token, []
    rows = WebhookDelivery.objects.filter(claim_token=token, status=Status.SENDING)
    return token, list(rows.select_related("endpoint").order_by("next_attempt_at", "pk"))


def release(token: uuid.UUID) -> int:
    """Give back rows still claimed by `token` (not tried: the run stopped first)."""
    return WebhookDelivery.objects.filter(claim_token=token, status=Status.SENDING).update(
        status=Status.QUEUED, claim_token=None, claimed_at=None, attempts=F("attempts") - 1
    )


class DeliveryFailed(Exception):
    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def post(delivery: WebhookDelivery, now: datetime) -> int:
    """POST the delivery's JSON, signed, to a public address (integrations.outbound); the 2xx
    status, or DeliveryFailed."""
    secret = delivery.endpoint.secret
    if not secret:
        raise DeliveryFailed("the signing secret cannot be read (ENCRYPTION_KEYS changed?)")
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Rapport-Event": delivery.event,
        "X-Rapport-Event-Id": str(delivery.event_id),
        SIGNATURE_HEADER: sign(secret, body, int(now.timestamp())),
    }
    try:
        status = outbound.post(delivery.endpoint.url, body, headers, TIMEOUT)
    except outbound.RefusedAddress as e:
        raise DeliveryFailed(f"Refused: {e}") from e
    except (OSError, ValueError, http.client.HTTPException) as e:  # refused, timed out, DNS, TLS
        raise DeliveryFailed(f"{type(e).__name__}: {e}") from e
    if 300 <= status < 400:
        raise DeliveryFailed(f"HTTP {status}: a redirect, which is not followed", status)
    if not 200 <= status < 300:
        raise DeliveryFailed(f"HTTP {status}", status)
    return status


def deliver_due(now: datetime | None = None, *, batch: int = BATCH) -> DeliveryOutcome:
    """Claim and deliver due rows until none is left or RUN_BUDGET is spent."""

    def clock() -> datetime:
        return now or timezone.now()

    outcome = DeliveryOutcome()
    started = time.monotonic()

    def in_budget() -> bool:
        return time.monotonic() - started < RUN_BUDGET.total_seconds()

    while in_budget():
        token, rows = claim(clock(), batch)
        if not rows:
            break
        try:
            _deliver_batch(rows, token, outcome, clock, in_budget)
        finally:
            release(token)
    return outcome


def _deliver_batch(
    rows: list[WebhookDelivery],
    token: uuid.UUID,
    outcome: DeliveryOutcome,
    clock: Callable[[], datetime],
    in_budget: Callable[[], bool],
) -> None:
    disabled: set[int] = set()
    for row in rows:
        if row.endpoint_id in disabled or not in_budget():
            continue  # released, untried, by the caller
        try:
            status = post(row, clock())
        except DeliveryFailed as e:
            if _failed(row, token, e, clock(), outcome):
                disabled.add(row.endpoint_id)
            continue
        _delivered(row, token, status, clock(), outcome)


def _delivered(
    row: WebhookDelivery, token: uuid.UUID, status: int, now: datetime, outcome: DeliveryOutcome
) -> None:
    done = WebhookDelivery.objects.filter(
        pk=row.pk, claim_token=token, status=Status.SENDING
    ).update(
        status=Status.DELIVERED,
        delivered_at=now,
        claim_token=None,
        response_status=status,
        last_error="",
    )
    if done:
        outcome.delivered += 1
    else:
        outcome.lost += 1
        log.warning("webhook delivery %s: delivered, but its lease had passed", row.pk)
    WebhookEndpoint.objects.filter(pk=row.endpoint_id).update(
        consecutive_failures=0, last_delivered_at=now
    )


def _failed(
    row: WebhookDelivery,
    token: uuid.UUID,
    error: DeliveryFailed,
    now: datetime,
    outcome: DeliveryOutcome,
) -> bool:
    """Push the row's deadline forward (or give up); True if its endpoint is now disabled."""
    message = str(error)[:2000]
    log.warning("webhook delivery %s (attempt %s) failed: %s", row.pk, row.attempts, message)
    gave_up = row.attempts >= MAX_ATTEMPTS
    WebhookDelivery.objects.filter(pk=row.pk, claim_token=token, status=Status.SENDING).update(
        status=Status.FAILED if gave_up else Status.QUEUED,
        next_attempt_at=now + backoff(row.attempts),
        claim_token=None,
        response_status=error.status,
        last_error=message,
    )
    outcome.failed += 1
    outcome.gave_up += gave_up
    WebhookEndpoint.objects.filter(pk=row.endpoint_id).update(
        consecutive_failures=F("consecutive_failures") + 1, last_error=message
    )
    disabled = WebhookEndpoint.objects.filter(
        pk=row.endpoint_id, disabled_at=None, consecutive_failures__gte=MAX_FAILURES
    ).update(disabled_at=now)
    if disabled:
        log.warning("webhook endpoint %s disabled after %s failures", row.endpoint_id, MAX_FAILURES)
    outcome.disabled += disabled
    return bool(disabled)


def enable(endpoint: WebhookEndpoint, now: datetime | None = None) -> bool:
    """Enable a disabled endpoint; what failed is retried at once. False if it was enabled."""
    now = now or timezone.now()
    enabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, disabled_at__isnull=False).update(
        disabled_at=None, consecutive_failures=0
    )
    if enabled:
        WebhookDelivery.objects.filter(
            endpoint_id=endpoint.pk, status=Status.QUEUED, next_attempt_at__gt=now
        ).update(next_attempt_at=now)
    return bool(enabled)
