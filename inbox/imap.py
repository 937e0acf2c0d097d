"""Read-only IMAP access for the mailbox sync, with failures a freelancer can understand.

The sync will, per mailbox and folder (Inbox and the Sent folder)::

    with connect(host, port, "ssl", username, password) as mailbox:
        sent = mailbox.sent_folder()                       # SPECIAL-USE \\Sent, else by name
        status = mailbox.folder_status("INBOX")            # (uidvalidity, uidnext, exists)
        if status.uidvalidity != stored_uidvalidity:       # the folder was rebuilt:
            last_uid = None                                # start again (keys de-duplicate)
        for batch in mailbox.fetch_since("INBOX", after_uid=last_uid, since_date=start):
            for fetched in batch:
                parse_message(fetched.raw, internal_date=fetched.internal_date, now=now)
            last_uid = batch[-1].uid                        # commit progress per batch

and store a :class:`MailboxError`'s ``kind`` and ``message`` on the mailbox when it fails
(``auth`` means "ask for the password again", ``timeout``/``unreachable`` mean "retry later").

Guarantees:

- Read-only: folders are opened with EXAMINE, messages fetched with ``BODY.PEEK[]``; the
  \\Seen flag never changes. The connection itself refuses any command outside a short
  allow-list (no STORE, EXPUNGE, COPY, MOVE, APPEND, DELETE, CREATE, RENAME, SELECT or
  CLOSE), so a later change to this module cannot write to a freelancer's mailbox by
  accident.
- Bounded memory: :meth:`Mailbox.fetch_since` fetches UID ranges of at most ``batch``
  messages and ``max_batch_bytes`` bytes (sizes are asked first), never the whole folder.
- Every blocking network operation (connect, TLS handshake, each read) has ``timeout``.
- The password is never logged and never part of an error message.

Built on the standard library's ``imaplib`` rather than ``imap-tools``: the exact commands
(EXAMINE, UID FETCH of explicit ranges with ``BODY.PEEK[]`` and INTERNALDATE, ESEARCH MIN)
matter more here than convenience, imap-tools' ``fetch`` marks messages seen by default,
does not fetch INTERNALDATE and searches the whole folder for UIDs first, and imaplib's
exceptions are easier to classify. One dependency less, typed by typeshed.
"""

from __future__ import annotations

import base64
import contextlib
import errno
import imaplib
import logging
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from types import TracebackType
from typing import Any, Literal, NamedTuple, NoReturn, Self

__all__ = [
    "DEFAULT_BATCH",
    "DEFAULT_MAX_BATCH_BYTES",
    "DEFAULT_TIMEOUT",
    "ErrorKind",
    "FetchedMessage",
    "Folder",
    "FolderStatus",
    "Mailbox",
    "MailboxError",
    "Security",
    "connect",
    "decode_mailbox_name",
    "encode_mailbox_name",
    "find_sent_folder",
]

log = logging.getLogger(__name__)

Security = Literal["ssl", "starttls", "plain"]
ErrorKind = Literal["unreachable", "tls", "auth", "timeout", "folder_missing", "protocol"]

DEFAULT_TIMEOUT = 10.0
DEFAULT_BATCH = 200
DEFAULT_MAX_BATCH_BYTES = 50_000_000

#: Names the Sent folder has when the server does not mark it with SPECIAL-USE \\Sent.
SENT_FOLDER_NAMES = (
    "Sent",
    "Sent Items",
    "Sent Messages",
    "Sent Mail",
    "INBOX.Sent",
    "INBOX/Sent",
    "INBOX.Sent Items",
    "INBOX.Sent Messages",
    "[Gmail]/Sent Mail",
    "[Google Mail]/Sent Mail",
    "Gesendet",
    "Gesendete Objekte",
    "Gesendete Elemente",
    "Éléments envoyés",
    "Envoyés",
    "Enviados",
    "Elementos enviados",
    "Posta inviata",
    "Verzonden items",
    "Verzonden",
)

