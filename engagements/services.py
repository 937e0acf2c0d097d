"""Workflows with side effects: logging an interaction, then evaluating that client's flags."""

from django.db import transaction

from engagements.evaluation import evaluate
from engagements.events import interaction_logged
from engagements.models import Interaction
from engagements.tasks import evaluate_user


def evaluate_soon(owner_id: int, client_id: int) -> None:
    """Re-evaluate one client's flags once the current transaction commits."""
    transaction.on_commit(lambda: evaluate_user.delay(owner_id, [client_id]))


def log_interaction(*, client, evaluate_now: bool = False, **fields) -> Interaction:
    """Validate and save an interaction; the worker evaluates its client's flags once the
    transaction commits, and `evaluate_now` also does it here, for a page that shows the result.

    Raises ValidationError (nothing saved) for bad input, e.g. a time in the future.
    """
    with transaction.atomic():
        interaction = Interaction(client=client, owner_id=client.owner_id, **fields)
        interaction.full_clean()
        interaction.save()
        interaction_logged.send(Interaction, interaction=interaction)
    evaluate_soon(client.owner_id, client.pk)
    if evaluate_now:
        evaluate(client.owner_id, client_ids=[client.pk])
    return interaction
