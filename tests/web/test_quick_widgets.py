"""The quick-log form's widgets write their HTML in Python (web/forms/dashboard.py): it must be the
HTML Django's own widget templates write, attributes and all (labels, aria, values)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms

from tests.factories import ClientFactory
from web.forms.dashboard import InteractionForm


def stock(widget, name, value, attrs):
    """What the widget's Django class renders through its template."""
    return forms.Widget.render(widget, name, value, attrs)


def normalised(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


@pytest.mark.parametrize(
    "data",
    [
        None,  # unbound: "now" in the when field, nothing checked
        {"direction": "out", "summary": 'Said "no" <firmly> & left', "needs_reply": "on"},
        {"occurred_at": "not a time", "concern": "Budget", "client": "999"},
    ],
)
def test_each_field_renders_as_the_stock_widget_would(profile, data):
    acme = ClientFactory(owner=profile.user, name="Acme & Sons")
    form = InteractionForm(
        data and data | {"client": str(acme.pk)}, owner=profile.user, client_rows=[acme]
    )
    form.is_valid()
    for field in form:
        widget = field.field.widget
        attrs = field.build_widget_attrs({"id": field.auto_id})
        value = field.value()
        assert normalised(widget.render(field.html_name, value, attrs)) == normalised(
            stock(widget, field.html_name, value, attrs)
        ), field.name


def test_a_time_is_shown_in_the_datetime_local_format(profile):
    form = InteractionForm(
        owner=profile.user,
        initial={"occurred_at": datetime(2026, 11, 25, 9, 5, tzinfo=ZoneInfo("UTC"))},
    )
    assert 'value="2026-11-25T' in str(form["occurred_at"])
