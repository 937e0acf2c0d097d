"""Engagements, expectations, the append-only change record, the communication log and flags."""

from engagements.models.change_record import ChangeRecord
from engagements.models.email import EmailStatus, FollowUp, OutboundEmail, UsedLink
from engagements.models.engagement import Engagement, Expectation, Party
from engagements.models.flag import Flag, Rule, Severity
from engagements.models.health import HealthSnapshot
from engagements.models.interaction import ClientActivity, Interaction
from engagements.models.review import ReviewEntry, WeeklyReview

__all__ = [
    "ChangeRecord",
    "ClientActivity",
    "EmailStatus",
    "Engagement",
    "Expectation",
    "Flag",
    "FollowUp",
    "HealthSnapshot",
    "Interaction",
    "OutboundEmail",
    "Party",
    "ReviewEntry",
    "Rule",
    "Severity",
    "UsedLink",
    "WeeklyReview",
]
