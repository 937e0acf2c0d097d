"""Acknowledge, snooze and resolve a flag: POST only, the owner's flags only (else 404).

With htmx the answer is the dashboard's live fragment and an HX-Trigger `flagsChanged`; without
JavaScript it is a redirect back (to `next` if it is one of ours, else the dashboard), or on bad
input a small page with the form and its errors.

An agreement not yet in writing (an undocumented-agreement flag) can also be confirmed in writing
from here, which confirms its change or expectation and so resolves it for good.

The snooze and resolve forms are not on the dashboard itself (they would repeat for every flag):
`GET /flags/<pk>/` (`actions`) serves them, as a page of their own without JavaScript and as the
bare forms for htmx, which the dashboard swaps into the flag's item.
"""

from urllib.parse import parse_qs, urlsplit

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from clients.formats import date_hm
from clients.scripts import script_url_for_flag
from engagements import documentation
from engagements.models import ChangeRecord, Expectation, Flag, Rule
from web import wording
from web.forms.clients import ConfirmForm
from web.forms.dashboard import ResolveForm, SnoozeForm
from web.views.common import safe_next
from web.views.dashboard import (
    SECTIONS,
    TEMPLATE,
    dashboard_context,
    expanded,
    keep_inputs,
    snooze_default,
)

# The snooze and resolve forms of one flag (and confirm, for an agreement not in writing): the
# fragment, and what the page and the dashboard's failed re-render include.
FORM = "dashboard/_flag_form.html"
ACTIONS = ("snooze", "resolve", "confirm")
PAST = {"snooze": "snoozed", "resolve": "resolved", "confirm": "confirmed"}


def _flag(request, pk) -> Flag:
    return get_object_or_404(Flag.objects.owned_by(request.user).select_related("client"), pk=pk)


@require_safe
def actions(request, pk):
    """The flag's snooze and resolve forms. `next` is the dashboard page to go back to (with its
    `all=` sections, which the forms carry along so that the answer keeps them expanded)."""
    flag = _flag(request, pk)
    back = safe_next(request) or reverse("dashboard") + "#flags"
    expand = expanded(request) or frozenset(
        v for v in parse_qs(urlsplit(back).query).get("all", []) if v in SECTIONS
    )
    flag.urls = {a: reverse(f"flag-{a}", args=[flag.pk]) for a in ACTIONS}
    flag.script_url = script_url_for_flag(flag)
    now = timezone.now()
    context = {
        "flag": flag,
        "next": back,
        "keep_inputs": keep_inputs(expand),
        "snooze_default": snooze_default(request.profile.calendar(), now),
    }
    if request.htmx:
        first = "reference" if flag.rule == Rule.UNDOCUMENTED else "until"
        response = render(request, FORM, context | {"inline": True, "focus": first})
    else:
        words = wording.Words(now)
        context["figures_text"] = words.flag_figures(flag)
        context["state_text"] = words.flag_state(flag)
        response = render(request, "dashboard/flag_actions.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_POST
def acknowledge(request, pk):
    flag, back = _flag(request, pk), safe_next(request)
    changed = flag.acknowledge()
    if flag.clears_on_acknowledge:
        return _done(request, back, changed, f"Acknowledged and cleared: {flag.summary}.")
    return _done(request, back, changed, f"Acknowledged: {flag.summary}.")


@require_POST
def snooze(request, pk):
    flag, back = _flag(request, pk), safe_next(request)
    form = SnoozeForm(request.POST)
    if form.is_valid():
        until = form.cleaned_data["until"]
        try:
            changed = flag.snooze(until, form.cleaned_data["reason"])
        except ValueError as e:  # the model's own checks, should the form miss one
            form.add_error(None, str(e))
        else:
            when = date_hm(timezone.localtime(until))
            return _done(request, back, changed, f"Snoozed until {when}: {flag.summary}.")
    return _failed(request, flag, "snooze", form)


@require_POST
def confirm(request, pk):
    """An undocumented agreement confirmed in writing: its change or expectation is confirmed
    (engagements.documentation), which resolves the flag."""
    flag, back = _flag(request, pk), safe_next(request)
    form = ConfirmForm(request.POST)
    if flag.rule != Rule.UNDOCUMENTED:
        form.add_error(None, "Only an agreement not yet in writing can be confirmed.")
    elif form.is_valid():
        reference = form.cleaned_data["reference"]
        if flag.change_record_id:
            record = ChangeRecord.objects.owned_by(request.user).get(pk=flag.change_record_id)
            changed = documentation.confirm_change(record, reference)
        else:
            expectation = Expectation.objects.owned_by(request.user).get(pk=flag.expectation_id)
            documentation.confirm_expectation(expectation, reference)
            changed = True
        return _done(request, back, changed, f"Confirmed in writing ({reference}): {flag.summary}.")
    return _failed(request, flag, "confirm", form)


@require_POST
def resolve(request, pk):
    flag, back = _flag(request, pk), safe_next(request)
    form = ResolveForm(request.POST)
    if form.is_valid():
        changed = flag.resolve(form.cleaned_data["note"])
        return _done(request, back, changed, f"Resolved: {flag.summary}.")
    return _failed(request, flag, "resolve", form)


STALE = (
    "That flag had already changed (another tab, or the rules cleared it); here it is as it is now."
)


def _done(request, back: str | None, changed: bool, notice: str):
    notice = notice if changed else STALE
    if request.htmx:
        context = dashboard_context(request, expanded(request))
        context["notice"] = notice
        response = render(request, TEMPLATE + "#live", context)
        return trigger_client_event(response, "flagsChanged")
    (messages.success if changed else messages.info)(request, notice)
    return redirect(back or "dashboard")


def _failed(request, flag: Flag, action: str, form):
    """Bad input: the form again with its errors and the user's input; nothing changed."""
    if request.htmx:
        context = dashboard_context(request, expanded(request))
        # The form opens again beside its flag, the first field in error focused.
        focus = next((name for name in form.fields if name in form.errors), next(iter(form.fields)))
        context["failed"] = {"flag_id": flag.pk, "action": action, "form": form, "focus": focus}
        problems = " ".join(e for errors in form.errors.values() for e in errors)
        context["notice"] = f"Not {PAST[action]}: {problems}"
        return render(request, TEMPLATE + "#live", context)
    return render(
        request,
        "dashboard/flag_action.html",
        {"flag": flag, "action": action, "form": form, "next": safe_next(request)},
        status=422,
    )
