"""Small helpers shared by the views."""

from django.utils.http import url_has_allowed_host_and_scheme

NEXT_LIMIT = 2000


def safe_next(request) -> str | None:
    """The `next` parameter if it is a path on this site ("/clients/3/?all=flags#flags"), else
    None: never another host, a URL name, a relative path or anything with a control character
    or a space (it becomes a Location header). It never raises, so a view can read it before it
    acts and fall back to its default page."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and len(target) <= NEXT_LIMIT
        and target.isprintable()
        and " " not in target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return None


def id_param(raw: str | None) -> int | None:
    """An id from a query string or a form: 1 to 18 ASCII digits (it fits a bigint), else None."""
    if raw and len(raw) <= 18 and raw.isascii() and raw.isdigit():
        return int(raw)
    return None
