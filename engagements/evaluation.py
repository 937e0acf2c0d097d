"""One evaluation pass for one freelancer: a set-based query per rule, then reconcile the flags.

SQL narrows the candidates (for example the messages still waiting for a reply, the recent log
for the contact rules); the pure functions in engagements/rules.py do the business-time
arithmetic for those candidates only. The number of queries does not depend on the number of
clients.

As they go, the finders note for each client the earliest moment at which a verdict can change
without new data (`Pass.soon`); the pass stores it (engagements/due.py), and the beat's pass then
evaluates only the clients whose moment has come or that were written to since.

Safe to run twice, or on two workers at once: inserts rely on the partial unique constraint
(ON CONFLICT DO NOTHING), and every update is conditional on the state it was read in.
"""

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, tzinfo

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from psycopg.types.json import Jsonb

from clients.business_time import BusinessCalendar
from clients.models import Boundaries, Client, FreelancerProfile
from clients.sql import copy_into
from engagements import dashboard_cache, due, events, rules
from engagements.models import (
    ChangeRecord,
    Engagement,
    Expectation,
    Flag,
    HealthSnapshot,
    Interaction,
    Rule,
    Severity,
)
from engagements.models.change_record import change_words
from engagements.models.flag import ACKNOWLEDGE_CLEARS, SEVERITY_RANK
from engagements.models.interaction import EPOCH, awaiting_reply, latest, trusted_tone

log = logging.getLogger(__name__)

IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND
OPEN_EXPECTATION = [Expectation.Status.NOT_STARTED, Expectation.Status.IN_PROGRESS]
RULES = Rule.values
TRACKED_FIELDS = ("severity", "summary", "figures", "since", "warn_at", "breach_at")


@dataclass(frozen=True)
class ClientInfo:
    id: int
    name: str
    status: str
    reply_window_hours: int
    update_cadence_days: int
    checkin_cadence_days: int
    agreed_channels: list
    after_hours_ok: bool
    created_at: datetime


@dataclass
class Pass:
    """Everything one pass knows: the freelancer, their calendar, their clients, the time."""

    owner_id: int
    now: datetime
    calendar: BusinessCalendar
    thresholds: rules.Thresholds
    clients: dict[int, ClientInfo]
    scope: list[int] | None  # only these clients (due ones, or one just written to), or all
    moments: dict[int, datetime] = field(default_factory=dict)

    @property
    def scoped(self) -> bool:
        return self.scope is not None

    def soon(self, client_id: int, moment: datetime | None) -> None:
        """A verdict about this client can change at `moment` (if later than now) without new data."""
        if moment is not None and moment > self.now:
            known = self.moments.get(client_id)
            self.moments[client_id] = moment if known is None else min(known, moment)

    def interactions(self):
        """This freelancer's log; only the pass's clients when scoped. Rows of other (ended)
        clients are skipped in Python: an IN list of every client would only slow the scan."""
        qs = Interaction.objects.filter(owner_id=self.owner_id)
        return qs.filter(client_id__in=list(self.clients)) if self.scoped else qs

    def client_rows(self):
        return (
            Client.objects.filter(pk__in=list(self.clients))
            if self.scoped
            else Client.objects.owned_by(self.owner_id).exclude(status=Client.Status.ENDED)
        )


def load_pass(owner_id: int, now: datetime, client_ids=None) -> Pass | None:
    profile = FreelancerProfile.objects.filter(user_id=owner_id).first()
    if profile is None:
        return None
    qs = (
        Client.objects.owned_by(owner_id)
        .exclude(status=Client.Status.ENDED)
        .select_related("boundaries")
    )
    if client_ids is not None:
        qs = qs.filter(pk__in=client_ids)
    defaults = Boundaries(**Boundaries.defaults_from(profile))
    clients = {}
    for c in qs:
        b = getattr(c, "boundaries", None) or defaults
        clients[c.pk] = ClientInfo(
            c.pk,
            c.name,
            c.status,
            b.reply_window_hours,
            b.update_cadence_days,
            b.checkin_cadence_days,
            list(b.agreed_channels),
            b.after_hours_policy == Boundaries.AfterHours.OK,
            c.created_at,
        )
    calendar = profile.calendar()
    scope = None if client_ids is None else list(client_ids)
    return Pass(owner_id, now, calendar, rules.Thresholds.of(profile), clients, scope)


