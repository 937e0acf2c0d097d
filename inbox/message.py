"""One raw email message in, everything the interaction log needs out.

Both ways mail reaches Rapport end here: the IMAP sync (:mod:`inbox.imap`) hands over each
fetched message's bytes with its server-side INTERNALDATE, and the forwarding-address receiver
(:mod:`inbox.receiver`) hands over what it accepted. Either calls::

    parsed = parse_message(raw, internal_date=fetched.internal_date, now=timezone.now())

and gets a frozen :class:`ParsedMessage`:

- ``key``: a stable identity for de-duplication (the same message seen in Inbox and Sent, or
  fetched twice, gives the same key), see :func:`message_key`.
- ``in_reply_to``/``references``: thread ids, in the same form as ``message_id``.
- ``from_address``, ``to``, ``cc``, ``reply_to``: lower-cased addresses with decoded names.
- ``date`` (aware, UTC) and ``date_source``: which clock it came from.
- ``text`` (the whole readable body), ``new_text`` (quoted history and signature removed) and
  ``summary`` (short, link-free) for the log.
- ``attachments`` (names and sizes only), ``automated`` (why this is not a person writing, or
  None), ``is_acknowledgement`` (a bare "thanks": no reply needed) and ``forwarded`` (the
  original of a message forwarded to the logging address).

Bad input never crashes the caller's loop: anything that cannot be read as a message at all
raises :class:`MessageError` (count it and go on); everything else degrades (unknown charsets
become U+FFFD, unusable dates fall back, garbage addresses are dropped) and is noted in
``defects``. No exception message ever contains the message's body.
"""

from __future__ import annotations

import binascii
import email
import email.utils
import hashlib
import html
import quopri
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.message import Message
from email.policy import Compat32
from enum import StrEnum
from html.parser import HTMLParser
from typing import Literal

from mailparser_reply.parser import EmailMessage as _ReplyParser  # type: ignore[import-untyped]

__all__ = [
    "DEFAULT_SUMMARY_LENGTH",
    "Address",
    "Attachment",
    "DateSource",
    "ForwardedMessage",
    "MessageError",
    "ParsedMessage",
    "decode_bytes",
    "decode_header_value",
    "html_to_text",
    "is_acknowledgement",
    "message_key",
    "new_text_of",
    "normalise_message_id",
    "parse_message",
    "parse_printed_date",
    "summarise",
    "unwrap_forwarded",
]

DEFAULT_SUMMARY_LENGTH = 500
#: A Date header further ahead of ``now`` than this is a wrong clock, not a date to trust.
MAX_FUTURE_SKEW = timedelta(days=1)
#: Hash keys (no Message-ID) read this much of the normalised body text.
KEY_BODY_CHARS = 1000
#: Only this much of a body goes through the reply parser (new text is at the top anyway).
REPLY_PARSE_LIMIT = 32_000
#: Longer lines are wrapped (at spaces) before the reply parser: its header patterns take
#: time growing with the square of a line's length or worse on hostile input ("On On On…").
REPLY_LINE_LIMIT = 300
#: Forwarded messages inside forwarded messages are unwrapped this deep, no deeper.
MAX_NESTING = 3
#: Reply-header languages the reply parser looks for ("On … wrote:", "Am … schrieb …:", …).
REPLY_LANGUAGES = ("en", "de", "fr", "es", "it", "nl")


class MessageError(ValueError):
    """The input cannot be read as an email message at all (empty, no header fields...).

    The sync catches it and counts the message as unreadable. ``reason`` is a short
    machine-friendly code; ``str(error)`` is plain English and never contains the body.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: ``email`` is lower-cased and never empty, ``name`` is decoded (or "")."""

    email: str
    name: str = ""

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


