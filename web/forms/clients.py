"""Forms for the client pages: filters, the client, its boundaries, and the change note."""

import re

from django import forms

from clients.changes import ChangeNote
from clients.models import Boundaries, Channel, Client
from clients.validation import validate_date_in_range
from engagements.documentation import REFERENCE_LENGTH
from engagements.models import Party
from web.forms.messages import PlainMessages

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class ClientFilterForm(PlainMessages, forms.Form):
    """The list's GET parameters. A bad value is dropped (see `usable()`), never an error page."""

    FLAG_CHOICES = [("", "Any"), ("open", "With open flags"), ("none", "Without open flags")]

    q = forms.CharField(label="Search", required=False, max_length=100)
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *Client.Status.choices]
    )
    flags = forms.ChoiceField(label="Flags", required=False, choices=FLAG_CHOICES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": "Name or organisation", "autocomplete": "off"}
        )

    def usable(self) -> tuple[dict, list[str]]:
        """The values that are fine, and one notice per parameter that was ignored."""
        self.is_valid()
        values, notices = {}, []
        for name, field in self.fields.items():
            if name in self.errors:
                raw = self.data.get(name, "")
                shown = raw if len(raw) <= 40 else raw[:40] + "…"
                notices.append(f"Ignored {field.label.lower()} “{shown}”: {self.errors[name][0]}")
                values[name] = ""
            else:
                values[name] = self.cleaned_data.get(name, "")
        values["q"] = values["q"].strip()
        return values, notices


class DomainsField(forms.CharField):
    """A list of domain names, typed as "acme.com, acme.de" (the model checks each one)."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [d for d in re.split(r"[\s,;]+", super().to_python(value)) if d]


class ClientForm(PlainMessages, forms.ModelForm):
    email_domains = DomainsField(
        label="Email domains",
        required=False,
        max_length=500,
        help_text="Mail from anyone at these domains is logged with this client, e.g. "
        "acme.com (never a free-mail domain such as gmail.com). Separate several with commas.",
    )

    class Meta:
        model = Client
        fields = ["name", "organisation", "timezone", "status", "email_domains", "notes"]
        labels = {"timezone": "Their time zone"}
        help_texts = {"timezone": "An IANA name such as America/New_York; start typing a city."}
        widgets = {
            # The page puts a <datalist id="timezone-names"> of IANA names beside the form.
            "timezone": forms.TextInput(
                attrs={"list": "timezone-names", "autocomplete": "off", "spellcheck": "false"}
            ),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


def count_field(label: str) -> forms.IntegerField:
    """A whole number of working hours or days, at least 1."""
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class BoundariesForm(PlainMessages, forms.ModelForm):
    """The boundaries editor. On a new client, an empty number means the profile's default."""

    agreed_channels = forms.MultipleChoiceField(
        label="Agreed channels",
        choices=Channel.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Contact through any other channel is flagged as off-channel.",
    )
    reply_window_hours = count_field("Reply window (working hours)")
    update_cadence_days = count_field("Progress update every (working days)")
    checkin_cadence_days = count_field("Check-in every (working days)")
    confirmed_in_writing_at = forms.DateTimeField(
        label="Confirmed in writing on",
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        validators=[validate_date_in_range],
        help_text="Your time. Leave empty if it was never put in writing.",
    )

    class Meta:
        model = Boundaries
        fields = [
            "agreed_channels",
            "reply_window_hours",
            "update_cadence_days",
            "checkin_cadence_days",
            "after_hours_policy",
            "confirmed_in_writing_at",
            "confirmed_reference",
        ]
        labels = {
            "after_hours_policy": "Contact after hours",
            "confirmed_reference": "Where it was confirmed",
        }
        widgets = {"after_hours_policy": forms.RadioSelect}

    NUMBERS = ("reply_window_hours", "update_cadence_days", "checkin_cadence_days")

    def __init__(self, *args, defaults: dict | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.defaults = defaults
        for name in self.NUMBERS:
            field = self.fields[name]
            if defaults:
                field.required = False
                field.help_text = f"Leave empty for your default ({defaults[name]})."
        if defaults and not self.is_bound:
            self.initial.update(defaults)

    def clean(self):
        cleaned = super().clean()
        for name in self.NUMBERS:
            if self.defaults and cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = self.defaults[name]
        return cleaned

    def values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class ChangeNoteForm(PlainMessages, forms.Form):
    """Who asked for a change and whether it was confirmed in writing: goes on its records."""

    requested_by = forms.ChoiceField(
        label="Who asked for this change?",
        choices=Party.choices,
        initial=Party.FREELANCER,
        widget=forms.RadioSelect,
    )
    confirmed = forms.BooleanField(label="Confirmed in writing", required=False)
    reference = forms.CharField(
        label="Reference",
        max_length=300,
        required=False,
        help_text="Where it was confirmed: an email subject, a message link…",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reference", "").strip() and not cleaned.get("confirmed"):
            self.add_error(
                "confirmed", "Tick this if it was confirmed in writing, or clear the reference."
            )
        return cleaned

    def note(self) -> ChangeNote:
        return ChangeNote(
            requested_by=self.cleaned_data["requested_by"],
            confirmed_in_writing=self.cleaned_data["confirmed"],
            reference=self.cleaned_data["reference"].strip(),
        )


NO_REFERENCE = "confirmed in writing, no reference given"


def confirmation_of(form, note_form, field: str = "confirmed_in_writing") -> str:
    """The reference an edit says something was confirmed in writing with: the change note's
    "Confirmed in writing", or the form's own `field` ("Agreed in writing", "Confirmed in
    writing on") just filled in; "" if neither."""
    if note_form is not None and note_form.cleaned_data["confirmed"]:
        return note_form.cleaned_data["reference"].strip() or NO_REFERENCE
    if field in form.changed_data and form.cleaned_data[field]:
        return form.cleaned_data["confirmed_reference"].strip() or NO_REFERENCE
    return ""


class ConfirmForm(PlainMessages, forms.Form):
    """Where something was confirmed in writing, after the fact (a change, an expectation,
    boundaries, or the flag about one of them)."""

    reference = forms.CharField(
        label="Where it was confirmed",
        max_length=REFERENCE_LENGTH,
        help_text="An email subject, a message link, a contract clause…",
        error_messages={"required": "Say where it was confirmed in writing."},
    )
