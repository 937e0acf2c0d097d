"""Reads for the client pages: the list with its figures, the timeline, inbound moments.

Every query starts from `.owned_by(user)` or from a client that was fetched that way.
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from heapq import nlargest

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce

from clients.models import Boundaries, Client
from engagements.models import ChangeRecord, Flag, Interaction

TIMELINE_PAGE = 30


def boundaries_of(client: Client, profile) -> Boundaries:
    """The client's boundaries; unsaved profile defaults if it has none yet (made in the admin)."""
    try:
        return client.boundaries
    except Boundaries.DoesNotExist:
        return Boundaries(
            client=client, owner_id=client.owner_id, **Boundaries.defaults_from(profile)
        )


def clients_with_figures(user, now, *, search="", status="", flags=""):
    """The user's clients with `last_interaction_at` and `open_flag_count`, in one query."""
    # Open, or snoozed until a moment now past.
    open_for_client = Flag.objects.needing_attention(now).filter(client=OuterRef("pk"))
    last = (
        Interaction.objects.filter(client=OuterRef("pk"))
        .order_by("-occurred_at")
        .values("occurred_at")[:1]
    )
    count = open_for_client.order_by().values("client").annotate(n=Count("pk")).values("n")[:1]
    clients = Client.objects.owned_by(user).annotate(
        last_interaction_at=Subquery(last),
        open_flag_count=Coalesce(Subquery(count, output_field=IntegerField()), Value(0)),
    )
    if search:
        clients = clients.filter(Q(name__icontains=search) | Q(organisation__icontains=search))
    if status:
        clients = clients.filter(status=status)
    if flags == "open":
        clients = clients.filter(Exists(open_for_client))
    elif flags == "none":
        clients = clients.filter(~Exists(open_for_client))
    return clients


# --- the timeline -----------------------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CURSOR = re.compile(r"^(\d{1,17})_([icf])(\d{1,18})$")


@dataclass(frozen=True)
class Cursor:
    """A position in the timeline: items strictly older than (at, kind, id) come next."""

    at: datetime
    kind: str  # "i" interaction, "c" change record, "f" flag
    id: int

    RANK = {"i": 0, "c": 1, "f": 2}  # at the same instant: flag, then change, then interaction

    @property
    def key(self):
        return (self.at, self.RANK[self.kind], self.id)

    def __str__(self):
        micros = (self.at - EPOCH) // timedelta(microseconds=1)
        return f"{micros}_{self.kind}{self.id}"

    @classmethod
    def parse(cls, text: str | None) -> "Cursor | None":
        """The cursor in `text`, or None when it is missing or malformed."""
        match = CURSOR.match(text or "")
        if not match:
            return None
        micros, kind, pk = match.groups()
        try:
            at = EPOCH + timedelta(microseconds=int(micros))
        except OverflowError:
            return None
        return cls(at, kind, int(pk))


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "interaction", "change" or "flag"
    at: datetime
    obj: object
    cursor: Cursor

    @property
    def headline(self) -> str:
        return self.obj.headline if isinstance(self.obj, ChangeRecord) else ""


SOURCES = {
    # kind letter: (name, queryset, time field)
    "i": (
        "interaction",
        lambda: Interaction.objects.select_related("contact", "mail"),
        "occurred_at",
    ),
    "c": (
        "change",
        lambda: ChangeRecord.objects.select_related("expectation", "engagement"),
        "changed_at",
    ),
    "f": ("flag", lambda: Flag.objects.select_related("expectation"), "opened_at"),
}


def _older_than(cursor: Cursor, letter: str, field: str) -> Q:
    """Rows of source `letter` that come after `cursor` in newest-first order."""
    older = Q(**{f"{field}__lt": cursor.at})
    rank, their_rank = Cursor.RANK[letter], Cursor.RANK[cursor.kind]
    if rank < their_rank:
        return older | Q(**{field: cursor.at})
    if rank == their_rank:
        return older | Q(**{field: cursor.at, "pk__lt": cursor.id})
    return older


def timeline(client, before: Cursor | None = None, limit: int = TIMELINE_PAGE):
    """Up to `limit` interactions, change records and flags of `client`, newest first, older
    than `before`; and the cursor for the next page (None at the end). One query per source."""
    candidates = []
    for letter, (name, queryset, field) in SOURCES.items():
        rows = queryset().filter(client=client)
        if before is not None:
            rows = rows.filter(_older_than(before, letter, field))
        for obj in rows.order_by(f"-{field}", "-pk")[: limit + 1]:
            at = getattr(obj, field)
            candidates.append(TimelineItem(name, at, obj, Cursor(at, letter, obj.pk)))
    page = nlargest(limit + 1, candidates, key=lambda item: item.cursor.key)
    more = len(page) > limit
    page = page[:limit]
    return page, (page[-1].cursor if more else None)


def inbound_moments(client, since):
    """When the client wrote (automated mail, such as their auto-replies, is not them)."""
    return list(
        Interaction.objects.owned_by(client.owner_id)
        .filter(client=client, direction=Interaction.Direction.INBOUND, occurred_at__gte=since)
        .exclude(automated=True)
        .values_list("occurred_at", flat=True)
    )
