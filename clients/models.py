"""The freelancer's profile and working hours, their clients, contacts and boundaries."""

from datetime import time
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from clients.business_time import (
    EMPTY_WINDOW,
    BusinessCalendar,
    Window,
    shared_calendar,
    validate_windows,
)
from clients.changes import ChangeTracked
from clients.email_domains import normalise as normalise_domain
from clients.email_domains import problem_with as domain_problem
from clients.ownership import Owned
from clients.timezones import validate_timezone
from clients.validation import TEXT_LIMIT, no_nul, text_validators, validate_date_in_range


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat (Slack, Teams…)"
    PHONE = "phone", "Phone"
    VIDEO = "video", "Video call"
    SMS = "sms", "SMS / WhatsApp"
    IN_PERSON = "in_person", "In person"
    OTHER = "other", "Other"


def positive(field_name):
    return models.CheckConstraint(
        condition=Q(**{f"{field_name}__gte": 1}), name=f"%(class)s_{field_name}_positive"
    )


def zero_errors(instance, field_names) -> dict:
    """Field errors for the `positive()` constraints, so a form shows them beside the field.

    Negative numbers are already refused by the fields' own validators; 0 is the one value that
    passes them and breaks the constraint.
    """
    return {name: "Must be at least 1." for name in field_names if getattr(instance, name) == 0}


PROFILE_POSITIVE_FIELDS = (
    "reply_window_hours",
    "update_cadence_days",
    "checkin_cadence_days",
    "boundary_pattern_count",
    "boundary_pattern_days",
    "disrespect_breach_count",
    "disrespect_window_days",
    "deadline_risk_days",
    "undocumented_after_days",
    "walk_away_weeks",
)
BOUNDARIES_POSITIVE_FIELDS = ("reply_window_hours", "update_cadence_days", "checkin_cadence_days")


