"""The daily digest and the weekly review email, end to end through a real SMTP server: the right
people get the right messages at the right local moment, across a DST change, once."""

import re
import threading
from datetime import UTC, date, datetime
from datetime import time as clock
from io import StringIO
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from clients.models import DayOff
from engagements import emails, links, tasks
from engagements.models import (
    EmailStatus,
    Expectation,
    Flag,
    HealthSnapshot,
    OutboundEmail,
    Party,
    Rule,
    Severity,
)
from tests.engagements.email_helpers import (
    client_of,
    freelancer,
    html_of,
    raise_flag,
    smtp_server,
    subject_of,
    text_of,
)
from tests.factories import ClientFactory, EngagementFactory, ExpectationFactory

ALICE, BOB, CAROL, DAVE, ERIN = (
    f"{n}@example.com" for n in ("alice", "bob", "carol", "dave", "erin")
)
Kind, Status = OutboundEmail.Kind, OutboundEmail.Status


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as inbox:
        yield inbox


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def run(when: datetime) -> emails.Run:
    """One beat: compose what is due, send the outbox, at `when`."""
    with time_machine.travel(when, tick=False):
        return emails.send_due_emails()


def digests(smtp, address):
    return [m for m in smtp.to(address) if "Weekly review" not in subject_of(m)]


def weeklies(smtp, address):
    return [m for m in smtp.to(address) if "Weekly review" in subject_of(m)]


def date_of(message) -> datetime:
    """The message's Date header (written when it was sent), as an aware UTC datetime."""
    sent = message["Date"].datetime
    return sent if sent.tzinfo else sent.replace(tzinfo=UTC)


def read_link(purpose: str, url: str, when: datetime) -> dict:
    """The payload of a link in an email, read at `when` (links expire)."""
    with time_machine.travel(when, tick=False):
        return links.read(purpose, parse_qs(urlsplit(url).query)["t"][0])


def items_by_heading(text: str) -> dict[str, list[str]]:
    """The plain-text digest's "- item" lines under each CAPITALISED heading."""
    found, heading = {}, None
    for line in text.splitlines():
        if re.fullmatch(r"[A-Z][A-Z0-9 ]+", line):
            heading = line
            found[heading] = []
        elif line.startswith("Dashboard:"):
            heading = None
        elif heading and line.startswith("- "):
            found[heading].append(line[2:])
    return found


def urls_in(text: str) -> list[str]:
    return re.findall(r"https://rapport\.test/\S+", text)


@pytest.fixture
def world(db):
    """Alice works 09–17 in Berlin, Bob 09–17 in New York; each owes a client something.
    Carol has turned the digest off; Dave and Erin owe nothing, and Erin wants to hear so."""
    w = SimpleNamespace(
        alice=freelancer("alice", "Europe/Berlin"),
        bob=freelancer("bob", "America/New_York"),
        carol=freelancer(
            "carol", "Europe/Berlin", email_daily_digest=False, email_weekly_review=False
        ),
        dave=freelancer("dave", "Europe/Berlin", email_weekly_review=False),
        erin=freelancer(
            "erin", "Europe/Berlin", email_when_nothing_owed=True, email_weekly_review=False
        ),
    )
    w.acme = client_of(w.alice, "Acme")
    w.bolt = client_of(w.bob, "Bolt")
    w.cato = client_of(w.carol, "Cato")
    w.acme_reply = raise_flag(w.acme, opened_at=utc(3, 1, 10))
    w.bolt_update = raise_flag(w.bolt, Rule.UPDATE_OWED, opened_at=utc(3, 1, 15))
    raise_flag(w.cato, opened_at=utc(3, 1, 10))
    return w


# --- the right local moment --------------------------------------------------------------------


