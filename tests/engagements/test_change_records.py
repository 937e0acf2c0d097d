"""Change records: one per changed tracked field, readable, append-only."""

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.db import IntegrityError

from clients.changes import ChangeNote
from engagements.models import ChangeRecord, Engagement, Expectation, Party
from tests.factories import ClientFactory, EngagementFactory, ExpectationFactory

NOW = datetime(2026, 6, 2, 10, tzinfo=UTC)


@pytest.fixture
def acme(user):
    return ClientFactory(owner=user, name="Acme")


@pytest.fixture
def engagement(acme):
    return EngagementFactory(
        client=acme, title="Website", scope="Five pages", start=date(2026, 5, 1), end=None
    )


@pytest.fixture
def expectation(engagement):
    return ExpectationFactory(
        engagement=engagement, title="First draft", due=date(2026, 6, 10), owed_by=Party.FREELANCER
    )


def records():
    return list(ChangeRecord.objects.order_by("field"))


def changes(qs=None):
    qs = ChangeRecord.objects.all() if qs is None else qs
    return sorted(qs.values_list("subject", "field", "from_value", "to_value"))


# --- expectations -----------------------------------------------------------------------------


@time_machine.travel(NOW, tick=False)
def test_moving_a_due_date_writes_one_record_with_iso_dates_and_the_note(expectation):
    expectation.due = date(2026, 6, 17)
    expectation.change_note = ChangeNote(
        requested_by=Party.CLIENT, confirmed_in_writing=True, reference="Email of 2 June"
    )
    expectation.save()

    [record] = records()
    assert (record.subject, record.field, record.from_value, record.to_value) == (
        "expectation",
        "due",
        "2026-06-10",
        "2026-06-17",
    )
    assert record.requested_by == Party.CLIENT
    assert record.confirmed_in_writing is True
    assert record.confirmed_reference == "Email of 2 June"
    assert record.changed_at == record.confirmed_at == NOW
    assert (record.client, record.engagement, record.expectation) == (
        expectation.client,
        expectation.engagement,
        expectation,
    )
    assert record.owner == expectation.owner


def test_renaming_an_expectation_writes_one_record(expectation):
    expectation.title = "Second draft"
    expectation.save()
    assert changes() == [("expectation", "title", "First draft", "Second draft")]


def test_a_change_of_who_owes_it_is_written_with_the_choice_labels(expectation):
    expectation.owed_by = Party.CLIENT
    expectation.save()
    assert changes() == [("expectation", "owed_by", "Me", "The client")]


def test_without_a_note_the_freelancer_asked_and_nothing_is_confirmed(expectation):
    expectation.title = "Second draft"
    expectation.save()
    [record] = records()
    assert record.requested_by == Party.FREELANCER
    assert (record.confirmed_in_writing, record.confirmed_reference, record.confirmed_at) == (
        False,
        "",
        None,
    )


def test_two_fields_changed_at_once_write_two_records_with_the_same_note(expectation):
    expectation.title = "Second draft"
    expectation.due = date(2026, 7, 1)
    expectation.change_note = ChangeNote(requested_by=Party.CLIENT)
    expectation.save()
    assert changes() == [
        ("expectation", "due", "2026-06-10", "2026-07-01"),
        ("expectation", "title", "First draft", "Second draft"),
    ]
    assert {r.requested_by for r in records()} == {Party.CLIENT}


def test_a_note_applies_to_one_save_only(expectation):
    expectation.title = "Second draft"
    expectation.change_note = ChangeNote(requested_by=Party.CLIENT, confirmed_in_writing=True)
    expectation.save()
    expectation.title = "Third draft"
    expectation.save()
    latest = ChangeRecord.objects.get(to_value="Third draft")
    assert (latest.requested_by, latest.confirmed_in_writing) == (Party.FREELANCER, False)


def test_an_untracked_change_writes_nothing(expectation):
    expectation.status = Expectation.Status.IN_PROGRESS
    expectation.kind = Expectation.Kind.FEEDBACK
    expectation.save()
    assert records() == []


# --- engagements --------------------------------------------------------------------------------


def test_changing_an_engagements_title_scope_and_end_writes_one_record_each(engagement):
    engagement.title = "Website relaunch"
    engagement.scope = "Five pages and a blog"
    engagement.end = date(2026, 8, 31)
    engagement.save()
    assert changes() == [
        ("engagement", "end", "", "2026-08-31"),
        ("engagement", "scope", "Five pages", "Five pages and a blog"),
        ("engagement", "title", "Website", "Website relaunch"),
    ]
    assert {(r.client_id, r.engagement_id, r.expectation_id) for r in records()} == {
        (engagement.client_id, engagement.pk, None)
    }


def test_changing_an_engagements_goals_or_status_writes_nothing(engagement):
    engagement.goals = "More leads"
    engagement.status = Engagement.Status.PAUSED
    engagement.save()
    assert records() == []


# --- boundaries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "new", "from_value", "to_value"),
    [
        ("agreed_channels", ["email", "chat"], "Email, Video call", "Email, Chat (Slack, Teams…)"),
        ("reply_window_hours", 16, "8", "16"),
        ("update_cadence_days", 3, "5", "3"),
        ("checkin_cadence_days", 20, "10", "20"),
        ("after_hours_policy", "urgent_only", "Not OK", "Urgent only"),
    ],
)
def test_changing_a_boundary_writes_one_readable_record(acme, field, new, from_value, to_value):
    boundaries = acme.boundaries
    setattr(boundaries, field, new)
    boundaries.change_note = ChangeNote(requested_by=Party.CLIENT, reference="Call notes")
    boundaries.save()
    [record] = records()
    assert (record.subject, record.field, record.from_value, record.to_value) == (
        "boundaries",
        field,
        from_value,
        to_value,
    )
    assert (record.client, record.requested_by, record.confirmed_reference) == (
        acme,
        Party.CLIENT,
        "Call notes",
    )


