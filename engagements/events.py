"""What happened to flags and to the log, announced for other apps to act on (webhooks).

This app imports no app above it: it sends signals, and whoever cares connects a receiver (the
integrations app queues webhook deliveries). Each signal is sent inside the transaction that made
the change, so a receiver's writes commit with the change or not at all.
"""

from django.dispatch import Signal

FLAG_RAISED = "flag.raised"
FLAG_ESCALATED = "flag.escalated"  # a warning that turned into a breach
FLAG_RESOLVED = "flag.resolved"
INTERACTION_LOGGED = "interaction.logged"

# Sent with owner_id= and events=[(FLAG_…, flag id), …]: by the evaluation pass and by a flag
# resolved (or cleared by acknowledging it) by hand.
flags_changed = Signal()
# Sent with interaction= by engagements.services.log_interaction (the pages, the API, a mailbox);
# not by bulk imports of history.
interaction_logged = Signal()


def announce_flags(sender: type, owner_id: int, events: list[tuple[str, int]]) -> None:
    if events:
        flags_changed.send(sender, owner_id=owner_id, events=events)
