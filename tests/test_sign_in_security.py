"""Signing in safely: guessing is throttled (django-axes), a forgotten password is reset by email
(against a real SMTP server), and two-factor sign-in works end to end (the test computes the
codes from the device's secret, as an authenticator app would)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client as Browser
from django_otp.oath import totp

from accounts.models import RecoveryCode, TOTPDevice
from tests.engagements.email_helpers import smtp_server, subject_of, text_of

LOGIN = "/accounts/login/"
T = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def sign_in(browser, username, password, ip="10.0.0.1", forwarded_for=None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return browser.post(
        LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip, **headers
    )


# --- throttling ------------------------------------------------------------------------------


def test_five_wrong_passwords_pause_signing_in_as_that_user_even_with_the_right_one(client, user):
    for n in range(4):
        assert sign_in(client, "alice", f"guess-{n}").status_code == 200
    assert sign_in(client, "alice", "guess-5").status_code == 429

    refused = sign_in(client, "alice", "alice-password")

    assert refused.status_code == 429
    body = refused.content.decode()
    assert "Signing in is paused for a while" in body
    assert "5 failed attempts in a row to sign in as <strong>alice</strong>" in body
    assert 'href="/accounts/password/reset/"' in body
    assert "_auth_user_id" not in client.session


def test_the_pause_is_per_user_name_and_per_address(client, user, outsider):
    for n in range(5):
        sign_in(client, "alice", f"guess-{n}", ip="10.0.0.1")

    # Alice's name is paused from anywhere; Mallory, elsewhere, signs in as usual.
    assert sign_in(Browser(), "alice", "alice-password", ip="10.0.0.2").status_code == 429
    assert sign_in(Browser(), "mallory", "mallory-password", ip="10.0.0.2").status_code == 302
    # And the address that guessed is paused for every name.
    assert sign_in(Browser(), "mallory", "mallory-password", ip="10.0.0.1").status_code == 429


def test_guessing_many_names_from_one_address_is_paused_too(client, user):
    for n in range(5):
        sign_in(client, f"nobody-{n}", "guess", ip="10.0.0.9")

    assert sign_in(Browser(), "alice", "alice-password", ip="10.0.0.9").status_code == 429
    assert sign_in(Browser(), "alice", "alice-password", ip="10.0.0.3").status_code == 302


def test_signing_in_works_again_after_the_cool_off(client, user):
    with time_machine.travel(T, tick=False):
        for n in range(5):
            sign_in(client, "alice", f"guess-{n}")
        assert sign_in(client, "alice", "alice-password").status_code == 429

    with time_machine.travel(T + timedelta(minutes=16), tick=False):
        assert sign_in(client, "alice", "alice-password").status_code == 302


def test_an_admin_lifts_the_pause_in_the_admin(client, user, admin_client):
    for n in range(5):
        sign_in(client, "alice", f"guess-{n}")
    listing = admin_client.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and "alice" in listing.content.decode()

    attempt = AccessAttempt.objects.get(username="alice")
    admin_client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})

    assert sign_in(client, "alice", "alice-password").status_code == 302


def test_behind_the_https_proxy_the_address_is_the_one_the_proxy_saw(client, user, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    for n in range(5):
        sign_in(client, f"nobody-{n}", "guess", "10.9.9.9", forwarded_for="203.0.113.5")

    # Another visitor through the same proxy is not paused; the guesser is.
    other = sign_in(Browser(), "alice", "alice-password", "10.9.9.9", "198.51.100.7")
    assert other.status_code == 302
    guesser = sign_in(Browser(), "alice", "alice-password", "10.9.9.9", "203.0.113.5")
    assert guesser.status_code == 429


# --- password reset by email -------------------------------------------------------------------


def test_a_forgotten_password_is_reset_through_the_emailed_link(client, user, settings):
    with smtp_server(settings) as inbox:
        page = client.get(LOGIN)
        assert 'href="/accounts/password/reset/"' in page.content.decode()

        sent = client.post("/accounts/password/reset/", {"email": "alice@example.com"})
        assert (sent.status_code, sent.url) == (302, "/accounts/password/reset/sent/")
        assert "Check your email" in client.get(sent.url).content.decode()

        [message] = inbox.to("alice@example.com")
    assert subject_of(message) == "Rapport · Choose a new password"
    [link] = re.findall(r"https://rapport\.test(/accounts/password/reset/\S+/)", text_of(message))

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    new = "a-much-longer-password-2026"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert (done.status_code, done.url) == (302, "/accounts/password/reset/done/")

    assert sign_in(Browser(), "alice", "alice-password").status_code == 200  # the old one: no
    signed_in = sign_in(Browser(), "alice", new)
    assert (signed_in.status_code, signed_in.url) == (302, "/")
    assert "no longer works" in client.get(link, follow=True).content.decode()  # used once


def test_asking_for_an_unknown_address_says_the_same_and_sends_nothing(client, db, settings):
    with smtp_server(settings) as inbox:
        sent = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
        assert sent.url == "/accounts/password/reset/sent/"
    assert inbox.messages == []


# --- two-factor sign-in ------------------------------------------------------------------------


def code_of(device: TOTPDevice) -> str:
    """What the authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):06d}"


