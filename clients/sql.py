"""Rows read or written in bulk with hand-written SQL, where the ORM costs more than the work.

`converted`: for the few hot reads written in SQL (docs/decisions/0054-hot-reads-in-sql.md).
PostgreSQL gives aware datetimes and dates as they are; SQLite gives text, or naive datetimes,
which the ORM converts through the backend's converters: `converted` applies those same ones.
`copy_into`: PostgreSQL's COPY, for thousands of new rows at once.
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


def copy_into(table: str, fields: Sequence[Field], rows: Iterable[Sequence]) -> None:
    """PostgreSQL: COPY `rows` (values in the order of `fields`) into `table`, an order of
    magnitude faster than INSERT for thousands of rows: psycopg adapts the values in C."""
    columns = ", ".join(f.column for f in fields if f.column)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)
