"""One freelancer's bad row never stops a background job for the others.

Every job that works through freelancers (the evaluation pass, health snapshots, composing
digests and weekly emails, and any job to come, such as a mailbox sync) runs each one through
`each_freelancer`: in its own savepoint, so a database error rolls back that freelancer's
writes only; a failure is logged with the freelancer's id and counted, and the loop goes on. A
set-based job that handles everyone in one go uses `at_once_or_each`: one try for all of them
(a fixed number of queries), and only when that fails, one freelancer at a time. A job over
rows rather than freelancers (the sender) catches per row and reports with `log_failure`.

The log names the job, the id and the exception's type, with the traceback's code lines but not
the exception's message: a database error's message can quote the row's values, and a row may
hold a secret. `manage.py evaluate_flags --user NAME` (or the job for that freelancer) shows the
whole error to whoever looks into it.
"""

import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.db import transaction

from clients.models import FreelancerProfile

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Tally(Generic[T]):
    """What came of a job: each result, and the ids of the freelancers (or rows) that failed."""

    job: str
    results: list[T] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.job}: {len(self.results)} done, {len(self.failed)} failed"


def log_failure(job: str, what: str, pk: int, error: BaseException) -> None:
    """Log that one freelancer (or one row: `what` says which) failed, without its data."""
    frames = "".join(traceback.format_tb(error.__traceback__))
    log.error(
        "%s: %s %s failed with %s; the others go on\n%s",
        job,
        what,
        pk,
        type(error).__name__,
        frames,
    )


def each_freelancer(job: str, owner_ids: Iterable[int], work: Callable[[int], T]) -> Tally[T]:
    """`work(owner_id)` for each freelancer in its own savepoint; a failure is logged, counted in
    the tally and rolled back, and the next freelancer goes on."""
    tally: Tally[T] = Tally(job)
    for owner_id in owner_ids:
        try:
            with transaction.atomic():
                tally.results.append(work(owner_id))
        except Exception as error:
            tally.failed.append(owner_id)
            log_failure(job, "freelancer", owner_id, error)
    if tally.failed:
        log.error("%s", tally)
    return tally


def everyone() -> list[int]:
    """The user id of every freelancer (every user with a profile)."""
    return list(FreelancerProfile.objects.order_by("user_id").values_list("user_id", flat=True))


def at_once_or_each(job: str, work: Callable[[list[int] | None], T]) -> Tally[T]:
    """`work(None)` (everyone) in one go; if that fails, `work([owner_id])` for each freelancer
    through `each_freelancer`, so only the ones that fail alone are left out."""
    try:
        with transaction.atomic():
            return Tally(job, [work(None)])
    except Exception:
        log.warning("%s: the run for everyone failed; one freelancer at a time now", job)
    return each_freelancer(job, everyone(), lambda owner_id: work([owner_id]))
