"""Workflows with side effects: logging an interaction, then evaluating that client's flags."""

from django.db import transaction

from engagements.models import Interaction
from engagements.tasks import evaluate_user


def evaluate_soon(owner_id: int, client_id: int) -> None:
    """Re-evaluate one client's flags once the current transaction commits."""
    transaction.on_commit(lambda: evaluate_user.delay(owner_id, [client_id]))


@transaction.atomic
def log_interaction(*, client, **fields) -> Interaction:
    """Validate and save an interaction; its client's flags are evaluated right after commit.

    Raises ValidationError (nothing saved) for bad input, e.g. a time in the future.
    """
    interaction = Interaction(client=client, owner_id=client.owner_id, **fields)
    interaction.full_clean()
    interaction.save()
    evaluate_soon(client.owner_id, client.pk)
    return interaction
