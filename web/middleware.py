from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user

from clients.models import FreelancerProfile
from clients.validation import TEXT_LIMIT
from web.views.problem import problem


class ProfiledRequest(HttpRequest):
    """A signed-in request as views see it behind FreelancerTimezoneMiddleware (for types)."""

    profile: FreelancerProfile


class FreelancerTimezoneMiddleware:
    """Show every time in the signed-in freelancer's own zone; `request.profile` is theirs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.profile = None
        if request.user.is_authenticated:
            request.profile = FreelancerProfile.for_user(request.user)
            timezone.activate(request.profile.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


SECOND_FACTOR = "rapport_second_factor"  # in the session: "verify" (a code) or "enrol" (staff)


def client_ip(request) -> str:
    """The address a sign-in comes from (django-axes counts failures per address): behind our
    HTTPS proxy (BEHIND_HTTPS_PROXY), the one it appended to X-Forwarded-For, as every request
    would otherwise share the proxy's; else the socket's."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        return forwarded.rsplit(",", 1)[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def require_second_factor(sender, request, user, **kwargs):
    """On every sign-in (user_logged_in): a user with a confirmed two-factor device must give a
    code next; staff without one must set one up first when REQUIRE_STAFF_TWO_FACTOR is on."""
    if request is None:
        return
    if any(devices_for_user(user)):
        request.session[SECOND_FACTOR] = "verify"
    elif user.is_staff and settings.REQUIRE_STAFF_TWO_FACTOR:
        request.session[SECOND_FACTOR] = "enrol"


class SecondFactorMiddleware:
    """A sign-in that still needs its second factor reaches only the pages that ask for it (the
    code, or setting it up) and logging out; every other page sends it there. One session read
    per request: nothing for a session that needs nothing."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        step = request.session.get(SECOND_FACTOR)
        if step and request.user.is_authenticated and not request.user.is_verified():
            page = reverse("login-code" if step == "verify" else "settings-two-factor")
            if not request.path.startswith(page) and request.path != reverse("logout"):
                return redirect(f"{page}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class RequestLimitsMiddleware:
    """Read the query string and a POST's form before any view acts: a request too large
    (DATA_UPLOAD_MAX_MEMORY_SIZE, DATA_UPLOAD_MAX_NUMBER_FIELDS) gets a 413 page saying what
    and how much, and no view runs. Without this a view could act and only then trip over the
    body (a flag acknowledged, then a 400), and Django would answer with its bare 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            request.GET  # noqa: B018 (parsed now, with Django's limits)
            if request.method == "POST":
                request.POST  # noqa: B018
        except (RequestDataTooBig, TooManyFieldsSent) as error:
            drain(request)
            return too_large(request, error)
        return self.get_response(request)


DRAIN_LIMIT = 32_000_000


def drain(request) -> None:
    """Read what is left of the body (up to DRAIN_LIMIT) before answering: a server that answers
    while the browser is still sending closes the connection, and the browser shows a network
    error instead of the answer."""
    left = DRAIN_LIMIT
    while left > 0 and (chunk := request.read(min(left, 65536))):
        left -= len(chunk)


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB".replace(".0 MB", " MB")


def too_large(request, error: Exception):
    if isinstance(error, TooManyFieldsSent):
        return problem(
            request,
            413,
            "That request had too many fields",
            f"Rapport accepts at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} at once.",
        )
    size = request.META.get("CONTENT_LENGTH", "")
    return problem(
        request,
        413,
        "What you sent was too large"
        + (f" ({megabytes(int(size))})" if size.isdigit() and len(size) < 16 else ""),
        f"Rapport accepts at most {megabytes(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)} at once, and "
        f"a text box holds at most {TEXT_LIMIT:,} characters.",
        "Shorten the text (a long document is better kept elsewhere, with a link to it in "
        "Rapport) and send it again.",
    )
