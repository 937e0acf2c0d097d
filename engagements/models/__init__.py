"""Engagements, expectations, the append-only change record and the communication log."""

from engagements.models.change_record import ChangeRecord
from engagements.models.engagement import Engagement, Expectation, Party
from engagements.models.interaction import Interaction

__all__ = ["ChangeRecord", "Engagement", "Expectation", "Interaction", "Party"]
