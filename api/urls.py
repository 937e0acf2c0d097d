"""The REST API at /api/v1/: its OpenAPI schema at /api/v1/openapi.json and docs at /api/v1/docs
(Swagger UI from django-ninja's own static files, served by us: no CDN)."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.urls import URLPattern, URLResolver
from ninja import NinjaAPI, Swagger

from api import errors
from api.auth import PerTokenThrottle, TokenAuth
from api.views import router

api = NinjaAPI(
    title="Rapport API",
    version="1",
    description=(
        "Your clients, their log, flags and health, from scripts and automations (n8n, Zapier). "
        "Authenticate with a personal API token from Settings → API tokens: "
        "`Authorization: Bearer rpt_…`. Lists are newest first, a page at a time: pass "
        "`next_cursor` back as `cursor`. Errors are `{detail, errors: [{field, message}]}`."
    ),
    auth=TokenAuth(),
    throttle=PerTokenThrottle(),
    urls_namespace="api",
    # No call to swagger.io's validator: the docs page talks to this site only.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": True}),
)
errors.install(api)
api.add_router("/", router)


def without_login(patterns: list[Any]) -> list[URLPattern | URLResolver]:
    """The API authenticates by token, not by session: no redirect to the login page."""
    for pattern in patterns:
        pattern.callback = login_not_required(pattern.callback)
    return patterns


app_name = "api"  # = api.urls_namespace, which ninja reverses its own URLs in
urlpatterns = without_login(api.urls[0])