def test_a_berlin_digest_arrives_at_nine_local_time_before_and_after_the_dst_change(world, smtp):
    run(utc(3, 27, 7, 59))  # Friday 08:59 CET
    assert digests(smtp, ALICE) == []

    run(utc(3, 27, 8, 0))  # 09:00 CET = 08:00 UTC
    [friday] = digests(smtp, ALICE)
    assert subject_of(friday) == "Rapport · Fri 27 Mar: 1 reply owed"
    assert date_of(friday) == utc(3, 27, 8)

    run(utc(3, 30, 6, 59))  # Monday 08:59 CEST: the clocks went forward on Sunday
    assert len(digests(smtp, ALICE)) == 1

    run(utc(3, 30, 7, 0))  # 09:00 CEST = 07:00 UTC
    friday, monday = digests(smtp, ALICE)
    assert subject_of(monday) == "Rapport · Mon 30 Mar: 1 reply owed"
    assert date_of(monday) == utc(3, 30, 7)


def test_a_new_york_digest_arrives_at_nine_local_time_before_and_after_the_dst_change(world, smtp):
    run(utc(3, 6, 13, 59))  # Friday 08:59 EST
    assert digests(smtp, BOB) == []
    run(utc(3, 6, 14, 0))  # 09:00 EST = 14:00 UTC
    run(utc(3, 9, 12, 59))  # Monday 08:59 EDT: New York moved its clocks on 8 March
    run(utc(3, 9, 13, 0))  # 09:00 EDT = 13:00 UTC

    assert [(subject_of(m), date_of(m)) for m in digests(smtp, BOB)] == [
        ("Rapport · Fri 6 Mar: 1 update owed", utc(3, 6, 14)),
        ("Rapport · Mon 9 Mar: 1 update owed", utc(3, 9, 13)),
    ]


def test_each_freelancer_gets_their_own_digest_and_nobody_else_does(world, smtp):
    run(utc(3, 27, 13, 0))  # 14:00 in Berlin, 09:00 in New York

    assert {address for rcpt, _ in smtp.received for address in rcpt} == {ALICE, BOB, ERIN}
    [alice] = smtp.to(ALICE)
    assert "Acme" in text_of(alice) and "Acme" in html_of(alice)
    assert "Bolt" not in text_of(alice) + html_of(alice)
    assert "Cato" not in text_of(alice) + html_of(alice)
    [bob] = smtp.to(BOB)
    assert "Bolt" in text_of(bob)
    assert "Acme" not in text_of(bob) + html_of(bob)
    [erin] = smtp.to(ERIN)
    assert subject_of(erin) == "Rapport · Fri 27 Mar: nothing owed today"
    assert "Nothing is owed today" in text_of(erin)
    # Dave's empty day is written down (so it is decided once), but not sent.
    assert OutboundEmail.objects.get(owner=world.dave.user).status == Status.SKIPPED
    assert not OutboundEmail.objects.filter(owner=world.carol.user).exists()


def test_no_digest_on_a_weekend(world, smtp):
    for hour in range(24):
        run(utc(3, 28, hour))  # Saturday
        run(utc(3, 29, hour))  # Sunday (and, late in UTC, the first hours of Monday in Berlin)

    assert smtp.messages == []


def test_no_digest_on_a_public_holiday_or_a_day_off(world, smtp):
    world.alice.holiday_country = "DE"
    world.alice.save()
    DayOff.objects.create(profile=world.alice, date=date(2026, 4, 2), note="Dentist")

    for day in (2, 3, 6):  # Thursday off; Good Friday and Easter Monday are holidays in Germany
        run(utc(4, day, 7))
        run(utc(4, day, 12))
    assert digests(smtp, ALICE) == []
    assert len(digests(smtp, ERIN)) == 3  # Erin has no holidays: her days go on

    run(utc(4, 7, 7))  # Tuesday
    assert [subject_of(m) for m in digests(smtp, ALICE)] == ["Rapport · Tue 7 Apr: 1 reply owed"]


