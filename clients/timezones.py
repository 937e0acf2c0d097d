"""Time zone names: validation and the choices shown in forms."""

import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError

from clients.formats import city


@lru_cache(maxsize=1)
def timezone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones() - {"Factory", "localtime"})


def validate_timezone(value: str) -> None:
    if value not in timezone_names():
        raise ValidationError(
            "“%(value)s” is not a time zone name; use an IANA name such as Europe/Berlin.",
            params={"value": value},
            code="invalid_timezone",
        )


@lru_cache(maxsize=1)
def timezone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Every zone, grouped by region for a <select>: ("Europe", [("Europe/Berlin", "Berlin"),
    …]); zones without a region (UTC) under "Other"."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in timezone_names():
        region = name.split("/", 1)[0] if "/" in name else "Other"
        groups.setdefault(region, []).append((name, city(name)))
    return sorted(groups.items(), key=lambda g: (g[0] == "Other", g[0]))
