"""The models and the migrations agree."""

from io import StringIO

import pytest
from django.core.management import call_command


def test_there_are_no_model_changes_without_a_migration(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"Models changed without a migration; run makemigrations:\n{out.getvalue()}")
