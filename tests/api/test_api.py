"""The REST API: tokens (missing, revoked, expired: 401), the budget per token (429), another
user's ids (404), validation (422 with field errors), each resource, and logging through the
API raising the same flags as the dashboard's form."""

from datetime import timedelta

import pytest
from django.utils import timezone

from engagements.models import Flag, Interaction, Rule
from integrations.models import ApiToken
from tests.api.conftest import Api
from tests.factories import (
    ClientFactory,
    ContactFactory,
    EngagementFactory,
    ExpectationFactory,
    InteractionFactory,
)


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user, name="Acme", timezone="America/New_York")


def test_without_a_token_every_route_is_401(client, acme):
    for path in ("/clients", f"/clients/{acme.pk}", "/flags", "/owed-now"):
        response = Api(client, None).get(path)
        assert response.status_code == 401, path
        assert response.json()["detail"].startswith("A valid API token is needed")
        assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_or_expired_or_unknown_token_is_401(client, profile):
    revoked, revoked_token = ApiToken.issue(profile.user_id, "Old")
    revoked.revoke()
    _, expired_token = ApiToken.issue(
        profile.user_id, "Short", expires_at=timezone.now() - timedelta(seconds=1)
    )
    for token in (revoked_token, expired_token, "rpt_made-up", ""):
        assert Api(client, token).get("/clients").status_code == 401


def test_a_token_notes_when_it_was_last_used(api, profile):
    assert api.get("/clients").status_code == 200

    assert ApiToken.objects.get(owner=profile.user).last_used_at is not None


def test_a_token_past_its_budget_gets_429_with_retry_after(api, settings):
    settings.API_REQUESTS_PER_MINUTE = 3

    statuses = [api.get("/clients").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    refused = api.get("/clients")
    assert 0 < int(refused["Retry-After"]) <= 60
    assert refused.json()["detail"].startswith("Too many requests")


def test_the_budget_is_per_token(api, client, profile, settings):
    settings.API_REQUESTS_PER_MINUTE = 1
    other = Api(client, ApiToken.issue(profile.user_id, "Other")[1])

    assert [api.get("/clients").status_code, other.get("/clients").status_code] == [200, 200]


def test_another_users_ids_are_404_everywhere(api, outsider):
    theirs = ClientFactory(owner=outsider)
    engagement = EngagementFactory(client=theirs)
    expectation = ExpectationFactory(engagement=engagement)
    interaction = InteractionFactory(client=theirs)
    contact = ContactFactory(client=theirs)

    for path in (
        f"/clients/{theirs.pk}",
        f"/clients/{theirs.pk}/health",
        f"/contacts/{contact.pk}",
        f"/engagements/{engagement.pk}",
        f"/expectations/{expectation.pk}",
        f"/interactions/{interaction.pk}",
    ):
        assert api.get(path).status_code == 404, path
    assert api.patch(f"/clients/{theirs.pk}", {"name": "Mine now"}).status_code == 404
    assert api.post("/interactions", {"client_id": theirs.pk, "direction": "in"}).status_code == 404
    assert api.post("/contacts", {"client_id": theirs.pk, "name": "X"}).status_code == 404
    assert api.get("/clients").json()["items"] == []
    assert api.get("/interactions", client=theirs.pk).json()["items"] == []


def test_a_body_that_does_not_validate_is_422_with_field_errors(api, acme):
    response = api.post(
        "/interactions",
        {"client_id": acme.pk, "direction": "sideways", "occurred_at": "2026-01-01T10:00:00"},
    )

    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"direction", "occurred_at"}  # naive times are refused too
    assert api.post("/clients", {"name": ""}).json()["errors"][0]["field"] == "name"
    assert api.post("/clients", {"name": "X", "extra": 1}).status_code == 422
    assert api.send("post", "/clients", None).status_code == 422


