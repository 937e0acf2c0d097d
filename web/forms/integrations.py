"""Forms of the integration settings: API tokens, calendar feeds, webhooks, import, account."""

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError

from clients.models import Client
from integrations.account import MAX_BYTES as ACCOUNT_MAX_BYTES
from integrations.csv_files import MAX_BYTES as CSV_MAX_BYTES
from integrations.models import EVENT_CHOICES, WebhookEndpoint
from web.forms.messages import PlainMessages

EXPIRY_CHOICES = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]


class ApiTokenForm(PlainMessages, forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What it is for, e.g. “Zapier: log WhatsApp messages”.",
    )
    expires = forms.ChoiceField(label="Expires", choices=EXPIRY_CHOICES, required=False)

    def lifetime(self) -> timedelta | None:
        days = self.cleaned_data["expires"]
        return timedelta(days=int(days)) if days else None


class CalendarFeedForm(PlainMessages, forms.Form):
    client = forms.ModelChoiceField(
        label="Dates of",
        queryset=Client.objects.none(),
        required=False,
        empty_label="Every client",
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.owned_by(owner)


class WebhookForm(PlainMessages, forms.ModelForm):
    url = forms.URLField(
        label="Address (URL)",
        max_length=500,
        assume_scheme="https",
        help_text="Where Rapport POSTs each event as JSON, e.g. an n8n or Zapier hook.",
        widget=forms.URLInput(attrs={"placeholder": "https://", "spellcheck": "false"}),
    )
    events = forms.MultipleChoiceField(
        label="Send these events",
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "events"]


def upload_field(label: str, max_bytes: int, accept: str) -> forms.FileField:
    return forms.FileField(
        label=label,
        help_text=f"At most {max_bytes // 1024 // 1024} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": accept}),
    )


def check_size(upload, max_bytes: int):
    if upload.size > max_bytes:
        raise ValidationError(
            f"The file is {upload.size / 1024 / 1024:.0f} MB; at most "
            f"{max_bytes // 1024 // 1024} MB can be uploaded. Split it into smaller files."
        )
    return upload


class ImportForm(PlainMessages, forms.Form):
    kind = forms.ChoiceField(
        label="What the file holds",
        choices=[("clients", "Clients and their contacts"), ("interactions", "Interactions")],
        widget=forms.RadioSelect,
        initial="clients",
    )
    file = upload_field("CSV file", CSV_MAX_BYTES, ".csv,text/csv")

    def clean_file(self):
        return check_size(self.cleaned_data["file"], CSV_MAX_BYTES)


class AccountImportForm(PlainMessages, forms.Form):
    file = upload_field("Account export (.zip)", ACCOUNT_MAX_BYTES, ".zip,application/zip")

    def clean_file(self):
        return check_size(self.cleaned_data["file"], ACCOUNT_MAX_BYTES)


class DeleteAccountForm(PlainMessages, forms.Form):
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    understood = forms.BooleanField(
        label="I understand that every client, message, flag and setting is deleted for good.",
        error_messages={"required": "Tick this to confirm."},
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError("That is not your password.")
        return password
