"""The first run: a new account is led from the dashboard through five short steps (time zone,
working hours, public holidays, reply window and update cadence, the first client), each of
which can be skipped, and never again once done or skipped (`FreelancerProfile.onboarded_at`).

Every step is a plain form that works without JavaScript. On the time-zone step a static script
(static/js/onboarding.js) proposes the browser's zone in the list; the server decides.
"""

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.models import FreelancerProfile
from clients.services import create_client
from clients.timezones import timezone_names
from web.forms.clients import ClientForm
from web.forms.profile import DefaultsForm, HolidaysForm, ZoneForm, holiday_countries
from web.forms.profile import holiday_regions as regions_of
from web.middleware import ProfiledRequest
from web.views.profile import fresh_profile, hours_editor, save_fields

# (url name, title) in order.
STEPS = (
    ("welcome", "Your time zone"),
    ("welcome-hours", "Working hours"),
    ("welcome-holidays", "Public holidays"),
    ("welcome-defaults", "Replies and updates"),
    ("welcome-client", "Your first client"),
)


def needs_first_run(profile: FreelancerProfile) -> bool:
    return profile.onboarded_at is None


def _after(name: str) -> str:
    names = [n for n, _ in STEPS]
    following = names[names.index(name) + 1 :]
    return reverse(following[0]) if following else reverse("welcome-done")


def _page(
    request: ProfiledRequest, name: str, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    number = [n for n, _ in STEPS].index(name) + 1
    return render(
        request,
        template,
        {
            "steps": [
                (n, title, i + 1 < number, i + 1 == number) for i, (n, title) in enumerate(STEPS)
            ],
            "number": number,
            "total": len(STEPS),
            "title": STEPS[number - 1][1],
            "skip": _after(name),
            **context,
        },
        status=status,
    )


def _done_already(request: ProfiledRequest) -> HttpResponse | None:
    """Past the first run: its pages lead to the dashboard (Settings has everything)."""
    if needs_first_run(request.profile):
        return None
    messages.info(request, "Your account is set up; change anything in Settings.")
    return redirect("dashboard")


def zone(request: ProfiledRequest) -> HttpResponse:
    if (done := _done_already(request)) is not None:
        return done
    profile = request.profile
    initial = None if profile.timezone_set else {"timezone": ""}
    form = ZoneForm(request.POST or None, instance=fresh_profile(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        save_fields(request, form, timezone_set=True)
        return redirect("welcome-hours")
    return _page(
        request,
        "welcome",
        "onboarding/zone.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def hours(request: ProfiledRequest) -> HttpResponse:
    if (done := _done_already(request)) is not None:
        return done
    result = hours_editor(request)
    if result.saved:
        return redirect("welcome-holidays")
    return _page(
        request,
        "welcome-hours",
        "onboarding/hours.html",
        result.context | {"save_label": "Save and continue"},
    )


def holidays(request: ProfiledRequest) -> HttpResponse:
    if (done := _done_already(request)) is not None:
        return done
    form = HolidaysForm(request.POST or None, instance=fresh_profile(request))
    if request.method == "POST" and form.is_valid():
        save_fields(request, form)
        return redirect("welcome-defaults")
    country = (form["holiday_country"].value() or "").strip().upper()
    return _page(
        request,
        "welcome-holidays",
        "onboarding/holidays.html",
        {"form": form, "countries": holiday_countries(), "regions": regions_of(country)},
        status=422 if request.method == "POST" else 200,
    )


def defaults(request: ProfiledRequest) -> HttpResponse:
    if (done := _done_already(request)) is not None:
        return done
    form = DefaultsForm(request.POST or None, instance=fresh_profile(request))
    if request.method == "POST" and form.is_valid():
        save_fields(request, form)
        return redirect("welcome-client")
    return _page(
        request,
        "welcome-defaults",
        "onboarding/defaults.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


def first_client(request: ProfiledRequest) -> HttpResponse:
    if (done := _done_already(request)) is not None:
        return done
    form = ClientForm(request.POST or None, initial={"timezone": request.profile.timezone})
    if request.method == "POST" and form.is_valid():
        try:
            client = create_client(
                owner=request.user,
                **{name: form.cleaned_data[name] for name in ClientForm.Meta.fields},
            )
        except ValidationError as e:  # the same name saved a moment ago in another tab
            form.add_error(None, e)
        else:
            _finish(request.profile)
            messages.success(
                request,
                f"Added {client.name}, with your defaults as their boundaries. You are set up: "
                "log what is said, and Rapport keeps track.",
            )
            return redirect("client-detail", client.pk)
    return _page(
        request,
        "welcome-client",
        "onboarding/client.html",
        {"form": form, "zones": timezone_names()},
        status=422 if request.method == "POST" else 200,
    )


@require_POST
def done(request: ProfiledRequest) -> HttpResponse:
    """Skip the rest (or the last step): never led through these pages again."""
    if _finish(request.profile):
        messages.success(request, "You are set up. Everything you skipped is in Settings.")
    return redirect("dashboard")


def _finish(profile: FreelancerProfile) -> bool:
    return bool(
        FreelancerProfile.objects.filter(pk=profile.pk, onboarded_at__isnull=True).update(
            onboarded_at=timezone.now()
        )
    )