# Candidates: a set-based query per rule (or one for several) -------------------------------


def find_reply_owed(p: Pass):
    if not p.clients:
        return
    rows = (
        awaiting_reply(p.client_rows())
        .filter(asked_at__isnull=False)
        .values_list("pk", "asked_id", "asked_at")
    )
    for client_id, asked_id, asked_at in rows:
        c = p.clients[client_id]
        timer = rules.working_hours_timer(
            p.calendar, asked_at, c.reply_window_hours, p.thresholds.reply_warning_percent
        )
        p.soon(client_id, timer.next_change(p.now))
        yield rules.reply_owed(
            p.calendar,
            p.thresholds,
            p.now,
            client_id=client_id,
            client_name=c.name,
            interaction_id=asked_id,
            asked_at=asked_at,
            window_hours=c.reply_window_hours,
        )


def update_cycles(clients):
    """`clients` with an active engagement, annotated with `last_update` (their latest progress
    update) and `engaged_since`; `update_cycle_start` turns the two into the moment the cadence
    counts from."""
    return clients.annotate(
        engaged_since=engaged_since(),
        last_update=latest(Q(direction=OUT, kind=Interaction.Kind.PROGRESS_UPDATE)),
    ).filter(engaged_since__isnull=False)


def engaged_since():
    """Subquery: the start of the client's earliest active engagement (None without one). The
    dashboard reads the same in SQL (owed.GLANCES)."""
    active = Engagement.objects.filter(client=OuterRef("pk"), status=Engagement.Status.ACTIVE)
    return Subquery(active.order_by("start").values("start")[:1])


def update_cycle_start(last_update, engaged_since, tz: tzinfo) -> datetime:
    """When the update cadence counts from: the last update, or the start (local midnight) of
    the active engagement if that is later."""
    return max(last_update or EPOCH, datetime.combine(engaged_since, time(0), tzinfo=tz))


def find_update_owed(p: Pass):
    rows = update_cycles(p.client_rows()).values_list("pk", "last_update", "engaged_since")
    for client_id, last, engaged_since in rows:
        c = p.clients[client_id]
        since = update_cycle_start(last, engaged_since, p.calendar.tz)
        p.soon(client_id, _cadence_change(p, since, c.update_cadence_days))
        yield rules.update_owed(
            p.calendar,
            p.thresholds,
            p.now,
            client_id=client_id,
            client_name=c.name,
            last_update_at=since,
            cadence_days=c.update_cadence_days,
        )


def _cadence_change(p: Pass, since: datetime, cadence_days: int) -> datetime | None:
    timer = rules.working_days_timer(
        p.calendar, since, cadence_days, p.thresholds.reply_warning_percent
    )
    return timer.next_change(p.now)


def find_check_in_missed(p: Pass):
    kinds = [Interaction.Kind.CHECK_IN, Interaction.Kind.MEETING]
    rows = (
        p.client_rows().filter(status=Client.Status.ACTIVE).annotate(last=latest(Q(kind__in=kinds)))
    )
    for client_id, last in rows.values_list("pk", "last"):
        c = p.clients[client_id]
        since = max(last or EPOCH, c.created_at)
        p.soon(client_id, _cadence_change(p, since, c.checkin_cadence_days))
        yield rules.check_in_missed(
            p.calendar,
            p.thresholds,
            p.now,
            client_id=client_id,
            client_name=c.name,
            last_check_in_at=since,
            cadence_days=c.checkin_cadence_days,
        )


def _open_expectations(p: Pass, owed_by: str):
    qs = Expectation.objects.filter(
        owner_id=p.owner_id, owed_by=owed_by, status__in=OPEN_EXPECTATION
    )
    return qs.filter(client_id__in=list(p.clients)) if p.scoped else qs


