"""The settings pages: profile, working hours, days off, rule thresholds. Each works as a plain
form (POST, redirect, message); bad input is refused with a message beside the field, the input
stays on the page and nothing is saved."""

import re
from datetime import date, time, timedelta
from html import unescape

import pytest
from celery.signals import task_prerun
from django.urls import reverse

from clients.models import DayOff, FreelancerProfile, WorkingWindow
from web.forms import profile as profile_forms

MONDAY, TUESDAY, SATURDAY = 0, 1, 5
NINE_TO_FIVE_WEEKDAYS = [(d, time(9), time(17)) for d in range(5)]


@pytest.fixture
def owner(client, user, profile):
    client.force_login(user)
    return client


def windows_of(profile) -> list[tuple[int, time, time]]:
    return list(
        WorkingWindow.objects.filter(profile=profile).values_list("weekday", "start", "end")
    )


def hours_data(*rows, blank_rows=1, **extra) -> dict:
    """The working-hours formset as a browser posts it: each row (weekday, start, end[, "remove"])."""
    rows = [*rows, *([("", "", "")] * blank_rows)]
    data = {
        "windows-TOTAL_FORMS": str(len(rows)),
        "windows-INITIAL_FORMS": "0",
        "windows-MIN_NUM_FORMS": "0",
        "windows-MAX_NUM_FORMS": "50",
        **extra,
    }
    for i, (weekday, start, end, *flags) in enumerate(rows):
        data[f"windows-{i}-weekday"] = str(weekday)
        data[f"windows-{i}-start"] = start
        data[f"windows-{i}-end"] = end
        if "remove" in flags:
            data[f"windows-{i}-DELETE"] = "on"
    return data


def profile_data(**changes) -> dict:
    data = {
        "timezone": "Europe/Berlin",
        "holiday_country": "",
        "holiday_subdiv": "",
        "reply_window_hours": "8",
        "update_cadence_days": "5",
        "checkin_cadence_days": "10",
        "email_daily_digest": "on",
        "email_weekly_review": "on",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def thresholds_data(**changes) -> dict:
    data = {
        "reply_warning_percent": "75",
        "boundary_pattern_count": "3",
        "boundary_pattern_days": "14",
        "disrespect_breach_count": "2",
        "disrespect_window_days": "30",
        "deadline_risk_days": "1",
        "undocumented_after_days": "1",
        "walk_away_score": "40",
        "walk_away_weeks": "3",
    }
    return data | changes


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- every page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "heading"),
    [
        ("settings-profile", "<h1>Profile</h1>"),
        ("settings-hours", "<h1>Working hours</h1>"),
        ("settings-days-off", "<h1>Days off</h1>"),
        ("settings-thresholds", "<h1>Rule thresholds</h1>"),
        ("email-sent", "<h1>Emails sent</h1>"),
    ],
)
def test_each_settings_page_renders_for_the_owner_with_the_sub_navigation(owner, name, heading):
    response = owner.get(reverse(name))
    assert response.status_code == 200
    html = response.content.decode()
    assert heading in html
    assert f'href="{reverse(name)}" aria-current="page"' in html
    for other in (
        "settings-profile",
        "settings-hours",
        "settings-days-off",
        "settings-thresholds",
        "email-sent",
    ):
        assert f'href="{reverse(other)}"' in html


@pytest.mark.parametrize(
    "name", ["settings-profile", "settings-hours", "settings-days-off", "settings-thresholds"]
)
def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "name", ["settings-profile", "settings-hours", "settings-days-off", "settings-thresholds"]
)
def test_every_visible_control_on_a_settings_page_has_a_label(owner, name):
    form = owner.get(reverse(name)).context["form" if name != "settings-hours" else "formset"]
    forms = form.forms if name == "settings-hours" else [form]
    html = owner.get(reverse(name)).content.decode()
    for f in forms:
        for field in f.visible_fields():
            if field.widget_type == "checkbox":
                flat = html.replace("\n", "").replace("  ", "")
                assert re.search(rf'<label( class="check")?>{re.escape(str(field))}', flat)
            else:
                assert f'<label for="{field.id_for_label}">' in html


# --- profile ------------------------------------------------------------------------------


