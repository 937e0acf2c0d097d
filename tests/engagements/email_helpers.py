"""Shared by the email tests: a real SMTP server (aiosmtpd) on a free local port, a port where
nothing listens, freelancers in given zones, and flags."""

import email
import email.policy
import socket
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta

from aiosmtpd.controller import Controller

from clients.models import FreelancerProfile
from engagements.models import Flag, Rule, Severity
from tests.factories import ClientFactory, UserFactory


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message) in order."""

    def __init__(self):
        self.received = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    @property
    def messages(self):
        with self._lock:
            return [m for _, m in self.received]

    def to(self, address: str):
        return [m for rcpt, m in self.received if address in rcpt]

    def subjects(self, address: str) -> list[str]:
        return [subject_of(m) for m in self.to(address)]

    def clear(self):
        with self._lock:
            self.received.clear()


def use_smtp(settings, port: int) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@contextmanager
def smtp_server(settings, inbox: Inbox | None = None):
    """A real SMTP server on a free local port, with Django's SMTP backend pointed at it (and
    SITE_URL at https://rapport.test). Each test module makes it its `smtp` fixture."""
    inbox = inbox or Inbox()
    controller = Controller(
        inbox, hostname="127.0.0.1", port=free_port(), server_hostname="smtp.test"
    )
    controller.start()
    use_smtp(settings, controller.port)
    settings.SITE_URL = "https://rapport.test"
    try:
        yield inbox
    finally:
        controller.stop()


def freelancer(username: str, zone: str, *, country: str = "", **prefs) -> FreelancerProfile:
    """A user with an email address working Mon–Fri 09:00–17:00 in `zone`."""
    user = UserFactory(username=username)
    profile = FreelancerProfile.for_user(user)
    profile.timezone = zone
    profile.holiday_country = country
    for name, value in prefs.items():
        setattr(profile, name, value)
    profile.save()
    return profile


def client_of(profile, name: str, **kwargs):
    return ClientFactory(owner=profile.user, name=name, **kwargs)


def raise_flag(
    client,
    rule=Rule.REPLY_OWED,
    severity=Severity.WARNING,
    *,
    opened_at: datetime,
    breach_at: datetime | None = None,
    summary: str | None = None,
    **kwargs,
) -> Flag:
    return Flag.objects.create(
        client=client,
        rule=rule,
        severity=severity,
        subject=f"client:{client.pk}",
        summary=summary or f"{Rule(rule).label} to {client.name}",
        since=opened_at - timedelta(hours=1),
        opened_at=opened_at,
        breach_at=breach_at,
        **kwargs,
    )


def subject_of(message) -> str:
    """The Subject as a mail program shows it (a folded header parses with a leading space)."""
    return str(message["Subject"]).strip()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")


def html_of(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()
