"""Settings: profile, working hours, days off and rule thresholds.

Every page is a plain form: POST, then redirect with a message; on error the page comes back
with the input and the messages, and nothing is saved. Every save has the freelancer's flags
re-evaluated (evaluate_soon), so they follow the new settings at once. HTMX only adds a
working-hours row and refreshes the list of regions when the holiday country changes.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from clients.business_time import DAY_NAMES
from clients.formats import day_date_year
from clients.models import DayOff, FreelancerProfile, WorkingWindow
from clients.timezones import timezone_names
from engagements import dashboard_cache
from engagements.services import evaluate_soon
from web.forms.profile import (
    MAX_WINDOWS,
    PRESETS,
    WINDOWS_PREFIX,
    DayOffForm,
    ProfileForm,
    ThresholdsForm,
    already_taken_message,
    copied_to_weekdays,
    holiday_countries,
    holiday_regions,
    posted_rows,
    preset_rows,
    upcoming_holidays,
    window_formset,
    window_formset_of,
    window_formset_with_another_row,
)


def fresh_profile(request) -> FreelancerProfile:
    """A copy of the profile for a form to change, so that a rejected form leaves
    `request.profile` (what the rest of the page shows) as it is stored."""
    return FreelancerProfile.objects.get(pk=request.profile.pk)


def posted(request):
    """The submitted data for a POST (even an empty one, which then fails validation)."""
    return request.POST if request.method == "POST" else None


def save_fields(request, form, **extra) -> None:
    """Save just the form's fields of the profile (and `extra` ones), then re-evaluate."""
    profile = form.save(commit=False)
    for name, value in extra.items():
        setattr(profile, name, value)
    profile.save(update_fields=[*form.fields, *extra])
    evaluate_soon(request.user.pk)


def save_profile_form(request, form, message: str, url_name: str, **extra):
    """Save just the form's fields of the profile, re-evaluate, and back to the page."""
    save_fields(request, form, **extra)
    messages.success(request, message)
    return redirect(url_name)


# --- profile ------------------------------------------------------------------------------


def profile_settings(request):
    saved = request.profile
    form = ProfileForm(posted(request), instance=fresh_profile(request))
    if request.method == "POST" and form.is_valid():
        return save_profile_form(
            request, form, "Profile saved.", "settings-profile", timezone_set=True
        )
    country = form["holiday_country"].value() or ""
    return render(
        request,
        "settings/profile.html",
        {
            "form": form,
            "saved": saved,
            "local_now": timezone.now().astimezone(saved.zone),
            "timezone_names": timezone_names(),
            "countries": holiday_countries(),
            "regions": holiday_regions(country.strip().upper()),
            "next_holidays": upcoming_holidays(
                saved.holiday_country, saved.holiday_subdiv, timezone.localdate()
            ),
        },
    )


@require_GET
def holiday_region_options(request):
    """HTMX: the region suggestions for the country just typed."""
    country = request.GET.get("holiday_country", "").strip().upper()
    return render(
        request,
        "settings/profile.html#region-options",
        {"regions": holiday_regions(country) if len(country) <= 3 else []},
    )


# --- working hours ------------------------------------------------------------------------


def working_hours(request):
    result = hours_editor(request)
    if result.saved:
        return redirect("settings-hours")
    return render(request, "settings/hours.html", result.context)


def copy_from(data) -> int | None:
    """The weekday whose hours the "Copy to the other weekdays" button was pressed for."""
    day = data.get("copy_from", "")
    return int(day) if "copy" in data and day in ("0", "1", "2", "3", "4") else None


@dataclass
class HoursEditor:
    """What the hours editor did with a request: saved the week, or a page to show."""

    saved: bool
    context: dict


