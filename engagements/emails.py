"""What to send when: compose the outbox rows for daily digests, weekly review emails and
follow-up reminders. Sending is engagements.sender's job.

- **Daily digest**: on each of the freelancer's working days, at the start of their first working
  window of the day in their zone (until the end of that working day, should a run be missed):
  replies and updates owed, their own deadlines today and tomorrow (through the next working day
  before a weekend or a holiday), and breaches new since the last digest. An empty day writes a
  "skipped" row and sends nothing, unless the profile says `email_when_nothing_owed`.
- **Weekly review email**: at the same moment of the ISO week's first working day (the moment of
  the health snapshot, engagements.health.snapshot_moment): each active client's band and trend.
- **Follow-up reminders**: written as soon as they are scheduled, to go at the moment asked for,
  or at the start of the next working window when that moment falls outside working hours.

Each kind is composed set-based: a fixed number of queries per run whatever the number of
freelancers (the one exception: a weekly email whose snapshot the hourly job has not taken yet
takes it first, once that week). Rows go in with ON CONFLICT DO NOTHING on the idempotency key,
so two runs at once compose each email once.
"""

import logging
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from clients.business_time import BusinessCalendar
from clients.formats import day_date, plural
from clients.isolation import at_once_or_each
from clients.models import Client, FreelancerProfile
from engagements import links, sender, signals, snapshots
from engagements.health import band, iso_monday, snapshot_moment
from engagements.models import (
    EmailStatus,
    Expectation,
    Flag,
    FollowUp,
    HealthSnapshot,
    OutboundEmail,
    Party,
    Rule,
    Severity,
)
from engagements.review import week_label

log = logging.getLogger(__name__)

Kind, Status = OutboundEmail.Kind, OutboundEmail.Status
OWED_RULES = {Rule.REPLY_OWED: "replies", Rule.UPDATE_OWED: "updates"}
OPEN_EXPECTATION = [Expectation.Status.NOT_STARTED, Expectation.Status.IN_PROGRESS]
PREFERENCE = {Kind.DIGEST: "email_daily_digest", Kind.WEEKLY: "email_weekly_review"}
TREND_WEEKS = 4
WEEKLY_LIFETIME = timedelta(days=7)
NEXT_WORKING_DAY_HORIZON = 14
DAY = timedelta(days=1)
BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


@dataclass
class Freelancer:
    profile: FreelancerProfile
    calendar: BusinessCalendar

    @property
    def user_id(self) -> int:
        return self.profile.user_id

    @property
    def email(self) -> str:
        return self.profile.user.email

    @property
    def name(self) -> str:
        user = self.profile.user
        return user.first_name or user.username


# Moments ------------------------------------------------------------------------------------


def first_window_start(cal: BusinessCalendar, day: date) -> datetime | None:
    """The start of the first working window of the local date `day` (a night worker's
    evening, not the end of last night); None on a day off."""
    return cal.start_of_working_day(day)


def next_working_day(cal: BusinessCalendar, day: date) -> date | None:
    for n in range(1, NEXT_WORKING_DAY_HORIZON + 1):
        if cal.is_working_day(candidate := day + timedelta(days=n)):
            return candidate
    return None


def weekly_moment(cal: BusinessCalendar, week: date) -> datetime | None:
    """The start of the first working window of the ISO week; None for a week with no work."""
    moment = snapshot_moment(cal, week)
    return moment if cal.is_working(moment) else None


# Who is due ---------------------------------------------------------------------------------


def freelancers(kind: str, owner_ids: list[int] | None = None) -> list[Freelancer]:
    """Everyone (or those of `owner_ids`) who wants `kind` of email, has an address and is not
    paused (three queries)."""
    paused = EmailStatus.objects.filter(paused_at__isnull=False).values("owner_id")
    profiles = (
        FreelancerProfile.objects.filter(**{PREFERENCE[kind]: True}, user__is_active=True)
        .exclude(user__email="")
        .exclude(user_id__in=paused)
        .select_related("user")
        .prefetch_related("working_windows", "days_off")
        .order_by("user_id")
    )
    if owner_ids is not None:
        profiles = profiles.filter(user_id__in=owner_ids)
    found = []
    for profile in profiles:
        try:
            cal = profile.calendar(
                windows=profile.working_windows.all(),
                days_off=[d.date for d in profile.days_off.all()],
            )
        except ValueError:  # a time zone or holiday region that no longer exists
            log.warning("user %s: no usable business calendar, no email", profile.user_id)
            continue
        found.append(Freelancer(profile, cal))
    return found


