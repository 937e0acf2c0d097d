"""Another user's object is a 404: every URL that names an object, walked as an outsider.

The URL patterns are read from the project's resolver when the tests are collected, so a new URL
is covered the day it is added. Each URL kwarg is filled with the owner's object that its name
points to (KWARG_OBJECTS, or for a bare `pk`/`id` the path segment before it, SEGMENT_OBJECTS),
by its pk or the attribute in URL_ATTRIBUTES (a script's key); kwargs that the view scopes to the
signed-in user by itself (a review week) are in SCOPED_KWARGS. A kwarg this file does not know
fails its test, so that nobody adds an id-taking URL that the isolation test silently skips.

For the outsider, GET and POST (plain and HTMX) must each be 404 or 405 — never a page, a
redirect or an error — and at least one must be 404. API routes (/api/v1/) are asked with the
outsider's bearer token and JSON bodies (GET, POST, PATCH), the body of a route that needs one
from API_BODIES. The owner, on the same URL, must not get a
404: that proves the kwargs were filled with objects the view really looks up.
"""

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern
from django.utils import timezone

from clients.models import DayOff, FreelancerProfile
from clients.scripts_model import MessageScript
from engagements.models import ChangeRecord, Flag, Rule, Severity
from inbox.models import Mailbox
from integrations.models import ApiToken, CalendarFeed, WebhookEndpoint
from tests.factories import (
    ClientFactory,
    ContactFactory,
    EngagementFactory,
    ExpectationFactory,
    InteractionFactory,
)

# Django's own views: the admin has its own permission system, the auth views take no ids.
SKIPPED_NAMESPACES = {"admin"}
SKIPPED_NAMES = {
    "login",
    "logout",
    "password_change",
    "password_change_done",
    "password_reset_confirm",  # its uidb64/token name the user, and only with a valid token
}

# URL kwarg → the object of the world it names.
KWARG_OBJECTS = {
    "client_id": "client",
    "client_pk": "client",
    "contact_id": "contact",
    "boundaries_id": "boundaries",
    "engagement_id": "engagement",
    "expectation_id": "expectation",
    "interaction_id": "interaction",
    "change_id": "change_record",
    "change_record_id": "change_record",
    "record_id": "change_record",
    "flag_id": "flag",
    "day_off_id": "day_off",
    "dayoff_id": "day_off",
    "window_id": "working_window",
    "working_window_id": "working_window",
    "key": "message_script",  # /scripts/<slug:key>/…: a script is named by its key, per owner
    "script_key": "message_script",
    "token_id": "api_token",
    "feed_id": "calendar_feed",
    "webhook_id": "webhook_endpoint",
    "mailbox_id": "mailbox",
}
# The attribute a URL names an object by, when it is not the primary key.
URL_ATTRIBUTES = {"messagescript": "key"}
# A bare `pk` or `id`: the object named by the path segment just before it.
SEGMENT_OBJECTS = {
    "clients": "client",
    "contacts": "contact",
    "boundaries": "boundaries",
    "engagements": "engagement",
    "expectations": "expectation",
    "interactions": "interaction",
    "changes": "change_record",
    "change-records": "change_record",
    "flags": "flag",
    "days-off": "day_off",
    "days_off": "day_off",
    "hours": "working_window",
    "windows": "working_window",
    "api-tokens": "api_token",
    "calendar": "calendar_feed",
    "webhooks": "webhook_endpoint",
    "mailboxes": "mailbox",
}
GENERIC_KWARGS = {"pk", "id"}
# Kwargs that name no object: the view scopes them to the signed-in user itself (the weekly
# review of a week is the signed-in user's review). Filled with a value that every user may
# ask for; a URL with only such kwargs names nothing of another user's and is not walked here.
SCOPED_KWARGS = {
    # Last ISO week: never "the future" in any time zone, whatever the moment.
    "week": lambda: f"{timezone.now() - timedelta(weeks=1):%G-W%V}",
    # The calendar feed's token is its own key (tests/web/test_calendar_feed.py tries others).
    "token": lambda: "cal_not-a-token",
}
# API operations that need a body to get past validation to the lookup.
API_BODIES = {
    "snooze": lambda: {
        "until": (timezone.now() + timedelta(days=1)).isoformat(),
        "reason": "Later",
    },
    "resolve": lambda: {"note": "Done"},
}

