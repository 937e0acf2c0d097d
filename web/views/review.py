"""The weekly review: /review/ for the week it opens on (the one that ended, until the first
working day of the new week is over), /review/2026-W48/ for another."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.models import Client
from engagements.models import ReviewEntry, WeeklyReview
from engagements.review import (
    SCALE,
    WEEK,
    ClientWeek,
    build_review,
    default_week,
    is_open,
    parse_week,
    this_week,
    week_label,
)
from web.forms.review import ReviewEntryForm
from web.views.problem import problem

CLOSED = "This review is closed: only the week in progress and the one before it can be changed."


def _week(request, week: str | None):
    calendar, now = request.profile.calendar(), timezone.now()
    if week is None:
        return default_week(calendar, now)
    monday = parse_week(week)
    if monday is None or monday > this_week(calendar, now):
        raise Http404("No review for that week.")
    return monday


def review(request, week: str | None = None):
    monday = _week(request, week)
    data = build_review(request.user.pk, monday, timezone.now())
    return render(
        request,
        "review/review.html",
        {
            "review": data,
            "decisions": ReviewEntry.Decision.choices,
            "scale": SCALE,
            "previous": week_label(monday - WEEK),
            "next": None if data.in_progress else week_label(monday + WEEK),
            "current": week_label(data.current),
        },
    )


def _open_review(request, week: str) -> WeeklyReview | None:
    """This week's review row (made on the first save), or None when the week is closed."""
    monday = _week(request, week)
    if not is_open(monday, this_week(request.profile.calendar(), timezone.now())):
        return None
    review, _ = WeeklyReview.objects.get_or_create(owner=request.user, week=monday)
    return review


@require_POST
def save_entry(request, week: str, client_id: int):
    """Save one client's decision, note and answers as the freelancer goes (HTMX, or a form)."""
    client = get_object_or_404(Client.objects.owned_by(request.user), pk=client_id)
    form = ReviewEntryForm(request.POST)
    if not form.is_valid():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        return problem(request, 422, f"Not saved: your decision about {client.name}", *problems)
    review = _open_review(request, week)
    if review is None:
        return problem(request, 422, "Not saved", CLOSED)
    entry, _ = ReviewEntry.objects.update_or_create(
        review=review, client=client, defaults=form.cleaned_data
    )
    if request.htmx:
        # The status, and (out of band) the link to the script the decision calls for.
        script = render_to_string(
            "review/review.html#decision-script",
            {"row": ClientWeek(client.pk, client.name, None, entry=entry), "oob": True},
        )
        return HttpResponse(
            f'<span class="saved" role="status">Saved {timezone.localtime():%H:%M}</span>{script}'
        )
    messages.success(request, f"Saved your decision about {client.name}.")
    return redirect("review-week", week=week)


@require_POST
def complete(request, week: str):
    review = _open_review(request, week)
    if review is None:
        return problem(request, 422, "Not saved", CLOSED)
    WeeklyReview.objects.filter(pk=review.pk, completed_at__isnull=True).update(
        completed_at=timezone.now()
    )
    messages.success(request, "Review complete. See you next week.")
    return redirect("review-week", week=week)