class FreelancerProfile(models.Model):
    """One per user: time zone, working calendar, defaults and rule thresholds."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    # A new account starts in UTC; until its owner says where they are, the dashboard says so.
    timezone_set = models.BooleanField(default=False)
    # When the first-run steps were done or skipped: never offered again after.
    onboarded_at = models.DateTimeField(null=True, blank=True)
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        validators=[no_nul],
        help_text="ISO country code for public holidays, e.g. DE, US, GB.",
    )
    holiday_subdiv = models.CharField(
        max_length=10, blank=True, validators=[no_nul], help_text="State or region, e.g. BY, NY."
    )

    reply_window_hours = models.PositiveSmallIntegerField(
        default=8, help_text="Working hours to reply."
    )
    update_cadence_days = models.PositiveSmallIntegerField(
        default=5, help_text="Working days between updates."
    )
    checkin_cadence_days = models.PositiveSmallIntegerField(
        default=10, help_text="Working days between check-ins."
    )

    reply_warning_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="A reply owed turns amber at this share of the reply window.",
    )
    boundary_pattern_count = models.PositiveSmallIntegerField(default=3)
    boundary_pattern_days = models.PositiveSmallIntegerField(default=14)
    disrespect_breach_count = models.PositiveSmallIntegerField(default=2)
    disrespect_window_days = models.PositiveSmallIntegerField(default=30)
    deadline_risk_days = models.PositiveSmallIntegerField(default=1)
    undocumented_after_days = models.PositiveSmallIntegerField(default=1)
    walk_away_score = models.PositiveSmallIntegerField(
        default=40, validators=[MaxValueValidator(100)]
    )
    walk_away_weeks = models.PositiveSmallIntegerField(default=3)

    email_daily_digest = models.BooleanField(default=True)
    email_weekly_review = models.BooleanField(default=True)
    email_when_nothing_owed = models.BooleanField(default=False)

    class Meta:
        constraints = [positive(name) for name in PROFILE_POSITIVE_FIELDS] + [
            models.CheckConstraint(
                condition=Q(reply_warning_percent__gte=1, reply_warning_percent__lte=99),
                name="profile_reply_warning_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(walk_away_score__lte=100), name="profile_walk_away_score_range"
            ),
            models.CheckConstraint(condition=~Q(timezone=""), name="profile_timezone_not_empty"),
        ]

    def __str__(self):
        return f"Profile of {self.user}"

    @property
    def owner_id(self):
        return self.user_id

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def clean(self):
        super().clean()
        errors = zero_errors(self, PROFILE_POSITIVE_FIELDS)
        if self.holiday_subdiv and not self.holiday_country:
            errors["holiday_subdiv"] = "Choose a country before a region."
        elif self.holiday_country:
            # The country alone first, so that a bad region is reported on the region.
            for field, subdiv in (("holiday_country", ""), ("holiday_subdiv", self.holiday_subdiv)):
                try:
                    BusinessCalendar(
                        "UTC", [], holiday_country=self.holiday_country, holiday_subdiv=subdiv
                    )
                except ValueError as e:
                    errors[field] = str(e)
                    break
        if errors:
            raise ValidationError(errors)

    def calendar(self, windows=None, days_off=None) -> BusinessCalendar:
        """The business calendar for this profile (pass prefetched windows/days off to save queries)."""
        if windows is None:
            windows = self.working_windows.all()
        if days_off is None:
            days_off = self.days_off.values_list("date", flat=True)
        return shared_calendar(
            self.timezone,
            tuple(Window(w.weekday, w.start, w.end) for w in windows),
            self.holiday_country,
            self.holiday_subdiv,
            frozenset(days_off),
        )

    @classmethod
    def for_user(cls, user) -> "FreelancerProfile":
        """The user's profile, created with Mon–Fri 09:00–17:00 the first time it is needed."""
        profile, created = cls.objects.get_or_create(user_id=getattr(user, "pk", user))
        if created:
            WorkingWindow.objects.bulk_create(
                WorkingWindow(profile=profile, weekday=d, start=time(9), end=time(17))
                for d in range(5)
            )
        return profile


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingWindow(models.Model):
    """One stretch of working time on a weekday, local wall-clock [start, end); an end at or
    before the start is on the next day (22:00–06:00, 18:00–00:00 = until 24:00), and the
    window belongs to the day it starts (clients.business_time.Window)."""

    profile = models.ForeignKey(
        FreelancerProfile, on_delete=models.CASCADE, related_name="working_windows"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField()

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(start=models.F("end")) | Q(start=time(0)),
                name="window_is_not_empty",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="window_weekday_range"
            ),
            # Overlap between windows (on one day, or a night and the next morning) is refused
            # by an exclusion constraint on PostgreSQL (migration 0004) and by validate_windows
            # everywhere.
        ]

    def __str__(self):
        return self.window.label

    @property
    def window(self) -> Window:
        return Window(self.weekday, self.start, self.end)

    def clean(self):
        super().clean()
        if self.start is None or self.end is None or self.weekday not in Weekday.values:
            return  # the field validators have already said what is missing or wrong
        if self.window.empty:
            raise ValidationError({"end": EMPTY_WINDOW.capitalize()})
        siblings = []
        if self.profile_id:  # every day's: a night may overlap the next morning
            siblings = [
                w.window
                for w in WorkingWindow.objects.filter(profile_id=self.profile_id).exclude(
                    pk=self.pk
                )
            ]
        problems = validate_windows([*siblings, self.window])
        if problems:
            raise ValidationError(problems)


class DayOff(models.Model):
    profile = models.ForeignKey(
        FreelancerProfile, on_delete=models.CASCADE, related_name="days_off"
    )
    date = models.DateField(validators=[validate_date_in_range])
    note = models.CharField(max_length=200, blank=True, validators=[no_nul])

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "date"], name="one_day_off_per_date")
        ]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.note}".strip()