KWARG = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    name: str  # "client-detail", or the route itself for an unnamed pattern
    route: str  # the whole route: "clients/<int:client_id>/edit/"

    @property
    def kwargs(self) -> list[str]:
        return [m["name"] for m in KWARG.finditer(self.route)]

    @property
    def id_kwargs(self) -> list[str]:
        return [k for k in self.kwargs if k not in SCOPED_KWARGS]

    def objects(self) -> list[str]:
        """The world key for each id kwarg, in order; fails the test for a kwarg it cannot
        place."""
        keys = []
        for match in KWARG.finditer(self.route):
            kwarg = match["name"]
            if kwarg in SCOPED_KWARGS:
                continue
            if kwarg in GENERIC_KWARGS:
                segment = self.route[: match.start()].rstrip("/").rsplit("/", 1)[-1]
                key = SEGMENT_OBJECTS.get(segment)
                where = f"the segment before it, {segment!r}, is not in SEGMENT_OBJECTS"
            else:
                key = KWARG_OBJECTS.get(kwarg)
                where = "it is not in KWARG_OBJECTS"
            if key is None:
                pytest.fail(
                    f"URL {self.name!r} (/{self.route}) takes {kwarg!r} and {where}: "
                    "say in tests/test_isolation.py which object it names, so the isolation "
                    "test can prove another user's one is a 404."
                )
            keys.append(key)
        return keys

    def url(self, objects: list) -> str:
        """The route with the id kwargs filled from `objects` (in order), the others scoped."""
        ids = iter(objects)

        def fill(match):
            if match["name"] in SCOPED_KWARGS:
                return SCOPED_KWARGS[match["name"]]()
            obj = next(ids)
            return str(getattr(obj, URL_ATTRIBUTES.get(obj._meta.model_name, "pk")))

        return "/" + KWARG.sub(fill, self.route)