#: The only IMAP commands this module's connections will send.
ALLOWED_COMMANDS = frozenset(
    {
        "CAPABILITY",
        "NOOP",
        "ID",
        "STARTTLS",
        "LOGIN",
        "AUTHENTICATE",
        "LIST",
        "STATUS",
        "EXAMINE",
        "FETCH",
        "UID FETCH",
        "UID SEARCH",
        "LOGOUT",
    }
)


class MailboxError(Exception):
    """A mailbox operation failed. ``kind`` says what to do about it, ``message`` says it
    in plain English ("Could not reach mail.example.com:993: connection refused").

    Kinds: ``unreachable`` (DNS, refused, no route), ``tls`` (handshake, certificate, no
    STARTTLS), ``auth`` (the server refused the login; its own words are included),
    ``timeout``, ``folder_missing`` and ``protocol`` (anything else).
    """

    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message

    def __repr__(self) -> str:
        return f"MailboxError(kind={self.kind!r}, message={self.message!r})"


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder as listed: ``name`` decoded (use it with the other methods), ``raw_name`` as
    the server spells it (modified UTF-7), the hierarchy ``delimiter`` and LIST ``flags``."""

    name: str
    raw_name: str
    delimiter: str | None
    flags: frozenset[str]

    @property
    def special_use(self) -> str | None:
        """The RFC 6154 role (``\\Sent``, ``\\Drafts``…), if the server gives one."""
        for flag in sorted(self.flags):
            if flag.lower() in _SPECIAL_USE:
                return flag
        return None

    @property
    def selectable(self) -> bool:
        return not {f.lower() for f in self.flags} & {"\\noselect", "\\nonexistent"}


_SPECIAL_USE = frozenset(
    ("\\all", "\\archive", "\\drafts", "\\flagged", "\\junk", "\\sent", "\\trash", "\\important")
)


class FolderStatus(NamedTuple):
    """What the sync stores per folder to read incrementally."""

    uidvalidity: int
    uidnext: int
    exists: int


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """One message as fetched: its UID, the server's INTERNALDATE (aware, UTC), the raw
    RFC 5322 bytes for :func:`inbox.message.parse_message` and its flags (e.g. ``\\Seen``,
    ``\\Answered``), unchanged by the fetch."""

    uid: int
    internal_date: datetime
    raw: bytes
    flags: frozenset[str]


# --------------------------------------------------------------------------- the connection


class _ReadOnlyGuard:
    """Refuses, before anything is sent, every command that is not in ALLOWED_COMMANDS."""

    def _command(self, name: str, *args: Any) -> Any:
        verb = name.upper()
        if verb == "UID" and args:
            verb = f"UID {str(args[0]).upper()}"
        if verb not in ALLOWED_COMMANDS:
            raise MailboxError("protocol", f"Refused to send {verb}: the mailbox is read-only.")
        return super()._command(name, *args)  # type: ignore[misc]


class _IMAP4(_ReadOnlyGuard, imaplib.IMAP4):
    pass


class _IMAP4_SSL(_ReadOnlyGuard, imaplib.IMAP4_SSL):
    pass


def connect(
    host: str,
    port: int,
    security: Security,
    username: str,
    password: str,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    verify_tls: bool = True,
    ssl_context: ssl.SSLContext | None = None,
    ca_file: str | None = None,
) -> Mailbox:
    """Connect and log in; the returned :class:`Mailbox` is a context manager.

    ``security``: ``"ssl"`` (TLS from the start, usually port 993), ``"starttls"`` (plain,
    then STARTTLS, usually 143) or ``"plain"`` (no encryption: only for a local bridge).
    Certificates are verified against the system CAs (or ``ca_file``) unless ``verify_tls``
    is False; ``ssl_context`` replaces all of that. ``timeout`` (seconds) bounds the TCP
    connect, the TLS handshake and every read. Raises :class:`MailboxError`.
    """
    where = f"{host}:{port}"
    context = None if security == "plain" else _tls_context(verify_tls, ssl_context, ca_file)
    imap: imaplib.IMAP4
    try:
        if security == "ssl":
            assert context is not None
            imap = _IMAP4_SSL(host, port, ssl_context=context, timeout=timeout)
        elif security in ("starttls", "plain"):
            imap = _IMAP4(host, port, timeout=timeout)
        else:
            raise MailboxError("protocol", f"Unknown connection security {security!r}.")
    except MailboxError:
        raise
    except Exception as exc:
        _raise_classified(exc, where, timeout, security, connecting=True)
    mailbox = Mailbox(imap, host=host, port=port, timeout=timeout)
    try:
        if security == "starttls":
            mailbox._starttls(context)
        mailbox._login(username, password)
    except BaseException:
        mailbox.close()
        raise
    log.info("Connected to %s as %s (%s)", where, username, security)
    return mailbox


def _tls_context(
    verify_tls: bool, ssl_context: ssl.SSLContext | None, ca_file: str | None
) -> ssl.SSLContext:
    if ssl_context is not None:
        return ssl_context
    # Always our own context: imaplib's default one does not verify certificates at all.
    context = ssl.create_default_context(cafile=ca_file)
    if not verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _raise_classified(
    exc: BaseException, where: str, timeout: float, security: str, *, connecting: bool
) -> NoReturn:
    """Turn a low-level failure into a MailboxError (never with a password in it)."""
    if isinstance(exc, MailboxError):
        raise exc
    if isinstance(exc, TimeoutError | socket.timeout):
        hint = ""
        if connecting and security != "ssl":
            hint = " (if this port expects TLS from the start, choose SSL)"
        raise MailboxError(
            "timeout", f"{where} did not answer within {timeout:g} seconds{hint}."
        ) from exc
    if isinstance(exc, ssl.SSLCertVerificationError):
        reason = exc.verify_message or exc.reason or "verification failed"
        raise MailboxError(
            "tls", f"The certificate of {where} could not be verified: {reason}."
        ) from exc
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or str(exc)
        hint = ""
        if reason == "WRONG_VERSION_NUMBER":
            hint = " The server did not answer with TLS: is this port for STARTTLS or plain?"
        raise MailboxError(
            "tls", f"The secure connection to {where} failed ({reason}).{hint}"
        ) from exc
    if isinstance(exc, socket.gaierror):
        raise MailboxError(
            "unreachable", f"Could not find the mail server {where.rsplit(':', 1)[0]}."
        ) from exc
    if isinstance(exc, ConnectionRefusedError):
        raise MailboxError("unreachable", f"Could not reach {where}: connection refused.") from exc
    if isinstance(exc, imaplib.IMAP4.abort | ConnectionError | EOFError):
        raise MailboxError(
            "protocol", f"The connection to {where} was closed unexpectedly."
        ) from exc
    if isinstance(exc, OSError) and connecting:
        reason = {
            errno.ENETUNREACH: "network unreachable",
            errno.EHOSTUNREACH: "no route to host",
        }.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        raise MailboxError("unreachable", f"Could not reach {where}: {reason}.") from exc
    if isinstance(exc, imaplib.IMAP4.error):
        raise MailboxError("protocol", f"{where} answered: {_words(exc)}") from exc
    raise MailboxError("protocol", f"Talking to {where} failed ({type(exc).__name__}).") from exc


def _words(exc: BaseException, *secrets: str) -> str:
    """The server's own words from an imaplib error, with any secret blanked out."""
    arg = exc.args[0] if exc.args else ""
    text = arg.decode("utf-8", "replace") if isinstance(arg, bytes) else str(arg)
    return _redact(text.strip(), *secrets) or "no reason given"


