"""Webhooks reach the public internet only: an address inside the network (loopback, private,
link-local, multicast, reserved, unspecified, or a name resolving to one) is refused when it is
registered and again when a delivery is due, nothing is sent there, redirects are not followed,
and HTTPS checks the certificate against the name while connecting to the checked address.
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES=1 lets private addresses through."""

import json
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from engagements import events
from integrations import webhooks
from integrations.models import WebhookDelivery, WebhookEndpoint
from tests.factories import ClientFactory
from tests.integrations.test_webhooks import T, http_receiver, log

# (address, what the refusal says)
FORBIDDEN = [
    ("http://127.0.0.1:6379/", "127.0.0.1 is a loopback address"),
    ("http://localhost:8000/hook", "localhost (127.0.0.1) is a loopback address"),
    ("http://[::1]:8000/hook", "::1 is a loopback address"),
    ("http://[::ffff:127.0.0.1]/hook", "::ffff:127.0.0.1 is a loopback address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"),
    ("http://[fe80::1]/hook", "fe80::1 is a link-local address"),
    ("http://10.1.2.3/hook", "10.1.2.3 is a private network address"),
    ("https://172.16.0.10/hook", "172.16.0.10 is a private network address"),
    ("http://192.168.1.20:8123/api/webhook/x", "192.168.1.20 is a private network address"),
    ("http://[fd12:3456::1]/hook", "fd12:3456::1 is a private network address"),
    ("http://[2002:a00:1::]/hook", "2002:a00:1:: is a private network address"),  # 6to4 of 10.x
    ("http://0.0.0.0:8000/", "0.0.0.0 is an unspecified address"),
    ("http://224.0.0.251/", "224.0.0.251 is a multicast address"),
    ("http://240.0.0.1/", "240.0.0.1 is a reserved address"),
    ("http://100.64.0.1/", "100.64.0.1 is not a public address"),
]
IDS = [url.split("/")[2] for url, _ in FORBIDDEN]


def register(web, url):
    return web.post("/settings/webhooks/", {"url": url, "events": [events.INTERACTION_LOGGED]})


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme")


def endpoint_at(profile, url):
    """An endpoint saved as it was before the check (or while the setting allowed it)."""
    return WebhookEndpoint.objects.create(
        owner=profile.user, url=url, events=[events.INTERACTION_LOGGED], secret="whsec_test"
    )


# --- registering --------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "said"), FORBIDDEN, ids=IDS)
def test_an_address_inside_the_network_is_refused_at_registration(web, url, said):
    response = register(web, url)

    assert response.status_code == 422
    assert said in response.content.decode()
    assert "public internet addresses only" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_public_addresses_and_names_register(web):
    assert register(web, "https://93.184.215.14/hook").status_code == 200
    assert register(web, "https://hooks.example.com/rapport").status_code == 200  # checked again
    assert WebhookEndpoint.objects.count() == 2


def test_with_the_setting_private_addresses_register(web, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True

    assert register(web, "http://localhost:8000/hook").status_code == 200
    assert register(web, "http://192.168.1.20:8123/api/webhook/x").status_code == 200
    assert WebhookEndpoint.objects.count() == 2


# --- delivering --------------------------------------------------------------------------------


@pytest.mark.parametrize(("url", "said"), FORBIDDEN, ids=IDS)
def test_an_address_inside_the_network_is_refused_at_delivery(profile, acme, url, said):
    endpoint_at(profile, url)
    log(acme)

    outcome = webhooks.deliver_due(T)

    assert (outcome.delivered, outcome.failed) == (0, 1)
    delivery = WebhookDelivery.objects.get()
    assert delivery.last_error.startswith(f"Refused: {said}")
    assert delivery.status == WebhookDelivery.Status.QUEUED  # tried again later, then disabled


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_nothing_is_sent_to_a_listening_loopback_server(profile, acme, host):
    with http_receiver() as receiver:
        endpoint_at(profile, receiver.url.replace("127.0.0.1", host))
        log(acme)

        assert webhooks.deliver_due(T).failed == 1

    assert receiver.requests == []


def test_with_the_setting_a_name_for_loopback_is_delivered_to_the_checked_address(
    profile, acme, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with http_receiver() as receiver:
        url = receiver.url.replace("127.0.0.1", "localhost")
        endpoint_at(profile, url)
        log(acme)

        assert webhooks.deliver_due(T).delivered == 1

    [request] = receiver.requests
    assert request["headers"]["Host"] == url.split("/")[2]  # the name, as typed
    assert json.loads(request["body"])["type"] == events.INTERACTION_LOGGED


def test_a_redirect_is_not_followed(profile, acme, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    with http_receiver() as receiver:
        receiver.statuses = [302]
        endpoint_at(profile, receiver.url)
        log(acme)

        assert webhooks.deliver_due(T).failed == 1

    assert len(receiver.requests) == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.response_status, delivery.last_error) == (
        302,
        "HTTP 302: a redirect, which is not followed",
    )


# --- HTTPS ---------------------------------------------------------------------------------------


def certificate(tmp_path, name: str):
    """A self-signed certificate for `name`: (its file, a server context presenting it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.pem", tmp_path / f"{name}.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return cert_file, context


@pytest.mark.parametrize(
    ("certified", "delivered"), [("localhost", True), ("elsewhere.example", False)]
)
def test_https_checks_the_certificate_against_the_name_at_the_checked_address(
    profile, acme, settings, monkeypatch, tmp_path, certified, delivered
):
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    cert_file, context = certificate(tmp_path, certified)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))  # the only certificate trusted
    with http_receiver(tls=context) as receiver:
        endpoint_at(profile, receiver.url.replace("127.0.0.1", "localhost"))
        log(acme)

        outcome = webhooks.deliver_due(T)

    assert outcome.delivered == int(delivered)
    assert len(receiver.requests) == int(delivered)
    if not delivered:
        assert "CERTIFICATE_VERIFY_FAILED" in WebhookDelivery.objects.get().last_error
