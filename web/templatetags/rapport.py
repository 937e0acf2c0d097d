"""Template filters shared by every page: times in a client's zone, durations, cities and
dates in words, which form fields are checkboxes."""

from zoneinfo import ZoneInfo

from django import forms, template
from django.templatetags.tz import do_timezone

from clients import formats
from clients.validation import TEXT_LIMIT
from engagements.documentation import REFERENCE_LENGTH

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
def is_checkbox(field) -> bool:
    """A bound field whose widget is one checkbox (the quick log's own widget class too)."""
    return isinstance(field.field.widget, forms.CheckboxInput)


register.filter("duration", formats.duration)


@register.simple_tag
def text_limit() -> int:
    """`maxlength="{% text_limit %}"` on a text area written by hand: the fields' own limit."""
    return TEXT_LIMIT


@register.simple_tag
def reference_limit() -> int:
    """`maxlength` of a "where it was confirmed in writing" box."""
    return REFERENCE_LENGTH


register.filter("city", formats.city)  # "America/St_Johns" → "St John's"
register.filter("day_date_year", formats.day_date_year)  # "Mon 14 Dec 2026"
