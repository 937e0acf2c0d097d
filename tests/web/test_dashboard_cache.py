"""The dashboard keeps its rows in the cache between refreshes (engagements/dashboard_cache.py):
a refresh with nothing changed reads no rows, and every kind of change shows on the next one.

Each test loads the dashboard first (so its rows are cached), changes something the way the app
does, and loads it again. Alice works Mon–Fri 09:00–17:00 in Berlin; Acme is in New York.
"""

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from clients.models import DayOff, FreelancerProfile
from engagements import dashboard_cache, sender
from engagements.evaluation import evaluate
from engagements.models import Engagement, Flag, Interaction, Rule, Severity
from engagements.services import log_interaction
from tests.factories import ClientFactory, EngagementFactory, ExpectationFactory
from tests.web.test_dashboard import flag, get, message, section
from tests.web.test_settings_pages import hours_data

BERLIN = ZoneInfo("Europe/Berlin")
WEDNESDAY = datetime(2026, 11, 25, 11, 0, tzinfo=BERLIN)
IN = Interaction.Direction.INBOUND
# session, user, profile: what any signed-in page reads
WARM_QUERIES = 3


@pytest.fixture
def acme(profile):
    with time_machine.travel(WEDNESDAY - timedelta(days=30), tick=False):
        acme = ClientFactory(owner=profile.user, name="Acme", timezone="America/New_York")
        EngagementFactory(client=acme)
    return acme


def test_a_refresh_with_nothing_changed_reads_no_rows(signed_in, acme, django_assert_num_queries):
    message(acme, WEDNESDAY - timedelta(hours=1), needs_reply=True, summary="Can we talk?")
    first = get(signed_in, WEDNESDAY)
    with django_assert_num_queries(WARM_QUERIES):
        again = get(signed_in, WEDNESDAY)
    assert section(again, "owed") == section(first, "owed")
    assert "Can we talk?" in section(again, "owed")


def test_what_depends_on_the_clock_moves_on_without_a_change(signed_in, acme):
    message(acme, WEDNESDAY - timedelta(hours=1), needs_reply=True)
    assert "7 h of working time left" in section(get(signed_in, WEDNESDAY), "owed")
    later = get(signed_in, WEDNESDAY + timedelta(hours=2))
    assert "5 h of working time left" in section(later, "owed")


def test_a_logged_message_shows_at_once(signed_in, acme):
    get(signed_in, WEDNESDAY)
    with time_machine.travel(WEDNESDAY, tick=False):
        log_interaction(client=acme, direction=IN, needs_reply=True, summary="Invoice question")
    assert "Invoice question" in section(get(signed_in, WEDNESDAY), "owed")


def test_a_flag_raised_by_the_evaluation_pass_shows_at_once(signed_in, acme):
    message(acme, WEDNESDAY - timedelta(days=2), needs_reply=True, summary="Hello?")
    assert Flag.objects.count() == 0
    get(signed_in, WEDNESDAY)
    evaluate(acme.owner_id, now=WEDNESDAY)
    assert Flag.objects.filter(rule=Rule.REPLY_OWED).exists()
    assert "Reply owed" in section(get(signed_in, WEDNESDAY), "flags")


def test_a_snoozed_flag_goes_and_comes_back_when_its_snooze_ends(signed_in, acme):
    raised = flag(acme, summary="Quiet for too long")
    assert "Quiet for too long" in section(get(signed_in, WEDNESDAY), "flags")
    with time_machine.travel(WEDNESDAY, tick=False):
        assert raised.snooze(WEDNESDAY + timedelta(hours=3), "On holiday")
    assert "Quiet for too long" not in section(get(signed_in, WEDNESDAY), "flags")
    # Nothing is written when the snooze ends: the kept rows only hold until then.
    back = get(signed_in, WEDNESDAY + timedelta(hours=3, minutes=1))
    assert "Quiet for too long" in section(back, "flags")


def test_a_message_logged_reads_that_clients_row_again_and_keeps_the_rest(
    signed_in, acme, profile, django_assert_num_queries
):
    other = ClientFactory(owner=profile.user, name="Bolt")
    flag(other, summary="Quiet for too long")
    get(signed_in, WEDNESDAY)
    message(acme, WEDNESDAY - timedelta(hours=1), needs_reply=True, summary="Can we talk?")
    with django_assert_num_queries(WARM_QUERIES + 1):  # the rows of Acme's group of clients
        html = get(signed_in, WEDNESDAY)
    assert "Can we talk?" in section(html, "owed")
    assert "Quiet for too long" in section(html, "flags")


