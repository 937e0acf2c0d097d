"""The calendar feed, read back as a calendar app would: parsed with icalendar and expanded with
a second, independent library (recurring-ical-events), across the end of summer time in Berlin
(25 October 2026) while New York keeps its own until 1 November."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import time_machine

from engagements.evaluation import evaluate
from engagements.models import Flag, FollowUp, Party, Rule
from integrations.models import CalendarFeed
from tests.factories import ClientFactory, ExpectationFactory, InteractionFactory

BERLIN, NEW_YORK = ZoneInfo("Europe/Berlin"), ZoneInfo("America/New_York")
# Friday before the change (CEST, UTC+2) and the Monday after it (CET, UTC+1).
ASKED = datetime(2026, 10, 23, 15, 0, tzinfo=BERLIN)
NOW = datetime(2026, 10, 26, 14, 0, tzinfo=BERLIN)


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme", timezone="America/New_York")


@pytest.fixture
def world(acme, profile):
    """A reply owed since Friday 15:00 (8 working hours: due Monday 15:00), my deliverable due
    Tuesday, their feedback due Wednesday, and a follow-up reminder."""
    with time_machine.travel(ASKED - timedelta(days=30), tick=False):
        acme.refresh_from_db()
    mine = ExpectationFactory(engagement__client=acme, title="Logo drafts", due=date(2026, 10, 27))
    theirs = ExpectationFactory(
        engagement=mine.engagement, title="Feedback", owed_by=Party.CLIENT, due=date(2026, 10, 28)
    )
    InteractionFactory(client=acme, needs_reply=True, occurred_at=ASKED, summary="New logo?")
    with time_machine.travel(NOW, tick=False):
        evaluate(profile.user_id, now=NOW)
    follow_up = FollowUp.objects.create(
        client=acme,
        note="Ask about the invoice",
        remind_at=datetime(2026, 10, 29, 10, 0, tzinfo=BERLIN),
        send_at=datetime(2026, 10, 29, 10, 0, tzinfo=BERLIN),
    )
    return {"mine": mine, "theirs": theirs, "follow_up": follow_up}


def fetch(client, token: str):
    with time_machine.travel(NOW, tick=False):
        return client.get(f"/calendar/{token}.ics")


def feed_of(client, token: str) -> icalendar.Calendar:
    response = fetch(client, token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def by_summary(cal: icalendar.Calendar, start, end) -> dict:
    return {str(e["SUMMARY"]): e for e in recurring_ical_events.of(cal).between(start, end)}


def test_the_feed_lists_deadlines_replies_and_follow_ups_at_the_right_moments_across_the_dst_change(
    client, world, profile
):
    _, token = CalendarFeed.issue(profile.user_id)
    cal = feed_of(client, token)
    events = by_summary(cal, datetime(2026, 10, 20), datetime(2026, 11, 10))

    reply = events["Reply due: Acme"]
    # 2 working hours on Friday (15–17) and 6 on Monday (9–15), the clocks back in between.
    assert reply["DTSTART"].dt == datetime(2026, 10, 26, 15, 0, tzinfo=BERLIN)
    assert reply["DTSTART"].dt.utcoffset() == timedelta(hours=1)
    assert "Acme's time: Mon 26 Oct 10:00 (America/New_York)" in str(reply["DESCRIPTION"])

    mine = events["Due to Acme: Logo drafts"]
    assert mine["DTSTART"].dt == date(2026, 10, 27)
    assert events["Due from Acme: Feedback"]["DTSTART"].dt == date(2026, 10, 28)
    follow_up = events["Follow up: Acme"]
    assert follow_up["DTSTART"].dt == datetime(2026, 10, 29, 10, 0, tzinfo=BERLIN)
    assert "Acme's time: Thu 29 Oct 05:00 (America/New_York)" in str(follow_up["DESCRIPTION"])


def test_alarms_ring_at_the_start_of_the_working_window_before_each_moment(client, world, profile):
    _, token = CalendarFeed.issue(profile.user_id)
    cal = feed_of(client, token)
    alarms = {
        str(e["SUMMARY"]): e.subcomponents[0]["TRIGGER"].dt
        for e in recurring_ical_events.of(cal, components=["VALARM"]).between(
            datetime(2026, 10, 20), datetime(2026, 11, 10)
        )
    }
    # The reply is due Monday 15:00: the window it falls in began at 09:00 (CET).
    assert alarms["Reply due: Acme"] == datetime(2026, 10, 26, 9, 0, tzinfo=BERLIN)
    # A deadline is the end of its day: the last window before it began on Tuesday at 09:00.
    assert alarms["Due to Acme: Logo drafts"] == datetime(2026, 10, 27, 9, 0, tzinfo=BERLIN)
    # A follow-up at 10:00 on Thursday: that morning's window.
    assert alarms["Follow up: Acme"] == datetime(2026, 10, 29, 9, 0, tzinfo=BERLIN)


def test_the_feed_carries_the_freelancers_time_zone_with_both_its_offsets(client, world, profile):
    _, token = CalendarFeed.issue(profile.user_id)
    cal = feed_of(client, token)
    zones = cal.walk("VTIMEZONE")
    assert [str(z["TZID"]) for z in zones] == ["Europe/Berlin"]
    assert {c.name for c in zones[0].subcomponents} == {"STANDARD", "DAYLIGHT"}
    assert cal["X-WR-TIMEZONE"] == "Europe/Berlin"


def test_an_update_replaces_its_event_and_a_new_address_keeps_the_uids(client, world, profile):
    feed, token = CalendarFeed.issue(profile.user_id)
    before = {str(e["UID"]): e for e in feed_of(client, token).walk("VEVENT")}

    world["mine"].due = date(2026, 11, 3)
    world["mine"].save()
    new_token = feed.regenerate()
    after = {str(e["UID"]): e for e in feed_of(client, new_token).walk("VEVENT")}

    assert before.keys() == after.keys()
    assert len(after) == len(set(after))
    moved = next(uid for uid in after if uid.startswith(f"expectation-{world['mine'].pk}@"))
    assert after[moved]["DTSTART"].dt == date(2026, 11, 3)


def test_the_old_address_stops_at_once_when_a_new_one_is_made(client, world, profile):
    feed, token = CalendarFeed.issue(profile.user_id)
    feed.regenerate()

    assert fetch(client, token).status_code == 404
    assert fetch(client, "cal_not-a-token").status_code == 404


def test_a_client_feed_holds_only_that_clients_dates(client, world, acme, profile):
    other = ClientFactory(owner=profile.user, name="Globex")
    ExpectationFactory(engagement__client=other, title="Globex report", due=date(2026, 10, 27))
    _, token = CalendarFeed.issue(profile.user_id, acme)

    summaries = {str(e["SUMMARY"]) for e in feed_of(client, token).walk("VEVENT")}

    assert "Due to Acme: Logo drafts" in summaries
    assert not [s for s in summaries if "Globex" in s]


def test_a_resolved_reply_leaves_the_feed(client, world, profile):
    _, token = CalendarFeed.issue(profile.user_id)
    Flag.objects.get(rule=Rule.REPLY_OWED).resolve("Answered by phone")

    summaries = {str(e["SUMMARY"]) for e in feed_of(client, token).walk("VEVENT")}

    assert "Reply due: Acme" not in summaries
