"""Follow-up reminders: sent at the moment asked for, or at the start of the next working window
when that moment is outside working hours; listed, cancellable, and nobody else's."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from engagements import emails, sender
from engagements.models import FollowUp, OutboundEmail
from tests.engagements.email_helpers import smtp_server, subject_of, text_of
from tests.factories import ClientFactory

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 3, 25, 10, 0, tzinfo=BERLIN)  # Wednesday, in Alice's working hours
Status = OutboundEmail.Status


def berlin(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture
def smtp(settings):
    with smtp_server(settings) as inbox:
        yield inbox


@pytest.fixture
def acme(profile):
    """Alice's client; Alice works Mon–Fri 09–17 in Berlin."""
    return ClientFactory(owner=profile.user, name="Acme")


@pytest.fixture
def mallorys(outsider):
    return ClientFactory(owner=outsider, name="Mallory's client")


def schedule(client, remind_at, note="Check in about the launch", now=NOW) -> FollowUp:
    with time_machine.travel(now, tick=False):
        return emails.schedule_follow_up(client=client, note=note, remind_at=remind_at)


def send(at: datetime) -> sender.SendOutcome:
    with time_machine.travel(at, tick=False):
        return sender.send_due()


# --- when it goes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "goes"),
    [
        (berlin(3, 26, 14, 30), berlin(3, 26, 14, 30)),  # in hours: at that moment
        (berlin(3, 26, 7, 0), berlin(3, 26, 9, 0)),  # before the day starts
        (berlin(3, 26, 20, 0), berlin(3, 27, 9, 0)),  # in the evening: next morning
        # Saturday, before the clocks go forward: Monday 09:00 CEST, 07:00 UTC
        (berlin(3, 28, 10, 0), berlin(3, 30, 9, 0)),
    ],
    ids=["in-hours", "early", "evening", "weekend-across-dst"],
)
def test_a_reminder_goes_at_its_moment_or_the_start_of_the_next_working_window(acme, asked, goes):
    follow_up = schedule(acme, asked)

    assert (follow_up.remind_at, follow_up.send_at) == (asked, goes)
    assert follow_up.email.next_attempt_at == goes
    assert follow_up.waited_for_working_hours == (asked != goes)


def test_the_weekend_reminder_arrives_at_nine_local_after_the_dst_change(acme, smtp):
    schedule(acme, berlin(3, 28, 10, 0))

    assert send(datetime(2026, 3, 30, 6, 59, tzinfo=UTC)).sent == 0  # 08:59 CEST
    assert send(datetime(2026, 3, 30, 7, 0, tzinfo=UTC)).sent == 1  # 09:00 CEST
    assert send(datetime(2026, 3, 30, 8, 0, tzinfo=UTC)).sent == 0

    [message] = smtp.to("alice@example.com")
    assert subject_of(message) == "Reminder: Check in about the launch (Acme)"
    text = text_of(message)
    assert "You asked for Saturday 28 March, 10:00; that is outside your working hours" in text
    assert f"https://rapport.test/clients/{acme.pk}/" in text


def test_a_reminder_on_a_day_off_waits_for_the_next_working_day(profile, acme):
    profile.days_off.create(date=berlin(3, 27, 0).date(), note="Long weekend")

    assert schedule(acme, berlin(3, 27, 11)).send_at == berlin(3, 30, 9)


@pytest.mark.parametrize("when", [NOW, NOW - timedelta(minutes=1), NOW - timedelta(days=3)])
def test_a_reminder_in_the_past_is_refused_and_nothing_is_saved(acme, when):
    with pytest.raises(ValidationError) as refused:
        schedule(acme, when)

    assert refused.value.message_dict == {
        "remind_at": ["That moment has already passed: choose a time in the future."]
    }
    assert not FollowUp.objects.exists()
    assert not OutboundEmail.objects.exists()


