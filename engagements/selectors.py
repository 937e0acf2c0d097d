"""Queries over many rows for the dashboard: a fixed number of them, whatever the data.

Each function is one set-based query (or a fixed few); the business-time arithmetic runs in
Python on the rows they return, with the freelancer's BusinessCalendar and the same timer
functions the rules use, so "owed now" and the flags never disagree about when something is due.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from django.db.models import Case, Count, F, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber

from clients.business_time import BusinessCalendar
from clients.models import Client, FreelancerProfile
from engagements import rules
from engagements.evaluation import awaiting_reply, update_cycle_start, update_cycles
from engagements.models import Flag, Interaction, Rule, Severity

IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND
SEVERITIES = [Severity.BREACH, Severity.WARNING, Severity.INFO]  # most serious first
# Beyond these, a section shows a count and a link to show everything (?all=<section>).
FLAGS_PER_SEVERITY = 10
OWED_SHOWN = 25
CLIENTS_SHOWN = 50
# An update shows as owed from the working day before it falls due (and once it is overdue).
UPDATE_LOOKAHEAD_WORKING_DAYS = 1


@dataclass
class ClientRow:
    """What the dashboard shows of a client, read with values(): 200 of these cost a fraction of
    200 model instances (with their boundaries)."""

    pk: int
    name: str
    organisation: str
    timezone: str
    status: str

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def get_status_display(self) -> str:
        return Client.Status(self.status).label

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class LastContact:
    direction: str
    channel: str
    occurred_at: datetime
    summary: str


@dataclass
class Glance:
    """One client row of the dashboard: the client, its rules in force, its latest contact."""

    client: ClientRow
    reply_window_hours: int
    update_cadence_days: int
    last_interaction_id: int | None = None
    last_interaction: LastContact | None = None
    open_flags: int = 0


@dataclass
class Owed:
    """A reply or an update the freelancer owes a client."""

    kind: str  # "reply" or "update"
    glance: Glance
    since: datetime  # the message waiting for a reply, or the last update
    due: datetime | None  # None: no working time ahead in the calendar
    warn_at: datetime | None
    now: datetime
    left: timedelta | None = None  # working time until due
    overdue: timedelta | None = None  # wall-clock time since due
    about: str = ""  # what the client asked

    @property
    def client(self) -> ClientRow:
        return self.glance.client

    @property
    def level(self) -> str:
        """ "breach" once due, "warning" past the warning point, else "ok" (for colour)."""
        return rules.Timer(self.since, self.warn_at, self.due).severity(self.now) or "ok"

    def sort_key(self):
        return (self.due is None, self.due or self.now, self.client.name.lower(), self.kind)


@dataclass
class FlagBoard:
    """The visible flags grouped by severity (capped), their totals, and the hidden snoozes."""

    groups: dict[str, list[Flag]]
    totals: Counter
    snoozed: int
    next_wake: datetime | None
    per_client: Counter = field(default_factory=Counter)
    update_flagged: set = field(default_factory=set)  # clients with a live update-owed flag

    @property
    def total(self) -> int:
        return self.totals.total()

    def sections(self):
        """[(severity, label, flags shown, total), ...], breach first."""
        return [(s, Severity(s).label, self.groups.get(s, []), self.totals[s]) for s in SEVERITIES]


def current_clients(owner_id: int):
    """The clients the dashboard is about: every one not ended (filtered by owner and status,
    not by a list of ids, which would cost more to send than to look up)."""
    return Client.objects.owned_by(owner_id).exclude(status=Client.Status.ENDED)


def clients_at_a_glance(profile: FreelancerProfile) -> list[Glance]:
    """Every client, by name, with the boundaries the rules use and the id of their latest
    interaction (1 query). Ended clients are there for their remaining flags; the dashboard
    lists only the others."""
    # Ordered by the (client, occurred_at) index alone, so that LIMIT 1 reads one index entry.
    latest_pk = Interaction.objects.filter(client=OuterRef("pk")).order_by("-occurred_at")
    rows = (
        Client.objects.owned_by(profile.user_id)
        .annotate(last_id=Subquery(latest_pk.values("pk")[:1]))
        .values_list(
            "pk",
            "name",
            "organisation",
            "timezone",
            "status",
            "boundaries__reply_window_hours",
            "boundaries__update_cadence_days",
            "last_id",
        )
    )
    reply_default, update_default = profile.reply_window_hours, profile.update_cadence_days
    return [
        Glance(
            ClientRow(pk, name, organisation, zone, status),
            reply_hours or reply_default,
            update_days or update_default,
            last_id,
        )
        for pk, name, organisation, zone, status, reply_hours, update_days, last_id in rows
    ]


def attach_last_interactions(glances: list[Glance]) -> None:
    """The latest interaction of each client, by the ids the client query found (1 query)."""
    ids = [g.last_interaction_id for g in glances if g.last_interaction_id]
    if not ids:
        return
    rows = Interaction.objects.filter(pk__in=ids).values_list(
        "pk", "direction", "channel", "occurred_at", "summary"
    )
    by_pk = {pk: LastContact(*rest) for pk, *rest in rows}
    for g in glances:
        g.last_interaction = by_pk.get(g.last_interaction_id)


def replies_owed(
    owner_id: int,
    glances: list[Glance],
    calendar: BusinessCalendar,
    t: rules.Thresholds,
    now: datetime,
) -> list[Owed]:
    """Every client whose oldest inbound needing a reply has no outbound after it (1 query)."""
    by_id = {g.client.pk: g for g in glances}
    if not by_id:
        return []
    # Per client, the id of the first message still waiting for a reply; then those messages
    # themselves, in the same query (the per-client lookups run once, not per column).
    asked = awaiting_reply(current_clients(owner_id)).order_by().values("asked_id")
    rows = Interaction.objects.filter(pk__in=asked).values_list(
        "client_id", "occurred_at", "summary"
    )
    owed = []
    for client_id, asked_at, about in rows:
        g = by_id.get(client_id)
        if g is None:
            continue
        due = calendar.add_working_time(asked_at, timedelta(hours=g.reply_window_hours))
        owed.append(
            _owed(
                "reply",
                g,
                asked_at,
                due,
                lambda g=g, asked_at=asked_at: rules.working_hours_timer(
                    calendar, asked_at, g.reply_window_hours, t.reply_warning_percent
                ),
                calendar,
                now,
                about=about or "",
            )
        )
    return owed


def updates_owed(
    owner_id: int,
    glances: list[Glance],
    calendar: BusinessCalendar,
    t: rules.Thresholds,
    now: datetime,
    flagged: set = frozenset(),
) -> list[Owed]:
    """Clients with an active engagement whose next progress update falls due within a working
    day, or is overdue, or whose update-owed flag is up (`flagged`: client ids) (1 query)."""
    by_id = {g.client.pk: g for g in glances}
    if not by_id:
        return []
    rows = (
        update_cycles(current_clients(owner_id))
        .order_by()
        .values_list("pk", "last_update", "engaged_since")
    )
    horizon = calendar.add_working_days(now, UPDATE_LOOKAHEAD_WORKING_DAYS)
    if horizon is None:
        return []
    owed = []
    for client_id, last, engaged_since in rows:
        g = by_id.get(client_id)
        if g is None:
            continue
        since = update_cycle_start(last, engaged_since, calendar)
        # Working days are never fewer than calendar days: most clients are settled here,
        # without the calendar (two hours spare for a DST change).
        soon = since + timedelta(days=g.update_cadence_days - 1, hours=-2) <= horizon
        if not soon and client_id not in flagged:
            continue
        due = calendar.add_working_days(since, g.update_cadence_days)
        if due is None or (due > horizon and client_id not in flagged):
            continue
        owed.append(
            _owed(
                "update",
                g,
                since,
                due,
                lambda g=g, since=since: rules.working_days_timer(
                    calendar, since, g.update_cadence_days, t.reply_warning_percent
                ),
                calendar,
                now,
            )
        )
    return owed


def _owed(kind, glance, since, due, timer, calendar, now, about="") -> Owed:
    """An Owed item; the warning point (`timer()`, the rule's own) only matters before it is due."""
    item = Owed(kind, glance, since, due, None, now, about=about)
    if due is not None and now >= due:
        item.overdue = now - due
    elif due is not None:
        item.warn_at = timer().warn_at
        item.left = calendar.working_time_between(now, due)
    return item


def owed_now(owner_id, glances, calendar, t, now, update_flagged=frozenset()) -> list[Owed]:
    """Replies and updates owed, most urgent (earliest due) first (2 queries)."""
    items = replies_owed(owner_id, glances, calendar, t, now)
    items += updates_owed(owner_id, glances, calendar, t, now, update_flagged)
    return sorted(items, key=Owed.sort_key)


def flag_board(
    owner_id: int, now: datetime, clients: dict, *, limit: int | None = FLAGS_PER_SEVERITY
) -> FlagBoard:
    """The owner's flags: counts per client and severity (1 query) and the flags to show, at most
    `limit` per severity, most pressing first (1 query). Each flag gets its client as
    `flag.client_row` from `clients` (id → ClientRow, every client of the owner), not a join."""
    mine = Flag.objects.owned_by(owner_id)
    hidden = Q(state=Flag.State.SNOOZED, snoozed_until__gt=now)
    counts = (
        mine.live()
        .annotate(hidden=Case(When(hidden, then=Value(True)), default=Value(False)))
        .values("client_id", "severity", "hidden")
        .annotate(
            n=Count("pk"),
            wakes=Min("snoozed_until"),
            updates=Count("pk", filter=Q(rule=Rule.UPDATE_OWED)),
        )
        .order_by()
    )
    totals, per_client = Counter(), Counter()
    snoozed, next_wake, update_flagged = 0, None, set()
    for row in counts:
        if row["client_id"] not in clients:
            continue
        if row["updates"]:
            update_flagged.add(row["client_id"])
        if row["hidden"]:
            snoozed += row["n"]
            if row["wakes"] is not None and (next_wake is None or row["wakes"] < next_wake):
                next_wake = row["wakes"]
        else:
            totals[row["severity"]] += row["n"]
            per_client[row["client_id"]] += row["n"]

    pressing = [F("breach_at").asc(nulls_last=True), F("opened_at").desc(), F("pk").desc()]
    flags = mine.visible(now).order_by(*pressing)
    if limit is not None:
        flags = flags.annotate(
            row=Window(RowNumber(), partition_by=[F("severity")], order_by=pressing)
        ).filter(row__lte=limit)
    groups = defaultdict(list)
    for flag in flags:
        if flag.client_id in clients:
            flag.client_row = clients[flag.client_id]
            groups[flag.severity].append(flag)
    return FlagBoard(dict(groups), totals, snoozed, next_wake, per_client, update_flagged)
