"""What the freelancer owes now: replies and progress updates, with when each falls due.

Read from each client's row (`clients_at_a_glance`: one query, with where its log stands, kept in
ClientActivity); the business-time arithmetic runs in Python with the freelancer's
BusinessCalendar and the same timer functions the rules use, so "owed now" and the flags never
disagree about when something is due. The dashboard and the API's owed-now both read it.
"""

from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, partial
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Field

from clients.business_time import BusinessCalendar
from clients.models import Boundaries, Client, FreelancerProfile
from clients.sql import converted
from engagements import evaluation, rules
from engagements.models import ClientActivity, Engagement, Interaction

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
    """One client row of the dashboard: the client, its rules in force, its latest contact, the
    message waiting for a reply and where its update cycle stands."""

    client: ClientRow
    reply_window_hours: int
    update_cadence_days: int
    last_interaction: LastContact | None = None
    asked_at: datetime | None = None  # the first message still waiting for a reply
    asked_about: str = ""
    update_since: datetime | None = None  # when the update cadence counts from (None: no
    # active engagement, so no updates owed)
    open_flags: int = 0


@dataclass
class Owed:
    """A reply or an update the freelancer owes a client. The working time left and the warning
    point are worked out when shown: most items are sorted, not shown."""

    kind: str  # "reply" or "update"
    glance: Glance
    since: datetime  # the message waiting for a reply, or the last update
    due: datetime | None  # None: no working time ahead in the calendar
    now: datetime
    timer: Callable[[], rules.Timer]  # the rule's own timer, for the warning point
    calendar: BusinessCalendar
    about: str = ""  # what the client asked

    @property
    def client(self) -> ClientRow:
        return self.glance.client

    @property
    def overdue(self) -> timedelta | None:
        """Wall-clock time since it fell due."""
        return self.now - self.due if self.due is not None and self.now >= self.due else None

    @cached_property
    def left(self) -> timedelta | None:
        """Working time until it falls due."""
        if self.due is None or self.overdue is not None:
            return None
        return self.calendar.working_time_between(self.now, self.due)

    @cached_property
    def warn_at(self) -> datetime | None:
        return None if self.due is None or self.overdue is not None else self.timer().warn_at

    @property
    def level(self) -> str:
        """ "breach" once due, "warning" past the warning point, else "ok" (for colour)."""
        return rules.Timer(self.since, self.warn_at, self.due).severity(self.now) or "ok"

    def sort_key(self):
        return (self.due is None, self.due or self.now, self.client.name.lower(), self.kind)


def clients_at_a_glance(profile: FreelancerProfile, client_ids=None) -> list[Glance]:
    """Every client (or those of `client_ids`), by name, with the boundaries the rules use, where
    its log stands (from ClientActivity: its latest interaction, the message waiting for a reply,
    its latest update) and the start of its active engagement (1 query). Ended clients are there
    for their remaining flags; the dashboard lists only the others.

    Written in SQL: the dashboard reads some clients again after every message logged, and
    building this query with the ORM took about twice as long as running it
    (docs/decisions/0054-hot-reads-in-sql.md)."""
    if client_ids is not None and not client_ids:
        return []
    owner = profile.user_id
    some = "" if client_ids is None else f"AND c.id IN ({', '.join(['%s'] * len(client_ids))})"
    params = [Engagement.Status.ACTIVE, owner, owner, owner, *(client_ids or ())]
    with connection.cursor() as cursor:
        cursor.execute(GLANCES.format(some=some), params)
        rows = converted(cursor.fetchall(), GLANCE_FIELDS)
    reply_default, update_default = profile.reply_window_hours, profile.update_cadence_days
    glances = []
    for (pk, name, org, zone, status, reply_hours, update_days, *last, asked_at, asked_about,
         last_update, engaged_since) in rows:  # fmt: skip
        glances.append(
            Glance(
                ClientRow(pk, name, org, zone, status),
                reply_hours or reply_default,
                update_days or update_default,
                last_interaction=LastContact(*last) if last[0] else None,
                asked_at=asked_at,
                asked_about=asked_about or "",
                update_since=engaged_since
                and evaluation.update_cycle_start(last_update, engaged_since, profile.zone),
            )
        )
    return glances