def hours_editor(request) -> HoursEditor:
    """The working-hours editor (the settings page and the first-run step): save the posted
    week, or fill in a preset, copy a day to the weekdays or add a row (nothing saved then,
    and nothing judged: the person checks and saves), or show the saved week."""
    profile = request.profile
    summary, filled = [], ""
    formset = None
    if request.method == "POST" and "add_row" in request.POST:
        formset = window_formset_with_another_row(request.POST)
    elif request.method == "POST" and (rows := preset_rows(request.POST.get("preset", ""))):
        formset, filled = window_formset_of(rows), PRESETS[request.POST["preset"]][0]
    elif request.method == "POST" and (day := copy_from(request.POST)) is not None:
        formset = window_formset_of(copied_to_weekdays(posted_rows(request.POST), day))
        filled = f"{DAY_NAMES[day]}'s hours copied to the other weekdays"
    elif request.method == "POST":
        formset = window_formset(request.POST)
        if formset.is_valid():
            windows = formset.windows()
            with transaction.atomic():
                # One save at a time per profile: a second one waits here, then replaces ours.
                FreelancerProfile.objects.select_for_update().only("pk").get(pk=profile.pk)
                profile.working_windows.all().delete()
                WorkingWindow.objects.bulk_create(
                    WorkingWindow(profile=profile, weekday=w.weekday, start=w.start, end=w.end)
                    for w in windows
                )
                dashboard_cache.changed(request.user.pk, dashboard_cache.SETTINGS)
                evaluate_soon(request.user.pk)
            messages.success(request, "Working hours saved.")
            if not windows:
                messages.warning(request, NO_HOURS_WARNING)
            return HoursEditor(True, {})
        summary = [
            {"text": f"Window {n}: {message}", "anchor": f"{WINDOWS_PREFIX}-{n - 1}"}
            for n, message in formset.row_problems()
        ] + [{"text": problem, "anchor": ""} for problem in formset.non_form_errors()]
    saved = list(profile.working_windows.all())
    if formset is None:
        formset = window_formset(windows=saved)
    return HoursEditor(
        False,
        {
            "formset": formset,
            "summary": summary,
            "filled": filled,
            "presets": [(key, text) for key, (text, _) in PRESETS.items()],
            "weekdays": list(enumerate(DAY_NAMES[:5])),
            "saved_week": week_in_words(saved),
            "no_hours_warning": NO_HOURS_WARNING if not saved else "",
            "profile": profile,
        },
    )


NO_HOURS_WARNING = (
    "You have no working hours now. Every message counts as out of hours, and reply, update "
    "and check-in timers do not run until you add some."
)


def week_in_words(windows) -> list[tuple[str, str]]:
    """[("Monday", "09:00–12:00, 13:00–17:00"), ("Friday", "22:00–06:00 (overnight)"), …] for
    the days that have windows."""
    days = {}
    for w in windows:
        window = w.window
        night = " (overnight)" if window.crosses_midnight else ""
        days.setdefault(w.get_weekday_display(), []).append(window.hours + night)
    return [(day, ", ".join(spans)) for day, spans in days.items()]


@require_GET
def working_hours_row(request):
    """HTMX: one more empty row, and the formset's form count raised to include it."""
    if not request.htmx:
        return redirect("settings-hours")
    try:
        index = int(request.GET.get(f"{WINDOWS_PREFIX}-TOTAL_FORMS", ""))
    except ValueError:
        return HttpResponse(status=400)
    if not 0 <= index < MAX_WINDOWS:
        return HttpResponse(
            f'<p class="error" role="alert">You can have at most {MAX_WINDOWS} working windows.</p>'
        )
    formset = window_formset()
    form = formset.form(
        prefix=formset.add_prefix(index), auto_id=formset.auto_id, use_required_attribute=False
    )
    formset.add_fields(form, index)
    form.fields["weekday"].widget.attrs["autofocus"] = True  # htmx focuses it once swapped in
    return render(
        request,
        "settings/hours.html#window-row",
        {"form": form, "number": index + 1, "new_total": index + 1},
    )


# --- days off -----------------------------------------------------------------------------


def days_off(request):
    profile = request.profile
    form = DayOffForm(posted(request), profile=profile)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                added = form.save()
                evaluate_soon(request.user.pk)
        except IntegrityError:  # added by another tab between the check and the insert
            taken = profile.days_off.filter(date__in=form.dates()).values_list("date", flat=True)
            form.add_error("date", already_taken_message(list(taken)))
        else:
            what = day_date_year(added[0].date)
            if len(added) > 1:
                what = f"{len(added)} days, {what} to {day_date_year(added[-1].date)}"
            messages.success(request, f"Day off added: {what}.")
            return redirect("settings-days-off")
    today = timezone.localdate()
    all_days = list(profile.days_off.all())
    return render(
        request,
        "settings/days_off.html",
        {
            "form": form,
            "upcoming": [d for d in all_days if d.date >= today],
            "past": [d for d in all_days if d.date < today][::-1],
        },
    )


@require_POST
def day_off_delete(request, pk):
    day = get_object_or_404(DayOff, pk=pk, profile__user=request.user)
    day.delete()
    evaluate_soon(request.user.pk)
    messages.success(request, f"Removed the day off on {day_date_year(day.date)}.")
    return redirect("settings-days-off")


# --- thresholds ---------------------------------------------------------------------------


def thresholds(request):
    form = ThresholdsForm(posted(request), instance=fresh_profile(request))
    if request.method == "POST" and form.is_valid():
        return save_profile_form(request, form, "Rule thresholds saved.", "settings-thresholds")
    return render(request, "settings/thresholds.html", {"form": form})