def test_a_flag_written_reads_the_flag_board_again_and_keeps_the_clients(
    signed_in, acme, django_assert_num_queries
):
    get(signed_in, WEDNESDAY)
    flag(acme, summary="Quiet for too long")
    with django_assert_num_queries(WARM_QUERIES + 2):  # the flag board's two
        html = get(signed_in, WEDNESDAY)
    assert "Quiet for too long" in section(html, "flags")
    assert "Acme" in section(html, "clients")


def test_a_deleted_message_takes_its_flag_off_the_dashboard(signed_in, acme):
    logged = message(acme, WEDNESDAY - timedelta(hours=1))
    flag(acme, Rule.OUT_OF_HOURS, Severity.INFO, interaction=logged, summary="Late call")
    assert "Late call" in section(get(signed_in, WEDNESDAY), "flags")
    logged.delete()
    assert "Late call" not in section(get(signed_in, WEDNESDAY), "flags")


def test_a_renamed_client_shows_under_the_new_name(signed_in, acme):
    get(signed_in, WEDNESDAY)
    acme.name = "Acme Holdings"
    acme.save()
    assert "Acme Holdings" in section(get(signed_in, WEDNESDAY), "clients")


def test_a_wider_reply_window_moves_the_due_moment(signed_in, acme):
    message(acme, WEDNESDAY - timedelta(hours=1), needs_reply=True)
    assert "7 h of working time left" in section(get(signed_in, WEDNESDAY), "owed")
    acme.boundaries.reply_window_hours = 16
    acme.boundaries.save()
    assert "15 h of working time left" in section(get(signed_in, WEDNESDAY), "owed")


def test_an_ended_engagement_owes_no_more_updates(signed_in, acme):
    assert "Progress update for Acme" in section(get(signed_in, WEDNESDAY), "owed")
    engagement = Engagement.objects.get(client=acme)
    engagement.status = Engagement.Status.DONE
    engagement.save()
    assert "Progress update for Acme" not in section(get(signed_in, WEDNESDAY), "owed")


def test_new_working_hours_show_in_the_header(signed_in, acme):
    assert "In working hours until 17:00" in section_now(get(signed_in, WEDNESDAY))
    with time_machine.travel(WEDNESDAY, tick=False):
        response = signed_in.post(reverse("settings-hours"), hours_data((2, "08:00", "12:00")))
    assert response.status_code == 302
    assert "In working hours until 12:00" in section_now(get(signed_in, WEDNESDAY))


def test_a_day_off_today_shows_in_the_header(signed_in, acme, profile):
    assert "In working hours until 17:00" in section_now(get(signed_in, WEDNESDAY))
    DayOff.objects.create(profile=profile, date=date(2026, 11, 25))
    assert "Outside working hours" in section_now(get(signed_in, WEDNESDAY))


def test_a_new_time_zone_shows_in_the_header(signed_in, acme, profile):
    get(signed_in, WEDNESDAY)
    profile.timezone = "Europe/Lisbon"
    profile.save()
    assert "your time (Lisbon)" in section_now(get(signed_in, WEDNESDAY))


def test_paused_email_shows_at_once(signed_in, acme):
    get(signed_in, WEDNESDAY)
    for _ in range(sender.MAX_FAILURES):
        sender._record_failure(acme.owner_id, "550 mailbox unavailable", WEDNESDAY)
    assert "Your reminder emails are paused" in get(signed_in, WEDNESDAY)


def test_a_deleted_client_leaves_the_dashboard(signed_in, acme):
    flag(acme, severity=Severity.BREACH, summary="Unpaid invoice")
    assert "Unpaid invoice" in section(get(signed_in, WEDNESDAY), "flags")
    acme.delete()
    html = get(signed_in, WEDNESDAY)
    assert "Unpaid invoice" not in html
    assert "Acme" not in section(html, "clients")


