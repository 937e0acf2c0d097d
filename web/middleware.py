from django.http import HttpRequest
from django.utils import timezone

from clients.models import FreelancerProfile


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
