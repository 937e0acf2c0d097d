"""`make bench` (after `bench`): the mailbox sync, measured against a private Dovecot.

Loads 10,000 messages into a throw-away local Dovecot (inbox.dovecot): 8,000 in Inbox and
2,000 in Sent, over the last 55 days, most with one of 50 clients (replies with quoted
history, some HTML-only, attachments), some from strangers, some newsletters. A freelancer
"mailbench" in the benchmark database gets those clients and the mailbox. Then, in a fresh
process (so that its memory is the sync's, not the loading's), it measures:

- ``mail_sync_msgs_per_s``: the initial sync (parse, match, log, commit), messages per second;
- ``mail_sync_peak_mb``: that process's peak resident memory;
- ``mail_idle_sync_s``: a sync with nothing new (the median of five).

Merged into var/bench.json beside the other figures.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from celery import current_app as celery_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clients.models import Client, Contact, FreelancerProfile
from engagements.management.commands.bench import ensure_database
from inbox import dovecot
from inbox.models import Mailbox
from inbox.sync import sync_mailbox

USERNAME = "mailbench"  # not "bench-…": the evaluation bench counts those
ME = "me@studio.example"
MESSAGES = 10_000
SENT_SHARE = 0.2
CLIENTS = 50
IDLE_RUNS = 5


class Command(BaseCommand):
    help = "Measure the mailbox sync: 10,000 messages from a local Dovecot (make bench)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--messages", type=int, default=MESSAGES)
        parser.add_argument("--output", default=str(Path(settings.VAR_DIR) / "bench.json"))
        # The measuring child process (see the module docstring).
        parser.add_argument("--measure", type=int, help=argparse.SUPPRESS)
        parser.add_argument("--ca-file", help=argparse.SUPPRESS)

    def handle(self, *args: Any, messages: int, output: str, **options: Any) -> None:
        if options["measure"]:  # the child process: sync, measure, print JSON
            settings.MAIL_CA_FILE = options["ca_file"]
            self.stdout.write(json.dumps(measure(options["measure"])))
            return
        if "bench" not in str(settings.DATABASES["default"]["NAME"]):
            raise CommandError(
                "Run me against a benchmark database (make bench does): its name must contain "
                "'bench'."
            )
        ensure_database()
        call_command("migrate", verbosity=0)
        try:
            with (
                tempfile.TemporaryDirectory(prefix="rapport-bench-mail-") as workdir,
                dovecot.running(Path(workdir), accounts=1) as server,
            ):
                figures = self.bench(server, messages)
        except dovecot.DovecotUnavailable as error:
            raise CommandError(str(error)) from None
        self.report(figures)
        path = Path(output)
        merged = json.loads(path.read_text()) if path.exists() else {}
        path.write_text(json.dumps(merged | figures, indent=2) + "\n")
        self.stdout.write(f"Written to {output}")

    def bench(self, server: dovecot.Dovecot, count: int) -> dict[str, Any]:
        account = server.new_account()
        clients = [f"client{n}.example" for n in range(CLIENTS)]
        started = time.monotonic()
        rng = random.Random(11)
        now = datetime.now(UTC)
        sent = int(count * SENT_SHARE)
        server.append_many(account, corpus(rng, clients, count - sent, now, outbound=False))
        server.append_many(account, corpus(rng, clients, sent, now, outbound=True), "Sent")
        self.stdout.write(
            f"Loaded {count} messages into a private Dovecot in {time.monotonic() - started:.1f} s"
        )
        mailbox_id = freelancer_with(clients, server, account)
        child = subprocess.run(
            [sys.executable, "manage.py", "bench_mail", "--measure", str(mailbox_id),
             "--ca-file", str(server.ca_file)],
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        if child.returncode != 0:
            raise CommandError(f"The measuring process failed:\n{child.stderr[-3000:]}")
        figures: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
        mailbox = Mailbox.objects.get(pk=mailbox_id)
        if mailbox.seen != count:
            raise CommandError(f"The sync read {mailbox.seen} of {count} messages")
        figures["mail_sync_logged"] = mailbox.logged
        return figures

    def report(self, f: dict[str, Any]) -> None:
        w = self.stdout.write
        w(f"Mailbox sync of {f['mail_sync_messages']} messages from a local Dovecot")
        w(
            f"  initial sync            {f['mail_sync_seconds']:.1f} s, "
            f"{f['mail_sync_msgs_per_s']:.0f} messages/s (target ≥ 200), "
            f"{f['mail_sync_logged']} logged"
        )
        w(f"  peak memory             {f['mail_sync_peak_mb']} MB (target ≤ 200)")
        w(f"  sync with nothing new   {f['mail_idle_sync_s']:.3f} s (target ≤ 0.2)")


def freelancer_with(domains: list[str], server: dovecot.Dovecot, account: dovecot.Account) -> int:
    """A fresh "mailbench" freelancer with a client and a contact per domain and the mailbox;
    returns the mailbox's id."""
    User = get_user_model()
    User.objects.filter(username=USERNAME).delete()
    with transaction.atomic():
        user = User.objects.create_user(USERNAME, ME)
        FreelancerProfile.for_user(user)
        for n, domain in enumerate(domains):
            client = Client.objects.create(owner=user, name=f"Client {n}", timezone="Europe/Berlin")
            Contact.objects.create(client=client, name=f"Contact {n}", email=f"jane@{domain}")
        mailbox = Mailbox.objects.create(
            owner=user,
            host=server.host,
            port=server.port,
            security=Mailbox.Security.STARTTLS,
            username=account.username,
            password=account.password,
            addresses=[ME],
        )
    return mailbox.pk