class Client(Owned):
    class Status(models.TextChoices):
        PROSPECT = "prospect", "Prospect"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        ENDED = "ended", "Ended"

    name = models.CharField(max_length=200, validators=[no_nul])
    organisation = models.CharField(max_length=200, blank=True, validators=[no_nul])
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    notes = models.TextField(blank=True, max_length=TEXT_LIMIT, validators=text_validators())
    email_domains = models.JSONField(
        default=list,
        blank=True,
        help_text="Mail from anyone at these domains is with this client (never free mail).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "owner",
                name="client_name_unique_per_owner",
                violation_error_message="You already have a client with this name.",
            ),
            models.CheckConstraint(condition=~Q(timezone=""), name="client_timezone_not_empty"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        # The unique constraint says the same, but as a form-wide error, and not at all when
        # the form excludes `owner` (it always does: the owner is never typed).
        if self.owner_id and self.name and "\x00" not in self.name:  # the field says no to NUL
            taken = Client.objects.filter(owner_id=self.owner_id, name__iexact=self.name).exclude(
                pk=self.pk
            )
            if taken.exists():
                raise ValidationError({"name": "You already have a client with this name."})
        self.clean_email_domains()

    def clean_email_domains(self):
        """Lower-case, no repeats, no free mail, and no domain another of your clients has."""
        if not isinstance(self.email_domains, list) or not all(
            isinstance(d, str) for d in self.email_domains
        ):
            raise ValidationError({"email_domains": "Give the domains as a list of names."})
        domains = list(dict.fromkeys(normalise_domain(d) for d in self.email_domains))
        problems = [p for d in domains if (p := domain_problem(d))]
        if self.owner_id and domains and not problems:
            others = Client.objects.owned_by(self.owner_id).exclude(pk=self.pk)
            for name, theirs in others.exclude(email_domains=[]).values_list(
                "name", "email_domains"
            ):
                problems += [f"{d} is already {name}’s domain." for d in domains if d in theirs]
        if problems:
            raise ValidationError({"email_domains": problems})
        self.email_domains = domains

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class Contact(Owned):
    owner_from = "client"
    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, validators=[no_nul])
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True, validators=[no_nul])
    role = models.CharField(max_length=100, blank=True, validators=[no_nul])

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Boundaries(ChangeTracked, Owned):
    """What was agreed with one client. Every change to it is written as a change record."""

    class AfterHours(models.TextChoices):
        NOT_OK = "not_ok", "Not OK"
        URGENT_ONLY = "urgent_only", "Urgent only"
        OK = "ok", "OK"

    owner_from = "client"
    tracked_fields = (
        "agreed_channels",
        "reply_window_hours",
        "update_cadence_days",
        "checkin_cadence_days",
        "after_hours_policy",
    )

    client = models.OneToOneField(Client, on_delete=models.CASCADE, related_name="boundaries")
    agreed_channels = models.JSONField(
        default=list, blank=True, help_text="Channels the client agreed to use."
    )
    reply_window_hours = models.PositiveSmallIntegerField(help_text="Working hours to reply.")
    update_cadence_days = models.PositiveSmallIntegerField(
        help_text="Working days between progress updates."
    )
    checkin_cadence_days = models.PositiveSmallIntegerField(
        help_text="Working days between check-ins."
    )
    after_hours_policy = models.CharField(
        max_length=12, choices=AfterHours.choices, default=AfterHours.NOT_OK
    )
    confirmed_in_writing_at = models.DateTimeField(
        null=True, blank=True, validators=[validate_date_in_range]
    )
    confirmed_reference = models.CharField(
        max_length=300,
        blank=True,
        validators=[no_nul],
        help_text="Where it was confirmed: an email subject, a contract clause…",
    )

    class Meta:
        verbose_name_plural = "boundaries"
        constraints = [positive(n) for n in BOUNDARIES_POSITIVE_FIELDS]

    def __str__(self):
        return f"Boundaries with {self.client}"

    def clean(self):
        super().clean()
        errors = zero_errors(self, BOUNDARIES_POSITIVE_FIELDS)
        valid = set(Channel.values)
        if not isinstance(self.agreed_channels, list) or not set(self.agreed_channels) <= valid:
            errors["agreed_channels"] = f"Choose channels from: {', '.join(sorted(valid))}."
        if self.confirmed_reference and not self.confirmed_in_writing_at:
            errors["confirmed_in_writing_at"] = "Say when it was confirmed in writing."
        if errors:
            raise ValidationError(errors)

    @classmethod
    def defaults_from(cls, profile: FreelancerProfile) -> dict:
        return {
            "reply_window_hours": profile.reply_window_hours,
            "update_cadence_days": profile.update_cadence_days,
            "checkin_cadence_days": profile.checkin_cadence_days,
            "agreed_channels": [Channel.EMAIL],
        }


from clients.scripts_model import MessageScript  # noqa: E402,F401
