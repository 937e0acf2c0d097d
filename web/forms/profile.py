"""Forms for the settings pages: profile, working hours (a formset), days off, rule thresholds.

Field rules live on FreelancerProfile (its validators and clean()); these forms only tidy what
was typed (case, spaces), refuse 0 where the model would, and check what the model cannot see
one row at a time: a whole week of working windows, a range of days off.
"""

import re
from datetime import date, time, timedelta
from functools import cache
from typing import Any

import holidays
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.urls import reverse_lazy

from clients.business_time import EMPTY_WINDOW, Window, overlapping, validate_windows
from clients.formats import day_date_year
from clients.models import PROFILE_POSITIVE_FIELDS, DayOff, FreelancerProfile, Weekday
from clients.timezones import timezone_choices, timezone_names
from clients.validation import validate_date_in_range
from web.forms.messages import PlainMessages

WINDOWS_PREFIX = "windows"
MAX_WINDOWS = 50
MAX_DAYS_OFF_AT_ONCE = 366


def at_least_one(form: forms.BaseForm) -> None:
    """Refuse 0 and below beside the fields the model requires to be positive."""
    for name in PROFILE_POSITIVE_FIELDS:
        if field := form.fields.get(name):
            field.min_value = 1
            field.validators = [
                v for v in field.validators if not isinstance(v, MinValueValidator)
            ] + [MinValueValidator(1)]
            field.widget.attrs["min"] = 1


# --- profile ----------------------------------------------------------------------------


@cache
def _timezones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in timezone_names()}


