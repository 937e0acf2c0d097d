from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django_otp import devices_for_user

from clients.models import FreelancerProfile


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