class DateSource(StrEnum):
    """Where :attr:`ParsedMessage.date` came from."""

    HEADER = "header"  # the Date: header
    INTERNAL = "internal"  # the server's INTERNALDATE (header missing, unparseable or future)
    NOW = "now"  # neither was usable


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attached file: decoded name ("" when it has none), MIME type, decoded size in bytes."""

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class ForwardedMessage:
    """The original of a message forwarded to the logging address, as far as it can be known.

    ``source="attachment"`` (a message/rfc822 part): everything is recovered, including the
    original ``message_id`` and ``key``, its thread ids, the exact date, all recipients, its
    attachments and whether it was ``automated``.

    ``source="inline"`` (a "---------- Forwarded message ---------" or "Begin forwarded
    message:" block in the text): only what the forwarding mail client printed. There is no
    Message-ID (``message_id``/``key`` are None); the date is as printed, usually without a
    time zone, and then read in the forwarding message's own Date offset (mail clients print
    it in the forwarder's local time), or None if it could not be read; ``from_address`` is
    None when the client printed a name without an address (``from_text`` keeps what was
    printed); attachments of the original are not recoverable; quoting ("> ") added by the
    client is removed.
    """

    source: Literal["attachment", "inline"]
    from_address: Address | None
    from_text: str
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    subject: str
    text: str
    new_text: str
    message_id: str | None = None
    key: str | None = None
    in_reply_to: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    automated: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedMessage:
    """Everything the interaction log needs from one message. See the module docstring."""

    key: str
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: Address | None
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str
    date: datetime
    date_source: DateSource
    text: str
    new_text: str
    summary: str
    attachments: tuple[Attachment, ...]
    automated: str | None
    is_acknowledgement: bool
    forwarded: ForwardedMessage | None
    defects: tuple[str, ...] = field(default=())

    @property
    def recipients(self) -> tuple[Address, ...]:
        """To and Cc together, in order, without repeats."""
        return _unique(self.to + self.cc)


# --------------------------------------------------------------------------- entry points


def parse_message(
    raw: bytes,
    *,
    internal_date: datetime | None = None,
    now: datetime,
    summary_length: int = DEFAULT_SUMMARY_LENGTH,
) -> ParsedMessage:
    """Parse one RFC 5322 message (bytes as fetched or received).

    ``internal_date`` is the server's INTERNALDATE, the fallback when the Date header is
    missing, unparseable or more than a day after ``now``. Naive datetimes are taken as UTC.
    Raises :class:`MessageError` (only) when there is no message to speak of.
    """
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MessageError("not_bytes", f"expected the message as bytes, got {type(raw).__name__}")
    data = bytes(raw)
    try:
        return _parse(data, internal_date, _aware(now), summary_length, depth=0)
    except MessageError:
        raise
    except Exception as exc:  # the contract: one catchable type, whatever the input
        raise MessageError(
            "unreadable", f"the message could not be read ({type(exc).__name__})"
        ) from None


def unwrap_forwarded(
    message: ParsedMessage | bytes, *, now: datetime | None = None
) -> ForwardedMessage | None:
    """The original inside a forwarded message, or None when it is not a forward.

    Accepts a :class:`ParsedMessage` (returns its ``forwarded``) or raw bytes (parsed first;
    may raise :class:`MessageError`). See :class:`ForwardedMessage` for what is recoverable.
    """
    if isinstance(message, ParsedMessage):
        return message.forwarded
    return parse_message(message, now=now or datetime.now(UTC)).forwarded


# --------------------------------------------------------------------------- parsing


class _RawHeaders(Compat32):
    """compat32, but header values come back exactly as stored (str, 8-bit bytes escaped)."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        return value


_POLICY = _RawHeaders()


def _parse(
    data: bytes,
    internal_date: datetime | None,
    now: datetime,
    summary_length: int,
    depth: int,
) -> ParsedMessage:
    if not data.strip():
        raise MessageError("empty", "the message is empty")
    msg = email.message_from_bytes(data, policy=_POLICY)
    if not msg.keys():
        raise MessageError("no_headers", "the message has no header fields")

    defects: list[str] = []
    headers = _Headers(msg)

    message_id = normalise_message_id(headers.get("Message-ID"))
    in_reply_to = tuple(_message_ids(headers.get("In-Reply-To")))
    references = tuple(_message_ids(headers.get("References")))
    from_list = _addresses(headers.get("From"))
    to = _addresses(headers.get_all("To"))
    cc = _addresses(headers.get_all("Cc"))
    reply_to = _addresses(headers.get("Reply-To"))
    subject = _collapse(decode_header_value(headers.get("Subject") or "", defects))

    header_date = _header_date(headers.get("Date"))
    if headers.get("Date") is not None and header_date is None:
        defects.append("the Date header could not be read")
    date, date_source = _choose_date(header_date, internal_date, now)

    body = _Body(defects)
    body.walk(msg, depth)
    text = _tidy(body.text())
    new_text = new_text_of(text)

    forwarded = _forwarded(
        body, text, subject, _header_date(headers.get("Date"), keep_zone=True), now, depth
    )
    key = message_id or message_key(from_list, to, cc, headers.get("Date") or "", subject, text)
    automated = _automated_reason(headers, msg)
    return ParsedMessage(
        key=key,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=references,
        from_address=from_list[0] if from_list else None,
        to=to,
        cc=cc,
        reply_to=reply_to,
        subject=subject,
        date=date,
        date_source=date_source,
        text=text,
        new_text=new_text,
        summary=summarise(subject, new_text or text, summary_length),
        attachments=tuple(body.attachments),
        automated=automated,
        is_acknowledgement=automated is None and is_acknowledgement(new_text),
        forwarded=forwarded,
        defects=tuple(dict.fromkeys(defects)),
    )


class _Headers:
    """Header access on a compat32 message: unfolded, 8-bit bytes read as UTF-8."""

    def __init__(self, msg: Message) -> None:
        self._msg = msg

    def get(self, name: str) -> str | None:
        value = self._msg.get(name)
        return None if value is None else _unfold(str(value))

    def get_all(self, name: str) -> str | None:
        values = self._msg.get_all(name)
        return None if not values else ", ".join(_unfold(str(v)) for v in values)


def _unfold(value: str) -> str:
    value = re.sub(r"\r?\n(?=[ \t])", "", value).strip()
    # 8-bit header bytes arrive as surrogate escapes; they are UTF-8 in practice.
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# --------------------------------------------------------------------------- charsets

_CHARSET_ALIASES = {
    "us-ascii": "utf-8",  # 8-bit text labelled ASCII is UTF-8 far more often than not
    "ascii": "utf-8",
    "iso-8859-1": "windows-1252",  # as browsers do: a superset for the printable range
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "iso-8859-8-i": "iso-8859-8",
    "unknown-8bit": "utf-8",
}


def decode_bytes(data: bytes, charset: str | None, defects: list[str] | None = None) -> str:
    """Decode ``data`` in the declared ``charset``; never raises.

    A missing, unknown or unusable charset decodes as UTF-8, so undecodable bytes become
    U+FFFD replacement characters (noted in ``defects``).
    """
    name = (charset or "utf-8").strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        "".encode(name)  # a text encoding at all? (rejects base64, rot13, zlib…)
        return data.decode(name, "replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        if defects is not None:
            defects.append(f"unknown charset {name[:40]!r}, read as UTF-8")
        return data.decode("utf-8", "replace")


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([qQbB])\?([^?\s]*)\?=")


def decode_header_value(value: str, defects: list[str] | None = None) -> str:
    """Decode RFC 2047 encoded words (any charset; unknown -> U+FFFD); never raises.

    Whitespace between two adjacent encoded words is dropped, as RFC 2047 says.
    """
    out: list[str] = []
    pos = 0
    after_word = False
    for match in _ENCODED_WORD.finditer(value):
        between = value[pos : match.start()]
        if not (after_word and not between.strip()):
            out.append(between)
        charset, encoding, payload = match.groups()
        out.append(_decode_word(charset.split("*")[0], encoding.lower(), payload, defects))
        pos = match.end()
        after_word = True
    out.append(value[pos:])
    return "".join(out)


def _decode_word(charset: str, encoding: str, payload: str, defects: list[str] | None) -> str:
    try:
        if encoding == "q":
            raw = quopri.decodestring(payload.replace("_", " ").encode("ascii", "replace"))
        else:
            raw = binascii.a2b_base64(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        if defects is not None:
            defects.append("an encoded header word could not be decoded")
        return "\ufffd"
    return decode_bytes(raw, charset, defects)


# --------------------------------------------------------------------------- ids, addresses

_ANGLE_ID = re.compile(r"<([^<>]*)>")


def normalise_message_id(value: str | None) -> str | None:
    """A Message-ID without angle brackets or whitespace ("abc@example.com"), or None.

    This is the one form used for ``message_id``, ``in_reply_to``, ``references`` and keys.
    """
    if value is None:
        return None
    match = _ANGLE_ID.search(value)
    candidate = match.group(1) if match else value
    candidate = re.sub(r"\s+", "", candidate)
    return candidate or None


def _message_ids(value: str | None) -> Iterator[str]:
    if not value:
        return
    found = [re.sub(r"\s+", "", m) for m in _ANGLE_ID.findall(value)]
    if not found:  # no brackets at all: whitespace-separated ids
        found = value.split()
    yield from (i for i in dict.fromkeys(found) if i)


_LOCAL = r"[\w.!#$%&'*+/=?^`{|}~-]+"
_DOMAIN = r"[\w-]+(?:\.[\w-]+)*"
_ADDR_SPEC = re.compile(rf"^{_LOCAL}@{_DOMAIN}$")


def _valid_email(candidate: str) -> bool:
    local = candidate.partition("@")[0]
    return (
        bool(_ADDR_SPEC.match(candidate))
        and not local.startswith(".")
        and not local.endswith(".")
        and ".." not in local
    )


def _addresses(value: str | None) -> tuple[Address, ...]:
    """Parse an address-list header; garbage entries are dropped, repeats removed."""
    if not value:
        return ()
    result: list[Address] = []
    for name, addr in email.utils.getaddresses([value]):
        addr = addr.strip().lower()
        if not _valid_email(addr):
            continue
        decoded = _collapse(decode_header_value(name))
        if len(decoded) >= 2 and decoded[0] == decoded[-1] and decoded[0] in "'\"":
            decoded = decoded[1:-1].strip()
        result.append(Address(addr, "" if decoded.lower() == addr else decoded))
    return _unique(result)


def _unique(addresses: Iterable[Address]) -> tuple[Address, ...]:
    seen: dict[str, Address] = {}
    for address in addresses:
        seen.setdefault(address.email, address)
    return tuple(seen.values())


# --------------------------------------------------------------------------- dates


def _header_date(value: str | None, *, keep_zone: bool = False) -> datetime | None:
    """A Date header as an aware datetime (in UTC unless ``keep_zone``), or None."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # "-0000": UTC, origin unknown
            return parsed.replace(tzinfo=UTC)
        return parsed if keep_zone else parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _choose_date(
    header: datetime | None, internal: datetime | None, now: datetime
) -> tuple[datetime, DateSource]:
    if header is not None and header <= now + MAX_FUTURE_SKEW:
        return header, DateSource.HEADER
    if internal is not None:
        return _aware(internal), DateSource.INTERNAL
    return now, DateSource.NOW


# --------------------------------------------------------------------------- key


def message_key(
    from_: Iterable[Address],
    to: Iterable[Address],
    cc: Iterable[Address],
    date_header: str,
    subject: str,
    text: str,
) -> str:
    """The key of a message without a Message-ID: ``"sha256:" + 64 hex digits``.

    Built from what survives a trip through another folder or server: the addresses (From,
    To, Cc, lower-cased), the Date header (as a UTC instant when readable), the decoded
    subject and the first :data:`KEY_BODY_CHARS` characters of the decoded body, each with
    whitespace collapsed. Header order, folding, line endings and transfer encodings do not
    change it. Keys from Message-IDs never start with "sha256:" followed by hex only.
    """
    instant = _header_date(date_header)
    parts = [
        ",".join(a.email for a in from_),
        ",".join(a.email for a in to),
        ",".join(a.email for a in cc),
        instant.isoformat() if instant else _collapse(date_header),
        _collapse(subject),
        _collapse(text.replace("\ufeff", ""))[:KEY_BODY_CHARS],
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "replace")).hexdigest()
    return f"sha256:{digest}"


# --------------------------------------------------------------------------- body


class _Body:
    """Walks the MIME tree: readable text parts, attachments, forwarded messages."""

    def __init__(self, defects: list[str]) -> None:
        self.defects = defects
        self.texts: list[str] = []
        self.attachments: list[Attachment] = []
        self.forwarded: list[Message] = []

    def text(self) -> str:
        return "\n\n".join(t for t in self.texts if t.strip())

    def walk(self, part: Message, depth: int) -> None:
        try:
            self._walk(part, depth)
        except RecursionError:
            self.defects.append("the MIME structure is nested too deeply")

    def _walk(self, part: Message, depth: int) -> None:
        ctype = part.get_content_type()
        if ctype == "message/rfc822":
            self._message_part(part)
            return
        if ctype in ("message/delivery-status", "text/rfc822-headers"):
            return  # machine-readable parts of a delivery report
        if part.is_multipart():
            children = [c for c in (part.get_payload() or []) if isinstance(c, Message)]
            if ctype == "multipart/alternative":
                best = _best_alternative(children)
                if best is not None:
                    self._walk(best, depth)
                return
            for child in children:
                self._walk(child, depth)
            return
        if _is_attachment(part):
            self.attachments.append(self._attachment(part))
            return
        if ctype == "text/html":
            self.texts.append(html_to_text(self._decoded(part)))
        elif ctype == "text/plain" or part.get_content_maintype() == "multipart":
            # (a multipart without a usable boundary is read as the text it is)
            self.texts.append(self._decoded(part))
        else:
            self.attachments.append(self._attachment(part))

    def _decoded(self, part: Message) -> str:
        payload = part.get_payload(decode=True)
        if not isinstance(payload, bytes):
            return ""
        return decode_bytes(payload, part.get_content_charset(), self.defects)

    def _attachment(self, part: Message) -> Attachment:
        payload = part.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
        return Attachment(_filename(part, self.defects), part.get_content_type(), size)

    def _message_part(self, part: Message) -> None:
        inner = part.get_payload()
        inner_msg = inner[0] if isinstance(inner, list) and inner else None
        size = 0
        if isinstance(inner_msg, Message):
            self.forwarded.append(inner_msg)
            try:
                size = len(inner_msg.as_bytes())
            except Exception:  # sizing is best effort
                size = 0
        name = _filename(part, self.defects)
        if not name and isinstance(inner_msg, Message):
            subject = _collapse(decode_header_value(_unfold(str(inner_msg.get("Subject", "")))))
            name = f"{subject or 'message'}.eml"
        self.attachments.append(Attachment(name, "message/rfc822", size))


def _best_alternative(children: list[Message]) -> Message | None:
    by_type: dict[str, Message] = {}
    for child in children:
        by_type.setdefault(child.get_content_type(), child)
    for wanted in ("text/plain", "text/html"):
        candidate = by_type.get(wanted)
        if candidate is not None and not _is_attachment(candidate):
            payload = candidate.get_payload(decode=True)
            if isinstance(payload, bytes) and payload.strip():
                return candidate
    multiparts = [c for c in children if c.is_multipart()]
    if multiparts:
        return multiparts[0]
    return children[-1] if children else None


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if disposition == "attachment":
        return True
    named = part.get_param("filename", header="content-disposition") or part.get_param("name")
    return bool(named)


def _filename(part: Message, defects: list[str]) -> str:
    try:
        name = part.get_filename()  # handles RFC 2231 (filename*=utf-8''…)
    except Exception:
        name = None
    if name is None:
        return ""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return _collapse(decode_header_value(name, defects))  # RFC 2047 in names: common, not legal


# --------------------------------------------------------------------------- HTML


class _HTMLText(HTMLParser):
    """Readable text from HTML: blocks become lines, <blockquote> becomes "> " quoting."""

    # fmt: off
    BLOCK = frozenset({
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "ul",
    })
    # fmt: on
    SKIP = frozenset(("script", "style", "head", "title", "template", "noscript"))

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, list[str]]] = [(0, [])]
        self.quote = 0
        self.skip = 0
        self.pre = 0

    def _break(self) -> None:
        if self.lines[-1][1]:
            self.lines.append((self.quote, []))
        else:
            self.lines[-1] = (self.quote, [])

    def _blank(self) -> None:
        self._break()
        self.lines.append((self.quote, []))
        self.lines.append((self.quote, []))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
            self._break()
        elif tag == "pre":
            self.pre += 1
            self._break()
        elif tag == "p":
            self._blank()
        elif tag == "li":
            self._break()
            self.lines[-1][1].append("- ")
        elif tag in self.BLOCK:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.quote = max(0, self.quote - 1)
            self._break()
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._break()
        elif tag == "p":
            self._blank()
        elif tag in self.BLOCK:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self._break()

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.lines[-1][1].append(first)
            for line in rest:
                self.lines.append((self.quote, [line]))
            return
        self.lines[-1][1].append(re.sub(r"\s+", " ", data))

    def text(self) -> str:
        out: list[str] = []
        for depth, chunks in self.lines:
            line = "".join(chunks).strip()
            out.append(("> " * depth + line).rstrip() if line else ">" * depth)
        return "\n".join(out)


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML body (stdlib html.parser; never raises)."""
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # html.parser is lenient; this is belt and braces
        return _tidy(re.sub(r"<[^>]*>", " ", html.unescape(markup)))
    return _tidy(parser.text())


# --------------------------------------------------------------------------- new text

_SENT_FROM = re.compile(r"^(?:sent from my\b|sent from outlook\b|get outlook for\b)", re.I)
_SIGN_OFF = re.compile(
    r"^(?:(?:best|kind|warm|warmest|many|with)\s+(?:regards|wishes|thanks)|regards|best|"
    r"cheers|thanks|thank you|many thanks|thanks again|all the best|sincerely|"
    r"yours(?: sincerely| truly)?|talk soon|speak soon|take care|ta|"
    r"mit freundlichen grüßen|viele grüße|beste grüße|grüße|cordialement|saludos)"
    r"\s*[,.!]*$",
    re.I,
)
#: A sign-off starts a signature only when this little follows it (name, title, phone...).
SIGNATURE_MAX_LINES = 8


def new_text_of(text: str) -> str:
    """The part of ``text`` its sender wrote now: quoted history and signature removed.

    Reply headers ("On … wrote:", Outlook's "From: … Sent: …" and "-----Original
    Message-----" blocks, in several languages) are found by ``mail-parser-reply``;
    "> " lines, "-- " signatures, "Sent from my …" lines and a closing sign-off with a few
    short lines after it ("Best regards,\\nJane Doe\\nDesigner") are removed here. The
    library's own signature rules are not used: they cut at any line starting "Thanks," and
    would drop a question that follows one. Only the first REPLY_PARSE_LIMIT characters are
    read, and lines longer than REPLY_LINE_LIMIT come back wrapped at spaces (the library's
    patterns are slow on long lines).
    """
    if not text.strip():
        return ""
    bounded = "\n".join(_wrap(line) for line in text[:REPLY_PARSE_LIMIT].split("\n"))
    parser = _ReplyParser(text=bounded, languages=list(REPLY_LANGUAGES), keep_hyphen_lists=True)
    replies = parser.read().replies
    if not replies or replies[0].headers:
        return ""  # the text starts with quoted history: nothing new
    content = replies[0].content
    forward = _FORWARD_MARKER.search(content)
    if forward is not None:  # a forwarded block is not new text (see unwrap_forwarded)
        content = content[: forward.start()]
    lines = [line for line in content.split("\n") if not line.startswith(">")]
    return _tidy("\n".join(_cut_signature(lines)))


def _wrap(line: str) -> str:
    """Break a line longer than REPLY_LINE_LIMIT at spaces (or hard, if it has none)."""
    if len(line) <= REPLY_LINE_LIMIT:
        return line
    pieces: list[str] = []
    while len(line) > REPLY_LINE_LIMIT:
        cut = line.rfind(" ", 0, REPLY_LINE_LIMIT)
        cut = cut if cut > REPLY_LINE_LIMIT // 2 else REPLY_LINE_LIMIT
        pieces.append(line[:cut])
        line = line[cut:].lstrip(" ")
    return "\n".join([*pieces, line])


def _cut_signature(lines: list[str]) -> list[str]:
    content = [i for i, line in enumerate(lines) if line.strip()]
    first = content[0] if content else 0
    for i, raw in enumerate(lines):
        line = raw.strip()
        if i > first and line in ("--", "---", "__"):  # "-- " once stripped
            return lines[:i]
        if _SENT_FROM.match(line):
            return lines[:i]
        if i > first and _SIGN_OFF.match(line):
            rest = [r for r in lines[i + 1 :] if r.strip()]
            if len(rest) <= SIGNATURE_MAX_LINES and all(len(r) <= 80 for r in rest):
                return lines[:i]
    return lines


# --------------------------------------------------------------------------- acknowledgement

_ACK_EMOJI = "👍👌🙏🙌😊🙂😀😃😄😁✅🎉💯❤♥️💙👏🤝"
_ACK_CLAUSE = re.compile(
    r"""^(?:
        (?:ok(?:ay)?|k|great|perfect|awesome|excellent|brilliant|lovely|wonderful|fantastic
          |super|cool|nice|fab|amazing|splendid|superb)(?:\s+stuff)?
      | (?:(?:many|big|huge)\s+)?(?:thanks|thank\s+you|thx|ty|tks|cheers|ta)
          (?:\s+(?:a\s+lot|so\s+much|very\s+much|a\s+million|loads|heaps|again|indeed))*
          (?:\s+for\s+(?:the|this|that|your|all|sending|sharing|letting|doing)(?:\s+[\w']+){0,3})?
      | much\s+appreciated|appreciated|appreciate\s+it|thanks\s+for\s+everything
      | got\s+it|received|all\s+received|noted|understood|will\s+do|all\s+good|done
      | (?:sounds|looks)\s+(?:good|great|perfect|fine|lovely)(?:\s+to\s+me)?
      | (?:that|this|it)(?:'s|\s+is)\s+(?:great|perfect|fine|fantastic|brilliant|lovely|wonderful)
      | (?:hi|hello|hey|dear)(?:\s+[\w']+)?
    )(?:\s+(?-i:[A-Z][a-z]+))?$""",
    re.I | re.X,
)
_NAME_ONLY = re.compile(r"^(?-i:[A-Z][a-z]+)$")
ACK_MAX_CHARS = 120


def is_acknowledgement(new_text: str) -> bool:
    """Is this text only a short thanks or acknowledgement (so no reply is needed)?

    Conservative: every clause must be a known acknowledgement ("Thanks!", "Got it, thank
    you", "Perfect, thanks", "Cheers", "👍"), a greeting or a bare name; any question mark,
    request or other words mean it is not.
    """
    text = new_text.strip()
    if not text or len(text) > ACK_MAX_CHARS or "?" in text:
        return False
    had_emoji = any(ch in _ACK_EMOJI for ch in text)
    for ch in _ACK_EMOJI + "\ufe0f":
        text = text.replace(ch, " ")
    clauses = [c.strip() for c in re.split(r"[.,!;:\n\-–—]+|\s+(?:and|&)\s+", text)]
    clauses = [c for c in clauses if c]
    if not clauses:
        return had_emoji
    acknowledged = had_emoji
    for clause in clauses:
        if _ACK_CLAUSE.match(clause):
            if not re.match(r"(?i)(?:hi|hello|hey|dear)\b", clause):
                acknowledged = True
        elif not _NAME_ONLY.match(clause):
            return False
    return acknowledged


# --------------------------------------------------------------------------- automated mail

_NO_REPLY_SENDER = re.compile(r"(?i)\b(mailer-daemon|postmaster)\b")


def _automated_reason(headers: _Headers, msg: Message) -> str | None:
    """Why this message was sent by a machine rather than a person, or None."""
    if msg.get_content_type() == "multipart/report" or any(
        p.get_content_type() == "message/delivery-status" for p in _walk_parts(msg)
    ):
        return "delivery status notification"
    if _NO_REPLY_SENDER.search(headers.get("From") or ""):
        return "delivery status notification (sent by MAILER-DAEMON or postmaster)"
    auto = (headers.get("Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for name in ("X-Autoreply", "X-Autorespond"):
        value = headers.get(name)
        if value is not None and value.strip().lower() not in ("no", "false", "0"):
            return f"{name} header"
    precedence = (headers.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "list", "junk", "auto_reply"):
        return f"Precedence: {precedence}"
    if headers.get("List-Id") is not None:
        return "mailing list (List-Id)"
    if headers.get("List-Unsubscribe") is not None:
        return "mailing list (List-Unsubscribe)"
    return_path = headers.get("Return-Path")
    if return_path is not None and return_path.replace(" ", "") == "<>":
        return "empty Return-Path (a bounce or auto-reply)"
    return None


def _walk_parts(msg: Message) -> Iterator[Message]:
    try:
        yield from msg.walk()
    except RecursionError:
        return


# --------------------------------------------------------------------------- summary

_URL_TAIL = r"(?:[^\s<>\"']*[^\s<>\"'.,;:!?)\]])?"  # not the sentence's full stop
_URL = re.compile(rf"<?\b(?:https?|ftp)://([^/\s<>?#\"']+){_URL_TAIL}>?", re.I)
_WWW = re.compile(rf"\bwww\.([^/\s<>?#\"']+?)(?=[/?#\s<>\"']|[.,;:!?)]?(?:\s|$)){_URL_TAIL}", re.I)


def _host(match: re.Match[str]) -> str:
    host = match.group(1).rsplit("@", 1)[-1].split(":")[0].lower()
    return host.removeprefix("www.")


def summarise(subject: str, text: str, max_length: int = DEFAULT_SUMMARY_LENGTH) -> str:
    """Subject and the first lines of ``text``, link-free, whitespace collapsed, at most
    ``max_length`` characters (cut on a word boundary, ending with "…").

    URLs are replaced by their host ("docs.client.example"); "mailto:" is dropped.
    """
    body = _WWW.sub(lambda m: m.group(1).lower(), _URL.sub(_host, text))
    body = re.sub(r"(?i)\bmailto:", "", body)
    subject = _collapse(_URL.sub(_host, subject))
    parts = [p for p in (subject, _collapse(body)) if p]
    return _truncate(" — ".join(parts), max_length)


def _truncate(text: str, max_length: int) -> str:
    if len(text) <= max_length:
        return text
    if max_length <= 1:
        return "…"[:max_length]
    cut = text[: max_length - 1]
    space = cut.rfind(" ")
    if space > max_length // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-—") + "…"


# --------------------------------------------------------------------------- forwarded

_FORWARD_MARKER = re.compile(
    r"^[> ]*(?:-{3,}\s*(?:Forwarded message|Forwarded Message|Weitergeleitete Nachricht|"
    r"Message transféré|Mensaje reenviado)\s*-{3,}|Begin forwarded message:|"
    r"Anfang der weitergeleiteten Nachricht:|Début du message réexpédié :?)\s*$",
    re.I | re.M,
)
_OUTLOOK_MARKER = re.compile(r"^[> ]*(?:-{4,}\s*Original Message\s*-{4,}|_{20,})\s*$", re.I | re.M)
_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|fw|wg|tr|rv|doorst)\s*:", re.I)
_PRINTED_HEADER = re.compile(
    r"^\*?(From|Von|De|Date|Datum|Sent|Gesendet|Envoyé|Subject|Betreff|Objet|Asunto|To|An|À|Para|Cc)"
    r"\*?\s*:\s*(.*)$",
    re.I,
)
_HEADER_NAMES = {
    "from": "from", "von": "from", "de": "from",
    "date": "date", "datum": "date", "sent": "date", "gesendet": "date", "envoyé": "date",
    "subject": "subject", "betreff": "subject", "objet": "subject", "asunto": "subject",
    "to": "to", "an": "to", "à": "to", "para": "to",
    "cc": "cc",
}  # fmt: skip


def _forwarded(
    body: _Body,
    text: str,
    subject: str,
    outer_date: datetime | None,
    now: datetime,
    depth: int,
) -> ForwardedMessage | None:
    if body.forwarded and depth < MAX_NESTING:
        try:
            inner_bytes = body.forwarded[0].as_bytes()
            inner = _parse(inner_bytes, None, now, DEFAULT_SUMMARY_LENGTH, depth + 1)
        except Exception:  # an unreadable attachment is just not unwrapped
            inner = None
        if inner is not None:
            return ForwardedMessage(
                source="attachment",
                from_address=inner.from_address,
                from_text=str(inner.from_address or ""),
                to=inner.to,
                cc=inner.cc,
                date=inner.date if inner.date_source is DateSource.HEADER else None,
                subject=inner.subject,
                text=inner.text,
                new_text=inner.new_text,
                message_id=inner.message_id,
                key=inner.key,
                in_reply_to=inner.in_reply_to,
                references=inner.references,
                attachments=inner.attachments,
                automated=inner.automated,
            )
    return _inline_forward(text, subject, outer_date)


def _inline_forward(
    text: str, subject: str, outer_date: datetime | None
) -> ForwardedMessage | None:
    match = _FORWARD_MARKER.search(text)
    if match is None and _FORWARD_SUBJECT.match(subject):
        match = _OUTLOOK_MARKER.search(text)
    if match is None:
        return None
    lines = text[match.end() :].split("\n")
    quoted = all(line.startswith(">") for line in lines if line.strip())
    if quoted:
        lines = [re.sub(r"^> ?", "", line) for line in lines]
    printed: dict[str, str] = {}
    last: str | None = None
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    while i < len(lines):
        line = lines[i].strip()
        if not line:
            break
        header = _PRINTED_HEADER.match(line)
        if header and header.group(1).lower() in _HEADER_NAMES:
            last = _HEADER_NAMES[header.group(1).lower()]
            printed.setdefault(last, header.group(2).strip())
        elif last is not None:  # a wrapped recipient list
            printed[last] = f"{printed[last]} {line}"
        else:
            break
        i += 1
    if "from" not in printed:
        return None
    original = _tidy("\n".join(lines[i:]))
    from_text = printed["from"].strip()
    found = _addresses(_mailto_to_angle(from_text))
    zone = (outer_date.tzinfo if outer_date else None) or UTC
    return ForwardedMessage(
        source="inline",
        from_address=found[0] if found else None,
        from_text=from_text,
        to=_addresses(_mailto_to_angle(printed.get("to", ""))),
        cc=_addresses(_mailto_to_angle(printed.get("cc", ""))),
        date=parse_printed_date(printed.get("date", ""), zone),
        subject=_collapse(printed.get("subject", "")),
        text=original,
        new_text=new_text_of(original),
    )


def _mailto_to_angle(value: str) -> str:
    """Outlook prints "Bob [mailto:bob@x]" and "Bob <mailto:bob@x>"; make them "Bob <bob@x>"."""
    value = re.sub(r"\[mailto:([^\]]+)\]", r"<\1>", value, flags=re.I)
    return re.sub(r"<mailto:", "<", value, flags=re.I)


_TZ_ABBREVIATIONS = {
    "UTC": 0, "GMT": 0, "Z": 0, "WET": 0, "BST": 1, "WEST": 1, "CET": 1, "CEST": 2,
    "EET": 2, "EEST": 3, "MSK": 3, "IST": 5.5, "JST": 9, "AEST": 10, "AEDT": 11,
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}  # fmt: skip
_PRINTED_FORMATS = (
    "%b %d %Y %I:%M %p",
    "%B %d %Y %I:%M %p",
    "%b %d %Y %I:%M:%S %p",
    "%B %d %Y %I:%M:%S %p",
    "%d %B %Y %H:%M:%S",
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M:%S",
    "%d %b %Y %H:%M",
    "%B %d %Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)


def parse_printed_date(value: str, default_zone: tzinfo = UTC) -> datetime | None:
    """A date as mail clients print it in forwarded blocks, as an aware UTC datetime.

    Reads RFC 5322 dates and the Gmail ("Thu, Mar 13, 2025 at 4:05 PM"), Apple Mail
    ("13 March 2025 at 09:30:00 GMT") and Outlook ("Tuesday, March 11, 2025 6:02 PM")
    forms in English. Without a zone the time is read in ``default_zone``. Numeric
    day/month forms (03/04/2025) are ambiguous and not read. Returns None if unreadable.
    """
    value = value.strip()
    if not value:
        return None
    rfc = _header_date(value) if re.search(r"[+-]\d{4}\b", value) else None
    if rfc is not None:
        return rfc
    cleaned = re.sub(r"(?i)^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s*", "", value)
    cleaned = re.sub(r"(?i)\bat\b|,", " ", cleaned)
    offset: timedelta | None = None
    zone = re.search(r"\s([A-Z]{1,4})$", cleaned.strip())
    if zone and zone.group(1) in _TZ_ABBREVIATIONS:
        offset = timedelta(hours=_TZ_ABBREVIATIONS[zone.group(1)])
        cleaned = cleaned.strip()[: zone.start(1)]
    numeric = re.search(r"\s(?:GMT|UTC)?([+-]\d{2}):?(\d{2})$", cleaned.strip())
    if offset is None and numeric:
        sign = -1 if numeric.group(1).startswith("-") else 1
        offset = sign * timedelta(hours=abs(int(numeric.group(1))), minutes=int(numeric.group(2)))
        cleaned = cleaned.strip()[: numeric.start()]
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", cleaned)
    cleaned = _collapse(cleaned)
    for fmt in _PRINTED_FORMATS:
        try:
            naive = datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        if offset is not None:
            return naive.replace(tzinfo=timezone(offset)).astimezone(UTC)
        return naive.replace(tzinfo=default_zone).astimezone(UTC)
    return None


# --------------------------------------------------------------------------- text helpers


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _tidy(text: str) -> str:
    """Newlines normalised, trailing spaces and runs of blank lines removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n").strip()
