"""The rules as pure functions: plain values in, a Finding (or None) out."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from clients.business_time import BusinessCalendar
from engagements import rules
from engagements.models import Rule, Severity

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = [(d, time(9), time(17)) for d in range(5)]
CAL = BusinessCalendar(BERLIN, NINE_TO_FIVE)
T = rules.Thresholds()


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026: the 23rd is a Monday."""
    return datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


MONDAY_10 = berlin(23, 10)


def reply(now, asked=MONDAY_10, window=8):
    return rules.reply_owed(
        CAL,
        T,
        now,
        client_id=1,
        client_name="Acme",
        interaction_id=7,
        asked_at=asked,
        window_hours=window,
    )


def test_a_reply_is_not_owed_loudly_before_three_quarters_of_the_window():
    assert reply(berlin(23, 15, 59)) is None


def test_a_reply_owed_turns_amber_at_three_quarters_of_the_window_in_working_hours():
    finding = reply(berlin(23, 16))
    assert finding.severity == Severity.WARNING
    assert finding.subject == "interaction:7"
    assert finding.warn_at == berlin(23, 16)


def test_a_reply_owed_turns_red_when_the_working_window_is_used_up_next_morning():
    # Monday 10:00–17:00 is 7 working hours; the 8th ends Tuesday 10:00.
    assert reply(berlin(24, 9, 59)).severity == Severity.WARNING
    finding = reply(berlin(24, 10))
    assert finding.severity == Severity.BREACH
    assert finding.breach_at == berlin(24, 10)


def test_a_message_on_friday_evening_is_not_due_until_monday():
    finding = reply(
        berlin(30, 16), asked=berlin(27, 20)
    )  # Friday 20:00 → clock starts Monday 09:00
    assert finding.breach_at == berlin(30, 17)
    assert finding.severity == Severity.WARNING


def test_with_no_working_hours_at_all_no_timer_ever_fires():
    empty = BusinessCalendar(BERLIN, [])
    assert (
        rules.reply_owed(
            empty,
            T,
            berlin(30, 12),
            client_id=1,
            client_name="A",
            interaction_id=1,
            asked_at=berlin(2, 9),
            window_hours=1,
        )
        is None
    )


@settings(max_examples=60, deadline=None)
@given(
    asked=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31)),
    hours=st.integers(min_value=1, max_value=40),
    percent=st.integers(min_value=1, max_value=99),
    zone=st.sampled_from(
        ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kathmandu"]
    ),
)
def test_a_reply_timer_warns_before_it_breaches_and_breaches_after_exactly_the_window(
    asked, hours, percent, zone
):
    cal = BusinessCalendar(
        zone,
        [(d, time(9), time(12, 30)) for d in range(5)]
        + [(d, time(13, 30), time(17)) for d in range(5)],
    )
    asked = asked.replace(tzinfo=ZoneInfo(zone))
    timer = rules.working_hours_timer(cal, asked, hours, percent)
    assert asked <= timer.warn_at <= timer.breach_at
    assert cal.working_time_between(asked, timer.breach_at) == timedelta(hours=hours)
    assert cal.working_time_between(asked, timer.warn_at) == timedelta(hours=hours) * percent / 100
    assert timer.severity(timer.warn_at - timedelta(seconds=1)) is None
    assert timer.severity(timer.warn_at) == (
        Severity.BREACH if timer.warn_at == timer.breach_at else Severity.WARNING
    )
    assert timer.severity(timer.breach_at) == Severity.BREACH


def test_an_update_is_due_by_the_end_of_the_cadences_last_working_day():
    def owed(now):
        return rules.update_owed(
            CAL,
            T,
            now,
            client_id=1,
            client_name="Acme",
            last_update_at=berlin(23, 10),
            cadence_days=2,
        )

    # Working time Mon 10:00 → Wed 17:00 is 23 h; 75 % of it is reached Wed 11:15.
    assert owed(berlin(25, 11, 14)) is None
    assert owed(berlin(25, 11, 15)).severity == Severity.WARNING
    assert owed(berlin(25, 17)).severity == Severity.BREACH
    assert owed(berlin(25, 17)).breach_at == berlin(25, 17)


