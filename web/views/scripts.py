"""Message scripts: the freelancer's library, the scripts rendered for one client, one script to
copy and "log as sent". Every lookup is scoped to the signed-in user: another user's client or
script is a 404."""

from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.text import Truncator
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from clients import formats
from clients import scripts as texts
from clients.business_time import Window
from clients.hours_in_zone import hours_statement
from clients.models import Channel, Client
from clients.scripts import BUILTINS, PLACEHOLDERS, Deadline, build_context, script_for_rule
from clients.scripts_model import MessageScript
from clients.validation import TEXT_LIMIT
from engagements.documentation import REFERENCE_LENGTH, confirm_change, confirm_expectation
from engagements.models import ChangeRecord, Engagement, Expectation, Flag, Interaction
from engagements.services import log_interaction
from web.forms.messages import PlainMessages
from web.selectors.clients import boundaries_of
from web.views.common import id_param, safe_next

DEADLINES_LOADED = 10


@dataclass(frozen=True)
class Script:
    key: str
    title: str
    purpose: str
    body: str
    kind: str
    builtin: bool
    row: MessageScript | None  # the override or the own script, if any

    @property
    def overridden(self) -> bool:
        return self.builtin and self.row is not None


def _scripts(user) -> list[Script]:
    """The built-ins (each with the user's wording if they edited it), then their own scripts."""
    rows = {row.key: row for row in MessageScript.objects.owned_by(user)}
    result = []
    for key, b in BUILTINS.items():
        row = rows.pop(key, None)
        result.append(
            Script(
                key,
                row.title if row else b.title,
                b.purpose,
                row.body if row else b.body,
                b.kind,
                True,
                row,
            )
        )
    own = sorted(rows.values(), key=lambda r: r.title.lower())
    result += [Script(r.key, r.title, "", r.body, "other", False, r) for r in own]
    return result


def _script(user, key: str) -> Script:
    for script in _scripts(user):
        if script.key == key:
            return script
    raise Http404("No script with that key.")


def _client(request, client_id: int) -> Client:
    return get_object_or_404(Client.objects.owned_by(request.user), pk=client_id)


def _context(request, client: Client, contact=None, agreement=None) -> dict[str, str]:
    """Every placeholder's text for this client, now."""
    profile = request.profile
    now = timezone.now()
    if agreement is None:
        agreement = _agreement(latest_unconfirmed(client))
    windows = [Window(w.weekday, w.start, w.end) for w in profile.working_windows.all()]
    boundaries = boundaries_of(client, profile)
    if contact is None:
        contact = client.contacts.first()
    expectations = (
        Expectation.objects.owned_by(request.user)
        .filter(
            client=client,
            status__in=[Expectation.Status.NOT_STARTED, Expectation.Status.IN_PROGRESS],
        )
        .order_by("due", "title")[:DEADLINES_LOADED]
    )
    engagements = (
        Engagement.objects.owned_by(request.user)
        .filter(client=client, status=Engagement.Status.ACTIVE)
        .order_by("start", "title")
        .values_list("title", flat=True)
    )
    user = request.user
    return build_context(
        client_name=client.name,
        organisation=client.organisation,
        contact_name=contact.name if contact else "",
        me=user.get_full_name() or user.get_username(),
        hours=hours_statement(windows, profile.zone, client.zone, now),
        channels=boundaries.agreed_channels,
        reply_window_hours=boundaries.reply_window_hours,
        update_cadence_days=boundaries.update_cadence_days,
        checkin_cadence_days=boundaries.checkin_cadence_days,
        after_hours_policy=boundaries.after_hours_policy,
        deadlines=[Deadline(e.title, e.due, e.owed_by) for e in expectations],
        engagements=list(engagements),
        today=timezone.localdate(now),
        agreement=agreement,
        client_zone=client.zone,
        client_today=now.astimezone(client.zone).date(),
    )


def latest_unconfirmed(client: Client) -> ChangeRecord | None:
    """The client's latest change not yet confirmed in writing: what {agreement} says when the
    confirmation script is opened without naming one."""
    return (
        ChangeRecord.objects.filter(client=client, confirmed_in_writing=False)
        .select_related("expectation", "engagement")
        .first()
    )


def _agreement(subject: ChangeRecord | Expectation | None) -> texts.Agreement | None:
    """A change record or an expectation, as the words of what was agreed."""
    if isinstance(subject, ChangeRecord):
        thing = subject.expectation or subject.engagement
        return texts.Agreement(
            subject.subject,
            subject.field,
            subject.from_value,
            subject.to_value,
            thing.title if thing else "",
            subject.changed_at,
        )
    if isinstance(subject, Expectation):
        return texts.Agreement(
            "expectation",
            "",
            "",
            subject.due.isoformat(),
            subject.title,
            subject.created_at,
            subject.owed_by,
        )
    return None


