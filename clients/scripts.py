"""Message scripts: the built-in wording, the placeholders, and the rendering. Pure: no database.

A script is plain text with ``{placeholder}`` fields filled from the client's data: names, the
freelancer's hours on the client's clock, the agreed channels, the reply window, the deadlines.
A freelancer may edit a built-in for themselves (an override row in `MessageScript`, same key)
or add their own (a new key); the views load the data, `build_context()` turns it into words
and `render()` fills the fields.

`render()` behaves like ``str.format_map`` with a dict that leaves unknown fields as typed, but
is a plain search-and-replace of ``{name}``: it never raises on a stray brace a freelancer types
("}:-)") and never follows attributes (``{client.__class__}``), which ``format_map`` would.
"""

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from django.urls import reverse

from clients.formats import day_date, plural
from clients.hours_in_zone import HoursStatement


@dataclass(frozen=True)
class BuiltinScript:
    key: str
    title: str
    purpose: str  # when to use it, shown in the library
    kind: str  # the Interaction.Kind value "log as sent" records
    body: str


BUILTINS: dict[str, BuiltinScript] = {
    s.key: s
    for s in (
        BuiltinScript(
            "acknowledge",
            "Acknowledge a message",
            "A client has written and you cannot answer in full yet: show you have heard them, "
            "and say when the real answer comes.",
            "other",
            """Hi {contact},

Thank you for your message. I have read it carefully and I understand what you need.

I am looking into it now and will come back to you with a full answer within {reply_window}. If part of it is more urgent than the rest, just tell me which part and I will deal with that first.

Best regards,
{me}""",
        ),
        BuiltinScript(
            "progress_update",
            "Progress update",
            "Your regular short update, even when there is little progress: what is done, what is "
            "next, what is blocking, what is due.",
            "update",
            """Hi {contact},

A short update on {engagement}.

Done since my last update: [what you finished]
Next: [what you are working on]
Blocking: nothing at the moment.

What is coming up:
{deadlines}

You will hear from me again within {update_cadence}. If anything has changed on your side, I would like to know.

Best regards,
{me}""",
        ),
        BuiltinScript(
            "reply_window",
            "Reply-window statement",
            "At the start of a project, or when a client expects instant answers: when to expect "
            "a reply, and where to write.",
            "other",
            """Hi {contact},

So that you always know when to expect an answer from me: I reply to messages within {reply_window}, counted in my working hours.

My working hours are {hours}

The best way to reach me is {channels}: that way nothing gets lost, and everything we agree is written down in one place.

Thank you, this helps me give {organisation} my full attention.

Best regards,
{me}""",
        ),
        BuiltinScript(
            "boundary",
            "Boundary statement (working hours)",
            "A client keeps writing out of hours or expects you on call: state your hours in their "
            "own time zone, politely and firmly.",
            "other",
            """Hi {contact},

I value working with you, and I want to keep giving {engagement} my best. For that, a short note on my availability.

My working hours are {hours}

{after_hours}

For project matters, please use {channels}. I reply within {reply_window}.

Thank you for understanding.

Best regards,
{me}""",
        ),
        BuiltinScript(
            "reschedule",
            "Reschedule after a heated exchange",
            "A conversation turned hostile or disrespectful: pause it, acknowledge the concern, "
            "and move it to a calm, scheduled call.",
            "other",
            """Hi {contact},

I can see that this matters a great deal to you, and I want to resolve it. I don't think our last exchange brought us closer to that, so I would like to pause here and pick it up when we can both look at it calmly.

Could we schedule a short call? My working hours on your clock are {your_hours}. Please send me two or three times that suit you.

I will come prepared with [the facts and the options]. I am committed to finding a way forward that works for both of us, and I ask that we keep our conversations respectful.

Best regards,
{me}""",
        ),
        BuiltinScript(
            "exit",
            "Respectful exit",
            "You have decided to walk away: end the work clearly and kindly, and hand over well.",
            "other",
            """Hi {contact},

Thank you for the work we have done together on {engagement}. After careful thought, I have decided that I am not the right fit for what {organisation} needs from here on, and I would like to wind down our collaboration.

I want the handover to be as smooth as possible. What is still open on my side:
{my_deadlines}

I will finish [what you will complete] by [date] and hand over [files, access, documentation]. If it helps, I am happy to recommend someone who may be a better fit.

I wish you and the team every success.

Kind regards,
{me}""",
        ),
        BuiltinScript(
            "confirm_change",
            "Confirm a change in writing",
            "Something was agreed on a call or in passing: put it in writing while it is fresh. "
            "Logging it as sent confirms the change, with this message as the reference.",
            "other",
            """Hi {contact},

As agreed {agreed_on}, {agreement}.

I am putting it in writing so that we both have the same record. If you understood it differently, just reply and we will sort it out; otherwise nothing else is needed from you.

Best regards,
{me}""",
        ),
        BuiltinScript(
            "check_in",
            "Check-in request",
            "It has been a while since you spoke, or you are waiting on the client: ask how it is "
            "going, list what is open, propose a short call.",
            "check_in",
            """Hi {contact},

It has been a little while since we last spoke, and I would like to check in on how {engagement} is going from your side. Is everything still on track for you? Has anything changed in your priorities?

What is open at the moment:
{deadlines}

Would a 20-minute call this week suit you? My working hours on your clock are {your_hours}. Or simply reply here if that is easier.

Best regards,
{me}""",
        ),
    )
}