def test_a_digest_whose_moment_was_missed_goes_later_that_working_day_but_never_after(world, smtp):
    run(utc(3, 26, 15, 59))  # Thursday 16:59 in Berlin: the morning's run never happened
    assert len(digests(smtp, ALICE)) == 1

    run(utc(3, 27, 16, 0))  # Friday 17:00: the working day is over
    run(utc(3, 27, 20, 0))
    assert len(digests(smtp, ALICE)) == 1
    assert not OutboundEmail.objects.filter(owner=world.alice.user, key="2026-03-27").exists()


def test_the_first_window_of_a_split_day_is_the_moment(world, smtp):
    """Alice starts at 07:30 on Fridays (07:30–11:00, then 14:00–18:00)."""
    friday = world.alice.working_windows.get(weekday=4)
    friday.start, friday.end = clock(7, 30), clock(11)
    friday.save()
    world.alice.working_windows.create(weekday=4, start=clock(14), end=clock(18))

    run(utc(3, 27, 6, 29))
    assert digests(smtp, ALICE) == []
    run(utc(3, 27, 6, 30))  # 07:30 CET
    assert len(digests(smtp, ALICE)) == 1


def test_a_night_workers_digest_comes_as_their_evening_begins_not_in_last_nights_shift(world, smtp):
    """Alice works nights, Thursday and Friday 22:00–06:00 in Berlin."""
    world.alice.working_windows.all().delete()
    for weekday in (3, 4):
        world.alice.working_windows.create(weekday=weekday, start=clock(22), end=clock(6))

    run(utc(3, 27, 0, 30))  # Friday 01:30 CET: Thursday's night, not Friday's work
    assert not OutboundEmail.objects.filter(owner=world.alice.user, key="2026-03-27").exists()
    run(utc(3, 27, 21, 0))  # Friday 22:00 CET
    assert OutboundEmail.objects.filter(owner=world.alice.user, key="2026-03-27").exists()


def test_running_again_sends_no_digest_twice(world, smtp):
    for when in (utc(3, 27, 8), utc(3, 27, 8), utc(3, 27, 8, 5), utc(3, 27, 15)):
        run(when)

    assert len(digests(smtp, ALICE)) == 1
    assert OutboundEmail.objects.filter(owner=world.alice.user, kind=Kind.DIGEST).count() == 1


def test_a_paused_freelancer_gets_no_digest_written(world, smtp):
    EmailStatus.objects.create(
        owner=world.alice.user, consecutive_failures=10, paused_at=utc(3, 1, 0)
    )

    run(utc(3, 27, 8))

    assert not OutboundEmail.objects.filter(owner=world.alice.user).exists()
    assert smtp.to(ALICE) == []


# --- what the digest says ------------------------------------------------------------------