def _redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            for form in {secret, secret.replace("\\", "\\\\").replace('"', '\\"')}:
                text = text.replace(form, "********")
    return text


# --------------------------------------------------------------------------- the mailbox


class Mailbox:
    """A logged-in, read-only IMAP session. Make one with :func:`connect`."""

    def __init__(self, imap: imaplib.IMAP4, *, host: str, port: int, timeout: float) -> None:
        self._imap = imap
        self.host = host
        self.port = port
        self.timeout = timeout
        self._where = f"{host}:{port}"
        self._closed = False
        self._capabilities = frozenset(c.upper() for c in imap.capabilities)
        self._esearch = False

    # -- context manager ------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def capabilities(self) -> frozenset[str]:
        """The server's capabilities after login (upper-case)."""
        return self._capabilities

    def close(self) -> None:
        """Log out and close the socket; safe to call twice, never raises."""
        if self._closed:
            return
        self._closed = True
        # Logging out of a broken connection: nothing is left to do about it.
        with contextlib.suppress(Exception):
            self._imap.logout()
        with contextlib.suppress(Exception):
            self._imap.shutdown()

    # -- session set-up ---------------------------------------------------------------------

    def _starttls(self, context: ssl.SSLContext | None) -> None:
        if "STARTTLS" not in self._capabilities:
            raise MailboxError("tls", f"{self._where} does not offer STARTTLS.")
        with self._talking(connecting=True):
            self._imap.starttls(context)
            self._capabilities = frozenset(c.upper() for c in self._imap.capabilities)

    def _login(self, username: str, password: str) -> None:
        if "LOGINDISABLED" in self._capabilities:
            raise MailboxError(
                "auth",
                f"{self._where} does not accept a password without encryption: "
                "choose SSL or STARTTLS.",
            )
        try:
            if (not (username + password).isascii()) and "AUTH=PLAIN" in self._capabilities:
                credentials = f"\0{username}\0{password}".encode()
                self._imap.authenticate("PLAIN", lambda _challenge: credentials)
            else:
                self._imap.login(username, password)
        except imaplib.IMAP4.abort as exc:
            _raise_classified(exc, self._where, self.timeout, "", connecting=False)
        except imaplib.IMAP4.error as exc:
            words = _words(exc, password)
            raise MailboxError(
                "auth", f"{self.host} refused the login for {username}: {words}"
            ) from None
        except Exception as exc:
            _raise_classified(exc, self._where, self.timeout, "", connecting=False)
        with self._talking():
            typ, data = self._imap.capability()
        if typ == "OK" and data and isinstance(data[0], bytes):
            self._capabilities = frozenset(data[0].decode("ascii", "replace").upper().split())
        self._esearch = "ESEARCH" in self._capabilities

    # -- folders ------------------------------------------------------------------------------

    def folders(self) -> list[Folder]:
        """All folders, with SPECIAL-USE flags when the server supports RFC 6154."""
        pattern = '"*"'
        if {"SPECIAL-USE", "LIST-EXTENDED"} <= self._capabilities:
            pattern = '"*" RETURN (SPECIAL-USE)'
        with self._talking():
            typ, data = self._imap.list('""', pattern)
        self._check(typ, data, "list the folders")
        return [folder for folder in _parse_list(data) if folder is not None]

    def sent_folder(self) -> Folder | None:
        """The Sent folder: SPECIAL-USE ``\\Sent`` first, then the usual names."""
        return find_sent_folder(self.folders())

    def folder_status(self, name: str) -> FolderStatus:
        """UIDVALIDITY, UIDNEXT and the number of messages, without opening the folder."""
        with self._talking():
            typ, data = self._imap.status(_quoted(name), "(UIDVALIDITY UIDNEXT MESSAGES)")
        self._check(typ, data, f"read the folder {name!r}", folder=name)
        text = b" ".join(d for d in data if isinstance(d, bytes)).decode("ascii", "replace")
        numbers = {k.upper(): int(v) for k, v in re.findall(r"([A-Za-z]+) (\d+)", text)}
        try:
            return FolderStatus(numbers["UIDVALIDITY"], numbers["UIDNEXT"], numbers["MESSAGES"])
        except KeyError:
            raise MailboxError(
                "protocol", f"{self._where} gave an incomplete status for {name!r}."
            ) from None

    # -- messages -----------------------------------------------------------------------------

    def fetch_since(
        self,
        folder: str,
        after_uid: int | None = None,
        since_date: date | None = None,
        batch: int = DEFAULT_BATCH,
        *,
        max_batch_bytes: int = DEFAULT_MAX_BATCH_BYTES,
    ) -> Iterator[list[FetchedMessage]]:
        """Messages with a UID above ``after_uid`` whose INTERNALDATE is on or after
        ``since_date`` (as IMAP SINCE: the server's date, ignoring the time), in ascending UID
        order, in batches of at most ``batch`` messages and ``max_batch_bytes`` bytes (a
        single bigger message comes alone).

        The folder is opened read-only (EXAMINE); the UIDs that exist are found with ESEARCH
        MIN where the server has it, else by stepping through UID ranges up to UIDNEXT.
        Messages arriving during the iteration are left for the next sync. A missing
        folder raises :class:`MailboxError` here, before the first batch.
        """
        if batch < 1 or max_batch_bytes < 1:
            raise ValueError("batch and max_batch_bytes must be at least 1")
        uidnext = self._examine(folder)  # here, so that a missing folder raises at once
        return self._batches(uidnext, after_uid, since_date, batch, max_batch_bytes)

    def _batches(
        self,
        uidnext: int,
        after_uid: int | None,
        since_date: date | None,
        batch: int,
        max_batch_bytes: int,
    ) -> Iterator[list[FetchedMessage]]:
        cursor = max(1, (after_uid or 0) + 1)
        while cursor < uidnext:
            first = self._next_uid(cursor, since_date) if self._esearch else cursor
            if first is None or first >= uidnext:
                return
            last = min(first + batch - 1, uidnext - 1)
            wanted = [
                (uid, size)
                for uid, size, moment in self._sizes(first, last)
                if since_date is None or moment.date() >= since_date
            ]
            for group in _by_bytes(wanted, max_batch_bytes):
                messages = self._bodies(group)
                if messages:
                    yield messages
            cursor = last + 1

    def _examine(self, folder: str) -> int:
        """Open ``folder`` read-only; returns UIDNEXT."""
        with self._talking():
            typ, data = self._imap.select(_quoted(folder), readonly=True)
        self._check(typ, data, f"open the folder {folder!r}", folder=folder)
        with self._talking():
            _, uidnext = self._imap.response("UIDNEXT")
        if uidnext and isinstance(uidnext[0], bytes) and uidnext[0].isdigit():
            return int(uidnext[0])
        # No UIDNEXT (not RFC 3501 compliant): one more than the highest UID there is.
        with self._talking():
            typ, last = self._imap.fetch("*", "(UID)")
        first_item = last[0] if typ == "OK" and last else None
        found = _UID.search(first_item) if isinstance(first_item, bytes) else None
        return int(found.group(1)) + 1 if found else 1

    def _next_uid(self, cursor: int, since_date: date | None) -> int | None:
        criteria = ["RETURN", "(MIN)", "UID", f"{cursor}:*"]
        if since_date is not None:
            criteria += ["SINCE", _imap_date(since_date)]
        with self._talking():
            typ, data = self._imap.uid("SEARCH", *criteria)
            self._check(typ, data, "search the folder")
            _, esearch = self._imap.response("ESEARCH")
        text = b" ".join(d for d in esearch if isinstance(d, bytes))
        found = re.search(rb"\bMIN (\d+)", text)
        # "n:*" also matches the highest UID when it is below n: not a new message then
        return int(found.group(1)) if found and int(found.group(1)) >= cursor else None

    def _sizes(self, first: int, last: int) -> list[tuple[int, int, datetime]]:
        with self._talking():
            typ, data = self._imap.uid("FETCH", f"{first}:{last}", "(UID RFC822.SIZE INTERNALDATE)")
        self._check(typ, data, "read the message sizes")
        found: dict[int, tuple[int, int, datetime]] = {}
        for item in data:
            if not isinstance(item, bytes):
                continue
            uid, size, moment = _UID.search(item), _SIZE.search(item), _INTERNALDATE.search(item)
            if uid and size and moment and first <= int(uid.group(1)) <= last:
                when = _internal_date(moment.group(1))
                if when is not None:
                    found[int(uid.group(1))] = (int(uid.group(1)), int(size.group(1)), when)
        return [found[uid] for uid in sorted(found)]

    def _bodies(self, group: list[tuple[int, int]]) -> list[FetchedMessage]:
        uids = {uid for uid, _ in group}
        with self._talking():
            typ, data = self._imap.uid(
                "FETCH", _uid_set(sorted(uids)), "(UID INTERNALDATE FLAGS BODY.PEEK[])"
            )
        self._check(typ, data, "fetch the messages")
        messages = {m.uid: m for m in _parse_fetch(data) if m.uid in uids}
        return [messages[uid] for uid in sorted(messages)]

    # -- plumbing -----------------------------------------------------------------------------

    def _talking(self, *, connecting: bool = False) -> _Talking:
        if self._closed:
            raise MailboxError("protocol", f"The connection to {self._where} is closed.")
        return _Talking(self, connecting)

    def _check(self, typ: str, data: Any, doing: str, *, folder: str | None = None) -> None:
        if typ == "OK":
            return
        words = b" ".join(d for d in (data or []) if isinstance(d, bytes)).decode(
            "utf-8", "replace"
        )
        if folder is not None and _MISSING.search(words):
            raise MailboxError(
                "folder_missing", f"The folder {folder!r} does not exist on {self.host}."
            )
        raise MailboxError(
            "protocol", f"{self.host} would not {doing}: {words or 'no reason given'}"
        )


