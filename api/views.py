"""The API's operations: each scopes every lookup to the token's owner (another user's id is a
404) and writes through the same domain functions and model validation as the pages."""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from ninja import Query, Router, Status
from ninja.errors import HttpError

from api import schemas as s
from api.errors import ERRORS
from api.pagination import page
from clients.models import Boundaries, Client, Contact, FreelancerProfile
from clients.ownership import Owned
from clients.services import create_client
from engagements import evaluation, health, owed
from engagements.models import Engagement, Expectation, Flag, Interaction, Rule
from engagements.rules import Thresholds
from engagements.services import evaluate_soon, log_interaction

router = Router()


def owner_id(request: HttpRequest) -> int:
    return int(request.auth.owner_id)  # type: ignore[attr-defined]


def mine(model: type[Owned], request: HttpRequest) -> Any:
    """The token owner's rows of `model` (a QuerySet)."""
    return model.objects.owned_by(owner_id(request))


def one(model: type[Owned], request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(mine(model, request), pk=pk)


def update(instance: Any, changes: dict[str, Any]) -> None:
    for name, value in changes.items():
        setattr(instance, name, value)
    instance.full_clean()
    instance.save()


def filtered(rows: QuerySet[Any], filters: Any, lookups: dict[str, str]) -> QuerySet[Any]:
    """`rows` narrowed by each filter given: {filter name: field lookup}."""
    for name, lookup in lookups.items():
        if (value := getattr(filters, name)) is not None:
            rows = rows.filter(**{lookup: value})
    return rows


def listed(rows: QuerySet[Any], paging: s.Paging, by: str = "pk") -> dict[str, Any]:
    items, next_cursor = page(rows, paging.cursor, paging.limit, by)
    return {"items": items, "next_cursor": next_cursor}


# Clients -------------------------------------------------------------------------------------


@router.get("/clients", response={200: s.ClientPage, **ERRORS}, tags=["clients"])
def list_clients(
    request: HttpRequest, filters: Query[s.ClientFilters], paging: Query[s.Paging]
) -> Any:
    rows = mine(Client, request).select_related("boundaries")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.q:
        rows = rows.filter(Q(name__icontains=filters.q) | Q(organisation__icontains=filters.q))
    return listed(rows, paging)


@router.post("/clients", response={201: s.ClientOut, **ERRORS}, tags=["clients"])
def add_client(request: HttpRequest, data: s.ClientIn) -> Any:
    values = data.model_dump(exclude={"boundaries"})
    values["timezone"] = data.timezone or FreelancerProfile.for_user(owner_id(request)).timezone
    bounds = data.boundaries.model_dump(exclude_none=True) if data.boundaries else {}
    owner = request.auth.owner  # type: ignore[attr-defined]
    client = create_client(owner=owner, boundaries=bounds, **values)
    return Status(201, mine(Client, request).select_related("boundaries").get(pk=client.pk))


@router.get("/clients/{client_id}", response={200: s.ClientOut, **ERRORS}, tags=["clients"])
def get_client(request: HttpRequest, client_id: s.Id) -> Any:
    return get_object_or_404(mine(Client, request).select_related("boundaries"), pk=client_id)


@router.patch("/clients/{client_id}", response={200: s.ClientOut, **ERRORS}, tags=["clients"])
def edit_client(request: HttpRequest, client_id: s.Id, data: s.ClientPatch) -> Any:
    client = get_object_or_404(mine(Client, request).select_related("boundaries"), pk=client_id)
    with transaction.atomic():
        update(client, data.model_dump(exclude_unset=True, exclude={"boundaries"}))
        if data.boundaries is not None:
            bounds = getattr(client, "boundaries", None) or Boundaries(
                client=client,
                **Boundaries.defaults_from(FreelancerProfile.for_user(client.owner_id)),
            )
            update(bounds, data.boundaries.model_dump(exclude_unset=True))
        evaluate_soon(client.owner_id, client.pk)
    return get_client(request, client.pk)


@router.get("/clients/{client_id}/health", response={200: s.HealthOut, **ERRORS}, tags=["health"])
def client_health(request: HttpRequest, client_id: s.Id) -> Any:
    client = one(Client, request, client_id)
    found = health_of(owner_id(request), [client.pk])
    if not found:
        raise HttpError(404, "An ended client has no health score: its rules no longer run.")
    return found[0]


# Contacts ------------------------------------------------------------------------------------


@router.get("/contacts", response={200: s.ContactPage, **ERRORS}, tags=["contacts"])
def list_contacts(request: HttpRequest, filters: Query[s.ByClient], paging: Query[s.Paging]) -> Any:
    rows = mine(Contact, request)
    if filters.client:
        rows = rows.filter(client_id=filters.client)
    return listed(rows, paging)


@router.post("/contacts", response={201: s.ContactOut, **ERRORS}, tags=["contacts"])
def add_contact(request: HttpRequest, data: s.ContactIn) -> Any:
    client = one(Client, request, data.client_id)
    contact = Contact(client=client, owner_id=client.owner_id)
    update(contact, data.model_dump(exclude={"client_id"}))
    return Status(201, contact)


@router.get("/contacts/{contact_id}", response={200: s.ContactOut, **ERRORS}, tags=["contacts"])
def get_contact(request: HttpRequest, contact_id: s.Id) -> Any:
    return one(Contact, request, contact_id)


@router.patch("/contacts/{contact_id}", response={200: s.ContactOut, **ERRORS}, tags=["contacts"])
def edit_contact(request: HttpRequest, contact_id: s.Id, data: s.ContactPatch) -> Any:
    contact = one(Contact, request, contact_id)
    update(contact, data.model_dump(exclude_unset=True))
    return contact


# Engagements and expectations ----------------------------------------------------------------


@router.get("/engagements", response={200: s.EngagementPage, **ERRORS}, tags=["engagements"])
def list_engagements(
    request: HttpRequest, filters: Query[s.EngagementFilters], paging: Query[s.Paging]
) -> Any:
    rows = mine(Engagement, request)
    if filters.client:
        rows = rows.filter(client_id=filters.client)
    if filters.status:
        rows = rows.filter(status=filters.status)
    return listed(rows, paging)


@router.post("/engagements", response={201: s.EngagementOut, **ERRORS}, tags=["engagements"])
def add_engagement(request: HttpRequest, data: s.EngagementIn) -> Any:
    client = one(Client, request, data.client_id)
    engagement = Engagement(client=client, owner_id=client.owner_id)
    values = data.model_dump(exclude={"client_id"}, exclude_none=True)
    with transaction.atomic():
        update(engagement, values)
        evaluate_soon(client.owner_id, client.pk)
    return Status(201, engagement)


@router.get(
    "/engagements/{engagement_id}", response={200: s.EngagementOut, **ERRORS}, tags=["engagements"]
)
def get_engagement(request: HttpRequest, engagement_id: s.Id) -> Any:
    return one(Engagement, request, engagement_id)


@router.patch(
    "/engagements/{engagement_id}", response={200: s.EngagementOut, **ERRORS}, tags=["engagements"]
)
def edit_engagement(request: HttpRequest, engagement_id: s.Id, data: s.EngagementPatch) -> Any:
    engagement = one(Engagement, request, engagement_id)
    with transaction.atomic():
        update(engagement, data.model_dump(exclude_unset=True))
        evaluate_soon(engagement.owner_id, engagement.client_id)
    return engagement


@router.get("/expectations", response={200: s.ExpectationPage, **ERRORS}, tags=["expectations"])
def list_expectations(
    request: HttpRequest, filters: Query[s.ExpectationFilters], paging: Query[s.Paging]
) -> Any:
    rows = filtered(
        mine(Expectation, request),
        filters,
        {
            "client": "client_id",
            "engagement": "engagement_id",
            "status": "status",
            "owed_by": "owed_by",
            "due_after": "due__gte",
            "due_before": "due__lt",
        },
    )
    return listed(rows, paging)


@router.post("/expectations", response={201: s.ExpectationOut, **ERRORS}, tags=["expectations"])
def add_expectation(request: HttpRequest, data: s.ExpectationIn) -> Any:
    engagement = one(Engagement, request, data.engagement_id)
    expectation = Expectation(engagement=engagement, owner_id=engagement.owner_id)
    with transaction.atomic():
        update(expectation, data.model_dump(exclude={"engagement_id"}))
        evaluate_soon(engagement.owner_id, engagement.client_id)
    return Status(201, expectation)


@router.get(
    "/expectations/{expectation_id}",
    response={200: s.ExpectationOut, **ERRORS},
    tags=["expectations"],
)
def get_expectation(request: HttpRequest, expectation_id: s.Id) -> Any:
    return one(Expectation, request, expectation_id)


@router.patch(
    "/expectations/{expectation_id}",
    response={200: s.ExpectationOut, **ERRORS},
    tags=["expectations"],
)
def edit_expectation(request: HttpRequest, expectation_id: s.Id, data: s.ExpectationPatch) -> Any:
    expectation = one(Expectation, request, expectation_id)
    with transaction.atomic():
        update(expectation, data.model_dump(exclude_unset=True))
        evaluate_soon(expectation.owner_id, expectation.client_id)
    return expectation


# Interactions --------------------------------------------------------------------------------


@router.get("/interactions", response={200: s.InteractionPage, **ERRORS}, tags=["interactions"])
def list_interactions(
    request: HttpRequest, filters: Query[s.InteractionFilters], paging: Query[s.Paging]
) -> Any:
    rows = mine(Interaction, request)
    if filters.client:
        rows = rows.filter(client_id=filters.client)
    if filters.direction:
        rows = rows.filter(direction=filters.direction)
    if filters.since:
        rows = rows.filter(occurred_at__gte=filters.since)
    if filters.until:
        rows = rows.filter(occurred_at__lt=filters.until)
    return listed(rows, paging, by="occurred_at")


@router.post("/interactions", response={201: s.InteractionOut, **ERRORS}, tags=["interactions"])
def add_interaction(request: HttpRequest, data: s.InteractionIn) -> Any:
    """Log an interaction, as the dashboard's form does: its client's flags are evaluated again,
    so a message out of hours raises its flag."""
    client = one(Client, request, data.client_id)
    values = data.model_dump(exclude={"client_id", "engagement_id", "contact_id"})
    values["occurred_at"] = data.occurred_at or timezone.now()
    if data.engagement_id:
        values["engagement"] = one(Engagement, request, data.engagement_id)
    if data.contact_id:
        values["contact"] = one(Contact, request, data.contact_id)
    return Status(201, log_interaction(client=client, evaluate_now=True, **values))


@router.get(
    "/interactions/{interaction_id}",
    response={200: s.InteractionOut, **ERRORS},
    tags=["interactions"],
)
def get_interaction(request: HttpRequest, interaction_id: s.Id) -> Any:
    return one(Interaction, request, interaction_id)


# Flags ---------------------------------------------------------------------------------------


@router.get("/flags", response={200: s.FlagPage, **ERRORS}, tags=["flags"])
def list_flags(request: HttpRequest, filters: Query[s.FlagFilters], paging: Query[s.Paging]) -> Any:
    rows = filtered(
        mine(Flag, request),
        filters,
        {"client": "client_id", "state": "state", "severity": "severity", "rule": "rule"},
    )
    return listed(rows, paging)


@router.get("/flags/{flag_id}", response={200: s.FlagOut, **ERRORS}, tags=["flags"])
def get_flag(request: HttpRequest, flag_id: s.Id) -> Any:
    return one(Flag, request, flag_id)


@router.post("/flags/{flag_id}/acknowledge", response={200: s.FlagAction, **ERRORS}, tags=["flags"])
def acknowledge_flag(request: HttpRequest, flag_id: s.Id) -> Any:
    flag = one(Flag, request, flag_id)
    return {"changed": flag.acknowledge(), "flag": one(Flag, request, flag_id)}


@router.post("/flags/{flag_id}/snooze", response={200: s.FlagAction, **ERRORS}, tags=["flags"])
def snooze_flag(request: HttpRequest, flag_id: s.Id, data: s.SnoozeIn) -> Any:
    flag = one(Flag, request, flag_id)
    try:
        changed = flag.snooze(data.until, data.reason)
    except ValueError as e:
        raise ValidationError({"until" if "future" in str(e) else "reason": str(e)}) from None
    return {"changed": changed, "flag": one(Flag, request, flag_id)}


@router.post("/flags/{flag_id}/resolve", response={200: s.FlagAction, **ERRORS}, tags=["flags"])
def resolve_flag(request: HttpRequest, flag_id: s.Id, data: s.ResolveIn) -> Any:
    flag = one(Flag, request, flag_id)
    if not data.note.strip():
        raise ValidationError({"note": "Add a note saying how it was resolved."})
    return {"changed": flag.resolve(data.note), "flag": one(Flag, request, flag_id)}


# Health and what is owed now -----------------------------------------------------------------


def health_of(owner: int, client_ids: list[int] | None = None) -> list[dict[str, Any]]:
    now = timezone.now()
    p = evaluation.load_pass(owner, now, client_ids)
    if p is None:
        return []
    scores = health.health_by_client(p, now)
    return [
        {
            "client_id": client_id,
            "client_name": p.clients[client_id].name,
            "score": h.score,
            "band": h.band,
            "components": [
                {
                    "key": c.key,
                    "label": c.label,
                    "weight": c.weight,
                    "score": round(c.score, 3),
                    "explanation": c.explanation,
                }
                for c in h.components
            ],
        }
        for client_id, h in sorted(scores.items(), key=lambda kv: p.clients[kv[0]].name.lower())
    ]


@router.get("/health", response={200: list[s.HealthOut], **ERRORS}, tags=["health"])
def all_health(request: HttpRequest) -> Any:
    """Every client's health (ended clients have none), by name."""
    return health_of(owner_id(request))


@router.get("/owed-now", response={200: list[s.OwedOut], **ERRORS}, tags=["owed"])
def owed_now(request: HttpRequest) -> Any:
    """Replies and progress updates you owe, most urgent first: the dashboard's "Owed now"."""
    now = timezone.now()
    profile = FreelancerProfile.for_user(owner_id(request))
    calendar = profile.calendar()
    glances = [
        g for g in owed.clients_at_a_glance(profile) if g.client.status != Client.Status.ENDED
    ]
    flagged = set(
        mine(Flag, request).live().filter(rule=Rule.UPDATE_OWED).values_list("client_id", flat=True)
    )
    items = owed.owed_now(glances, calendar, Thresholds.of(profile), now, flagged)
    return [
        {
            "kind": item.kind,
            "client_id": item.client.pk,
            "client_name": item.client.name,
            "since": item.since,
            "due": item.due,
            "level": item.level,
            "about": item.about,
        }
        for item in items
    ]