def taken_keys(kind: str, keys) -> set[tuple[int, str]]:
    """(owner, key) of the rows of `kind` already written for any of `keys`."""
    return set(
        OutboundEmail.objects.filter(kind=kind, key__in=list(keys)).values_list("owner_id", "key")
    )


def nearby_days(now: datetime) -> list[date]:
    """Every local date `now` can be in, whatever the zone (UTC−12 … UTC+14)."""
    today = now.date()
    return [today - timedelta(days=1), today, today + timedelta(days=1)]


# Composing ----------------------------------------------------------------------------------


def render_email(template: str, context: dict, freelancer: Freelancer) -> tuple[str, str]:
    """(plain text, HTML) from templates/emails/<template>.txt and .html, times in their zone."""
    context = {
        "name": freelancer.name,
        "dashboard_url": links.absolute(reverse("dashboard")),
        "settings_url": links.absolute(reverse("settings-profile")),
        "sent_url": links.absolute(reverse("email-sent")),
        **context,
    }
    with timezone.override(freelancer.calendar.tz):
        text = render_to_string(f"emails/{template}.txt", context)
        html = render_to_string(f"emails/{template}.html", context)
    return BLANK_LINES.sub("\n\n", text).strip() + "\n", html


def list_headers(unsubscribe_url: str) -> dict:
    """RFC 2369 / RFC 8058 one-click unsubscribe, and RFC 3834's "this is automatic"."""
    return {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }


def client_url(client_id: int) -> str:
    return links.absolute(reverse("client-detail", args=[client_id]))


def flag_item(flag: Flag, owed: bool = False) -> dict:
    """What a digest says about a flag; for something owed, whether it is late or nearly so."""
    return {
        "summary": flag.summary,
        "client": flag.client.name,
        "rule": flag.get_rule_display(),
        "severity": flag.severity,
        "state": ("overdue" if flag.severity == Severity.BREACH else "due soon") if owed else "",
        "since": flag.since,
        "url": client_url(flag.client_id),
        "snooze_url": links.snooze_url(flag),
    }


