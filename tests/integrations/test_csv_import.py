"""CSV import: a preview per row, then all or nothing; the same file twice adds nothing; the
encodings and separators spreadsheets write; and bad files refused with a message, never a 500."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from clients.models import Boundaries, Client, Contact
from engagements.models import ClientActivity, Interaction
from integrations import csv_export, csv_files, csv_import
from integrations.csv_files import FileProblem

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

CLIENTS = (
    "name,organisation,timezone,status,reply_window_hours,agreed_channels,contact_name,contact_email\n"
    'Acme Ltd,Acme,America/New_York,active,4,"email,video",Jane Doe,jane@acme.example\n'
    "Acme Ltd,,,,,,John Roe,john@acme.example\n"
    "Globex,Globex Corp,Asia/Tokyo,prospect,,,,\n"
)
INTERACTIONS = (
    "client,occurred_at,direction,channel,summary,needs_reply,contact_email\n"
    "Acme Ltd,2026-11-27 10:00,in,email,Asked for drafts,yes,jane@acme.example\n"
    "Acme Ltd,2026-11-27 21:30,in,sms,Late ping,no,\n"
    "Acme Ltd,2026-11-27T12:00:00-05:00,Outbound,email,Sent drafts,no,\n"
)


@pytest.fixture(autouse=True)
def now():
    with time_machine.travel(NOW, tick=False):
        yield


def clients_of(user):
    return {c.name: c for c in Client.objects.owned_by(user).select_related("boundaries")}


def test_a_clients_file_creates_clients_with_contacts_and_boundaries(profile):
    plan = csv_import.plan_clients(profile.user_id, CLIENTS.encode())

    assert [(r.line, r.action) for r in plan.rows] == [(2, "create"), (3, "create"), (4, "create")]
    plan.apply()

    clients = clients_of(profile.user)
    acme = clients["Acme Ltd"]
    assert (acme.timezone, acme.boundaries.reply_window_hours) == ("America/New_York", 4)
    assert acme.boundaries.agreed_channels == ["email", "video"]
    assert acme.boundaries.update_cadence_days == profile.update_cadence_days  # the default
    assert sorted(acme.contacts.values_list("email", flat=True)) == [
        "jane@acme.example",
        "john@acme.example",
    ]
    assert clients["Globex"].status == Client.Status.PROSPECT


def test_importing_the_same_file_twice_adds_nothing(profile):
    csv_import.plan_clients(profile.user_id, CLIENTS.encode()).apply()
    csv_import.plan_interactions(profile.user_id, INTERACTIONS.encode()).apply()
    counts = (Client.objects.count(), Contact.objects.count(), Interaction.objects.count())

    again = csv_import.plan_clients(profile.user_id, CLIENTS.encode())
    again_log = csv_import.plan_interactions(profile.user_id, INTERACTIONS.encode())

    assert {r.action for r in again.rows + again_log.rows} == {"unchanged"}
    again.apply()
    again_log.apply()
    assert (Client.objects.count(), Contact.objects.count(), Interaction.objects.count()) == counts


def test_a_changed_row_updates_the_client_and_its_boundaries_with_a_change_record(profile):
    csv_import.plan_clients(profile.user_id, CLIENTS.encode()).apply()
    changed = CLIENTS.replace("America/New_York,active,4", "America/Chicago,active,6")

    plan = csv_import.plan_clients(profile.user_id, changed.encode())

    assert plan.rows[0].action == "update"
    plan.apply()
    acme = clients_of(profile.user)["Acme Ltd"]
    assert (acme.timezone, acme.boundaries.reply_window_hours) == ("America/Chicago", 6)
    assert acme.change_records.filter(field="reply_window_hours", to_value="6").exists()


def test_one_refused_row_means_nothing_is_saved(profile):
    bad = CLIENTS + "Initech,,Mars/Olympus_Mons,,,,,\n"

    plan = csv_import.plan_clients(profile.user_id, bad.encode())

    [refused] = plan.refused
    assert refused.line == 5
    assert "is not a time zone name" in " ".join(refused.problems)
    with pytest.raises(ValueError):
        plan.apply()
    assert not Client.objects.exists()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("Acme Ltd,31/02/2026 10:00,in,email,x,no,", "is not a date and time"),
        ("Acme Ltd,yesterday,in,email,x,no,", "is not a date and time"),
        ("Acme Ltd,0001-01-01T00:30:00+01:00,in,email,x,no,", "out of range"),
        ("Nobody,2026-11-27 10:00,in,email,x,no,", "no client named"),
        ("Acme Ltd,2026-11-27 10:00,sideways,email,x,no,", "is not one of"),
        ("Acme Ltd,2026-11-27 10:00,out,email,x,yes,", "Only a message from the client"),
        ("Acme Ltd,2026-12-27 10:00,in,email,x,no,", "in the future"),
        ("Acme Ltd,2026-11-27 10:00,in,email,x,maybe,", "is not yes or no"),
        ("Acme Ltd,2026-11-27 10:00,in,email,x,no,nobody@acme.example", "has no contact"),
        ("Acme Ltd,2026-11-27 10:00,in,email," + "x" * 501 + ",no,", "at most 500 characters"),
    ],
)
def test_a_bad_interaction_row_is_refused_with_the_reason(profile, row, problem):
    csv_import.plan_clients(profile.user_id, CLIENTS.encode()).apply()
    header = INTERACTIONS.splitlines()[0]

    plan = csv_import.plan_interactions(profile.user_id, f"{header}\n{row}\n".encode())

    [refused] = plan.refused
    assert problem in " ".join(refused.problems)


def test_imported_interactions_are_judged_out_of_hours_and_update_where_the_log_stands(profile):
    csv_import.plan_clients(profile.user_id, CLIENTS.encode()).apply()

    csv_import.plan_interactions(profile.user_id, INTERACTIONS.encode()).apply()

    log = {i.summary: i for i in Interaction.objects.all()}
    assert log["Asked for drafts"].out_of_hours is False  # Friday 10:00 in Berlin
    assert log["Late ping"].out_of_hours is True  # Friday 21:30
    assert log["Sent drafts"].occurred_at == datetime(2026, 11, 27, 17, 0, tzinfo=UTC)
    assert log["Asked for drafts"].contact.email == "jane@acme.example"
    activity = ClientActivity.objects.get(client__name="Acme Ltd")
    assert activity.last_interaction == log["Late ping"]


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [("utf-8", ","), ("utf-8-sig", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("cp1252", ",")],
)
def test_spreadsheet_encodings_and_separators_are_read(profile, encoding, separator):
    text = (
        f"name{separator}organisation{separator}contact_name\n"
        f"Café Crème{separator}Zoë & Söhne{separator}Jürgen Öberg\n"
    )

    csv_import.plan_clients(profile.user_id, text.encode(encoding)).apply()

    client = Client.objects.get()
    assert (client.name, client.organisation) == ("Café Crème", "Zoë & Söhne")
    assert client.contacts.get().name == "Jürgen Öberg"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"nom,organisation\nAcme,Acme\n", "Unknown column: nom"),
        (b"organisation\nAcme\n", "Missing column: name"),
        (b"", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "This is not a CSV file"),
        (b'name,notes\nAcme,"unclosed\n', "cannot be read as CSV"),
        (b"name\nAcme,extra,cells\n", "has 3 cells"),
        (b"name\n\x81\x8d\x8f\n", "neither UTF-8 nor Windows-1252"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_as_a_whole(profile, data, message):
    with pytest.raises(FileProblem, match=message):
        csv_import.plan_clients(profile.user_id, data)


def test_an_export_imports_back_unchanged(profile):
    csv_import.plan_clients(profile.user_id, CLIENTS.encode()).apply()
    csv_import.plan_interactions(profile.user_id, INTERACTIONS.encode()).apply()
    Client.objects.filter(name="Globex").update(notes='=HYPERLINK("http://evil")')

    clients = csv_export.clients_csv(profile.user_id)
    log = csv_export.interactions_csv(profile.user_id, BERLIN)

    assert "'=HYPERLINK" in clients  # a spreadsheet shows it as text
    assert {r.action for r in csv_import.plan_clients(profile.user_id, clients.encode()).rows} == {
        "unchanged"
    }
    assert {r.action for r in csv_import.plan_interactions(profile.user_id, log.encode()).rows} == {
        "unchanged"
    }


def test_the_templates_import_as_they_are(profile):
    csv_import.plan_clients(profile.user_id, csv_export.template_csv("clients").encode()).apply()
    plan = csv_import.plan_interactions(
        profile.user_id, csv_export.template_csv("interactions").encode()
    )

    assert not plan.refused
    assert Boundaries.objects.get().agreed_channels == ["email", "video"]


# --- the pages ----------------------------------------------------------------------------------


def upload(web, data: bytes, kind="clients", name="clients.csv"):
    return web.post(
        "/settings/import/",
        {"kind": kind, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_the_import_page_previews_then_imports_on_confirmation(web):
    preview = upload(web, CLIENTS.encode())

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "3 to create" in page and "Acme Ltd (new client)" in page
    assert not Client.objects.exists()  # nothing before the confirmation
    upload_id = preview.context["upload_id"]

    done = web.post("/settings/import/confirm/", {"upload": upload_id})

    assert done.status_code == 302
    assert Client.objects.count() == 2
    again = web.post("/settings/import/confirm/", {"upload": upload_id})
    assert again.status_code == 302 and Client.objects.count() == 2  # the upload is used up


def test_a_preview_with_refused_rows_offers_no_import(web):
    preview = upload(web, (CLIENTS + "Initech,,Mars/Base,,,,,\n").encode())

    page = preview.content.decode()
    assert "Refused" in page and "Mars/Base" in page
    assert "settings/import/confirm/" not in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x00\x01\x02binary\xff\xfe" * 100, "This is not a CSV file"),
        (b"name\n" + b"A" * (50 * 1024 * 1024), "at most 10 MB can be uploaded"),
        (b"foo,bar\n1,2\n", "Unknown columns: foo, bar"),
    ],
    ids=["binary", "50 MB", "wrong columns"],
)
def test_a_bad_file_on_the_page_gets_a_message_and_saves_nothing(web, data, message):
    response = upload(web, data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Client.objects.exists()


def test_the_template_downloads(web):
    response = web.get("/settings/import/template.csv?kind=interactions")

    assert response["Content-Type"].startswith("text/csv")
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == list(csv_import.INTERACTION_COLUMNS.known)


def test_cells_that_look_like_formulas_survive_the_round_trip():
    text = csv_files.write(["name"], [["=1+1"], ["-5 days"], ["plain"]])
    rows = list(csv_files.read_rows(text.encode(), csv_files.Columns(("name",), frozenset())))

    assert [cells["name"] for _, cells in rows] == ["=1+1", "-5 days", "plain"]