def test_a_deleted_expectation_takes_its_flag_off_the_dashboard(signed_in, acme):
    engagement = Engagement.objects.get(client=acme)
    expectation = ExpectationFactory(engagement=engagement, title="Site map")
    flag(acme, Rule.DEADLINE, Severity.BREACH, expectation=expectation, summary="Site map late")
    assert "Site map late" in section(get(signed_in, WEDNESDAY), "flags")
    expectation.delete()
    assert "Site map late" not in section(get(signed_in, WEDNESDAY), "flags")


def test_a_change_seen_from_another_process_before_its_commit_is_not_kept(signed_in, acme):
    """A page read between the write and its commit computes from the old rows; the token
    replaced again on commit means that page's rows are not used afterwards."""
    get(signed_in, WEDNESDAY)
    stale = tokens(acme.owner_id)
    dashboard_cache.changed(acme.owner_id)  # outside a transaction: at once and "on commit"
    fresh = tokens(acme.owner_id)
    assert all(fresh[part] != stale[part] for part in dashboard_cache.PARTS)


def test_the_dashboard_works_while_the_cache_is_down(signed_in, acme, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
        }
    }
    message(acme, WEDNESDAY - timedelta(hours=1), needs_reply=True, summary="Still there?")
    assert "Still there?" in section(get(signed_in, WEDNESDAY), "owed")
    with time_machine.travel(WEDNESDAY, tick=False):
        log_interaction(client=acme, direction=IN, needs_reply=False, summary="Never mind")
    assert "Never mind" in section(get(signed_in, WEDNESDAY), "owed")


def test_a_change_made_while_the_cache_was_down_shows_once_it_is_back(
    signed_in, acme, settings, monkeypatch
):
    monkeypatch.setattr(dashboard_cache, "OUTAGE_PAUSE", 0.0)  # try the cache again at once
    message(acme, WEDNESDAY - timedelta(hours=1), needs_reply=True, summary="Still there?")
    assert "Still there?" in section(get(signed_in, WEDNESDAY), "owed")  # kept in the cache
    kept = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # down: nothing listens on port 1
        }
    }
    with time_machine.travel(WEDNESDAY, tick=False):
        log_interaction(client=acme, direction=IN, needs_reply=False, summary="Never mind")

    settings.CACHES = kept  # back, with the rows kept before the change

    assert "Never mind" in section(get(signed_in, WEDNESDAY), "owed")


def test_rows_kept_in_redis_are_shared_and_replaced_on_change(
    signed_in, acme, settings, redis_url, django_assert_num_queries
):
    """The worker (evaluation pass) and the web server share Redis: its change reaches the page."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": f"test-{acme.owner_id}-{acme.pk}",
        }
    }
    cache.delete_many([dashboard_cache._version_key(acme.owner_id, p) for p in tokens(0)])
    message(acme, WEDNESDAY - timedelta(days=2), needs_reply=True)
    get(signed_in, WEDNESDAY)
    with django_assert_num_queries(WARM_QUERIES):
        assert "Reply owed" not in section(get(signed_in, WEDNESDAY), "flags")
    evaluate(acme.owner_id, now=WEDNESDAY)
    assert "Reply owed" in section(get(signed_in, WEDNESDAY), "flags")


def test_a_profile_row_change_replaces_every_token(profile):
    before = tokens(profile.user_id)
    FreelancerProfile.objects.get(pk=profile.pk).save()
    after = tokens(profile.user_id)
    assert all(after[p] not in (None, before[p]) for p in dashboard_cache.PARTS)


def tokens(owner_id: int) -> dict[str, str | None]:
    parts = (*dashboard_cache.PARTS, dashboard_cache.ROWS)
    return {p: cache.get(dashboard_cache._version_key(owner_id, p)) for p in parts}


def section_now(html: str) -> str:
    start = html.index('id="now"')
    return html[start : html.index("</header>", start)]


def row_class(module: str, fields=("pk", "name")):
    cls = dataclasses.make_dataclass("ClientRow", fields)
    cls.__module__ = module
    return cls


def test_rows_kept_by_code_that_has_since_moved_or_changed_are_never_read():
    today = dashboard_cache.shape_of(row_class("web.selectors.dashboard"))
    assert today == dashboard_cache.shape_of(row_class("web.selectors.dashboard"))
    assert today != dashboard_cache.shape_of(row_class("engagements.selectors"))  # moved
    assert today != dashboard_cache.shape_of(row_class("web.selectors.dashboard", ("pk",)))
