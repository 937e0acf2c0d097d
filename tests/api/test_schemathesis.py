"""schemathesis against the API in-process (WSGI): requests generated from the OpenAPI schema,
valid and not, must never get a server error or a response the schema does not describe.

Bounded in time: a few dozen examples per operation (about a minute in all).
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from tests.factories import ClientFactory, EngagementFactory, InteractionFactory

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def keep_the_connection():
    """schemathesis calls the WSGI app itself, not through Django's test client, so the end of
    each request would close the test's database connection, as it does for a real request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def world(settings, token, profile, keep_the_connection):
    """Alice's token and a few rows to find, so generated ids sometimes hit (ids start at 1)."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    client = ClientFactory(owner=profile.user)
    EngagementFactory(client=client)
    InteractionFactory(client=client, needs_reply=True)
    return {"Authorization": f"Bearer {token}"}


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db
def test_the_api_answers_every_generated_request_as_its_schema_says(case, world):
    case.call_and_validate(headers=world, checks=CHECKS)
