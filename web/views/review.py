"""The weekly review: /review/ for this week, /review/2026-W48/ for another."""

from datetime import timedelta

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.models import Client
from engagements.models import ReviewEntry, WeeklyReview
from engagements.review import ClientWeek, build_review, current_week, parse_week, week_label
from web.forms.review import ReviewEntryForm
from web.views.problem import problem


def _week(request, week: str | None):
    if week is None:
        return current_week(request.profile, timezone.now())
    monday = parse_week(week)
    if monday is None or monday > current_week(request.profile, timezone.now()):
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
            "previous": week_label(monday - timedelta(weeks=1)),
            "next": None if not data.read_only else week_label(monday + timedelta(weeks=1)),
        },
    )


class ClosedReview(Exception):
    """Past reviews are read-only."""


CLOSED = "This review is closed: past weeks are read-only."


def _open_review(request, week: str) -> WeeklyReview:
    monday = _week(request, week)
    if monday < current_week(request.profile, timezone.now()):
        raise ClosedReview
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
    try:
        review = _open_review(request, week)
    except ClosedReview:
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
    try:
        review = _open_review(request, week)
    except ClosedReview:
        return problem(request, 422, "Not saved", CLOSED)
    WeeklyReview.objects.filter(pk=review.pk, completed_at__isnull=True).update(
        completed_at=timezone.now()
    )
    messages.success(request, "Review complete. See you next week.")
    return redirect("review-week", week=week)
