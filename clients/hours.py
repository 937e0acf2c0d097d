"""The freelancer's working hours for a day, read on the client's clock. Pure: no database.

"09:00–17:00 Berlin = 03:00–11:00 New York", and the part of it that falls in an ordinary
office day at the client's (09:00–17:00 their time, since clients have no calendar here).
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clients.business_time import BusinessCalendar

OFFICE_DAY = (time(9), time(17))
LOOKAHEAD_DAYS = 14


@dataclass(frozen=True)
class Span:
    """An aware [start, end) period, shown on two clocks."""

    start: datetime
    end: datetime

    def on(self, zone: ZoneInfo) -> str:
        """ "09:00–17:00", or "Tue 20:00 – Wed 04:00" when it crosses midnight on that clock."""
        s, e = self.start.astimezone(zone), self.end.astimezone(zone)
        if s.date() == e.date() or (e - timedelta(microseconds=1)).date() == s.date():
            end = "24:00" if e.time() == time() and e.date() != s.date() else f"{e:%H:%M}"
            return f"{s:%H:%M}–{end}"
        return f"{s:%a %H:%M} – {e:%a %H:%M}"


@dataclass(frozen=True)
class SharedHours:
    day: date  # the freelancer's local date these hours are for
    is_today: bool
    yours: tuple[Span, ...]  # the freelancer's working periods that day
    overlap: tuple[Span, ...]  # the parts inside an office day at the client's


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start, end


def working_spans(calendar: BusinessCalendar, day: date) -> tuple[Span, ...]:
    """The day's working periods, a night it starts included whole ("22:00 – Tue 06:00"), the
    end of the night before left out (it belongs to yesterday)."""
    end = calendar.end_of_working_day(day)
    if end is None:
        return ()
    midnight = day_bounds(day, calendar.tz)[0]
    start = max(midnight, calendar.end_of_working_day(day - timedelta(days=1)) or midnight)
    return tuple(Span(s, e) for s, e in calendar.working_intervals(start, end))


def office_overlap(
    spans: tuple[Span, ...], zone: ZoneInfo, office: tuple[time, time] = OFFICE_DAY
) -> tuple[Span, ...]:
    """The parts of `spans` inside `office` hours on the client's own calendar days."""
    parts = []
    for span in spans:
        first = span.start.astimezone(zone).date()
        last = span.end.astimezone(zone).date()
        day = first
        while day <= last:
            lo = datetime.combine(day, office[0], tzinfo=zone)
            hi = datetime.combine(day, office[1], tzinfo=zone)
            s, e = max(span.start, lo), min(span.end, hi)
            if s < e:
                parts.append(Span(s, e))
            day += timedelta(days=1)
    return tuple(parts)


def shared_hours(
    calendar: BusinessCalendar, client_zone: ZoneInfo, now: datetime
) -> SharedHours | None:
    """Today's working hours if today is a working day, else the next working day's; None when
    there is none within LOOKAHEAD_DAYS."""
    today = now.astimezone(calendar.tz).date()
    for n in range(LOOKAHEAD_DAYS + 1):
        day = today + timedelta(days=n)
        spans = working_spans(calendar, day)
        if spans:
            return SharedHours(day, n == 0, spans, office_overlap(spans, client_zone))
    return None
