"""`python manage.py receive_mail [--lmtp] [--host H] [--port P]`: the forwarding address's
SMTP (or LMTP) server. Logs what arrives for log+<token>@INBOUND_DOMAIN; refuses other
addresses and unknown tokens at RCPT time. Runs until interrupted (Ctrl-C, SIGTERM)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inbox import forwarding
from inbox.receiver import start_server


class Command(BaseCommand):
    help = "Receive mail for the forwarding addresses (SMTP, or LMTP behind a mail server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--lmtp", action="store_true", help="Speak LMTP instead of SMTP.")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args: Any, lmtp: bool, host: str, port: int, **options: Any) -> None:
        if not settings.INBOUND_DOMAIN:
            raise CommandError("Set INBOUND_DOMAIN (the domain of the log+<token>@… addresses).")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            server = start_server(host, port, forwarding.handler(), lmtp=lmtp)
        except OSError as error:
            raise CommandError(f"Could not listen on {host}:{port}: {error.strerror}") from None
        with server:
            self.stdout.write(
                f"{'LMTP' if lmtp else 'SMTP'} on {server.host}:{server.port} for "
                f"{forwarding.LOCAL_PART}+<token>@{settings.INBOUND_DOMAIN}; Ctrl-C stops."
            )
            stop.wait()
        self.stdout.write("Stopped.")
