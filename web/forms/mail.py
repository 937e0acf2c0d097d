"""Forms for the mailbox pages: a mailbox, the forwarding address's own addresses, "Who is
this?", a suggestion settled on the timeline, an uploaded .eml file."""

import re

from django import forms

from clients.models import Client
from engagements.models import Interaction
from inbox.models import ADDRESSES_HELP, ForwardingAddress, Mailbox
from web.forms.messages import PlainMessages


class ListField(forms.CharField):
    """A list typed one per line or separated by commas (the model checks each item)."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value):
        return [
            item.strip() for item in re.split(r"[\n,;]+", super().to_python(value)) if item.strip()
        ]


class MailboxForm(PlainMessages, forms.ModelForm):
    """Add or edit a mailbox. The password is write-only: it is never rendered, and left empty
    on an existing mailbox it keeps the stored one."""

    password = forms.CharField(
        label="Password or app password",
        required=False,
        strip=False,
        max_length=500,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    addresses = ListField(
        label="Your addresses in this mailbox",
        required=False,
        max_length=2000,
        help_text=ADDRESSES_HELP + " One per line.",
    )
    folders = ListField(
        label="Other folders to read",
        required=False,
        max_length=2000,
        help_text="Inbox and Sent are always read. One folder per line, e.g. Clients/Acme.",
    )

    class Meta:
        model = Mailbox
        fields = [
            "name",
            "host",
            "port",
            "security",
            "username",
            "password",
            "addresses",
            "folders",
            "look_back_days",
        ]
        widgets = {
            "security": forms.RadioSelect,
            "port": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "look_back_days": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "host": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
            "username": forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        }

    CONNECTION = ("host", "port", "security", "username", "password")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.stored_password = self.instance.password if self.instance.pk else None
        self.initial.pop("password", None)  # never rendered, nor compared with what is typed
        if self.instance.pk:
            self.fields["password"].help_text = "Leave empty to keep the stored password."

    def clean_password(self):
        typed = self.cleaned_data.get("password") or ""
        if not typed and self.stored_password is not None:
            return self.stored_password  # kept, never shown
        if not typed:
            raise forms.ValidationError(
                "Enter the password: the stored one can no longer be read."
                if self.instance.pk
                else "Enter the password (or an app password) of this mailbox."
            )
        return typed

    def connection_changed(self) -> bool:
        return self.instance.pk is None or any(n in self.changed_data for n in self.CONNECTION)


class ForwardingAddressesForm(PlainMessages, forms.ModelForm):
    addresses = ListField(
        label="Addresses you write from",
        required=False,
        max_length=2000,
        help_text=ADDRESSES_HELP + " Your login address always counts. One per line.",
    )

    class Meta:
        model = ForwardingAddress
        fields = ["addresses"]


class AddSenderForm(PlainMessages, forms.Form):
    """ "Who is this?": add the address to one of your clients as a new contact."""

    address = forms.EmailField(widget=forms.HiddenInput)
    client = forms.ModelChoiceField(label="Client", queryset=Client.objects.none())
    name = forms.CharField(label="Contact name", max_length=200)

    def __init__(self, *args, owner, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.owned_by(owner)
        if clients is not None:  # already read by the page: no query per sender
            self.fields["client"].choices = [("", "Choose a client…")] + [
                (c.pk, c.name) for c in clients
            ]


class IgnoreSenderForm(PlainMessages, forms.Form):
    address = forms.EmailField(widget=forms.HiddenInput)


class SuggestionForm(PlainMessages, forms.Form):
    """Confirm or change a suggested tone or needs-reply (either may be left out)."""

    tone = forms.ChoiceField(label="Tone", choices=Interaction.Tone.choices, required=False)
    needs_reply = forms.TypedChoiceField(
        label="Needs a reply",
        choices=[("yes", "Needs a reply"), ("no", "No reply needed")],
        coerce=lambda v: v == "yes",
        required=False,
        empty_value=None,
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("tone") and cleaned.get("needs_reply") is None and not self.errors:
            raise forms.ValidationError("Say which tone, or whether it needs a reply.")
        return cleaned


class UploadForm(PlainMessages, forms.Form):
    message = forms.FileField(
        label="Email file (.eml)",
        help_text="Save an email from your mail program (“Save as…” or drag it out) and "
        "choose the file: it is logged with this client.",
        widget=forms.ClearableFileInput(attrs={"accept": ".eml,message/rfc822"}),
    )