def queue_digests(now: datetime, owner_ids: list[int] | None = None) -> Counter:
    """Write today's digest for every freelancer (or those of `owner_ids`) whose first working
    window of the day has begun (and whose working day has not ended). Returns counts of rows
    written by status."""
    day_keys = [d.isoformat() for d in nearby_days(now)]
    taken = taken_keys(Kind.DIGEST, day_keys)
    due = []
    for f in freelancers(Kind.DIGEST, owner_ids):
        day = now.astimezone(f.calendar.tz).date()
        if (f.user_id, day.isoformat()) in taken:
            continue
        start = first_window_start(f.calendar, day)
        end = f.calendar.end_of_working_day(day)
        if start is None or not start <= now < end:
            continue
        tomorrow = day + DAY
        horizon = max(tomorrow, next_working_day(f.calendar, day) or tomorrow)
        due.append((f, day, end, horizon))
    if not due:
        return Counter()
    owner_ids = [f.user_id for f, *_ in due]

    live = (
        Flag.objects.filter(owner_id__in=owner_ids)
        .live()
        .filter(Q(rule__in=list(OWED_RULES)) | Q(severity=Severity.BREACH))
        .exclude(state=Flag.State.SNOOZED, snoozed_until__gt=now)
        .exclude(client__status=Client.Status.ENDED)
        .select_related("client")
        .order_by("client__name", "opened_at", "pk")
    )
    flags = defaultdict(list)
    for flag in live:
        flags[flag.owner_id].append(flag)

    last_digest = dict(
        OutboundEmail.objects.filter(
            owner_id__in=owner_ids, kind=Kind.DIGEST, status__in=[Status.SENT, Status.SKIPPED]
        )
        .values("owner_id")
        .annotate(at=Max("created_at"))
        .values_list("owner_id", "at")
    )

    deadlines = defaultdict(list)
    for e in (
        Expectation.objects.filter(
            owner_id__in=owner_ids,
            owed_by=Party.FREELANCER,
            status__in=OPEN_EXPECTATION,
            due__gte=min(day for _, day, _, _ in due),
            due__lte=max(horizon for *_, horizon in due),
        )
        .exclude(client__status=Client.Status.ENDED)
        .select_related("client")
        .order_by("due", "client__name", "title")
    ):
        deadlines[e.owner_id].append(e)

    notices = digest_notices_for({f.user_id: last_digest.get(f.user_id) for f, *_ in due}, now)

    rows = []
    for f, day, end, horizon in due:
        cutoff = last_digest.get(f.user_id)
        owed = {"replies": [], "updates": []}
        breaches = []
        for flag in flags[f.user_id]:
            if flag.rule in OWED_RULES:
                item = flag_item(flag, owed=True)
                item["new_breach"] = flag.severity == Severity.BREACH and _new(flag, cutoff, now)
                owed[OWED_RULES[flag.rule]].append(item)
            elif _new(flag, cutoff, now):
                breaches.append(flag_item(flag))
        mine = [
            {
                "title": e.title,
                "client": e.client.name,
                "due": e.due,
                "when": "today" if e.due == day else "tomorrow" if e.due == day + DAY else None,
                "url": client_url(e.client_id),
            }
            for e in deadlines[f.user_id]
            if day <= e.due <= horizon
        ]
        counts = [
            plural(len(owed["replies"]), "reply owed", "replies owed"),
            plural(len(owed["updates"]), "update owed", "updates owed"),
            plural(len(mine), "deadline"),
            plural(len(breaches), "new breach", "new breaches"),
            plural(len(notices[f.user_id]), "notice"),
        ]
        empty = not (owed["replies"] or owed["updates"] or mine or breaches or notices[f.user_id])
        row = OutboundEmail(
            owner_id=f.user_id,
            kind=Kind.DIGEST,
            key=day.isoformat(),
            to=f.email,
            created_at=now,
            next_attempt_at=now,
            expires_at=end,
        )
        if empty and not f.profile.email_when_nothing_owed:
            row.status = Status.SKIPPED
        else:
            said = [c for c in counts if not c.startswith("0 ")]
            unsubscribe_url = links.unsubscribe_url(f.user_id, Kind.DIGEST)
            row.subject = f"Rapport · {day_date(day)}: " + (
                ", ".join(said) if said else "nothing owed today"
            )
            row.text_body, row.html_body = render_email(
                "digest",
                {
                    "day": day,
                    "replies": owed["replies"],
                    "updates": owed["updates"],
                    "deadlines": mine,
                    "breaches": breaches,
                    "notices": notices[f.user_id],
                    "since": cutoff,
                    "empty": empty,
                    "unsubscribe_url": unsubscribe_url,
                },
                f,
            )
            row.headers = list_headers(unsubscribe_url)
        rows.append(row)
    OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True)
    return Counter(row.status for row in rows)


def digest_notices_for(since: dict[int, datetime | None], now: datetime) -> dict[int, list[str]]:
    """What other apps have to tell each freelancer in the digest (engagements.signals). A
    receiver that fails is logged and left out: it never stops the digests."""
    found: dict[int, list[str]] = defaultdict(list)
    for receiver, answer in signals.digest_notices.send_robust(sender=None, since=since, now=now):
        if isinstance(answer, Exception):
            log.error("Digest notices from %s failed: %r", receiver, answer)
            continue
        for owner_id, lines in (answer or {}).items():
            if owner_id in since:
                found[owner_id].extend(lines)
    return found


def _new(flag: Flag, cutoff: datetime | None, now: datetime) -> bool:
    """A breach that began since the last digest (every open breach for a first digest)."""
    became = flag.breach_at or flag.opened_at
    return became <= now and (cutoff is None or became > cutoff)


