"""The weekly review's form: one client's decision and answers, saved as the freelancer goes."""

from django import forms

from engagements.models import ReviewEntry
from web.forms.messages import PlainMessages


class ReviewEntryForm(PlainMessages, forms.ModelForm):  # type: ignore[type-arg]  # generic in the stubs only
    class Meta:
        model = ReviewEntry
        fields = ["decision", "note", "concern", "unclear", "peer_advice"]
        error_messages = {"decision": {"invalid_choice": "Choose one of the decisions offered."}}
