"""Rows read with hand-written SQL, turned into Python values as the ORM turns them.

For the few hot queries written in SQL (docs/decisions/0054-hot-reads-in-sql.md). PostgreSQL
gives aware datetimes and dates as they are; SQLite gives text, or naive datetimes, which the
ORM converts through the backend's converters: `converted` applies those same converters.
"""

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field


def converted(rows: Iterable[Sequence], fields: Sequence[Field | None]) -> list[list[Any]]:
    """`rows` with each column converted as the ORM would convert a column of that model field
    (None: left as the database gave it)."""
    steps: list[tuple[int, Callable, Any]] = []
    for i, field in enumerate(fields):
        if field is not None:
            col = field.get_col(field.model._meta.db_table)
            for convert in (
                *connection.ops.get_db_converters(col),
                *field.get_db_converters(connection),
            ):
                steps.append((i, convert, col))
    out = []
    for row in rows:
        values = list(row)
        for i, convert, col in steps:
            values[i] = convert(values[i], col, connection)
        out.append(values)
    return out