def find_waiting_on_client(p: Pass):
    today = p.now.astimezone(p.calendar.tz).date()
    expectations = _open_expectations(p, "client")
    # Not yet overdue: due the local midnight after their due day.
    for client_id, day in expectations.filter(due__gte=today).values_list("client_id", "due"):
        if client_id in p.clients:
            p.soon(client_id, rules.local_start_of(day + timedelta(days=1), p.calendar))
    rows = expectations.filter(due__lt=today).annotate(
        last_in=latest(Q(direction=IN), ref="client")
    )
    for e in rows.values("pk", "client_id", "title", "due", "last_in"):
        if c := p.clients.get(e["client_id"]):
            yield rules.waiting_on_client(
                p.calendar,
                p.now,
                client_id=c.id,
                client_name=c.name,
                expectation_id=e["pk"],
                title=e["title"],
                due=e["due"],
                last_inbound_at=e["last_in"],
            )


def find_deadline(p: Pass):
    today = p.now.astimezone(p.calendar.tz).date()
    # Working days are never shorter than calendar days; a week of slack covers weekends and holidays.
    horizon = today + timedelta(days=p.thresholds.deadline_risk_days + 7)
    for e in _open_expectations(p, "freelancer").values(
        "pk", "client_id", "title", "due", "status"
    ):
        if c := p.clients.get(e["client_id"]):
            started = e["status"] != Expectation.Status.NOT_STARTED
            p.soon(
                c.id,
                rules.deadline_changes(
                    p.calendar, p.thresholds, p.now, due=e["due"], started=started
                ),
            )
            if e["due"] > horizon:
                continue
            yield rules.deadline(
                p.calendar,
                p.thresholds,
                p.now,
                client_id=c.id,
                client_name=c.name,
                expectation_id=e["pk"],
                title=e["title"],
                due=e["due"],
                started=started,
            )


def find_undocumented(p: Pass):
    days = p.thresholds.undocumented_after_days
    expectations = Expectation.objects.filter(
        owner_id=p.owner_id, confirmed_in_writing=False, status__in=OPEN_EXPECTATION
    ).values_list("pk", "client_id", "title", "created_at")
    for pk, client_id, title, made_at in expectations:
        if c := p.clients.get(client_id):
            p.soon(c.id, p.calendar.add_working_days(made_at, days))
            yield rules.undocumented(
                p.calendar,
                p.thresholds,
                p.now,
                client_id=c.id,
                client_name=c.name,
                subject=f"expectation:{pk}",
                what=title,
                made_at=made_at,
                expectation_id=pk,
            )
    changes = ChangeRecord.objects.filter(
        owner_id=p.owner_id, confirmed_in_writing=False
    ).values_list(
        "pk",
        "client_id",
        "subject",
        "field",
        "to_value",
        "changed_at",
        Coalesce("expectation__title", "engagement__title"),
    )
    for pk, client_id, subject, field_name, to_value, made_at, title in changes:
        if c := p.clients.get(client_id):
            p.soon(c.id, p.calendar.add_working_days(made_at, days))
            yield rules.undocumented(
                p.calendar,
                p.thresholds,
                p.now,
                client_id=c.id,
                client_name=c.name,
                subject=f"change:{pk}",
                what=change_words(subject, field_name, to_value, title or ""),
                made_at=made_at,
                change_record_id=pk,
            )


