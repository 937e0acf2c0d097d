"""Client pages: the list, create and edit with the boundaries editor, the client page and its
timeline. Every lookup goes through `.owned_by(request.user)`: another user's client is a 404."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from clients import heatmap, hours
from clients.formats import plural
from clients.models import Boundaries, Channel, Client
from clients.services import create_client
from clients.timezones import timezone_names
from engagements import documentation
from engagements.models import Engagement
from engagements.services import evaluate_soon
from web.forms.clients import (
    BoundariesForm,
    ChangeNoteForm,
    ClientFilterForm,
    ClientForm,
    confirmation_of,
)
from web.forms.mail import UploadForm
from web.selectors import clients as selectors

HEATMAP_PERIOD = timedelta(weeks=12)


def client_list(request):
    filters = ClientFilterForm(request.GET)
    values, notices = filters.usable()
    now = timezone.now()
    clients = list(
        selectors.clients_with_figures(
            request.user, now, search=values["q"], status=values["status"], flags=values["flags"]
        )
    )
    template = "clients/client_list.html"
    if request.htmx:
        template += "#results"
    return render(
        request,
        template,
        {
            "clients": clients,
            "now": now,
            "filters": filters,
            "filtering": any(values.values()),
            "notices": notices,
        },
    )


def _form_page(request, client, client_form, boundaries_form, note_form=None, name=""):
    return render(
        request,
        "clients/client_form.html",
        {
            "client": client,
            "name": name,  # as saved: the form may hold a name that was refused
            "form": client_form,
            "boundaries_form": boundaries_form,
            "note_form": note_form,
            "zones": timezone_names(),
        },
    )


def client_create(request):
    defaults = Boundaries.defaults_from(request.profile)
    if request.method != "POST":
        client_form = ClientForm(initial={"timezone": request.profile.timezone})
        return _form_page(request, None, client_form, BoundariesForm(prefix="b", defaults=defaults))

    client_form = ClientForm(request.POST, instance=Client(owner=request.user))
    boundaries_form = BoundariesForm(request.POST, prefix="b", defaults=defaults)
    if client_form.is_valid() and boundaries_form.is_valid():
        try:
            client = create_client(
                owner=request.user,
                boundaries=boundaries_form.values(),
                **{name: client_form.cleaned_data[name] for name in ClientForm.Meta.fields},
            )
        except ValidationError as e:  # e.g. the same name saved a moment ago in another tab
            client_form.add_error(None, e)
        else:
            messages.success(request, f"Added {client.name}.")
            return redirect("client-detail", client.pk)
    return _form_page(request, None, client_form, boundaries_form)


def client_edit(request, pk):
    client = get_object_or_404(
        Client.objects.owned_by(request.user).select_related("boundaries"), pk=pk
    )
    boundaries = selectors.boundaries_of(client, request.profile)
    name = client.name
    if request.method != "POST":
        return _form_page(
            request,
            client,
            ClientForm(instance=client),
            BoundariesForm(instance=boundaries, prefix="b"),
            ChangeNoteForm(prefix="change"),
            name,
        )

    client_form = ClientForm(request.POST, instance=client)
    boundaries_form = BoundariesForm(request.POST, instance=boundaries, prefix="b")
    note_form = ChangeNoteForm(request.POST, prefix="change")
    forms_valid = [f.is_valid() for f in (client_form, boundaries_form, note_form)]
    if all(forms_valid):
        with transaction.atomic():
            client_form.save()
            boundaries_form.instance.change_note = note_form.note()
            changed = bool(boundaries_form.instance.tracked_changes())
            boundaries_form.save()
            reference = confirmation_of(boundaries_form, note_form, "confirmed_in_writing_at")
            confirmed = reference and documentation.confirm_pending(
                documentation.boundary_changes(client.pk), reference
            )
            evaluate_soon(client.owner_id, client.pk)
        messages.success(
            request,
            f"Saved {client.name}."
            + (" The boundary change is in the timeline." if changed else "")
            + (
                f" {plural(confirmed, 'earlier change')} confirmed in writing ({reference})."
                if confirmed
                else ""
            ),
        )
        return redirect("client-detail", client.pk)
    return _form_page(request, client, client_form, boundaries_form, note_form, name)


def client_detail(request, pk):
    client = get_object_or_404(
        Client.objects.owned_by(request.user).select_related("boundaries"), pk=pk
    )
    try:
        boundaries = client.boundaries
    except Boundaries.DoesNotExist:
        boundaries = None
    now = timezone.now()
    calendar = request.profile.calendar()
    engagements = (
        Engagement.objects.owned_by(request.user)
        .filter(client=client)
        .prefetch_related("expectations")
    )
    items, next_cursor = selectors.timeline(client)
    shared = hours.shared_hours(calendar, client.zone, now)
    moments = selectors.inbound_moments(client, since=now - 2 * HEATMAP_PERIOD)
    recent, earlier = heatmap.split_by_age(moments, now, HEATMAP_PERIOD)
    grid = heatmap.build_heatmap(recent, calendar)
    earlier_share = heatmap.out_of_hours_share(earlier, calendar)
    return render(
        request,
        "clients/client_detail.html",
        {
            "client": client,
            "boundaries": boundaries,
            "now": now,
            "my_zone": calendar.tz,
            "channels": [
                Channel(c).label for c in boundaries.agreed_channels if c in Channel.values
            ]
            if boundaries
            else [],
            "shared": shared,
            "shared_rows": [(s.on(calendar.tz), s.on(client.zone)) for s in shared.yours]
            if shared
            else [],
            "overlap_rows": [(s.on(calendar.tz), s.on(client.zone)) for s in shared.overlap]
            if shared
            else [],
            "engagements": engagements,
            "items": items,
            "next_cursor": next_cursor,
            "heatmap": grid,
            "heatmap_weeks": HEATMAP_PERIOD.days // 7,
            "earlier_percent": None if earlier_share is None else round(earlier_share * 100),
            "hours": [f"{h:02d}" for h in range(24)],
            "days": heatmap.DAY_ABBR,
            "upload_form": UploadForm(auto_id="upload_%s"),
        },
    )


def client_timeline(request, pk):
    """Older timeline items: rows for htmx (infinite scroll), a page of its own without JS."""
    client = get_object_or_404(Client.objects.owned_by(request.user), pk=pk)
    raw = request.GET.get("before")
    before = selectors.Cursor.parse(raw)
    if raw and before is None and not request.htmx:
        messages.info(request, "That link to older items was not understood: showing the newest.")
    items, next_cursor = selectors.timeline(client, before)
    template = "clients/client_timeline.html"
    if request.htmx:
        template += "#timeline-items"
    return render(
        request,
        template,
        {"client": client, "items": items, "next_cursor": next_cursor, "older": before},
    )
