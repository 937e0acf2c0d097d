"""The real services under REQUIRE_SERVICES=1, and workflows in clients/services.py."""

import os

import pytest
import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection

from clients.models import Channel, Client
from clients.services import create_client
from engagements.models import ChangeRecord

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
needs_services = pytest.mark.skipif(
    not REQUIRE_SERVICES,
    reason="REQUIRE_SERVICES is not 1: the real PostgreSQL and Redis are only checked in CI",
)


# --- the real services ------------------------------------------------------------------------


@pytest.mark.services
@needs_services
def test_the_test_database_really_is_postgresql(db):
    assert connection.vendor == "postgresql", f"DATABASE_URL gave {connection.vendor}"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_database(), extname FROM pg_extension WHERE extname = 'btree_gist'"
        )
        assert cursor.fetchone() == (connection.settings_dict["NAME"], "btree_gist")


@pytest.mark.services
@needs_services
def test_redis_answers_ping_and_is_the_celery_broker():
    url = os.environ.get("REDIS_URL", "")
    assert url, "REQUIRE_SERVICES=1 but REDIS_URL is not set"
    assert redis.Redis.from_url(url, socket_connect_timeout=2).ping() is True
    assert url == settings.CELERY_BROKER_URL


# --- create_client ------------------------------------------------------------------------------


@pytest.fixture
def tuned_profile(profile):
    profile.reply_window_hours = 4
    profile.update_cadence_days = 3
    profile.checkin_cadence_days = 7
    profile.save()
    return profile


def test_create_client_makes_boundaries_from_the_profile_defaults(tuned_profile, user):
    client = create_client(owner=user, name="Acme", timezone="America/New_York")
    boundaries = Client.objects.get(pk=client.pk).boundaries
    assert (
        boundaries.reply_window_hours,
        boundaries.update_cadence_days,
        boundaries.checkin_cadence_days,
        boundaries.agreed_channels,
        boundaries.after_hours_policy,
    ) == (4, 3, 7, [Channel.EMAIL], "not_ok")
    assert boundaries.owner == client.owner == user
    assert client.timezone == "America/New_York"


def test_create_client_lets_the_caller_override_a_default(tuned_profile, user):
    client = create_client(
        owner=user, name="Acme", boundaries={"reply_window_hours": 2, "agreed_channels": ["chat"]}
    )
    assert (client.boundaries.reply_window_hours, client.boundaries.update_cadence_days) == (2, 3)
    assert client.boundaries.agreed_channels == ["chat"]


def test_create_client_gives_a_new_user_the_standard_defaults(user):
    client = create_client(owner=user, name="Acme")
    boundaries = client.boundaries
    assert (
        boundaries.reply_window_hours,
        boundaries.update_cadence_days,
        boundaries.checkin_cadence_days,
    ) == (8, 5, 10)


def test_create_client_writes_no_change_record(user):
    create_client(owner=user, name="Acme")
    assert not ChangeRecord.objects.exists()


def test_create_client_saves_nothing_when_the_boundaries_are_bad(user):
    with pytest.raises(ValidationError) as caught:
        create_client(owner=user, name="Acme", boundaries={"reply_window_hours": 0})
    assert caught.value.message_dict == {"reply_window_hours": ["Must be at least 1."]}
    assert not Client.objects.exists()


def test_create_client_refuses_a_name_the_owner_already_uses(user, outsider):
    create_client(owner=user, name="Acme")
    with pytest.raises(ValidationError) as caught:
        create_client(owner=user, name="ACME")
    assert caught.value.message_dict == {"name": ["You already have a client with this name."]}
    create_client(owner=outsider, name="ACME")
    assert Client.objects.count() == 2
