"""The private forwarding address: an SMTP or LMTP server core that accepts mail for
``log+<token>@<domain>`` and hands each message's bytes to the app.

A freelancer forwards (or Bcc's) mail to their own address, e.g. ``log+k3J9x@in.rapport.app``;
the token says whose log it is. The mail server in front (Postfix, or any MTA) relays those
addresses to this process over SMTP or, better, LMTP (one answer per recipient). The app
wires it up as::

    handler = ForwardingHandler(
        domain="in.rapport.app",
        token_is_known=lambda token: Mailbox.objects.filter(token=token).exists(),
        deliver=lambda token, raw: store_forwarded(token, raw),   # parse_message + save
    )
    server = start_server("127.0.0.1", 2424, handler, lmtp=True)
    ...
    server.stop()

Behaviour:

- RCPT TO is checked at once: an address that is not ``<local_part>+<token>@<domain>`` or
  whose token ``token_is_known`` rejects is refused with 550 and a clear text; if the check
  itself fails, 451 (try again later).
- Messages above ``max_size`` bytes (25 MB by default, advertised as SIZE) are refused with
  552.
- ``deliver(token, raw)`` is called once per distinct accepted token, with the message
  exactly as received. If it raises, the answer is 451 (a temporary failure: the sending
  server retries), and the failure is logged with the size, never the body or the token
  (aiosmtpd's own log of each DATA line is filtered out, and tokens in its log of each
  recipient are blanked). With
  SMTP one failure fails the whole message (the sender then retries every recipient), so
  ``deliver`` must be idempotent: the message key from :func:`inbox.message.parse_message`
  is meant for that. LMTP answers per recipient.
- ``token_is_known`` and ``deliver`` are ordinary (blocking) callables: they run in a worker
  thread, so Django ORM calls are fine there and do not stall other connections.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from types import TracebackType
from typing import Any, Self

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MAX_RECIPIENTS",
    "ForwardingHandler",
    "ReceiverServer",
    "start_server",
]

log = logging.getLogger(__name__)

DEFAULT_MAX_SIZE = 25 * 1024 * 1024
#: More recipients than this in one transaction are refused (452) for the rest.
MAX_RECIPIENTS = 50
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ForwardingHandler:
    """aiosmtpd handler for ``<local_part>+<token>@<domain>``; see the module docstring."""

    def __init__(
        self,
        *,
        domain: str,
        token_is_known: Callable[[str], bool],
        deliver: Callable[[str, bytes], None],
        local_part: str = "log",
        max_size: int = DEFAULT_MAX_SIZE,
    ) -> None:
        self.domain = domain.lower().rstrip(".")
        self.local_part = local_part.lower()
        self.token_is_known = token_is_known
        self.deliver = deliver
        self.max_size = max_size

    def token_of(self, address: str) -> str | None:
        """The token of a logging address (``log+abc@domain`` -> ``"abc"``), else None.

        The local part and domain are matched case-insensitively; the token keeps its case.
        """
        local, at, domain = address.strip().strip("<>").rpartition("@")
        if not at or domain.lower().rstrip(".") != self.domain:
            return None
        prefix, plus, token = local.partition("+")
        if not plus or prefix.lower() != self.local_part or not _TOKEN.match(token):
            return None
        return token

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        token = self.token_of(address)
        if token is None:
            return f"550 5.1.1 <{address}>: not a logging address of this server"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        try:
            known = await asyncio.to_thread(self.token_is_known, token)
        except Exception as exc:
            log.error("Checking a logging token failed (%s)", type(exc).__name__)
            return "451 4.3.0 Could not check this address just now, please try again later"
        if not known:
            return f"550 5.1.1 <{address}>: unknown logging address"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if len(raw) > self.max_size:  # aiosmtpd enforces data_size_limit; belt and braces
            return "552 5.3.4 Message too big"
        results: dict[str, str] = {}
        for address in envelope.rcpt_tos:
            token = self.token_of(address)
            if token is None or token in results:
                continue
            results[token] = await self._deliver(token, raw)
        if isinstance(server, LMTP):  # one reply per recipient, in RCPT order
            return "\r\n".join(
                results.get(self.token_of(address) or "", "550 5.1.1 Not accepted")
                for address in envelope.rcpt_tos
            )
        failed = [status for status in results.values() if not status.startswith("250")]
        return failed[0] if failed else "250 2.0.0 Message accepted for the log"

    async def _deliver(self, token: str, raw: bytes) -> str:
        try:
            await asyncio.to_thread(self.deliver, token, raw)
        except Exception as exc:
            # Never the body, nor the exception's text (it may quote the body), nor the token
            # (it is a secret: whoever has it can write to a freelancer's log).
            log.error(
                "Delivering a %d-byte message to a logging address failed (%s)",
                len(raw),
                type(exc).__name__,
            )
            return "451 4.3.0 Could not store the message just now, please try again later"
        return "250 2.0.0 Message accepted for the log"


class _PrivateMail(logging.Filter):
    """aiosmtpd logs every DATA line at DEBUG and every recipient at INFO on "mail.log": keep
    message bodies out of the logs, and the tokens of logging addresses (secrets)."""

    TOKEN = re.compile(r"\+[A-Za-z0-9_-]{1,64}@")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("DATA readline"):
            return False
        message = record.getMessage()
        if self.TOKEN.search(message):
            record.msg, record.args = self.TOKEN.sub("+…@", message), ()
        return True


_LOG_FILTER = _PrivateMail()


class _Controller(Controller):
    """aiosmtpd's threaded controller, for SMTP or LMTP, and port 0 (any free port)."""

    def __init__(self, handler: ForwardingHandler, host: str, port: int, lmtp: bool, **kw: Any):
        super().__init__(handler, hostname=host, port=port, **kw)
        self.lmtp = lmtp

    def factory(self) -> SMTP:
        server_class = LMTP if self.lmtp else SMTP
        return server_class(self.handler, **self.SMTP_kwargs)

    def _trigger_server(self) -> None:
        sockets = getattr(self.server, "sockets", None)  # an asyncio.Server once bound
        if self.port == 0 and sockets:
            self.port = int(sockets[0].getsockname()[1])
        super()._trigger_server()  # type: ignore[no-untyped-call]


class ReceiverServer:
    """A running receiver: ``host``, ``port`` (the real one when 0 was asked), ``stop()``;
    also a context manager that stops it."""

    def __init__(self, controller: _Controller) -> None:
        self._controller = controller
        self.host: str = controller.hostname
        self.port: int = controller.port
        self.lmtp = controller.lmtp
        self._running = True

    def stop(self) -> None:
        """Stop accepting and close the port; safe to call twice."""
        if self._running:
            self._running = False
            self._controller.stop()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_server(
    host: str,
    port: int,
    handler: ForwardingHandler,
    *,
    lmtp: bool = False,
    server_hostname: str | None = None,
) -> ReceiverServer:
    """Serve ``handler`` over SMTP (or LMTP) on ``host:port`` (0: any free port) in a
    background thread; returns once it answers. Stop it with ``.stop()``."""
    controller = _Controller(
        handler,
        host,
        port,
        lmtp,
        server_hostname=server_hostname,
        data_size_limit=handler.max_size,
        decode_data=False,
    )
    aiosmtpd_log = logging.getLogger("mail.log")
    if _LOG_FILTER not in aiosmtpd_log.filters:
        aiosmtpd_log.addFilter(_LOG_FILTER)
    controller.start()
    log.info("%s receiver listening on %s:%d", "LMTP" if lmtp else "SMTP", host, controller.port)
    return ReceiverServer(controller)
