"""Model constraints: bad data is refused with a clear message on the right field by
full_clean(), and refused again by the database when something bypasses clean()."""

from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.models import Client, FreelancerProfile, WorkingWindow
from engagements.models import Engagement, Interaction
from tests.factories import ClientFactory, ContactFactory, EngagementFactory

BERLIN = ZoneInfo("Europe/Berlin")
TUESDAY = 1


def errors_of(instance, **kwargs) -> dict:
    with pytest.raises(ValidationError) as caught:
        instance.full_clean(**kwargs)
    return caught.value.message_dict


@contextmanager
def refused_by_database():
    """The block raises IntegrityError; a savepoint lets the test carry on afterwards."""
    with pytest.raises(IntegrityError), transaction.atomic():
        yield


@pytest.fixture
def acme(user):
    return ClientFactory(owner=user, name="Acme")


# --- positive reply window and cadences -------------------------------------------------


@pytest.mark.parametrize(
    "field", ["reply_window_hours", "update_cadence_days", "checkin_cadence_days"]
)
def test_it_refuses_boundaries_with_a_zero_window_or_cadence(acme, field):
    boundaries = acme.boundaries
    setattr(boundaries, field, 0)
    assert errors_of(boundaries) == {field: ["Must be at least 1."]}


@pytest.mark.parametrize(
    "field", ["reply_window_hours", "update_cadence_days", "checkin_cadence_days"]
)
def test_the_database_refuses_boundaries_with_a_zero_window_or_cadence(acme, field):
    boundaries = acme.boundaries
    setattr(boundaries, field, 0)
    with refused_by_database():
        boundaries.save()


def test_it_refuses_boundaries_with_a_negative_cadence_once_with_the_field_message(acme):
    boundaries = acme.boundaries
    boundaries.update_cadence_days = -1
    assert errors_of(boundaries) == {
        "update_cadence_days": ["Ensure this value is greater than or equal to 0."]
    }


@pytest.mark.parametrize(
    "field", ["reply_window_hours", "update_cadence_days", "checkin_cadence_days"]
)
def test_it_refuses_a_profile_default_window_or_cadence_of_zero(profile, field):
    setattr(profile, field, 0)
    assert errors_of(profile) == {field: ["Must be at least 1."]}


@pytest.mark.parametrize(
    "field",
    ["reply_window_hours", "update_cadence_days", "checkin_cadence_days", "walk_away_weeks"],
)
def test_the_database_refuses_a_profile_threshold_of_zero(profile, field):
    with refused_by_database():
        FreelancerProfile.objects.filter(pk=profile.pk).update(**{field: 0})


def test_it_accepts_a_profile_with_every_default(profile):
    profile.full_clean()


# --- reply_warning_percent ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "message"),
    [
        (0, "Ensure this value is greater than or equal to 1."),
        (100, "Ensure this value is less than or equal to 99."),
    ],
)
def test_it_refuses_a_reply_warning_percent_outside_1_to_99(profile, percent, message):
    profile.reply_warning_percent = percent
    assert errors_of(profile) == {"reply_warning_percent": [message]}


@pytest.mark.parametrize("percent", [0, 100])
def test_the_database_refuses_a_reply_warning_percent_outside_1_to_99(profile, percent):
    profile.reply_warning_percent = percent
    with refused_by_database():
        profile.save()


@pytest.mark.parametrize("percent", [1, 99])
def test_it_accepts_the_edges_of_the_reply_warning_percent_range(profile, percent):
    profile.reply_warning_percent = percent
    profile.full_clean()
    profile.save()


# --- engagements ----------------------------------------------------------------------------


def test_it_refuses_an_engagement_that_ends_before_it_starts(acme):
    engagement = Engagement(
        client=acme, title="Site", start=date(2026, 3, 10), end=date(2026, 3, 9)
    )
    assert errors_of(engagement) == {"end": ["The end date cannot be before the start date."]}


def test_the_database_refuses_an_engagement_that_ends_before_it_starts(acme):
    with refused_by_database():
        Engagement.objects.create(
            client=acme, title="Site", start=date(2026, 3, 10), end=date(2026, 3, 9)
        )


def test_it_accepts_an_engagement_that_ends_the_day_it_starts_or_has_no_end(acme):
    Engagement(
        client=acme, title="One day", start=date(2026, 3, 10), end=date(2026, 3, 10)
    ).full_clean()
    Engagement(client=acme, title="Open", start=date(2026, 3, 10), end=None).full_clean()


# --- working windows ------------------------------------------------------------------------


def test_a_working_window_may_run_past_midnight_or_end_at_midnight(profile):
    WorkingWindow(profile=profile, weekday=5, start=time(22), end=time(6)).full_clean()
    WorkingWindow(profile=profile, weekday=5, start=time(18), end=time(0)).full_clean()
    WorkingWindow(profile=profile, weekday=5, start=time(0), end=time(0)).full_clean()


