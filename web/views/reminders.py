"""Follow-up reminders: /email/reminders/ lists them, /email/reminders/new/?client=<id> schedules
one ("remind me to check in with Acme on Tuesday"), /email/reminders/cancel/ cancels one.

The client page links here with `{% url 'reminder-new' %}?client={{ client.pk }}` (add
`&next=<its path>` to come back). Another user's client or reminder is a 404.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.models import Client
from clients.validation import validate_date_in_range
from engagements import emails
from engagements.models import FollowUp, OutboundEmail
from web.forms.dashboard import LocalDateTimeInput
from web.forms.messages import PlainMessages
from web.views.common import id_param, safe_next

RECENT_DAYS = 30


class FollowUpForm(PlainMessages, forms.Form):
    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Choose a client…")
    note = forms.CharField(
        label="Remind me to",
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "check in about the launch"}),
    )
    remind_at = forms.DateTimeField(
        label="When",
        widget=LocalDateTimeInput(),
        validators=[validate_date_in_range],
        help_text="Your time. Outside your working hours, the reminder waits for the start of "
        "your next working window.",
    )

    def __init__(self, *args, owner, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = Client.objects.owned_by(owner).exclude(
            status=Client.Status.ENDED
        )


def _owned_client(request) -> Client | None:
    """The client named by ?client=, which must be the user's (else 404); None if not given."""
    raw = request.GET.get("client")
    if not raw:
        return None
    return get_object_or_404(Client.objects.owned_by(request.user), pk=id_param(raw))


def _default_moment(profile, now):
    """The start of the next working day's first window: "tomorrow morning"."""
    cal = profile.calendar()
    day = emails.next_working_day(cal, now.astimezone(cal.tz).date())
    moment = emails.first_window_start(cal, day) if day else None
    return timezone.localtime(moment).replace(second=0, microsecond=0) if moment else None


def _when(moment) -> str:
    local = timezone.localtime(moment)
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


def reminder_new(request):
    client = _owned_client(request)
    initial = {"client": client, "remind_at": _default_moment(request.profile, timezone.now())}
    back = safe_next(request)
    form = FollowUpForm(request.POST or None, owner=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            follow_up = emails.schedule_follow_up(
                client=data["client"], note=data["note"], remind_at=data["remind_at"]
            )
        except ValidationError as e:
            form.add_error(None, e)  # each message beside its field
        else:
            notice = f"I'll remind you on {_when(follow_up.send_at)}: {follow_up.note}"
            if follow_up.waited_for_working_hours:
                notice += " (at the start of your working hours, not at the time you asked)"
            messages.success(request, notice + ".")
            return redirect(back or "reminder-list")
    return render(
        request,
        "email_pages/reminder_form.html",
        {"form": form, "client": client, "next": back},
        status=422 if form.is_bound else 200,
    )


def reminder_list(request):
    client = _owned_client(request)
    now = timezone.now()
    rows = (
        FollowUp.objects.owned_by(request.user)
        .filter(
            Q(email__status=OutboundEmail.Status.QUEUED)
            | Q(send_at__gte=now - timedelta(days=RECENT_DAYS))
        )
        .select_related("client", "email")
        .order_by("send_at", "pk")
    )
    if client:
        rows = rows.filter(client=client)
    upcoming, past = [], []
    for follow_up in rows:
        (upcoming if follow_up.email.status == OutboundEmail.Status.QUEUED else past).append(
            follow_up
        )
    past.reverse()
    return render(
        request,
        "email_pages/reminders.html",
        {"upcoming": upcoming, "past": past, "client": client, "recent_days": RECENT_DAYS},
    )


@require_POST
def reminder_cancel(request):
    back = safe_next(request)
    follow_up = get_object_or_404(
        FollowUp.objects.owned_by(request.user).select_related("email"),
        pk=id_param(request.POST.get("reminder")),
    )
    if emails.cancel_follow_up(follow_up):
        messages.success(request, f"Cancelled: {follow_up.note}.")
    else:
        follow_up.email.refresh_from_db()
        messages.info(
            request,
            f"Too late to cancel ({follow_up.email.get_status_display().lower()}): "
            f"{follow_up.note}.",
        )
    return redirect(back or "reminder-list")
