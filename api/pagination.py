"""Cursor pagination, newest first: `?limit=50`, then `?cursor=<next_cursor>`.

A cursor is the position of the last row of a page (its ordering value and id), signed, so it
cannot be forged or mistyped into an error: a cursor we did not give out is a 422.
"""

from datetime import datetime
from typing import Any, TypeVar

from django.core import signing
from django.db import models
from django.db.models import Q
from ninja.errors import ValidationError

SALT = "api-cursor"
DEFAULT_LIMIT, MAX_LIMIT = 50, 200
M = TypeVar("M", bound=models.Model)


def page(
    rows: "models.QuerySet[M]", cursor: str | None, limit: int, by: str = "pk"
) -> tuple[list[M], str | None]:
    """A page of `rows` ordered by `by` then id, both descending, and the cursor of the next."""
    if cursor:
        try:
            value, pk = signing.loads(cursor, salt=SALT)
            if by == "pk":
                rows = rows.filter(pk__lt=pk)
            else:
                at = datetime.fromisoformat(value)
                rows = rows.filter(Q(**{f"{by}__lt": at}) | Q(**{by: at, "pk__lt": pk}))
        except (signing.BadSignature, ValueError, TypeError):
            raise ValidationError(
                [{"loc": ["query", "cursor"], "msg": "That is not a cursor this API gave out."}]
            ) from None
    found = list(rows.order_by(f"-{by}", "-pk")[: limit + 1])
    if len(found) <= limit:
        return found, None
    last: Any = found[limit - 1]
    value = "" if by == "pk" else getattr(last, by).isoformat()
    return found[:limit], signing.dumps([value, last.pk], salt=SALT, compress=True)