def _confirming(request, client: Client, data) -> ChangeRecord | Expectation | None:
    """The change (`change=<id>`) or expectation (`expectation=<id>`) a confirmation is about:
    the client's own, else 404; None when neither is named."""
    if change := _id(data, "change"):
        return get_object_or_404(
            ChangeRecord.objects.owned_by(request.user).filter(client=client), pk=change
        )
    if expectation := _id(data, "expectation"):
        return get_object_or_404(
            Expectation.objects.owned_by(request.user).filter(client=client), pk=expectation
        )
    return None


def _id(data, name: str) -> int | None:
    """A primary key given as `name`, None when absent; anything else is a 404."""
    raw = data.get(name, "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise Http404("No such change.")
    return int(raw)


# The library ----------------------------------------------------------------------------------


class ScriptForm(PlainMessages, forms.ModelForm):
    class Meta:
        model = MessageScript
        fields = ["title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 16, "spellcheck": "true"})}
        help_texts = {
            "body": "Placeholders in curly braces, like {contact}, are filled in for each client."
        }


def script_library(request):
    """The library; ``?client=<id>`` (the page's "fill them in for a client" form) goes on to
    that client's scripts."""
    if client_id := id_param(request.GET.get("client")):
        return redirect("client-scripts", client_id=_client(request, client_id).pk)
    clients = Client.objects.owned_by(request.user).exclude(status=Client.Status.ENDED)
    return render(
        request,
        "scripts/library.html",
        {
            "scripts": _scripts(request.user),
            "placeholders": PLACEHOLDERS.items(),
            "clients": clients,
        },
    )


def _save_script(form: ScriptForm) -> bool:
    """Save the form; False (with a form error) when the key was taken meanwhile."""
    try:
        with transaction.atomic():
            form.save()
    except IntegrityError:
        form.add_error(None, "That script was saved elsewhere at the same moment: try again.")
        return False
    return True


def script_create(request):
    row = MessageScript(owner=request.user)
    form = ScriptForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        row.key = MessageScript.new_key(request.user.pk, form.cleaned_data["title"])
        if _save_script(form):
            messages.success(request, f"Added your script “{row.title}”.")
            return redirect("script-library")
    return _edit_page(request, form, None)


def script_edit(request, key: str):
    """Edit an own script, or a built-in for oneself (the first save makes the override)."""
    script = _script(request.user, key)
    row = script.row or MessageScript(
        owner=request.user, key=key, title=script.title, body=script.body
    )
    form = ScriptForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid() and _save_script(form):
        note = " Rapport's wording is kept: revert to it at any time." if script.builtin else ""
        messages.success(request, f"Saved “{row.title}”.{note}")
        return redirect("script-library")
    return _edit_page(request, form, script)


def _edit_page(request, form: ScriptForm, script: Script | None):
    """The edit page again: 422 after a refused POST."""
    return render(
        request,
        "scripts/edit.html",
        {"form": form, "script": script, "placeholders": PLACEHOLDERS.items()},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
def script_delete(request, key: str):
    """Delete an own script, or revert a built-in to Rapport's wording."""
    row = get_object_or_404(MessageScript.objects.owned_by(request.user), key=key)
    row.delete()
    if row.is_override:
        messages.success(request, f"“{BUILTINS[key].title}” is back to Rapport's wording.")
    else:
        messages.success(request, f"Deleted your script “{row.title}”.")
    return redirect("script-library")


# One client's scripts -------------------------------------------------------------------------


def client_scripts(request, client_id: int):
    client = _client(request, client_id)
    context = _context(request, client)
    flags = Flag.objects.owned_by(request.user).filter(client=client).needing_attention()
    suggested = {}
    for flag in flags:
        if (key := script_for_rule(flag.rule)) is not None:
            suggested.setdefault(key, []).append(flag.get_rule_display())
    scripts = [
        (s, texts.render(s.body, context), suggested.get(s.key, [])) for s in _scripts(request.user)
    ]
    scripts.sort(key=lambda item: not item[2])  # those the open flags call for first
    return render(
        request,
        "scripts/client_scripts.html",
        {"client": client, "scripts": scripts, "hours": context["hours"]},
    )


def _channel_choices(client: Client, profile) -> list[tuple[str, str]]:
    agreed = boundaries_of(client, profile).agreed_channels
    labels = dict(Channel.choices)
    return [(c, labels.get(c, c)) for c in agreed] or list(Channel.choices)


class LogSentForm(PlainMessages, forms.Form):
    channel = forms.ChoiceField(label="Sent by")
    # What a confirmation script confirms once sent (checked against the client in the view).
    change = forms.CharField(required=False, widget=forms.HiddenInput)
    expectation = forms.CharField(required=False, widget=forms.HiddenInput)
    contact = forms.ModelChoiceField(
        label="To", queryset=None, required=False, empty_label="The client (no one contact)"
    )
    text = forms.CharField(
        label="Message",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "true"}),
        help_text="Edit freely before you copy it. The first 500 characters are kept in the log.",
    )

    def __init__(self, *args, client: Client, profile, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = _channel_choices(client, profile)
        self.fields["contact"].queryset = client.contacts.all()


def _contact_from(request, client: Client):
    if contact_id := id_param(request.GET.get("contact")):
        return client.contacts.filter(pk=contact_id).first()
    return None


def client_script(request, client_id: int, key: str):
    """One script filled in for the client; the confirmation script for the change or
    expectation named by `?change=` or `?expectation=` (else the latest unconfirmed change)."""
    client = _client(request, client_id)
    script = _script(request.user, key)
    contact = _contact_from(request, client) or client.contacts.first()
    confirming = _confirming(request, client, request.GET) if key == CONFIRM else None
    if key == CONFIRM and confirming is None:
        confirming = latest_unconfirmed(client)
    text = texts.render(script.body, _context(request, client, contact, _agreement(confirming)))
    initial = {"text": text, "contact": contact.pk if contact else None}
    if isinstance(confirming, ChangeRecord):
        initial["change"] = confirming.pk
    elif isinstance(confirming, Expectation):
        initial["expectation"] = confirming.pk
    form = LogSentForm(client=client, profile=request.profile, initial=initial)
    return _script_page(request, client, script, form, confirming=confirming)


CONFIRM = "confirm_change"  # the built-in whose "log as sent" confirms what it is about


def _script_page(request, client, script, form, status=200, logged="", confirming=None):
    template = "scripts/client_script.html"
    if request.htmx and request.method == "POST":
        template += "#log-form"
    return render(
        request,
        template,
        {
            "client": client,
            "script": script,
            "form": form,
            "logged": logged,
            "confirming": confirming,
            "agreement": _agreement(confirming),
        },
        status=status,
    )


@require_POST
def log_script_sent(request, client_id: int, key: str):
    """An outbound interaction recording that the script was sent; its flags are evaluated at once
    (a reply owed resolves), and again by the worker once the transaction commits."""
    client = _client(request, client_id)
    script = _script(request.user, key)
    back = safe_next(request)
    confirming = _confirming(request, client, request.POST) if key == CONFIRM else None
    form = LogSentForm(request.POST, client=client, profile=request.profile)
    if not form.is_valid():
        return _script_page(request, client, script, form, status=422, confirming=confirming)
    text = " ".join(form.cleaned_data["text"].split())
    engagements = list(
        Engagement.objects.owned_by(request.user)
        .filter(client=client, status=Engagement.Status.ACTIVE)
        .values_list("pk", flat=True)[:2]
    )
    try:
        with transaction.atomic():
            interaction = log_interaction(
                client=client,
                direction=Interaction.Direction.OUTBOUND,
                channel=form.cleaned_data["channel"],
                contact=form.cleaned_data["contact"],
                engagement_id=engagements[0] if len(engagements) == 1 else None,
                occurred_at=timezone.now(),
                kind=script.kind,
                summary=Truncator(f"{script.title}: {text}" if text else script.title).chars(500),
                script=script.key,
                evaluate_now=True,
            )
            confirmed = _confirm_sent(confirming, interaction, text)
    except ValidationError as e:
        form.add_error(None, e.messages)
        return _script_page(request, client, script, form, status=422, confirming=confirming)
    when = timezone.localtime(interaction.occurred_at)
    notice = (
        f"Logged as sent to {client.name} by {interaction.get_channel_display().lower()}, "
        f"{when:%a %H:%M}."
    ) + (" The change is now confirmed in writing." if confirmed else "")
    if request.htmx:
        fresh = LogSentForm(client=client, profile=request.profile, initial=form.cleaned_data)
        response = _script_page(request, client, script, fresh, logged=notice)
        trigger_client_event(response, "flagsChanged")
        return trigger_client_event(response, "timelineChanged")
    messages.success(request, notice)
    if back:
        return redirect(back)
    return redirect("client-script", client_id=client.pk, key=script.key)


def _confirm_sent(confirming, interaction: Interaction, text: str) -> bool:
    """Confirm the change or expectation a confirmation script was about, the message sent as
    the reference: "Email of Mon 30 Nov 10:05: “As agreed today, …”"."""
    if confirming is None:
        return False
    when = formats.date_hm(timezone.localtime(interaction.occurred_at))
    sent = f"{interaction.get_channel_display()} of {when}: “{text}”"
    reference = Truncator(sent).chars(REFERENCE_LENGTH)
    if isinstance(confirming, ChangeRecord):
        return confirm_change(confirming, reference, interaction.occurred_at)
    confirm_expectation(confirming, reference, interaction.occurred_at)
    return True
