"""One shape for every error: `{"detail": "…", "errors": [{"field": "…", "message": "…"}]}`.

400 for a body that is not JSON, 422 for one that does not validate (one entry per field), 401
without a usable token, 404 for what is not there or not yours, 429 past the request budget
(with Retry-After).
"""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

# Where a value came from, as ninja names it: left out of the field name we report.
SOURCES = {"body", "query", "path", "payload", "filters", "data", "params"}


class FieldError(Schema):
    field: str
    message: str


class Error(Schema):
    detail: str
    errors: list[FieldError] = []


ERRORS: dict[int, type[Schema]] = {400: Error, 401: Error, 404: Error, 422: Error, 429: Error}


def reply(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors: Any = ()
) -> HttpResponse:
    return api.create_response(
        request,
        {"detail": detail, "errors": [{"field": f, "message": m} for f, m in errors]},
        status=status,
    )


def field_name(loc: Any) -> str:
    parts = [str(p) for p in loc if str(p) not in SOURCES]
    return ".".join(parts) or "__all__"


def install(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            (
                field_name(e.get("loc", ())),
                str(e.get("msg", "Invalid.")).removeprefix("Value error, "),
            )
            for e in exc.errors
        ]
        return reply(api, request, 422, "The request is not valid.", errors)

    @api.exception_handler(DjangoValidationError)
    def refused(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [(name, m) for name, ms in exc.message_dict.items() for m in ms]
        else:
            errors = [("__all__", m) for m in exc.messages]
        return reply(api, request, 422, "The request is not valid.", errors)

    @api.exception_handler(DataError)
    @api.exception_handler(OverflowError)
    def out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
        return reply(api, request, 422, "A value is out of the range that can be stored.")

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return reply(api, request, 404, "Not found.")

    @api.exception_handler(AuthenticationError)
    def unauthorized(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = reply(
            api,
            request,
            401,
            "A valid API token is needed: `Authorization: Bearer <token>` (Settings → API tokens). "
            "It may have been revoked or have expired.",
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(Throttled)
    def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
        return reply(api, request, 429, "Too many requests with this token: wait a moment.")

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return reply(api, request, exc.status_code, str(exc))