def find_contact_events(p: Pass):
    """Out-of-hours contact, self boundary, off-channel contact and the boundary pattern, from
    one read of the recent log (the boundary-pattern window) and the flags already raised."""
    t = p.thresholds
    since = p.now - timedelta(days=t.boundary_pattern_days)
    flagged = set(
        Flag.objects.filter(
            owner_id=p.owner_id, rule__in=ACKNOWLEDGE_CLEARS, since__gte=since
        ).values_list("rule", "interaction_id")
    )
    rows = (
        p.interactions()
        .filter(Q(direction=IN) | Q(out_of_hours=True), occurred_at__gte=since)
        .order_by("occurred_at")
        .values_list("pk", "client_id", "occurred_at", "direction", "channel", "out_of_hours")
    )
    pattern = {}
    for pk, client_id, at, direction, channel, out_of_hours in rows:
        c = p.clients.get(client_id)
        if c is None:
            continue
        if (
            out_of_hours and direction == IN
        ):  # the pattern and walk_away count it while it is recent
            p.soon(client_id, leaves_window(at, t.boundary_pattern_days))
        common = dict(client_id=client_id, client_name=c.name, interaction_id=pk, at=at)
        if out_of_hours and not c.after_hours_ok:
            if direction == IN:
                count, first = pattern.get(client_id, (0, at))
                pattern[client_id] = (count + 1, first)
                if (Rule.OUT_OF_HOURS, pk) not in flagged:
                    yield rules.out_of_hours(**common)
            elif (Rule.SELF_BOUNDARY, pk) not in flagged:
                yield rules.self_boundary(**common)
        if direction == IN and (Rule.OFF_CHANNEL, pk) not in flagged:
            yield rules.off_channel(**common, channel=channel, agreed=c.agreed_channels)
    for client_id, (count, first) in pattern.items():
        yield rules.boundary_pattern(
            t,
            client_id=client_id,
            client_name=p.clients[client_id].name,
            count=count,
            first_at=first,
        )


def find_disrespect(p: Pass):
    t = p.thresholds
    rows = (
        p.interactions()
        .filter(
            occurred_at__gte=p.now - timedelta(days=t.disrespect_window_days),
            direction=IN,
        )
        .filter(trusted_tone(Interaction.Tone.HOSTILE))
        .values("client_id")
        .annotate(n=Count("pk"), first=Min("occurred_at"))
        .values_list("client_id", "n", "first")
    )
    for client_id, n, first in rows:
        if c := p.clients.get(client_id):
            p.soon(client_id, leaves_window(first, t.disrespect_window_days))
            yield rules.disrespect(
                t, client_id=client_id, client_name=c.name, count=n, first_at=first
            )


def find_walk_away(p: Pass):
    """Red week after week in the health snapshots, or out-of-hours contact going on (within
    the boundary-pattern window) after a boundary statement was sent."""
    t = p.thresholds
    today = p.now.astimezone(p.calendar.tz).date()
    first_week = today - timedelta(days=today.weekday() + 7 * t.walk_away_weeks)
    rows = HealthSnapshot.objects.filter(owner_id=p.owner_id, week__gte=first_week).order_by(
        "client_id", "-week"
    )
    scores: dict[int, list] = {}
    for client_id, week, score in rows.values_list("client_id", "week", "score"):
        weeks = scores.setdefault(client_id, [])
        if not weeks or (weeks[-1][0] - week).days == 7:  # consecutive weeks only
            weeks.append((week, score))
    statement = latest(Q(direction=OUT, script="boundary"), ref="client")
    ignored = dict(
        p.interactions()
        .filter(
            direction=IN,
            out_of_hours=True,
            occurred_at__gte=p.now - timedelta(days=t.boundary_pattern_days),
        )
        .annotate(statement_at=statement)
        .filter(occurred_at__gt=F("statement_at"))
        .values("client_id")
        .annotate(n=Count("pk"))
        .values_list("client_id", "n")
    )
    for client_id in scores.keys() | ignored.keys():
        if c := p.clients.get(client_id):
            if client_id in scores:
                p.soon(client_id, rules.next_week_start(p.now, p.calendar))
            yield rules.walk_away(
                t,
                client_id=client_id,
                client_name=c.name,
                scores=[s for _, s in scores.get(client_id, [])],
                after_boundary_statement=ignored.get(client_id, 0),
            )


def leaves_window(at: datetime, days: int) -> datetime:
    """When a message at `at` stops counting in a window of the last `days` days (which includes
    its first instant)."""
    return at + timedelta(days=days, microseconds=1)


FINDERS = [
    find_reply_owed,
    find_update_owed,
    find_check_in_missed,
    find_waiting_on_client,
    find_deadline,
    find_undocumented,
    find_contact_events,
    find_disrespect,
    find_walk_away,
]


# Reconcile: findings against the flags that are live now ----------------------------------


