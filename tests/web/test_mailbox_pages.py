"""Settings → Mailboxes, the forwarding address and "Who is this?": what the freelancer sees
and does, the password kept write-only, and a failing mailbox told once on the dashboard."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from clients.models import Contact
from engagements.models import Interaction
from inbox import forwarding
from inbox.models import FolderCursor, ForwardingAddress, Mailbox, MailMessage
from inbox.pipeline import load_address_book, record
from inbox.sync import sync_mailbox
from tests.factories import ClientFactory
from tests.inbox.mail_helpers import ALICE, client_with_contact, compose, mail, mailbox_on

PASSWORD = "s3cret-Pässword"


def mailbox_of(user, **fields) -> Mailbox:
    values = {"host": "imap.example.com", "username": "alice", "password": PASSWORD} | fields
    return Mailbox.objects.create(owner=user, **values)


def form_data(**changes) -> dict:
    return {
        "name": "Work",
        "host": "127.0.0.1",
        "port": "1",  # nothing listens: "Test connection" fails at once
        "security": "ssl",
        "username": "alice",
        "password": PASSWORD,
        "addresses": "Alice@Studio.example\nhello@studio.example",
        "folders": "",
        "look_back_days": "60",
    } | changes


# --------------------------------------------------------------------------- the list


def test_the_list_shows_each_mailbox_with_its_status(web, profile):
    mailbox_of(profile.user, name="Work", status=Mailbox.Status.OK, seen=40, logged=12)
    mailbox_of(profile.user, name="Old", status=Mailbox.Status.FAILING)
    page = web.get(reverse("settings-mailboxes")).content.decode()
    assert "Work" in page and "working" in page and "12 logged of 40 read" in page
    assert "Old" in page and "failing" in page
    assert "never marks a message as read" in page
    assert reverse("settings-mailbox-create") in page


@pytest.mark.parametrize("n", [1, 6])
def test_the_list_runs_the_same_queries_however_many_mailboxes(
    web, profile, n, django_assert_num_queries
):
    for i in range(n):
        mailbox_of(profile.user, name=f"Box {i}")
    with django_assert_num_queries(5):  # session, user, profile, mailboxes, unknown senders
        assert web.get(reverse("settings-mailboxes")).status_code == 200


# --------------------------------------------------------------------------- add and edit


def test_connecting_a_mailbox_stores_the_password_encrypted_and_says_what_the_test_found(
    web, profile, django_capture_on_commit_callbacks
):
    response = web.post(reverse("settings-mailbox-create"), form_data(), follow=True)

    mailbox = Mailbox.objects.get(owner=profile.user)
    assert mailbox.password == PASSWORD
    assert mailbox.addresses == ["alice@studio.example", "hello@studio.example"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT password FROM inbox_mailbox WHERE id = %s", [mailbox.pk])
        stored = cursor.fetchone()[0]
    assert PASSWORD not in stored
    page = response.content.decode()
    assert "Added Work." in page and "Host unreachable: Could not reach 127.0.0.1:1" in page
    assert PASSWORD not in page


def test_a_mailbox_without_a_password_is_refused(web, profile):
    response = web.post(reverse("settings-mailbox-create"), form_data(password=""))
    assert response.status_code == 200
    assert "Enter the password" in response.content.decode()
    assert not Mailbox.objects.exists()


def test_a_bad_address_is_refused_beside_its_field(web, profile):
    response = web.post(reverse("settings-mailbox-create"), form_data(addresses="not-an-address"))
    assert "Not an email address: not-an-address." in response.content.decode()
    assert not Mailbox.objects.exists()


def test_the_password_is_never_shown_and_left_empty_keeps_the_stored_one(web, profile):
    mailbox = mailbox_of(profile.user)
    url = reverse("settings-mailbox-edit", args=[mailbox.pk])

    page = web.get(url).content.decode()
    assert PASSWORD not in page
    assert "Leave empty to keep the stored password." in page

    web.post(url, form_data(host="imap.example.com", password="", name="Renamed"))
    mailbox.refresh_from_db()
    assert (mailbox.name, mailbox.password) == ("Renamed", PASSWORD)

    web.post(url, form_data(host="imap.example.com", password="a-new-one"))
    mailbox.refresh_from_db()
    assert mailbox.password == "a-new-one"


def test_another_server_starts_the_mailbox_afresh(web, profile):
    mailbox = mailbox_of(
        profile.user, status=Mailbox.Status.FAILING, failing_since=timezone.now(), failures=4
    )
    FolderCursor.objects.create(mailbox=mailbox, folder="INBOX", uidvalidity=1, last_uid=90)

    web.post(reverse("settings-mailbox-edit", args=[mailbox.pk]), form_data(password=""))

    mailbox.refresh_from_db()
    assert (mailbox.host, mailbox.status, mailbox.failures) == ("127.0.0.1", "new", 0)
    assert mailbox.failing_since is None and mailbox.next_sync_at is None
    assert not FolderCursor.objects.filter(mailbox=mailbox).exists()


def test_test_connection_tries_what_was_typed_and_saves_nothing(
    web, profile, dovecot, account, trust_dovecot
):
    mailbox = mailbox_on(dovecot, account, profile.user)
    url = reverse("settings-mailbox-edit", args=[mailbox.pk])
    data = form_data(
        host=dovecot.host,
        port=str(dovecot.port),
        security="starttls",
        username=account.username,
        password="wrong",
        action="test",
    )

    page = web.post(url, data).content.decode()

    assert "Test connection: it failed." in page
    assert (
        f"Wrong user name or password: 127.0.0.1 refused the login for {account.username}" in page
    )
    mailbox.refresh_from_db()
    assert mailbox.password == account.password

    page = web.post(url, data | {"password": ""}).content.decode()  # empty: the stored one
    assert "Test connection: it works." in page
    assert "Inbox: 0 messages." in page


def test_a_demo_mailbox_cannot_be_edited_or_tested(web, profile):
    demo = mailbox_of(profile.user, demo=True)
    assert web.get(reverse("settings-mailbox-edit", args=[demo.pk])).status_code == 404
    page = web.post(reverse("settings-mailbox-test", args=[demo.pk]), follow=True)
    assert "never connects" in page.content.decode()


def test_removing_a_mailbox_keeps_what_it_logged(web, profile, dovecot, account, trust_dovecot):
    client, _ = client_with_contact(profile.user)
    mailbox = mailbox_on(dovecot, account, profile.user)
    dovecot.append(account, compose("jane@acme.example", ALICE))
    sync_mailbox(mailbox.pk)
    url = reverse("settings-mailbox-delete", args=[mailbox.pk])

    assert "Remove" in web.get(url).content.decode()
    response = web.post(url, follow=True)

    assert "What it logged stays in your clients" in response.content.decode()
    assert not Mailbox.objects.exists()
    assert Interaction.objects.filter(client=client).count() == 1


# --------------------------------------------------------------------------- the mailbox page


def test_the_mailbox_page_shows_syncs_counts_progress_and_the_last_error(web, profile):
    now = timezone.now()
    mailbox = mailbox_of(
        profile.user,
        name="Work",
        status=Mailbox.Status.FAILING,
        last_error="imap.example.com refused the login for alice: [AUTHENTICATIONFAILED]",
        error_kind="auth",
        failing_since=now - timedelta(hours=2),
        failures=3,
        last_sync_at=now - timedelta(hours=3),
        next_sync_at=now + timedelta(minutes=20),
        seen=1200,
        logged=300,
        skipped=2,
    )
    FolderCursor.objects.create(
        mailbox=mailbox, folder="INBOX", uidvalidity=1, scan_from_uid=1, scan_to_uid=100,
        last_uid=40,
    )  # fmt: skip

    page = web.get(reverse("settings-mailbox", args=[mailbox.pk])).content.decode()

    assert "Failing since" in page and "3 failed attempts in a row" in page
    assert "[AUTHENTICATIONFAILED]" in page and "enter the new one" in page
    assert "Messages read</dt><dd>1200" in page and "<dd>300 " in page and "<dd>2 " in page
    assert 'value="40"' in page and "40 %" in page
    assert PASSWORD not in page


def test_the_status_refreshes_by_itself_during_the_first_sync(web, profile):
    mailbox = mailbox_of(profile.user, status=Mailbox.Status.OK)
    url = reverse("settings-mailbox", args=[mailbox.pk])

    page = web.get(url).content.decode()
    fragment = web.get(url, headers={"HX-Request": "true"}).content.decode()

    assert 'hx-trigger="every 5s"' in page
    assert fragment.lstrip().startswith('<section id="status"') and "<h1>" not in fragment
    Mailbox.objects.filter(pk=mailbox.pk).update(first_sync_done=True)
    assert "every 5s" not in web.get(url).content.decode()


def test_the_demo_mailbox_says_it_never_connects(web, profile):
    demo = mailbox_of(profile.user, demo=True, status=Mailbox.Status.OK, first_sync_done=True)
    page = web.get(reverse("settings-mailbox", args=[demo.pk])).content.decode()
    assert "never connects to anything" in page and "never (demo)" in page


def test_sync_now_makes_the_mailbox_due(web, profile):
    mailbox = mailbox_of(profile.user, next_sync_at=timezone.now() + timedelta(hours=3))
    web.post(reverse("settings-mailbox-sync", args=[mailbox.pk]))
    mailbox.refresh_from_db()
    assert mailbox.next_sync_at is None


# --------------------------------------------------------------------------- the dashboard


def test_a_mailbox_failing_for_more_than_an_hour_is_on_the_dashboard(web, profile):
    mailbox = mailbox_of(
        profile.user,
        name="Work",
        status=Mailbox.Status.FAILING,
        failing_since=timezone.now() - timedelta(minutes=30),
        last_error="Wrong password.",
    )
    assert "has not synced since" not in web.get(reverse("dashboard")).content.decode()

    Mailbox.objects.filter(pk=mailbox.pk).update(
        failing_since=timezone.now() - timedelta(minutes=61)
    )
    mailbox.save(update_fields=["name"])  # any save marks the dashboard changed

    page = web.get(reverse("dashboard")).content.decode()
    assert "Your mailbox Work has not synced since" in page and "Wrong password." in page
    assert reverse("settings-mailbox", args=[mailbox.pk]) in page


def test_the_dashboard_notice_goes_when_the_mailbox_works_again(
    web, profile, dovecot, account, trust_dovecot
):
    mailbox = mailbox_on(dovecot, account, profile.user, name="Work")
    Mailbox.objects.filter(pk=mailbox.pk).update(
        status=Mailbox.Status.FAILING, failing_since=timezone.now() - timedelta(hours=3)
    )
    assert "has not synced since" in web.get(reverse("dashboard")).content.decode()

    sync_mailbox(mailbox.pk)

    assert "has not synced since" not in web.get(reverse("dashboard")).content.decode()


# --------------------------------------------------------------------------- forwarding


def test_the_forwarding_address_is_shown_once_then_only_its_end(web, profile, settings):
    settings.INBOUND_DOMAIN = "in.rapport.example"

    made = web.post(reverse("settings-forwarding"), {"action": "make"})

    address = made.context["shown"]
    assert address.startswith("log+") and address.endswith("@in.rapport.example")
    assert address in made.content.decode()
    assert made["Cache-Control"] == "no-store"
    token = address.split("+", 1)[1].split("@", 1)[0]
    assert ForwardingAddress.objects.get(owner=profile.user).token_hash != token
    later = web.get(reverse("settings-forwarding")).content.decode()
    assert address not in later and f"log+…{token[-4:]}@in.rapport.example" in later


def test_a_new_forwarding_address_stops_the_old_one_at_once(web, profile, settings):
    settings.INBOUND_DOMAIN = "in.rapport.example"
    old = web.post(reverse("settings-forwarding"), {"action": "make"}).context["shown"]
    new = web.post(reverse("settings-forwarding"), {"action": "make"}).context["shown"]
    token = lambda a: a.split("+", 1)[1].split("@", 1)[0]  # noqa: E731
    assert not forwarding.token_is_known(token(old))
    assert forwarding.token_is_known(token(new))


def test_the_forwarding_page_saves_the_addresses_you_write_from(web, profile, settings):
    settings.INBOUND_DOMAIN = "in.rapport.example"
    web.post(reverse("settings-forwarding"), {"action": "make"})
    web.post(
        reverse("settings-forwarding"), {"action": "addresses", "addresses": "Me@Work.example"}
    )
    assert ForwardingAddress.objects.get(owner=profile.user).addresses == ["me@work.example"]


def test_without_an_inbound_domain_the_page_says_it_is_not_set_up(web, profile, settings):
    settings.INBOUND_DOMAIN = ""
    page = web.get(reverse("settings-forwarding")).content.decode()
    assert "not set up on this server" in page and "INBOUND_DOMAIN" in page


# --------------------------------------------------------------------------- who is this?


def keep_unknown(owner, sender="Priya Raman <priya@newco.example>", subject="A website?", n=1):
    book = load_address_book(owner.pk)
    tag = "".join(c for c in subject if c.isalnum())
    now = timezone.now()
    mails = [
        mail(
            sender,
            ALICE,
            f"{subject} {i}",
            key=f"{tag}{i}@test.example",
            date=now - timedelta(minutes=n - i),
        )
        for i in range(n)
    ]
    record(owner.pk, mails, book=book, source="imap", now=timezone.now())


def test_who_is_this_lists_unknown_senders_with_their_latest_subject(web, profile):
    ClientFactory(owner=profile.user, name="Acme")
    keep_unknown(profile.user, n=2)

    page = web.get(reverse("mail-unknown")).content.decode()

    assert "Priya Raman" in page and "&lt;priya@newco.example&gt;" in page
    assert "2 messages" in page and "A website? 1" in page
    assert ">Choose a client…</option>" in page


@pytest.mark.parametrize("n", [1, 8])
def test_who_is_this_runs_the_same_queries_however_many_senders(
    web, profile, n, django_assert_num_queries
):
    ClientFactory(owner=profile.user)
    for i in range(n):
        keep_unknown(profile.user, sender=f"p{i}@newco.example", subject=f"s{i}")
    with django_assert_num_queries(5):  # session, user, profile, clients, senders
        assert web.get(reverse("mail-unknown")).status_code == 200


def test_adding_a_sender_to_a_client_makes_a_contact_and_logs_their_past_messages(web, profile):
    acme = ClientFactory(owner=profile.user, name="Acme")
    keep_unknown(profile.user, n=3)

    response = web.post(
        reverse("mail-unknown-add"),
        {"address": "priya@newco.example", "client": acme.pk, "name": "Priya Raman"},
        follow=True,
    )

    assert "Added Priya Raman &lt;priya@newco.example&gt; to Acme: 3 past messages logged." in (
        response.content.decode()
    )
    contact = Contact.objects.get(client=acme)
    assert contact.email == "priya@newco.example"
    logged = Interaction.objects.filter(client=acme)
    assert logged.count() == 3 and {i.contact for i in logged} == {contact}
    assert not MailMessage.objects.filter(state=MailMessage.State.UNKNOWN).exists()
    assert "Priya" not in web.get(reverse("mail-unknown")).content.decode()


def test_a_sender_cannot_be_added_to_someone_elses_client(web, profile, outsider):
    theirs = ClientFactory(owner=outsider)
    keep_unknown(profile.user)
    response = web.post(
        reverse("mail-unknown-add"),
        {"address": "priya@newco.example", "client": theirs.pk, "name": "Priya"},
        follow=True,
    )
    assert "Nothing was added" in response.content.decode()
    assert not Contact.objects.exists()


def test_ignoring_a_sender_forgets_their_messages_and_keeps_nothing_new(web, profile):
    keep_unknown(profile.user, n=2)

    response = web.post(
        reverse("mail-unknown-ignore"), {"address": "priya@newco.example"}, follow=True
    )

    assert "Ignoring priya@newco.example from now on (2 messages forgotten)." in (
        response.content.decode()
    )
    keep_unknown(profile.user, subject="Again")
    assert not MailMessage.objects.exists()


def test_a_forged_address_in_who_is_this_is_a_clear_message(web, profile):
    response = web.post(reverse("mail-unknown-ignore"), {"address": "<script>"}, follow=True)
    assert "Nothing was ignored: Enter a valid email address." in response.content.decode()
