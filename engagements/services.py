"""Workflows with side effects: logging an interaction (or settling what was suggested about
it), then evaluating that client's flags."""

import logging

from django.db import transaction

from engagements.evaluation import evaluate
from engagements.events import interaction_logged
from engagements.models import ClientActivity, Interaction
from engagements.tasks import evaluate_user

log = logging.getLogger(__name__)


def evaluate_soon(owner_id: int, client_id: int | None = None) -> None:
    """Mark one client (or all the freelancer's clients) due, and re-evaluate their flags once
    the current transaction commits: queued for the worker if the broker takes it. The write has
    committed by then and must not fail for the broker's sake: a broker that is down or hung (it
    has short timeouts, see config/settings.py) leaves the work to the next beat pass, which
    evaluates every client that is due (engagements/due.py)."""
    if client_id is None:
        ClientActivity.mark_owner_due(owner_id)
    else:
        ClientActivity.mark_due([client_id])
    client_ids = None if client_id is None else [client_id]
    transaction.on_commit(lambda: _queue_evaluation(owner_id, client_ids))


def _queue_evaluation(owner_id: int, client_ids: list[int] | None) -> None:
    try:
        evaluate_user.apply_async((owner_id, client_ids))
    except Exception as e:
        log.warning(
            "Could not queue the evaluation of user %s (%s: %s); the next beat pass does it",
            owner_id,
            type(e).__name__,
            e,
        )


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


def settle_suggestion(
    interaction: Interaction, *, tone: str | None = None, needs_reply: bool | None = None
) -> Interaction:
    """The freelancer confirms or changes a suggested tone or needs-reply (of mail logged without
    typing): their choice replaces the suggestion for good, and the client's flags follow.

    Raises ValidationError (nothing saved) for a choice the log refuses, e.g. a reply needed
    from an outbound message or from automated mail.
    """
    fields = []
    if tone is not None:
        interaction.tone, interaction.tone_suggested, interaction.tone_confident = (
            tone,
            False,
            False,
        )
        fields += ["tone", "tone_suggested", "tone_confident"]
    if needs_reply is not None:
        interaction.needs_reply, interaction.needs_reply_suggested = needs_reply, False
        fields += ["needs_reply", "needs_reply_suggested"]
    with transaction.atomic():
        interaction.full_clean()
        interaction.save(update_fields=fields)
    evaluate_soon(interaction.owner_id, interaction.client_id)
    return interaction
