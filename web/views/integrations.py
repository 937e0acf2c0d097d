"""Settings → API tokens, Calendar feed, Webhooks, Import, Export and Account; and the calendar
feed itself (`/calendar/<token>.ics`, which the token alone opens).

A token, a feed address or a signing secret is shown once, on the page that answers the POST
that made it (never kept in the session or shown again). An import is read and previewed row by
row first; the upload waits in the cache until it is confirmed, then is read again and written
all at once (or, if a row is refused now, not at all).
"""

import uuid

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clients.models import FreelancerProfile
from integrations import account, calendar, csv_export, csv_import, webhooks
from integrations.csv_files import FileProblem
from integrations.models import ApiToken, CalendarFeed, WebhookEndpoint
from web.forms.integrations import (
    AccountImportForm,
    ApiTokenForm,
    CalendarFeedForm,
    DeleteAccountForm,
    ImportForm,
    WebhookForm,
)
from web.views.profile import posted

IMPORT_KEPT = 30 * 60  # seconds an upload waits for its confirmation
PREVIEW_ROWS = 500  # rows listed in a preview (refused ones first)


# API tokens ----------------------------------------------------------------------------------


def api_tokens(request):
    form, new_token = ApiTokenForm(posted(request)), ""
    if request.method == "POST" and form.is_valid():
        lifetime = form.lifetime()
        expires = timezone.now() + lifetime if lifetime else None
        row, new_token = ApiToken.issue(request.user.pk, form.cleaned_data["name"], expires)
        messages.success(
            request, f"Token “{row.name}” created. Copy it now: it is shown only once."
        )
        form = ApiTokenForm()
    return render(
        request,
        "settings/api_tokens.html",
        {
            "form": form,
            "tokens": ApiToken.objects.owned_by(request.user),
            "new_token": new_token,
            "now": timezone.now(),
            "api_base": request.build_absolute_uri("/api/v1/"),
        },
        status=422 if form.errors else 200,
    )


@require_POST
def api_token_revoke(request, pk):
    token = get_object_or_404(ApiToken.objects.owned_by(request.user), pk=pk)
    if token.revoke():
        messages.success(request, f"Token “{token.name}” revoked: it stops working now.")
    else:
        messages.info(request, f"Token “{token.name}” was already revoked.")
    return redirect("settings-api-tokens")


# Calendar feeds ------------------------------------------------------------------------------


def feed_url(request, token: str) -> str:
    return request.build_absolute_uri(reverse("calendar-feed", args=[token]))