def measure(mailbox_id: int) -> dict[str, Any]:
    """In the child process: the initial sync, then syncs with nothing new."""
    celery_app.conf.broker_url = "memory://"  # the evaluations it queues go nowhere
    started = time.monotonic()
    result = sync_mailbox(mailbox_id)
    seconds = time.monotonic() - started
    if result.status != "synced":
        raise CommandError(f"The sync failed: {result}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    idle = []
    for _ in range(IDLE_RUNS):
        started = time.monotonic()
        sync_mailbox(mailbox_id)
        idle.append(time.monotonic() - started)
    return {
        "mail_sync_messages": result.seen,
        "mail_sync_seconds": round(seconds, 2),
        "mail_sync_msgs_per_s": round(result.seen / seconds, 1),
        "mail_sync_peak_mb": round(peak, 1),
        "mail_idle_sync_s": round(statistics.median(idle), 3),
    }


# --------------------------------------------------------------------------- the messages

QUESTIONS = [
    "Could you send the latest mockups before Thursday?",
    "Is the staging site ready for our review?",
    "Can we move tomorrow's call to 3pm?",
    "What would it cost to add a blog section?",
]
ANSWERS = [
    "Here are the mockups, with the changes from last week.",
    "Staging is up: the login is the same as before.",
    "3pm works for me, I've moved the invitation.",
]
SMALL_TALK = ["Thanks, got it!", "Looks great, thank you.", "Perfect, thanks a lot."]


def corpus(
    rng: random.Random, domains: list[str], count: int, now: datetime, *, outbound: bool
) -> Iterator[bytes]:
    """`count` messages, generated one at a time (never all in memory)."""
    for n in range(count):
        sent = now - timedelta(minutes=rng.randrange(55 * 24 * 60))
        kind = rng.random()
        domain = rng.choice(domains)
        client = f"Jane <jane@{domain}>"
        if outbound:
            yield message(n, "out", ME, client, "Re: " + rng.choice(QUESTIONS)[:30],
                          rng.choice(ANSWERS), sent, quoted=rng.choice(QUESTIONS))  # fmt: skip
        elif kind < 0.6:
            yield message(n, "in", client, ME, rng.choice(QUESTIONS)[:40],
                          rng.choice(QUESTIONS + SMALL_TALK), sent,
                          quoted=rng.choice(ANSWERS) if kind < 0.4 else "")  # fmt: skip
        elif kind < 0.7:
            yield message(n, "html", client, ME, "Feedback", rng.choice(QUESTIONS), sent, html=True)
        elif kind < 0.8:
            yield message(n, "att", client, ME, "Files", "The files are attached.", sent,
                          attachment=True)  # fmt: skip
        elif kind < 0.9:
            yield message(n, "list", "News <news@list.example>", ME, "This week's news",
                          "Our weekly newsletter.", sent, headers="List-Id: <news.list.example>\r\n")  # fmt: skip
        else:
            yield message(n, "who", f"Someone <person{n % 97}@elsewhere.example>", ME,
                          "Hello", rng.choice(QUESTIONS), sent)  # fmt: skip


def message(
    n: int,
    tag: str,
    sender: str,
    to: str,
    subject: str,
    text: str,
    sent: datetime,
    *,
    quoted: str = "",
    html: bool = False,
    attachment: bool = False,
    headers: str = "",
) -> bytes:
    head = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: {format_datetime(sent)}\r\nMessage-ID: <{tag}{n}@bench.example>\r\n"
        f"MIME-Version: 1.0\r\n{headers}"
    )
    body = text + "\r\n\r\nBest regards,\r\nJane\r\n"
    if quoted:
        body += f"\r\nOn Mon, 3 Nov 2026 at 10:00, Me <{ME}> wrote:\r\n> {quoted}\r\n> \r\n" * 3
    if html:
        return (
            head + "Content-Type: text/html; charset=utf-8\r\n\r\n"
            f"<html><body><p>{text}</p><p>Best,<br>Jane</p></body></html>\r\n"
        ).encode()
    if attachment:
        blob = ("QmVuY2ggYXR0YWNobWVudA==" * 200 + "\r\n") * 10
        return (
            head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n--b\r\n"
            'Content-Type: application/pdf; name="brief.pdf"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + blob + "--b--\r\n"
        ).encode()
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
