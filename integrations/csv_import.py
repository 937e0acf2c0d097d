"""Import clients (with their contacts and boundaries) and interactions from CSV.

`plan_clients` / `plan_interactions` read a file and say, row by row, what importing it would
do: create, update, leave unchanged, or refuse (and why). Nothing is written until `apply()`,
and only when no row is refused; it writes everything in one transaction. Rows are validated by
the models themselves (`full_clean()`), as the forms do, so every rule of the models applies.
Natural keys make a second import of the same file add nothing: a client by its name (any
case), a contact by its email (or name) within its client, an interaction by its client, time
and summary.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, models, transaction

from clients.changes import ChangeNote
from clients.models import Boundaries, Client, Contact, FreelancerProfile
from clients.services import create_client
from engagements.models import Interaction
from engagements.services import evaluate_soon
from integrations.csv_files import Columns, read_rows

CLIENT_FIELDS = ("name", "organisation", "timezone", "status", "notes")
BOUNDARY_FIELDS = (
    "reply_window_hours",
    "update_cadence_days",
    "checkin_cadence_days",
    "agreed_channels",
    "after_hours_policy",
)
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone", "contact_role")
CLIENT_COLUMNS = Columns(
    known=CLIENT_FIELDS + BOUNDARY_FIELDS + CONTACT_FIELDS, required=frozenset({"name"})
)
INTERACTION_FIELDS = (
    "direction",
    "channel",
    "summary",
    "kind",
    "needs_reply",
    "tone",
    "concern",
)
INTERACTION_COLUMNS = Columns(
    known=("client", "occurred_at", *INTERACTION_FIELDS, "contact_email"),
    required=frozenset({"client", "occurred_at", "direction"}),
    ignored=frozenset({"out_of_hours"}),
)
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M")
YES, NO = {"yes", "y", "true", "1", "x"}, {"no", "n", "false", "0", ""}

CREATE, UPDATE, UNCHANGED, REFUSE = "create", "update", "unchanged", "refuse"


@dataclass
class Row:
    line: int
    action: str
    what: str
    problems: list[str] = field(default_factory=list)


@dataclass
class Plan:
    kind: str
    rows: list[Row]
    apply_all: Callable[[], None] | None = None

    @property
    def refused(self) -> list[Row]:
        return [r for r in self.rows if r.action == REFUSE]

    def count(self, action: str) -> int:
        return sum(r.action == action for r in self.rows)

    @property
    def changes(self) -> int:
        return self.count(CREATE) + self.count(UPDATE)

    def apply(self) -> None:
        """Write every row, all or nothing; only for a plan that refuses no row. ValidationError
        (nothing saved) if the database refuses a row all the same."""
        if self.refused or self.apply_all is None:
            raise ValueError("A plan with refused rows cannot be applied.")
        try:
            with transaction.atomic():
                self.apply_all()
        except (IntegrityError, DataError) as e:
            raise ValidationError(
                f"The database refused a row, so nothing was imported: {e}"
            ) from e


def messages(error: ValidationError, prefix: str = "") -> list[str]:
    if hasattr(error, "error_dict"):
        return [
            f"{prefix}{'' if name == '__all__' else name + ': '}{m}"
            for name, errors in error.message_dict.items()
            for m in errors
        ]
    return [prefix + m for m in error.messages]


def choice(model: type[models.Model], name: str, raw: str, column: str = "") -> str:
    """A choice of the field `name` by its value or its label, in any case (ValidationError on
    `column`, the field by default)."""
    choices = cast("models.Field[Any, Any]", model._meta.get_field(name)).flatchoices
    for value, label in choices:
        if raw.lower() in (
            str(value).lower(),
            str(label).lower(),
            str(label).lower().split(" (")[0],
        ):
            return str(value)
    values = ", ".join(str(v) for v, _ in choices)
    raise ValidationError({column or name: f"“{raw}” is not one of: {values}."})


def whole_number(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValidationError({name: f"“{raw}” is not a whole number."}) from None


# Clients ------------------------------------------------------------------------------------


def client_values(cells: dict[str, str]) -> dict[str, Any]:
    """The client columns given (not empty), converted."""
    values: dict[str, Any] = {n: cells[n] for n in CLIENT_FIELDS if cells.get(n)}
    if "status" in values:
        values["status"] = choice(Client, "status", values["status"])
    return values


def boundary_values(cells: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in ("reply_window_hours", "update_cadence_days", "checkin_cadence_days"):
        if cells.get(name):
            values[name] = whole_number(name, cells[name])
    if cells.get("agreed_channels"):
        values["agreed_channels"] = [
            choice(Interaction, "channel", c.strip(), "agreed_channels")
            for c in cells["agreed_channels"].replace("|", ",").split(",")
            if c.strip()
        ]
    if cells.get("after_hours_policy"):
        values["after_hours_policy"] = choice(
            Boundaries, "after_hours_policy", cells["after_hours_policy"]
        )
    return values


@dataclass
class ClientPlan:
    """What the file says about one client, from its first row (and contacts from every row)."""

    line: int
    client: Client
    boundaries: Boundaries
    values: dict[str, Any]
    bounds: dict[str, Any]
    new: bool
    contacts: list[Contact] = field(default_factory=list)


def plan_clients(owner_id: int, data: bytes) -> Plan:
    profile = FreelancerProfile.for_user(owner_id)
    existing = {
        c.name.lower(): c
        for c in Client.objects.filter(owner_id=owner_id).select_related("boundaries")
    }
    contacts: dict[tuple[int, str], Contact] = {}
    for contact in Contact.objects.filter(owner_id=owner_id):
        contacts[(contact.client_id, (contact.email or contact.name).lower())] = contact
    planned: dict[str, ClientPlan] = {}
    rows: list[Row] = []
    for line, cells in read_rows(data, CLIENT_COLUMNS):
        rows.append(plan_client_row(owner_id, profile, line, cells, existing, contacts, planned))

    def apply_all() -> None:
        for p in planned.values():
            if p.new:
                p.client = create_client(
                    owner=p.client.owner,
                    boundaries=p.bounds,
                    **{n: getattr(p.client, n) for n in CLIENT_FIELDS},
                )
            else:
                p.client.save()
                p.boundaries.change_note = ChangeNote(requested_by="freelancer")
                p.boundaries.save()  # type: ignore[no-untyped-call]
            for contact in p.contacts:
                contact.client = p.client
                contact.save()
        evaluate_soon(owner_id)

    return Plan("clients", rows, apply_all)


def plan_client_row(
    owner_id: int,
    profile: FreelancerProfile,
    line: int,
    cells: dict[str, str],
    existing: dict[str, Client],
    contacts: dict[tuple[int, str], Contact],
    planned: dict[str, ClientPlan],
) -> Row:
    name = cells.get("name", "")
    if not name:
        return Row(line, REFUSE, "", ["name: every row needs the client's name."])
    key = name.lower()
    try:
        values, bounds = client_values(cells), boundary_values(cells)
    except ValidationError as e:
        return Row(line, REFUSE, name, messages(e))
    actions = []
    what = [name]
    p = planned.get(key)
    if p is None:
        client = existing.get(key)
        new = client is None
        if new:
            client = Client(owner_id=owner_id, timezone=profile.timezone)
            boundaries = Boundaries(**(Boundaries.defaults_from(profile) | bounds))
        else:
            assert client is not None
            boundaries = getattr(client, "boundaries", None) or Boundaries(
                client=client, **Boundaries.defaults_from(profile)
            )
        changed = set_fields(client, values) | set_fields(boundaries, bounds)
        problems = []
        try:
            client.full_clean(validate_unique=False)
        except ValidationError as e:
            problems += messages(e)
        try:
            boundaries.full_clean(exclude=["client"])
        except ValidationError as e:
            problems += messages(e)
        if problems:
            return Row(line, REFUSE, name, problems)
        p = planned[key] = ClientPlan(line, client, boundaries, values, bounds, new)
        actions.append(CREATE if new else UPDATE if changed else UNCHANGED)
        what[0] = f"{name} ({'new client' if new else 'changed' if changed else 'as it is'})"
    else:
        differs = [
            n
            for n, v in (values | bounds).items()
            if n != "name" and (p.values | p.bounds).get(n, v) != v
        ]
        if differs:
            return Row(
                line,
                REFUSE,
                name,
                [f"{', '.join(differs)}: differs from line {p.line} for the same client."],
            )
    contact_row = plan_contact(p, cells, contacts)
    if isinstance(contact_row, list):
        return Row(line, REFUSE, name, contact_row)
    if contact_row is not None:
        action, text = contact_row
        actions.append(action)
        what.append(text)
    action = CREATE if CREATE in actions else UPDATE if UPDATE in actions else UNCHANGED
    return Row(line, action, ", ".join(what))


def set_fields(instance: models.Model, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def plan_contact(
    p: ClientPlan, cells: dict[str, str], contacts: dict[tuple[int, str], Contact]
) -> tuple[str, str] | list[str] | None:
    given = {n.removeprefix("contact_"): cells[n] for n in CONTACT_FIELDS if cells.get(n)}
    if not given:
        return None
    key = (given.get("email") or given.get("name", "")).lower()
    contact = None if p.new else contacts.get((p.client.pk, key))
    planned = next((c for c in p.contacts if (c.email or c.name).lower() == key), None)
    if planned is not None:
        return UNCHANGED, f"contact {planned.name} (above)"
    new = contact is None
    if contact is None:
        contact = Contact(owner_id=p.client.owner_id, client=None if p.new else p.client)
    changed = set_fields(contact, given)
    try:
        contact.full_clean(exclude=["client"])
    except ValidationError as e:
        return messages(e, "contact ")
    if new or changed:
        p.contacts.append(contact)
    label = f"contact {contact.name}" + (f" <{contact.email}>" if contact.email else "")
    return (
        (CREATE, f"{label} (new)")
        if new
        else (UPDATE, f"{label} (changed)")
        if changed
        else (UNCHANGED, label)
    )


# Interactions -------------------------------------------------------------------------------


def parse_time(raw: str, zone: ZoneInfo) -> datetime:
    """ISO 8601 (with an offset; without one it is the freelancer's time), or "2026-11-30 14:05"."""
    at: datetime | None = None
    parsers: list[Callable[[str], datetime]] = [
        datetime.fromisoformat,
        *(partial(strptime, fmt=f) for f in TIME_FORMATS),
    ]
    for parse in parsers:
        try:
            at = parse(raw)
            break
        except ValueError:
            continue
    if at is None:
        raise ValidationError(
            {
                "occurred_at": f"“{raw}” is not a date and time: write 2026-11-30 14:05 (your "
                "time) or 2026-11-30T14:05+01:00."
            }
        )
    try:
        return (at.replace(tzinfo=zone) if at.tzinfo is None else at).astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValidationError({"occurred_at": f"“{raw}” is out of range."}) from None


def strptime(raw: str, fmt: str) -> datetime:
    return datetime.strptime(raw, fmt)


def yes_no(name: str, raw: str) -> bool:
    if raw.lower() in YES:
        return True
    if raw.lower() in NO:
        return False
    raise ValidationError({name: f"“{raw}” is not yes or no."})


def plan_interactions(owner_id: int, data: bytes) -> Plan:
    """Every row a new interaction unless one with the same client, time and summary exists
    (or came earlier in the file): then it is left as it is."""
    profile = FreelancerProfile.for_user(owner_id)
    clients = {c.name.lower(): c for c in Client.objects.filter(owner_id=owner_id)}
    contacts = {
        (client_id, email.lower()): pk
        for pk, client_id, email in Contact.objects.filter(owner_id=owner_id)
        .exclude(email="")
        .values_list("pk", "client_id", "email")
    }
    rows: list[Row] = []
    parsed: list[tuple[Row, Interaction]] = []
    for line, cells in read_rows(data, INTERACTION_COLUMNS):
        try:
            interaction = interaction_from(cells, owner_id, profile.zone, clients, contacts)
        except ValidationError as e:
            rows.append(Row(line, REFUSE, cells.get("summary", ""), messages(e)))
            continue
        row = Row(line, CREATE, describe(interaction, profile.zone))
        rows.append(row)
        parsed.append((row, interaction))
    times = [i.occurred_at for _, i in parsed]
    known = set()
    if times:
        known = set(
            Interaction.objects.filter(
                owner_id=owner_id, occurred_at__range=(min(times), max(times))
            ).values_list("client_id", "occurred_at", "summary")
        )
    new: list[Interaction] = []
    first_line: dict[tuple[int, datetime, str], int] = {}
    for row, interaction in parsed:
        key = (interaction.client_id, interaction.occurred_at, interaction.summary)
        if key in known:
            row.action, row.what = UNCHANGED, row.what + " (already logged)"
        elif key in first_line:
            row.action, row.what = UNCHANGED, row.what + f" (the same as line {first_line[key]})"
        else:
            first_line[key] = row.line
            new.append(interaction)

    def apply_all() -> None:
        # The bulk insert decides out of hours as Interaction.save() does, and keeps
        # ClientActivity current.
        Interaction.objects.bulk_create(new, batch_size=1000)  # type: ignore[no-untyped-call]
        evaluate_soon(owner_id)

    return Plan("interactions", rows, apply_all)


def interaction_from(
    cells: dict[str, str],
    owner_id: int,
    zone: ZoneInfo,
    clients: dict[str, Client],
    contacts: dict[tuple[int, str], int],
) -> Interaction:
    """The row as an unsaved, validated Interaction; ValidationError says what is wrong."""
    client = clients.get(cells.get("client", "").lower())
    if client is None:
        raise ValidationError(
            {
                "client": f"You have no client named “{cells.get('client', '')}” (import clients first)."
            }
        )
    values: dict[str, Any] = {"occurred_at": parse_time(cells["occurred_at"], zone)}
    for name in INTERACTION_FIELDS:
        raw = cells.get(name, "")
        if name == "needs_reply":
            values[name] = yes_no(name, raw)
        elif raw and name in ("direction", "channel", "kind", "tone"):
            values[name] = choice(Interaction, name, raw)
        elif raw:
            values[name] = raw
    if email := cells.get("contact_email", ""):
        contact_id = contacts.get((client.pk, email.lower()))
        if contact_id is None:
            raise ValidationError(
                {"contact_email": f"{client.name} has no contact with the email {email}."}
            )
        values["contact_id"] = contact_id
    interaction = Interaction(owner_id=owner_id, client=client, **values)
    # The owner, client and contact are the freelancer's own, found above: not looked up again.
    # The table's constraints are checked by the bulk insert itself, all at once (a refusal rolls
    # everything back and says why); one query per row here would cost 10,000 round trips for a
    # large file. Interaction.clean() says the same as its one constraint, in words, per row.
    interaction.full_clean(exclude=["owner", "client", "contact"], validate_constraints=False)
    return interaction


def describe(interaction: Interaction, zone: ZoneInfo) -> str:
    at = interaction.occurred_at.astimezone(zone)
    return (
        f"{interaction.client.name}, {at:%Y-%m-%d %H:%M}, "
        f"{interaction.get_direction_display().split(' (')[0].lower()}: {interaction.summary}"
    )