def test_the_profile_page_offers_every_time_zone_name_and_the_owners_local_time(owner):
    html = owner.get(reverse("settings-profile")).content.decode()
    assert '<option value="America/New_York">' in html
    assert 'list="timezone-names"' in html
    assert "in Europe/Berlin (UTC+0" in html


def test_saving_the_profile_persists_every_field(owner, profile):
    response = owner.post(
        reverse("settings-profile"),
        profile_data(
            timezone="America/New_York",
            holiday_country="us",
            holiday_subdiv="ny",
            reply_window_hours="4",
            update_cadence_days="3",
            checkin_cadence_days="7",
            email_weekly_review=None,
            email_when_nothing_owed="on",
        ),
    )
    assert response.status_code == 302
    assert response.url == reverse("settings-profile")
    profile.refresh_from_db()
    assert (profile.timezone, profile.holiday_country, profile.holiday_subdiv) == (
        "America/New_York",
        "US",
        "NY",
    )
    assert (profile.reply_window_hours, profile.update_cadence_days) == (4, 3)
    assert profile.checkin_cadence_days == 7
    assert profile.email_daily_digest and profile.email_when_nothing_owed
    assert not profile.email_weekly_review
    assert "Profile saved." in messages_of(owner.get(response.url))


def test_a_time_zone_typed_in_any_case_is_stored_with_its_proper_name(owner, profile):
    owner.post(reverse("settings-profile"), profile_data(timezone=" asia/kolkata "))
    profile.refresh_from_db()
    assert profile.timezone == "Asia/Kolkata"


def test_a_region_may_be_typed_by_its_name(owner, profile):
    owner.post(
        reverse("settings-profile"), profile_data(holiday_country="DE", holiday_subdiv="bayern")
    )
    profile.refresh_from_db()
    assert (profile.holiday_country, profile.holiday_subdiv) == ("DE", "BY")


