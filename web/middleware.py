from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.utils import timezone

from clients.models import FreelancerProfile
from clients.validation import TEXT_LIMIT
from web.views.problem import problem


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
