"""The first run of a new account: the dashboard leads it through time zone, working hours,
public holidays, reply window and update cadence, and the first client; each step can be
skipped, and once done or skipped the steps never come back. Until a time zone is set, the
dashboard says so."""

from datetime import time

import pytest
from django.urls import reverse

from clients.models import Client, FreelancerProfile, WorkingWindow
from tests.web.test_settings_pages import hours_data


@pytest.fixture
def newcomer(client, user):
    """Alice on her first visit: no profile yet, so the first page makes one (UTC)."""
    client.force_login(user)
    return client


def profile_of(user) -> FreelancerProfile:
    return FreelancerProfile.objects.get(user=user)


def test_a_new_account_is_led_from_the_dashboard_to_the_first_step(newcomer, user):
    response = newcomer.get(reverse("dashboard"))
    assert response.status_code == 302 and response.url == reverse("welcome")
    page = newcomer.get(reverse("welcome")).content.decode()
    assert "step 1 of 5" in page and "Your time zone" in page
    assert '<option value="" selected>Choose your time zone…</option>' in page
    assert '<optgroup label="America">' in page
    assert '<option value="America/St_Johns">St John&#x27;s</option>' in page
    assert 'src="/static/js/onboarding.js"' in page and "<script>" not in page


@pytest.mark.parametrize(
    ("value", "message"),
    [("", "Choose a time zone."), ("Mars/Olympus", "is not a time zone name")],
)
def test_a_missing_or_unknown_time_zone_is_refused_and_nothing_is_saved(
    newcomer, user, value, message
):
    response = newcomer.post(reverse("welcome"), {"timezone": value})
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors["timezone"])
    assert (profile_of(user).timezone, profile_of(user).timezone_set) == ("UTC", False)


def test_the_five_steps_set_up_the_account_and_never_come_back(newcomer, user):
    response = newcomer.post(reverse("welcome"), {"timezone": "america/st_johns"})
    assert response.url == reverse("welcome-hours")
    profile = profile_of(user)
    assert (profile.timezone, profile.timezone_set) == ("America/St_Johns", True)

    filled = newcomer.post(reverse("welcome-hours"), hours_data(preset="lunch"))
    assert "Nothing is saved yet" in filled.content.decode()
    rows = [f.initial for f in filled.context["formset"].forms if f.initial]
    response = newcomer.post(
        reverse("welcome-hours"), hours_data(*((r["weekday"], r["start"], r["end"]) for r in rows))
    )
    assert response.url == reverse("welcome-holidays")
    assert WorkingWindow.objects.filter(profile=profile).count() == 10

    response = newcomer.post(
        reverse("welcome-holidays"), {"holiday_country": "ca", "holiday_subdiv": "nl"}
    )
    assert response.url == reverse("welcome-defaults")
    refused = newcomer.post(
        reverse("welcome-defaults"), {"reply_window_hours": "0", "update_cadence_days": "3"}
    )
    assert refused.context["form"].errors == {"reply_window_hours": ["Must be at least 1."]}
    response = newcomer.post(
        reverse("welcome-defaults"), {"reply_window_hours": "4", "update_cadence_days": "3"}
    )
    assert response.url == reverse("welcome-client")

    response = newcomer.post(
        reverse("welcome-client"),
        {
            "name": "Cabot Tours",
            "organisation": "",
            "timezone": "Europe/London",
            "status": "active",
        },
    )
    cabot = Client.objects.get(owner=user)
    assert response.url == reverse("client-detail", args=[cabot.pk])
    assert (cabot.boundaries.reply_window_hours, cabot.boundaries.update_cadence_days) == (4, 3)
    profile = profile_of(user)
    assert (profile.holiday_country, profile.holiday_subdiv) == ("CA", "NL")
    assert profile.onboarded_at is not None

    assert newcomer.get(reverse("dashboard")).status_code == 200
    assert newcomer.get(reverse("welcome")).url == reverse("dashboard")
    assert newcomer.get(reverse("welcome-hours")).url == reverse("dashboard")


def test_skipping_the_rest_ends_the_first_run_and_the_dashboard_asks_for_the_time_zone(
    newcomer, user
):
    assert newcomer.get(reverse("welcome-hours")).status_code == 200  # a step may be skipped
    response = newcomer.post(reverse("welcome-done"), follow=True)
    assert response.redirect_chain == [(reverse("dashboard"), 302)]
    html = response.content.decode()
    assert "Your time zone is not set:" in html and "You are set up." in html
    profile = profile_of(user)
    assert profile.onboarded_at is not None
    # The default week stays until changed.
    assert list(profile.working_windows.values_list("weekday", "start", "end")) == [
        (d, time(9), time(17)) for d in range(5)
    ]

    newcomer.post(
        reverse("settings-profile"),
        {
            "timezone": "Europe/Berlin",
            "reply_window_hours": "8",
            "update_cadence_days": "5",
            "checkin_cadence_days": "10",
        },
    )
    assert "Your time zone is not set" not in newcomer.get(reverse("dashboard")).content.decode()


def test_a_partial_refresh_of_the_dashboard_is_never_redirected(newcomer):
    response = newcomer.get(reverse("dashboard"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live")
    assert response.status_code == 200


def test_an_account_already_set_up_goes_straight_to_its_dashboard(web, profile):
    assert web.get(reverse("dashboard")).status_code == 200
    assert "Your time zone is not set" not in web.get(reverse("dashboard")).content.decode()


def test_logging_in_to_a_new_account_opens_the_first_step(client, user):
    client.post(reverse("login"), {"username": "alice", "password": "alice-password"})
    assert client.get(reverse("dashboard")).url == reverse("welcome")
