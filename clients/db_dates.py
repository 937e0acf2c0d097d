"""Reading dates that Python cannot hold. PostgreSQL keeps timestamps and dates from 4713 BC to
far beyond year 9999; Python's stop at years 1 and 9999, and psycopg refuses to read anything
outside them, so one such row (written before the forms checked dates, or by hand) would break
every page that reads it. On PostgreSQL connections these values read as the nearest day that
Python can still move across any time zone: the row shows, and can be corrected in its form,
whose validation then asks for a sane date (clients/validation.py)."""

from datetime import UTC, date, datetime
from typing import Any

from psycopg import DataError
from psycopg.adapt import Buffer, Loader
from psycopg.pq import Format

FAR_PAST = datetime(1, 1, 2, tzinfo=UTC)
FAR_FUTURE = datetime(9999, 12, 30, tzinfo=UTC)


def _tolerant(base: type[Loader], past: Any, future: Any) -> type[Loader]:
    """A loader that reads like `base` (psycopg's own, or Django's for timestamptz) and gives
    `past` or `future` for a value outside Python's years."""

    class Tolerant(Loader):
        timezone = getattr(base, "timezone", None)  # Django compares it with its own

        def __init__(self, oid: int, context: Any = None):
            super().__init__(oid, context)
            self.inner = base(oid, context)

        def load(self, data: Buffer) -> Any:
            try:
                return self.inner.load(data)
            except DataError:
                return past if b"BC" in bytes(data) else future

    return Tolerant


def read_far_dates(connection: Any) -> None:
    """Register the tolerant loaders on a new psycopg connection (on top of Django's own)."""
    adapters = connection.adapters
    for name, past, future in (
        ("timestamptz", FAR_PAST, FAR_FUTURE),
        ("date", date(1, 1, 2), date(9999, 12, 30)),
    ):
        oid = adapters.types[name].oid
        adapters.register_loader(
            name, _tolerant(adapters.get_loader(oid, Format.TEXT), past, future)
        )