@cache
def holiday_countries() -> list[tuple[str, str]]:
    """(code, name) of every country the `holidays` package knows, by name."""
    codes = set(holidays.list_supported_countries(include_aliases=False))
    names = {
        code: re.sub(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", " ", class_name)
        for class_name, code, *_ in holidays.registry.COUNTRIES.values()
        if code in codes
    }
    return sorted(names.items(), key=lambda item: item[1])


@cache
def holiday_regions(country: str) -> list[tuple[str, str]]:
    """(code, name) of the subdivisions of `country`; empty for an unknown country."""
    try:
        entity = holidays.country_holidays(country)
    except NotImplementedError:
        return []
    names = {}
    for alias, code in getattr(entity, "subdivisions_aliases", {}).items():
        names.setdefault(code, alias)
    return [(code, names.get(code, "")) for code in entity.subdivisions]


def upcoming_holidays(country: str, subdiv: str, today: date, count: int = 3):
    """The next `count` public holidays from `today` on, as (date, name); [] if unknown."""
    if not country:
        return []
    try:
        found = holidays.country_holidays(
            country, subdiv=subdiv or None, years=[today.year, today.year + 1]
        )
    except NotImplementedError:
        return []
    return sorted((day, name) for day, name in found.items() if day >= today)[:count]


class ProfileForm(PlainMessages, forms.ModelForm):
    class Meta:
        model = FreelancerProfile
        fields: tuple[str, ...] = (
            "timezone",
            "holiday_country",
            "holiday_subdiv",
            "reply_window_hours",
            "update_cadence_days",
            "checkin_cadence_days",
            "email_daily_digest",
            "email_weekly_review",
            "email_when_nothing_owed",
        )
        labels = {
            "timezone": "Your time zone",
            "holiday_country": "Country",
            "holiday_subdiv": "State or region (optional)",
            "reply_window_hours": "Reply window (working hours)",
            "update_cadence_days": "Progress update every (working days)",
            "checkin_cadence_days": "Check-in every (working days)",
            "email_daily_digest": "Daily digest: what you owe, at the start of your working day",
            "email_weekly_review": "Weekly review reminder",
            "email_when_nothing_owed": "Send the daily digest even when you owe nothing",
        }
        help_texts = {
            "timezone": "A name such as Europe/Berlin or America/New_York. Start typing a city.",
            "holiday_country": "A two-letter code such as DE, GB or US. Leave empty for no "
            "public holidays.",
            "holiday_subdiv": "Some holidays only apply in part of a country, e.g. BY (Bavaria) "
            "in DE, NY in US.",
            "reply_window_hours": "How many of your working hours you allow yourself to reply.",
            "update_cadence_days": "How often a client with active work hears how it is going.",
            "checkin_cadence_days": "How often you check in or meet.",
        }
        error_messages = {"timezone": {"required": "Choose a time zone."}}
        widgets: dict[str, forms.Widget] = {
            "timezone": forms.TextInput(
                attrs={"list": "timezone-names", "autocomplete": "off", "spellcheck": "false"}
            ),
            "holiday_country": forms.TextInput(
                attrs={
                    "list": "holiday-countries",
                    "autocomplete": "off",
                    "size": 4,
                    # Suggest the new country's regions as soon as it is chosen.
                    "hx-get": reverse_lazy("settings-holiday-regions"),
                    "hx-trigger": "change",
                    "hx-target": "#holiday-regions",
                    "hx-swap": "outerHTML",
                }
            ),
            "holiday_subdiv": forms.TextInput(
                attrs={"list": "holiday-regions", "autocomplete": "off", "size": 8}
            ),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        at_least_one(self)

    def _post_clean(self):
        """The model's clean() decides about holiday codes; this says it in plainer words."""
        super()._post_clean()
        country, region = self.instance.holiday_country, self.instance.holiday_subdiv
        regions = [code for code, _ in holiday_regions(country)]
        unknown = {
            "holiday_country": f"“{country}” is not a country Rapport knows public holidays "
            "for. Use a two-letter code such as DE, GB or US.",
            "holiday_subdiv": f"{country} has no region “{region}”. "
            + (
                f"Choose one of: {', '.join(regions)}."
                if regions
                else f"Leave it empty: {country} has no regional holidays."
            ),
        }
        for name, message in unknown.items():
            if any(e.startswith("Unknown holiday") for e in self.errors.get(name, [])):
                self.errors[name] = self.error_class([message], renderer=self.renderer)

    def clean_timezone(self):
        """Accept any capitalisation of a known name; anything else is left for the model's
        validator, which says what a time zone name looks like."""
        value = self.cleaned_data["timezone"].strip()
        return _timezones_by_lower_name().get(value.lower(), value)

    def clean_holiday_country(self):
        return self.cleaned_data["holiday_country"].strip().upper()

    def clean_holiday_subdiv(self):
        """Match a region code or name in any capitalisation ("by", "Bayern" → "BY")."""
        value = self.cleaned_data["holiday_subdiv"].strip()
        country = self.cleaned_data.get("holiday_country", "")
        if value and country:
            for code, name in holiday_regions(country):
                if value.lower() in (code.lower(), name.lower()):
                    return code
        return value


# --- first run: the profile a step at a time -----------------------------------------------


class ZoneForm(ProfileForm):
    """The time zone, chosen from the list (grouped by region); the first-run page proposes
    the browser's zone with JavaScript, and this form is what decides."""

    class Meta(ProfileForm.Meta):
        fields = ("timezone",)
        labels = {"timezone": "Your time zone"}
        help_texts = {"timezone": "Where you work: your working hours are read on its clock."}
        widgets = {"timezone": forms.Select(attrs={"data-browser-zone": ""})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].widget.choices = [
            ("", "Choose your time zone…"),
            *timezone_choices(),
        ]


class HolidaysForm(ProfileForm):
    class Meta(ProfileForm.Meta):
        fields = ("holiday_country", "holiday_subdiv")


class DefaultsForm(ProfileForm):
    class Meta(ProfileForm.Meta):
        fields = ("reply_window_hours", "update_cadence_days")


# --- thresholds ---------------------------------------------------------------------------


THRESHOLD_GROUPS = (
    ("Replies", ("reply_warning_percent",)),
    ("Out-of-hours pattern", ("boundary_pattern_count", "boundary_pattern_days")),
    ("Disrespectful tone", ("disrespect_breach_count", "disrespect_window_days")),
    ("Deadlines", ("deadline_risk_days",)),
    ("Agreements in writing", ("undocumented_after_days",)),
    ("Walking away", ("walk_away_score", "walk_away_weeks")),
)


class ThresholdsForm(PlainMessages, forms.ModelForm):
    class Meta:
        model = FreelancerProfile
        fields = [name for _, names in THRESHOLD_GROUPS for name in names]
        labels = {
            "reply_warning_percent": "Warn at (% of the reply window)",
            "boundary_pattern_count": "Out-of-hours messages",
            "boundary_pattern_days": "Within (days)",
            "disrespect_breach_count": "Hostile messages for a breach",
            "disrespect_window_days": "Within (days)",
            "deadline_risk_days": "Warn this many working days before a deadline",
            "undocumented_after_days": "Flag after (working days)",
            "walk_away_score": "Health score below",
            "walk_away_weeks": "For this many weeks in a row",
        }
        help_texts = {
            "reply_warning_percent": "A reply you owe turns amber once this share of the "
            "client's reply window has passed in working time, and red when all of it has.",
            "boundary_pattern_count": "How many messages from one client outside your working "
            "hours, within the days below, before Rapport suggests stating your hours to them.",
            "boundary_pattern_days": "The span of days those out-of-hours messages are counted "
            "over.",
            "disrespect_breach_count": "One hostile message from a client is a warning; this "
            "many within the days below make it a breach.",
            "disrespect_window_days": "The span of days hostile messages are counted over.",
            "deadline_risk_days": "Something you owe is at risk when it is due within this many "
            "working days and you have not started it.",
            "undocumented_after_days": "An agreement or change not confirmed in writing this "
            "many working days after it was made is flagged, so nothing rests on a verbal "
            "agreement.",
            "walk_away_score": "Rapport suggests considering a respectful exit when a client's "
            "health (0–100) stays below this score for the weeks below. 0 turns this off.",
            "walk_away_weeks": "How many weekly health snapshots in a row must be below that "
            "score.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        at_least_one(self)
        self.fields["reply_warning_percent"].widget.attrs.update(min=1, max=99)
        self.fields["walk_away_score"].widget.attrs.update(min=0, max=100)
        for name, field in self.fields.items():
            default = FreelancerProfile._meta.get_field(name).default
            field.help_text = f"{field.help_text} Default: {default}."

    def groups(self):
        """(legend, bound fields) for each fieldset on the page."""
        return [(legend, [self[name] for name in names]) for legend, names in THRESHOLD_GROUPS]


# --- working hours ------------------------------------------------------------------------


class TimeOfDayField(forms.TimeField):
    """HH:MM; as an end also 24:00 (midnight, stored as 00:00: an end at or before the start
    is on the next day)."""

    default_error_messages = {"invalid": "Enter a time as HH:MM, for example 09:00."}

    def __init__(self, *, until: bool = False, **kwargs):
        self.until = until
        super().__init__(
            input_formats=["%H:%M", "%H:%M:%S"],
            widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "placeholder": "HH:MM"}),
            required=False,
            **kwargs,
        )

    def to_python(self, value):
        if self.until and isinstance(value, str) and value.strip() in ("24:00", "24:00:00"):
            return time(0)
        return super().to_python(value)


class WindowForm(PlainMessages, forms.Form):
    """One row: a weekday and a stretch of local time. A row left blank is ignored."""

    weekday = forms.TypedChoiceField(
        label="Day",
        choices=[("", "Choose a day")] + Weekday.choices,
        coerce=int,
        empty_value=None,
        required=False,
    )
    start = TimeOfDayField(label="Starts")
    end = TimeOfDayField(label="Ends", until=True)

    def clean(self):
        data = super().clean()
        given = {name: data.get(name) is not None for name in ("weekday", "start", "end")}
        if any(given.values()) or self.errors:
            missing = {
                "weekday": "Choose a day.",
                "start": "Enter the start time.",
                "end": "Enter the end time.",
            }
            for name, message in missing.items():
                if not given[name] and name not in self.errors:
                    self.add_error(name, message)
        return data

    @property
    def window(self) -> Window | None:
        """The row as a Window, when all three parts are present and well-formed."""
        data = getattr(self, "cleaned_data", {})
        parts = (data.get("weekday"), data.get("start"), data.get("end"))
        return Window(*parts) if None not in parts else None


class BaseWindowFormSet(forms.BaseFormSet):
    default_error_messages = {
        "missing_management_form": "The form arrived incomplete. Reload the page and try again.",
        "too_many_forms": "You can have at most %(num)d working windows.",
    }

    def add_fields(self, form, index):
        super().add_fields(form, index)
        form.fields[forms.formsets.DELETION_FIELD_NAME].label = "Remove"

    def kept_forms(self):
        """(row number, form) for each row not marked for removal."""
        return [
            (number, form)
            for number, form in enumerate(self.forms, 1)
            if not self._should_delete_form(form)
        ]

    def clean(self):
        """The week as a whole: `validate_windows` decides and words the summary; each row
        that is part of a problem also gets the problem beside it."""
        kept = self.kept_forms()
        self._row_problems = [
            (n, message)
            for n, form in kept
            for name, errors in form.errors.items()
            if name != forms.forms.NON_FIELD_ERRORS
            for message in errors
        ]
        rows = [(n, form, form.window) for n, form in kept if form.window]
        problems = validate_windows(w for _, _, w in rows)
        for _n, form, w in rows:
            if w.empty:
                form.add_error("end", EMPTY_WINDOW.capitalize())
        usable = [(n, form, w) for n, form, w in rows if not w.empty]
        for i, j in overlapping(w for _, _, w in usable):
            (n1, f1, w1), (n2, f2, w2) = usable[i], usable[j]
            f1.add_error(None, f"Overlaps window {n2} ({w2.label}).")
            f2.add_error(None, f"Overlaps window {n1} ({w1.label}).")
        if problems:
            raise ValidationError(problems)

    def windows(self) -> list[Window]:
        """The valid week, in order (call after is_valid())."""
        return sorted(
            (form.window for _, form in self.kept_forms() if form.window),
            key=lambda w: (w.weekday, w.start),
        )

    def row_problems(self) -> list[tuple[int, str]]:
        """(row number, message) for what was wrong with a row's own fields, before the week
        as a whole was checked (its problems are the non-form errors)."""
        return getattr(self, "_row_problems", [])


WindowFormSet = forms.formset_factory(
    WindowForm,
    formset=BaseWindowFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_WINDOWS,
    validate_max=True,
    absolute_max=MAX_WINDOWS + 10,
)


def window_formset(data=None, *, windows=()) -> BaseWindowFormSet:
    if data is not None:
        return WindowFormSet(data, prefix=WINDOWS_PREFIX)
    return WindowFormSet(
        initial=[{"weekday": w.weekday, "start": w.start, "end": w.end} for w in windows],
        prefix=WINDOWS_PREFIX,
    )


def posted_rows(data) -> list[dict]:
    """The rows as posted, unjudged: weekday, start, end and DELETE as typed."""
    return [
        {name: form[name].value() for name in ("weekday", "start", "end", "DELETE")}
        for form in window_formset(data).forms
    ]


def window_formset_of(rows: list[dict]) -> BaseWindowFormSet:
    """Rows shown to be checked and saved (nothing is saved yet), and an empty one."""
    formset = WindowFormSet(initial=rows, prefix=WINDOWS_PREFIX)
    formset.extra = 1 if len(rows) < MAX_WINDOWS else 0
    return formset


def window_formset_with_another_row(data) -> BaseWindowFormSet:
    """What was posted, unsaved and unjudged, plus one empty row (the no-JavaScript "Add")."""
    return window_formset_of(posted_rows(data))


WEEKDAYS = range(5)
# The quick fills of the hours editor: (key, button text, windows of one weekday).
PRESETS = {
    "office": ("Mon–Fri 09:00–17:00", ((time(9), time(17)),)),
    "lunch": (
        "Mon–Fri 09:00–12:00 and 13:00–17:00 (a lunch break)",
        ((time(9), time(12)), (time(13), time(17))),
    ),
}


def _row(weekday: int, start, end) -> dict:
    return {"weekday": weekday, "start": start, "end": end, "DELETE": False}


def preset_rows(key: str) -> list[dict] | None:
    """The week of a preset, Monday to Friday, as rows; None for an unknown preset."""
    if key not in PRESETS:
        return None
    return [_row(d, s, e) for d in WEEKDAYS for s, e in PRESETS[key][1]]


def copied_to_weekdays(rows: list[dict], day: int) -> list[dict]:
    """`rows` with every other weekday's (Monday–Friday) rows replaced by copies of `day`'s;
    the weekend, and rows without a day, stay as they are (blank ones go)."""
    others = set(WEEKDAYS) - {day}

    def weekday(row) -> int | None:
        try:
            return int(row["weekday"])
        except (TypeError, ValueError):
            return None

    source = [r for r in rows if weekday(r) == day and not r["DELETE"]]
    kept = [
        r for r in rows if weekday(r) not in others and any((r["weekday"], r["start"], r["end"]))
    ]
    copies = [_row(d, r["start"], r["end"]) for d in sorted(others) for r in source]
    return sorted(kept + copies, key=lambda r: (weekday(r) is None, weekday(r) or 0))


# --- days off -----------------------------------------------------------------------------


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DayOffForm(PlainMessages, forms.ModelForm):
    """A day off, or with `until` a run of them (a holiday); refused if any is already there."""

    until = forms.DateField(
        label="Last day (optional)",
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=DateInput(),
        validators=[validate_date_in_range],
        help_text="For a longer break: every day from the first to this one is added.",
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )

    class Meta:
        model = DayOff
        fields = ("date", "until", "note")
        labels = {"date": "Day off", "note": "Note (optional)"}
        help_texts = {"note": "For you: “Summer holiday”, “Dentist”…"}
        widgets = {"date": DateInput()}
        error_messages = {
            "date": {"required": "Choose the day.", "invalid": "Enter a date as YYYY-MM-DD."}
        }

    def __init__(self, *args, profile: FreelancerProfile, **kwargs):
        super().__init__(*args, **kwargs)
        self.profile = profile
        self.fields["date"].input_formats = ["%Y-%m-%d"]

    def dates(self) -> list[date]:
        first = self.cleaned_data["date"]
        last = self.cleaned_data.get("until") or first
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    def clean(self):
        data = super().clean()
        first, last = data.get("date"), data.get("until")
        if first is None:
            return data
        if last is not None and last < first:
            self.add_error("until", "The last day must be on or after the first.")
            return data
        if last is not None and (last - first).days >= MAX_DAYS_OFF_AT_ONCE:
            self.add_error("until", f"Add at most {MAX_DAYS_OFF_AT_ONCE} days at once.")
            return data
        taken = list(
            self.profile.days_off.filter(date__in=self.dates()).values_list("date", flat=True)
        )
        if taken:
            self.add_error("date", already_taken_message(taken))
        return data

    def save(self, commit=True):
        """Create one DayOff per date (call inside a transaction)."""
        note = self.cleaned_data["note"]
        return DayOff.objects.bulk_create(
            DayOff(profile=self.profile, date=day, note=note) for day in self.dates()
        )


def already_taken_message(taken: list[date]) -> str:
    days = ", ".join(day_date_year(d) for d in sorted(taken)[:5])
    more = f" and {len(taken) - 5} more" if len(taken) > 5 else ""
    if len(taken) == 1:
        return f"{days} is already one of your days off."
    return f"These are already days off: {days}{more}."
