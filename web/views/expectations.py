"""Engagements and expectations, created and edited from the client page.

Without JavaScript each form is a page of its own that redirects back to the client page. With
htmx the form replaces the thing it edits, and a successful save swaps in the refreshed
engagement (or the engagement list) and tells the timeline to reload ("timelineChanged"), since
a changed due date, title or scope has just written a change record.
"""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django_htmx.http import reswap, retarget, trigger_client_event

from clients.formats import plural
from clients.models import Client
from engagements import documentation
from engagements.models import ChangeRecord, Engagement, Expectation
from engagements.services import evaluate_soon
from web.forms.clients import ChangeNoteForm, confirmation_of
from web.forms.expectations import EngagementForm, ExpectationForm


def _form(request, context):
    template = "clients/inline_form.html"
    if request.htmx:
        template += "#form"
        if request.method == "GET":  # the link that opened the form is gone: focus the form
            first = next(iter(context["form"].fields.values()))
            first.widget.attrs["autofocus"] = True
    return render(request, template, context)


def _detail(client, anchor):
    return reverse("client-detail", args=[client.pk]) + f"#{anchor}"


def _save(request, form, client, anchor, template, context, note_form=None, confirm=None):
    """Save the form (an edit with its change note), confirm in writing what the person said
    was (`confirm(reference)`, for changes made before this edit), have the client's flags
    re-evaluated after commit; then back to the client page with a message (plain POST), or the
    refreshed block swapped in with the message beside it (htmx)."""
    with transaction.atomic():
        if note_form is not None:
            form.instance.change_note = note_form.note()
        form.save()
        notice = f"Saved “{form.instance}”."
        reference = confirmation_of(form, note_form) if confirm else ""
        if reference and (done := confirm(reference)):
            notice += f" {plural(done, 'earlier change')} confirmed in writing ({reference})."
        evaluate_soon(client.owner_id, client.pk)
    if not request.htmx:
        messages.success(request, notice)
        return redirect(_detail(client, anchor))
    response = render(request, template, {"client": client, "notice": notice, **context})
    response = reswap(retarget(response, f"#{anchor}"), "outerHTML")
    return trigger_client_event(response, "timelineChanged")


def engagement_create(request, pk):
    client = get_object_or_404(Client.objects.owned_by(request.user), pk=pk)
    form = EngagementForm(
        request.POST or None, instance=Engagement(client=client), auto_id="new-engagement_%s"
    )
    if request.method == "POST" and form.is_valid():
        engagements = Engagement.objects.owned_by(request.user).filter(client=client)
        return _save(
            request,
            form,
            client,
            "engagements",
            "clients/_engagements.html",
            {"engagements": engagements.prefetch_related("expectations")},
        )
    return _form(
        request,
        {
            "client": client,
            "heading": f"New engagement with {client.name}",
            "form": form,
            "action": reverse("engagement-create", args=[client.pk]),
            "wrapper_id": "new-engagement",
            "cancel": _detail(client, "engagements"),
            "submit": "Add engagement",
        },
    )


def engagement_edit(request, pk):
    engagement = get_object_or_404(
        Engagement.objects.owned_by(request.user).select_related("client"), pk=pk
    )
    client, anchor = engagement.client, f"engagement-{engagement.pk}"
    heading = f"Edit {engagement.title}"
    form = EngagementForm(request.POST or None, instance=engagement, auto_id=f"{anchor}_%s")
    note_form = ChangeNoteForm(request.POST or None, prefix="change", auto_id=f"{anchor}_%s")
    if request.method == "POST" and all([form.is_valid(), note_form.is_valid()]):
        return _save(
            request,
            form,
            client,
            anchor,
            "clients/_engagement.html",
            {"engagement": engagement},
            note_form,
            lambda ref: documentation.confirm_pending(
                ChangeRecord.objects.filter(engagement=engagement, subject="engagement"), ref
            ),
        )
    return _form(
        request,
        {
            "client": client,
            "heading": heading,
            "form": form,
            "note_form": note_form,
            "note_about": "the title, scope or end date",
            "action": reverse("engagement-edit", args=[engagement.pk]),
            "wrapper_id": anchor,
            "cancel": _detail(client, anchor),
            "submit": "Save engagement",
        },
    )


def expectation_create(request, pk):
    engagement = get_object_or_404(
        Engagement.objects.owned_by(request.user).select_related("client"), pk=pk
    )
    client = engagement.client
    form = ExpectationForm(
        request.POST or None,
        instance=Expectation(engagement=engagement),
        auto_id=f"new-expectation-{engagement.pk}_%s",
    )
    if request.method == "POST" and form.is_valid():
        return _save(
            request,
            form,
            client,
            f"engagement-{engagement.pk}",
            "clients/_engagement.html",
            {"engagement": engagement},
        )
    return _form(
        request,
        {
            "client": client,
            "heading": f"New expectation in {engagement.title}",
            "form": form,
            "action": reverse("expectation-create", args=[engagement.pk]),
            "wrapper_id": f"new-expectation-{engagement.pk}",
            "cancel": _detail(client, f"engagement-{engagement.pk}"),
            "submit": "Add expectation",
        },
    )


def expectation_edit(request, pk):
    expectation = get_object_or_404(
        Expectation.objects.owned_by(request.user).select_related("engagement", "client"), pk=pk
    )
    engagement, client = expectation.engagement, expectation.client
    heading = f"Edit {expectation.title}"
    anchor = f"expectation-{expectation.pk}"
    form = ExpectationForm(request.POST or None, instance=expectation, auto_id=f"{anchor}_%s")
    note_form = ChangeNoteForm(request.POST or None, prefix="change", auto_id=f"{anchor}_%s")
    if request.method == "POST" and all([form.is_valid(), note_form.is_valid()]):
        return _save(
            request,
            form,
            client,
            f"engagement-{engagement.pk}",
            "clients/_engagement.html",
            {"engagement": engagement},
            note_form,
            lambda ref: documentation.confirm_pending(expectation.change_records.all(), ref),
        )
    return _form(
        request,
        {
            "client": client,
            "heading": heading,
            "form": form,
            "note_form": note_form,
            "note_about": "what is owed, the due date or who owes it",
            "action": reverse("expectation-edit", args=[expectation.pk]),
            "wrapper_id": anchor,
            "cancel": _detail(client, f"engagement-{engagement.pk}"),
            "submit": "Save expectation",
        },
    )
