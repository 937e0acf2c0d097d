"""Small helpers shared by the dashboard's views."""

from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request) -> str | None:
    """The `next` parameter if it points back into this site, else None."""
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None
