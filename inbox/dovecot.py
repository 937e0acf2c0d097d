"""A private, throw-away Dovecot IMAP server for the tests and the benchmark. Never for
production, never the system's Dovecot service.

:func:`running` starts Debian's ``/usr/sbin/dovecot`` (``DOVECOT`` overrides the path) in
the foreground on free loopback ports, with its own configuration, a maildir under a private
directory in /tmp, a plain-text password file of throw-away accounts and a self-signed
certificate; it stops it and removes everything when the ``with`` block ends. Used by
tests/inbox/conftest.py (the ``dovecot`` fixture) and ``manage.py bench_mail``.
"""

from __future__ import annotations

import contextlib
import grp
import imaplib
import ipaddress
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from inbox.imap import encode_mailbox_name


class DovecotUnavailable(RuntimeError):
    """Dovecot is not installed, or did not start (the message says which, with its log)."""


DOVECOT = Path(os.environ.get("DOVECOT", "/usr/sbin/dovecot"))

DOVECOT_CONF = """\
# A private, throw-away Dovecot for the tests and the benchmark (written by inbox/dovecot.py).
instance_name = {instance}
base_dir = {run}/base
state_dir = {run}/state
log_path = {logs}/dovecot.log
info_log_path = {logs}/dovecot.log
protocols = imap
listen = 127.0.0.1

# Run unprivileged in private directories: the master may be root, nothing else is.
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
mail_uid = {mail_uid}
mail_gid = {mail_gid}
first_valid_uid = 1
mail_home = {run}/home/%n
mail_location = maildir:~/Maildir
mail_fsync = never  # throw-away mail: no need to survive a power cut

ssl = yes
ssl_cert = <{logs}/cert.pem
ssl_key = <{logs}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {logs}/passwd
}}
userdb {{
  driver = static
  args = allow_all_users=no
}}

namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = subscribe
  }}
  mailbox Drafts {{
    special_use = \\Drafts
    auto = subscribe
  }}
}}

service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  # no growing delays after the wrong-password tests
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass(frozen=True)
class Account:
    username: str
    password: str


ACCOUNTS = 300
UNICODE_ACCOUNT = Account("unicode", "pässwörd-ünïcode")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def self_signed_certificate(directory: Path) -> Path:
    """A certificate for 127.0.0.1/localhost (cert.pem, key.pem); returns the cert's path."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (directory / "key.pem").chmod(0o600)
    return directory / "cert.pem"


@dataclass
class Dovecot:
    """A running private Dovecot: ``port`` (plain and STARTTLS), ``tls_port`` (TLS from the
    start), ``ca_file`` (its self-signed certificate) and per-test accounts."""

    port: int
    tls_port: int
    ca_file: Path
    config: Path
    log: Path
    passwd: Path
    accounts: list[Account]
    unicode_account: Account
    host: str = "127.0.0.1"
    _pool: Iterator[Account] = field(init=False)

    def __post_init__(self) -> None:
        self._pool = iter(self.accounts)

    def new_account(self) -> Account:
        """A fresh user with an empty mailbox (INBOX, Sent, Drafts)."""
        return next(self._pool)

    @contextmanager
    def client(self, account: Account) -> Iterator[imaplib.IMAP4]:
        """The test's own IMAP session, to write fixture data (not the code under test)."""
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        try:
            imap.login(account.username, account.password)
            yield imap
        finally:
            with contextlib.suppress(Exception):
                imap.logout()

    def append(
        self,
        account: Account,
        raw: bytes,
        folder: str = "INBOX",
        *,
        flags: tuple[str, ...] = (),
        internal_date: datetime | None = None,
    ) -> int:
        """APPEND ``raw`` to ``folder`` (created if needed); returns the new message's UID."""
        with self.client(account) as imap:
            return append_with(imap, raw, folder, flags=flags, internal_date=internal_date)

    def append_many(
        self,
        account: Account,
        raws: Iterable[bytes],
        folder: str = "INBOX",
        *,
        internal_date: datetime | None = None,
    ) -> int:
        """APPEND every message in one session; returns how many."""
        count = 0
        with self.client(account) as imap:
            for raw in raws:
                append_with(imap, raw, folder, internal_date=internal_date)
                count += 1
        return count

    def flags(self, account: Account, folder: str = "INBOX") -> dict[int, frozenset[str]]:
        """UID -> flags, read without changing anything (EXAMINE, FETCH FLAGS)."""
        with self.client(account) as imap:
            typ, _ = imap.select(quoted(folder), readonly=True)
            if typ != "OK":
                raise RuntimeError(f"cannot open {folder}")
            typ, data = imap.uid("FETCH", "1:*", "(UID FLAGS)")
            result: dict[int, frozenset[str]] = {}
            for item in data:
                if isinstance(item, bytes):
                    uid = re.search(rb"UID (\d+)", item)
                    flags = re.search(rb"FLAGS \(([^)]*)\)", item)
                    if uid and flags:
                        result[int(uid.group(1))] = frozenset(flags.group(1).decode().split())
            return result


