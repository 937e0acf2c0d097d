"""Queries over many rows for the dashboard: a fixed number of them, whatever the data.

Each query is set-based: one over the clients (with where their logs stand, kept in
ClientActivity; engagements/owed.py, shared with the API, with what is owed now), two over the
flags.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Field

from clients.sql import converted
from engagements.models import Flag, Rule, Severity
from engagements.owed import (  # noqa: F401 (the dashboard's view reads them from here)
    ClientRow,
    Glance,
    LastContact,
    Owed,
    clients_at_a_glance,
    owed_now,
)

SEVERITIES = [Severity.BREACH, Severity.WARNING, Severity.INFO]  # most serious first
# Beyond these, a section shows a count and a link to show everything (?all=<section>).
FLAGS_PER_SEVERITY = 5
OWED_SHOWN = 10
CLIENTS_SHOWN = 20


@dataclass
class FlagBoard:
    """The visible flags grouped by severity (capped), their totals, and the hidden snoozes."""

    groups: dict[str, list[Flag]]
    totals: Counter
    snoozed: int
    next_wake: datetime | None
    per_client: Counter = field(default_factory=Counter)
    update_flagged: set = field(default_factory=set)  # clients with a live update-owed flag

    def attach(self, glances: list[Glance]) -> None:
        """Give each flag shown its client's row as `flag.client_row` (from the clients at a
        glance, kept apart from the flags), and drop any whose client is not among them."""
        rows = {g.client.pk: g.client for g in glances}
        for severity, flags in self.groups.items():
            self.groups[severity] = [f for f in flags if f.client_id in rows]
            for f in self.groups[severity]:
                f.client_row = rows[f.client_id]  # type: ignore[attr-defined]

    @property
    def total(self) -> int:
        return self.totals.total()

    def sections(self):
        """[(severity, label, flags shown, total), ...], breach first."""
        return [(s, Severity(s).label, self.groups.get(s, []), self.totals[s]) for s in SEVERITIES]


def flag_board(
    owner_id: int, now: datetime, *, limit: int | None = FLAGS_PER_SEVERITY
) -> FlagBoard:
    """The owner's flags: counts per client (1 query) and the flags to show, at most `limit`
    per severity (all when None), most pressing first (1 query). The board's `attach()` gives
    them their clients' rows.

    Both queries are written in SQL: the dashboard reads them again after every change to a
    flag, and building them with the ORM cost more than running them
    (docs/decisions/0054-hot-reads-in-sql.md)."""
    at = connection.ops.adapt_datetimefield_value(now)
    totals: Counter[str] = Counter()
    per_client: Counter[int] = Counter()
    snoozed, wakes, update_flagged = 0, [], set()
    with connection.cursor() as cursor:
        cursor.execute(
            COUNTS, [Flag.State.SNOOZED, at, Rule.UPDATE_OWED, owner_id, Flag.State.RESOLVED]
        )
        rows = converted(cursor.fetchall(), COUNTS_FIELDS)
        for client_id, severity, hidden, updates, n, wake in rows:
            if updates:
                update_flagged.add(client_id)
            if hidden:
                snoozed += n
                wakes.append(wake)
            else:
                per_client[client_id] += n
                totals[severity] += n
    visible = [Flag.State.OPEN, Flag.State.ACKNOWLEDGED, Flag.State.SNOOZED, at]
    shown = limit if limit is not None else max(totals.values(), default=0)
    params = [p for s in SEVERITIES for p in (owner_id, s, *visible, shown)]
    groups = defaultdict(list)
    for flag in Flag.objects.raw(PRESSING, params):
        groups[flag.severity].append(flag)
    return FlagBoard(
        dict(groups), +totals, snoozed, min(wakes, default=None), per_client, update_flagged
    )


_FLAG = Flag._meta.db_table
# Live flags per client, severity, whether snoozed out of sight and whether about updates.
COUNTS = f"""
    SELECT client_id, severity, (state = %s AND snoozed_until > %s), rule = %s, COUNT(*),
           MIN(snoozed_until)
    FROM {_FLAG} WHERE owner_id = %s AND state <> %s GROUP BY 1, 2, 3, 4
"""
COUNTS_FIELDS: list[Field | None] = [None] * 5 + [Flag._meta.get_field("snoozed_until")]
# The first few flags of each severity that the dashboard lists (FlagQuerySet.visible), in the
# order of the flag_pressing index; a subquery each, which both PostgreSQL and SQLite take.
_COLUMNS = ", ".join(f.column for f in Flag._meta.concrete_fields if f.column)
PRESSING = " UNION ALL ".join(
    f"""SELECT * FROM (
        SELECT {_COLUMNS} FROM {_FLAG}
        WHERE owner_id = %s AND severity = %s
          AND (state IN (%s, %s) OR (state = %s AND snoozed_until <= %s))
        ORDER BY breach_at ASC NULLS LAST, opened_at DESC, id DESC LIMIT %s
    ) AS {severity}"""
    for severity in SEVERITIES
)


def glances_again(profile, glances: list[Glance], client_ids: set[int]) -> list[Glance] | None:
    """`glances` with those of `client_ids` read again (1 query); None if one of them is gone."""
    fresh = {g.client.pk: g for g in clients_at_a_glance(profile, client_ids)}
    if len(fresh) != len(client_ids):
        return None
    return [fresh.get(g.client.pk, g) for g in glances]
