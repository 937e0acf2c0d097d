"""What a person (or an import) may type: dates in a sane range, text without NUL and not too long.

One definition for the models (their `full_clean()`, which forms and imports run) and the forms
(which check before their own `clean()` does arithmetic with a value). PostgreSQL stores dates
far outside Python's range (year 1 to 9999), and a value that crosses it after a time-zone
conversion would be saved and then break every page that reads it; so would a NUL byte, which
PostgreSQL refuses in text. docs/decisions/0010-input-limits.md says why these bounds.
"""

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator

EARLIEST = date(1970, 1, 1)
LATEST = date(2200, 12, 31)
DATE_RANGE_MESSAGE = "Enter a date between 1 Jan 1970 and 31 Dec 2200."

# Free text a person types into a text area (notes, scope, a script, a review answer).
TEXT_LIMIT = 10_000

no_nul = ProhibitNullCharactersValidator()


def validate_date_in_range(value: date | datetime | None) -> None:
    """Refuse a date, or a datetime's date as it was given, outside EARLIEST…LATEST."""
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST <= day <= LATEST:
        raise ValidationError(DATE_RANGE_MESSAGE, code="date_out_of_range")


def text_validators(limit: int = TEXT_LIMIT) -> list[Callable[[Any], None]]:
    """Validators for a TextField a person fills: no NUL, at most `limit` characters (a
    TextField's max_length only reaches the form, so the model needs the validator too)."""
    return [no_nul, MaxLengthValidator(limit)]
