"""HTTP requests to addresses a freelancer typed (webhooks): to the public internet only.

Left alone, a webhook address could reach inside the network Rapport runs in (server-side request
forgery): Redis on 127.0.0.1:6379, a cloud's metadata service on 169.254.169.254, an intranet on
10.x. So the host is resolved, and every address it resolves to must be a public one (not
loopback, private, link-local, multicast, reserved or unspecified, nor an IPv6 address wrapping
one of those): when the address is registered, and again at every delivery. The request then goes
to an address that was checked, never to a fresh lookup of the name, so a DNS answer that changes
between the check and the connection ("DNS rebinding") gains nothing; HTTPS still checks the
certificate against the host name. Redirects are not followed. WEBHOOKS_ALLOW_PRIVATE_ADDRESSES
lifts the address check, for a self-hosted Rapport posting to its own intranet
(docs/decisions/0026-webhooks-reach-public-addresses-only.md).
"""

import http.client
import socket
import ssl
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings


class RefusedAddress(ValueError):
    """The host resolves to an address that is not on the public internet."""

    def __init__(self, host: str, address: str, kind: str):
        named = host if host == address else f"{host} ({address})"
        super().__init__(
            f"{named} is {kind}: Rapport sends webhooks to public internet addresses only."
        )


def not_public(ip: IPv4Address | IPv6Address) -> str | None:
    """What kind of address `ip` is, if it is not on the public internet; None if it is."""
    if isinstance(ip, IPv6Address) and (inner := ip.ipv4_mapped or ip.sixtofour):
        return not_public(inner)
    kinds = [
        ("a loopback address", ip.is_loopback),
        ("an unspecified address", ip.is_unspecified),
        ("a link-local address", ip.is_link_local),
        ("a multicast address", ip.is_multicast),
        ("a reserved address", ip.is_reserved),
        ("a private network address", ip.is_private),
        ("not a public address", not ip.is_global),  # e.g. 100.64.0.0/10, a carrier's
    ]
    return next((kind for kind, applies in kinds if applies), None)


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (OSError if none), each of them public unless
    WEBHOOKS_ALLOW_PRIVATE_ADDRESSES is on (else RefusedAddress)."""
    found = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            if kind := not_public(ip_address(address)):
                raise RefusedAddress(host, address, kind)
    return addresses


def refusal(url: str) -> str | None:
    """Why `url` may not be registered (its host resolves to an address that is not public), or
    None. A name that does not resolve now is let through: every delivery checks again."""
    try:
        if host := urlsplit(url).hostname:
            resolve(host)
    except RefusedAddress as e:
        return str(e)
    except (OSError, ValueError):  # no such name (yet), or not a URL (the field says so)
        pass
    return None


class _CheckedHTTPConnection(http.client.HTTPConnection):
    """Connects to one of `addresses` (checked by resolve), in turn, never to the name."""

    def __init__(self, host: str, port: int, addresses: list[str], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        error: OSError | None = None
        for address in self.addresses:
            try:
                self.sock = socket.create_connection((address, self.port), self.timeout)
                return
            except OSError as e:
                error = e
        raise error or OSError(f"{self.host} has no address")


class _CheckedHTTPSConnection(_CheckedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        context = ssl.create_default_context()  # the certificate must match the host name
        self.sock = context.wrap_socket(self.sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
    """POST `body` to `url` at a checked address; the response's status (a redirect is not
    followed). RefusedAddress, OSError (refused, timed out, no such name, TLS),
    http.client.HTTPException (a broken response) or ValueError (a malformed URL)."""
    parts = urlsplit(url)
    secure = parts.scheme == "https"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("not an http:// or https:// address")
    port = parts.port or (http.client.HTTPS_PORT if secure else http.client.HTTP_PORT)
    addresses = resolve(parts.hostname)
    kind = _CheckedHTTPSConnection if secure else _CheckedHTTPConnection
    connection = kind(parts.hostname, port, addresses, timeout)
    try:
        connection.request(
            "POST", urlunsplit(("", "", parts.path or "/", parts.query, "")), body, headers
        )
        return connection.getresponse().status
    finally:
        connection.close()
