"""inbox.message properties: the message key is stable, and no input crashes the parser."""

import base64
import quopri
import time
from datetime import UTC, datetime
from email.header import Header
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbox.message import MessageError, ParsedMessage, parse_message, summarise

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.eml"))

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
emails = st.builds("{}@{}.example".format, words, words)
names = st.lists(st.sampled_from(["Jane", "Doe", "Renée", "Müller", "田中", "O'Neil"]), max_size=3)
texts = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Zl", "Zp")),
    max_size=120,
)
subjects = st.lists(st.one_of(words, texts.filter(lambda t: t.strip())), min_size=1, max_size=6)


def address(name_parts: list[str], email: str) -> str:
    name = " ".join(name_parts)
    return f"{Header(name, 'utf-8').encode()} <{email}>" if name else email


def fold(value: str, width: int) -> str:
    """Fold a header value at spaces so that lines are about ``width`` long."""
    out, line = [], ""
    for word in value.split(" "):
        if line and len(line) + len(word) > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "\r\n ".join(out)


def build(headers: dict[str, str], body: str, order: list[str], width: int, cte: str, eol: str):
    lines = [f"{name}: {fold(headers[name], width)}" for name in order]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8"]
    data = body.replace("\n", "\r\n").encode()
    if cte == "base64":
        payload = base64.encodebytes(data)
    elif cte == "quoted-printable":
        payload = quopri.encodestring(data)
    else:
        cte, payload = "8bit", data
    lines.append(f"Content-Transfer-Encoding: {cte}")
    raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
    return raw.replace(b"\r\n", eol.encode())


@st.composite
def messages(draw: st.DrawFn, with_id: bool = False) -> dict[str, object]:
    subject = " ".join(draw(subjects))
    headers = {
        "From": address(draw(names), draw(emails)),
        "To": ", ".join(address(draw(names), e) for e in draw(st.lists(emails, min_size=1))),
        "Cc": ", ".join(draw(st.lists(emails, max_size=2))) or "nobody@cc.example",
        "Date": "Fri, 14 Mar 2025 09:00:00 +0000",
        "Subject": Header(subject, "utf-8")
        .encode(maxlinelen=draw(st.integers(40, 200)))
        .replace("\n ", " "),
    }
    if with_id:
        headers["Message-ID"] = f"<{draw(words)}.{draw(words)}@{draw(words)}.example>"
    body = draw(st.lists(texts, min_size=1, max_size=5).map("\n".join))
    return {"headers": headers, "body": body}


variants = st.tuples(
    st.permutations(["From", "To", "Cc", "Date", "Subject"]),
    st.integers(min_value=20, max_value=200),
    st.sampled_from(["8bit", "base64", "quoted-printable"]),
    st.sampled_from(["\r\n", "\n"]),
)


def key_of(msg: dict[str, object], variant: tuple[list[str], int, str, str]) -> str:
    headers: dict[str, str] = msg["headers"]  # type: ignore[assignment]
    order = list(variant[0]) + (["Message-ID"] if "Message-ID" in headers else [])
    raw = build(headers, str(msg["body"]), order, *variant[1:])
    return parse_message(raw, now=NOW).key


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(msg=messages(), first=variants, second=variants)
def test_the_key_of_a_message_without_message_id_survives_reordering_folding_and_encoding(
    msg, first, second
):
    key = key_of(msg, first)
    assert key.startswith("sha256:") and len(key) == len("sha256:") + 64
    assert key == key_of(msg, second)
    assert key == key_of(msg, first)  # and re-parsing


@settings(max_examples=60, deadline=None)
@given(msg=messages(), variant=variants, other=subjects)
def test_a_different_subject_gives_a_different_key(msg, variant, other):
    changed = {**msg, "headers": {**msg["headers"], "Subject": " ".join(other) + " (changed)"}}
    assert key_of(msg, variant) != key_of(changed, variant)


@settings(max_examples=60, deadline=None)
@given(msg=messages(with_id=True), first=variants, second=variants)
def test_the_key_of_a_message_with_an_id_is_the_id_however_it_is_folded(msg, first, second):
    expected = msg["headers"]["Message-ID"].strip("<>")
    assert key_of(msg, first) == key_of(msg, second) == expected


@pytest.mark.parametrize("raw_id", ["<a.b@c.example>", " <a.b@c.example> ", "<a.b@\r\n c.example>"])
def test_message_ids_are_normalised_without_brackets_or_whitespace(raw_id):
    raw = f"Message-ID: {raw_id}\r\nSubject: x\r\n\r\nhi".encode()
    parsed = parse_message(raw, now=NOW)
    assert parsed.key == parsed.message_id == "a.b@c.example"


def parse_or_error(raw: bytes) -> ParsedMessage | None:
    try:
        return parse_message(raw, now=NOW, internal_date=NOW)
    except MessageError:
        return None


@settings(max_examples=200, deadline=None)
@given(raw=st.binary(max_size=2000))
def test_random_bytes_never_raise_anything_but_message_error(raw):
    parse_or_error(raw)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(CORPUS),
    cut=st.floats(min_value=0, max_value=1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=8),
)
def test_damaged_real_messages_never_crash_the_parser(path, cut, flips):
    data = bytearray(path.read_bytes())
    for where, value in flips:
        data[int(where * (len(data) - 1))] = value
    parsed = parse_or_error(bytes(data[: int(cut * len(data))]))
    if parsed is not None:
        assert parsed.date.tzinfo is not None
        assert len(parsed.summary) <= 500


@settings(max_examples=100, deadline=None)
@given(subject=texts, text=texts, limit=st.integers(min_value=1, max_value=200))
def test_a_summary_never_exceeds_its_bound(subject, text, limit):
    summary = summarise(subject, text, limit)
    assert len(summary) <= limit
    assert "\n" not in summary and "  " not in summary


@pytest.mark.parametrize("line", ["On ", "Il ", "Op ", "> On "])
def test_a_body_built_to_stall_the_reply_parser_is_read_in_seconds(line):
    """The reply-header patterns backtrack badly on long lines of "On On On …" (minutes
    for 40 kB unbounded); lines are wrapped and the parsed prefix bounded."""
    raw = b"From: a@example.com\r\nSubject: x\r\n\r\n" + line.encode() * (40_000 // len(line))
    started = time.monotonic()
    parsed = parse_message(raw, now=NOW)
    assert time.monotonic() - started < 10
    assert parsed.text.startswith(line.strip())