def enrol(browser) -> list[str]:
    """Set up two-factor sign-in from Settings; the recovery codes it shows."""
    page = browser.get("/settings/two-factor/")
    assert "Set up two-factor sign-in" in page.content.decode()
    started = browser.post("/settings/two-factor/start/")
    body = started.content.decode()
    assert "<svg" in body and "QR code for your authenticator app" in body
    assert "http" not in body.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )  # drawn here, nothing fetched
    device = TOTPDevice.objects.get(confirmed=False)
    confirmed = browser.post("/settings/two-factor/confirm/", {"code": code_of(device)})
    assert "They are shown only now" in confirmed.content.decode()
    return re.findall(r"<li><code>([\w-]+)</code></li>", confirmed.content.decode())


@pytest.fixture
def alice_with_two_factor(client, profile):
    client.force_login(profile.user)
    with time_machine.travel(T, tick=False):
        codes = enrol(client)
    client.post("/accounts/logout/")
    return codes


def test_enrolling_shows_ten_recovery_codes_once(client, profile):
    client.force_login(profile.user)
    with time_machine.travel(T, tick=False):
        codes = enrol(client)

    assert len(codes) == len(set(codes)) == 10
    page = client.get("/settings/two-factor/").content.decode()
    assert "<strong>On.</strong>" in page and "10 recovery codes left" in page
    assert not any(code in page for code in codes)


def test_signing_in_asks_for_the_code_after_the_password(client, alice_with_two_factor):
    device = TOTPDevice.objects.get()
    with time_machine.travel(T + timedelta(minutes=1), tick=False):
        response = client.post(
            LOGIN, {"username": "alice", "password": "alice-password", "next": "/clients/"}
        )
        assert response.url == "/clients/"
        asked = client.get("/clients/")
        assert (asked.status_code, asked.url) == (302, "/accounts/login/code/?next=%2Fclients%2F")
        assert client.get("/settings/").status_code == 302  # nothing else either

        wrong = client.post(asked.url, {"code": "000000"})
        assert wrong.status_code == 422 and "not right" in wrong.content.decode()
        too_soon = client.post(asked.url, {"code": code_of(device)})
        assert "Too many wrong codes in a row: try again in 1 second" in too_soon.content.decode()
    with time_machine.travel(T + timedelta(minutes=1, seconds=2), tick=False):
        right = client.post(asked.url, {"code": code_of(device)})

    assert (right.status_code, right.url) == (302, "/clients/")
    assert client.get("/clients/").status_code == 200


def test_a_code_works_once(client, alice_with_two_factor):
    device = TOTPDevice.objects.get()
    with time_machine.travel(T + timedelta(minutes=1), tick=False):
        code = code_of(device)
        sign_in(client, "alice", "alice-password")
        client.post("/accounts/login/code/", {"code": code})
        client.post("/accounts/logout/")
        sign_in(client, "alice", "alice-password")
        again = client.post("/accounts/login/code/", {"code": code})
    assert again.status_code == 422


def test_a_recovery_code_signs_in_once(client, alice_with_two_factor):
    code = alice_with_two_factor[0]
    sign_in(client, "alice", "alice-password")
    used = client.post("/accounts/login/code/", {"code": code})
    assert used.url == "/"
    assert "9 left" in client.get("/").content.decode()
    assert RecoveryCode.objects.count() == 9

    client.post("/accounts/logout/")
    sign_in(client, "alice", "alice-password")
    assert client.post("/accounts/login/code/", {"code": code}).status_code == 422


def test_the_login_form_helper_still_signs_in_without_two_factor(client, profile):
    assert sign_in(client, "alice", "alice-password").url == "/"
    assert client.get("/").status_code == 200


def test_turning_two_factor_off_needs_a_code(client, alice_with_two_factor):
    sign_in(client, "alice", "alice-password")
    client.post("/accounts/login/code/", {"code": alice_with_two_factor[0]})

    with time_machine.travel(T + timedelta(hours=1), tick=False):
        client.post("/settings/two-factor/disable/", {"code": "123456"})
        assert TOTPDevice.objects.exists()
    with time_machine.travel(T + timedelta(hours=1, minutes=1), tick=False):
        client.post("/settings/two-factor/disable/", {"code": alice_with_two_factor[1]})
    assert not TOTPDevice.objects.exists()

    client.post("/accounts/logout/")
    assert sign_in(client, "alice", "alice-password").url == "/"
    assert client.get("/").status_code == 200


def test_staff_must_set_up_two_factor_when_the_setting_requires_it(client, settings, db):
    settings.REQUIRE_STAFF_TWO_FACTOR = True
    get_user_model().objects.create_user("sam", "sam@example.com", "sam-password", is_staff=True)

    with time_machine.travel(T, tick=False):
        sign_in(client, "sam", "sam-password")
        sent = client.get("/")
        assert sent.url == "/settings/two-factor/?next=%2F"
        assert client.get("/admin/").url == "/settings/two-factor/?next=%2Fadmin%2F"
        assert "Staff accounts must use two-factor sign-in" in client.get(sent.url).content.decode()
        enrol(client)
        assert client.post("/settings/two-factor/disable/", {"code": "x"}).status_code == 302
    assert client.get("/").url == "/welcome/"  # held no longer: on to a new account's first run
    assert TOTPDevice.objects.filter(user__username="sam", confirmed=True).exists()
