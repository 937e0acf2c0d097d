"""An API client: Alice's token, and JSON in and out."""

import json

import pytest

from integrations.models import ApiToken


class Api:
    def __init__(self, client, token: str | None):
        self.client, self.token = client, token

    def _headers(self) -> dict:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **params):
        return self.client.get(f"/api/v1{path}", params, **self._headers())

    def send(self, method: str, path: str, body=None):
        return getattr(self.client, method)(
            f"/api/v1{path}",
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            **self._headers(),
        )

    def post(self, path: str, body=None):
        return self.send("post", path, body)

    def patch(self, path: str, body=None):
        return self.send("patch", path, body)


@pytest.fixture
def token(profile):
    return ApiToken.issue(profile.user_id, "Tests")[1]


@pytest.fixture
def api(client, token):
    return Api(client, token)