@dataclass
class Outcome:
    """What a pass wrote: flags raised and resolved per rule, flags changed or reopened, and
    what it announces (engagements.events: raised, escalated and resolved flags)."""

    raised: Counter = field(default_factory=Counter)
    resolved: Counter = field(default_factory=Counter)
    changed: int = 0
    reopened: int = 0
    events: list[tuple[str, int]] = field(default_factory=list)

    @property
    def rows_written(self) -> int:
        return self.raised.total() + self.resolved.total() + self.changed + self.reopened


def reconcile(p: Pass, findings: list[rules.Finding]) -> Outcome:
    # Live flags this pass may change: every condition flag, and event flags only if snoozed
    # (an open event flag has nothing left to change until someone acknowledges it).
    live = Flag.objects.filter(owner_id=p.owner_id, rule__in=RULES).filter(
        Q(state__in=[Flag.State.OPEN, Flag.State.ACKNOWLEDGED, Flag.State.SNOOZED])
        & (~Q(rule__in=ACKNOWLEDGE_CLEARS) | Q(state=Flag.State.SNOOZED))
    )
    if p.scope is not None:  # an ended client in scope keeps no flags
        live = live.filter(client_id__in=p.scope)
    existing = {(f.rule, f.subject): f for f in live}
    for f in existing.values():
        if f.state == Flag.State.SNOOZED:
            p.soon(f.client_id, f.snoozed_until)
    out = Outcome()
    new = []
    for finding in findings:
        flag = existing.pop((finding.rule, finding.subject), None)
        if flag is None:
            new.append(finding)
        else:
            escalated = finding.severity == Severity.BREACH != flag.severity
            changed = update_flag(flag, finding, p.now)
            out.changed += changed
            if changed and escalated:
                out.events.append((events.FLAG_ESCALATED, flag.pk))
            if flag.state == Flag.State.SNOOZED and flag.snoozed_until <= p.now:
                out.reopened += Flag.objects.filter(pk=flag.pk, state=Flag.State.SNOOZED).update(
                    state=Flag.State.OPEN
                )
    for pk, rule in raise_flags(p.owner_id, p.now, without_dismissed(p.owner_id, new)):
        out.raised[rule] += 1
        out.events.append((events.FLAG_RAISED, pk))
    for flag in existing.values():
        if flag.rule not in ACKNOWLEDGE_CLEARS:
            resolved = Flag.objects.filter(pk=flag.pk, state=flag.state).update(
                state=Flag.State.RESOLVED, resolved_at=p.now, resolved_by=Flag.ResolvedBy.RULE
            )
            out.resolved[flag.rule] += resolved
            if resolved:
                out.events.append((events.FLAG_RESOLVED, flag.pk))
        elif flag.state == Flag.State.SNOOZED and flag.snoozed_until <= p.now:
            out.reopened += Flag.objects.filter(pk=flag.pk, state=Flag.State.SNOOZED).update(
                state=Flag.State.OPEN
            )
    return out


def without_dismissed(owner_id: int, new: list[rules.Finding]) -> list[rules.Finding]:
    """Leave out what the freelancer resolved by hand while it still held: the same rule, subject
    and start at the same severity stays resolved. A new episode (a new unanswered message, a
    new update cycle) or a worse severity raises a new flag. One query, only when there is news."""
    if not new:
        return new
    dismissed = set(
        Flag.objects.filter(
            owner_id=owner_id,
            state=Flag.State.RESOLVED,
            resolved_by=Flag.ResolvedBy.HAND,
            subject__in={f.subject for f in new},
        ).values_list("rule", "subject", "since", "severity")
    )
    if not dismissed:
        return new
    return [f for f in new if (f.rule, f.subject, f.since, f.severity) not in dismissed]


def raise_flags(
    owner_id: int, now: datetime, findings: list[rules.Finding]
) -> list[tuple[int, str]]:
    """Open a flag for each finding; [(pk, rule)] of those that went in. Another worker may raise
    the same flag at the same moment: the partial unique constraint keeps one (ON CONFLICT DO
    NOTHING), and only the rows this call inserted are returned."""
    if not findings:
        return []
    if connection.vendor == "postgresql":
        return _copy_flags(owner_id, now, findings)
    Flag.objects.bulk_create(
        [Flag(owner_id=owner_id, opened_at=now, last_seen_at=now, **f.__dict__) for f in findings],
        ignore_conflicts=True,
    )
    ours = {(f.rule, f.subject) for f in findings}
    raised = Flag.objects.filter(
        owner_id=owner_id, opened_at=now, subject__in={subject for _, subject in ours}
    ).values_list("pk", "rule", "subject")
    return [(pk, rule) for pk, rule, subject in raised if (rule, subject) in ours]


