"""CSV exports: clients (with contacts and boundaries), interactions and flags.

The client and interaction files have the import's columns, so an export imports back as it is
(and changes nothing). Times are written on the freelancer's clock, with their offset.
"""

from collections.abc import Iterator, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from clients.models import Boundaries, Client, Contact
from engagements.models import Flag, Interaction
from integrations import csv_files
from integrations.csv_import import CLIENT_COLUMNS, INTERACTION_COLUMNS

INTERACTION_EXPORT = (*INTERACTION_COLUMNS.known, "out_of_hours")
FLAG_COLUMNS = (
    "client",
    "rule",
    "severity",
    "state",
    "summary",
    "opened_at",
    "breach_at",
    "acknowledged_at",
    "snoozed_until",
    "resolved_at",
    "resolution_note",
)


def iso(at: datetime | None, zone: ZoneInfo) -> str:
    return "" if at is None else at.astimezone(zone).isoformat(timespec="seconds")


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


def clients_csv(owner_id: int) -> str:
    return csv_files.write(CLIENT_COLUMNS.known, client_rows(owner_id))


def client_rows(owner_id: int) -> Iterator[Sequence[object]]:
    """One row per contact; a client without contacts has one row with the contact cells empty."""
    contacts: dict[int, list[Contact]] = {}
    for contact in Contact.objects.filter(owner_id=owner_id).order_by("name", "pk"):
        contacts.setdefault(contact.client_id, []).append(contact)
    for client in Client.objects.filter(owner_id=owner_id).select_related("boundaries"):
        b: Boundaries | None = getattr(client, "boundaries", None)
        common: list[object] = [
            client.name,
            client.organisation,
            client.timezone,
            client.status,
            client.notes,
        ]
        common += (
            [
                b.reply_window_hours,
                b.update_cadence_days,
                b.checkin_cadence_days,
                ",".join(b.agreed_channels),
                b.after_hours_policy,
            ]
            if b
            else [""] * 5
        )
        people: list[Contact | None] = list(contacts.get(client.pk, [])) or [None]
        for person in people:
            yield common + (
                [person.name, person.email, person.phone, person.role] if person else [""] * 4
            )


def interactions_csv(owner_id: int, zone: ZoneInfo) -> str:
    rows = (
        Interaction.objects.filter(owner_id=owner_id)
        .order_by("occurred_at", "pk")
        .values_list(
            "client__name",
            "occurred_at",
            "direction",
            "channel",
            "summary",
            "kind",
            "needs_reply",
            "tone",
            "concern",
            "contact__email",
            "out_of_hours",
        )
    )
    return csv_files.write(
        INTERACTION_EXPORT,
        (
            (name, iso(at, zone), d, ch, s, k, yes_no(nr), t, c, email or "", yes_no(ooh))
            for name, at, d, ch, s, k, nr, t, c, email, ooh in rows.iterator(chunk_size=2000)
        ),
    )


def flags_csv(owner_id: int, zone: ZoneInfo) -> str:
    flags = Flag.objects.filter(owner_id=owner_id).select_related("client").order_by("opened_at")
    return csv_files.write(
        FLAG_COLUMNS,
        (
            (
                f.client.name,
                f.rule,
                f.severity,
                f.state,
                f.summary,
                iso(f.opened_at, zone),
                iso(f.breach_at, zone),
                iso(f.acknowledged_at, zone),
                iso(f.snoozed_until, zone),
                iso(f.resolved_at, zone),
                f.resolution_note,
            )
            for f in flags.iterator(chunk_size=2000)
        ),
    )


def template_csv(kind: str) -> str:
    """An example file with the columns of an import, one row filled in."""
    if kind == "clients":
        return csv_files.write(
            CLIENT_COLUMNS.known,
            [
                ["Acme Ltd", "Acme", "America/New_York", "active", "", 8, 5, 10, "email,video",
                 "not_ok", "Jane Doe", "jane@acme.example", "+1 555 0100", "Product owner"],
            ],
        )  # fmt: skip
    return csv_files.write(
        INTERACTION_COLUMNS.known,
        [
            ["Acme Ltd", "2026-01-15 14:05", "in", "email", "Asked for the new logo drafts",
             "request", "yes", "neutral", "", "jane@acme.example"],
        ],
    )  # fmt: skip