def test_it_refuses_a_working_window_that_ends_when_it_starts(profile):
    window = WorkingWindow(profile=profile, weekday=5, start=time(9), end=time(9))
    assert errors_of(window) == {
        "end": ["A window cannot start and end at the same time (00:00–24:00 is the whole day)."]
    }


def test_the_database_refuses_a_working_window_that_ends_when_it_starts(profile):
    with refused_by_database():
        WorkingWindow.objects.create(profile=profile, weekday=5, start=time(9), end=time(9))


@pytest.mark.parametrize("weekday", [-1, 7])
def test_it_refuses_a_weekday_outside_monday_to_sunday(profile, weekday):
    window = WorkingWindow(profile=profile, weekday=weekday, start=time(9), end=time(12))
    assert "weekday" in errors_of(window)


@pytest.mark.parametrize("weekday", [-1, 7])
def test_the_database_refuses_a_weekday_outside_monday_to_sunday(profile, weekday):
    with refused_by_database():
        WorkingWindow.objects.create(profile=profile, weekday=weekday, start=time(9), end=time(12))


def test_it_refuses_a_working_window_that_overlaps_another_on_the_same_day(profile):
    # The profile fixture works Tuesday 09:00–17:00.
    window = WorkingWindow(profile=profile, weekday=TUESDAY, start=time(16), end=time(18))
    assert errors_of(window) == {"__all__": ["Tuesday 09:00–17:00 overlaps Tuesday 16:00–18:00."]}


def test_it_accepts_a_split_shift_and_a_window_that_only_touches_another(profile):
    WorkingWindow(profile=profile, weekday=TUESDAY, start=time(17), end=time(19)).full_clean()
    WorkingWindow(profile=profile, weekday=5, start=time(9), end=time(12)).full_clean()


def test_it_does_not_count_a_window_as_overlapping_itself_when_edited(profile):
    window = profile.working_windows.get(weekday=TUESDAY)
    window.end = time(18)
    window.full_clean()


def test_the_database_refuses_overlapping_working_windows_on_postgres(profile, postgres):
    with refused_by_database():
        WorkingWindow.objects.create(profile=profile, weekday=TUESDAY, start=time(16), end=time(18))


def test_the_database_accepts_windows_that_only_touch_on_postgres(profile, postgres):
    WorkingWindow.objects.create(profile=profile, weekday=TUESDAY, start=time(17), end=time(19))
    WorkingWindow.objects.create(profile=profile, weekday=TUESDAY, start=time(7), end=time(9))
    assert profile.working_windows.filter(weekday=TUESDAY).count() == 3


def test_it_refuses_a_night_that_runs_into_the_next_mornings_window(profile):
    # The profile fixture works Tuesday 09:00–17:00.
    window = WorkingWindow(profile=profile, weekday=0, start=time(22), end=time(10))
    assert errors_of(window) == {"__all__": ["Monday 22:00–10:00 overlaps Tuesday 09:00–17:00."]}


@pytest.mark.parametrize(
    ("weekday", "start", "end"),
    [(0, time(22), time(10)), (6, time(23), time(9, 30)), (TUESDAY, time(16), time(0))],
)
def test_the_database_refuses_a_night_that_overlaps_the_next_morning_on_postgres(
    profile, postgres, weekday, start, end
):
    with refused_by_database():
        WorkingWindow.objects.create(profile=profile, weekday=weekday, start=start, end=end)


def test_the_database_accepts_a_night_that_ends_when_the_next_day_begins_on_postgres(
    profile, postgres
):
    WorkingWindow.objects.create(profile=profile, weekday=0, start=time(22), end=time(9))
    WorkingWindow.objects.create(profile=profile, weekday=6, start=time(17), end=time(9))
    WorkingWindow.objects.create(profile=profile, weekday=5, start=time(0), end=time(0))
    assert profile.working_windows.count() == 8


def test_the_overlap_constraint_is_per_profile_on_postgres(profile, outsider, postgres):
    theirs = FreelancerProfile.for_user(outsider)
    WorkingWindow.objects.create(profile=theirs, weekday=5, start=time(9), end=time(17))
    WorkingWindow.objects.create(profile=profile, weekday=5, start=time(9), end=time(17))


# --- time zones -----------------------------------------------------------------------------


def test_it_refuses_a_profile_time_zone_that_does_not_exist(profile):
    profile.timezone = "Mars/Olympus_Mons"
    assert errors_of(profile) == {
        "timezone": [
            "“Mars/Olympus_Mons” is not a time zone name; use an IANA name such as Europe/Berlin."
        ]
    }


def test_it_refuses_a_client_time_zone_that_does_not_exist(acme):
    acme.timezone = "Berlin"
    assert list(errors_of(acme)) == ["timezone"]


def test_the_database_refuses_an_empty_time_zone(acme):
    acme.timezone = ""
    with refused_by_database():
        acme.save()