@pytest.fixture
def alices_friday(world):
    """Friday 27 March, 09:00 in Berlin. Alice's last digest went on Thursday at 09:00."""
    w = world
    OutboundEmail.objects.create(
        owner=w.alice.user,
        kind=Kind.DIGEST,
        key="2026-03-26",
        status=Status.SENT,
        created_at=utc(3, 26, 8),
        next_attempt_at=utc(3, 26, 8),
        sent_at=utc(3, 26, 8),
    )
    owner = w.alice.user
    w.bright = client_of(w.alice, "Bright Ledger")
    w.hartmann = client_of(w.alice, "Hartmann")
    w.harbour = client_of(w.alice, "Harbour Events")
    quiet, done = client_of(w.alice, "Quiet Co"), client_of(w.alice, "Done Co")
    # An update owed that turned red after Thursday's digest: owed, late, and new.
    w.bright_update = raise_flag(
        w.bright,
        Rule.UPDATE_OWED,
        Severity.BREACH,
        opened_at=utc(3, 20, 9),
        breach_at=utc(3, 26, 12),
    )
    # A breach already in Thursday's digest, and one that is new since.
    raise_flag(w.hartmann, Rule.DISRESPECT, Severity.BREACH, opened_at=utc(3, 25, 10))
    w.overdue = raise_flag(
        w.harbour,
        Rule.DEADLINE,
        Severity.BREACH,
        opened_at=utc(3, 26, 15),
        summary="Overdue for Harbour Events: Site map",
    )
    # Snoozed until tomorrow, and resolved: neither is in the digest.
    raise_flag(
        quiet, opened_at=utc(3, 20, 9), state=Flag.State.SNOOZED, snoozed_until=utc(3, 28, 0)
    )
    raise_flag(done, opened_at=utc(3, 20, 9), state=Flag.State.RESOLVED, resolved_at=utc(3, 21, 9))

    work = EngagementFactory(client=w.acme, title="Website")
    for title, due, extra in (
        ("Slides", date(2026, 3, 27), {}),  # today
        ("Report", date(2026, 3, 30), {}),  # Monday: the next working day after a Friday
        ("Budget", date(2026, 3, 31), {}),  # later
        ("Sign-off", date(2026, 3, 27), {"owed_by": Party.CLIENT}),  # theirs, not mine
        ("Old draft", date(2026, 3, 27), {"status": Expectation.Status.DONE}),
    ):
        ExpectationFactory(engagement=work, title=title, due=due, **extra)
    ended = ClientFactory(owner=owner, name="Ended Ltd", status="ended")
    ExpectationFactory(
        engagement=EngagementFactory(client=ended), title="Gone", due=date(2026, 3, 27)
    )
    return w


def test_the_digest_lists_what_is_owed_due_and_newly_red_each_with_a_link(alices_friday, smtp):
    w = alices_friday
    run(utc(3, 27, 8))

    [message] = smtp.to(ALICE)
    assert subject_of(message) == (
        "Rapport · Fri 27 Mar: 1 reply owed, 1 update owed, 2 deadlines, 1 new breach"
    )
    text = text_of(message)
    sections = items_by_heading(text)
    assert sections == {
        "REPLIES OWED": ["Acme: Reply owed to Acme (due soon)"],
        "UPDATES OWED": ["Bright Ledger: Update owed to Bright Ledger (overdue) (new)"],
        "YOUR DEADLINES": ["Today, Acme: Slides", "Mon 30 Mar, Acme: Report"],
        "NEW BREACHES SINCE THU 26 MAR": ["Harbour Events: Overdue for Harbour Events: Site map"],
    }
    for absent in ("Hartmann", "Quiet Co", "Done Co", "Budget", "Sign-off", "Old draft", "Gone"):
        assert absent not in text, absent

    assert f"https://rapport.test/clients/{w.acme.pk}/" in text
    snoozes = [u for u in urls_in(text) if "/email/link/snooze/" in u]
    assert [read_link(links.SNOOZE, u, utc(3, 27, 8)) for u in snoozes] == [
        {"u": w.alice.user_id, "f": flag.pk} for flag in (w.acme_reply, w.bright_update, w.overdue)
    ]
    html = html_of(message)
    assert html.count("Snooze for a day") == 3
    assert f'href="https://rapport.test/clients/{w.harbour.pk}/"' in html


def test_the_digest_offers_a_one_click_unsubscribe_from_the_digest_only(world, smtp):
    run(utc(3, 27, 8))

    [message] = smtp.to(ALICE)
    header = str(message["List-Unsubscribe"]).strip()
    assert header.startswith("<https://rapport.test/email/link/unsubscribe/?t=")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert read_link(links.UNSUBSCRIBE, header.strip("<>"), utc(3, 27, 8)) == {
        "u": world.alice.user_id,
        "k": "digest",
    }


def test_a_first_digest_counts_every_open_breach_as_new(world, smtp):
    raise_flag(world.acme, Rule.DISRESPECT, Severity.BREACH, opened_at=utc(3, 2, 10))

    run(utc(3, 27, 8))

    assert items_by_heading(text_of(smtp.to(ALICE)[0]))["NEW BREACHES"] == [
        "Acme: Disrespect to Acme"
    ]