# The placeholders a script may use, in the order the library page documents them.
PLACEHOLDERS: dict[str, str] = {
    "client": "The client's name.",
    "organisation": "The client's organisation (or their name when none is recorded).",
    "contact": "The first name of the contact you are writing to (or the client's name).",
    "contact_full": "The full name of that contact.",
    "me": "Your name (your account's full name, or your username).",
    "engagement": 'The active engagement\'s title (several are joined; "our work together" when none).',
    "hours": "Your working hours on your clock and on the client's, with a note when the days "
    "differ or a clock change falls within 60 days.",
    "my_hours": 'Your working hours on your own clock: "Mon–Fri 09:00–17:00 Berlin time".',
    "your_hours": "Your working hours on the client's clock, with the changes over the next 60 days.",
    "hours_note": "Only the note: the days that differ and the coming clock changes (may be empty).",
    "after_hours": "One sentence on messages outside your hours, from the after-hours policy.",
    "channels": 'The agreed channels: "email or video call".',
    "reply_window": 'The reply window: "8 working hours".',
    "update_cadence": 'The progress-update cadence: "5 working days".',
    "checkin_cadence": 'The check-in cadence: "10 working days".',
    "deadlines": "The next open expectations, both sides, with dates (a list).",
    "my_deadlines": "The next open expectations you owe, with dates (a list).",
    "your_deadlines": "The next open expectations the client owes, with dates (a list).",
    "next_deadline": 'The very next open expectation: "Homepage design, due Fri 13 Mar".',
    "today": 'Today\'s date: "Tue 3 Mar 2026".',
    "agreement": 'What was agreed, in words: "“Homepage draft” moves from Mon 14 Dec to Mon 21 '
    'Dec" (the change you confirm, or the latest one not yet confirmed in writing).',
    "agreed_on": 'When it was agreed, on the client\'s calendar: "today", "yesterday", "on Mon 14 '
    'Dec".',
}

# Flags → the script that helps with them.
RULE_SCRIPTS: dict[str, str] = {
    "boundary_pattern": "boundary",
    "out_of_hours": "boundary",
    "disrespect": "reschedule",
    "walk_away": "exit",
    "reply_owed": "acknowledge",
    "update_owed": "progress_update",
    "check_in_missed": "check_in",
    "waiting_on_client": "check_in",
    "off_channel": "reply_window",  # it names the agreed channels and the reply window
    "undocumented": "confirm_change",
}

CHANNEL_WORDS = {
    "email": "email",
    "chat": "chat",
    "phone": "phone",
    "video": "video call",
    "sms": "SMS or WhatsApp",
    "in_person": "in person",
    "other": "our agreed channel",
}

AFTER_HOURS = {
    "not_ok": "Messages that arrive outside these hours are welcome, and I will read and answer "
    "them during my next working hours.",
    "urgent_only": "Outside these hours I respond only to genuine emergencies: please say "
    "URGENT at the start of the message. Everything else I answer during my next working hours.",
    "ok": "I sometimes see messages outside these hours, but please don't count on an answer "
    "before my next working hours.",
}