def test_a_reminder_needs_a_note(acme):
    with pytest.raises(ValidationError) as refused:
        schedule(acme, berlin(3, 26, 10), note="   ")
    assert "note" in refused.value.message_dict
    assert not FollowUp.objects.exists()


def test_a_note_of_several_lines_is_refused_as_it_would_be_the_subject(client, profile, acme):
    client.force_login(profile.user)

    page = post(
        client,
        "/email/reminders/new/",
        {"client": acme.pk, "note": "Call\r\nBcc: x@example.com", "remind_at": "2026-03-27T10:00"},
    )

    assert page.status_code == 422
    assert "Keep the note to one line" in page.content.decode()
    assert not FollowUp.objects.exists()
    assert not OutboundEmail.objects.exists()


# --- the pages -------------------------------------------------------------------------------


def get(client, url):
    with time_machine.travel(NOW, tick=False):
        return client.get(url)


def post(client, url, data):
    with time_machine.travel(NOW, tick=False):
        return client.post(url, data)


def test_the_new_reminder_page_starts_from_the_client_and_the_next_working_morning(
    client, profile, acme
):
    client.force_login(profile.user)

    page = get(client, f"/email/reminders/new/?client={acme.pk}")

    assert page.status_code == 200
    body = page.content.decode()
    assert f'<option value="{acme.pk}" selected>Acme</option>' in body
    assert 'value="2026-03-26T09:00"' in body  # Thursday 09:00, Alice's time


@pytest.mark.parametrize("client_id", ["mallorys", "999999", "abc"])
def test_the_new_reminder_page_is_a_404_for_a_client_that_is_not_yours(
    client, profile, mallorys, client_id
):
    client.force_login(profile.user)
    value = mallorys.pk if client_id == "mallorys" else client_id

    assert get(client, f"/email/reminders/new/?client={value}").status_code == 404
    assert post(client, f"/email/reminders/new/?client={value}", {}).status_code == 404


def test_scheduling_a_reminder_outside_hours_says_when_it_will_really_go(client, profile, acme):
    client.force_login(profile.user)

    response = post(
        client,
        f"/email/reminders/new/?client={acme.pk}",
        {"client": acme.pk, "note": "Check in with Acme", "remind_at": "2026-03-28T10:00"},
    )

    assert (response.status_code, response.url) == (302, "/email/reminders/")
    follow_up = FollowUp.objects.get()
    assert (follow_up.owner, follow_up.client, follow_up.send_at) == (
        profile.user,
        acme,
        berlin(3, 30, 9),
    )
    page = get(client, response.url).content.decode()
    assert "I&#x27;ll remind you on Mon 30 Mar at 09:00: Check in with Acme" in page
    assert "at the start of your working hours" in page


def test_scheduling_returns_to_the_client_page_when_asked(client, profile, acme):
    client.force_login(profile.user)
    response = post(
        client,
        f"/email/reminders/new/?client={acme.pk}",
        {
            "client": acme.pk,
            "note": "Send the invoice",
            "remind_at": "2026-03-26T10:00",
            "next": f"/clients/{acme.pk}/",
        },
    )
    assert response.url == f"/clients/{acme.pk}/"


def test_a_past_moment_is_refused_with_a_clear_message_and_nothing_saved(client, profile, acme):
    client.force_login(profile.user)

    page = post(
        client,
        "/email/reminders/new/",
        {"client": acme.pk, "note": "Check in", "remind_at": "2026-03-25T09:00"},
    )

    assert page.status_code == 422
    assert "That moment has already passed: choose a time in the future." in page.content.decode()
    assert not FollowUp.objects.exists()


def test_a_time_the_clocks_skip_is_refused(client, profile, acme):
    client.force_login(profile.user)

    page = post(
        client,
        "/email/reminders/new/",
        {"client": acme.pk, "note": "Check in", "remind_at": "2026-03-29T02:30"},
    )

    assert page.status_code == 422
    assert "may not exist" in page.content.decode()
    assert not FollowUp.objects.exists()


