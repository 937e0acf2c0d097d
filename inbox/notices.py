"""Telling the freelancer that a mailbox fails: once, not every five minutes.

A mailbox that has failed for more than FAILING_NOTICE_AFTER shows a notice on the dashboard
(web reads :func:`failing_mailboxes` with the rows it keeps in its cache; the sync marks the
dashboard changed when a mailbox starts or stops failing) and gets one line in the next daily
digest (:func:`digest_lines`, connected to engagements.signals.digest_notices): the digest
mentions a failure once, in the first digest after it has lasted an hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import F

from clients.formats import date_hm
from inbox.models import Mailbox

FAILING_NOTICE_AFTER = timedelta(hours=1)


@dataclass(frozen=True)
class FailingMailbox:
    pk: int
    label: str
    since: datetime
    error: str

    def worth_telling(self, now: datetime) -> bool:
        return now - self.since >= FAILING_NOTICE_AFTER


def failing_mailboxes(owner_id: int) -> list[FailingMailbox]:
    """The freelancer's failing mailboxes (one query)."""
    return [
        FailingMailbox(m.pk, m.label, m.failing_since, m.last_error)
        for m in Mailbox.objects.owned_by(owner_id)
        .filter(failing_since__isnull=False, demo=False)
        .only("pk", "name", "username", "host", "failing_since", "last_error")
        if m.failing_since is not None
    ]


def digest_lines(
    sender: Any, *, since: dict[int, datetime | None], now: datetime, **kwargs: Any
) -> dict[int, list[str]]:
    """Receiver of engagements.signals.digest_notices: a line for each mailbox whose failure
    passed the hour since that freelancer's previous digest (one query for everyone)."""
    found: dict[int, list[str]] = {}
    rows = (
        Mailbox.objects.filter(
            owner_id__in=list(since), demo=False, failing_since__lte=now - FAILING_NOTICE_AFTER
        )
        .annotate(zone=F("owner__profile__timezone"))
        .order_by("owner_id", "pk")
    )
    for m in rows:
        assert m.failing_since is not None
        previous = since.get(m.owner_id)
        if previous is not None and m.failing_since + FAILING_NOTICE_AFTER <= previous:
            continue  # told in an earlier digest
        failing_since = m.failing_since.astimezone(ZoneInfo(m.zone or "UTC"))
        found.setdefault(m.owner_id, []).append(
            f"Your mailbox {m.label} has not synced since {date_hm(failing_since)}: "
            f"{m.last_error} Fix it in Settings → Mailboxes."
        )
    return found