def quoted(folder: str) -> str:
    return '"' + encode_mailbox_name(folder).replace("\\", "\\\\").replace('"', '\\"') + '"'


def append_with(
    imap: imaplib.IMAP4,
    raw: bytes,
    folder: str = "INBOX",
    *,
    flags: tuple[str, ...] = (),
    internal_date: datetime | None = None,
) -> int:
    if folder.upper() != "INBOX":
        imap.create(quoted(folder))  # NO when it exists already: fine
    when = imaplib.Time2Internaldate(internal_date) if internal_date else None
    typ, data = imap.append(quoted(folder), f"({' '.join(flags)})" if flags else None, when, raw)
    found = re.search(rb"APPENDUID \d+ (\d+)", data[0]) if typ == "OK" and data[0] else None
    if found is None:
        raise RuntimeError(f"APPEND to {folder} failed: {data!r}")
    return int(found.group(1))


def _dovecot_users(runtime: Path) -> dict[str, str]:
    """Who runs what: as root, unprivileged system users; otherwise the current user."""
    if os.geteuid() != 0:
        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        return {
            "internal_user": user,
            "internal_group": group,
            "login_user": user,
            "mail_uid": str(os.geteuid()),
            "mail_gid": str(os.getegid()),
        }
    # Dovecot refuses to run login or mail processes as root.
    login = "dovenull" if _user_exists("dovenull") else "nobody"
    mail = pwd.getpwnam("nobody")
    (runtime / "home").mkdir()
    os.chown(runtime / "home", mail.pw_uid, mail.pw_gid)
    return {
        "internal_user": "root",
        "internal_group": grp.getgrgid(0).gr_name,
        "login_user": login,
        "mail_uid": str(mail.pw_uid),
        "mail_gid": str(mail.pw_gid),
    }


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _wait_for_greeting(port: int, process: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(100).startswith(b"* OK"):
                    return True
        except OSError:
            time.sleep(0.1)
    return False


@contextmanager
def running(workdir: Path, accounts: int = ACCOUNTS) -> Iterator[Dovecot]:
    """A private Dovecot with `accounts` throw-away users (and the non-ASCII one), its
    configuration, certificate and log in `workdir`; stopped and cleaned up on exit. Raises
    DovecotUnavailable when it is not installed or does not start."""
    if not DOVECOT.exists():
        raise DovecotUnavailable(f"needs Dovecot at {DOVECOT} (apt-get install dovecot-imapd)")
    # The login and mail processes run unprivileged and must reach base_dir and the mail
    # homes, which a private 0700 directory would hide from them: a directory in /tmp.
    runtime = Path(tempfile.mkdtemp(prefix="rapport-dovecot-"))
    runtime.chmod(0o755)
    ca_file = self_signed_certificate(workdir)
    # All accounts exist from the start: Dovecot looks at a passwd-file's mtime at most once
    # a second, so users added while it runs are not reliably seen.
    users = [Account(f"user{n}", secrets.token_urlsafe(12)) for n in range(1, accounts + 1)]
    users.append(UNICODE_ACCOUNT)
    passwd = workdir / "passwd"
    passwd.write_text("".join(f"{a.username}:{{PLAIN}}{a.password}\n" for a in users))
    identities = _dovecot_users(runtime)
    config = workdir / "dovecot.conf"
    process: subprocess.Popen[bytes] | None = None
    try:
        for _attempt in range(3):  # a free port can be taken between choosing and binding
            port, tls_port = free_port(), free_port()
            config.write_text(
                DOVECOT_CONF.format(
                    instance=f"rapport-test-{runtime.name}",
                    run=runtime,
                    logs=workdir,
                    port=port,
                    tls_port=tls_port,
                    **identities,
                )
            )
            process = subprocess.Popen(
                [str(DOVECOT), "-F", "-c", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=(workdir / "dovecot.stderr").open("ab"),
            )
            if _wait_for_greeting(port, process, 15):
                break
            _stop(process)
            process = None
        if process is None:
            log = workdir / "dovecot.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise DovecotUnavailable(f"Dovecot did not start; its log ends:\n{tail}")
        yield Dovecot(
            port=port,
            tls_port=tls_port,
            ca_file=ca_file,
            config=config,
            log=workdir / "dovecot.log",
            passwd=passwd,
            accounts=users[:accounts],
            unicode_account=UNICODE_ACCOUNT,
        )
    finally:
        if process is not None:
            _stop(process)
        shutil.rmtree(runtime, ignore_errors=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