def queue_weekly_reviews(now: datetime, owner_ids: list[int] | None = None) -> Counter:
    """Write this week's review email for every freelancer (or those of `owner_ids`) whose
    week's first working window has begun (until the end of that working day)."""
    weeks = {iso_monday(d) for d in nearby_days(now)}
    taken = taken_keys(Kind.WEEKLY, [week_label(w) for w in weeks])
    due = []
    for f in freelancers(Kind.WEEKLY, owner_ids):
        week = iso_monday(now.astimezone(f.calendar.tz).date())
        if (f.user_id, week_label(week)) in taken:
            continue
        moment = weekly_moment(f.calendar, week)
        if moment is None or now < moment:
            continue
        if now >= f.calendar.end_of_working_day(moment.astimezone(f.calendar.tz).date()):
            continue
        due.append((f, week, moment))
    if not due:
        return Counter()
    owner_ids = [f.user_id for f, *_ in due]

    have = set(
        HealthSnapshot.objects.filter(
            owner_id__in=owner_ids, week__in=[week for _, week, _ in due]
        ).values_list("owner_id", "week")
    )
    for f, week, _ in due:
        if (f.user_id, week) not in have:  # the hourly snapshot job has not got there yet
            snapshots.take_weekly_snapshot(f.user_id, now)

    first = min(week for _, week, _ in due) - timedelta(weeks=TREND_WEEKS - 1)
    scores = {
        (owner_id, client_id, week): score
        for owner_id, client_id, week, score in HealthSnapshot.objects.filter(
            owner_id__in=owner_ids, week__gte=first
        ).values_list("owner_id", "client_id", "week", "score")
    }
    clients = defaultdict(list)
    for owner_id, client_id, name in Client.objects.filter(
        owner_id__in=owner_ids, status=Client.Status.ACTIVE
    ).values_list("owner_id", "pk", "name"):
        clients[owner_id].append((client_id, name))
    open_flags = {
        row["client_id"]: row
        for row in Flag.objects.filter(owner_id__in=owner_ids)
        .live()
        .values("client_id")
        .annotate(n=Count("pk"), breaches=Count("pk", filter=Q(severity=Severity.BREACH)))
    }

    rows = []
    for f, week, moment in due:
        label = week_label(week)
        items = []
        for client_id, name in clients[f.user_id]:
            trend = [
                scores.get((f.user_id, client_id, week - timedelta(weeks=n)))
                for n in range(TREND_WEEKS - 1, -1, -1)
            ]
            score, previous = trend[-1], trend[-2]
            flags = open_flags.get(client_id, {"n": 0, "breaches": 0})
            items.append(
                {
                    "name": name,
                    "url": client_url(client_id),
                    "score": score,
                    "band": band(score) if score is not None else None,
                    "change": score - previous
                    if score is not None and previous is not None
                    else None,
                    "trend": trend,
                    "open_flags": flags["n"],
                    "breaches": flags["breaches"],
                }
            )
        items.sort(key=lambda i: (i["score"] is None, i["score"] or 0, i["name"].lower()))
        row = OutboundEmail(
            owner_id=f.user_id,
            kind=Kind.WEEKLY,
            key=label,
            to=f.email,
            created_at=now,
            next_attempt_at=now,
            expires_at=moment + WEEKLY_LIFETIME,
        )
        if not items:
            row.status = Status.SKIPPED
        else:
            bands = Counter(i["band"] for i in items)
            said = [f"{bands[b]} {b}" for b in ("red", "amber", "green") if bands[b]]
            unsubscribe_url = links.unsubscribe_url(f.user_id, Kind.WEEKLY)
            row.subject = f"Rapport · Weekly review {label}: " + (
                ", ".join(said) if said else plural(len(items), "client")
            )
            row.text_body, row.html_body = render_email(
                "weekly",
                {
                    "week": week,
                    "label": label,
                    "clients": items,
                    # The review looks back: the week that has just ended (engagements.review).
                    "review_url": links.review_url(
                        f.user_id, week_label(week - timedelta(weeks=1))
                    ),
                    "unsubscribe_url": unsubscribe_url,
                },
                f,
            )
            row.headers = list_headers(unsubscribe_url)
        rows.append(row)
    OutboundEmail.objects.bulk_create(rows, ignore_conflicts=True)
    return Counter(row.status for row in rows)


# Follow-up reminders ------------------------------------------------------------------------


def reminder_moment(cal: BusinessCalendar, remind_at: datetime) -> datetime:
    """`remind_at` if it is working time, else the start of the next working window (or
    `remind_at` itself for a calendar with no working time at all)."""
    return cal.next_working_start(remind_at) or remind_at