# The one-to-one rows are joined by owner too, so that PostgreSQL reads the owner's rows by
# index rather than hashing the whole table.
GLANCES = f"""
    SELECT c.id, c.name, c.organisation, c.timezone, c.status,
           b.reply_window_hours, b.update_cadence_days,
           latest.direction, latest.channel, latest.occurred_at, latest.summary,
           asked.occurred_at, asked.summary, a.last_update_at,
           (SELECT MIN(e.start) FROM {Engagement._meta.db_table} e
            WHERE e.client_id = c.id AND e.status = %s)
    FROM {Client._meta.db_table} c
    LEFT JOIN {Boundaries._meta.db_table} b ON b.client_id = c.id AND b.owner_id = %s
    LEFT JOIN {ClientActivity._meta.db_table} a ON a.client_id = c.id AND a.owner_id = %s
    LEFT JOIN {Interaction._meta.db_table} latest ON latest.id = a.last_interaction_id
    LEFT JOIN {Interaction._meta.db_table} asked ON asked.id = a.awaiting_reply_id
    WHERE c.owner_id = %s {{some}}
    ORDER BY LOWER(c.name)
"""
# The model field of each column whose value needs converting (SQLite's text timestamps).
_occurred = Interaction._meta.get_field("occurred_at")
GLANCE_FIELDS: list[Field | None] = [
    *[None] * 9,
    _occurred,
    None,
    _occurred,
    None,
    ClientActivity._meta.get_field("last_update_at"),
    Engagement._meta.get_field("start"),
]


def replies_owed(
    glances: list[Glance], calendar: BusinessCalendar, t: rules.Thresholds, now: datetime
) -> list[Owed]:
    """Every client whose oldest inbound needing a reply has no outbound after it."""
    owed = []
    for g in glances:
        if g.asked_at is None:
            continue
        asked_at = g.asked_at
        owed.append(
            Owed(
                "reply",
                g,
                asked_at,
                calendar.add_working_time(asked_at, timedelta(hours=g.reply_window_hours)),
                now,
                partial(
                    rules.working_hours_timer,
                    calendar,
                    asked_at,
                    g.reply_window_hours,
                    t.reply_warning_percent,
                ),
                calendar,
                about=g.asked_about,
            )
        )
    return owed


def updates_owed(
    glances: list[Glance],
    calendar: BusinessCalendar,
    t: rules.Thresholds,
    now: datetime,
    flagged: AbstractSet[int] = frozenset(),
) -> list[Owed]:
    """Clients with an active engagement whose next progress update falls due within a working
    day, or is overdue, or whose update-owed flag is up (`flagged`: client ids)."""
    horizon = calendar.add_working_days(now, UPDATE_LOOKAHEAD_WORKING_DAYS)
    if horizon is None:
        return []
    owed = []
    for g in glances:
        since = g.update_since
        if since is None:
            continue
        flagged_now = g.client.pk in flagged
        # Working days are never fewer than calendar days: most clients are settled here,
        # without the calendar (two hours spare for a DST change).
        soon = since + timedelta(days=g.update_cadence_days - 1, hours=-2) <= horizon
        if not soon and not flagged_now:
            continue
        due = calendar.add_working_days(since, g.update_cadence_days)
        if due is None or (due > horizon and not flagged_now):
            continue
        owed.append(
            Owed(
                "update",
                g,
                since,
                due,
                now,
                partial(
                    rules.working_days_timer,
                    calendar,
                    since,
                    g.update_cadence_days,
                    t.reply_warning_percent,
                ),
                calendar,
            )
        )
    return owed


def owed_now(glances, calendar, t, now, update_flagged=frozenset()) -> list[Owed]:
    """Replies and updates owed, most urgent (earliest due) first (no query: the clients' rows
    carry what they need)."""
    items = replies_owed(glances, calendar, t, now)
    items += updates_owed(glances, calendar, t, now, update_flagged)
    return sorted(items, key=Owed.sort_key)
