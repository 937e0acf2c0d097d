"""The whole account: exported as a zip of JSON, imported into an empty account with identical
content, and deleted row by row of it (other tenants untouched)."""

import io
import json
import zipfile
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from clients.models import Client, MessageScript
from engagements.evaluation import evaluate
from engagements.management.commands.seed_demo import seed_demo_account
from engagements.models import ReviewEntry, WeeklyReview
from integrations import account
from integrations.models import ApiToken, CalendarFeed, WebhookEndpoint
from tests.test_isolation import make_world

NOW = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)
User = get_user_model()


@pytest.fixture
def demo(db):
    """The demo account (8 clients, 8 weeks of history, flags, health), a review and a script."""
    with time_machine.travel(NOW, tick=False):
        seed_demo_account(User, timezone.now())
        user = User.objects.get(username="demo")
        evaluate(user.pk, now=timezone.now())
        review = WeeklyReview.objects.create(owner=user, week=date(2026, 11, 23))
        ReviewEntry.objects.create(
            review=review,
            client=Client.objects.filter(owner=user).first(),
            decision=ReviewEntry.Decision.KEEP_GOING,
            note="Fine",
        )
        MessageScript.objects.create(owner=user, key="chaser", title="Chaser", body="Any news?")
    return user


def files_of(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: json.loads(archive.read(name)) for name in archive.namelist()}


def translated(source: dict, copy: dict) -> dict:
    """`source`'s rows with every id and reference turned into the copy's (rows go in in order)."""
    new_ids = {}
    for name, model in account.SECTIONS:
        new_ids[model] = {a["id"]: b["id"] for a, b in zip(source[name], copy[name], strict=True)}
    out = {}
    for name, model in account.SECTIONS:
        fields = {f.attname: f for f in account.stored_fields(model)}
        rows = []
        for row in source[name]:
            row = dict(row)
            for attname, value in row.items():
                f = fields[attname]
                if f.primary_key:
                    row[attname] = new_ids[model][value]
                elif f.is_relation and value is not None and f.related_model in new_ids:
                    row[attname] = new_ids[f.related_model][value]
            if name == "flags.json":
                kind, _, old = row["subject"].partition(":")
                target = account.SUBJECT_MODELS[kind]
                row["subject"] = f"{kind}:{new_ids[target][int(old)]}"
            rows.append(row)
        out[name] = rows
    return out


def test_an_export_imported_into_an_empty_account_has_identical_content(demo, outsider):
    exported = account.export_account(demo)
    with time_machine.travel(NOW, tick=False):
        done = account.import_account(outsider, exported)

    source, copy = files_of(exported), files_of(account.export_account(outsider))

    assert done.counts["interactions.json"] == len(source["interactions.json"]) > 100
    assert all(source[name] for name, _ in account.SECTIONS), "every file has rows"
    assert copy["profile.json"]["profile"] == source["profile.json"]["profile"]
    mine, theirs = translated(source, copy), {n: copy[n] for n, _ in account.SECTIONS}
    for name, _ in account.SECTIONS:
        assert mine[name] == theirs[name], name
    # where each client's log stands is rebuilt from the log
    assert apps.get_model("engagements", "ClientActivity").objects.filter(owner=outsider).count()


def test_an_account_export_goes_only_into_an_empty_account(demo, outsider, profile):
    exported = account.export_account(demo)
    make_world(profile.user)

    with pytest.raises(account.AccountFileProblem, match="empty account"):
        account.import_account(profile.user, exported)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda files: {"x.txt": "hello"}, "not a Rapport account export"),
        (lambda files: files | {"interactions.json": "[{]"}, "cannot be read"),
        (
            lambda files: (
                files | {"contacts.json": json.dumps([{"id": 1, "client_id": 999999, "name": "X"}])}
            ),
            "not in the export",
        ),
        (
            lambda files: files | {"clients.json": json.dumps([{"id": 1, "name": "X", "pwn": 1}])},
            "unknown fields: pwn",
        ),
        (
            lambda files: files | {"profile.json": json.dumps({"format": 99})},
            "format this version does not read",
        ),
    ],
    ids=["not ours", "bad json", "dangling reference", "unknown field", "other format"],
)
def test_a_bad_account_file_is_refused_and_saves_nothing(demo, outsider, change, message):
    with zipfile.ZipFile(io.BytesIO(account.export_account(demo))) as archive:
        files = {n: archive.read(n).decode() for n in archive.namelist()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, text in change(files).items():
            archive.writestr(name, text)

    with pytest.raises(account.AccountFileProblem, match=message):
        account.import_account(outsider, out.getvalue())
    assert account.is_empty(outsider.pk)
    assert not apps.get_model("engagements", "Interaction").objects.filter(owner=outsider).exists()


def test_the_account_page_refuses_a_file_that_is_not_a_zip(web):
    response = web.post(
        "/settings/account/",
        {"import": "1", "file": SimpleUploadedFile("a.zip", b"\x00garbage", "application/zip")},
    )

    assert response.status_code == 422
    assert "This is not a zip file" in response.content.decode()


def row_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def test_deleting_the_account_removes_every_row_of_it_and_nothing_else(client, outsider):
    make_world(outsider)
    WebhookEndpoint.objects.filter(owner=outsider).update(url="https://hooks.example.com/m")
    before = row_counts()
    alice = User.objects.create_user("alice", "alice@example.com", "alice-password")
    world = make_world(alice)
    CalendarFeed.issue(alice.pk)
    ApiToken.issue(alice.pk, "Zapier")
    assert row_counts() != before
    assert world["client"].owner == alice
    client.force_login(alice)

    refused = client.post("/settings/account/", {"delete": "1", "password": "wrong"})
    assert refused.status_code == 422 and User.objects.filter(pk=alice.pk).exists()

    done = client.post(
        "/settings/account/", {"delete": "1", "password": "alice-password", "understood": "on"}
    )

    assert done.status_code == 302 and done.url == "/accounts/login/"
    assert row_counts() == before
    assert client.get("/").status_code == 302  # signed out