class _Talking:
    """Context manager: low-level errors during a command become MailboxErrors."""

    def __init__(self, mailbox: Mailbox, connecting: bool) -> None:
        self.mailbox = mailbox
        self.connecting = connecting

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None or isinstance(exc, MailboxError | GeneratorExit):
            return
        if isinstance(exc, Exception):
            m = self.mailbox
            _raise_classified(exc, m._where, m.timeout, "", connecting=self.connecting)


_MISSING = re.compile(
    r"\[NONEXISTENT\]|doesn't exist|does not exist|not exist|no such|unknown mailbox|not found",
    re.I,
)
_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_INTERNALDATE = re.compile(rb'\bINTERNALDATE "([^"]+)"')
_FLAGS = re.compile(rb"\bFLAGS \(([^)]*)\)")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_INTERNALDATE_PARTS = re.compile(
    r"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})"
)


def _internal_date(value: bytes) -> datetime | None:
    """INTERNALDATE ("14-Mar-2025 17:30:00 +0100") in the server's own offset."""
    match = _INTERNALDATE_PARTS.match(value.decode("ascii", "replace"))
    if not match or match.group(2).title() not in _MONTHS:
        return None
    day, month, year, hh, mm, ss, sign, oh, om = match.groups()
    offset = timedelta(hours=int(oh), minutes=int(om)) * (-1 if sign == "-" else 1)
    try:
        return datetime(
            int(year),
            _MONTHS.index(month.title()) + 1,
            int(day),
            int(hh),
            int(mm),
            int(ss),
            tzinfo=timezone(offset),
        )
    except ValueError:
        return None


