"""Completing the written record after the fact: a change, an expectation or a client's
boundaries confirmed in writing, with a reference (an email subject, the message sent).

Confirming is the one write a change record allows (`ChangeRecord.confirm_in_writing`). It also
clears the undocumented-agreement flags about what was confirmed, at once rather than at the next
evaluation pass, and as resolved by hand: `evaluation.without_dismissed` keeps such a flag from
being raised again by a pass that read the record a moment before it was confirmed, and later
passes no longer find it (they look only at unconfirmed records and expectations).
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from clients.models import Boundaries
from engagements import dashboard_cache
from engagements.models import ChangeRecord, ClientActivity, Expectation, Flag, Rule

REFERENCE_LENGTH = 300  # confirmed_reference's max_length


def confirm_change(record: ChangeRecord, reference: str, at: datetime | None = None) -> bool:
    """Confirm one change in writing; False if it already was."""
    at, reference = at or timezone.now(), _clean(reference)
    with transaction.atomic():
        done = record.confirm_in_writing(reference, at)
        if done:
            _clear_flags(record, Q(change_record_id=record.pk), reference, at)
    return done


def confirm_pending(
    records: "QuerySet[ChangeRecord]", reference: str, at: datetime | None = None
) -> int:
    """Confirm those of `records` not confirmed yet (an expectation's, a client's boundaries');
    how many were."""
    at, reference = at or timezone.now(), _clean(reference)
    with transaction.atomic():
        pending = list(records.filter(confirmed_in_writing=False))
        done = sum(record.confirm_in_writing(reference, at) for record in pending)
        if pending:
            ids = [record.pk for record in pending]
            _clear_flags(pending[0], Q(change_record_id__in=ids), reference, at)
    return done


def confirm_expectation(
    expectation: Expectation, reference: str, at: datetime | None = None
) -> int:
    """The expectation as it stands agreed in writing, with its changes not yet confirmed; how
    many of those changes were confirmed."""
    at, reference = at or timezone.now(), _clean(reference)
    with transaction.atomic():
        Expectation.objects.filter(pk=expectation.pk).update(
            confirmed_in_writing=True, confirmed_reference=reference
        )
        expectation.confirmed_in_writing, expectation.confirmed_reference = True, reference
        _clear_flags(expectation, Q(expectation_id=expectation.pk), reference, at)
        return confirm_pending(expectation.change_records.all(), reference, at)


def confirm_boundaries(boundaries: Boundaries, reference: str, at: datetime | None = None) -> int:
    """The client's boundaries as they stand agreed in writing, with their changes not yet
    confirmed; how many of those were."""
    at, reference = at or timezone.now(), _clean(reference)
    with transaction.atomic():
        Boundaries.objects.filter(pk=boundaries.pk).update(
            confirmed_in_writing_at=at, confirmed_reference=reference
        )
        boundaries.confirmed_in_writing_at, boundaries.confirmed_reference = at, reference
        return confirm_pending(boundary_changes(boundaries.client_id), reference, at)


def boundary_changes(client_id: int) -> "QuerySet[ChangeRecord]":
    return ChangeRecord.objects.filter(client_id=client_id, subject="boundaries")


def _clean(reference: str) -> str:
    reference = " ".join(reference.split())
    if not reference:
        raise ValueError("Say where it was confirmed in writing.")
    return reference[:REFERENCE_LENGTH]


def _clear_flags(row: ChangeRecord | Expectation, about: Q, reference: str, at: datetime) -> None:
    """Resolve the undocumented-agreement flags `about` these changes or expectations (of the
    client of `row`), whose next evaluation has news."""
    owner_id = row.owner_id
    ClientActivity.mark_due([row.client_id])
    cleared = (
        Flag.objects.filter(about, owner_id=owner_id, rule=Rule.UNDOCUMENTED)
        .live()
        .update(
            state=Flag.State.RESOLVED,
            resolved_at=at,
            resolved_by=Flag.ResolvedBy.HAND,
            resolution_note=f"Confirmed in writing: {reference}",
        )
    )
    if cleared:
        dashboard_cache.changed(owner_id, dashboard_cache.FLAGS)
