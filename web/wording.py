"""Words for the dashboard: moments in both time zones, working status, a flag's figures.

Times are shown in the freelancer's zone (the active one, activated by
FreelancerTimezoneMiddleware), with the client's local time beside them where it helps.
A `Words` is made once per page, for one moment and one zone: the dashboard asks it about a few
hundred rows, so it formats with strftime rather than through the template machinery.
"""

from datetime import date, datetime, timedelta, tzinfo

from django.utils import timezone

from clients.business_time import BusinessCalendar
from clients.formats import date_hm, day_date, day_hm, duration, hm, plural
from clients.models import Channel
from engagements.models import Flag, Rule

CHANNELS = {value: label.lower() for value, label in Channel.choices}


def channel(value: str) -> str:
    return CHANNELS.get(value, value)


def left_or_overdue(left: timedelta | None, overdue: timedelta | None) -> str:
    if overdue is not None:
        return f"overdue by {duration(overdue)}"
    if left is not None:
        return f"{duration(left)} of working time left"
    return "no working time ahead in your calendar"


class Words:
    def __init__(self, now: datetime, tz: tzinfo | None = None):
        self.now = now
        self.tz = tz or timezone.get_current_timezone()
        self.today = now.astimezone(self.tz).date()

    def local(self, at: datetime) -> datetime:
        return at.astimezone(self.tz)

    def when(self, at: datetime) -> str:
        """ "Tue 14:00" within six days either side of today, "Tue 3 Mar 14:00" further off."""
        local = self.local(at)
        return day_hm(local) if abs((local.date() - self.today).days) < 6 else date_hm(local)

    def clock(self, at: datetime) -> str:
        """ "17:00" today, else as when()."""
        local = self.local(at)
        return hm(local) if local.date() == self.today else self.when(at)

    def moment(self, at: datetime | None, client=None) -> str:
        """ "Tue 14:00 your time · 08:00 for Acme" (the client's day too when it differs)."""
        if at is None:
            return ""
        text = f"{self.when(at)} your time"
        if client is not None:
            mine, theirs = self.local(at), at.astimezone(client.zone)
            if theirs.replace(tzinfo=None) != mine.replace(tzinfo=None):
                label = hm(theirs) if theirs.date() == mine.date() else day_hm(theirs)
                text += f" · {label} for {client.name}"
        return text

    def working_status(self, calendar: BusinessCalendar) -> str:
        """ "In working hours until 17:00" / "Outside working hours · next window starts Mon 09:00"."""
        if calendar.is_working(self.now):
            return f"In working hours until {self.clock(calendar.current_window_end(self.now))}"
        nxt = calendar.next_working_start(self.now)
        if nxt is None:
            return "Outside working hours · no working hours are set (Settings)"
        return f"Outside working hours · next window starts {self.clock(nxt)}"

    def last_interaction(self, last, *, short: bool = False) -> str:
        """ "Last: from them by email, Fri 20 Nov 15:00 — “Thanks!”" (short: for the table)."""
        if last is None:
            return "none yet" if short else "No interactions yet"
        who = "from them" if last.direction == "in" else "from you"
        when = date_hm(self.local(last.occurred_at))
        if short:
            return f"{when} · {who}, {channel(last.channel)}"
        text = f"Last: {who} by {channel(last.channel)}, {when}"
        if last.summary:
            summary = last.summary if len(last.summary) <= 60 else last.summary[:59] + "…"
            text += f" — “{summary}”"
        return text

    def flag_state(self, flag: Flag) -> str:
        """What has been done about a flag so far, if anything."""
        if flag.state == Flag.State.ACKNOWLEDGED and flag.acknowledged_at:
            return f"Acknowledged {self.when(flag.acknowledged_at)}"
        if flag.state == Flag.State.SNOOZED:
            return f"Back from a snooze ({flag.snooze_reason})"
        return ""

    def flag_figures(self, flag: Flag) -> str:
        """The numbers that raised a flag, in a sentence."""
        f = flag.figures or {}
        c = getattr(flag, "client_row", None) or flag.client
        since = self.when(flag.since) if flag.since else "never"
        due = f" Due {self.moment(flag.breach_at, c)}." if flag.breach_at else ""
        match flag.rule:
            case Rule.REPLY_OWED:
                window = f.get("window_hours")
                hours = plural(window, "working hour") if window else "unknown"
                return f"Asked {self.moment(flag.since, c)}; reply window {hours}.{due}"
            case Rule.UPDATE_OWED:
                every = plural(f.get("cadence_days", 0), "working day")
                return f"Last update {since}; one every {every}.{due}"
            case Rule.CHECK_IN_MISSED:
                every = plural(f.get("cadence_days", 0), "working day")
                return f"Last check-in {since}; one every {every}.{due}"
            case Rule.WAITING_ON_CLIENT:
                return (
                    f"Was due from {c.name} on {_iso_day(f.get('due'))}; nothing from them since."
                )
            case Rule.DEADLINE:
                verb = "Was due" if flag.severity == "breach" else "Due"
                return f"{verb} on {_iso_day(f.get('due'))}."
            case Rule.UNDOCUMENTED:
                after = plural(f.get("after_days", 1), "working day")
                return f"Agreed {since}; not confirmed in writing after {after}."
            case Rule.OUT_OF_HOURS:
                return f"Received {self.moment(flag.since, c)}, outside your working hours."
            case Rule.SELF_BOUNDARY:
                return f"Sent {self.moment(flag.since, c)}, outside your working hours."
            case Rule.OFF_CHANNEL:
                agreed = ", ".join(channel(a) for a in f.get("agreed", [])) or "none"
                return (
                    f"Came by {channel(f.get('channel', '?'))} on {since}; "
                    f"agreed channels: {agreed}."
                )
            case Rule.BOUNDARY_PATTERN:
                return (
                    f"{plural(f.get('count', 0), 'out-of-hours message')} in "
                    f"{plural(f.get('days', 0), 'day')} (you are told from "
                    f"{f.get('threshold', '?')})."
                )
            case Rule.DISRESPECT:
                return (
                    f"{plural(f.get('count', 0), 'hostile message')} in the last "
                    f"{plural(f.get('days', 0), 'day')}."
                )
        return ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in f.items())


def _iso_day(iso: str | None) -> str:
    return day_date(date.fromisoformat(iso)) if iso else "an unknown day"