def test_an_unknown_time_zone_is_refused_beside_the_field_and_nothing_is_saved(owner, profile):
    response = owner.post(
        reverse("settings-profile"),
        profile_data(timezone="Mars/Olympus_Mons", reply_window_hours="4"),
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["timezone"]
    assert "is not a time zone name" in errors["timezone"][0]
    html = response.content.decode()
    assert 'value="Mars/Olympus_Mons"' in html  # the input is kept
    assert "Nothing was saved." in html
    profile.refresh_from_db()
    assert (profile.timezone, profile.reply_window_hours) == ("Europe/Berlin", 8)


def test_an_empty_time_zone_asks_for_one(owner, profile):
    response = owner.post(reverse("settings-profile"), profile_data(timezone=""))
    assert response.context["form"].errors == {"timezone": ["Choose a time zone."]}


def test_an_unknown_holiday_country_is_an_error_on_the_country(owner, profile):
    response = owner.post(reverse("settings-profile"), profile_data(holiday_country="XX"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["holiday_country"]
    assert errors["holiday_country"] == [
        "“XX” is not a country Rapport knows public holidays for. Use a two-letter code such "
        "as DE, GB or US."
    ]
    profile.refresh_from_db()
    assert profile.holiday_country == ""


def test_an_unknown_holiday_region_is_an_error_on_the_region(owner, profile):
    response = owner.post(
        reverse("settings-profile"), profile_data(holiday_country="DE", holiday_subdiv="ZZ")
    )
    errors = response.context["form"].errors
    assert list(errors) == ["holiday_subdiv"]
    assert errors["holiday_subdiv"][0].startswith("DE has no region “ZZ”. Choose one of: BB, BE,")
    assert 'value="ZZ"' in response.content.decode()
    profile.refresh_from_db()
    assert (profile.holiday_country, profile.holiday_subdiv) == ("", "")


def test_a_region_for_a_country_without_regions_says_to_leave_it_empty(owner, profile):
    assert profile_forms.holiday_regions("IS") == []
    response = owner.post(
        reverse("settings-profile"), profile_data(holiday_country="IS", holiday_subdiv="X")
    )
    assert response.context["form"].errors == {
        "holiday_subdiv": ["IS has no region “X”. Leave it empty: IS has no regional holidays."]
    }


def test_a_region_without_a_country_is_refused(owner, profile):
    response = owner.post(reverse("settings-profile"), profile_data(holiday_subdiv="BY"))
    assert response.context["form"].errors == {
        "holiday_subdiv": ["Choose a country before a region."]
    }


@pytest.mark.parametrize("value", ["0", "-3"])
def test_a_default_reply_window_below_one_is_refused(owner, profile, value):
    response = owner.post(reverse("settings-profile"), profile_data(reply_window_hours=value))
    assert response.context["form"].errors == {"reply_window_hours": ["Must be at least 1."]}
    profile.refresh_from_db()
    assert profile.reply_window_hours == 8


def test_saving_the_profile_leaves_the_thresholds_alone(owner, profile):
    form_loaded = FreelancerProfile.objects.get(pk=profile.pk)
    assert form_loaded.walk_away_score == 40
    # Meanwhile, in another tab, the thresholds change.
    FreelancerProfile.objects.filter(pk=profile.pk).update(walk_away_score=25)
    owner.post(reverse("settings-profile"), profile_data())
    profile.refresh_from_db()
    assert profile.walk_away_score == 25


def test_the_profile_page_lists_the_next_public_holidays_of_the_saved_region(owner, profile):
    profile.holiday_country = "DE"
    profile.save()
    html = owner.get(reverse("settings-profile")).content.decode()
    assert "Next public holidays for DE:" in html


def test_choosing_a_country_suggests_its_regions(owner):
    response = owner.get(
        reverse("settings-holiday-regions"), {"holiday_country": "de"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert html.startswith('<datalist id="holiday-regions">')
    assert '<option value="BY">Bayern</option>' in html
    assert "<h1>" not in html


# --- working hours ------------------------------------------------------------------------


def test_the_hours_page_shows_the_saved_windows_and_two_empty_rows(owner, profile):
    response = owner.get(reverse("settings-hours"))
    formset = response.context["formset"]
    assert [f.initial for f in formset.forms[:5]] == [
        {"weekday": d, "start": time(9), "end": time(17)} for d in range(5)
    ]
    assert len(formset.forms) == 7
    html = response.content.decode()
    assert 'name="windows-0-start" value="09:00"' in html
    assert "keep the in-hours or out-of-hours verdict" in html
    assert "Europe/Berlin" in html


def test_a_split_shift_is_saved(owner, profile):
    response = owner.post(
        reverse("settings-hours"),
        hours_data(
            (MONDAY, "09:00", "12:30"),
            (MONDAY, "13:30", "17:00"),
            (TUESDAY, "10:00", "16:00"),
        ),
    )
    assert response.status_code == 302
    assert windows_of(profile) == [
        (MONDAY, time(9), time(12, 30)),
        (MONDAY, time(13, 30), time(17)),
        (TUESDAY, time(10), time(16)),
    ]
    page = owner.get(response.url)
    assert "Working hours saved." in messages_of(page)
    assert "09:00–12:30, 13:30–17:00" in page.content.decode()


def test_windows_that_touch_are_not_an_overlap(owner, profile):
    owner.post(
        reverse("settings-hours"),
        hours_data((MONDAY, "09:00", "12:00"), (MONDAY, "12:00", "17:00")),
    )
    assert windows_of(profile) == [
        (MONDAY, time(9), time(12)),
        (MONDAY, time(12), time(17)),
    ]


def test_a_night_shift_and_a_window_until_midnight_are_saved(owner, profile):
    response = owner.post(
        reverse("settings-hours"),
        hours_data((MONDAY, "22:00", "06:00"), (TUESDAY, "18:00", "24:00")),
        follow=True,
    )
    assert windows_of(profile) == [(MONDAY, time(22), time(6)), (TUESDAY, time(18), time(0))]
    html = response.content.decode()
    assert "22:00–06:00 (overnight)" in html and "18:00–24:00" in html


def test_a_window_ending_when_it_starts_is_refused_and_nothing_is_saved(owner, profile):
    response = owner.post(
        reverse("settings-hours"),
        hours_data((MONDAY, "09:00", "17:00"), (TUESDAY, "17:00", "17:00")),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Tuesday 17:00–17:00: a window cannot start and end at the same time" in html
    formset = response.context["formset"]
    assert formset.forms[1].errors == {
        "end": ["A window cannot start and end at the same time (00:00–24:00 is the whole day)."]
    }
    assert not formset.forms[0].errors
    # The input stays, row by row.
    assert 'name="windows-1-start" value="17:00"' in html
    assert 'name="windows-0-end" value="17:00"' in html
    # The old week is untouched.
    assert windows_of(profile) == NINE_TO_FIVE_WEEKDAYS


def test_a_night_running_into_the_next_mornings_window_is_an_overlap(owner, profile):
    response = owner.post(
        reverse("settings-hours"),
        hours_data((MONDAY, "22:00", "10:00"), (TUESDAY, "09:00", "17:00")),
    )
    forms = response.context["formset"].forms
    assert forms[0].non_field_errors() == ["Overlaps window 2 (Tuesday 09:00–17:00)."]
    assert forms[1].non_field_errors() == ["Overlaps window 1 (Monday 22:00–10:00)."]
    assert windows_of(profile) == NINE_TO_FIVE_WEEKDAYS


@pytest.mark.parametrize(
    ("preset", "week"),
    [
        ("office", [(d, time(9), time(17)) for d in range(5)]),
        (
            "lunch",
            [(d, s, e) for d in range(5) for s, e in ((time(9), time(12)), (time(13), time(17)))],
        ),
    ],
)
def test_a_preset_fills_in_the_week_to_check_and_saves_nothing_yet(owner, profile, preset, week):
    response = owner.post(
        reverse("settings-hours"), hours_data((SATURDAY, "10:00", "12:00"), preset=preset)
    )
    assert response.status_code == 200
    rows = [f.initial for f in response.context["formset"].forms if f.initial]
    assert [(r["weekday"], r["start"], r["end"]) for r in rows] == week
    assert "Nothing is saved yet" in response.content.decode()
    assert windows_of(profile) == NINE_TO_FIVE_WEEKDAYS


def test_one_days_hours_are_copied_to_the_other_weekdays_and_the_weekend_kept(owner, profile):
    data = hours_data(
        (MONDAY, "08:00", "12:00"),
        (MONDAY, "13:00", "17:00"),
        (TUESDAY, "09:00", "17:00"),
        (SATURDAY, "10:00", "12:00"),
        copy_from=str(MONDAY),
        copy="1",
    )
    response = owner.post(reverse("settings-hours"), data)
    rows = [f.initial for f in response.context["formset"].forms if f.initial]
    assert [(int(r["weekday"]), r["start"], r["end"]) for r in rows] == [
        *((d, s, e) for d in range(5) for s, e in (("08:00", "12:00"), ("13:00", "17:00"))),
        (SATURDAY, "10:00", "12:00"),
    ]
    assert "Monday's hours copied to the other weekdays" in unescape(response.content.decode())
    saved = owner.post(
        reverse("settings-hours"),
        hours_data(*((r["weekday"], r["start"], r["end"]) for r in rows)),
    )
    assert saved.status_code == 302
    assert len(windows_of(profile)) == 11


def test_saving_ignores_the_copy_choice_unless_its_button_was_pressed(owner, profile):
    data = hours_data((TUESDAY, "10:00", "16:00"), copy_from=str(MONDAY))
    assert owner.post(reverse("settings-hours"), data).status_code == 302
    assert windows_of(profile) == [(TUESDAY, time(10), time(16))]


def test_overlapping_windows_on_a_monday_are_refused_with_both_rows_marked(owner, profile):
    response = owner.post(
        reverse("settings-hours"),
        hours_data(
            (MONDAY, "09:00", "13:00"),
            (MONDAY, "12:00", "17:00"),
            (TUESDAY, "12:00", "17:00"),
        ),
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Monday 09:00–13:00 overlaps Monday 12:00–17:00." in html
    assert "Nothing was saved;" in html
    forms = response.context["formset"].forms
    assert forms[0].non_field_errors() == ["Overlaps window 2 (Monday 12:00–17:00)."]
    assert forms[1].non_field_errors() == ["Overlaps window 1 (Monday 09:00–13:00)."]
    assert not forms[2].errors  # Tuesday at the same time is fine
    assert 'name="windows-1-start" value="12:00"' in html
    assert windows_of(profile) == NINE_TO_FIVE_WEEKDAYS


def test_a_window_inside_another_is_an_overlap_even_with_one_between_them(owner, profile):
    response = owner.post(
        reverse("settings-hours"),
        hours_data(
            (MONDAY, "08:00", "18:00"),
            (MONDAY, "09:00", "10:00"),
            (MONDAY, "12:00", "13:00"),
        ),
    )
    forms = response.context["formset"].forms
    assert forms[2].non_field_errors() == ["Overlaps window 1 (Monday 08:00–18:00)."]
    assert windows_of(profile) == NINE_TO_FIVE_WEEKDAYS


def test_an_empty_week_is_allowed_with_a_warning_in_words(owner, profile):
    response = owner.post(reverse("settings-hours"), hours_data(blank_rows=2), follow=True)
    assert windows_of(profile) == []
    shown = messages_of(response)
    assert "Working hours saved." in shown
    assert any("Every message counts as out of hours" in m for m in shown)
    assert "You have no working hours now." in response.content.decode()


def test_ticking_remove_deletes_that_window_only(owner, profile):
    owner.post(
        reverse("settings-hours"),
        hours_data((MONDAY, "09:00", "17:00"), (TUESDAY, "09:00", "17:00", "remove")),
    )
    assert windows_of(profile) == [(MONDAY, time(9), time(17))]


def test_a_removed_row_is_not_judged(owner, profile):
    response = owner.post(
        reverse("settings-hours"),
        hours_data((MONDAY, "09:00", "17:00"), (MONDAY, "10:00", "nonsense", "remove")),
    )
    assert response.status_code == 302
    assert windows_of(profile) == [(MONDAY, time(9), time(17))]


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ((MONDAY, "9am", "17:00"), "start", "Enter a time as HH:MM, for example 09:00."),
        ((MONDAY, "09:00", ""), "end", "Enter the end time."),
        (("", "09:00", "17:00"), "weekday", "Choose a day."),
    ],
)
def test_an_incomplete_or_malformed_row_is_refused_and_named_in_the_summary(
    owner, profile, row, field, message
):
    response = owner.post(reverse("settings-hours"), hours_data((SATURDAY, "10:00", "12:00"), row))
    assert response.status_code == 200
    assert response.context["formset"].forms[1].errors == {field: [message]}
    assert response.context["summary"] == [{"text": f"Window 2: {message}", "anchor": "windows-1"}]
    assert windows_of(profile) == NINE_TO_FIVE_WEEKDAYS


def test_a_tampered_form_count_is_refused_without_saving(owner, profile):
    data = hours_data((MONDAY, "09:00", "17:00"))
    del data["windows-TOTAL_FORMS"]
    response = owner.post(reverse("settings-hours"), data)
    assert response.status_code == 200
    assert "Reload the page" in response.content.decode()
    assert windows_of(profile) == NINE_TO_FIVE_WEEKDAYS


def test_add_a_window_without_javascript_keeps_the_input_adds_a_row_and_saves_nothing(
    owner, profile
):
    response = owner.post(
        reverse("settings-hours"),
        hours_data((MONDAY, "07:00", "08:00"), (TUESDAY, "17:00", "09:00"), add_row="1"),
    )
    assert response.status_code == 200
    formset = response.context["formset"]
    assert len(formset.forms) == 4  # two filled, the blank one, and the new one
    html = response.content.decode()
    assert 'name="windows-0-start" value="07:00"' in html
    assert 'name="windows-1-start" value="17:00"' in html  # kept, not judged yet
    assert 'name="windows-3-weekday"' in html
    assert "Nothing was saved" not in html
    assert windows_of(profile) == NINE_TO_FIVE_WEEKDAYS


def test_add_a_window_with_htmx_returns_one_row_and_raises_the_form_count(owner):
    response = owner.get(
        reverse("settings-hours-row"), {"windows-TOTAL_FORMS": "7"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert 'id="windows-7"' in html
    assert 'name="windows-7-weekday"' in html and "autofocus" in html
    assert 'name="windows-7-DELETE"' in html
    assert (
        '<input type="hidden" name="windows-TOTAL_FORMS" value="8" '
        'id="id_windows-TOTAL_FORMS" hx-swap-oob="true">'
    ) in html
    assert "<h1>" not in html


def test_a_row_added_with_htmx_is_saved_with_the_others(owner, profile):
    owner.get(reverse("settings-hours-row"), {"windows-TOTAL_FORMS": "1"}, HTTP_HX_REQUEST="true")
    data = hours_data((MONDAY, "09:00", "12:00"), (MONDAY, "13:00", "17:00"), blank_rows=0)
    owner.post(reverse("settings-hours"), data)
    assert len(windows_of(profile)) == 2


def test_the_hours_page_without_htmx_is_where_the_row_link_leads(owner):
    response = owner.get(reverse("settings-hours-row"), {"windows-TOTAL_FORMS": "7"})
    assert response.status_code == 302
    assert response.url == reverse("settings-hours")


def test_saving_hours_replaces_only_the_owners_windows(owner, profile, outsider):
    theirs = FreelancerProfile.for_user(outsider)
    owner.post(reverse("settings-hours"), hours_data((SATURDAY, "10:00", "14:00")))
    assert windows_of(profile) == [(SATURDAY, time(10), time(14))]
    assert windows_of(theirs) == NINE_TO_FIVE_WEEKDAYS


@pytest.fixture
def passes_run():
    """The user ids of the evaluation passes that ran (eagerly) while the test ran."""
    seen = []

    def record(sender, task, args, **kwargs):
        if task.name == "engagements.tasks.evaluate_user":
            seen.append(args[0])

    task_prerun.connect(record, weak=False)
    yield seen
    task_prerun.disconnect(record)


def test_saving_settings_re_evaluates_the_owners_flags_after_commit(
    owner, user, passes_run, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(reverse("settings-hours"), hours_data((MONDAY, "09:00", "17:00")))
        owner.post(reverse("settings-thresholds"), thresholds_data())
    assert passes_run == [user.pk, user.pk]


def test_refused_hours_do_not_re_evaluate(owner, passes_run, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(reverse("settings-hours"), hours_data((MONDAY, "17:00", "17:00")))
    assert passes_run == []


# --- days off -----------------------------------------------------------------------------


def test_a_day_off_is_added_with_its_note(owner, profile):
    response = owner.post(
        reverse("settings-days-off"), {"date": "2030-05-06", "note": "Dentist"}, follow=True
    )
    assert list(profile.days_off.values_list("date", "note")) == [(date(2030, 5, 6), "Dentist")]
    assert "Day off added: Mon 6 May 2030." in messages_of(response)
    html = response.content.decode()
    assert "Mon 6 May 2030" in html and "Dentist" in html


def test_a_run_of_days_off_is_added_in_one_go(owner, profile):
    owner.post(
        reverse("settings-days-off"),
        {"date": "2030-08-01", "until": "2030-08-05", "note": "Summer"},
    )
    assert list(profile.days_off.values_list("date", flat=True)) == [
        date(2030, 8, 1) + timedelta(days=n) for n in range(5)
    ]


def test_a_day_off_already_there_is_refused_with_a_clear_message(owner, profile):
    DayOff.objects.create(profile=profile, date=date(2030, 5, 6), note="Dentist")
    response = owner.post(reverse("settings-days-off"), {"date": "2030-05-06", "note": "Again"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "date": ["Mon 6 May 2030 is already one of your days off."]
    }
    assert 'value="Again"' in response.content.decode()
    assert profile.days_off.count() == 1


def test_a_run_that_includes_a_day_off_already_there_adds_nothing(owner, profile):
    DayOff.objects.create(profile=profile, date=date(2030, 8, 3))
    response = owner.post(
        reverse("settings-days-off"), {"date": "2030-08-01", "until": "2030-08-05"}
    )
    assert "Sat 3 Aug 2030 is already one of your days off." in response.content.decode()
    assert list(profile.days_off.values_list("date", flat=True)) == [date(2030, 8, 3)]


def test_another_users_day_off_on_the_same_date_is_no_obstacle(owner, profile, outsider):
    DayOff.objects.create(profile=FreelancerProfile.for_user(outsider), date=date(2030, 5, 6))
    owner.post(reverse("settings-days-off"), {"date": "2030-05-06"})
    assert profile.days_off.count() == 1


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"date": ""}, {"date": ["Choose the day."]}),
        ({"date": "06/05/2030"}, {"date": ["Enter a date as YYYY-MM-DD."]}),
        (
            {"date": "2030-05-06", "until": "2030-05-01"},
            {"until": ["The last day must be on or after the first."]},
        ),
        (
            {"date": "2030-01-01", "until": "2031-06-01"},
            {"until": ["Add at most 366 days at once."]},
        ),
    ],
)
def test_a_day_off_with_a_bad_date_is_refused(owner, profile, data, errors):
    response = owner.post(reverse("settings-days-off"), data)
    assert response.context["form"].errors == errors
    assert profile.days_off.count() == 0


def test_a_day_off_is_removed(owner, profile):
    day = DayOff.objects.create(profile=profile, date=date(2030, 5, 6))
    response = owner.post(reverse("settings-day-off-delete", args=[day.pk]), follow=True)
    assert not DayOff.objects.filter(pk=day.pk).exists()
    assert "Removed the day off on Mon 6 May 2030." in messages_of(response)


def test_removing_another_users_day_off_is_a_404_and_keeps_it(owner, outsider):
    theirs = DayOff.objects.create(
        profile=FreelancerProfile.for_user(outsider), date=date(2030, 5, 6)
    )
    response = owner.post(reverse("settings-day-off-delete", args=[theirs.pk]))
    assert response.status_code == 404
    assert DayOff.objects.filter(pk=theirs.pk).exists()


def test_a_day_off_is_only_removed_by_a_post(owner, profile):
    day = DayOff.objects.create(profile=profile, date=date(2030, 5, 6))
    assert owner.get(reverse("settings-day-off-delete", args=[day.pk])).status_code == 405
    assert DayOff.objects.filter(pk=day.pk).exists()


def test_past_days_off_are_listed_apart_from_those_coming_up(owner, profile):
    DayOff.objects.create(profile=profile, date=date(2001, 1, 2), note="Long ago")
    DayOff.objects.create(profile=profile, date=date(2099, 1, 2), note="Far ahead")
    response = owner.get(reverse("settings-days-off"))
    assert [d.note for d in response.context["upcoming"]] == ["Far ahead"]
    assert [d.note for d in response.context["past"]] == ["Long ago"]
    assert "Past days off (1)" in response.content.decode()


# --- thresholds ---------------------------------------------------------------------------


def test_saving_thresholds_persists_them(owner, profile):
    response = owner.post(
        reverse("settings-thresholds"),
        thresholds_data(
            reply_warning_percent="60",
            boundary_pattern_count="4",
            boundary_pattern_days="21",
            disrespect_breach_count="3",
            disrespect_window_days="60",
            deadline_risk_days="2",
            undocumented_after_days="3",
            walk_away_score="30",
            walk_away_weeks="4",
        ),
        follow=True,
    )
    assert "Rule thresholds saved." in messages_of(response)
    profile.refresh_from_db()
    assert (
        profile.reply_warning_percent,
        profile.boundary_pattern_count,
        profile.boundary_pattern_days,
        profile.disrespect_breach_count,
        profile.disrespect_window_days,
        profile.deadline_risk_days,
        profile.undocumented_after_days,
        profile.walk_away_score,
        profile.walk_away_weeks,
    ) == (60, 4, 21, 3, 60, 2, 3, 30, 4)


def test_each_threshold_explains_its_rule_and_default(owner):
    form = owner.get(reverse("settings-thresholds")).context["form"]
    for field in form:
        assert len(field.help_text) > 30, field.name
        assert "Default:" in field.help_text
    html = owner.get(reverse("settings-thresholds")).content.decode()
    assert "outside your working hours" in html
    assert "0 turns this off" in html


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("boundary_pattern_count", "0", "Must be at least 1."),
        ("disrespect_window_days", "-1", "Must be at least 1."),
        ("walk_away_weeks", "0", "Must be at least 1."),
        ("reply_warning_percent", "100", "Must be at most 99."),
        ("reply_warning_percent", "0", "Must be at least 1."),
        ("walk_away_score", "101", "Must be at most 100."),
        ("deadline_risk_days", "soon", "Enter a whole number."),
    ],
)
def test_a_bad_threshold_is_refused_beside_its_field_and_nothing_is_saved(
    owner, profile, field, value, message
):
    response = owner.post(
        reverse("settings-thresholds"),
        thresholds_data(boundary_pattern_days="20", **{field: value}),
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {field: [message]}
    assert f'value="{value}"' in response.content.decode()
    profile.refresh_from_db()
    assert profile.boundary_pattern_days == 14  # the valid change beside it was not saved either


def test_a_walk_away_score_of_zero_is_allowed_and_turns_it_off(owner, profile):
    owner.post(reverse("settings-thresholds"), thresholds_data(walk_away_score="0"))
    profile.refresh_from_db()
    assert profile.walk_away_score == 0
