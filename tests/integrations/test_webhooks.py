"""Webhooks, delivered to a real HTTP server on a loopback port: signed as the README says (its
own ten lines of Python check the signature), retried with backoff, disabled after repeated
failures with a notice, and delivered once each by two workers racing."""

import json
import re
import ssl
import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import time_machine

from engagements import events
from engagements.evaluation import evaluate
from engagements.models import Flag, Rule
from engagements.services import log_interaction
from integrations import webhooks
from integrations.models import EVENTS, WebhookDelivery, WebhookEndpoint
from tests.factories import ClientFactory
from tests.threads import run_together

README = Path(__file__).resolve().parents[2] / "README.md"
T = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)  # Monday 10:30 in Berlin
Status = WebhookDelivery.Status


def readme_verify():
    """The signature check exactly as the README prints it."""
    text = README.read_text()
    code = re.search(r"<!-- webhook-signature -->\n```python\n(.*?)```", text, re.S).group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 10
    namespace: dict = {}
    exec(code, namespace)  # noqa: S102 - our own README
    return namespace["verify"]


class Receiver:
    """What the test server was sent, and the statuses it answers with (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def ids(self) -> list[str]:
        return [r["headers"]["X-Rapport-Event-Id"] for r in self.requests]


@contextmanager
def http_receiver(tls: ssl.SSLContext | None = None):
    """A receiver on a free loopback port (HTTPS with `tls`, a server context)."""
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with receiver.lock:
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            self.send_response(status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"{'https' if tls else 'http'}://127.0.0.1:{server.server_port}/hook"
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    """The receiver listens on 127.0.0.1, a private address: allowed only by the setting."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True


@pytest.fixture
def receiver():
    with http_receiver() as r:
        yield r


@pytest.fixture
def endpoint(profile, receiver):
    return WebhookEndpoint.objects.create(
        owner=profile.user,
        url=receiver.url,
        events=EVENTS,
        secret=webhooks.new_secret(),
    )


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme")


def log(acme, at=T - timedelta(hours=1), **fields):
    with time_machine.travel(at, tick=False):
        return log_interaction(client=acme, direction="in", summary="Hello", **fields)


def test_a_logged_interaction_is_delivered_signed_as_the_readme_says(acme, endpoint, receiver):
    interaction = log(acme)

    outcome = webhooks.deliver_due(T)

    assert outcome.delivered == 1
    [request] = receiver.requests
    body, headers = request["body"], request["headers"]
    payload = json.loads(body)
    assert payload["type"] == events.INTERACTION_LOGGED
    assert payload["data"]["interaction"]["id"] == interaction.pk
    assert payload["data"]["interaction"]["client"]["name"] == "Acme"
    assert headers["X-Rapport-Event-Id"] == payload["id"]
    assert headers["Content-Type"] == "application/json"
    verify = readme_verify()
    with time_machine.travel(T + timedelta(seconds=30), tick=False):
        assert verify(endpoint.secret, body, headers["X-Rapport-Signature"])
        assert not verify(endpoint.secret, body + b" ", headers["X-Rapport-Signature"])
        assert not verify("whsec_wrong", body, headers["X-Rapport-Signature"])
    with time_machine.travel(T + timedelta(hours=1), tick=False):  # a replay, an hour later
        assert not verify(endpoint.secret, body, headers["X-Rapport-Signature"])


def test_flags_raised_escalated_and_resolved_are_delivered(acme, endpoint, receiver, profile):
    friday_13 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 8 working hours to reply
    log(acme, at=friday_13, needs_reply=True)
    WebhookDelivery.objects.all().delete()

    # Each step at its own moment: the deliveries it queues fall due when it happens.
    with time_machine.travel(T + timedelta(hours=1), tick=False):
        evaluate(profile.user_id)  # 6.5 of 8 working hours: amber
    with time_machine.travel(T + timedelta(hours=3), tick=False):
        evaluate(profile.user_id)  # past 8: red
        Flag.objects.get(rule=Rule.REPLY_OWED).resolve("Called them")
    webhooks.deliver_due(T + timedelta(hours=4))

    types = [json.loads(r["body"])["type"] for r in receiver.requests]
    reply_owed = [
        json.loads(r["body"])["type"]
        for r in receiver.requests
        if json.loads(r["body"])["data"]["flag"]["rule"] == Rule.REPLY_OWED
    ]
    assert reply_owed == [events.FLAG_RAISED, events.FLAG_ESCALATED, events.FLAG_RESOLVED]
    assert len(types) == len(set(receiver.ids()))


def test_an_endpoint_gets_only_the_events_it_chose(acme, endpoint, receiver):
    endpoint.events = [events.FLAG_RESOLVED]
    endpoint.save()

    log(acme)

    assert not WebhookDelivery.objects.exists()


def test_a_failed_delivery_is_retried_with_backoff_under_the_same_event_id(
    acme, endpoint, receiver
):
    log(acme)
    receiver.statuses = [500]

    first = webhooks.deliver_due(T)
    too_soon = webhooks.deliver_due(T + timedelta(minutes=4))
    later = webhooks.deliver_due(T + timedelta(minutes=5))

    assert (first.failed, too_soon.delivered, later.delivered) == (1, 0, 1)
    assert len(receiver.requests) == 2
    assert receiver.ids()[0] == receiver.ids()[1]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_status) == (
        Status.DELIVERED,
        2,
        200,
    )


def test_an_endpoint_that_keeps_failing_is_disabled_with_a_notice(acme, endpoint, receiver, web):
    for n in range(5):
        log(acme, at=T - timedelta(minutes=n + 1))
    receiver.statuses = [500] * webhooks.MAX_FAILURES

    first, second = webhooks.deliver_due(T), webhooks.deliver_due(T + timedelta(minutes=5))

    assert (first.failed, second.failed, second.disabled) == (5, 5, 1)
    endpoint.refresh_from_db()
    assert endpoint.disabled_at is not None
    assert webhooks.deliver_due(T + timedelta(days=1)).failed == 0  # nothing more is tried
    page = web.get("/settings/webhooks/").content.decode()
    assert "Disabled:" in page and endpoint.url in page

    assert webhooks.enable(endpoint, now=T + timedelta(days=1))
    assert webhooks.deliver_due(T + timedelta(days=1)).delivered == 5


def test_an_unreachable_endpoint_fails_cleanly(acme, profile):
    with http_receiver() as gone:
        url = gone.url  # the server stops: nothing listens there any more
    WebhookEndpoint.objects.create(
        owner=profile.user, url=url, events=[events.INTERACTION_LOGGED], secret="s"
    )
    log(acme)

    outcome = webhooks.deliver_due(T)

    assert outcome.failed == 1
    assert "Connection refused" in WebhookDelivery.objects.get().last_error


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_deliver_each_event_once(postgres, profile, receiver):
    WebhookEndpoint.objects.create(
        owner=profile.user, url=receiver.url, events=[events.INTERACTION_LOGGED], secret="s"
    )
    acme = ClientFactory(owner=profile.user, name="Acme")
    for round_ in range(1, 4):
        at = T + timedelta(hours=round_)
        for n in range(12):
            log(acme, at=at - timedelta(minutes=n + 1))

        results = run_together(
            lambda at=at: webhooks.deliver_due(at, batch=3),
            lambda at=at: webhooks.deliver_due(at, batch=3),
        )

        assert not [r for r in results if isinstance(r, BaseException)], results
        assert len(receiver.ids()) == len(set(receiver.ids())) == 12 * round_, f"round {round_}"
        assert sum(r.lost for r in results) == 0
        assert not WebhookDelivery.objects.exclude(status=Status.DELIVERED).exists()
