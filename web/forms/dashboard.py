"""Forms for the dashboard: log an interaction, snooze a flag, resolve a flag.

The interaction form offers only the freelancer's own clients; the business rules (a time in the
future, who can need a reply) are the model's: the ModelForm runs them for the messages beside the
fields, and engagements.services.log_interaction runs them again before it saves.
"""

import html

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from clients.models import Client
from clients.validation import TEXT_LIMIT, validate_date_in_range
from engagements.models import Interaction
from web.forms.messages import PlainMessages

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def html_attrs(attrs: dict) -> str:
    """Attributes as django/forms/widgets/attrs.html writes them: in order, False left out."""
    return "".join(
        f" {name}" if value is True else f' {name}="{escape(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


class QuickInput:
    """An <input> written in Python, as Django's widget template writes it: the dashboard
    renders its quick-log form on every load, and a template per field is most of its cost."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        html = f'<input type="{widget["type"]}" name="{escape(name)}"'
        if widget["value"] is not None:
            html += f' value="{escape(widget["value"])}"'
        return mark_safe(f"{html}{html_attrs(widget['attrs'])}>")


class QuickTextInput(QuickInput, forms.TextInput):
    pass


class QuickCheckboxInput(QuickInput, forms.CheckboxInput):
    pass


class LocalDateTimeInput(QuickInput, forms.DateTimeInput):
    """A datetime-local picker; the value is read in the active (freelancer's) zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=DATETIME_LOCAL)


class QuickSelect(forms.Select):
    """A <select> whose options are written in Python: the stock widget renders a template per
    option, which for an agency's 200 clients costs more than the rest of the dashboard form.
    Its choices are flat (value, label) pairs, kept as given (no optgroups to normalise)."""

    choices = property(
        lambda self: self._choices, lambda self, value: setattr(self, "_choices", value)
    )

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        chosen = set(self.format_value(value))
        options = "".join(
            f'<option value="{html.escape(v)}"{" selected" if v in chosen else ""}>'
            f"{html.escape(str(label))}</option>"
            for v, label in ((str(v), label) for v, label in self.choices)
        )
        return mark_safe(f'<select name="{escape(name)}"{html_attrs(attrs)}>{options}</select>')


class ClientChoiceField(forms.ModelChoiceField):
    widget = QuickSelect

    def label_from_instance(self, obj):
        if obj.status == Client.Status.ACTIVE:
            return obj.name
        return f"{obj.name} ({obj.get_status_display().lower()})"


class InteractionForm(PlainMessages, forms.ModelForm):
    """Quick log: the fields a freelancer types; out_of_hours is derived, never typed."""

    client = ClientChoiceField(queryset=Client.objects.none(), empty_label="Choose a client…")

    class Meta:
        model = Interaction
        fields = [
            "client",
            "direction",
            "channel",
            "occurred_at",
            "summary",
            "kind",
            "needs_reply",
            "tone",
            "concern",
        ]
        labels = {"occurred_at": "When", "concern": "Underlying concern", "kind": "Kind"}
        help_texts = {
            "occurred_at": "Your time. Defaults to now.",
            "needs_reply": "",
            "concern": "What is the client really worried about?",
        }
        widgets = {
            "direction": QuickSelect,
            "channel": QuickSelect,
            "kind": QuickSelect,
            "tone": QuickSelect,
            "occurred_at": LocalDateTimeInput(),
            "summary": QuickTextInput(attrs={"placeholder": "What was said, in a line"}),
            "needs_reply": QuickCheckboxInput,
            "concern": QuickTextInput(),
        }

    def __init__(self, *args, owner, client_rows=None, **kwargs):
        """`client_rows`: the owner's clients already read by the page (objects with pk, name and
        status), to list without another query; the choice is still checked against the owner's
        clients in the database."""
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        field.queryset = Client.objects.owned_by(owner)
        if client_rows is not None:
            field.widget.choices = [("", field.empty_label)] + [
                (row.pk, field.label_from_instance(row)) for row in client_rows
            ]
        self.fields["direction"].choices = Interaction.Direction.choices  # no empty choice
        self.fields["needs_reply"].label = "Needs a reply"
        # A browser cuts a paste at `maxlength` without a word: a text that is too long is
        # refused with a message instead, and the person decides what to keep.
        for name in ("summary", "concern"):
            self.fields[name].widget.attrs.pop("maxlength", None)
        if not self.is_bound and "occurred_at" not in self.initial:
            self.initial["occurred_at"] = timezone.localtime().replace(second=0, microsecond=0)

    def interaction_fields(self) -> dict:
        """cleaned_data without the client, as keyword arguments for log_interaction()."""
        return {k: v for k, v in self.cleaned_data.items() if k != "client"}

    def add_model_errors(self, error: ValidationError) -> None:
        """Put the model's errors beside the fields they are about (the rest above the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, errors in error.error_dict.items():
            self.add_error(name if name in self.fields else None, errors)


class SnoozeForm(PlainMessages, forms.Form):
    until = forms.DateTimeField(
        label="Snooze until",
        widget=LocalDateTimeInput(),
        validators=[validate_date_in_range],
        error_messages={"required": "Say until when.", "invalid": "Enter a date and time."},
    )
    reason = forms.CharField(
        label="Reason",
        max_length=300,
        error_messages={"required": "Say why you are snoozing it."},
    )

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= self.now:
            raise ValidationError("Choose a time in the future.")
        return until

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("Say why you are snoozing it.")
        return reason


class ResolveForm(PlainMessages, forms.Form):
    note = forms.CharField(
        label="How was it resolved?",
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Add a note saying how it was resolved."},
    )

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise ValidationError("Add a note saying how it was resolved.")
        return note
