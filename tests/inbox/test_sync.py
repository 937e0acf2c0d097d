"""The mailbox sync against a real, private Dovecot: what is logged, once, read-only; what
happens when the server or the password is wrong; the cursor, the lease and the look-back."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from engagements.models import Interaction
from inbox.models import FolderCursor, Mailbox, MailMessage
from inbox.sync import check_connection, due, sync_mailbox
from inbox.tasks import sync_due_mailboxes
from tests.factories import UserFactory
from tests.inbox.mail_helpers import ALICE, client_with_contact, compose, mailbox_on
from tests.test_beat import beat_schedule

pytestmark = pytest.mark.usefixtures("trust_dovecot")

JANE = "Jane Client <jane@acme.example>"


@pytest.fixture
def acme(profile):
    return client_with_contact(profile.user)


@pytest.fixture
def mailbox(dovecot, account, profile):
    return mailbox_on(dovecot, account, profile.user)


def hours_ago(hours: float) -> datetime:
    return timezone.now() - timedelta(hours=hours)


def logged(owner):
    return list(Interaction.objects.owned_by(owner).order_by("occurred_at"))


# --------------------------------------------------------------------------- what is logged


def test_a_clients_message_in_the_inbox_is_logged_as_inbound_with_its_contact_and_time(
    db, dovecot, account, mailbox, acme
):
    client, contact = acme
    sent = hours_ago(3).replace(microsecond=0)
    dovecot.append(account, compose(JANE, ALICE, "Files?", "Could you send the files?", date=sent))

    result = sync_mailbox(mailbox.pk)

    [interaction] = logged(mailbox.owner)
    assert result.status == "synced" and result.outcome.logged == 1
    assert interaction.client == client and interaction.contact == contact
    assert interaction.direction == Interaction.Direction.INBOUND
    assert interaction.channel == "email"
    assert interaction.occurred_at == sent
    assert interaction.summary == "Files? — Could you send the files?"
    assert interaction.needs_reply and interaction.needs_reply_suggested
    assert interaction.mail.subject == "Files?"


def test_the_freelancers_reply_in_sent_is_logged_as_outbound_to_the_client(
    db, dovecot, account, mailbox, acme
):
    client, contact = acme
    dovecot.append(account, compose(ALICE, JANE, "Re: Files?", "Here they are."), "Sent")

    sync_mailbox(mailbox.pk)

    [interaction] = logged(mailbox.owner)
    assert interaction.direction == Interaction.Direction.OUTBOUND
    assert (interaction.client, interaction.contact) == (client, contact)
    assert not interaction.needs_reply and not interaction.tone_suggested


def test_addresses_match_whatever_their_case(db, dovecot, account, mailbox, acme):
    dovecot.append(account, compose("JANE@Acme.Example", "Alice@Studio.Example"))
    sync_mailbox(mailbox.pk)
    assert len(logged(mailbox.owner)) == 1


def test_anyone_at_a_clients_email_domain_is_with_that_client(db, dovecot, account, mailbox, acme):
    client, _ = acme
    client.email_domains = ["acme.example"]
    client.save()
    dovecot.append(account, compose("Bob <bob@acme.example>", ALICE))

    sync_mailbox(mailbox.pk)

    [interaction] = logged(mailbox.owner)
    assert interaction.client == client and interaction.contact is None


def test_the_same_message_in_inbox_and_sent_is_logged_once(db, dovecot, account, mailbox, acme):
    raw = compose(ALICE, JANE, "Note", "Copying myself", message_id="<same@test.example>")
    dovecot.append(account, raw, "INBOX")
    dovecot.append(account, raw, "Sent")

    result = sync_mailbox(mailbox.pk)

    assert len(logged(mailbox.owner)) == 1
    assert result.seen == 2 and result.outcome.duplicates == 1


def test_a_message_without_message_id_is_logged_once_however_often_it_is_read(
    db, dovecot, account, mailbox, acme
):
    raw = compose(JANE, ALICE, "No id", message_id="")
    dovecot.append(account, raw, "INBOX")
    dovecot.append(account, raw, "Archive")
    mailbox.folders = ["Archive"]
    mailbox.save()

    sync_mailbox(mailbox.pk)

    [row] = MailMessage.objects.owned_by(mailbox.owner)
    assert row.key.startswith("sha256:")
    assert len(logged(mailbox.owner)) == 1


def test_syncing_again_with_nothing_new_logs_nothing(db, dovecot, account, mailbox, acme):
    dovecot.append(account, compose(JANE, ALICE))
    sync_mailbox(mailbox.pk)

    again = sync_mailbox(mailbox.pk)

    assert again.seen == 0 and again.outcome.logged == 0
    assert len(logged(mailbox.owner)) == 1


def test_the_sync_never_changes_the_mailbox(db, dovecot, account, mailbox, acme):
    uid = dovecot.append(account, compose(JANE, ALICE))
    sent_uid = dovecot.append(account, compose(ALICE, JANE), "Sent", flags=("\\Seen",))

    sync_mailbox(mailbox.pk)

    assert "\\Seen" not in dovecot.flags(account)[uid]  # still unread
    assert "\\Seen" in dovecot.flags(account, "Sent")[sent_uid]


def test_only_new_messages_are_fetched_on_the_next_sync(db, dovecot, account, mailbox, acme):
    dovecot.append(account, compose(JANE, ALICE, "One"))
    sync_mailbox(mailbox.pk)
    dovecot.append(account, compose(JANE, ALICE, "Two"))

    again = sync_mailbox(mailbox.pk)

    assert again.seen == 1
    assert [i.mail.subject for i in logged(mailbox.owner)] == ["One", "Two"]


def test_mail_with_nobody_known_is_kept_for_who_is_this_and_not_logged(
    db, dovecot, account, mailbox, acme
):
    dovecot.append(account, compose("Priya <priya@newco.example>", ALICE, "A website?"))

    sync_mailbox(mailbox.pk)

    assert logged(mailbox.owner) == []
    [row] = MailMessage.objects.owned_by(mailbox.owner)
    assert row.state == MailMessage.State.UNKNOWN
    assert (row.from_address, row.subject) == ("priya@newco.example", "A website?")


def test_automated_mail_from_strangers_is_not_kept_at_all(db, dovecot, account, mailbox, eml):
    dovecot.append(account, eml("mailing_list"))
    dovecot.append(account, eml("dsn"))

    result = sync_mailbox(mailbox.pk)

    assert result.seen == 2
    assert not MailMessage.objects.owned_by(mailbox.owner).exists()


def test_automated_mail_needs_no_reply_and_is_never_out_of_hours_contact(
    db, dovecot, account, mailbox, acme
):
    saturday_night = datetime(2026, 11, 21, 22, 10, tzinfo=UTC)
    dovecot.append(
        account,
        compose(
            JANE,
            ALICE,
            "Out of office",
            "I am away.",
            date=saturday_night,
            headers={"Auto-Submitted": "auto-replied"},
        ),  # fmt: skip
        internal_date=saturday_night,
    )

    sync_mailbox(mailbox.pk, now=saturday_night + timedelta(days=2))

    [interaction] = logged(mailbox.owner)
    assert interaction.automated
    assert not interaction.needs_reply and not interaction.out_of_hours


def test_a_short_thanks_is_suggested_as_needing_no_reply(db, dovecot, account, mailbox, acme):
    dovecot.append(account, compose(JANE, ALICE, "Re: Files", "Got it, thank you!"))
    sync_mailbox(mailbox.pk)
    [interaction] = logged(mailbox.owner)
    assert not interaction.needs_reply and interaction.needs_reply_suggested


def test_a_message_only_copied_to_the_freelancer_needs_no_reply(
    db, dovecot, account, mailbox, acme
):
    dovecot.append(account, compose(JANE, "boss@acme.example", "Plan", "Boss, see plan.", cc=ALICE))
    sync_mailbox(mailbox.pk)
    [interaction] = logged(mailbox.owner)
    assert not interaction.needs_reply


def test_a_hostile_message_gets_a_confident_hostile_suggestion(db, dovecot, account, mailbox, acme):
    dovecot.append(account, compose(JANE, ALICE, "Invoice", "Per my last email, this is wrong."))
    sync_mailbox(mailbox.pk)
    [interaction] = logged(mailbox.owner)
    assert interaction.tone == "hostile"
    assert interaction.tone_suggested and interaction.tone_confident


def test_the_first_sync_reads_only_the_look_back(db, dovecot, account, mailbox, acme):
    old = timezone.now() - timedelta(days=90)
    dovecot.append(account, compose(JANE, ALICE, "Old", date=old), internal_date=old)
    dovecot.append(account, compose(JANE, ALICE, "Recent"))

    sync_mailbox(mailbox.pk)

    assert [i.mail.subject for i in logged(mailbox.owner)] == ["Recent"]
    cursor = FolderCursor.objects.get(mailbox=mailbox, folder="INBOX")
    assert cursor.last_uid == 2 and cursor.progress == 100


def test_a_malformed_message_is_skipped_and_counted_and_the_others_logged(
    db, dovecot, account, mailbox, acme
):
    dovecot.append(account, compose(JANE, ALICE, "Before"))
    dovecot.append(account, b"\r\n")  # no header fields at all
    dovecot.append(account, compose(JANE, ALICE, "After"))

    result = sync_mailbox(mailbox.pk)

    assert result.skipped == 1
    assert [i.mail.subject for i in logged(mailbox.owner)] == ["Before", "After"]
    mailbox.refresh_from_db()
    assert (mailbox.seen, mailbox.logged, mailbox.skipped) == (3, 2, 1)


def test_a_changed_uidvalidity_reads_the_folder_again_without_duplicates(
    db, dovecot, account, mailbox, acme
):
    first = compose(ALICE, JANE, "First", message_id="<first@test.example>")
    dovecot.append(account, first, "Sent")
    sync_mailbox(mailbox.pk)
    before = FolderCursor.objects.get(mailbox=mailbox, folder="Sent").uidvalidity
    with dovecot.client(account) as imap:  # the server rebuilds the folder
        assert imap.delete('"Sent"')[0] == "OK"
        assert imap.create('"Sent"')[0] == "OK"
    dovecot.append(account, first, "Sent")
    dovecot.append(account, compose(ALICE, JANE, "Second"), "Sent")

    result = sync_mailbox(mailbox.pk)

    cursor = FolderCursor.objects.get(mailbox=mailbox, folder="Sent")
    assert cursor.uidvalidity != before
    assert result.seen == 2 and result.outcome.duplicates == 1
    assert [i.mail.subject for i in logged(mailbox.owner)] == ["First", "Second"]


def test_the_first_sync_stops_at_its_budget_and_the_next_run_carries_on(
    db, dovecot, account, mailbox, acme
):
    dovecot.append_many(account, [compose(JANE, ALICE, f"N{n}") for n in range(12)])

    first = sync_mailbox(mailbox.pk, batch=5, budget=0)

    cursor = FolderCursor.objects.get(mailbox=mailbox, folder="INBOX")
    assert not first.finished and first.seen == 5
    assert 0 < cursor.progress < 100
    mailbox.refresh_from_db()
    assert not mailbox.first_sync_done and mailbox.next_sync_at <= timezone.now()

    sync_mailbox(mailbox.pk, batch=5)

    assert len(logged(mailbox.owner)) == 12
    mailbox.refresh_from_db()
    assert mailbox.first_sync_done


# --------------------------------------------------------------------------- failures


def test_a_wrong_password_marks_the_mailbox_failing_with_the_servers_words(
    db, dovecot, account, mailbox, caplog
):
    mailbox.password = "not the password"
    mailbox.save()
    started = timezone.now()
    caplog.set_level("DEBUG")

    result = sync_mailbox(mailbox.pk, now=started)

    mailbox.refresh_from_db()
    assert result.status == "failed"
    assert mailbox.status == Mailbox.Status.FAILING and mailbox.error_kind == "auth"
    assert "refused the login" in mailbox.last_error
    assert "AUTHENTICATIONFAILED" in mailbox.last_error or "failed" in mailbox.last_error.lower()
    assert "not the password" not in mailbox.last_error + caplog.text + str(result)
    assert "not the password" not in repr(mailbox) + str(mailbox)
    assert mailbox.failing_since == started
    assert mailbox.next_sync_at == started + timedelta(minutes=5)


def test_failing_again_backs_off_and_keeps_when_it_started_failing(db, dovecot, account, mailbox):
    mailbox.password = "wrong"
    mailbox.save()
    first = timezone.now()
    sync_mailbox(mailbox.pk, now=first)
    sync_mailbox(mailbox.pk, now=first + timedelta(minutes=5))
    sync_mailbox(mailbox.pk, now=first + timedelta(minutes=15))

    mailbox.refresh_from_db()
    assert mailbox.failures == 3 and mailbox.failing_since == first
    assert mailbox.next_sync_at == first + timedelta(minutes=15) + timedelta(minutes=20)
    assert list(due(first + timedelta(minutes=20))) == []


def test_a_fixed_password_clears_the_failure(db, dovecot, account, mailbox, acme):
    mailbox.password = "wrong"
    mailbox.save()
    sync_mailbox(mailbox.pk)
    mailbox.password = account.password
    mailbox.save()

    result = sync_mailbox(mailbox.pk)

    mailbox.refresh_from_db()
    assert result.status == "synced"
    assert mailbox.status == Mailbox.Status.OK
    assert (mailbox.failing_since, mailbox.failures, mailbox.last_error) == (None, 0, "")


def test_a_server_that_never_answers_is_cut_off_by_the_timeout(
    db, profile, hanging_server, settings
):
    settings.MAIL_TIMEOUT = 1
    mailbox = Mailbox.objects.create(
        owner=profile.user, host="127.0.0.1", port=hanging_server.port, username="a", password="b"
    )

    result = sync_mailbox(mailbox.pk)

    mailbox.refresh_from_db()
    assert result.status == "failed" and mailbox.error_kind == "timeout"
    assert "did not answer within 1 seconds" in mailbox.last_error


def test_a_chosen_folder_that_is_missing_fails_the_mailbox_after_the_others_are_logged(
    db, dovecot, account, mailbox, acme
):
    mailbox.folders = ["Clients/Acme"]
    mailbox.save()
    dovecot.append(account, compose(JANE, ALICE))

    result = sync_mailbox(mailbox.pk)

    mailbox.refresh_from_db()
    assert len(logged(mailbox.owner)) == 1
    assert result.status == "failed" and mailbox.error_kind == "folder_missing"
    assert "Clients/Acme" in mailbox.last_error


def test_one_freelancers_broken_mailbox_never_stops_anothers(db, dovecot, account, acme):
    bob = UserFactory(username="bob")
    broken = mailbox_on(dovecot, dovecot.new_account(), bob, password="wrong")
    working = mailbox_on(dovecot, account, acme[0].owner)
    dovecot.append(account, compose(JANE, ALICE))

    with pytest.raises(CommandError, match="1 of 2 mailboxes failed"):
        call_command("sync_mail")

    assert len(logged(working.owner)) == 1
    broken.refresh_from_db()
    assert broken.status == Mailbox.Status.FAILING


def test_sync_mail_syncs_only_the_users_or_the_mailbox_asked_for(db, dovecot, account, acme):
    bob = UserFactory(username="bob")
    bobs = mailbox_on(dovecot, dovecot.new_account(), bob)
    alices = mailbox_on(dovecot, account, acme[0].owner)

    call_command("sync_mail", user="bob")
    call_command("sync_mail", mailbox=bobs.pk)

    alices.refresh_from_db()
    bobs.refresh_from_db()
    assert alices.last_sync_at is None and bobs.last_sync_at is not None


# --------------------------------------------------------------------------- the schedule


def test_a_demo_mailbox_is_never_synced(db, profile):
    demo = Mailbox.objects.create(
        owner=profile.user, host="imap.example.com", username="demo", demo=True
    )
    assert sync_mailbox(demo.pk).status == "skipped"
    assert list(due(timezone.now())) == []


def test_the_beat_queues_one_run_per_due_mailbox(db, dovecot, account, mailbox, acme):
    dovecot.append(account, compose(JANE, ALICE))
    later = mailbox_on(dovecot, dovecot.new_account(), mailbox.owner)
    later.next_sync_at = timezone.now() + timedelta(minutes=3)
    later.save()

    assert sync_due_mailboxes() == 1  # runs at once here (eager tasks)

    mailbox.refresh_from_db()
    later.refresh_from_db()
    assert mailbox.last_sync_at is not None and later.last_sync_at is None
    assert mailbox.next_sync_at > timezone.now()


def test_by_default_beat_syncs_mailboxes_every_five_minutes_and_disable_turns_it_off(tmp_path):
    entry = beat_schedule(tmp_path)["sync-mail"]
    assert (entry["task"], entry["minute"]) == (
        "inbox.tasks.sync_due_mailboxes",
        [*range(0, 60, 5)],
    )
    assert entry["expires"] < 300
    assert "sync-mail" not in beat_schedule(tmp_path, MAIL_SYNC_CRON="disable")


def test_a_run_finds_the_mailbox_taken_while_another_holds_it(db, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(
        lease_token="other", lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert sync_mailbox(mailbox.pk).status == "busy"


# --------------------------------------------------------------------------- test connection


def test_test_connection_lists_the_folders_it_found(db, dovecot, account, mailbox):
    dovecot.append(account, compose(JANE, ALICE))
    check = check_connection(mailbox)
    assert check.ok
    assert check.lines[0] == f"Logged in to 127.0.0.1 as {account.username}."
    assert "Inbox: 1 message." in check.lines
    assert "“Sent”: 0 messages." in check.lines


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"password": "wrong"}, "Wrong user name or password: 127.0.0.1 refused the login"),
        ({"folders": ["Nope"]}, "Folder missing: The folder 'Nope' does not exist"),
        ({"security": Mailbox.Security.SSL}, "TLS error: The secure connection to 127.0.0.1"),
    ],
)
def test_test_connection_says_plainly_what_failed(db, dovecot, account, mailbox, change, says):
    for name, value in change.items():
        setattr(mailbox, name, value)
    check = check_connection(mailbox)
    assert not check.ok
    assert any(line.startswith(says) for line in check.lines), check.lines


def test_test_connection_says_when_the_host_is_unreachable_or_hangs(
    db, profile, closed_port, hanging_server, settings
):
    settings.MAIL_TIMEOUT = 1
    unreachable = Mailbox(host="127.0.0.1", port=closed_port, username="a", password="b")
    hanging = Mailbox(host="127.0.0.1", port=hanging_server.port, username="a", password="b")
    assert check_connection(unreachable).lines[0].startswith("Host unreachable: Could not reach")
    assert check_connection(hanging).lines[0].startswith("Timeout: 127.0.0.1:")