def walk(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace in SKIPPED_NAMESPACES:
                continue
            yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            if pattern.name in SKIPPED_NAMESPACES or pattern.name in SKIPPED_NAMES:
                continue
            if not isinstance(pattern.pattern, RoutePattern):
                raise AssertionError(
                    f"{pattern!r} is a regular-expression URL: write it with path() so that "
                    "tests/test_isolation.py can fill in its ids."
                )
            yield Route(
                pattern.name or prefix + str(pattern.pattern), prefix + str(pattern.pattern)
            )


ALL_ROUTES = list(walk(get_resolver().url_patterns))
ID_ROUTES = [r for r in ALL_ROUTES if r.id_kwargs]


def variants():
    """Every id-taking URL with all of the owner's objects; and, for a URL naming several
    objects, each one of the owner's beside the outsider's own others (the outsider's client
    with the owner's engagement, …), which catches a view that checks only the outer id."""
    for route in ID_ROUTES:
        yield pytest.param(route, None, id=route.name)
        if len(route.id_kwargs) > 1:
            for i, kwarg in enumerate(route.id_kwargs):
                yield pytest.param(route, i, id=f"{route.name}[only {kwarg} foreign]")


def make_world(user) -> dict:
    """One of each object, all owned by `user`."""
    profile = FreelancerProfile.for_user(user)
    client = ClientFactory(owner=user)
    engagement = EngagementFactory(client=client)
    expectation = ExpectationFactory(engagement=engagement)
    interaction = InteractionFactory(client=client, needs_reply=True)
    api_token, bearer = ApiToken.issue(user.pk, "Isolation")
    api_token.bearer = bearer  # the token itself, for the API routes
    return {
        "client": client,
        "contact": ContactFactory(client=client),
        "boundaries": client.boundaries,
        "engagement": engagement,
        "expectation": expectation,
        "interaction": interaction,
        "change_record": ChangeRecord.objects.create(
            client=client,
            engagement=engagement,
            expectation=expectation,
            subject="expectation",
            field="due",
            from_value="2026-01-01",
            to_value="2026-01-08",
        ),
        "flag": Flag.objects.create(
            client=client,
            interaction=interaction,
            rule=Rule.REPLY_OWED,
            severity=Severity.WARNING,
            subject=f"interaction:{interaction.pk}",
            summary="A reply is owed",
            since=interaction.occurred_at,
        ),
        "day_off": DayOff.objects.create(
            profile=profile, date=timezone.localdate() + timedelta(days=20), note="Holiday"
        ),
        "working_window": profile.working_windows.first(),
        "message_script": MessageScript.objects.create(
            owner=user, key=f"{user.username}-chaser", title="Chaser", body="Any news?"
        ),
        "api_token": api_token,
        "calendar_feed": CalendarFeed.issue(user.pk, client)[0],
        "webhook_endpoint": WebhookEndpoint.objects.create(
            owner=user, url="https://hooks.example.com/rapport", events=["flag.raised"], secret="s"
        ),
        # Nothing listens on port 1: "Test connection" fails at once.
        "mailbox": Mailbox.objects.create(
            owner=user, host="127.0.0.1", port=1, username=user.username, password="secret"
        ),
    }


@pytest.fixture
def owner_world(user):
    return make_world(user)


@pytest.fixture
def outsider_world(outsider):
    return make_world(outsider)


def statuses(client, url, world) -> dict[str, int]:
    if url.startswith("/api/"):
        return api_statuses(client, url, world)
    htmx = {"HTTP_HX_REQUEST": "true"}
    return {
        "GET": client.get(url).status_code,
        "GET (htmx)": client.get(url, **htmx).status_code,
        "POST": client.post(url, {}).status_code,
        "POST (htmx)": client.post(url, {}, **htmx).status_code,
    }


def test_the_walk_finds_the_projects_urls():
    """Guard the guard: the walk goes into every included URLconf and finds the id URLs."""
    assert {"dashboard", "client-list", "settings-profile"} <= {r.name for r in ALL_ROUTES}
    assert {
        "flag-snooze",
        "client-detail",
        "expectation-edit",
        "settings-day-off-delete",
    } <= {r.name for r in ID_ROUTES}
    assert not {r.name for r in ALL_ROUTES} & SKIPPED_NAMES
    assert not [r for r in ALL_ROUTES if r.route.startswith("admin/")]
    assert {"settings-api-token-revoke", "settings-webhook-edit", "settings-calendar-delete"} <= {
        r.name for r in ID_ROUTES
    }
    assert [r for r in ID_ROUTES if r.route.startswith("api/v1/flags/")]


def api_statuses(client, url, world) -> dict[str, int]:
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {world['api_token'].bearer}"}
    body = API_BODIES.get(url.rstrip("/").rsplit("/", 1)[-1], dict)()
    sent = {"data": json.dumps(body), "content_type": "application/json", **bearer}
    return {
        "GET": client.get(url, **bearer).status_code,
        "POST": client.post(url, **sent).status_code,
        "PATCH": client.patch(url, **sent).status_code,
    }


@pytest.mark.parametrize(("route", "owners_only"), list(variants()))
def test_an_outsider_gets_404_for_the_owners_objects(
    route, owners_only, client, owner_world, outsider_world, outsider
):
    keys = route.objects()
    objects = [
        owner_world[key] if owners_only in (None, i) else outsider_world[key]
        for i, key in enumerate(keys)
    ]
    url = route.url(objects)
    client.force_login(outsider)

    seen = statuses(client, url, outsider_world)

    wrong = {how: code for how, code in seen.items() if code not in (404, 405)}
    assert not wrong, f"{url} as an outsider: {seen} (only 404, or 405, is allowed)"
    assert 404 in seen.values(), f"{url} as an outsider: {seen} (neither GET nor POST is a 404)"


@pytest.mark.parametrize("route", ID_ROUTES, ids=[r.name for r in ID_ROUTES])
def test_the_owner_reaches_the_same_urls(route, client, owner_world, user):
    url = route.url([owner_world[key] for key in route.objects()])
    client.force_login(user)

    seen = statuses(client, url, owner_world)
    get = seen["GET"]
    assert get != 404, f"the owner gets 404 for GET {url}: the kwargs name the wrong objects"
    if get == 405:  # POST-only: an empty POST may be refused (400, a form), but not as missing
        post = seen["POST"]
        assert post != 404, f"the owner gets 404 for POST {url}: the kwargs name the wrong objects"


def test_the_owner_world_is_what_it_says(owner_world, user):
    """Guard the guard: every object in the world is the owner's and exists."""
    for key, obj in owner_world.items():
        owner_id = getattr(obj, "owner_id", None) or obj.profile.user_id
        assert owner_id == user.pk, key
    assert isinstance(owner_world["day_off"].date, date)
