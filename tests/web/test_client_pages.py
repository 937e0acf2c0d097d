"""Client pages: the list with its filters and query budget, create and edit with the boundaries
editor, the client page with its timeline and heatmap, and 404s for everyone else's clients."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients.models import Boundaries, Client
from engagements.models import ChangeRecord, Flag, Interaction, Rule, Severity
from tests.factories import ClientFactory, ExpectationFactory, InteractionFactory

NOW = datetime(2026, 2, 3, 11, 0, tzinfo=UTC)  # Tuesday, 12:00 in Berlin


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def acme(profile):
    return ClientFactory(
        owner=profile.user, name="Acme", organisation="Acme Robotics", timezone="America/New_York"
    )


def flag(client, rule=Rule.REPLY_OWED, state=Flag.State.OPEN, **fields):
    return Flag.objects.create(
        client=client,
        rule=rule,
        severity=Severity.WARNING,
        state=state,
        subject=f"client:{client.pk}:{rule}:{Flag.objects.count()}",
        summary=f"{rule} for {client.name}",
        **fields,
    )


def names(page):
    return [c.name for c in page.context["clients"]]


# --- the list ---------------------------------------------------------------------------------


@pytest.fixture
def three(profile):
    user = profile.user
    return {
        "acme": ClientFactory(owner=user, name="Acme", organisation="Robotics Inc"),
        "kiwi": ClientFactory(owner=user, name="Kiwi Studio", organisation="Kiwi Ltd"),
        "lotus": ClientFactory(
            owner=user, name="Lotus", organisation="Lotus Payments", status=Client.Status.PAUSED
        ),
    }


def test_the_list_shows_only_the_users_clients(web, three, outsider):
    ClientFactory(owner=outsider, name="Initech")
    page = web.get(reverse("client-list"))
    assert page.status_code == 200
    assert names(page) == ["Acme", "Kiwi Studio", "Lotus"]
    assert b"Initech" not in page.content


def test_search_matches_the_name_or_the_organisation_ignoring_case(web, three):
    assert names(web.get("/clients/", {"q": "kiwi"})) == ["Kiwi Studio"]
    assert names(web.get("/clients/", {"q": "PAYMENTS"})) == ["Lotus"]
    assert names(web.get("/clients/", {"q": "  robotics "})) == ["Acme"]


def test_the_status_filter_keeps_clients_with_that_status(web, three):
    assert names(web.get("/clients/", {"status": "paused"})) == ["Lotus"]
    assert names(web.get("/clients/", {"status": "active", "q": "a"})) == ["Acme"]


def test_the_flags_filter_keeps_clients_with_or_without_open_flags(web, three):
    flag(three["kiwi"])
    flag(three["acme"], state=Flag.State.ACKNOWLEDGED)
    assert names(web.get("/clients/", {"flags": "open"})) == ["Kiwi Studio"]
    assert names(web.get("/clients/", {"flags": "none"})) == ["Acme", "Lotus"]


@pytest.mark.parametrize(
    "params, notice",
    [
        ({"status": "deleted"}, "Ignored status “deleted”"),
        ({"flags": "maybe"}, "Ignored flags “maybe”"),
        ({"q": "x" * 300}, "Ignored search “" + "x" * 40 + "…”"),
    ],
)
def test_a_bad_parameter_is_ignored_with_a_notice(web, three, params, notice):
    page = web.get("/clients/", params)
    assert page.status_code == 200
    assert names(page) == ["Acme", "Kiwi Studio", "Lotus"]
    assert notice in page.content.decode()


def test_a_bad_parameter_does_not_spoil_the_good_ones(web, three):
    page = web.get("/clients/", {"status": "nonsense", "q": "kiwi"})
    assert names(page) == ["Kiwi Studio"]


def test_each_row_shows_their_local_time_last_interaction_and_open_flag_count(web, acme):
    InteractionFactory(client=acme, occurred_at=NOW - timedelta(days=2))
    InteractionFactory(client=acme, occurred_at=NOW - timedelta(hours=3))  # Tue 09:00 Berlin
    flag(acme)
    flag(acme, rule=Rule.UPDATE_OWED, state=Flag.State.SNOOZED, snoozed_until=NOW - timedelta(1))
    flag(
        acme, rule=Rule.CHECK_IN_MISSED, state=Flag.State.SNOOZED, snoozed_until=NOW + timedelta(1)
    )
    flag(acme, rule=Rule.DEADLINE, state=Flag.State.RESOLVED, resolved_at=NOW)

    page = web.get("/clients/")
    [row] = page.context["clients"]
    assert row.open_flag_count == 2  # the open one and the snooze that has run out
    assert row.last_interaction_at == NOW - timedelta(hours=3)
    html = page.content.decode()
    assert "Tue 06:00" in html  # 11:00 UTC in New York
    assert "Tue 3 Feb, 09:00" in html  # the last interaction, Berlin time
    assert "2 open flags" in html


def test_an_htmx_request_gets_only_the_results(web, three):
    page = web.get("/clients/", {"q": "kiwi"}, headers={"HX-Request": "true"})
    html = page.content.decode()
    assert 'id="client-results"' in html
    assert "<html" not in html and "Kiwi Studio" in html and "Lotus" not in html


def world(owner, clients):
    """`clients` clients, each with interactions, an expectation and flags in several states."""
    for n in range(clients):
        client = ClientFactory(owner=owner, name=f"Client {n:03d}")
        for hours in (2, 30):
            InteractionFactory(client=client, occurred_at=NOW - timedelta(hours=hours))
        ExpectationFactory(engagement__client=client)
        flag(client)
        flag(client, rule=Rule.UPDATE_OWED, state=Flag.State.ACKNOWLEDGED)


LIST_QUERIES = 4  # session, user, profile, and the clients with their figures


@pytest.mark.parametrize("clients", [5, 50])
def test_the_list_runs_the_same_few_queries_for_5_or_50_clients(
    web, profile, clients, django_assert_num_queries
):
    world(profile.user, clients)
    with django_assert_num_queries(LIST_QUERIES):
        page = web.get("/clients/", {"flags": "open", "status": "active", "q": "client"})
    assert len(page.context["clients"]) == clients
    assert all(c.open_flag_count == 1 for c in page.context["clients"])


# --- create -----------------------------------------------------------------------------------


def client_post(**overrides):
    data = {
        "name": "Northwind",
        "organisation": "Northwind Traders",
        "timezone": "Asia/Kolkata",
        "status": "active",
        "notes": "",
        "b-agreed_channels": ["email", "chat"],
        "b-reply_window_hours": "4",
        "b-update_cadence_days": "3",
        "b-checkin_cadence_days": "7",
        "b-after_hours_policy": "urgent_only",
        "b-confirmed_in_writing_at": "2026-02-02T10:30",
        "b-confirmed_reference": "Kick-off email",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_create_form_starts_from_the_profiles_defaults(web, profile):
    profile.reply_window_hours, profile.update_cadence_days = 6, 4
    profile.save()
    page = web.get(reverse("client-create"))
    form = page.context["boundaries_form"]
    assert form["reply_window_hours"].value() == 6
    assert form["update_cadence_days"].value() == 4
    assert form["agreed_channels"].value() == ["email"]
    assert page.context["form"]["timezone"].value() == "Europe/Berlin"
    assert 'list="timezone-names"' in page.content.decode()
    assert '<option value="Pacific/Apia">' in page.content.decode()


def test_creating_a_client_saves_it_with_its_boundaries(web, profile):
    page = web.post(reverse("client-create"), client_post())
    client = Client.objects.get(name="Northwind")
    assert page.status_code == 302
    assert page.url == reverse("client-detail", args=[client.pk])
    assert (client.owner, client.timezone, client.organisation) == (
        profile.user,
        "Asia/Kolkata",
        "Northwind Traders",
    )
    b = client.boundaries
    assert b.agreed_channels == ["email", "chat"]
    assert (b.reply_window_hours, b.update_cadence_days, b.checkin_cadence_days) == (4, 3, 7)
    assert b.after_hours_policy == Boundaries.AfterHours.URGENT_ONLY
    # typed in the freelancer's zone: 10:30 in Berlin is 09:30 UTC
    assert b.confirmed_in_writing_at == datetime(2026, 2, 2, 9, 30, tzinfo=UTC)
    assert b.confirmed_reference == "Kick-off email"
    assert not ChangeRecord.objects.exists()  # creating is not a change


def test_empty_boundary_numbers_on_a_new_client_take_the_profiles_defaults(web, profile):
    profile.reply_window_hours, profile.update_cadence_days, profile.checkin_cadence_days = 6, 4, 9
    profile.save()
    web.post(
        reverse("client-create"),
        client_post(
            **{
                "b-reply_window_hours": "",
                "b-update_cadence_days": "",
                "b-checkin_cadence_days": "",
                "b-agreed_channels": ["phone", "video"],
            }
        ),
    )
    b = Client.objects.get(name="Northwind").boundaries
    assert (b.reply_window_hours, b.update_cadence_days, b.checkin_cadence_days) == (6, 4, 9)
    assert b.agreed_channels == ["phone", "video"]


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"timezone": "Mars/Olympus"}, "timezone", "is not a time zone name"),
        ({"name": ""}, "name", "This field is required."),
        ({"b-reply_window_hours": "0"}, "reply_window_hours", "Must be at least 1."),
        ({"b-checkin_cadence_days": "-3"}, "checkin_cadence_days", "Must be at least 1."),
        ({"b-update_cadence_days": "often"}, "update_cadence_days", "Enter a whole number."),
        ({"b-agreed_channels": ["email", "pigeon"]}, "agreed_channels", "not one of the"),
        (
            {"b-confirmed_in_writing_at": ""},
            "confirmed_in_writing_at",
            "Say when it was confirmed in writing.",
        ),
        ({"b-after_hours_policy": "whenever"}, "after_hours_policy", "not one of the"),
    ],
)
def test_a_bad_value_is_reported_beside_its_field_and_nothing_is_saved(
    web, overrides, field, message
):
    page = web.post(reverse("client-create"), client_post(**overrides))
    assert page.status_code == 200
    form = page.context["form"] if field in page.context["form"].fields else None
    form = form or page.context["boundaries_form"]
    assert message in " ".join(form.errors[field])
    html = page.content.decode()
    assert f'id="{form[field].auto_id}_error"' in html
    assert "Nothing was saved" in html
    assert not Client.objects.exists()
    assert not Boundaries.objects.exists()


def test_the_users_input_is_kept_when_the_form_comes_back_with_an_error(web):
    page = web.post(
        reverse("client-create"),
        client_post(timezone="Nowhere/Land", **{"b-reply_window_hours": "5"}),
    )
    html = page.content.decode()
    assert 'value="Nowhere/Land"' in html
    assert 'value="Northwind Traders"' in html
    assert 'name="b-reply_window_hours" value="5"' in html
    assert 'value="chat" id="id_b-agreed_channels_1" checked' in html


def test_a_second_client_with_the_same_name_is_refused(web, acme):
    page = web.post(reverse("client-create"), client_post(name="ACME"))
    assert page.context["form"].errors["name"] == ["You already have a client with this name."]
    assert Client.objects.count() == 1


# --- edit -------------------------------------------------------------------------------------


def edit_post(client, **overrides):
    b = client.boundaries
    data = {
        "name": client.name,
        "organisation": client.organisation,
        "timezone": client.timezone,
        "status": client.status,
        "notes": client.notes,
        "b-agreed_channels": b.agreed_channels,
        "b-reply_window_hours": str(b.reply_window_hours),
        "b-update_cadence_days": str(b.update_cadence_days),
        "b-checkin_cadence_days": str(b.checkin_cadence_days),
        "b-after_hours_policy": b.after_hours_policy,
        "b-confirmed_in_writing_at": "",
        "b-confirmed_reference": "",
        "change-requested_by": "freelancer",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_edit_form_shows_the_current_values(web, acme):
    page = web.get(reverse("client-edit", args=[acme.pk]))
    assert page.context["form"]["timezone"].value() == "America/New_York"
    assert page.context["boundaries_form"]["agreed_channels"].value() == ["email", "video"]
    assert "Who asked for this change?" in page.content.decode()


def test_editing_boundaries_writes_a_change_record_per_changed_field_with_the_note(web, acme):
    page = web.post(
        reverse("client-edit", args=[acme.pk]),
        edit_post(
            acme,
            **{
                "b-reply_window_hours": "4",
                "b-agreed_channels": ["email"],
                "change-requested_by": "client",
                "change-confirmed": "on",
                "change-reference": "Email of 2 Feb",
            },
        ),
    )
    assert page.status_code == 302
    records = {r.field: r for r in ChangeRecord.objects.filter(client=acme)}
    assert set(records) == {"reply_window_hours", "agreed_channels"}
    assert (records["reply_window_hours"].from_value, records["reply_window_hours"].to_value) == (
        "8",
        "4",
    )
    assert records["agreed_channels"].to_value == "Email"
    for record in records.values():
        assert (record.requested_by, record.confirmed_in_writing, record.confirmed_reference) == (
            "client",
            True,
            "Email of 2 Feb",
        )
    acme.boundaries.refresh_from_db()
    assert acme.boundaries.reply_window_hours == 4


def test_saving_without_changing_boundaries_writes_no_change_record(web, acme):
    web.post(reverse("client-edit", args=[acme.pk]), edit_post(acme, notes="Prefers mornings"))
    acme.refresh_from_db()
    assert acme.notes == "Prefers mornings"
    assert not ChangeRecord.objects.exists()


def test_a_bad_boundary_value_on_edit_saves_nothing_not_even_the_client(web, acme):
    page = web.post(
        reverse("client-edit", args=[acme.pk]),
        edit_post(acme, name="Acme Renamed", **{"b-update_cadence_days": "-2"}),
    )
    assert page.status_code == 200
    assert "update_cadence_days" in page.context["boundaries_form"].errors
    assert "<h1>Edit Acme</h1>" in page.content.decode()  # the saved name, not the typed one
    acme.refresh_from_db()
    assert acme.name == "Acme"
    assert not ChangeRecord.objects.exists()


def test_a_reference_without_confirmed_in_writing_is_refused(web, acme):
    page = web.post(
        reverse("client-edit", args=[acme.pk]),
        edit_post(acme, **{"b-reply_window_hours": "3", "change-reference": "a call"}),
    )
    assert "confirmed" in page.context["note_form"].errors
    acme.boundaries.refresh_from_db()
    assert acme.boundaries.reply_window_hours == 8


def test_editing_a_client_without_boundaries_gives_it_some(web, profile):
    bare = Client.objects.create(owner=profile.user, name="Bare")
    page = web.get(reverse("client-edit", args=[bare.pk]))
    assert page.context["boundaries_form"]["reply_window_hours"].value() == 8
    data = edit_post(ClientFactory.build(name="Bare", timezone="UTC", notes=""))
    web.post(reverse("client-edit", args=[bare.pk]), data)
    assert Boundaries.objects.get(client=bare).reply_window_hours == 8


# --- the client page --------------------------------------------------------------------------


def test_the_client_page_shows_the_boundaries_and_the_hours_on_both_clocks(web, acme):
    page = web.get(reverse("client-detail", args=[acme.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Email, Video call" in html
    assert "8 working hours" in html
    assert "Tue 06:00" in html  # their time now
    # Alice's 09:00–17:00 in Berlin is 03:00–11:00 in New York in February
    assert page.context["shared_rows"] == [("09:00–17:00", "03:00–11:00")]
    assert page.context["overlap_rows"] == [("15:00–17:00", "09:00–11:00")]


def test_the_client_page_links_its_scripts_and_reminders(web, acme):
    html = web.get(reverse("client-detail", args=[acme.pk])).content.decode()
    assert f'<a href="/scripts/client/{acme.pk}/">Scripts for this client</a>' in html
    back = f"/email/reminders/new/?client={acme.pk}&amp;next=/clients/{acme.pk}/"
    assert f'<a href="{back}">Remind me…</a>' in html
    assert f'<a href="/email/reminders/?client={acme.pk}">Reminders about this client</a>' in html


def test_remind_me_from_the_client_page_comes_back_to_it(web, acme, profile):
    profile.user.email = "alice@example.com"
    profile.user.save()
    new = f"/email/reminders/new/?client={acme.pk}&next=/clients/{acme.pk}/"
    assert web.get(new).context["form"]["client"].value() == acme.pk
    response = web.post(
        new,
        {"client": acme.pk, "note": "check in about the launch", "remind_at": "2026-02-05T10:00"},
    )
    assert (response.status_code, response.url) == (302, f"/clients/{acme.pk}/")


def test_the_timeline_interleaves_interactions_changes_and_flags_newest_first(web, acme):
    InteractionFactory(client=acme, occurred_at=NOW - timedelta(hours=5), summary="Oldest")
    expectation = ExpectationFactory(engagement__client=acme, title="Draft")
    with time_machine.travel(NOW - timedelta(hours=3), tick=False):
        expectation.due += timedelta(days=7)
        expectation.save()
    flag(acme, opened_at=NOW - timedelta(hours=1))
    InteractionFactory(client=acme, occurred_at=NOW - timedelta(hours=2), summary="Middle")

    page = web.get(reverse("client-detail", args=[acme.pk]))
    assert [i.kind for i in page.context["items"]] == [
        "flag",
        "interaction",
        "change",
        "interaction",
    ]
    html = page.content.decode()
    assert html.index("reply_owed for Acme") < html.index("Middle") < html.index("Draft”: due date")
    assert html.index("Draft”: due date") < html.index("Oldest")
    assert page.context["next_cursor"] is None


@pytest.fixture
def long_history(acme):
    return [
        InteractionFactory(client=acme, occurred_at=NOW - timedelta(hours=n), summary=f"Msg {n}")
        for n in range(1, 36)
    ]


def test_the_timeline_shows_30_items_and_a_real_link_to_older_ones(web, acme, long_history):
    page = web.get(reverse("client-detail", args=[acme.pk]))
    items = page.context["items"]
    assert [i.obj.summary for i in items] == [f"Msg {n}" for n in range(1, 31)]
    cursor = page.context["next_cursor"]
    older = reverse("client-timeline", args=[acme.pk]) + f"?before={cursor}"
    html = page.content.decode()
    assert f'href="{older}"' in html
    assert f'hx-get="{older}" hx-trigger="revealed"' in html


def test_following_the_cursor_gives_the_rest_and_no_further_link(web, acme, long_history):
    first = web.get(reverse("client-detail", args=[acme.pk]))
    url = reverse("client-timeline", args=[acme.pk])
    page = web.get(url, {"before": str(first.context["next_cursor"])})
    assert [i.obj.summary for i in page.context["items"]] == [f"Msg {n}" for n in range(31, 36)]
    assert page.context["next_cursor"] is None
    assert "That is the beginning." in page.content.decode()
    assert "<html" in page.content.decode()  # without JS, a page of its own


def test_htmx_gets_only_the_next_rows_of_the_timeline(web, acme, long_history):
    first = web.get(reverse("client-detail", args=[acme.pk]))
    page = web.get(
        reverse("client-timeline", args=[acme.pk]),
        {"before": str(first.context["next_cursor"])},
        headers={"HX-Request": "true"},
    )
    html = page.content.decode()
    assert "<html" not in html
    assert html.count('class="tl tl-interaction') == 5


def test_the_cursor_separates_items_with_the_same_time(web, acme):
    same = NOW - timedelta(hours=1)
    for n in range(32):
        InteractionFactory(client=acme, occurred_at=same, summary=f"Same {n}")
    flag(acme, opened_at=same)
    first = web.get(reverse("client-detail", args=[acme.pk]))
    rest = web.get(
        reverse("client-timeline", args=[acme.pk]), {"before": str(first.context["next_cursor"])}
    )
    seen = [(i.kind, i.obj.pk) for i in first.context["items"] + rest.context["items"]]
    assert len(seen) == len(set(seen)) == 33


@pytest.mark.parametrize("cursor", ["garbage", "123_x5", "99999999999999999_i1", "", "1_i"])
def test_a_malformed_cursor_is_ignored_and_the_newest_items_are_shown(web, acme, cursor):
    InteractionFactory(client=acme, summary="Newest")
    page = web.get(reverse("client-timeline", args=[acme.pk]), {"before": cursor})
    assert page.status_code == 200
    assert [i.obj.summary for i in page.context["items"]] == ["Newest"]


def test_the_heatmap_counts_inbound_messages_in_the_freelancers_time_zone(web, acme):
    # Monday 2 Feb 2026 19:30 UTC = 20:30 in Berlin (out of hours) = 14:30 in New York
    for _ in range(3):
        InteractionFactory(client=acme, occurred_at=datetime(2026, 2, 2, 19, 30, tzinfo=UTC))
    InteractionFactory(client=acme, occurred_at=datetime(2026, 2, 2, 9, 0, tzinfo=UTC))
    InteractionFactory(
        client=acme,
        occurred_at=datetime(2026, 2, 2, 22, tzinfo=UTC),
        direction=Interaction.Direction.OUTBOUND,
    )
    page = web.get(reverse("client-detail", args=[acme.pk]))
    grid = page.context["heatmap"]
    assert grid.cell(0, 20).count == 3
    assert grid.cell(0, 14).count == 0
    assert (grid.total, grid.percent) == (4, 75)  # the outbound one does not count
    html = page.content.decode()
    assert 'title="Mon 20:00 — 3 messages (outside working hours)"' in html
    assert "<strong>75%</strong> of 4 inbound messages" in html


def test_the_heatmap_compares_the_share_with_the_period_before(web, acme):
    InteractionFactory(client=acme, occurred_at=NOW - timedelta(days=3, hours=16))  # 20:00
    InteractionFactory(client=acme, occurred_at=NOW - timedelta(weeks=14))  # Tue 12:00, working
    page = web.get(reverse("client-detail", args=[acme.pk]))
    assert "up from 0% in the 12 weeks before" in page.content.decode()


# --- nobody else's ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["client-detail", "client-edit", "client-timeline", "engagement-create"]
)
def test_another_users_client_is_a_404_on_every_client_url(client, acme, outsider, name):
    client.force_login(outsider)
    url = reverse(name, args=[acme.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, edit_post(acme)).status_code == 404
    assert client.get(url, headers={"HX-Request": "true"}).status_code == 404
    acme.refresh_from_db()
    assert acme.name == "Acme" and not ChangeRecord.objects.exists()


DETAIL_QUERIES = (
    12  # session, user, profile, client, hours (2), engagements (2), timeline (3), heatmap
)


@pytest.mark.parametrize("size", [1, 12])
def test_the_client_page_runs_the_same_queries_however_long_its_history(
    web, acme, size, django_assert_num_queries
):
    for n in range(size):
        expectation = ExpectationFactory(engagement__client=acme)
        ExpectationFactory(engagement=expectation.engagement)
        expectation.due += timedelta(days=1)
        expectation.save()
        for hours in range(3):
            InteractionFactory(client=acme, occurred_at=NOW - timedelta(hours=n * 3 + hours + 1))
        flag(acme, opened_at=NOW - timedelta(hours=n))
    with django_assert_num_queries(DETAIL_QUERIES):
        page = web.get(reverse("client-detail", args=[acme.pk]))
    assert len(page.context["engagements"]) == size
