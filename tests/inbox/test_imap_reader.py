"""inbox.imap against a real, private Dovecot (see conftest.py): connecting, failing in
ways a freelancer can understand, finding folders and reading incrementally, read-only."""

import logging
import ssl
import time
from datetime import UTC, date, datetime

import pytest

from inbox.imap import (
    Folder,
    FolderStatus,
    MailboxError,
    connect,
    decode_mailbox_name,
    encode_mailbox_name,
    find_sent_folder,
)
from inbox.message import parse_message

NOW = datetime(2025, 3, 20, tzinfo=UTC)


def numbered(n: int, size: int = 0) -> bytes:
    padding = "x" * size
    return (
        f"Message-ID: <m{n}@test.example>\r\nFrom: client{n}@client.example\r\n"
        f"Subject: Message {n}\r\nDate: Fri, 14 Mar 2025 09:00:00 +0000\r\n\r\n"
        f"Body {n}\r\n{padding}\r\n"
    ).encode()


def open_mailbox(dovecot, account, security="plain", **kwargs):
    port = dovecot.tls_port if security == "ssl" else dovecot.port
    kwargs.setdefault("ca_file", str(dovecot.ca_file))
    return connect(dovecot.host, port, security, account.username, account.password, **kwargs)


def uids(batches):
    return [[m.uid for m in batch] for batch in batches]


# --------------------------------------------------------------------------- connecting


@pytest.mark.parametrize("security", ["plain", "starttls", "ssl"])
def test_it_connects_with_each_kind_of_security(dovecot, account, security):
    with open_mailbox(dovecot, account, security) as mailbox:
        names = {folder.name for folder in mailbox.folders()}
    assert {"INBOX", "Sent", "Drafts"} <= names
    assert mailbox.closed


def test_a_self_signed_certificate_is_refused_unless_trusted(dovecot, account):
    with pytest.raises(MailboxError) as caught:
        open_mailbox(dovecot, account, "ssl", ca_file=None)
    assert caught.value.kind == "tls"
    assert "certificate" in caught.value.message and "could not be verified" in caught.value.message

    with open_mailbox(dovecot, account, "ssl", ca_file=None, verify_tls=False) as mailbox:
        assert mailbox.folder_status("INBOX").exists == 0

    context = ssl.create_default_context(cafile=str(dovecot.ca_file))
    with open_mailbox(dovecot, account, "starttls", ssl_context=context) as mailbox:
        assert mailbox.folder_status("INBOX").exists == 0


def test_a_wrong_password_is_an_auth_error_in_the_servers_words_without_the_password(
    dovecot, account, caplog
):
    caplog.set_level(logging.DEBUG)
    wrong = "Wr0ng-Secret-Pass"
    with pytest.raises(MailboxError) as caught:
        connect(dovecot.host, dovecot.port, "plain", account.username, wrong)
    error = caught.value
    assert error.kind == "auth"
    assert error.message == (
        f"127.0.0.1 refused the login for {account.username}: "
        "[AUTHENTICATIONFAILED] Authentication failed."
    )
    assert wrong not in str(error) and wrong not in repr(error)
    assert wrong not in caplog.text


def test_a_non_ascii_password_logs_in(dovecot):
    account = dovecot.unicode_account
    assert not account.password.isascii()
    with open_mailbox(dovecot, account) as mailbox:
        assert mailbox.folder_status("INBOX").exists == 0


def test_a_closed_port_is_unreachable(dovecot, closed_port):
    with pytest.raises(MailboxError) as caught:
        connect("127.0.0.1", closed_port, "ssl", "user", "password")
    assert caught.value.kind == "unreachable"
    assert caught.value.message == f"Could not reach 127.0.0.1:{closed_port}: connection refused."


def test_tls_to_a_plain_port_is_a_tls_error(dovecot, account):
    with pytest.raises(MailboxError) as caught:
        connect(dovecot.host, dovecot.port, "ssl", account.username, account.password)
    assert caught.value.kind == "tls"
    assert "did not answer with TLS" in caught.value.message


def test_plain_to_a_tls_port_times_out_with_a_hint(dovecot, account):
    with pytest.raises(MailboxError) as caught:
        connect(dovecot.host, dovecot.tls_port, "plain", account.username, "x", timeout=1.5)
    assert caught.value.kind == "timeout"
    assert "choose SSL" in caught.value.message


@pytest.mark.parametrize("security", ["plain", "ssl", "starttls"])
def test_a_server_that_never_answers_times_out_within_the_timeout(hanging_server, security):
    started = time.monotonic()
    with pytest.raises(MailboxError) as caught:
        connect("127.0.0.1", hanging_server.port, security, "user", "password", timeout=2)
    elapsed = time.monotonic() - started
    assert caught.value.kind == "timeout"
    assert caught.value.message.startswith(
        f"127.0.0.1:{hanging_server.port} did not answer within 2 seconds"
    )
    assert 1.5 <= elapsed < 5
    assert hanging_server.connections  # it did connect: the read timed out


