"""Confirm in writing after the fact: a change record (from the timeline), an expectation, a
client's boundaries. GET is a page of its own (the form, what is confirmed, the script that
drafts the written confirmation); POST confirms and goes back (to `next` if it is ours, else the
client page), with a message. Another user's change, expectation or client is a 404."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from clients.models import Client
from clients.scripts import script_url
from engagements import documentation
from engagements.models import ChangeRecord, Expectation
from web.forms.clients import ConfirmForm
from web.middleware import ProfiledRequest
from web.selectors.clients import boundaries_of
from web.views.common import safe_next


def confirm_change(request: ProfiledRequest, pk: int) -> HttpResponse:
    record = get_object_or_404(
        ChangeRecord.objects.owned_by(request.user).select_related(
            "client", "expectation", "engagement"
        ),
        pk=pk,
    )
    return _confirm(
        request,
        record.client,
        what=f"{record.headline}: {record.from_shown or '(empty)'} → {record.to_shown or '(empty)'}",
        already=record.confirmed_in_writing,
        confirm=lambda ref: documentation.confirm_change(record, ref),
        draft=f"{script_url(record.client_id, 'confirm_change')}?change={record.pk}",
        action=reverse("change-confirm", args=[record.pk]),
    )


def confirm_expectation(request: ProfiledRequest, pk: int) -> HttpResponse:
    expectation = get_object_or_404(
        Expectation.objects.owned_by(request.user).select_related("client"), pk=pk
    )
    return _confirm(
        request,
        expectation.client,
        what=f"Expectation “{expectation.title}” as it stands now, and its changes",
        already=expectation.confirmed_in_writing
        and not expectation.change_records.filter(confirmed_in_writing=False).exists(),
        confirm=lambda ref: documentation.confirm_expectation(expectation, ref),
        draft=f"{script_url(expectation.client_id, 'confirm_change')}?expectation={expectation.pk}",
        action=reverse("expectation-confirm", args=[expectation.pk]),
    )


def confirm_boundaries(request: ProfiledRequest, pk: int) -> HttpResponse:
    client = get_object_or_404(Client.objects.owned_by(request.user), pk=pk)
    boundaries = boundaries_of(client, request.profile)
    if boundaries.pk is None:  # made in the admin without boundaries: nothing to confirm yet
        messages.info(request, f"{client.name} has no boundaries to confirm yet.")
        return redirect("client-edit", client.pk)
    return _confirm(
        request,
        client,
        what=f"The boundaries agreed with {client.name} as they stand now, and their changes",
        already=False,
        confirm=lambda ref: documentation.confirm_boundaries(boundaries, ref),
        draft=script_url(client.pk, "confirm_change"),
        action=reverse("boundaries-confirm", args=[client.pk]),
    )


def _confirm(
    request: ProfiledRequest,
    client: Client,
    *,
    what: str,
    already: bool,
    confirm: Callable[[str], object],
    draft: str,
    action: str,
) -> HttpResponse:
    back = safe_next(request) or reverse("client-detail", args=[client.pk]) + "#timeline"
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        reference = form.cleaned_data["reference"]
        if confirm(reference) is False:  # a change confirmed meanwhile (another tab)
            messages.info(request, f"That was already confirmed in writing: {what}.")
        else:
            messages.success(request, f"Confirmed in writing ({reference}): {what}.")
        return redirect(back)
    return render(
        request,
        "clients/confirm.html",
        {
            "client": client,
            "form": form,
            "what": what,
            "already": already,
            "draft": draft,
            "action": action,
            "next": back,
        },
        status=422 if request.method == "POST" else 200,
    )
