"""What the API reads and writes. Choices are the models' own (so the schema lists their values);
lengths are the columns'. Text that cannot be stored (a NUL character, a lone surrogate) is
refused here, with the field it was in."""

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AwareDatetime, ConfigDict, field_validator

from clients.models import Boundaries, Channel, Client
from engagements.models import Engagement, Expectation, Flag, Interaction, Party, Rule, Severity

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]


def storable(value: Any) -> Any:
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("NUL characters cannot be stored.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("This text is not valid Unicode.") from None
    elif isinstance(value, list):
        for item in value:
            storable(item)
    return value


class In(Schema):
    """A request body or a set of query parameters: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def can_be_stored(cls, value: Any) -> Any:
        return storable(value)


def text(max_length: int, default: str | None = "") -> Any:
    return Field(default, max_length=max_length)


# Clients --------------------------------------------------------------------------------------


class BoundariesOut(Schema):
    agreed_channels: list[str]
    reply_window_hours: int
    update_cadence_days: int
    checkin_cadence_days: int
    after_hours_policy: str
    confirmed_in_writing_at: datetime | None
    confirmed_reference: str


class BoundariesIn(In):
    """Leave a field out to keep it (or, for a new client, to take your default)."""

    agreed_channels: list[Channel] | None = None
    reply_window_hours: int | None = Field(None, ge=1, le=999)
    update_cadence_days: int | None = Field(None, ge=1, le=999)
    checkin_cadence_days: int | None = Field(None, ge=1, le=999)
    after_hours_policy: Boundaries.AfterHours | None = None
    confirmed_in_writing_at: AwareDatetime | None = None
    confirmed_reference: str | None = text(300, None)


class ClientOut(Schema):
    id: int
    name: str
    organisation: str
    timezone: str
    status: str
    notes: str
    created_at: datetime
    boundaries: BoundariesOut | None

    @staticmethod
    def resolve_boundaries(obj: Client) -> Boundaries | None:
        return getattr(obj, "boundaries", None)


class ClientIn(In):
    name: str = Field(min_length=1, max_length=200)
    organisation: str = text(200)
    timezone: str | None = Field(None, max_length=64, description="IANA name; yours if left out.")
    status: Client.Status = Client.Status.ACTIVE
    notes: str = text(10_000)
    boundaries: BoundariesIn | None = None


class ClientPatch(In):
    name: str | None = Field(None, min_length=1, max_length=200)
    organisation: str | None = text(200, None)
    timezone: str | None = Field(None, max_length=64)
    status: Client.Status | None = None
    notes: str | None = text(10_000, None)
    boundaries: BoundariesIn | None = None


class ClientFilters(In):
    status: Client.Status | None = None
    q: str | None = Field(None, max_length=100, description="Part of the name or organisation.")


class ContactOut(Schema):
    id: int
    client_id: int
    name: str
    email: str
    phone: str
    role: str


class ContactIn(In):
    client_id: Id
    name: str = Field(min_length=1, max_length=200)
    email: str = text(254)
    phone: str = text(40)
    role: str = text(100)


class ContactPatch(In):
    name: str | None = Field(None, min_length=1, max_length=200)
    email: str | None = text(254, None)
    phone: str | None = text(40, None)
    role: str | None = text(100, None)


class ByClient(In):
    client: Id | None = None


# Engagements and expectations --------------------------------------------------------------


class EngagementOut(Schema):
    id: int
    client_id: int
    title: str
    goals: str
    scope: str
    start: date
    end: date | None
    status: str


class EngagementIn(In):
    client_id: Id
    title: str = Field(min_length=1, max_length=200)
    goals: str = text(10_000)
    scope: str = text(10_000)
    start: date | None = Field(None, description="Today if left out.")
    end: date | None = None
    status: Engagement.Status = Engagement.Status.ACTIVE


class EngagementPatch(In):
    title: str | None = Field(None, min_length=1, max_length=200)
    goals: str | None = text(10_000, None)
    scope: str | None = text(10_000, None)
    start: date | None = None
    end: date | None = None
    status: Engagement.Status | None = None


class EngagementFilters(In):
    client: Id | None = None
    status: Engagement.Status | None = None


class ExpectationOut(Schema):
    id: int
    engagement_id: int
    client_id: int
    title: str
    kind: str
    owed_by: str
    due: date
    status: str
    confirmed_in_writing: bool
    confirmed_reference: str
    created_at: datetime
    completed_at: datetime | None


class ExpectationIn(In):
    engagement_id: Id
    title: str = Field(min_length=1, max_length=200)
    kind: Expectation.Kind = Expectation.Kind.DELIVERABLE
    owed_by: Party = Party.FREELANCER
    due: date
    status: Expectation.Status = Expectation.Status.NOT_STARTED
    confirmed_in_writing: bool = False
    confirmed_reference: str = text(300)


class ExpectationPatch(In):
    title: str | None = Field(None, min_length=1, max_length=200)
    kind: Expectation.Kind | None = None
    owed_by: Party | None = None
    due: date | None = None
    status: Expectation.Status | None = None
    confirmed_in_writing: bool | None = None
    confirmed_reference: str | None = text(300, None)


class ExpectationFilters(In):
    client: Id | None = None
    engagement: Id | None = None
    status: Expectation.Status | None = None
    owed_by: Party | None = None
    due_after: date | None = None
    due_before: date | None = None


# Interactions ------------------------------------------------------------------------------


class InteractionOut(Schema):
    id: int
    client_id: int
    engagement_id: int | None
    contact_id: int | None
    direction: str
    channel: str
    occurred_at: datetime
    summary: str
    kind: str
    needs_reply: bool
    tone: str
    concern: str
    script: str
    out_of_hours: bool
    created_at: datetime


class InteractionIn(In):
    client_id: Id
    engagement_id: Id | None = None
    contact_id: Id | None = None
    direction: Interaction.Direction
    channel: Channel = Channel.EMAIL
    occurred_at: AwareDatetime | None = Field(None, description="Now if left out.")
    summary: str = text(500)
    kind: Interaction.Kind = Interaction.Kind.OTHER
    needs_reply: bool = False
    tone: Interaction.Tone = Interaction.Tone.NEUTRAL
    concern: str = text(500)


class InteractionFilters(In):
    client: Id | None = None
    direction: Interaction.Direction | None = None
    since: AwareDatetime | None = Field(None, description="Occurred at or after.")
    until: AwareDatetime | None = Field(None, description="Occurred before.")


# Flags ---------------------------------------------------------------------------------------


class FlagOut(Schema):
    id: int
    client_id: int
    rule: str
    severity: str
    state: str
    summary: str
    figures: dict[str, Any]
    expectation_id: int | None
    interaction_id: int | None
    since: datetime | None
    warn_at: datetime | None
    breach_at: datetime | None
    opened_at: datetime
    acknowledged_at: datetime | None
    snoozed_until: datetime | None
    snooze_reason: str
    resolved_at: datetime | None
    resolved_by: str
    resolution_note: str


class FlagFilters(In):
    client: Id | None = None
    state: Flag.State | None = None
    severity: Severity | None = None
    rule: Rule | None = None


class FlagAction(Schema):
    changed: bool = Field(description="False when the flag had already moved on.")
    flag: FlagOut


class SnoozeIn(In):
    until: AwareDatetime
    reason: str = Field(min_length=1, max_length=300)


class ResolveIn(In):
    note: str = Field(min_length=1, max_length=10_000)


# Health and what is owed ---------------------------------------------------------------------


class ComponentOut(Schema):
    key: str
    label: str
    weight: int
    score: float
    explanation: str


class HealthOut(Schema):
    client_id: int
    client_name: str
    score: int
    band: str
    components: list[ComponentOut]


class OwedOut(Schema):
    kind: str = Field(description='"reply" or "update".')
    client_id: int
    client_name: str
    since: datetime
    due: datetime | None
    level: str = Field(description='"ok", "warning" or "breach".')
    about: str


# Pages ---------------------------------------------------------------------------------------


class Paging(In):
    cursor: str | None = Field(None, max_length=500)
    limit: int = Field(50, ge=1, le=200)


class ClientPage(Schema):
    items: list[ClientOut]
    next_cursor: str | None


class ContactPage(Schema):
    items: list[ContactOut]
    next_cursor: str | None


class EngagementPage(Schema):
    items: list[EngagementOut]
    next_cursor: str | None


class ExpectationPage(Schema):
    items: list[ExpectationOut]
    next_cursor: str | None


class InteractionPage(Schema):
    items: list[InteractionOut]
    next_cursor: str | None


class FlagPage(Schema):
    items: list[FlagOut]
    next_cursor: str | None
