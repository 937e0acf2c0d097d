"""Queries over many rows for the dashboard: a fixed number of them, whatever the data.

Each query is set-based: one over the clients (with where their logs stand, kept in
ClientActivity; engagements/owed.py, shared with the API, with what is owed now), two over the
flags.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Count, F, Min, Q
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber

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
    """The owner's flags: counts per client (1 query, a row per client) and the flags to show,
    at most `limit` per severity, most pressing first (1 query). The board's `attach()` gives
    them their clients' rows."""
    mine = Flag.objects.owned_by(owner_id)
    hidden = Q(state=Flag.State.SNOOZED, snoozed_until__gt=now)
    shown = {s: Count("pk", filter=Q(severity=s) & ~hidden) for s in SEVERITIES}
    counts = (
        mine.live()
        .values("client_id")
        .annotate(
            **shown,
            snoozed=Count("pk", filter=hidden),
            wakes=Min("snoozed_until", filter=hidden),
            updates=Count("pk", filter=Q(rule=Rule.UPDATE_OWED)),
        )
        .order_by()
        .values_list("client_id", *shown, "snoozed", "wakes", "updates")
    )
    totals, per_client = [0] * len(SEVERITIES), Counter()
    snoozed, wakes, update_flagged = 0, [], set()
    for client_id, breach, warning, info, asleep, wake, updates in counts:
        if updates:
            update_flagged.add(client_id)
        if asleep:
            snoozed += asleep
            wakes.append(wake)
        per_client[client_id] = breach + warning + info
        totals[0] += breach
        totals[1] += warning
        totals[2] += info

    pressing = [F("breach_at").asc(nulls_last=True), F("opened_at").desc(), F("pk").desc()]
    flags = mine.visible(now).order_by(*pressing)
    if limit is not None and connection.features.supports_slicing_ordering_in_compound:
        # Each severity's first few, read in the order of the (owner, severity, …) index.
        first, *rest = (flags.filter(severity=s)[:limit] for s in SEVERITIES)
        flags = first.union(*rest, all=True)
    elif limit is not None:  # SQLite: number the rows of each severity instead
        row = Window(RowNumber(), partition_by=[F("severity")], order_by=pressing)
        flags = flags.annotate(row=row).filter(row__lte=limit)
    groups = defaultdict(list)
    for flag in flags:
        groups[flag.severity].append(flag)
    totals = +Counter(dict(zip(SEVERITIES, totals, strict=True)))
    return FlagBoard(
        dict(groups), totals, snoozed, min(wakes, default=None), per_client, update_flagged
    )


def glances_again(profile, glances: list[Glance], client_ids: set[int]) -> list[Glance] | None:
    """`glances` with those of `client_ids` read again (1 query); None if one of them is gone."""
    fresh = {g.client.pk: g for g in clients_at_a_glance(profile, client_ids)}
    if len(fresh) != len(client_ids):
        return None
    return [fresh.get(g.client.pk, g) for g in glances]