def test_a_check_in_is_missed_after_its_cadence_in_working_days_not_calendar_days():
    def missed(now):
        return rules.check_in_missed(
            CAL,
            T,
            now,
            client_id=1,
            client_name="Acme",
            last_check_in_at=berlin(20, 12),
            cadence_days=5,
        )

    # Friday 20th + 5 working days = end of Friday 27th, whatever the weekend in between.
    assert missed(berlin(27, 16, 59)).severity == Severity.WARNING
    assert missed(berlin(27, 17)).severity == Severity.BREACH


def deadline(now, due, started=False):
    return rules.deadline(
        CAL,
        T,
        now,
        client_id=1,
        client_name="Acme",
        expectation_id=3,
        title="Logo",
        due=due,
        started=started,
    )


def test_a_deadline_past_due_and_not_delivered_is_overdue():
    finding = deadline(berlin(25, 9), date(2026, 11, 24), started=True)
    assert (finding.severity, finding.summary) == (Severity.BREACH, "Overdue for Acme: Logo")


def test_a_deadline_due_within_one_working_day_and_not_started_is_at_risk():
    assert deadline(berlin(25, 9), date(2026, 11, 26)).severity == Severity.WARNING
    assert deadline(berlin(25, 9), date(2026, 11, 25)).severity == Severity.WARNING


def test_a_deadline_on_monday_is_at_risk_on_friday_because_the_weekend_is_not_working_time():
    assert deadline(berlin(27, 10), date(2026, 11, 30)).severity == Severity.WARNING


def test_a_deadline_already_started_or_further_away_is_not_at_risk():
    assert deadline(berlin(25, 9), date(2026, 11, 26), started=True) is None
    assert deadline(berlin(25, 9), date(2026, 11, 30)) is None


def waiting(now, last_inbound):
    return rules.waiting_on_client(
        CAL,
        now,
        client_id=1,
        client_name="Acme",
        expectation_id=4,
        title="Feedback",
        due=date(2026, 11, 23),
        last_inbound_at=last_inbound,
    )


def test_waiting_on_a_client_who_is_past_due_and_silent_since():
    assert waiting(berlin(25, 10), berlin(20, 10)).severity == Severity.WARNING
    assert waiting(berlin(25, 10), None).rule == Rule.WAITING_ON_CLIENT


def test_not_waiting_when_the_client_wrote_after_the_due_date_began_or_it_is_not_past_due():
    assert waiting(berlin(25, 10), berlin(23, 8)) is None
    assert waiting(berlin(23, 20), None) is None


def test_an_agreement_is_undocumented_once_a_full_working_day_has_passed_without_confirmation():
    def undocumented(now):
        return rules.undocumented(
            CAL,
            T,
            now,
            client_id=1,
            client_name="Acme",
            subject="change:5",
            what="scope",
            made_at=berlin(23, 10),
            change_record_id=5,
        )

    assert undocumented(berlin(24, 16, 59)) is None
    assert undocumented(berlin(24, 17)).change_record_id == 5


def test_off_channel_contact_only_for_channels_not_agreed():
    common = dict(
        client_id=1,
        client_name="Acme",
        interaction_id=2,
        at=berlin(23, 10),
        agreed=["email", "video"],
    )
    assert rules.off_channel(channel="email", **common) is None
    assert rules.off_channel(channel="sms", **common).figures == {
        "channel": "sms",
        "agreed": ["email", "video"],
    }


def test_the_boundary_pattern_needs_the_configured_number_of_out_of_hours_contacts():
    common = dict(client_id=1, client_name="Acme", first_at=berlin(20, 22))
    assert rules.boundary_pattern(T, count=2, **common) is None
    assert rules.boundary_pattern(T, count=3, **common).severity == Severity.WARNING
    assert (
        rules.boundary_pattern(rules.Thresholds(boundary_pattern_count=5), count=4, **common)
        is None
    )


def test_one_hostile_message_is_a_warning_and_two_in_the_window_a_breach():
    common = dict(client_id=1, client_name="Acme", first_at=berlin(20, 22))
    assert rules.disrespect(T, count=0, **common) is None
    assert rules.disrespect(T, count=1, **common).severity == Severity.WARNING
    assert rules.disrespect(T, count=2, **common).severity == Severity.BREACH