def test_the_database_refuses_an_unknown_profile_time_zone_on_postgres(profile, postgres):
    profile.timezone = "Mars/Olympus_Mons"
    with refused_by_database():
        profile.save()


def test_the_database_refuses_an_unknown_client_time_zone_on_postgres(user, postgres):
    with refused_by_database():
        Client.objects.create(owner=user, name="Nowhere Ltd", timezone="Mars/Olympus_Mons")


def test_the_database_accepts_a_real_time_zone_on_postgres(user, postgres):
    Client.objects.create(owner=user, name="Kathmandu Ltd", timezone="Asia/Kathmandu")


# --- client names ---------------------------------------------------------------------------


def test_it_refuses_a_second_client_with_the_same_name_in_other_letters(acme, user):
    assert errors_of(Client(owner=user, name="ACME")) == {
        "name": ["You already have a client with this name."]
    }


def test_the_database_refuses_a_second_client_with_the_same_name_in_other_letters(acme, user):
    with refused_by_database():
        Client.objects.create(owner=user, name="acme")


def test_two_owners_may_each_have_a_client_with_the_same_name(acme, outsider):
    theirs = Client(owner=outsider, name="Acme")
    theirs.full_clean()
    theirs.save()
    assert Client.objects.filter(name="Acme").count() == 2


def test_a_client_can_be_saved_again_under_its_own_name(acme):
    acme.name = "ACME"
    acme.full_clean()
    acme.save()


# --- interactions ---------------------------------------------------------------------------


def test_it_refuses_an_outbound_interaction_that_needs_a_reply(acme):
    interaction = Interaction(
        client=acme, direction=Interaction.Direction.OUTBOUND, needs_reply=True
    )
    assert errors_of(interaction) == {
        "needs_reply": ["Only a message from the client can need a reply."]
    }


def test_the_database_refuses_an_outbound_interaction_that_needs_a_reply(acme):
    with refused_by_database():
        Interaction.objects.create(
            client=acme, direction=Interaction.Direction.OUTBOUND, needs_reply=True
        )


def test_it_accepts_an_inbound_interaction_that_needs_a_reply(acme):
    Interaction(client=acme, direction=Interaction.Direction.INBOUND, needs_reply=True).full_clean()


@time_machine.travel(datetime(2026, 6, 2, 12, tzinfo=BERLIN), tick=False)
def test_it_refuses_an_interaction_in_the_future(acme):
    interaction = Interaction(
        client=acme,
        direction=Interaction.Direction.INBOUND,
        occurred_at=datetime(2026, 6, 2, 12, 30, tzinfo=BERLIN),
    )
    assert errors_of(interaction) == {
        "occurred_at": ["That time is in the future: log an interaction once it has happened."]
    }


@time_machine.travel(datetime(2026, 6, 2, 12, tzinfo=BERLIN), tick=False)
def test_it_tolerates_a_few_minutes_of_clock_skew(acme):
    Interaction(
        client=acme,
        direction=Interaction.Direction.INBOUND,
        occurred_at=datetime(2026, 6, 2, 12, tzinfo=BERLIN) + timedelta(minutes=4),
    ).full_clean()


def test_it_refuses_an_engagement_and_a_contact_from_another_client(acme, user):
    other = ClientFactory(owner=user, name="Other")
    interaction = Interaction(
        client=acme,
        direction=Interaction.Direction.INBOUND,
        engagement=EngagementFactory(client=other),
        contact=ContactFactory(client=other),
    )
    assert errors_of(interaction) == {
        "engagement": ["That engagement is not with this client."],
        "contact": ["That contact is not with this client."],
    }


def test_it_accepts_an_engagement_and_a_contact_of_the_same_client(acme):
    Interaction(
        client=acme,
        direction=Interaction.Direction.INBOUND,
        engagement=EngagementFactory(client=acme),
        contact=ContactFactory(client=acme),
    ).full_clean()


# --- holidays -------------------------------------------------------------------------------


def test_it_refuses_an_unknown_holiday_country(profile):
    profile.holiday_country = "XX"
    errors = errors_of(profile)
    assert list(errors) == ["holiday_country"]
    assert "XX" in errors["holiday_country"][0]


def test_it_refuses_an_unknown_region_on_the_region(profile):
    profile.holiday_country, profile.holiday_subdiv = "DE", "ZZ"
    errors = errors_of(profile)
    assert list(errors) == ["holiday_subdiv"]
    assert "ZZ" in errors["holiday_subdiv"][0]


def test_it_refuses_a_region_without_a_country(profile):
    profile.holiday_subdiv = "BY"
    assert errors_of(profile) == {"holiday_subdiv": ["Choose a country before a region."]}


def test_it_accepts_a_known_holiday_country_and_region(profile):
    profile.holiday_country, profile.holiday_subdiv = "DE", "BY"
    profile.full_clean()