def _imap_date(day: date) -> str:
    return f"{day.day}-{_MONTHS[day.month - 1]}-{day.year}"


def _uid_set(uids: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] -> "1:3,7,9:10"."""
    parts: list[str] = []
    start = prev = uids[0]
    for uid in uids[1:] + [0]:
        if uid == prev + 1:
            prev = uid
            continue
        parts.append(f"{start}:{prev}" if prev != start else str(start))
        start = prev = uid
    return ",".join(parts)


def _by_bytes(items: list[tuple[int, int]], budget: int) -> Iterator[list[tuple[int, int]]]:
    group: list[tuple[int, int]] = []
    total = 0
    for uid, size in items:
        if group and total + size > budget:
            yield group
            group, total = [], 0
        group.append((uid, size))
        total += size
    if group:
        yield group


def _parse_fetch(data: list[Any]) -> Iterator[FetchedMessage]:
    """FETCH responses as imaplib returns them: (meta, literal) tuples, each followed by the
    rest of its line (b")" or b" FLAGS (...))" when the server put items after the body)."""
    i = 0
    while i < len(data):
        item = data[i]
        i += 1
        if not isinstance(item, tuple) or len(item) != 2:
            continue
        meta, body = item
        if i < len(data) and isinstance(data[i], bytes):
            meta = meta + b" " + data[i]
            i += 1
        uid, moment = _UID.search(meta), _INTERNALDATE.search(meta)
        when = _internal_date(moment.group(1)) if moment else None
        if uid is None or when is None or not isinstance(body, bytes):
            continue
        flags = _FLAGS.search(meta)
        yield FetchedMessage(
            uid=int(uid.group(1)),
            internal_date=when.astimezone(UTC),
            raw=body,
            flags=frozenset(flags.group(1).decode("ascii", "replace").split())
            if flags
            else frozenset(),
        )


_LIST_LINE = re.compile(
    rb'^\((?P<flags>[^)]*)\)\s+(?P<delim>"(?:[^"\\]|\\.)*"|NIL)\s*(?P<name>.*)$', re.I
)


def _parse_list(data: list[Any]) -> Iterator[Folder | None]:
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:  # the name came as a literal
            line, literal = item
            match = _LIST_LINE.match(line)
            raw_name = literal.decode("utf-8", "replace") if isinstance(literal, bytes) else ""
        elif isinstance(item, bytes):
            match = _LIST_LINE.match(item)
            raw_name = _unquote(match.group("name").decode("utf-8", "replace")) if match else ""
        else:
            continue
        if match is None or not raw_name:
            yield None
            continue
        delim = match.group("delim").decode("ascii", "replace")
        yield Folder(
            name=decode_mailbox_name(raw_name),
            raw_name=raw_name,
            delimiter=None if delim.upper() == "NIL" else _unquote(delim),
            flags=frozenset(match.group("flags").decode("ascii", "replace").split()),
        )


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _quoted(name: str) -> str:
    """A folder name as an IMAP quoted string (modified UTF-7 inside)."""
    encoded = encode_mailbox_name(name)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def find_sent_folder(folders: list[Folder]) -> Folder | None:
    """The Sent folder among ``folders``: SPECIAL-USE ``\\Sent``, else a usual name."""
    usable = [f for f in folders if f.selectable]
    for folder in usable:
        if "\\sent" in {flag.lower() for flag in folder.flags}:
            return folder
    by_name = {f.name.lower(): f for f in usable}
    for candidate in SENT_FOLDER_NAMES:
        if candidate.lower() in by_name:
            return by_name[candidate.lower()]
    leaves = {n.lower() for n in SENT_FOLDER_NAMES if "/" not in n and "." not in n}
    for folder in usable:
        leaf = folder.name.rsplit(folder.delimiter, 1)[-1] if folder.delimiter else folder.name
        if leaf.lower() in leaves:
            return folder
    return None


def decode_mailbox_name(name: str) -> str:
    """IMAP's modified UTF-7 (RFC 3501 5.1.3) to text; undecodable parts stay as they are."""

    def decode(match: re.Match[str]) -> str:
        chunk = match.group(1)
        if not chunk:
            return "&"
        try:
            data = base64.b64decode(chunk.replace(",", "/") + "=" * (-len(chunk) % 4))
            return data.decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)

    return re.sub(r"&([A-Za-z0-9+,]*)-", decode, name)


def encode_mailbox_name(name: str) -> str:
    """Text to IMAP's modified UTF-7."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            data = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii")
            out.append("&" + data.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)
