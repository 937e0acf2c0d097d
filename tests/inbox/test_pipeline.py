"""From message to interaction (inbox.pipeline, inbox.matching): who a message is with, which
way it went, what is kept when nobody is known, and what happens once somebody is."""

from datetime import timedelta

from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.models import Contact
from engagements.models import Interaction
from inbox.matching import AddressBook, Match
from inbox.models import ForwardingAddress, IgnoredSender, Mailbox, MailMessage
from inbox.pipeline import load_address_book, log_known, own_addresses, record
from inbox.sync import _forget_old_unknown
from tests.factories import ClientFactory
from tests.inbox.mail_helpers import ALICE, client_with_contact, mail

JANE = "Jane <jane@acme.example>"
PRIYA = "Priya <priya@newco.example>"


def run(owner, *mails, **options):
    options.setdefault("source", "imap")
    return record(owner.pk, mails, book=load_address_book(owner.pk), now=timezone.now(), **options)


def with_own_address(user, address=ALICE):
    Mailbox.objects.create(owner=user, host="imap.example.com", username="u", addresses=[address])


# --------------------------------------------------------------------------- matching

BOOK = AddressBook.build(
    own=["me@studio.example"],
    contacts=[("jane@acme.example", 1, 10), ("jane@acme.example", 2, 20), ("bob@beta.example", 2, 21)],
    domains=[("acme.example", 1), ("beta.example", 2)],
)  # fmt: skip


def test_a_message_from_a_contact_is_inbound_with_that_contact():
    assert BOOK.place("jane@acme.example", ["me@studio.example"]) == Match(
        "in", 1, 10, "jane@acme.example"
    )


def test_the_client_that_knew_an_address_first_wins():
    assert BOOK.party("jane@acme.example").client_id == 1


def test_anyone_at_a_domain_is_with_its_client_without_a_contact():
    assert BOOK.place("ceo@beta.example", ["me@studio.example"]) == Match(
        "in", 2, None, "ceo@beta.example"
    )


def test_a_message_from_me_goes_to_the_client_of_its_first_known_recipient():
    placed = BOOK.place("me@studio.example", ["friend@else.example", "bob@beta.example"])
    assert placed == Match("out", 2, 21, "bob@beta.example")


def test_a_message_with_nobody_known_is_nobodys():
    assert BOOK.place("priya@newco.example", ["me@studio.example"]) is None
    assert BOOK.place("me@studio.example", ["priya@newco.example"]) is None
    assert BOOK.place(None, ["jane@acme.example"]) is None


def test_a_colleague_writing_to_a_client_is_not_logged():
    """Neither from the client nor from me: not an interaction of mine."""
    assert BOOK.place("colleague@studio.example", ["jane@acme.example"]) is None


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.booleans(), min_size=len("jane@acme.example"), max_size=len("jane@acme.example"))
)
def test_matching_ignores_the_case_of_an_address(upper):
    address = "".join(
        c.upper() if u else c for c, u in zip("jane@acme.example", upper, strict=True)
    )
    assert BOOK.place(address, ["ME@studio.EXAMPLE"]) == BOOK.place("jane@acme.example", [])


# --------------------------------------------------------------------------- recording


def test_own_addresses_come_from_the_login_the_mailboxes_and_the_forwarding_address(profile):
    Mailbox.objects.create(
        owner=profile.user,
        host="h",
        username="Work@Studio.example",
        addresses=["Hi@studio.example"],
    )
    ForwardingAddress.objects.create(
        owner=profile.user, token_hash="x", hint="x", created_at=timezone.now(),
        addresses=["me@home.example"],
    )  # fmt: skip
    assert own_addresses(profile.user.pk) == {
        "alice@example.com",
        "work@studio.example",
        "hi@studio.example",
        "me@home.example",
    }


def test_a_message_logged_twice_in_one_batch_is_one_interaction(profile):
    client_with_contact(profile.user)
    message = mail(JANE, ALICE, key="twice@test.example")
    outcome = run(profile.user, message, message)
    assert (outcome.logged, outcome.duplicates) == (1, 1)
    assert Interaction.objects.count() == 1


def test_a_future_date_is_logged_as_now(profile):
    client_with_contact(profile.user)
    run(profile.user, mail(JANE, ALICE, date=timezone.now() + timedelta(hours=20)))
    assert Interaction.objects.get().occurred_at <= timezone.now()


