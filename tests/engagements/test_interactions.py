"""Interactions: out_of_hours is derived when one is logged, from the owner's working hours
(the profile fixture: Berlin, Mon–Fri 09:00–17:00), and keeps its verdict afterwards."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.models import FreelancerProfile, WorkingWindow
from engagements.models import Interaction
from tests.factories import ClientFactory

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
TUESDAY = date(2026, 6, 2)
SATURDAY = date(2026, 6, 6)


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme", timezone="America/New_York")


def at(day, hour, minute=0, zone=BERLIN):
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def log(client, occurred_at, direction=Interaction.Direction.INBOUND, **fields):
    """Log an interaction the way the app does, at the moment it happened."""
    with time_machine.travel(occurred_at, tick=False):
        interaction = Interaction(
            client=client, direction=direction, occurred_at=occurred_at, **fields
        )
        interaction.full_clean()
        interaction.save()
    return interaction


def test_an_inbound_at_eight_in_the_evening_berlin_time_is_out_of_hours(acme):
    assert log(acme, at(TUESDAY, 20)).out_of_hours is True


def test_an_inbound_at_ten_on_a_tuesday_is_within_hours(acme):
    assert log(acme, at(TUESDAY, 10)).out_of_hours is False


def test_an_inbound_on_a_saturday_is_out_of_hours(acme):
    assert log(acme, at(SATURDAY, 10)).out_of_hours is True


def test_the_working_window_includes_its_start_and_excludes_its_end(acme):
    assert log(acme, at(TUESDAY, 9)).out_of_hours is False
    assert log(acme, at(TUESDAY, 16, 59)).out_of_hours is False
    assert log(acme, at(TUESDAY, 17)).out_of_hours is True
    assert log(acme, at(TUESDAY, 8, 59)).out_of_hours is True


def test_it_judges_by_the_freelancers_zone_not_the_clients(acme):
    # 10:00 in New York is 16:00 in Berlin (working); 12:00 in New York is 18:00 (not).
    assert log(acme, at(TUESDAY, 10, zone=NEW_YORK)).out_of_hours is False
    assert log(acme, at(TUESDAY, 12, zone=NEW_YORK)).out_of_hours is True


def test_a_day_off_is_out_of_hours(acme, profile):
    profile.days_off.create(date=TUESDAY, note="Dentist")
    assert log(acme, at(TUESDAY, 10)).out_of_hours is True


def test_a_public_holiday_is_out_of_hours(acme, profile):
    profile.holiday_country = "DE"
    profile.save()
    assert log(acme, at(date(2026, 5, 25), 10)).out_of_hours is True  # Whit Monday


def test_the_freelancers_own_late_outbound_is_out_of_hours_too(acme):
    assert log(acme, at(TUESDAY, 22), Interaction.Direction.OUTBOUND).out_of_hours is True


def test_a_typed_out_of_hours_is_ignored(acme):
    assert log(acme, at(TUESDAY, 10), out_of_hours=True).out_of_hours is False
    assert Interaction.objects.get().out_of_hours is False


def test_the_verdict_is_stored(acme):
    log(acme, at(TUESDAY, 20))
    log(acme, at(TUESDAY, 10))
    assert list(
        Interaction.objects.order_by("occurred_at").values_list("out_of_hours", flat=True)
    ) == [
        False,
        True,
    ]


def test_it_keeps_its_verdict_when_the_working_hours_later_change(acme, profile):
    evening = log(acme, at(TUESDAY, 20))
    morning = log(acme, at(TUESDAY, 10))

    # Alice moves to afternoons and evenings.
    profile.working_windows.filter(weekday=TUESDAY.weekday()).update(start=time(14), end=time(22))
    with time_machine.travel(at(TUESDAY, 21), tick=False):
        evening.summary = "Edited after the hours changed"
        evening.save()
        morning.save()

    assert Interaction.objects.get(pk=evening.pk).out_of_hours is True
    assert Interaction.objects.get(pk=morning.pk).out_of_hours is False
    # …whereas the same times logged now get the new verdict.
    assert log(acme, at(TUESDAY, 20, 30)).out_of_hours is False
    assert log(acme, at(TUESDAY, 10, 30)).out_of_hours is True


def test_it_keeps_its_verdict_when_the_profile_time_zone_later_changes(acme, profile):
    evening = log(acme, at(TUESDAY, 20))
    profile.timezone = "America/New_York"
    profile.save()
    evening.save()
    assert Interaction.objects.get(pk=evening.pk).out_of_hours is True


def test_it_uses_the_owners_profile_even_when_another_user_has_other_hours(acme, outsider):
    theirs = FreelancerProfile.for_user(outsider)
    WorkingWindow.objects.create(
        profile=theirs, weekday=TUESDAY.weekday(), start=time(18), end=time(23)
    )
    assert log(acme, at(TUESDAY, 20)).out_of_hours is True


def test_an_owner_without_a_profile_gets_the_default_hours_in_utc(user):
    client = ClientFactory(owner=user)
    utc = ZoneInfo("UTC")
    assert log(client, at(TUESDAY, 10, zone=utc)).out_of_hours is False
    assert log(client, at(TUESDAY, 18, zone=utc)).out_of_hours is True
