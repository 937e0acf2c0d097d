"""Bearer authentication with personal API tokens, and a request budget per token."""

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from integrations.models import ApiToken

WINDOW = 60  # seconds: the budget is per minute


class TokenAuth(HttpBearer):
    """`Authorization: Bearer rpt_…`: a token that exists, is not revoked and has not expired."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken | None:
        return ApiToken.authenticate(token, timezone.now())


class PerTokenThrottle(BaseThrottle):
    """At most API_REQUESTS_PER_MINUTE requests per token in each clock minute (a counter in the
    cache, shared by every web process)."""

    def allow_request(self, request: HttpRequest) -> bool:
        token: Any = getattr(request, "auth", None)
        if token is None:
            return True
        key = f"api-throttle:{token.pk}:{int(time.time()) // WINDOW}"
        try:
            cache.add(key, 0, timeout=WINDOW * 2)
            count = cache.incr(key)
        except Exception:  # the cache is down: serve rather than refuse everyone
            return True
        return bool(count <= settings.API_REQUESTS_PER_MINUTE)

    def wait(self) -> float:
        return WINDOW - time.time() % WINDOW
