"""Log an interaction: the dashboard's quick form (htmx) and a full page for no-JS browsers."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django_htmx.http import trigger_client_event

from clients.models import Client
from engagements.services import log_interaction
from web import wording
from web.forms.dashboard import InteractionForm
from web.views.common import id_param, safe_next

PAGE = "dashboard/log_interaction.html"


def new_interaction(request):
    """GET: the form (a client can be preselected with ?client=<id>). POST: save it, evaluate that
    client's flags at once, and answer with a fresh form plus `flagsChanged` (htmx) or a
    redirect; on bad input, the form again with the errors beside the fields and nothing saved."""
    if request.method != "POST":
        initial = {}
        if client_id := id_param(request.GET.get("client")):
            initial["client"] = (
                Client.objects.owned_by(request.user)
                .filter(pk=client_id)
                .values_list("pk", flat=True)
                .first()
            )
        form = InteractionForm(owner=request.user, initial=initial)
        return render(request, PAGE, {"form": form, "next": safe_next(request)})

    back = safe_next(request)
    form = InteractionForm(request.POST, owner=request.user)
    if form.is_valid():
        client = form.cleaned_data["client"]
        try:
            # Evaluated here, not only by the worker: the flags show at once.
            interaction = log_interaction(
                client=client, evaluate_now=True, **form.interaction_fields()
            )
        except ValidationError as e:  # the model's rules, checked again as it saves
            form.add_model_errors(e)
        else:
            return _saved(request, interaction, back)
    if request.htmx:
        return render(request, "dashboard/dashboard.html#log-form", {"form": form})
    return render(request, PAGE, {"form": form, "next": back}, status=422)


def _saved(request, interaction, back: str | None):
    when = wording.Words(timezone.now()).when(interaction.occurred_at)
    notice = (
        f"Logged: {interaction.get_direction_display().split(' (')[0].lower()} "
        f"{interaction.get_channel_display().lower()} with {interaction.client.name}, {when}."
    )
    if interaction.out_of_hours:
        notice += " It was outside your working hours."
    if request.htmx:
        fresh = InteractionForm(owner=request.user)
        response = render(
            request, "dashboard/dashboard.html#log-form", {"form": fresh, "saved": notice}
        )
        return trigger_client_event(response, "flagsChanged")
    messages.success(request, notice)
    return redirect(back or "dashboard")