def test_adding_a_channel_in_place_is_noticed(acme):
    boundaries = acme.boundaries
    boundaries.agreed_channels.append("phone")
    boundaries.save()
    assert changes() == [
        ("boundaries", "agreed_channels", "Email, Video call", "Email, Video call, Phone")
    ]


def test_a_boundaries_object_loaded_from_the_database_is_tracked(acme):
    boundaries = type(acme.boundaries).objects.get(client=acme)
    boundaries.reply_window_hours = 4
    boundaries.save()
    assert changes() == [("boundaries", "reply_window_hours", "8", "4")]


def test_confirming_the_boundaries_in_writing_is_not_itself_a_change(acme):
    boundaries = acme.boundaries
    boundaries.confirmed_in_writing_at = NOW
    boundaries.confirmed_reference = "Contract §4"
    boundaries.save()
    assert records() == []


# --- when nothing is written --------------------------------------------------------------------


def test_creating_writes_nothing(acme):
    expectation = ExpectationFactory(engagement=EngagementFactory(client=acme))
    assert expectation.pk and acme.boundaries.pk
    assert records() == []


def test_saving_without_a_change_writes_nothing(expectation, engagement, acme):
    expectation.save()
    engagement.save()
    acme.boundaries.save()
    Expectation.objects.get(pk=expectation.pk).save()
    assert records() == []


def test_setting_the_same_value_again_writes_nothing(expectation):
    expectation.due = date(2026, 6, 10)
    expectation.title = "First draft"
    expectation.save()
    assert records() == []


def test_a_change_saved_twice_is_written_once(expectation):
    expectation.title = "Second draft"
    expectation.save()
    expectation.save()
    assert len(records()) == 1


def test_a_refreshed_object_does_not_write_again_what_another_already_wrote(expectation):
    elsewhere = Expectation.objects.get(pk=expectation.pk)
    elsewhere.title = "Second draft"
    elsewhere.save()
    expectation.refresh_from_db()
    expectation.save()
    assert changes() == [("expectation", "title", "First draft", "Second draft")]


def test_a_change_left_out_of_update_fields_is_not_written_until_it_is_saved(expectation):
    expectation.title = "Second draft"
    expectation.status = Expectation.Status.IN_PROGRESS
    expectation.save(update_fields=["status"])
    assert records() == []
    expectation.save()
    assert changes() == [("expectation", "title", "First draft", "Second draft")]


def test_a_change_the_database_refuses_writes_no_record(engagement):
    engagement.end = date(2026, 1, 1)  # before the start
    with pytest.raises(IntegrityError):
        engagement.save()
    assert records() == []


# --- append-only --------------------------------------------------------------------------------


@pytest.fixture
def record(expectation):
    expectation.due = date(2026, 6, 17)
    expectation.save()
    return ChangeRecord.objects.get()


def test_a_record_cannot_be_saved_again(record):
    record.to_value = "2026-12-31"
    with pytest.raises(TypeError, match="append-only"):
        record.save()
    assert ChangeRecord.objects.get().to_value == "2026-06-17"


def test_a_record_cannot_be_deleted(record):
    with pytest.raises(TypeError, match="append-only"):
        record.delete()
    assert ChangeRecord.objects.filter(pk=record.pk).exists()


def test_records_cannot_be_updated_in_bulk(record):
    with pytest.raises(TypeError, match="append-only"):
        ChangeRecord.objects.filter(pk=record.pk).update(to_value="2026-12-31")
    with pytest.raises(TypeError, match="append-only"):
        ChangeRecord.objects.update(confirmed_in_writing=True)
    assert ChangeRecord.objects.get().to_value == "2026-06-17"


def test_records_cannot_be_deleted_in_bulk(record):
    with pytest.raises(TypeError, match="append-only"):
        ChangeRecord.objects.filter(pk=record.pk).delete()
    with pytest.raises(TypeError, match="append-only"):
        ChangeRecord.objects.all().delete()
    assert ChangeRecord.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_a_record_can_be_confirmed_in_writing_exactly_once(record):
    assert record.confirm_in_writing("Email of 2 June") is True
    assert (record.confirmed_in_writing, record.confirmed_reference, record.confirmed_at) == (
        True,
        "Email of 2 June",
        NOW,
    )
    assert record.confirm_in_writing("Another email") is False
    assert record.confirmed_reference == "Email of 2 June"
    stored = ChangeRecord.objects.get()
    assert (stored.confirmed_in_writing, stored.confirmed_reference, stored.confirmed_at) == (
        True,
        "Email of 2 June",
        NOW,
    )


def test_a_stale_copy_cannot_confirm_a_record_again(record):
    stale = ChangeRecord.objects.get()
    assert record.confirm_in_writing("Email of 2 June") is True
    assert stale.confirm_in_writing("Another email") is False
    assert ChangeRecord.objects.get().confirmed_reference == "Email of 2 June"


def test_a_record_confirmed_when_written_cannot_be_confirmed_again(expectation):
    expectation.title = "Second draft"
    expectation.change_note = ChangeNote(confirmed_in_writing=True, reference="Email")
    expectation.save()
    assert ChangeRecord.objects.get().confirm_in_writing("Other") is False


def test_deleting_a_client_takes_its_records_with_it(record, acme, outsider):
    theirs = ClientFactory(owner=outsider)
    theirs.boundaries.reply_window_hours = 2
    theirs.boundaries.save()
    acme.delete()
    assert list(ChangeRecord.objects.values_list("client_id", flat=True)) == [theirs.pk]
