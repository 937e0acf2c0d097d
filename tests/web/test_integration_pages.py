"""Settings → API tokens, Calendar feed, Webhooks, Export: plain forms (no JavaScript needed),
secrets shown once and kept only as a fingerprint (or encrypted, for a signing secret)."""

import re

import pytest
from django.db import connection

from integrations.models import ApiToken, CalendarFeed, WebhookEndpoint
from tests.factories import ClientFactory, InteractionFactory

PAGES = [
    "/settings/api-tokens/",
    "/settings/calendar/",
    "/settings/webhooks/",
    "/settings/import/",
    "/settings/export/",
    "/settings/account/",
]


def shown_once(page: str, name: str) -> str:
    match = re.search(rf'id="shown-once-{name}" class="secret" value="([^"]+)"', page)
    assert match, f"no {name} shown"
    return match.group(1)


@pytest.mark.parametrize("url", PAGES)
def test_each_page_is_in_the_settings_navigation_and_labels_its_controls(web, url):
    page = web.get(url).content.decode()

    assert f'href="{url}" aria-current="page"' in page
    for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page):
        if 'type="hidden"' in control or 'type="submit"' in control:
            continue
        control_id = re.search(r'id="([^"]+)"', control)
        wrapped = re.search(r"<label[^>]*>\s*" + re.escape(control), page)
        assert wrapped or (control_id and f'for="{control_id.group(1)}"' in page), control


def test_a_new_token_is_shown_once_and_works_until_revoked(web, client):
    page = web.post("/settings/api-tokens/", {"name": "Zapier", "expires": "90"}).content.decode()
    token = shown_once(page, "token")
    row = ApiToken.objects.get()

    assert token.startswith("rpt_") and row.prefix == token[:12]
    assert token not in web.get("/settings/api-tokens/").content.decode()
    assert row.digest != token and token not in str(list(ApiToken.objects.values()))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/api/v1/clients", **bearer).status_code == 200

    web.post(f"/settings/api-tokens/{row.pk}/revoke/")

    assert client.get("/api/v1/clients", **bearer).status_code == 401
    assert "Revoked" in web.get("/settings/api-tokens/").content.decode()


def test_a_token_needs_a_name(web):
    response = web.post("/settings/api-tokens/", {"name": ""})

    assert response.status_code == 422
    assert not ApiToken.objects.exists()


def test_a_calendar_address_is_shown_once_and_a_new_one_stops_the_old(web, client, profile):
    acme = ClientFactory(owner=profile.user, name="Acme")
    page = web.post("/settings/calendar/", {"client": acme.pk}).content.decode()
    url = shown_once(page, "feed")
    feed = CalendarFeed.objects.get()
    assert feed.client == acme
    assert client.get(url).status_code == 200

    page = web.post(f"/settings/calendar/{feed.pk}/regenerate/").content.decode()
    new_url = shown_once(page, "feed")

    assert new_url != url
    assert client.get(url).status_code == 404
    assert client.get(new_url).status_code == 200
    web.post(f"/settings/calendar/{feed.pk}/delete/")
    assert client.get(new_url).status_code == 404


def test_a_webhook_secret_is_shown_once_and_kept_encrypted(web, profile):
    page = web.post(
        "/settings/webhooks/",
        {"url": "https://hooks.example.com/rapport", "events": ["flag.raised", "flag.resolved"]},
    ).content.decode()
    secret = shown_once(page, "secret")
    endpoint = WebhookEndpoint.objects.get()

    assert endpoint.secret == secret and endpoint.events == ["flag.raised", "flag.resolved"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM integrations_webhookendpoint")
        assert cursor.fetchone()[0] != secret
    assert secret not in web.get("/settings/webhooks/").content.decode()


@pytest.mark.parametrize(
    "data",
    [
        {"url": "ftp://hooks.example.com/", "events": ["flag.raised"]},
        {"url": "not a url", "events": ["flag.raised"]},
        {"url": "https://hooks.example.com/", "events": []},
        {"url": "https://hooks.example.com/", "events": ["nonsense"]},
    ],
)
def test_a_bad_webhook_is_refused_and_nothing_saved(web, data):
    response = web.post("/settings/webhooks/", data)

    assert response.status_code == 422
    assert not WebhookEndpoint.objects.exists()


def test_the_exports_download(web, profile):
    InteractionFactory(client=ClientFactory(owner=profile.user, name="Acme"), summary="Hi")

    for url, kind in [
        ("/settings/export/clients.csv", "text/csv"),
        ("/settings/export/interactions.csv", "text/csv"),
        ("/settings/export/flags.csv", "text/csv"),
        ("/settings/export/account.zip", "application/zip"),
    ]:
        response = web.get(url)
        assert response.status_code == 200 and response["Content-Type"].startswith(kind), url
        assert "attachment" in response["Content-Disposition"]
    assert "Acme" in web.get("/settings/export/interactions.csv").content.decode("utf-8-sig")