# --- the weekly review email ------------------------------------------------------------------


def snapshot(client, week: date, score: int):
    return HealthSnapshot.objects.create(client=client, week=week, score=score, components=[])


def test_the_weekly_review_email_arrives_at_the_start_of_the_working_week(world, smtp):
    w = world
    bright = client_of(w.alice, "Bright Ledger")
    gone = client_of(w.alice, "Gone Ltd", status="ended")
    for week, score in ((date(2026, 3, 9), 80), (date(2026, 3, 16), 78), (date(2026, 3, 23), 70)):
        snapshot(w.acme, week, score)
    snapshot(w.acme, date(2026, 3, 30), 60)
    snapshot(bright, date(2026, 3, 30), 30)
    snapshot(gone, date(2026, 3, 30), 10)
    raise_flag(bright, Rule.DISRESPECT, Severity.BREACH, opened_at=utc(3, 25, 10))

    run(utc(3, 30, 6, 59))  # Monday 08:59 CEST
    assert weeklies(smtp, ALICE) == []
    run(utc(3, 30, 7, 0))

    [message] = weeklies(smtp, ALICE)
    assert subject_of(message) == "Rapport · Weekly review 2026-W14: 1 red, 1 amber"
    assert date_of(message) == utc(3, 30, 7)
    text = text_of(message)
    rows = re.findall(r"^- (.+)$", text, re.M)
    assert rows == [
        "Bright Ledger: 30, red; trend new (–, –, –, 30); 1 open flag (1 red)",
        "Acme: 60, amber; trend ↓ -10 (80, 78, 70, 60); 1 open flag",
    ]
    assert "Gone Ltd" not in text
    [review] = [u for u in urls_in(text) if "/email/link/review/" in u]
    # The review looks back on the week that has just ended.
    assert read_link(links.REVIEW, review, utc(3, 30, 7)) == {"u": w.alice.user_id, "w": "2026-W13"}
    assert "Review the week that ended" in html_of(message)
    assert weeklies(smtp, BOB) == []  # 03:00 in New York

    run(utc(3, 30, 13, 0))  # 09:00 EDT
    assert len(weeklies(smtp, BOB)) == 1
    assert [weeklies(smtp, a) for a in (CAROL, DAVE, ERIN)] == [[], [], []]  # they turned it off


def test_the_weekly_email_takes_the_weeks_snapshot_if_the_hourly_job_has_not(world, smtp):
    run(utc(3, 30, 7, 0))

    assert HealthSnapshot.objects.filter(client=world.acme, week=date(2026, 3, 30)).exists()
    [message] = weeklies(smtp, ALICE)
    assert re.search(r"^- Acme: \d+, (green|amber|red); trend new", text_of(message), re.M)


def test_after_a_holiday_monday_the_weekly_email_comes_on_tuesday(world, smtp):
    world.alice.holiday_country = "DE"
    world.alice.save()

    run(utc(4, 6, 7))  # Easter Monday
    run(utc(4, 6, 12))
    assert weeklies(smtp, ALICE) == []
    run(utc(4, 7, 7))  # Tuesday 09:00 CEST
    run(utc(4, 8, 7))
    assert [subject_of(m).split(":")[0] for m in weeklies(smtp, ALICE)] == [
        "Rapport · Weekly review 2026-W15"
    ]


def test_a_freelancer_with_no_active_client_gets_no_weekly_email(db, smtp):
    frank = freelancer("frank", "Europe/Berlin", email_daily_digest=False)

    run(utc(3, 30, 7))

    assert smtp.messages == []
    assert OutboundEmail.objects.get(owner=frank.user).status == Status.SKIPPED


# --- set-based --------------------------------------------------------------------------------


