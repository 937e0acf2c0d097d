"""The calendar feed: a freelancer's dates as iCalendar (RFC 5545), built with `icalendar`.

Events: deadlines owed by either side (all-day, on the due date), the "reply due by" moment of
each open reply-owed flag, the next progress update and check-in due for each client, and
follow-up reminders. Each has a UID made from what it is about (`update-client-12@…`), so a
calendar that fetches the feed again replaces an event that moved rather than adding a second.
Times are in the freelancer's zone (with its VTIMEZONE); the description gives the moment on
the client's clock too; an alarm rings at the start of the working window the moment falls in
(or of the last one before it).
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from icalendar import Alarm, Calendar, Event

from clients.business_time import BusinessCalendar
from clients.formats import date_hm
from clients.models import Client
from engagements import evaluation, rules
from engagements.models import Expectation, Flag, FollowUp, Interaction, Party, Rule

EVENT_LENGTH = timedelta(minutes=15)  # a moment shows as a short event that starts then
LOOK_BACK = timedelta(days=14)  # how far back the alarm looks for a working window
FOLLOW_UPS_KEPT = timedelta(days=30)  # past follow-ups stay in the feed this long
OPEN = [Expectation.Status.NOT_STARTED, Expectation.Status.IN_PROGRESS]


@dataclass(frozen=True)
class Moment:
    """One calendar event: `at` is the moment; `day` makes it an all-day event on that date."""

    uid: str
    title: str
    about: str
    client_name: str
    client_zone: ZoneInfo
    at: datetime
    day: date | None = None


def alarm_at(cal: BusinessCalendar, moment: datetime) -> datetime:
    """The start of the working window `moment` falls in, or of the last one before it (the
    moment itself when there is none in LOOK_BACK)."""
    last = None
    for start, _ in cal.working_intervals(moment - LOOK_BACK, moment + timedelta(microseconds=1)):
        last = start
    return last or moment


def moments(owner_id: int, now: datetime, client: Client | None = None) -> list[Moment]:
    """Every date of the feed for this freelancer (or one client of theirs)."""
    p = evaluation.load_pass(owner_id, now, None if client is None else [client.pk])
    if p is None:
        return []
    zones = dict(Client.objects.filter(pk__in=list(p.clients)).values_list("pk", "timezone"))

    def zone(client_id: int) -> ZoneInfo:
        return ZoneInfo(zones[client_id])

    found: list[Moment] = []
    expectations = Expectation.objects.filter(
        owner_id=owner_id, client_id__in=list(p.clients), status__in=OPEN
    ).values_list("pk", "client_id", "title", "owed_by", "due")
    for pk, client_id, title, owed_by, due in expectations:
        name = p.clients[client_id].name
        mine = owed_by == Party.FREELANCER
        found.append(
            Moment(
                f"expectation-{pk}",
                f"{'Due to' if mine else 'Due from'} {name}: {title}",
                f"{'You owe' if mine else f'{name} owes'} “{title}” by the end of this day.",
                name,
                zone(client_id),
                rules.local_start_of(due + timedelta(days=1), p.calendar),
                day=due,
            )
        )

    replies = (
        Flag.objects.filter(owner_id=owner_id)
        .exclude(state=Flag.State.RESOLVED)
        .filter(rule=Rule.REPLY_OWED, client_id__in=list(p.clients))
    )
    for pk, client_id, summary, breach_at in replies.values_list(
        "pk", "client_id", "summary", "breach_at"
    ):
        if breach_at is None:  # no working time ahead in the calendar
            continue
        name = p.clients[client_id].name
        found.append(
            Moment(f"reply-{pk}", f"Reply due: {name}", summary, name, zone(client_id), breach_at)
        )

    warn = p.thresholds.reply_warning_percent
    cycles = evaluation.update_cycles(p.client_rows())  # type: ignore[no-untyped-call]
    for client_id, last, engaged_since in cycles.values_list("pk", "last_update", "engaged_since"):
        c = p.clients[client_id]
        since = evaluation.update_cycle_start(last, engaged_since, p.calendar.tz)
        due_at = rules.working_days_timer(p.calendar, since, c.update_cadence_days, warn).breach_at
        if due_at is not None:
            found.append(
                Moment(
                    f"update-client-{client_id}",
                    f"Progress update due: {c.name}",
                    f"Every {c.update_cadence_days} working days, counted from "
                    f"{date_hm(since.astimezone(p.calendar.tz))}.",
                    c.name,
                    zone(client_id),
                    due_at,
                )
            )

    kinds = [Interaction.Kind.CHECK_IN, Interaction.Kind.MEETING]
    check_ins = p.client_rows().filter(status=Client.Status.ACTIVE)  # type: ignore[no-untyped-call]
    for client_id, last in check_ins.annotate(
        last=evaluation.latest(Q(kind__in=kinds))
    ).values_list("pk", "last"):
        c = p.clients[client_id]
        since = max(last or evaluation.EPOCH, c.created_at)
        due_at = rules.working_days_timer(p.calendar, since, c.checkin_cadence_days, warn).breach_at
        if due_at is not None:
            found.append(
                Moment(
                    f"check-in-client-{client_id}",
                    f"Check-in due: {c.name}",
                    f"Every {c.checkin_cadence_days} working days.",
                    c.name,
                    zone(client_id),
                    due_at,
                )
            )

    follow_ups = FollowUp.objects.filter(
        owner_id=owner_id,
        client_id__in=list(p.clients),
        cancelled_at=None,
        remind_at__gte=now - FOLLOW_UPS_KEPT,
    ).values_list("pk", "client_id", "note", "remind_at")
    for pk, client_id, note, remind_at in follow_ups:
        name = p.clients[client_id].name
        found.append(
            Moment(f"follow-up-{pk}", f"Follow up: {name}", note, name, zone(client_id), remind_at)
        )
    return found


def build(
    found: list[Moment], cal: BusinessCalendar, now: datetime, name: str = "Rapport"
) -> bytes:
    """The feed: one VEVENT per moment, in the freelancer's zone, with VTIMEZONE and alarms."""
    domain = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "localhost"
    feed = Calendar()
    feed.add("prodid", "-//Rapport//Calendar feed//EN")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("x-wr-calname", name)
    feed.add("x-wr-timezone", str(cal.tz))
    feed.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for m in sorted(found, key=lambda m: (m.at, m.uid)):
        event = Event()
        event.add("uid", f"{m.uid}@{domain}")
        event.add("dtstamp", now)
        event.add("summary", m.title)
        local = m.at.astimezone(cal.tz)
        if m.day is not None:
            event.add("dtstart", m.day)
            event.add("dtend", m.day + timedelta(days=1))
        else:
            event.add("dtstart", local)
            event.add("dtend", local + EVENT_LENGTH)
        theirs = m.at.astimezone(m.client_zone)
        event.add(
            "description",
            f"{m.about}\n\n"
            f"Your time: {date_hm(local)} ({cal.tz}).\n"
            f"{m.client_name}'s time: {date_hm(theirs)} ({m.client_zone}).",
        )
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", m.title)
        alarm.add("trigger", alarm_at(cal, m.at).astimezone(UTC))  # an absolute trigger is UTC
        event.add_component(alarm)
        feed.add_component(event)
    feed.add_missing_timezones()
    return bytes(feed.to_ical())