def test_the_body_is_not_kept_beyond_the_summary(profile):
    client_with_contact(profile.user)
    body = "First line.\n\n" + "Long text. " * 200
    run(profile.user, mail(JANE, ALICE, "Big", body))
    interaction = Interaction.objects.get()
    row = MailMessage.objects.get()
    assert len(interaction.summary) <= 500 and interaction.summary.endswith("…")
    assert row.summary == ""  # the interaction has it; the row keeps no text of its own


def test_out_of_hours_is_derived_as_for_a_typed_interaction(profile):
    client_with_contact(profile.user)
    sunday = timezone.now() - timedelta(days=(timezone.now().weekday() + 1) % 7 or 7)
    run(profile.user, mail(JANE, ALICE, date=sunday))
    assert Interaction.objects.get().out_of_hours


def test_kept_messages_are_logged_once_their_sender_becomes_a_contact(profile):
    acme = ClientFactory(owner=profile.user)
    run(profile.user, mail(PRIYA, ALICE, "One"), mail(PRIYA, ALICE, "Two"))
    assert not Interaction.objects.exists()

    Contact.objects.create(client=acme, name="Priya", email="Priya@NewCo.example")
    assert log_known(profile.user.pk) == 2
    assert log_known(profile.user.pk) == 0

    assert Interaction.objects.filter(client=acme, direction="in").count() == 2
    assert set(MailMessage.objects.values_list("state", flat=True)) == {"logged"}


def test_kept_messages_are_logged_once_their_domain_is_a_clients(
    profile, django_capture_on_commit_callbacks
):
    acme = ClientFactory(owner=profile.user)
    run(profile.user, mail(PRIYA, ALICE, "One"))

    with django_capture_on_commit_callbacks(execute=True):
        acme.email_domains = ["newco.example"]
        acme.save()  # the change is noticed: the kept messages are logged when it commits

    assert Interaction.objects.filter(client=acme).count() == 1


def test_my_messages_to_a_stranger_are_kept_and_logged_once_they_are_known(profile):
    with_own_address(profile.user)
    acme = ClientFactory(owner=profile.user)
    run(profile.user, mail(ALICE, PRIYA, "Proposal"))
    Contact.objects.create(client=acme, name="Priya", email="priya@newco.example")

    log_known(profile.user.pk)

    assert Interaction.objects.get().direction == "out"


def test_nothing_is_kept_from_an_ignored_sender_or_of_notes_to_myself(profile):
    with_own_address(profile.user)
    IgnoredSender.objects.create(owner=profile.user, address="priya@newco.example")
    outcome = run(profile.user, mail(PRIYA, ALICE), mail(ALICE, ALICE, "Note to self"))
    assert outcome.unknown == 2
    assert not MailMessage.objects.exists()


def test_kept_messages_are_forgotten_after_the_look_back(profile):
    run(profile.user, mail(PRIYA, ALICE, date=timezone.now() - timedelta(days=61)))
    run(profile.user, mail(PRIYA, ALICE, date=timezone.now() - timedelta(days=5)))
    _forget_old_unknown(profile.user.pk, timezone.now())
    assert MailMessage.objects.count() == 1


def test_a_kept_message_read_again_after_its_sender_is_known_is_logged(profile):
    message = mail(PRIYA, ALICE, key="kept@test.example")
    run(profile.user, message)
    acme = ClientFactory(owner=profile.user)
    Contact.objects.create(client=acme, name="Priya", email="priya@newco.example")

    outcome = run(profile.user, message)

    assert outcome.logged == 1
    assert MailMessage.objects.get().interaction.client == acme


def test_a_deleted_interaction_is_not_logged_again(profile):
    client_with_contact(profile.user)
    message = mail(JANE, ALICE, key="deleted@test.example")
    run(profile.user, message)
    Interaction.objects.get().delete()

    run(profile.user, message)

    assert not Interaction.objects.exists()
    assert MailMessage.objects.get().state == "logged"


def test_two_freelancers_log_the_same_message_each_for_themselves(profile, outsider):
    client_with_contact(profile.user)
    client_with_contact(outsider, email="jane@acme.example")
    message = mail(JANE, [ALICE, "mallory@example.com"], key="both@test.example")
    run(profile.user, message)
    run(outsider, message)
    assert Interaction.objects.owned_by(profile.user).count() == 1
    assert Interaction.objects.owned_by(outsider).count() == 1
