"""Signing in with a second factor, and setting it up (Settings → Two-factor sign-in).

Two-factor sign-in is django-otp's, with the devices of accounts.models (their secrets
encrypted or hashed at rest): a TOTP device (an authenticator app, enrolled by scanning a QR code
drawn here as SVG) and a device holding ten single-use recovery codes. After the password, a user
with a confirmed device is asked for a code (web.middleware sends every other page there until it
is given); staff must set one up first when REQUIRE_STAFF_TWO_FACTOR is on. Recovery codes are
shown once, when they are made.
"""

import math
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.middleware import is_verified
from django_otp.models import Device

from accounts.models import RecoveryCodeDevice, TOTPDevice
from clients.formats import plural
from web.forms.messages import PlainMessages
from web.middleware import SECOND_FACTOR
from web.views.common import safe_next


class CodeForm(PlainMessages, forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=32,
        help_text="The 6 digits your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split())


def verified_device(user: Any, code: str) -> Device | None:
    """The confirmed device of `user` that accepts `code` (each code works once), or None.
    Every device counts the failure: django-otp slows down repeated wrong codes."""
    for device in devices_for_user(user, for_verify=True):
        if device.verify_token(code):
            return device
    return None


def wait_message(user: Any) -> str | None:
    """Why codes are refused for now (django-otp waits longer after each wrong one), or None."""
    for device in devices_for_user(user):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            wait = max(1, math.ceil((data["locked_until"] - timezone.now()).total_seconds()))
            return f"Too many wrong codes in a row: try again in {plural(wait, 'second')}."
    return None


class PasswordResetView(auth_views.PasswordResetView):
    """Django's, with our plain-text email, whose link starts with SITE_URL (never with the
    Host header of the request that asked)."""

    email_template_name = "registration/password_reset_email.txt"

    def form_valid(self, form: Any) -> HttpResponse:
        self.extra_email_context = {"site_url": settings.SITE_URL}
        return super().form_valid(form)


def login_code(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    step = request.session.get(SECOND_FACTOR)
    if step == "enrol":
        return redirect("settings-two-factor")
    if step != "verify" or is_verified(request.user):
        return redirect(safe_next(request) or "dashboard")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if wait := wait_message(request.user):
            form.add_error("code", wait)
            return _code_page(request, form)
        with transaction.atomic():
            device = verified_device(request.user, form.cleaned_data["code"])
        if device is not None:
            _verified(request, device)
            if isinstance(device, RecoveryCodeDevice):
                left = device.codes.count()
                messages.warning(
                    request,
                    f"You signed in with a recovery code; {left} left. "
                    "Make new ones in Settings → Two-factor sign-in if you are running short.",
                )
            return redirect(safe_next(request) or "dashboard")
        form.add_error(
            "code", "That code is not right, or was already used. Codes change every 30 seconds."
        )
    return _code_page(request, form)


def _code_page(request: HttpRequest, form: CodeForm) -> HttpResponse:
    return render(
        request,
        "registration/login_code.html",
        {"form": form, "next": safe_next(request)},
        status=422 if form.errors else 200,
    )


def _verified(request: HttpRequest, device: Device) -> None:
    otp_login(request, device)
    request.session.pop(SECOND_FACTOR, None)


def _qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code, drawn here (no service)."""
    svg = segno.make(device.config_url, error="m").svg_inline(
        scale=4, title="QR code for your authenticator app"
    )
    return mark_safe(svg)  # noqa: S308 - segno's own markup, with no user input in it


def two_factor(request: HttpRequest) -> HttpResponse:
    """Settings → Two-factor sign-in: its state, and the forms that change it."""
    user = request.user
    totp = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context = {
        "totp": totp,
        "codes_left": RecoveryCodeDevice.codes_left(user),
        "required": user.is_staff and request.session.get(SECOND_FACTOR) == "enrol",
        "next": safe_next(request),
    }
    return render(request, "settings/two_factor.html", context)


@require_POST
def two_factor_start(request: HttpRequest) -> HttpResponse:
    """A new, unconfirmed authenticator: its QR code and key, and the form to confirm it."""
    TOTPDevice.objects.filter(user=request.user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=request.user, name="Authenticator", confirmed=False)
    return _enrol_page(request, device, CodeForm())


def _enrol_page(
    request: HttpRequest, device: TOTPDevice, form: CodeForm, status: int = 200
) -> HttpResponse:
    key = device.base32_key
    return render(
        request,
        "settings/two_factor_enrol.html",
        {
            "form": form,
            "qr": _qr_svg(device),
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            "next": safe_next(request),
        },
        status=status,
    )


@require_POST
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    """The first code from the app confirms it; recovery codes are made and shown, once."""
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).last()
    if device is None:
        return redirect("settings-two-factor")
    form = CodeForm(request.POST)
    if not (form.is_valid() and device.verify_token(form.cleaned_data["code"])):
        if form.is_valid():
            form.add_error("code", "That code is not right: codes change every 30 seconds.")
        return _enrol_page(request, device, form, status=422)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=request.user, confirmed=True).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = RecoveryCodeDevice.issue(request.user)
    _verified(request, device)
    return render(
        request,
        "settings/recovery_codes.html",
        {"codes": codes, "new": True, "next": safe_next(request)},
    )


@require_POST
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    """New recovery codes (the old ones stop working), shown once."""
    if not TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("settings-two-factor")
    return render(
        request,
        "settings/recovery_codes.html",
        {"codes": RecoveryCodeDevice.issue(request.user), "new": False},
    )


@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    """Turn two-factor sign-in off, with a current code (not for staff when it is required)."""
    user = request.user
    if user.is_staff and settings.REQUIRE_STAFF_TWO_FACTOR:
        messages.error(request, "Staff accounts must keep two-factor sign-in on.")
        return redirect("settings-two-factor")
    form = CodeForm(request.POST)
    with transaction.atomic():
        device = form.is_valid() and verified_device(user, form.cleaned_data["code"])
        if device:
            TOTPDevice.objects.filter(user=user).delete()
            RecoveryCodeDevice.objects.filter(user=user).delete()
    if not device:
        messages.error(request, "That code is not right: two-factor sign-in is still on.")
        return redirect("settings-two-factor")
    messages.success(request, "Two-factor sign-in is off: your password alone signs you in.")
    return redirect("settings-two-factor")