def busy_freelancers(n: int, first: int = 0):
    for i in range(first, first + n):
        profile = freelancer(f"f{i}", "Europe/Berlin" if i % 2 else "Asia/Tokyo")
        client = client_of(profile, f"Client {i}")
        raise_flag(client, opened_at=utc(3, 1, 9))
        raise_flag(client, Rule.DEADLINE, Severity.BREACH, opened_at=utc(3, 2, 9))
        ExpectationFactory(
            engagement=EngagementFactory(client=client), due=date(2026, 3, 27), title="Thing"
        )
        snapshot(client, date(2026, 3, 23), 70)
        snapshot(client, date(2026, 3, 30), 72)


def queries(compose, when) -> int:
    with time_machine.travel(when, tick=False), CaptureQueriesContext(connection) as done:
        composed = compose(when)
    assert composed[Status.QUEUED] > 0
    return len(done)


@pytest.mark.parametrize("compose", [emails.queue_digests, emails.queue_weekly_reviews])
def test_composing_takes_the_same_queries_for_two_freelancers_or_ten(db, compose):
    when = utc(3, 30, 8)  # Monday: 10:00 in Berlin, 17:00 in Tokyo
    busy_freelancers(2)
    few = queries(compose, when)
    busy_freelancers(10, first=2)
    many = queries(compose, when)

    assert few == many, (few, many)
    assert many <= 9
    assert OutboundEmail.objects.filter(status=Status.QUEUED).count() == 6  # Berlin's only


# --- one run: the command, the task, the beat ---------------------------------------------------


def test_the_command_composes_and_sends_once(world, smtp):
    out = StringIO()
    with time_machine.travel(utc(3, 27, 13), tick=False):
        call_command("send_due_emails", stdout=out)
        call_command("send_due_emails", stdout=out)

    first, second = out.getvalue().splitlines()
    assert first.startswith("Daily digests: 3 queued, 1 with nothing to say.")
    assert "Sending: 3 sent, 0 failed" in first
    assert second.startswith("Daily digests: 0 queued, 0 with nothing to say.")
    assert "Sending: 0 sent" in second
    assert len(smtp.messages) == 3


def test_the_beat_task_runs_the_same_code(world, smtp):
    with time_machine.travel(utc(3, 27, 8), tick=False):
        result = tasks.send_due_emails.delay().get()

    # In Berlin: Alice and Erin (who asked for it on an empty day); Dave has nothing to hear.
    assert result.startswith("Daily digests: 2 queued, 1 with nothing to say.")
    assert {a for rcpt, _ in smtp.received for a in rcpt} == {ALICE, ERIN}


def test_the_beat_sends_every_five_minutes_and_each_run_expires_before_the_next():
    entry = django_settings.CELERY_BEAT_SCHEDULE["send-emails"]
    assert entry["task"] == "engagements.tasks.send_due_emails"
    assert entry["schedule"] == crontab(minute="*/5")
    assert 0 < entry["options"]["expires"] < 5 * 60


# --- two runs at once ----------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_compose_and_send_each_digest_once(postgres, smtp):
    for i in range(6):
        profile = freelancer(f"f{i}", "Europe/Berlin")
        raise_flag(client_of(profile, f"Client {i}"), opened_at=utc(3, 1, 9))
    barrier, errors = threading.Barrier(2), []

    def one_run():
        try:
            barrier.wait(timeout=30)
            emails.send_due_emails(utc(3, 27, 8))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)
        finally:
            connections.close_all()

    with time_machine.travel(utc(3, 27, 8), tick=False):
        threads = [threading.Thread(target=one_run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)

    assert not errors, errors
    assert OutboundEmail.objects.filter(kind=Kind.DIGEST, status=Status.SENT).count() == 6
    assert sorted(a for rcpt, _ in smtp.received for a in rcpt) == sorted(
        f"f{i}@example.com" for i in range(6)
    )


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kathmandu"])
def test_the_dates_looked_at_cover_every_zone(zone):
    for now in (utc(3, 27, 0, 30), utc(3, 27, 23, 30)):
        assert now.astimezone(ZoneInfo(zone)).date() in emails.nearby_days(now)
