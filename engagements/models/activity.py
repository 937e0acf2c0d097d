"""Where each client's log stands, kept beside it: the latest interaction, the first message
still waiting for a reply and the latest progress update.

The dashboard reads these instead of searching the log of every client on every refresh (the way
Healthchecks keeps a check's `alert_after`). They are rewritten from the log, never edited: by
Interaction.save() and delete(), and by the Interaction QuerySet's bulk writes, in the same
transaction as the write. The references are ordinary (deferred) foreign keys, so a write that
forgot to refresh them would fail at commit rather than leave them pointing at nothing.
"""

from datetime import UTC, datetime

from django.db import models, transaction
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from clients.models import Client
from clients.ownership import Owned
from engagements import dashboard_cache

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def latest(q: Q, ref: str = "pk"):
    """Subquery: when the client's latest interaction matching `q` happened."""
    from engagements.models.interaction import Interaction

    rows = Interaction.objects.filter(q, client=OuterRef(ref)).order_by("-occurred_at")
    return Subquery(rows.values("occurred_at")[:1])


def awaiting_reply(clients):
    """`clients` annotated with `asked_at` / `asked_id`: their first message needing a reply that
    no outbound has followed (None when nothing is waiting)."""
    from engagements.models.interaction import Interaction

    IN, OUT = Interaction.Direction.INBOUND, Interaction.Direction.OUTBOUND
    first_open = Interaction.objects.filter(
        client=OuterRef("pk"),
        direction=IN,
        needs_reply=True,
        occurred_at__gt=OuterRef("answered_up_to"),
    ).order_by("occurred_at", "pk")
    return clients.annotate(answered_up_to=Coalesce(latest(Q(direction=OUT)), EPOCH)).annotate(
        asked_at=Subquery(first_open.values("occurred_at")[:1]),
        asked_id=Subquery(first_open.values("pk")[:1]),
    )


class ClientActivity(Owned):
    """One row per client that has a log: where its communication stands."""

    owner_from = "client"
    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="activity")
    last_interaction = models.ForeignKey(
        "engagements.Interaction", on_delete=models.DO_NOTHING, null=True, related_name="+"
    )
    awaiting_reply = models.ForeignKey(
        "engagements.Interaction",
        on_delete=models.DO_NOTHING,
        null=True,
        related_name="+",
        help_text="The first message needing a reply that no outbound has followed.",
    )
    last_update_at = models.DateTimeField(null=True, help_text="The latest progress update.")

    class Meta:
        verbose_name_plural = "client activity"

    def __str__(self):
        return f"Activity of client {self.client_id}"

    @classmethod
    def refresh(cls, client_ids) -> None:
        """Rewrite the rows of these clients from their log (three queries, whatever their
        number). The clients are locked first, so that two writes to one client's log take
        turns, and the second reads what the first committed."""
        from engagements.models.interaction import Interaction

        ids = sorted({i for i in client_ids if i is not None})
        if not ids:
            return
        with transaction.atomic():
            clients = Client.objects.filter(pk__in=ids)
            list(clients.select_for_update(no_key=True).order_by("pk").values_list("pk"))
            latest_pk = Interaction.objects.filter(client=OuterRef("pk")).order_by("-occurred_at")
            update = Q(
                direction=Interaction.Direction.OUTBOUND, kind=Interaction.Kind.PROGRESS_UPDATE
            )
            rows = list(
                awaiting_reply(clients)
                .annotate(last_id=Subquery(latest_pk.values("pk")[:1]), last_update=latest(update))
                .values_list("pk", "owner_id", "last_id", "asked_id", "last_update")
            )
            cls.objects.bulk_create(
                [
                    cls(
                        client_id=pk,
                        owner_id=owner_id,
                        last_interaction_id=last_id,
                        awaiting_reply_id=asked_id,
                        last_update_at=last_update,
                    )
                    for pk, owner_id, last_id, asked_id, last_update in rows
                ],
                update_conflicts=True,
                unique_fields=["client"],
                update_fields=["last_interaction", "awaiting_reply", "last_update_at"],
            )
            for owner_id in {owner_id for _, owner_id, *_ in rows}:
                dashboard_cache.changed(owner_id)
