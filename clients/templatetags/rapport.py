"""Template filters shared by every page: times in a client's zone, durations in words."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from django import template
from django.templatetags.tz import do_timezone

register = template.Library()


@register.filter
def in_zone(value, zone):
    """`{{ when|in_zone:client.timezone|date:"D H:i" }}`: the instant on that zone's clock."""
    if value is None or not zone:
        return value
    # Through Django's own `timezone` filter: its result is marked so that `date` and `time`
    # do not convert it back to the active (freelancer's) zone, as they do a plain datetime.
    return do_timezone(value, zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone)))


@register.filter
def duration(value: timedelta | None) -> str:
    """A timedelta in words: "3 h 20 min", "45 min", "2 d 4 h"."""
    if value is None:
        return ""
    minutes = int(abs(value).total_seconds() // 60)
    days, minutes = divmod(minutes, 1440)
    hours, minutes = divmod(minutes, 60)
    parts = [
        f"{days} d" if days else "",
        f"{hours} h" if hours else "",
        f"{minutes} min" if minutes and not days else "",
    ]
    return " ".join(p for p in parts if p) or "0 min"
