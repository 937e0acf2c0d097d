"""Engagements and expectations, created and edited from the client page: as plain forms
without JavaScript, inline with htmx, with change records for the changes that need them."""

import json
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from engagements.models import ChangeRecord, Engagement, Expectation, Party
from tests.factories import ClientFactory, EngagementFactory, ExpectationFactory

NOW = datetime(2026, 6, 2, 10, tzinfo=UTC)
HTMX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme")


@pytest.fixture
def website(acme):
    return EngagementFactory(
        client=acme, title="Website", scope="Five pages", start=date(2026, 5, 1), end=None
    )


@pytest.fixture
def draft(website):
    return ExpectationFactory(
        engagement=website, title="First draft", due=date(2026, 6, 10), owed_by=Party.FREELANCER
    )


def expectation_post(expectation=None, **overrides):
    data = {
        "title": "First draft",
        "kind": "deliverable",
        "owed_by": "freelancer",
        "due": "2026-06-10",
        "status": "not_started",
        "confirmed_reference": "",
        "change-requested_by": "freelancer",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def engagement_post(**overrides):
    data = {
        "title": "Website",
        "status": "active",
        "start": "2026-05-01",
        "end": "",
        "goals": "",
        "scope": "Five pages",
        "change-requested_by": "freelancer",
    }
    data.update(overrides)
    return data


# --- expectations -----------------------------------------------------------------------------


def test_the_new_expectation_form_works_as_a_page_of_its_own(web, website):
    page = web.get(reverse("expectation-create", args=[website.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<html" in html and "New expectation in Website" in html
    assert "hx-post" not in html  # a plain form post, which works without JavaScript


def test_htmx_gets_the_form_alone_in_place_of_the_add_link(web, website):
    page = web.get(reverse("expectation-create", args=[website.pk]), headers=HTMX)
    html = page.content.decode()
    assert "<html" not in html
    assert f'id="new-expectation-{website.pk}"' in html
    assert 'hx-target="closest .inline-form"' in html


def test_adding_an_expectation_redirects_back_to_the_engagement(web, website):
    page = web.post(
        reverse("expectation-create", args=[website.pk]),
        expectation_post(
            title="Logo", owed_by="client", kind="feedback", confirmed_in_writing="on"
        ),
    )
    expectation = Expectation.objects.get(title="Logo")
    assert page.status_code == 302
    assert (
        page.url == reverse("client-detail", args=[website.client_id]) + f"#engagement-{website.pk}"
    )
    assert (expectation.engagement, expectation.client, expectation.owner) == (
        website,
        website.client,
        website.owner,
    )
    assert (expectation.owed_by, expectation.kind, expectation.confirmed_in_writing) == (
        "client",
        "feedback",
        True,
    )


def test_adding_an_expectation_with_htmx_swaps_in_the_refreshed_engagement(web, website):
    page = web.post(
        reverse("expectation-create", args=[website.pk]),
        expectation_post(title="Logo"),
        headers=HTMX,
    )
    assert page.status_code == 200
    assert page.headers["HX-Retarget"] == f"#engagement-{website.pk}"
    assert page.headers["HX-Reswap"] == "outerHTML"
    assert "timelineChanged" in json.loads(page.headers["HX-Trigger"])
    assert "Logo" in page.content.decode()


def test_an_invalid_expectation_keeps_the_input_and_saves_nothing(web, website):
    page = web.post(
        reverse("expectation-create", args=[website.pk]),
        expectation_post(title="Logo", due="31/02/2026"),
        headers=HTMX,
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Enter a valid date." in html
    assert 'value="Logo"' in html
    assert "HX-Retarget" not in page.headers  # the form replaces itself, errors and all
    assert not Expectation.objects.exists()


def test_a_reference_needs_the_agreed_in_writing_box(web, website):
    page = web.post(
        reverse("expectation-create", args=[website.pk]),
        expectation_post(confirmed_reference="Call on Monday"),
    )
    assert "confirmed_in_writing" in page.context["form"].errors
    assert not Expectation.objects.exists()


def test_the_edit_form_shows_the_change_note_fields(web, draft):
    page = web.get(reverse("expectation-edit", args=[draft.pk]), headers=HTMX)
    html = page.content.decode()
    assert 'value="2026-06-10"' in html
    assert "Who asked for this change?" in html
    assert f'id="expectation-{draft.pk}_change-requested_by_0"' in html


def test_moving_the_due_date_writes_a_change_record_with_the_note(web, draft):
    page = web.post(
        reverse("expectation-edit", args=[draft.pk]),
        expectation_post(
            due="2026-06-17",
            **{
                "change-requested_by": "client",
                "change-confirmed": "on",
                "change-reference": "Email of 2 June",
            },
        ),
    )
    assert page.status_code == 302
    draft.refresh_from_db()
    assert draft.due == date(2026, 6, 17)
    [record] = ChangeRecord.objects.all()
    assert (record.expectation, record.field, record.from_value, record.to_value) == (
        draft,
        "due",
        "2026-06-10",
        "2026-06-17",
    )
    assert (record.requested_by, record.confirmed_in_writing, record.confirmed_reference) == (
        "client",
        True,
        "Email of 2 June",
    )


def test_the_changed_due_date_shows_in_the_timeline(web, draft):
    web.post(reverse("expectation-edit", args=[draft.pk]), expectation_post(due="2026-06-17"))
    page = web.get(reverse("client-detail", args=[draft.client_id]))
    [item] = page.context["items"]
    assert item.kind == "change"
    html = page.content.decode()
    assert "Expectation “First draft”: due date" in html
    assert "<del>Wed 10 Jun 2026</del> → <ins>Wed 17 Jun 2026</ins>" in html
    assert "not confirmed in writing" in html


def test_editing_with_htmx_refreshes_the_engagement_and_the_timeline(web, draft):
    page = web.post(
        reverse("expectation-edit", args=[draft.pk]),
        expectation_post(due="2026-06-17", status="in_progress"),
        headers=HTMX,
    )
    assert page.headers["HX-Retarget"] == f"#engagement-{draft.engagement_id}"
    assert "timelineChanged" in json.loads(page.headers["HX-Trigger"])
    assert "Wed 17 Jun 2026" in page.content.decode()
    timeline = web.get(reverse("client-timeline", args=[draft.client_id]), headers=HTMX)
    assert "due date" in timeline.content.decode()


def test_changing_only_the_status_writes_no_change_record(web, draft):
    web.post(reverse("expectation-edit", args=[draft.pk]), expectation_post(status="in_progress"))
    draft.refresh_from_db()
    assert draft.status == "in_progress"
    assert not ChangeRecord.objects.exists()


def test_an_invalid_edit_changes_nothing(web, draft):
    page = web.post(
        reverse("expectation-edit", args=[draft.pk]), expectation_post(title="", due="2026-07-01")
    )
    assert page.context["form"].errors["title"] == ["This field is required."]
    assert 'value="2026-07-01"' in page.content.decode()
    draft.refresh_from_db()
    assert draft.due == date(2026, 6, 10)
    assert not ChangeRecord.objects.exists()


# --- engagements ------------------------------------------------------------------------------


def test_adding_an_engagement_redirects_to_the_client_page(web, acme):
    page = web.post(
        reverse("engagement-create", args=[acme.pk]), engagement_post(title="Brand refresh")
    )
    engagement = Engagement.objects.get(title="Brand refresh")
    assert page.status_code == 302
    assert page.url.endswith("#engagements")
    assert (engagement.client, engagement.owner) == (acme, acme.owner)


def test_adding_an_engagement_with_htmx_swaps_in_the_whole_list(web, acme, website):
    page = web.post(
        reverse("engagement-create", args=[acme.pk]),
        engagement_post(title="Brand refresh"),
        headers=HTMX,
    )
    html = page.content.decode()
    assert page.headers["HX-Retarget"] == "#engagements"
    assert "Brand refresh" in html and "Website" in html


def test_an_engagement_cannot_end_before_it_starts(web, acme):
    page = web.post(reverse("engagement-create", args=[acme.pk]), engagement_post(end="2026-04-01"))
    assert page.context["form"].errors["end"] == ["The end date cannot be before the start date."]
    assert not Engagement.objects.exists()


def test_changing_the_scope_writes_a_change_record(web, website):
    web.post(
        reverse("engagement-edit", args=[website.pk]),
        engagement_post(scope="Eight pages", **{"change-requested_by": "client"}),
    )
    [record] = ChangeRecord.objects.all()
    assert (record.subject, record.field, record.from_value, record.to_value) == (
        "engagement",
        "scope",
        "Five pages",
        "Eight pages",
    )
    assert record.requested_by == "client"


# --- nobody else's ----------------------------------------------------------------------------


@pytest.fixture
def theirs(outsider):
    initech = ClientFactory(owner=outsider, name="Initech")
    return ExpectationFactory(engagement__client=initech, due=date(2026, 6, 10))


@pytest.mark.parametrize(
    "name, target",
    [
        ("engagement-create", "client"),
        ("engagement-edit", "engagement"),
        ("expectation-create", "engagement"),
        ("expectation-edit", "expectation"),
    ],
)
def test_another_users_objects_are_a_404_for_get_and_post(web, theirs, name, target):
    obj = {"client": theirs.client, "engagement": theirs.engagement, "expectation": theirs}[target]
    url = reverse(name, args=[obj.pk])
    assert web.get(url).status_code == 404
    assert web.get(url, headers=HTMX).status_code == 404
    assert web.post(url, expectation_post(due="2026-07-01")).status_code == 404
    assert web.post(url, engagement_post(title="Hijack"), headers=HTMX).status_code == 404
    theirs.refresh_from_db()
    assert theirs.due == date(2026, 6, 10)
    assert Engagement.objects.count() == 1 and Expectation.objects.count() == 1
    assert not ChangeRecord.objects.exists()
