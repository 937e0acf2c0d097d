"""Completing the written record after the fact: a change, an expectation or boundaries
confirmed in writing with a reference clears its undocumented-agreement flag for good, even
against an evaluation pass that read the record a moment before. Alice works Mon–Fri 09–17 in
Berlin; 23 November 2026 is a Monday."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.changes import ChangeNote
from engagements import documentation
from engagements.evaluation import FINDERS, evaluate, load_pass, reconcile
from engagements.models import ChangeRecord, Flag, Rule
from tests.factories import ClientFactory, ExpectationFactory

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=BERLIN)


@pytest.fixture
def draft(profile):
    """“Homepage draft”, agreed in writing, whose due date moved on Monday on the phone."""
    with time_machine.travel(berlin(2, 9), tick=False):
        client = ClientFactory(owner=profile.user, name="Acme")
        draft = ExpectationFactory(
            engagement__client=client,
            title="Homepage draft",
            due=date(2026, 12, 14),
            confirmed_in_writing=True,
            confirmed_reference="Contract §4",
        )
    with time_machine.travel(berlin(23, 10), tick=False):
        draft.due = date(2026, 12, 21)
        draft.save()
    return draft


def run(user, at):
    with time_machine.travel(at, tick=False):
        return evaluate(user.pk)


def undocumented(user):
    return list(Flag.objects.owned_by(user).filter(rule=Rule.UNDOCUMENTED))


def test_confirming_a_change_resolves_its_flag_and_no_later_pass_raises_it_again(draft, user):
    run(user, berlin(24, 17))
    [flag] = undocumented(user)
    assert flag.summary == (
        "Not confirmed in writing with Acme: “Homepage draft”: due date → Mon 21 Dec 2026"
    )
    record = draft.change_records.get()

    assert documentation.confirm_change(record, "  Email to Jane,\n30 Nov  ", berlin(25, 9))
    record.refresh_from_db()
    assert (record.confirmed_in_writing, record.confirmed_reference, record.confirmed_at) == (
        True,
        "Email to Jane, 30 Nov",
        berlin(25, 9),
    )
    flag.refresh_from_db()
    assert (flag.state, flag.resolved_by) == (Flag.State.RESOLVED, Flag.ResolvedBy.HAND)
    assert flag.resolution_note == "Confirmed in writing: Email to Jane, 30 Nov"
    run(user, berlin(25, 10))
    assert [f.state for f in undocumented(user)] == [Flag.State.RESOLVED]


def test_a_pass_that_read_the_change_before_it_was_confirmed_does_not_raise_it_again(draft, user):
    run(user, berlin(24, 17))
    with time_machine.travel(berlin(25, 9), tick=False):
        racing = load_pass(user.pk, berlin(25, 9))
        findings = [f for finder in FINDERS for f in finder(racing) if f is not None]
        documentation.confirm_change(draft.change_records.get(), "Email of 25 Nov")
        reconcile(racing, findings)  # what it read is out of date by now
    assert [f.state for f in undocumented(user)] == [Flag.State.RESOLVED]


def test_a_change_is_confirmed_once_and_keeps_its_first_reference(draft):
    record = draft.change_records.get()
    assert documentation.confirm_change(record, "First email")
    assert not documentation.confirm_change(record, "Second email")
    assert ChangeRecord.objects.get(pk=record.pk).confirmed_reference == "First email"


def test_an_empty_reference_is_refused(draft):
    with pytest.raises(ValueError, match="Say where"):
        documentation.confirm_change(draft.change_records.get(), " \n ")
    assert not ChangeRecord.objects.get().confirmed_in_writing


def test_confirming_an_expectation_confirms_it_and_its_pending_changes(draft, user):
    with time_machine.travel(berlin(23, 11), tick=False):
        draft.title = "Homepage design"
        draft.change_note = ChangeNote(confirmed_in_writing=True, reference="Chat")
        draft.save()
    run(user, berlin(24, 17))
    assert len([f for f in undocumented(user) if f.state != Flag.State.RESOLVED]) == 1

    assert documentation.confirm_expectation(draft, "Email of 25 Nov") == 1  # the due date
    draft.refresh_from_db()
    assert (draft.confirmed_in_writing, draft.confirmed_reference) == (True, "Email of 25 Nov")
    assert dict(draft.change_records.values_list("field", "confirmed_reference")) == {
        "due": "Email of 25 Nov",
        "title": "Chat",  # confirmed when it was made: left as it was
    }
    assert {f.state for f in undocumented(user)} == {Flag.State.RESOLVED}


def test_confirming_boundaries_dates_them_and_confirms_their_changes(draft, user):
    boundaries = draft.client.boundaries
    with time_machine.travel(berlin(23, 12), tick=False):
        boundaries.reply_window_hours = 4
        boundaries.save()
    assert documentation.confirm_boundaries(boundaries, "Kick-off email", berlin(25, 9)) == 1
    boundaries.refresh_from_db()
    assert (boundaries.confirmed_in_writing_at, boundaries.confirmed_reference) == (
        berlin(25, 9),
        "Kick-off email",
    )
    record = ChangeRecord.objects.get(subject="boundaries")
    assert (record.field, record.confirmed_reference) == ("reply_window_hours", "Kick-off email")
    assert not draft.change_records.get().confirmed_in_writing  # another subject's: untouched