def test_another_users_client_cannot_be_chosen_in_the_form(client, profile, acme, mallorys):
    client.force_login(profile.user)

    page = post(
        client,
        "/email/reminders/new/",
        {"client": mallorys.pk, "note": "Check in", "remind_at": "2026-03-26T10:00"},
    )

    assert page.status_code == 422
    assert "Select a valid choice" in page.content.decode()
    assert not FollowUp.objects.exists()


def test_the_list_shows_your_reminders_only_in_a_fixed_number_of_queries(
    client, profile, acme, mallorys, django_assert_num_queries
):
    schedule(acme, berlin(3, 26, 10), note="First")
    schedule(mallorys, berlin(3, 26, 10), note="Mallory's")
    client.force_login(profile.user)
    with django_assert_num_queries(4):  # session, user, profile, reminders
        get(client, "/email/reminders/")
    for n in range(4):
        schedule(acme, berlin(3, 27, 10 + n), note=f"More {n}")

    with django_assert_num_queries(4):
        page = get(client, "/email/reminders/")

    body = page.content.decode()
    assert "First" in body and "More 3" in body
    assert "Mallory" not in body


def test_a_reminder_can_be_cancelled_and_is_then_never_sent(client, profile, acme, smtp):
    follow_up = schedule(acme, berlin(3, 26, 10))
    client.force_login(profile.user)

    response = post(client, "/email/reminders/cancel/", {"reminder": follow_up.pk})

    assert (response.status_code, response.url) == (302, "/email/reminders/")
    follow_up.refresh_from_db()
    assert follow_up.cancelled_at == NOW
    assert follow_up.email.status == Status.CANCELLED
    assert send(berlin(3, 26, 10)).sent == 0
    assert smtp.messages == []
    page = get(client, "/email/reminders/").content.decode()
    assert "Cancelled" in page and "No reminders to come." in page


def test_a_reminder_already_sent_cannot_be_cancelled(client, profile, acme, smtp):
    follow_up = schedule(acme, berlin(3, 25, 11))
    send(berlin(3, 25, 11))
    client.force_login(profile.user)

    response = post(client, "/email/reminders/cancel/", {"reminder": follow_up.pk})

    messages = get(client, response.url).content.decode()
    assert re.search(r"Too late to cancel \(sent\)", messages)
    follow_up.refresh_from_db()
    assert follow_up.cancelled_at is None


@pytest.mark.parametrize("value", ["mallorys", "999999", "abc", ""])
def test_cancelling_a_reminder_that_is_not_yours_is_a_404(client, profile, mallorys, value):
    theirs = schedule(mallorys, berlin(3, 26, 10))
    client.force_login(profile.user)
    reminder = theirs.pk if value == "mallorys" else value

    assert post(client, "/email/reminders/cancel/", {"reminder": reminder}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.email.status == Status.QUEUED


def test_cancelling_needs_a_post(client, profile):
    client.force_login(profile.user)
    assert get(client, "/email/reminders/cancel/").status_code == 405


@pytest.mark.parametrize(
    "url", ["/email/reminders/", "/email/reminders/new/", "/email/reminders/cancel/"]
)
def test_the_reminder_pages_need_a_signed_in_user(client, db, url):
    response = client.get(url)
    assert (response.status_code, response.url) == (302, f"/accounts/login/?next={url}")


def test_the_list_can_show_one_clients_reminders(client, profile, acme):
    other = ClientFactory(owner=profile.user, name="Bolt")
    schedule(acme, berlin(3, 26, 10), note="For Acme")
    schedule(other, berlin(3, 26, 10), note="For Bolt")
    client.force_login(profile.user)

    body = get(client, f"/email/reminders/?client={acme.pk}").content.decode()

    assert "For Acme" in body and "For Bolt" not in body
