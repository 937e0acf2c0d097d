"""Time zone names: validation and the choices shown in forms."""

import zoneinfo
from functools import lru_cache

from django.core.exceptions import ValidationError


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
