"""Template filters shared by every page: times in a client's zone, durations in words."""

from zoneinfo import ZoneInfo

from django import template
from django.templatetags.tz import do_timezone

from clients import formats
from clients.validation import TEXT_LIMIT

register = template.Library()


@register.filter
def in_zone(value, zone):
    """`{{ when|in_zone:client.timezone|date:"D H:i" }}`: the instant on that zone's clock."""
    if value is None or not zone:
        return value
    # Through Django's own `timezone` filter: its result is marked so that `date` and `time`
    # do not convert it back to the active (freelancer's) zone, as they do a plain datetime.
    return do_timezone(value, zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone)))


register.filter("duration", formats.duration)


@register.simple_tag
def text_limit() -> int:
    """`maxlength="{% text_limit %}"` on a text area written by hand: the fields' own limit."""
    return TEXT_LIMIT
