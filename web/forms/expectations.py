"""Forms for engagements and their expectations, edited from the client page."""

from django import forms

from engagements.models import Engagement, Expectation
from web.forms.messages import PlainMessages

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class EngagementForm(PlainMessages, forms.ModelForm):
    class Meta:
        model = Engagement
        fields = ["title", "status", "start", "end", "goals", "scope"]
        labels = {"end": "End (optional)"}
        help_texts = {"scope": "What is in, and what is not. Changes to it are recorded."}
        widgets = {
            "start": DATE,
            "end": DATE,
            "goals": forms.Textarea(attrs={"rows": 2}),
            "scope": forms.Textarea(attrs={"rows": 3}),
        }


class ExpectationForm(PlainMessages, forms.ModelForm):
    class Meta:
        model = Expectation
        fields = [
            "title",
            "kind",
            "owed_by",
            "due",
            "status",
            "confirmed_in_writing",
            "confirmed_reference",
        ]
        labels = {
            "title": "What is owed",
            "owed_by": "Owed by",
            "confirmed_in_writing": "Agreed in writing",
            "confirmed_reference": "Where it was agreed",
        }
        widgets = {"due": DATE}

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("confirmed_reference", "").strip() and not cleaned.get(
            "confirmed_in_writing"
        ):
            self.add_error(
                "confirmed_in_writing",
                "Tick this if it was agreed in writing, or clear the reference.",
            )
        return cleaned
