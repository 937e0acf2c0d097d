"""The mailbox pages: Settings → Mailboxes (list, add, edit, delete, test, each mailbox's
page), the forwarding address, "Who is this?", and on the client page the suggestions of
logged mail and .eml uploads.

Plain forms that work without JavaScript (POST, then redirect with a message); HTMX only
refreshes a mailbox's status while it syncs and swaps a timeline item after a suggestion is
settled. Every lookup is scoped to the signed-in user: another user's mailbox, client or
interaction is a 404.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.formats import date_hm, plural
from clients.models import Client
from engagements.models import Interaction
from engagements.services import settle_suggestion
from inbox import forwarding, senders
from inbox.message import MessageError
from inbox.models import FolderCursor, ForwardingAddress, Mailbox, MailMessage
from inbox.sync import check_connection
from inbox.tasks import sync_one_mailbox
from web.forms.mail import (
    AddSenderForm,
    ForwardingAddressesForm,
    IgnoreSenderForm,
    MailboxForm,
    SuggestionForm,
    UploadForm,
)
from web.selectors.clients import Cursor, TimelineItem

# --- Settings → Mailboxes -------------------------------------------------------------------


def mailbox_list(request):
    mailboxes = list(Mailbox.objects.owned_by(request.user))
    return render(
        request,
        "mail/mailbox_list.html",
        {
            "mailboxes": mailboxes,
            "unknown": MailMessage.objects.owned_by(request.user)
            .filter(state=MailMessage.State.UNKNOWN, outbound=False)
            .values("from_address")
            .distinct()
            .count(),
        },
    )


def _sync_soon(mailbox: Mailbox) -> None:
    """Due now: the worker syncs it at once rather than at the next beat."""
    Mailbox.objects.filter(pk=mailbox.pk).update(next_sync_at=None)
    transaction.on_commit(lambda: sync_one_mailbox.delay(mailbox.pk))


def mailbox_create(request):
    form = MailboxForm(request.POST or None, instance=Mailbox(owner=request.user))
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            mailbox = form.save()
            _sync_soon(mailbox)
        check = check_connection(mailbox)
        _say_check(request, check, f"Added {mailbox}. ")
        return redirect("settings-mailbox", mailbox.pk)
    return render(request, "mail/mailbox_form.html", {"form": form, "mailbox": None})


def mailbox_edit(request, pk):
    mailbox = get_object_or_404(Mailbox.objects.owned_by(request.user), pk=pk, demo=False)
    form = MailboxForm(request.POST or None, instance=mailbox)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "test":  # try the values typed, save nothing
            check = check_connection(form.instance)
            return render(
                request,
                "mail/mailbox_form.html",
                {"form": form, "mailbox": mailbox, "check": check},
            )
        with transaction.atomic():
            changed = form.connection_changed()
            mailbox = form.save()
            if changed:  # another server or account: start afresh, and sync at once
                FolderCursor.objects.filter(mailbox=mailbox).delete()
                Mailbox.objects.filter(pk=mailbox.pk).update(
                    status=Mailbox.Status.NEW,
                    error_kind="",
                    last_error="",
                    failing_since=None,
                    failures=0,
                    first_sync_done=False,
                )
                _sync_soon(mailbox)
        messages.success(request, f"Saved {mailbox}.")
        return redirect("settings-mailbox", mailbox.pk)
    return render(request, "mail/mailbox_form.html", {"form": form, "mailbox": mailbox})


def mailbox_detail(request, pk):
    mailbox = get_object_or_404(Mailbox.objects.owned_by(request.user), pk=pk)
    template = "mail/mailbox_detail.html"
    if request.htmx:
        template += "#status"
    return render(request, template, _detail_context(mailbox))


def _detail_context(mailbox: Mailbox, **extra) -> dict:
    return {
        "mailbox": mailbox,
        "cursors": list(mailbox.cursors.all()),
        "now": timezone.now(),
    } | extra


@require_POST
def mailbox_test(request, pk):
    mailbox = get_object_or_404(Mailbox.objects.owned_by(request.user), pk=pk)
    if mailbox.demo:
        check = None
        messages.info(request, "This demo mailbox never connects: there is nothing to test.")
    else:
        check = check_connection(mailbox)
    return render(request, "mail/mailbox_detail.html", _detail_context(mailbox, check=check))


@require_POST
def mailbox_sync(request, pk):
    mailbox = get_object_or_404(Mailbox.objects.owned_by(request.user), pk=pk)
    if mailbox.demo:
        messages.info(request, "This demo mailbox never connects.")
    else:
        _sync_soon(mailbox)
        messages.success(request, f"{mailbox} will be synced in a moment.")
    return redirect("settings-mailbox", mailbox.pk)


def mailbox_delete(request, pk):
    mailbox = get_object_or_404(Mailbox.objects.owned_by(request.user), pk=pk)
    if request.method == "POST":
        name = str(mailbox)
        mailbox.delete()
        messages.success(
            request, f"Removed {name}. What it logged stays in your clients' timelines."
        )
        return redirect("settings-mailboxes")
    return render(request, "mail/mailbox_delete.html", {"mailbox": mailbox})


def _say_check(request, check, prefix: str = "") -> None:
    text = prefix + " ".join(check.lines)
    (messages.success if check.ok else messages.error)(request, text)


# --- The forwarding address -----------------------------------------------------------------


def forwarding_address(request):
    """GET: whether there is an address (only its last characters: it is shown once). POST
    `make`: a new address, shown on this response only; POST `addresses`: the addresses the
    freelancer writes from."""
    current = ForwardingAddress.objects.owned_by(request.user).first()
    form = ForwardingAddressesForm(instance=current)
    shown = None
    if request.method == "POST" and request.POST.get("action") == "make":
        shown = forwarding.new_address(request.user.pk)
        current = ForwardingAddress.objects.owned_by(request.user).first()
        form = ForwardingAddressesForm(instance=current)
    elif request.method == "POST" and current is not None:
        form = ForwardingAddressesForm(request.POST, instance=current)
        if form.is_valid():
            form.save()
            messages.success(request, "Your addresses are saved.")
            return redirect("settings-forwarding")
    response = render(
        request,
        "mail/forwarding.html",
        {"current": current, "form": form, "shown": shown, "domain": settings.INBOUND_DOMAIN},
    )
    response["Cache-Control"] = "no-store"  # the address is in it once
    return response


# --- Who is this? ---------------------------------------------------------------------------

SENDERS_SHOWN = 100


def unknown_senders(request):
    clients = list(Client.objects.owned_by(request.user).only("pk", "name"))
    rows = [
        (
            sender,
            AddSenderForm(
                owner=request.user,
                clients=clients,
                initial={"address": sender.address, "name": sender.name},
                auto_id=f"id_{n}_%s",
            ),
        )
        for n, sender in enumerate(senders.unknown_senders(request.user.pk, SENDERS_SHOWN))
    ]
    return render(request, "mail/unknown_senders.html", {"rows": rows, "clients": clients})


@require_POST
def unknown_sender_add(request):
    form = AddSenderForm(request.POST, owner=request.user)
    if not form.is_valid():
        messages.error(request, "Nothing was added: " + _errors(form))
        return redirect("mail-unknown")
    address = form.cleaned_data["address"].lower()
    client = form.cleaned_data["client"]
    if not senders.is_unknown_sender(request.user.pk, address):
        messages.info(request, f"{address} is not on the list any more: nothing to add.")
        return redirect("mail-unknown")
    try:
        contact, logged = senders.add_to_client(client, address, form.cleaned_data["name"])
    except ValidationError as e:
        messages.error(request, "Nothing was added: " + " ".join(e.messages))
        return redirect("mail-unknown")
    messages.success(
        request,
        f"Added {contact.name} <{address}> to {client.name}: "
        f"{plural(logged, 'past message')} logged.",
    )
    return redirect("mail-unknown")


@require_POST
def unknown_sender_ignore(request):
    form = IgnoreSenderForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was ignored: " + _errors(form))
        return redirect("mail-unknown")
    address = form.cleaned_data["address"].lower()
    forgotten = senders.ignore(request.user.pk, address)
    messages.success(
        request, f"Ignoring {address} from now on ({plural(forgotten, 'message')} forgotten)."
    )
    return redirect("mail-unknown")


def _errors(form) -> str:
    return " ".join(message for errors in form.errors.values() for message in errors)


# --- On the client page: suggestions and .eml uploads ---------------------------------------


@require_POST
def interaction_suggestion(request, pk):
    """Confirm or change a suggested tone or needs-reply. HTMX: the timeline item again;
    otherwise back to the client page with a message."""
    interaction = get_object_or_404(
        Interaction.objects.owned_by(request.user).select_related("client", "contact", "mail"),
        pk=pk,
    )
    form = SuggestionForm(request.POST)
    error = None
    if form.is_valid():
        try:
            settle_suggestion(
                interaction,
                tone=form.cleaned_data["tone"] or None,
                needs_reply=form.cleaned_data["needs_reply"],
            )
        except ValidationError as e:
            error = " ".join(e.messages)
            interaction.refresh_from_db()
    else:
        error = _errors(form)
    if request.htmx:
        item = TimelineItem(
            "interaction",
            interaction.occurred_at,
            interaction,
            Cursor(interaction.occurred_at, "i", interaction.pk),
        )
        response = render(
            request,
            "clients/client_timeline.html#timeline-item",
            {"item": item, "client": interaction.client, "error": error},
        )
        response["HX-Trigger"] = "flagsChanged"
        return response
    if error:
        messages.error(request, f"Nothing was changed: {error}")
    else:
        messages.success(request, "Saved: that is no longer a suggestion.")
    return redirect(
        reverse("client-detail", args=[interaction.client_id]) + f"#interaction-{interaction.pk}"
    )


@require_POST
def client_mail_upload(request, pk):
    client = get_object_or_404(Client.objects.owned_by(request.user), pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Nothing was logged: choose an .eml file first.")
        return redirect("client-detail", client.pk)
    upload = form.cleaned_data["message"]
    if upload.size > forwarding.MAX_MESSAGE_BYTES:
        messages.error(request, "Nothing was logged: the file is larger than 25 MB.")
        return redirect("client-detail", client.pk)
    try:
        result = forwarding.upload(client, upload.read())
    except MessageError as e:
        messages.error(request, f"Nothing was logged: that file is not an email message ({e}).")
        return redirect("client-detail", client.pk)
    mail = result.mail
    who = mail.sender.name or mail.sender.email if mail.sender else "an unknown sender"
    when = date_hm(timezone.localtime(mail.sent_at))
    if result.logged:
        messages.success(request, f"Logged the email from {who}, {when}: “{mail.subject}”.")
    else:
        messages.info(request, f"The email from {who}, {when}, is already in the log.")
    return redirect("client-detail", client.pk)