def test_a_closed_mailbox_refuses_to_work(dovecot, account):
    mailbox = open_mailbox(dovecot, account)
    mailbox.close()
    mailbox.close()  # twice is fine
    with pytest.raises(MailboxError) as caught:
        mailbox.folders()
    assert caught.value.kind == "protocol"


# --------------------------------------------------------------------------- folders


def test_the_sent_folder_is_found_by_special_use(dovecot, account):
    with open_mailbox(dovecot, account) as mailbox:
        sent = mailbox.sent_folder()
    assert sent is not None
    assert sent.name == "Sent" and sent.special_use == "\\Sent"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["INBOX", "Sent Items", "Trash"], "Sent Items"),
        (["INBOX", "INBOX.Sent", "INBOX.Drafts"], "INBOX.Sent"),
        (["INBOX", "[Gmail]/All Mail", "[Gmail]/Sent Mail"], "[Gmail]/Sent Mail"),
        (["INBOX", "Archive/Sent Messages"], "Archive/Sent Messages"),
        (["INBOX", "Drafts"], None),
    ],
)
def test_without_special_use_the_sent_folder_is_found_by_its_usual_names(names, expected):
    folders = [
        Folder(name, name, "." if name.startswith("INBOX.") else "/", frozenset()) for name in names
    ]
    found = find_sent_folder(folders)
    assert (found.name if found else None) == expected


def test_special_use_wins_over_names():
    folders = [
        Folder("Sent", "Sent", "/", frozenset()),
        Folder("Outbox copies", "Outbox copies", "/", frozenset({"\\Sent"})),
    ]
    assert find_sent_folder(folders).name == "Outbox copies"


def test_non_ascii_folder_names_are_listed_decoded_and_readable(dovecot, account):
    dovecot.append(account, numbered(1), "Éléments envoyés")
    with open_mailbox(dovecot, account) as mailbox:
        folder = next(f for f in mailbox.folders() if f.name == "Éléments envoyés")
        assert folder.raw_name == "&AMk-l&AOk-ments envoy&AOk-s"
        batches = list(mailbox.fetch_since("Éléments envoyés"))
    assert uids(batches) == [[1]]


@pytest.mark.parametrize("name", ["Sent", "Éléments envoyés", "日本語 & more", "~peter/mail/台北"])
def test_mailbox_names_round_trip_through_modified_utf7(name):
    assert decode_mailbox_name(encode_mailbox_name(name)) == name


def test_a_missing_folder_is_folder_missing(dovecot, account):
    with open_mailbox(dovecot, account) as mailbox:
        with pytest.raises(MailboxError) as status_error:
            mailbox.folder_status("Projects/Nope")
        with pytest.raises(MailboxError) as fetch_error:
            mailbox.fetch_since("Projects/Nope")
    for caught in (status_error, fetch_error):
        assert caught.value.kind == "folder_missing"
        assert caught.value.message == "The folder 'Projects/Nope' does not exist on 127.0.0.1."


def test_folder_status_reads_uidvalidity_uidnext_and_the_count(dovecot, account):
    for n in range(3):
        dovecot.append(account, numbered(n))
    with dovecot.client(account) as imap:
        _, data = imap.status("INBOX", "(UIDVALIDITY)")
    uidvalidity = int(data[0].split(b"UIDVALIDITY ")[1].rstrip(b")"))
    with open_mailbox(dovecot, account) as mailbox:
        status = mailbox.folder_status("INBOX")
    assert status == FolderStatus(uidvalidity=uidvalidity, uidnext=4, exists=3)
    assert status.uidvalidity > 0


# --------------------------------------------------------------------------- fetching


def test_fetching_never_changes_the_seen_flag(dovecot, account):
    dovecot.append(account, numbered(1))
    dovecot.append(account, numbered(2), flags=("\\Seen",))
    dovecot.append(account, numbered(3), flags=("\\Flagged",))
    before = dovecot.flags(account)
    assert "\\Seen" not in before[1]

    with open_mailbox(dovecot, account) as mailbox:
        fetched = [m for batch in mailbox.fetch_since("INBOX") for m in batch]
        mailbox.folder_status("INBOX")
        mailbox.sent_folder()

    assert [m.raw for m in fetched] == [numbered(1), numbered(2), numbered(3)]
    assert dovecot.flags(account) == before
    assert "\\Seen" in fetched[1].flags and "\\Seen" not in fetched[0].flags


