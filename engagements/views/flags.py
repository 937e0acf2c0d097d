"""Acknowledge, snooze and resolve a flag: POST only, the owner's flags only (else 404).

With htmx the answer is the dashboard's live fragment and an HX-Trigger `flagsChanged`; without
JavaScript it is a redirect back (to `next` if it is one of ours, else the dashboard), or on bad
input a small page with the form and its errors.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from engagements.forms import ResolveForm, SnoozeForm
from engagements.models import Flag
from engagements.views import wording
from engagements.views.common import safe_next
from engagements.views.dashboard import TEMPLATE, dashboard_context, expanded


def _flag(request, pk) -> Flag:
    return get_object_or_404(Flag.objects.owned_by(request.user).select_related("client"), pk=pk)


@require_POST
def acknowledge(request, pk):
    flag = _flag(request, pk)
    changed = flag.acknowledge()
    if flag.clears_on_acknowledge:
        return _done(request, changed, f"Acknowledged and cleared: {flag.summary}.")
    return _done(request, changed, f"Acknowledged: {flag.summary}.")


@require_POST
def snooze(request, pk):
    flag = _flag(request, pk)
    form = SnoozeForm(request.POST)
    if form.is_valid():
        until = form.cleaned_data["until"]
        try:
            changed = flag.snooze(until, form.cleaned_data["reason"])
        except ValueError as e:  # the model's own checks, should the form miss one
            form.add_error(None, str(e))
        else:
            when = wording.date_hm(timezone.localtime(until))
            return _done(request, changed, f"Snoozed until {when}: {flag.summary}.")
    return _failed(request, flag, "snooze", form)


@require_POST
def resolve(request, pk):
    flag = _flag(request, pk)
    form = ResolveForm(request.POST)
    if form.is_valid():
        changed = flag.resolve(form.cleaned_data["note"])
        return _done(request, changed, f"Resolved: {flag.summary}.")
    return _failed(request, flag, "resolve", form)


STALE = (
    "That flag had already changed (another tab, or the rules cleared it); here it is as it is now."
)


def _done(request, changed: bool, notice: str):
    notice = notice if changed else STALE
    if request.htmx:
        context = dashboard_context(request, expanded(request))
        context["notice"] = notice
        response = render(request, TEMPLATE + "#live", context)
        return trigger_client_event(response, "flagsChanged")
    (messages.success if changed else messages.info)(request, notice)
    return redirect(safe_next(request) or "dashboard")


def _failed(request, flag: Flag, action: str, form):
    """Bad input: the form again with its errors and the user's input; nothing changed."""
    if request.htmx:
        context = dashboard_context(request, expanded(request))
        context["failed"] = {"flag_id": flag.pk, "action": action, "form": form}
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        context["notice"] = f"Not {'snoozed' if action == 'snooze' else 'resolved'}: {problems}"
        return render(request, TEMPLATE + "#live", context)
    return render(
        request,
        "dashboard/flag_action.html",
        {"flag": flag, "action": action, "form": form, "next": safe_next(request)},
        status=422,
    )