FLAG_FIELDS = [f for f in Flag._meta.concrete_fields if not f.primary_key]
_COLUMNS = ", ".join(f.column for f in FLAG_FIELDS if f.column)
NEW_FLAG_TABLE = (  # made once per connection, emptied by every move and at commit
    "CREATE TEMPORARY TABLE IF NOT EXISTS new_flag ON COMMIT DELETE ROWS AS "
    f"SELECT {_COLUMNS} FROM {Flag._meta.db_table} WITH NO DATA"
)
MOVE_NEW_FLAGS = (
    f"WITH moved AS (DELETE FROM new_flag RETURNING {_COLUMNS}) "
    f"INSERT INTO {Flag._meta.db_table} ({_COLUMNS}) SELECT {_COLUMNS} FROM moved "
    "ON CONFLICT DO NOTHING RETURNING id, rule"
)


def _copy_flags(
    owner_id: int, now: datetime, findings: list[rules.Finding]
) -> list[tuple[int, str]]:
    """PostgreSQL: COPY the new rows into a temporary table, then move them across in one
    INSERT … ON CONFLICT DO NOTHING RETURNING. A first pass raises about 1,500 flags per
    freelancer; this takes a third of the time of bulk_create, which prepares every value in
    Python (docs/decisions/0051-new-flags-copied-in.md)."""
    row = {f.attname: f.get_default() for f in FLAG_FIELDS}
    row |= {"owner_id": owner_id, "opened_at": now, "last_seen_at": now}

    def values(finding: rules.Finding) -> list:
        row.update(finding.__dict__, figures=Jsonb(finding.figures))
        return [row[f.attname] for f in FLAG_FIELDS]

    with connection.cursor() as cursor:
        cursor.execute(NEW_FLAG_TABLE)
        copy_into("new_flag", FLAG_FIELDS, map(values, findings))
        cursor.execute(MOVE_NEW_FLAGS)
        return cursor.fetchall()


def update_flag(flag: Flag, finding: rules.Finding, now: datetime) -> int:
    """Bring a live flag up to date with its finding; a warning turning red stays the same row.

    A flag that gets worse is reopened even if it was acknowledged: there is news.
    """
    changes = {
        name: getattr(finding, name)
        for name in TRACKED_FIELDS
        if getattr(flag, name) != getattr(finding, name)
    }
    if not changes:
        return 0
    changes["last_seen_at"] = now
    if (
        SEVERITY_RANK[finding.severity] > SEVERITY_RANK[flag.severity]
        and flag.state == Flag.State.ACKNOWLEDGED
    ):
        changes["state"] = Flag.State.OPEN
    return Flag.objects.filter(pk=flag.pk, state=flag.state, severity=flag.severity).update(
        **changes
    )


def evaluate(
    owner_id: int, *, now: datetime | None = None, client_ids=None, retries: int = 1
) -> Outcome:
    """Run every rule for one freelancer (or some of their clients) and reconcile their flags."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            marks = due.read_marks(owner_id, client_ids)  # before anything a write may change
            p = load_pass(owner_id, now, client_ids)
            if p is None:
                return Outcome()
            findings = [f for finder in FINDERS for f in finder(p) if f is not None]
            outcome = reconcile(p, findings)
            due.store(owner_id, {*marks, *p.clients}, marks, p.moments)
            if outcome.rows_written:
                dashboard_cache.changed(owner_id, dashboard_cache.FLAGS)
            events.announce_flags(Flag, owner_id, outcome.events)
            return outcome
    except IntegrityError:
        # A client (or its interaction) was deleted while we ran: run again without it.
        if retries <= 0:
            raise
        log.info("Evaluation of user %s raced a deletion; running again", owner_id)
        return evaluate(owner_id, now=now, client_ids=client_ids, retries=retries - 1)