def test_the_connection_refuses_commands_that_write(dovecot, account):
    dovecot.append(account, numbered(1))
    with open_mailbox(dovecot, account) as mailbox:
        assert len(list(mailbox.fetch_since("INBOX"))) == 1  # the folder is open (EXAMINE)
        imap = mailbox._imap  # the guard under the public API
        for attempt in (
            lambda: imap.select("INBOX"),
            lambda: imap.uid("STORE", "1", "+FLAGS", "(\\Seen)"),
            lambda: imap.store("1", "+FLAGS", "(\\Deleted)"),
            lambda: imap.expunge(),
            lambda: imap.copy("1", "Sent"),
            lambda: imap.append("INBOX", None, None, b"Subject: x\r\n\r\nx"),
            lambda: imap.delete("Sent"),
            lambda: imap.create("New"),
            lambda: imap.close(),
        ):
            with pytest.raises(MailboxError) as caught:
                attempt()
            assert "read-only" in caught.value.message
    assert dovecot.flags(account) == {1: frozenset({"\\Recent"})}


def test_messages_come_in_bounded_batches_in_ascending_uid_order(dovecot, account):
    for n in range(1, 13):
        dovecot.append(account, numbered(n))
    with open_mailbox(dovecot, account) as mailbox:
        batches = list(mailbox.fetch_since("INBOX", batch=5))
        later = list(mailbox.fetch_since("INBOX", after_uid=7, batch=5))
        nothing = list(mailbox.fetch_since("INBOX", after_uid=12))
        beyond = list(mailbox.fetch_since("INBOX", after_uid=50))
    assert uids(batches) == [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12]]
    assert uids(later) == [[8, 9, 10, 11, 12]]
    assert nothing == [] and beyond == []


def test_the_fetched_message_carries_the_server_date_for_the_parser(dovecot, account):
    when = datetime(2025, 3, 14, 17, 30, 5, tzinfo=UTC)
    raw = b"From: a@client.example\r\nSubject: no date\r\n\r\nhello\r\n"
    dovecot.append(account, raw, internal_date=when)
    with open_mailbox(dovecot, account) as mailbox:
        [[fetched]] = list(mailbox.fetch_since("INBOX"))
    assert fetched.internal_date == when
    parsed = parse_message(fetched.raw, internal_date=fetched.internal_date, now=NOW)
    assert parsed.date == when and parsed.date_source == "internal"


def test_since_date_skips_older_messages_without_downloading_them(dovecot, account):
    for n, day in enumerate([1, 10, 2, 15, 20], start=1):
        dovecot.append(account, numbered(n), internal_date=datetime(2025, 3, day, 12, tzinfo=UTC))
    with open_mailbox(dovecot, account) as mailbox:
        batches = list(mailbox.fetch_since("INBOX", since_date=date(2025, 3, 10), batch=2))
    assert uids(batches) == [[2], [4, 5]]


def test_big_messages_are_split_by_a_byte_budget(dovecot, account):
    sizes = [3000, 3000, 3000, 12000, 1000]
    for n, size in enumerate(sizes, start=1):
        dovecot.append(account, numbered(n, size))
    with open_mailbox(dovecot, account) as mailbox:
        batches = list(mailbox.fetch_since("INBOX", max_batch_bytes=7000))
    assert uids(batches) == [[1, 2], [3], [4], [5]]
    assert all(sum(len(m.raw) for m in b) <= 7000 or len(b) == 1 for b in batches)


def test_without_esearch_the_same_batches_come_by_stepping_through_uid_ranges(dovecot, account):
    for n in range(1, 8):
        dovecot.append(account, numbered(n))
    with open_mailbox(dovecot, account) as mailbox:
        assert "ESEARCH" in mailbox.capabilities
        with_esearch = uids(mailbox.fetch_since("INBOX", after_uid=2, batch=3))
        mailbox._esearch = False  # as on a server without RFC 4731
        stepping = uids(mailbox.fetch_since("INBOX", after_uid=2, batch=3))
    assert with_esearch == stepping == [[3, 4, 5], [6, 7]]


def test_the_same_message_in_inbox_and_sent_gets_the_same_key(dovecot, account, eml):
    for name in ("both_folders", "no_message_id"):
        dovecot.append(account, eml(name), "INBOX")
        dovecot.append(account, eml(name), "Sent", flags=("\\Seen",))
    with open_mailbox(dovecot, account) as mailbox:
        inbox = [m for b in mailbox.fetch_since("INBOX") for m in b]
        sent_folder = mailbox.sent_folder()
        sent = [m for b in mailbox.fetch_since(sent_folder.name) for m in b]
    inbox_keys = [parse_message(m.raw, now=NOW).key for m in inbox]
    sent_keys = [parse_message(m.raw, now=NOW).key for m in sent]
    assert inbox_keys == sent_keys
    assert inbox_keys[0] == "both-024@freelancer.example"
    assert inbox_keys[1].startswith("sha256:")