@transaction.atomic
def schedule_follow_up(*, client: Client, note: str, remind_at: datetime, now=None) -> FollowUp:
    """Write a follow-up and its email (queued for its moment). ValidationError for a moment in
    the past, an empty note or one of several lines, or an account without an email address;
    nothing is saved then."""
    now = now or timezone.now()
    note = (note or "").strip()
    errors = {}
    if not note:
        errors["note"] = "Say what to follow up on."
    elif "\r" in note or "\n" in note:
        errors["note"] = "Keep the note to one line: it becomes the email's subject."
    if remind_at is None:
        errors["remind_at"] = "Say when to remind you."
    elif remind_at <= now:
        errors["remind_at"] = "That moment has already passed: choose a time in the future."
    profile = FreelancerProfile.for_user(client.owner_id)
    if not profile.user.email:
        errors[NON_FIELD_ERRORS] = "Your account has no email address to send the reminder to."
    if errors:
        raise ValidationError(errors)
    cal = profile.calendar()
    follow_up = FollowUp.objects.create(
        client=client,
        note=note,
        remind_at=remind_at,
        send_at=reminder_moment(cal, remind_at),
        created_at=now,
    )
    f = Freelancer(profile, cal)
    text, html = render_email(
        "reminder",
        {
            "follow_up": follow_up,
            "client": client,
            "client_url": client_url(client.pk),
            "reminders_url": links.absolute(reverse("reminder-list")),
        },
        f,
    )
    subject = f"Reminder: {note}" if len(note) < 60 else f"Reminder: {note[:57]}…"
    OutboundEmail.objects.create(
        owner_id=client.owner_id,
        kind=Kind.REMINDER,
        key=f"follow-up:{follow_up.pk}",
        follow_up=follow_up,
        to=profile.user.email,
        subject=f"{subject} ({client.name})"[:300],
        text_body=text,
        html_body=html,
        headers={"Auto-Submitted": "auto-generated"},
        created_at=now,
        next_attempt_at=follow_up.send_at,
    )
    return follow_up


@transaction.atomic
def cancel_follow_up(follow_up: FollowUp, now=None) -> bool:
    """Cancel a reminder that has not gone yet; False if it is already sending, sent or
    cancelled (the email row moves only from "queued", whoever gets there first)."""
    now = now or timezone.now()
    done = OutboundEmail.objects.filter(follow_up=follow_up, status=Status.QUEUED).update(
        status=Status.CANCELLED
    )
    if done:
        FollowUp.objects.filter(pk=follow_up.pk, cancelled_at__isnull=True).update(cancelled_at=now)
        follow_up.cancelled_at = now
    return bool(done)


# One run: what the beat entry and `manage.py send_due_emails` do ----------------------------


@dataclass
class Run:
    digests: Counter
    weekly: Counter
    sending: "sender.SendOutcome"
    failed: list[int]  # freelancers whose digest or weekly email could not be composed
    links_forgotten: int  # records of used email links past their lifetime, deleted

    def __str__(self):
        def composed(c: Counter) -> str:
            return f"{c[Status.QUEUED]} queued, {c[Status.SKIPPED]} with nothing to say"

        failed = f" Failed to compose for {len(self.failed)} freelancer(s)." if self.failed else ""
        return (
            f"Daily digests: {composed(self.digests)}. "
            f"Weekly reviews: {composed(self.weekly)}. "
            f"Sending: {self.sending}.{failed} Used links forgotten: {self.links_forgotten}."
        )


def send_due_emails(now=None) -> Run:
    """Compose whatever has fallen due, then send every due row once. A freelancer whose email
    cannot be composed is logged and left out; everyone else's is composed and sent. Then
    forget the used email links that have expired anyway."""
    now = now or timezone.now()
    digests = at_once_or_each("daily digests", lambda ids: queue_digests(now, ids))
    weekly = at_once_or_each("weekly review emails", lambda ids: queue_weekly_reviews(now, ids))
    return Run(
        sum(digests.results, Counter()),
        sum(weekly.results, Counter()),
        sender.send_due(now),
        sorted(set(digests.failed + weekly.failed)),
        links.forget_used(now),
    )