def test_the_models_own_rules_come_back_as_field_errors(api, acme):
    future = (timezone.now() + timedelta(days=1)).isoformat()

    response = api.post(
        "/interactions", {"client_id": acme.pk, "direction": "in", "occurred_at": future}
    )
    taken = api.post("/clients", {"name": "ACME"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "occurred_at"
    assert "in the future" in response.json()["errors"][0]["message"]
    assert taken.json()["errors"] == [
        {"field": "name", "message": "You already have a client with this name."}
    ]


def test_clients_are_created_with_boundaries_and_edited(api, profile):
    created = api.post(
        "/clients",
        {"name": "Globex", "boundaries": {"reply_window_hours": 4, "agreed_channels": ["chat"]}},
    )
    assert created.status_code == 201
    body = created.json()
    assert body["timezone"] == "Europe/Berlin"  # yours when left out
    assert body["boundaries"]["reply_window_hours"] == 4
    assert body["boundaries"]["update_cadence_days"] == profile.update_cadence_days

    edited = api.patch(
        f"/clients/{body['id']}", {"status": "paused", "boundaries": {"reply_window_hours": 6}}
    )

    assert edited.status_code == 200
    assert (edited.json()["status"], edited.json()["boundaries"]["reply_window_hours"]) == (
        "paused",
        6,
    )
    assert edited.json()["boundaries"]["agreed_channels"] == ["chat"]


def test_lists_come_a_page_at_a_time_with_a_cursor(api, acme):
    for n in range(5):
        InteractionFactory(client=acme, summary=f"Message {n}")

    seen, cursor = [], None
    while True:
        page = api.get("/interactions", limit=2, **({"cursor": cursor} if cursor else {})).json()
        seen += [i["summary"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert sorted(seen) == [f"Message {n}" for n in range(5)]
    assert len(seen) == 5
    bad = api.get("/interactions", cursor="forged")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_interactions_filter_by_client_and_time(api, acme, profile):
    other = ClientFactory(owner=profile.user)
    now = timezone.now()
    InteractionFactory(client=acme, occurred_at=now - timedelta(days=3), summary="old")
    InteractionFactory(client=acme, occurred_at=now - timedelta(hours=1), summary="new")
    InteractionFactory(client=other, occurred_at=now - timedelta(hours=1), summary="elsewhere")

    since = (now - timedelta(days=1)).isoformat()
    items = api.get("/interactions", client=acme.pk, since=since).json()["items"]

    assert [i["summary"] for i in items] == ["new"]


def test_logging_through_the_api_raises_the_same_flags_as_the_form(api, acme):
    # Saturday night in Berlin: out of Alice's hours.
    saturday = timezone.now() - timedelta(days=(timezone.now().weekday() - 5) % 7 or 7)
    at = saturday.replace(hour=22, minute=0, second=0, microsecond=0)

    response = api.post(
        "/interactions",
        {"client_id": acme.pk, "direction": "in", "channel": "sms", "occurred_at": at.isoformat()},
    )

    assert response.status_code == 201
    assert response.json()["out_of_hours"] is True
    interaction = Interaction.objects.get(pk=response.json()["id"])
    assert Flag.objects.filter(interaction=interaction, rule=Rule.OUT_OF_HOURS).exists()
    assert Flag.objects.filter(interaction=interaction, rule=Rule.OFF_CHANNEL).exists()


def test_flags_are_listed_by_state_and_acknowledged_snoozed_and_resolved(api, acme):
    interaction = InteractionFactory(client=acme)
    flag = Flag.objects.create(
        client=acme,
        interaction=interaction,
        rule=Rule.REPLY_OWED,
        severity="warning",
        subject=f"interaction:{interaction.pk}",
        summary="Reply owed",
    )
    assert [f["id"] for f in api.get("/flags", state="open").json()["items"]] == [flag.pk]
    assert api.get("/flags", severity="breach").json()["items"] == []

    acknowledged = api.post(f"/flags/{flag.pk}/acknowledge")
    until = (timezone.now() + timedelta(days=1)).isoformat()
    snoozed = api.post(f"/flags/{flag.pk}/snooze", {"until": until, "reason": "On holiday"})
    past = api.post(f"/flags/{flag.pk}/snooze", {"until": "2020-01-01T00:00:00Z", "reason": "x"})
    resolved = api.post(f"/flags/{flag.pk}/resolve", {"note": "Answered by phone"})
    again = api.post(f"/flags/{flag.pk}/resolve", {"note": "Again"})

    assert acknowledged.json()["flag"]["state"] == "acknowledged"
    assert snoozed.json()["flag"]["state"] == "snoozed"
    assert past.status_code == 422 and past.json()["errors"][0]["field"] == "until"
    assert resolved.json() == resolved.json() | {"changed": True}
    assert resolved.json()["flag"]["resolution_note"] == "Answered by phone"
    assert again.json()["changed"] is False


def test_contacts_engagements_and_expectations(api, acme):
    contact = api.post("/contacts", {"client_id": acme.pk, "name": "Jane", "email": "j@acme.test"})
    engagement = api.post("/engagements", {"client_id": acme.pk, "title": "Rebrand"})
    expectation = api.post(
        "/expectations",
        {"engagement_id": engagement.json()["id"], "title": "Logo", "due": "2026-12-15"},
    )
    bad_email = api.post("/contacts", {"client_id": acme.pk, "name": "X", "email": "nope"})
    backwards = api.patch(f"/engagements/{engagement.json()['id']}", {"end": "2000-01-01"})

    assert (contact.status_code, engagement.status_code, expectation.status_code) == (201,) * 3
    assert expectation.json()["client_id"] == acme.pk
    assert bad_email.status_code == 422 and bad_email.json()["errors"][0]["field"] == "email"
    assert backwards.status_code == 422
    assert (
        api.get("/expectations", engagement=engagement.json()["id"]).json()["items"][0]["title"]
        == "Logo"
    )
    renamed = api.patch(f"/expectations/{expectation.json()['id']}", {"due": "2026-12-20"})
    assert renamed.json()["due"] == "2026-12-20"


def test_health_and_owed_now(api, acme):
    InteractionFactory(
        client=acme, needs_reply=True, occurred_at=timezone.now() - timedelta(days=2)
    )

    health = api.get(f"/clients/{acme.pk}/health").json()
    owed = api.get("/owed-now").json()

    assert 0 <= health["score"] <= 100
    assert {c["key"] for c in health["components"]} >= {"my_responsiveness", "tone"}
    assert api.get("/health").json()[0]["client_id"] == acme.pk
    assert [(o["kind"], o["client_id"]) for o in owed] == [("reply", acme.pk)]


def test_the_docs_page_loads_only_our_own_assets(client):
    page = client.get("/api/v1/docs").content.decode()

    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "http://" not in page and "https://" not in page
    assert '"validatorUrl": null' in page
    assert client.get("/api/v1/openapi.json").json()["info"]["title"] == "Rapport API"
