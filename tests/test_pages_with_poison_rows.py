"""Rows written before dates were checked (or by hand, bypassing validation) must not break a
page: every page opens, and the client's form shows the bad date and asks for a sane one."""

import pytest
from django.db import connection
from django.utils import timezone

from clients.models import Boundaries, DayOff
from engagements.models import Engagement, Expectation, FollowUp, Interaction
from tests.test_isolation import ALL_ROUTES

# Each table and column a person or an import fills with a date, and what is planted in it:
# before year 1 once converted to UTC (the form was in Berlin), after 9999 (New York), and
# plain dates at the ends of what Python holds.
POISON = [
    (Boundaries, "confirmed_in_writing_at", "0001-01-01 00:00+01:00"),
    (Interaction, "occurred_at", "9999-12-31 23:59-05:00"),
    (FollowUp, "remind_at", "9999-12-31 23:59-05:00"),
    (FollowUp, "send_at", "0001-01-01 00:00+01:00"),
    (Engagement, "start", "0001-01-01"),
    (Engagement, "end", "9999-12-31"),
    (Expectation, "due", "0001-01-01"),
    (DayOff, "date", "9999-12-31"),
]


@pytest.fixture
def poisoned(postgres, world, user):
    """The world of tests/test_fuzz.py with every date column above planted by SQL."""
    for model, column, value in POISON:
        with connection.cursor() as cursor:
            cursor.execute(f'UPDATE {model._meta.db_table} SET "{column}" = %s', [value])
    return world


@pytest.mark.parametrize("route", [pytest.param(r, id=r.name) for r in ALL_ROUTES])
def test_every_page_opens_over_rows_with_dates_out_of_range(route, web, poisoned):
    url = route.url([poisoned[key] for key in route.objects()])
    assert web.get(url).status_code < 500, url


def test_a_client_whose_boundaries_have_a_year_1_date_can_be_corrected(web, poisoned):
    client = poisoned["client"]
    page = web.get(f"/clients/{client.pk}/edit/")
    assert page.status_code == 200
    assert 'value="0001-01-02T' in page.content.decode()

    form = page.context["boundaries_form"]
    data = {f"b-{name}": value for name, value in form.initial.items() if value is not None}
    data |= {"name": client.name, "timezone": client.timezone, "status": client.status}
    data |= {"b-agreed_channels": ["email"], "change-requested_by": "freelancer"}
    data["b-confirmed_in_writing_at"] = "0001-01-02T01:00"
    refused = web.post(f"/clients/{client.pk}/edit/", data)
    assert "Enter a date between 1 Jan 1970 and 31 Dec 2200." in refused.content.decode()

    data["b-confirmed_in_writing_at"] = "2026-11-02T10:00"
    assert web.post(f"/clients/{client.pk}/edit/", data).status_code == 302
    client.boundaries.refresh_from_db()
    assert timezone.localtime(client.boundaries.confirmed_in_writing_at).year == 2026