DEADLINES_SHOWN = 5
_FIELD = re.compile(r"\{\{\s*(\w+)\s*\}\}|\{\s*(\w+)\s*\}")


def script_for_rule(rule: str) -> str | None:
    """The key of the script that helps with a flag of this rule, or None."""
    return RULE_SCRIPTS.get(str(rule))


def script_url(client_id: int, key: str) -> str:
    """The page that renders script ``key`` for one client (name ``client-script``)."""
    return reverse("client-script", kwargs={"client_id": client_id, "key": key})


def script_url_for_flag(flag) -> str | None:
    """The fitting script for a flag (anything with ``rule`` and ``client_id``), or None; for an
    undocumented agreement, the confirmation of that change or expectation."""
    key = script_for_rule(flag.rule)
    if key is None:
        return None
    url = script_url(flag.client_id, key)
    if key == "confirm_change":
        if change_id := getattr(flag, "change_record_id", None):
            return f"{url}?change={change_id}"
        if expectation_id := getattr(flag, "expectation_id", None):
            return f"{url}?expectation={expectation_id}"
    return url


def render(body: str, context: Mapping[str, str]) -> str:
    """Fill ``{name}`` (or ``{{ name }}``) fields from ``context``; unknown ones stay as typed."""

    def fill(m: re.Match) -> str:
        name = m[1] or m[2]
        return str(context[name]) if name in context else m[0]

    return _FIELD.sub(fill, body)


def fields_in(body: str) -> list[str]:
    return [m[1] or m[2] for m in _FIELD.finditer(body)]


def unknown_placeholders(body: str) -> list[str]:
    """Problems with the fields in ``body``, one sentence each: "{clinet}: did you mean
    {client}?". Empty when every field is one of PLACEHOLDERS."""
    problems = []
    for name in dict.fromkeys(fields_in(body)):
        if name in PLACEHOLDERS:
            continue
        close = difflib.get_close_matches(name.lower(), PLACEHOLDERS, n=1, cutoff=0.6)
        hint = f" Did you mean {{{close[0]}}}?" if close else ""
        problems.append(f"{{{name}}} is not a placeholder Rapport knows.{hint}")
    return problems


@dataclass(frozen=True)
class Agreement:
    """What was agreed and when (a change record, or a new expectation), in plain values."""

    subject: str  # "expectation", "engagement", "boundaries"
    field: str  # the field that changed; "" for a new expectation
    before: str  # as recorded (dates ISO)
    after: str
    title: str  # the expectation's or engagement's title
    agreed_at: datetime
    owed_by: str = ""  # a new expectation's: "freelancer" or "client"

    def words(self) -> str:
        """ "“Homepage draft” moves from Mon 14 Dec to Mon 21 Dec"."""
        return agreement_words(self)

    def when(self, zone: tzinfo, today: date) -> str:
        """ "today", "yesterday" or "on Mon 14 Dec", on `zone`'s calendar."""
        day = self.agreed_at.astimezone(zone).date()
        if day == today:
            return "today"
        if day == today - timedelta(days=1):
            return "yesterday"
        return f"on {day_date(day)}"


def _day(value: str) -> str:
    try:
        return day_date(date.fromisoformat(value))
    except ValueError:
        return value


BOUNDARY_WORDS = {
    "reply_window_hours": lambda v: f"I reply to messages within {plural(int(v), 'working hour')}",
    "update_cadence_days": lambda v: (
        f"you hear from me with a progress update every {plural(int(v), 'working day')}"
    ),
    "checkin_cadence_days": lambda v: f"we check in every {plural(int(v), 'working day')}",
    "agreed_channels": lambda v: f"we keep to {_or([w.strip().lower() for w in v.split(',')])}",
    "after_hours_policy": lambda v: {
        "Not OK": "messages outside my working hours wait for my next working hours",
        "Urgent only": "outside my working hours I answer only what is urgent",
        "OK": "messages outside my working hours are fine, though an answer may wait",
    }.get(v, f"contact outside my working hours: {v}"),
}


