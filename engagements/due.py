"""When each client's flags next need a look: `ClientActivity.due_at`, one indexed column.

The beat's pass does not re-read every freelancer's log every five minutes. It asks one indexed
question, "which clients are due?" (`due_clients`), and evaluates only those. A client is due when
- something that can change its flags was written since its last evaluation: every such write
  sets `due_at` to the time of the write (ClientActivity.mark_due, mark_owner_due): the log
  through ClientActivity.refresh, other rows through signals (`marked`, connected in
  EngagementsConfig.ready), the bulk writers by hand; or
- its stored moment has come: after evaluating a client the pass stores the earliest moment at
  which any rule's verdict can change without new data (a reply-owed warning, an update falling
  due, a snooze ending, a hostile message leaving the window…; see evaluation.Pass.soon), or
  nothing when no moment is coming.
A client without a ClientActivity row (new, never written to) is due too.

Safe on two workers and against writes during a pass: the pass reads each client's `due_at`
before it reads anything else, and stores its moment only where `due_at` is still what it read,
so a write that lands while it runs keeps its client due for the next beat. The nightly full pass
(evaluate_flags --full) heals whatever a missed mark would leave behind, and logs how many flags
it had to correct (docs/decisions/0050-stored-next-moments.md).
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from functools import reduce
from operator import or_

from django.db import connection
from django.db.models import Case, DateTimeField, Q, Value, When
from django.db.models.functions import Cast

from clients.models import Client
from clients.ownership import owner_of
from engagements.models import ClientActivity

CHUNK = 200  # clients per conditional update (SQLite allows 999 parameters)


def marked(sender, instance, **kwargs) -> None:
    """Signal receiver: a row a rule reads was saved or deleted. A client's own row, a row about
    one client (client_id), or the freelancer's profile, working windows and days off."""
    if isinstance(instance, Client):
        ClientActivity.mark_due([instance.pk])
    elif client_id := getattr(instance, "client_id", None):
        ClientActivity.mark_due([client_id])
    elif owner_id := owner_of(instance):
        ClientActivity.mark_owner_due(owner_id)


def due_clients(now: datetime) -> dict[int, list[int]]:
    """{freelancer: [client, …]} whose moment has come or who were written to since their last
    evaluation, across all freelancers: one query on the due_at index (and the clients never
    evaluated or written to, which have no row yet)."""
    due = defaultdict(list)
    rows = (
        ClientActivity.objects.filter(due_at__lte=now)
        .order_by()  # SQLite takes no ORDER BY inside a UNION
        .values_list("owner_id", "client_id")
        .union(
            Client.objects.filter(activity__isnull=True)
            .exclude(status=Client.Status.ENDED)
            .order_by()
            .values_list("owner_id", "pk")
        )
    )
    for owner_id, client_id in rows:
        due[owner_id].append(client_id)
    return dict(due)


def read_marks(owner_id: int, client_ids: list[int] | None) -> dict[int, datetime | None]:
    """`due_at` of the freelancer's clients (or of these), read before the pass reads the rest."""
    rows = ClientActivity.objects.filter(owner_id=owner_id)
    if client_ids is not None:
        rows = rows.filter(client_id__in=client_ids)
    return dict(rows.values_list("client_id", "due_at"))


def store(
    owner_id: int,
    evaluated: Iterable[int],
    marks: dict[int, datetime | None],
    moments: dict[int, datetime],
) -> None:
    """Keep each evaluated client's next moment (none: nothing will change by itself), where no
    write has marked it since `marks` were read. Clients without a row get one."""
    evaluated = sorted(set(evaluated))
    kept = [c for c in evaluated if c in marks and marks[c] != moments.get(c)]
    for start in range(0, len(kept), CHUNK):
        chunk = kept[start : start + CHUNK]
        unchanged = reduce(
            or_,
            (
                Q(client_id=c, due_at__isnull=True)
                if marks[c] is None
                else Q(client_id=c, due_at=marks[c])
                for c in chunk
            ),
        )
        moment = Case(
            *(When(client_id=c, then=Value(moments.get(c))) for c in chunk),
            output_field=DateTimeField(),
        )
        # A CASE of NULLs alone would be text to PostgreSQL; SQLite would store the cast as
        # other text than its datetimes.
        ClientActivity.objects.filter(unchanged).update(
            due_at=Cast(moment, DateTimeField()) if connection.vendor == "postgresql" else moment
        )
    new = [c for c in evaluated if c not in marks]
    if new:
        # A write creating the row meanwhile wins: its client stays due.
        ClientActivity.objects.bulk_create(
            [ClientActivity(client_id=c, owner_id=owner_id, due_at=moments.get(c)) for c in new],
            ignore_conflicts=True,
        )