def calendar_feeds(request):
    form = CalendarFeedForm(posted(request), owner=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            feed, token = CalendarFeed.issue(request.user.pk, form.cleaned_data["client"])
        except IntegrityError:  # made in another tab at the same moment
            form.add_error("client", "That feed was just made elsewhere: regenerate it below.")
        else:
            return _calendar_page(request, CalendarFeedForm(owner=request.user), feed, token)
    return _calendar_page(request, form)


def _calendar_page(request, form, feed: CalendarFeed | None = None, token: str = ""):
    """The feeds, and the address of a feed just made or regenerated (shown this once)."""
    return render(
        request,
        "settings/calendar.html",
        {
            "form": form,
            "feeds": CalendarFeed.objects.owned_by(request.user).select_related("client"),
            "new_feed": feed,
            "new_url": feed_url(request, token) if token else "",
        },
        status=422 if form.errors else 200,
    )


@require_POST
def calendar_feed_regenerate(request, pk):
    feed = get_object_or_404(CalendarFeed.objects.owned_by(request.user), pk=pk)
    token = feed.regenerate()
    messages.success(request, "New address made: the old one has stopped working.")
    return _calendar_page(request, CalendarFeedForm(owner=request.user), feed, token)


@require_POST
def calendar_feed_delete(request, pk):
    feed = get_object_or_404(CalendarFeed.objects.owned_by(request.user), pk=pk)
    feed.delete()
    messages.success(request, "Feed deleted: its address has stopped working.")
    return redirect("settings-calendar")


@login_not_required
@require_GET
def calendar_feed(request, token):
    """The .ics itself, for calendar apps (which have no session): the token is the key."""
    now = timezone.now()
    feed = CalendarFeed.find(token, now)
    if feed is None:
        raise Http404("No such calendar feed (it may have been regenerated).")
    profile = FreelancerProfile.for_user(feed.owner_id)
    found = calendar.moments(feed.owner_id, now, feed.client)
    name = f"Rapport: {feed.client.name}" if feed.client else "Rapport"
    body = calendar.build(found, profile.calendar(), now, name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="rapport.ics"'
    response["Cache-Control"] = "private, no-store"
    return response


# Webhooks ------------------------------------------------------------------------------------


def webhook_list(request):
    form = WebhookForm(posted(request), instance=WebhookEndpoint(owner=request.user))
    if request.method == "POST" and form.is_valid():
        secret = webhooks.new_secret()
        form.instance.secret = secret
        endpoint = form.save()
        messages.success(
            request,
            f"Webhook added for {endpoint.url}. Copy its signing secret now: it is shown only once.",
        )
        return _webhooks_page(request, WebhookForm(), secret)
    return _webhooks_page(request, form)


def _webhooks_page(request, form, secret: str = ""):
    """The endpoints, and a signing secret just made (shown this once)."""
    return render(
        request,
        "settings/webhooks.html",
        {
            "form": form,
            "endpoints": WebhookEndpoint.objects.owned_by(request.user),
            "secret": secret,
            "max_failures": webhooks.MAX_FAILURES,
        },
        status=422 if form.errors else 200,
    )


def _endpoint(request, pk) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint.objects.owned_by(request.user), pk=pk)


def webhook_edit(request, pk):
    endpoint = _endpoint(request, pk)
    form = WebhookForm(posted(request), instance=endpoint)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Webhook saved: {endpoint.url}.")
        return redirect("settings-webhooks")
    return render(
        request,
        "settings/webhook_edit.html",
        {"form": form, "endpoint": endpoint, "deliveries": endpoint.deliveries.all()[:20]},
        status=422 if form.errors else 200,
    )


@require_POST
def webhook_enable(request, pk):
    endpoint = _endpoint(request, pk)
    if webhooks.enable(endpoint):
        messages.success(
            request, f"Webhook enabled again: what failed is being sent to {endpoint.url}."
        )
    else:
        messages.info(request, "That webhook was not disabled.")
    return redirect("settings-webhooks")


@require_POST
def webhook_secret(request, pk):
    endpoint = _endpoint(request, pk)
    secret = webhooks.new_secret()
    endpoint.secret = secret
    endpoint.save(update_fields=["secret"])
    messages.success(request, "New signing secret: deliveries are signed with it from now on.")
    return _webhooks_page(request, WebhookForm(), secret)


@require_POST
def webhook_delete(request, pk):
    endpoint = _endpoint(request, pk)
    endpoint.delete()
    messages.success(request, f"Webhook deleted: nothing more is sent to {endpoint.url}.")
    return redirect("settings-webhooks")


# Import ----------------------------------------------------------------------------------------


PLANS = {"clients": csv_import.plan_clients, "interactions": csv_import.plan_interactions}


def _import_key(request, upload_id: str) -> str:
    return f"import:{request.user.pk}:{upload_id}"


def import_page(request):
    form = ImportForm(posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data["file"].read()
        kind = form.cleaned_data["kind"]
        try:
            plan = PLANS[kind](request.user.pk, data)
        except FileProblem as e:
            form.add_error("file", str(e))
        else:
            upload_id = uuid.uuid4().hex
            cache.set(_import_key(request, upload_id), (kind, data), IMPORT_KEPT)
            return _preview(request, plan, upload_id)
    return render(
        request,
        "settings/import.html",
        {"form": form},
        status=422 if form.errors else 200,
    )


def _preview(request, plan: csv_import.Plan, upload_id: str, status: int = 200):
    rows = sorted(plan.rows, key=lambda r: (r.action != csv_import.REFUSE, r.line))
    return render(
        request,
        "settings/import_preview.html",
        {
            "plan": plan,
            "rows": rows[:PREVIEW_ROWS],
            "hidden_rows": max(0, len(rows) - PREVIEW_ROWS),
            "counts": {a: plan.count(a) for a in ("create", "update", "unchanged", "refuse")},
            "upload_id": upload_id,
        },
        status=status,
    )


@require_POST
def import_confirm(request):
    upload_id = request.POST.get("upload", "")
    kept = cache.get(_import_key(request, upload_id)) if upload_id.isalnum() else None
    if kept is None:
        messages.error(
            request, "That upload has expired (after 30 minutes): upload the file again."
        )
        return redirect("settings-import")
    kind, data = kept
    plan = PLANS[kind](request.user.pk, data)  # read again: the account may have changed
    if plan.refused:
        messages.error(request, "Some rows are refused now; nothing was imported.")
        return _preview(request, plan, upload_id, status=422)
    try:
        plan.apply()
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
        return _preview(request, plan, upload_id, status=422)
    cache.delete(_import_key(request, upload_id))
    messages.success(
        request,
        f"Imported: {plan.count('create')} new, {plan.count('update')} updated, "
        f"{plan.count('unchanged')} unchanged.",
    )
    return redirect("client-list" if kind == "clients" else "dashboard")


@require_GET
def import_template(request):
    kind = "interactions" if request.GET.get("kind") == "interactions" else "clients"
    return _csv(csv_export.template_csv(kind), f"rapport-{kind}-template.csv")


# Export ----------------------------------------------------------------------------------------


def _csv(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text.encode(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_page(request):
    return render(request, "settings/export.html")


@require_GET
def export_clients(request):
    return _csv(csv_export.clients_csv(request.user.pk), "rapport-clients.csv")


@require_GET
def export_interactions(request):
    zone = request.profile.zone
    return _csv(csv_export.interactions_csv(request.user.pk, zone), "rapport-interactions.csv")


@require_GET
def export_flags(request):
    return _csv(csv_export.flags_csv(request.user.pk, request.profile.zone), "rapport-flags.csv")


@require_GET
def export_account(request):
    response = HttpResponse(account.export_account(request.user), content_type="application/zip")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="rapport-account-{stamp}.zip"'
    return response


# Account ---------------------------------------------------------------------------------------


def account_page(request):
    import_form = AccountImportForm()
    delete_form = DeleteAccountForm(user=request.user)
    status = 200
    if request.method == "POST" and "delete" in request.POST:
        delete_form = DeleteAccountForm(request.POST, user=request.user)
        if delete_form.is_valid():
            user = request.user
            logout(request)
            account.delete_account(user)
            messages.success(request, "Your account and everything in it have been deleted.")
            return redirect("login")
        status = 422
    elif request.method == "POST":
        import_form = AccountImportForm(request.POST, request.FILES)
        if import_form.is_valid():
            try:
                done = account.import_account(request.user, import_form.cleaned_data["file"].read())
            except account.AccountFileProblem as e:
                import_form.add_error("file", str(e))
            else:
                messages.success(request, f"Account imported: {done}.")
                return redirect("dashboard")
        status = 422
    return render(
        request,
        "settings/account.html",
        {
            "import_form": import_form,
            "delete_form": delete_form,
            "empty": account.is_empty(request.user.pk),
        },
        status=status,
    )