def agreement_words(a: Agreement) -> str:
    """The agreement in a sentence a client reads: dates "Mon 14 Dec", who owes what."""
    thing = f"“{a.title}”" if a.title else "it"
    if not a.field:  # a new expectation
        who = "from your side" if a.owed_by == "client" else "from me"
        return f"{thing} is due {_day(a.after)}, {who}"
    if a.subject == "boundaries" and a.field in BOUNDARY_WORDS and a.after:
        try:
            return BOUNDARY_WORDS[a.field](a.after)
        except ValueError:
            pass
    match a.field:
        case "due":
            return f"{thing} moves from {_day(a.before)} to {_day(a.after)}"
        case "end" if a.after:
            return f"{thing} now ends on {_day(a.after)}"
        case "end":
            return f"{thing} no longer has an end date"
        case "title":
            return f"“{a.before}” is now called “{a.after}”"
        case "owed_by":
            return f"{thing} now comes {'from your side' if a.after == 'The client' else 'from me'}"
        case "scope":
            return f"the scope of {thing} is now: {a.after}"
    label = a.field.replace("_", " ")
    return f"the {label} of {thing} changes from {a.before or 'nothing'} to {a.after or 'nothing'}"


@dataclass(frozen=True)
class Deadline:
    title: str
    due: date
    owed_by: str  # "freelancer" or "client"


def deadline_lines(deadlines: Iterable[Deadline], today: date, *, both: bool = True) -> str:
    lines = []
    for d in list(deadlines)[:DEADLINES_SHOWN]:
        who = "from me" if d.owed_by == "freelancer" else "from your side"
        when = f"was due {day_date(d.due)}" if d.due < today else f"due {day_date(d.due)}"
        lines.append(f"- {d.title} ({who}), {when}" if both else f"- {d.title}, {when}")
    return "\n".join(lines)


def _or(words: list[str]) -> str:
    if not words:
        return ""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def build_context(
    *,
    client_name: str,
    organisation: str,
    contact_name: str,
    me: str,
    hours: HoursStatement,
    channels: Iterable[str],
    reply_window_hours: int,
    update_cadence_days: int,
    checkin_cadence_days: int,
    after_hours_policy: str,
    deadlines: Iterable[Deadline],
    engagements: Iterable[str],
    today: date,
    agreement: Agreement | None = None,
    client_zone: tzinfo = UTC,
    client_today: date | None = None,
) -> dict[str, str]:
    """Every placeholder's text for one client, from plain values (the views load them);
    when something was agreed is said on the client's calendar (`client_zone`, `client_today`)."""
    deadlines = sorted(deadlines, key=lambda d: (d.due, d.title))
    mine = [d for d in deadlines if d.owed_by == "freelancer"]
    theirs = [d for d in deadlines if d.owed_by != "freelancer"]
    titles = list(engagements)
    words = [CHANNEL_WORDS.get(c, c) for c in channels]
    first = deadlines[0] if deadlines else None
    hours_text = hours.text
    return {
        "client": client_name,
        "organisation": organisation or client_name,
        "contact": (contact_name.split() or [client_name])[0] if contact_name else client_name,
        "contact_full": contact_name or client_name,
        "me": me,
        "engagement": " and ".join(titles) if titles else "our work together",
        "hours": hours_text if hours_text.endswith(".") else hours_text + ".",
        "my_hours": hours.mine,
        "your_hours": hours.yours,
        "hours_note": hours.note,
        "after_hours": AFTER_HOURS.get(after_hours_policy, AFTER_HOURS["not_ok"]),
        "channels": _or(words) or "email",
        "reply_window": plural(reply_window_hours, "working hour"),
        "update_cadence": plural(update_cadence_days, "working day"),
        "checkin_cadence": plural(checkin_cadence_days, "working day"),
        "deadlines": deadline_lines(deadlines, today) or "- nothing is due at the moment",
        "my_deadlines": deadline_lines(mine, today, both=False)
        or "- nothing is outstanding from my side",
        "your_deadlines": deadline_lines(theirs, today, both=False)
        or "- nothing is waiting on you",
        "next_deadline": f"{first.title}, due {day_date(first.due)}" if first else "nothing is due",
        "today": f"{day_date(today)} {today.year}",
        "agreement": agreement.words() if agreement else "[what we agreed]",
        "agreed_on": agreement.when(client_zone, client_today or today) if agreement else "today",
    }
