"""Message scripts: the built-ins filled from a client's data, editing a built-in for oneself,
one's own scripts, "log as sent" (which resolves a reply owed), flags → scripts, and isolation.

Alice (the profile fixture) works Mon–Fri 09:00–17:00 in Berlin; Acme is in New York.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from clients.models import Boundaries
from clients.scripts import (
    BUILTINS,
    PLACEHOLDERS,
    RULE_SCRIPTS,
    Agreement,
    render,
    script_for_rule,
    script_url,
    script_url_for_flag,
    unknown_placeholders,
)
from clients.scripts_model import MessageScript
from engagements.evaluation import evaluate
from engagements.models import Flag, Interaction, Rule
from tests.factories import (
    ClientFactory,
    ContactFactory,
    EngagementFactory,
    ExpectationFactory,
    InteractionFactory,
)

BERLIN = ZoneInfo("Europe/Berlin")
# A Tuesday with no clock change within 60 days in Berlin or New York.
TUESDAY = datetime(2026, 6, 2, 16, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def tuesday_afternoon():
    with time_machine.travel(TUESDAY, tick=False):
        yield


@pytest.fixture
def acme(profile):
    client = ClientFactory(owner=profile.user, name="Acme", organisation="Acme Corp")
    Boundaries.objects.filter(client=client).update(
        agreed_channels=["email", "video"], reply_window_hours=8, update_cadence_days=5
    )
    ContactFactory(client=client, name="Jane Doe")
    engagement = EngagementFactory(client=client, title="Website relaunch")
    ExpectationFactory(engagement=engagement, title="Homepage design", due=date(2026, 6, 5))
    ExpectationFactory(
        engagement=engagement, title="Feedback on the draft", owed_by="client", due=date(2026, 6, 9)
    )
    ExpectationFactory(
        engagement=engagement, title="Old thing", due=date(2026, 5, 1), status="done"
    )
    return client


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def mallory(client, outsider):
    client.force_login(outsider)
    return client


def rendered(logged_in, client, key) -> str:
    response = logged_in.get(f"/scripts/client/{client.pk}/{key}/")
    assert response.status_code == 200
    return response.context["form"].initial["text"]


# Rendering ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", list(BUILTINS))
def test_each_built_in_renders_for_a_client_without_leftover_placeholders(logged_in, acme, key):
    text = rendered(logged_in, acme, key)

    assert "{" not in text and "}" not in text, text
    assert text.startswith("Hi Jane,")
    assert text.rstrip().endswith("alice")  # signed with the user's name (no full name: username)


def test_the_boundary_script_states_the_hours_on_the_clients_clock_and_the_agreement(
    logged_in, acme
):
    text = rendered(logged_in, acme, "boundary")

    assert (
        "My working hours are Mon–Fri 09:00–17:00 Berlin time = "
        "Mon–Fri 03:00–11:00 New York time." in text
    )
    assert "please use email or video call. I reply within 8 working hours." in text
    assert "Website relaunch" in text


def test_the_progress_update_lists_the_open_deadlines_of_both_parties_with_dates(logged_in, acme):
    text = rendered(logged_in, acme, "progress_update")

    assert "- Homepage design (from me), due Fri 5 Jun" in text
    assert "- Feedback on the draft (from your side), due Tue 9 Jun" in text
    assert "Old thing" not in text  # done
    assert "within 5 working days" in text


def test_the_exit_script_lists_only_what_the_freelancer_still_owes(logged_in, acme):
    text = rendered(logged_in, acme, "exit")

    assert "- Homepage design, due Fri 5 Jun" in text
    assert "Feedback on the draft" not in text
    assert "what Acme Corp needs" in text


def test_the_boundary_script_notes_a_coming_clock_change(logged_in, acme):
    with time_machine.travel(datetime(2026, 3, 1, 12, tzinfo=BERLIN), tick=False):
        text = rendered(logged_in, acme, "boundary")

    assert "New York time until 8 Mar, then Mon–Fri 04:00–12:00 until 29 Mar" in text
    assert "Clocks go forward in New York on Sun 8 Mar and in Berlin on Sun 29 Mar." in text


def test_a_contact_can_be_chosen_and_a_client_without_contacts_is_greeted_by_name(
    logged_in, acme, profile
):
    bob = ContactFactory(client=acme, name="Bob Smith")
    response = logged_in.get(f"/scripts/client/{acme.pk}/acknowledge/?contact={bob.pk}")
    assert response.context["form"].initial["text"].startswith("Hi Bob,")

    lone = ClientFactory(owner=profile.user, name="Lone Ltd")
    assert rendered(logged_in, lone, "acknowledge").startswith("Hi Lone Ltd,")


def test_render_leaves_unknown_placeholders_and_stray_braces_as_typed():
    context = {"contact": "Jane", "client": "Acme"}

    assert render("Hi {contact}, {clinet} }:-) {", context) == "Hi Jane, {clinet} }:-) {"
    assert render("{client.__class__} {0} {{ client }}", context) == ("{client.__class__} {0} Acme")


def test_unknown_placeholders_are_named_with_a_suggestion():
    assert unknown_placeholders("Hi {contact}, {clinet}") == [
        "{clinet} is not a placeholder Rapport knows. Did you mean {client}?"
    ]
    assert unknown_placeholders(" ".join(f"{{{name}}}" for name in PLACEHOLDERS)) == []


def test_the_library_documents_every_placeholder_and_lists_the_built_ins(logged_in):
    html = logged_in.get("/scripts/").content.decode()

    for name in PLACEHOLDERS:
        assert f"<code>{{{name}}}</code>" in html
    for script in BUILTINS.values():
        assert script.title in html


# Editing --------------------------------------------------------------------------------------


def test_editing_a_built_in_makes_an_override_for_that_freelancer_only(
    logged_in, acme, outsider, profile
):
    response = logged_in.post(
        "/scripts/boundary/edit/",
        {"title": "My hours", "body": "Dear {contact}, I work {your_hours}."},
    )

    assert response.status_code == 302
    row = MessageScript.objects.get(owner=profile.user, key="boundary")
    assert row.is_override
    assert rendered(logged_in, acme, "boundary") == (
        "Dear Jane, I work Mon–Fri 03:00–11:00 New York time."
    )
    assert not MessageScript.objects.filter(owner=outsider).exists()

    logged_in.post("/scripts/boundary/delete/")  # revert
    assert not MessageScript.objects.filter(owner=profile.user).exists()
    assert "a short note on my availability" in rendered(logged_in, acme, "boundary")


def test_the_outsider_still_gets_the_built_in_wording(client, outsider, profile):
    MessageScript.objects.create(owner=profile.user, key="boundary", title="Mine", body="Mine")
    theirs = ClientFactory(owner=outsider, name="Other")
    client.force_login(outsider)

    assert "a short note on my availability" in rendered(client, theirs, "boundary")


def test_an_unknown_placeholder_is_refused_with_a_suggestion_and_nothing_is_saved(logged_in):
    response = logged_in.post(
        "/scripts/boundary/edit/", {"title": "My hours", "body": "Dear {contatc},"}
    )

    assert response.status_code == 422
    assert "Did you mean {contact}?" in response.content.decode()
    assert not MessageScript.objects.exists()


def test_a_freelancer_adds_their_own_script_and_uses_it_for_a_client(logged_in, acme, profile):
    response = logged_in.post(
        "/scripts/new/",
        {"title": "Invoice reminder", "body": "Hi {contact}, a reminder about {next_deadline}."},
    )

    assert response.status_code == 302
    row = MessageScript.objects.get(owner=profile.user)
    assert (row.key, row.is_override) == ("invoice-reminder", False)
    assert "Invoice reminder" in logged_in.get("/scripts/").content.decode()
    assert "Invoice reminder" in logged_in.get(f"/scripts/client/{acme.pk}/").content.decode()
    assert rendered(logged_in, acme, "invoice-reminder") == (
        "Hi Jane, a reminder about Homepage design, due Fri 5 Jun."
    )

    logged_in.post("/scripts/invoice-reminder/delete/")
    assert not MessageScript.objects.exists()


def test_an_own_script_titled_like_a_built_in_gets_its_own_key(logged_in, profile):
    logged_in.post("/scripts/new/", {"title": "Boundary", "body": "Mine."})
    logged_in.post("/scripts/new/", {"title": "Boundary", "body": "Mine too."})

    keys = set(MessageScript.objects.filter(owner=profile.user).values_list("key", flat=True))
    assert keys == {"boundary-2", "boundary-3"}


def test_an_own_script_without_text_is_refused(logged_in):
    response = logged_in.post("/scripts/new/", {"title": "Empty", "body": "  "})

    assert response.status_code == 422
    assert not MessageScript.objects.exists()


# Log as sent ----------------------------------------------------------------------------------


@pytest.fixture
def reply_owed(acme, profile):
    """Acme asked at 09:00; at 16:00 seven of the eight working hours have gone: a warning."""
    asked = InteractionFactory(
        client=acme, needs_reply=True, occurred_at=datetime(2026, 6, 2, 9, tzinfo=BERLIN)
    )
    evaluate(profile.user.pk)
    flag = Flag.objects.get(rule=Rule.REPLY_OWED, interaction=asked)
    assert flag.state == Flag.State.OPEN
    return flag


@pytest.mark.parametrize("key", ["acknowledge", "reply_window"])
def test_log_as_sent_records_the_outbound_with_its_script_and_resolves_the_reply_owed(
    logged_in, acme, reply_owed, key, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = logged_in.post(
            f"/scripts/client/{acme.pk}/{key}/log/",
            {"channel": "email", "text": "Hi Jane,\n\nThank you for your message."},
        )

    assert response.status_code == 302
    assert response.url == f"/scripts/client/{acme.pk}/{key}/"
    sent = Interaction.objects.get(direction=Interaction.Direction.OUTBOUND)
    assert (sent.client, sent.script, sent.channel, sent.kind) == (acme, key, "email", "other")
    assert sent.summary == f"{BUILTINS[key].title}: Hi Jane, Thank you for your message."
    assert sent.occurred_at == TUESDAY
    assert callbacks  # the worker's evaluation is queued on commit too
    reply_owed.refresh_from_db()
    assert reply_owed.state == Flag.State.RESOLVED
    assert reply_owed.resolved_by == Flag.ResolvedBy.RULE


def test_log_as_sent_records_the_kind_that_resets_the_right_timer(logged_in, acme):
    logged_in.post(f"/scripts/client/{acme.pk}/progress_update/log/", {"channel": "video"})
    logged_in.post(f"/scripts/client/{acme.pk}/check_in/log/", {"channel": "email"})

    kinds = dict(Interaction.objects.values_list("script", "kind"))
    assert kinds == {"progress_update": "update", "check_in": "check_in"}
    engagements = set(Interaction.objects.values_list("engagement__title", flat=True))
    assert engagements == {"Website relaunch"}  # the one active engagement


def test_log_as_sent_over_htmx_answers_with_the_form_and_refreshes_the_flags(logged_in, acme):
    response = logged_in.post(
        f"/scripts/client/{acme.pk}/boundary/log/",
        {"channel": "email", "text": "Hello"},
        HTTP_HX_REQUEST="true",
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Logged as sent to Acme by email" in html and "<html" not in html
    assert "flagsChanged" in response.headers["HX-Trigger"]
    assert Interaction.objects.get().script == "boundary"


def test_log_as_sent_offers_only_the_agreed_channels_and_refuses_another(logged_in, acme):
    page = logged_in.get(f"/scripts/client/{acme.pk}/boundary/")
    assert [c for c, _ in page.context["form"].fields["channel"].choices] == ["email", "video"]

    response = logged_in.post(f"/scripts/client/{acme.pk}/boundary/log/", {"channel": "sms"})

    assert response.status_code == 422
    assert "Select a valid choice" in response.content.decode()
    assert not Interaction.objects.exists()


def test_the_clients_script_page_puts_the_scripts_its_open_flags_call_for_first(
    logged_in, acme, reply_owed
):
    response = logged_in.get(f"/scripts/client/{acme.pk}/")

    scripts = response.context["scripts"]
    assert scripts[0][0].key == "acknowledge" and scripts[0][2] == ["Reply owed"]
    assert "for the open flag: Reply owed" in response.content.decode()


# Flags → scripts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        (Rule.BOUNDARY_PATTERN, "boundary"),
        (Rule.OUT_OF_HOURS, "boundary"),
        (Rule.DISRESPECT, "reschedule"),
        (Rule.WALK_AWAY, "exit"),
        (Rule.REPLY_OWED, "acknowledge"),
        (Rule.UPDATE_OWED, "progress_update"),
        (Rule.CHECK_IN_MISSED, "check_in"),
        (Rule.WAITING_ON_CLIENT, "check_in"),
        (Rule.DEADLINE, None),
        (Rule.UNDOCUMENTED, "confirm_change"),
    ],
)
def test_a_flag_links_the_fitting_script(rule, key):
    assert script_for_rule(rule) == key


def test_every_rule_maps_to_a_built_in_or_nothing():
    assert set(RULE_SCRIPTS) <= set(Rule.values)
    assert set(RULE_SCRIPTS.values()) <= set(BUILTINS)


def test_the_url_helper_points_at_the_clients_script_page(reply_owed, acme, logged_in):
    url = script_url_for_flag(reply_owed)

    assert url == script_url(acme.pk, "acknowledge") == f"/scripts/client/{acme.pk}/acknowledge/"
    assert logged_in.get(url).status_code == 200


# Isolation ------------------------------------------------------------------------------------


def test_an_outsider_gets_404_for_the_owners_clients_and_scripts(mallory, acme, profile):
    MessageScript.objects.create(owner=profile.user, key="mine", title="Mine", body="Hi {contact}")
    MessageScript.objects.create(owner=profile.user, key="boundary", title="Edited", body="Edited")
    htmx = {"HTTP_HX_REQUEST": "true"}

    for url in (
        f"/scripts/client/{acme.pk}/",
        f"/scripts/client/{acme.pk}/boundary/",
        f"/scripts/client/{acme.pk}/mine/",
        "/scripts/mine/edit/",
        f"/scripts/?client={acme.pk}",
    ):
        assert mallory.get(url).status_code == 404, url
        assert mallory.get(url, **htmx).status_code == 404, url
    for url in (
        f"/scripts/client/{acme.pk}/boundary/log/",
        "/scripts/mine/edit/",
        "/scripts/mine/delete/",
        "/scripts/boundary/delete/",  # the owner's override is not the outsider's to revert
    ):
        assert mallory.post(url, {"channel": "email", "title": "x", "body": "x"}).status_code == 404

    assert MessageScript.objects.filter(owner=profile.user).count() == 2
    assert not Interaction.objects.exists()
    library = mallory.get("/scripts/").content.decode()
    assert "Mine" not in library and "Edited" not in library


def test_an_unknown_script_key_is_404(logged_in, acme):
    assert logged_in.get(f"/scripts/client/{acme.pk}/no-such-script/").status_code == 404
    assert logged_in.get("/scripts/no-such-script/edit/").status_code == 404
    assert logged_in.post("/scripts/acknowledge/delete/").status_code == 404  # nothing to revert


def test_the_librarys_client_picker_goes_to_that_clients_scripts(logged_in, acme):
    response = logged_in.get(f"/scripts/?client={acme.pk}")

    assert response.status_code == 302
    assert response.url == f"/scripts/client/{acme.pk}/"


AGREED = datetime(2026, 6, 1, 23, 30, tzinfo=BERLIN)  # Monday night in Berlin


@pytest.mark.parametrize(
    ("subject", "field", "before", "after", "words"),
    [
        (
            "expectation",
            "due",
            "2026-12-14",
            "2026-12-21",
            "“Draft” moves from Mon 14 Dec to Mon 21 Dec",
        ),
        (
            "expectation",
            "title",
            "Draft",
            "Homepage draft",
            "“Draft” is now called “Homepage draft”",
        ),
        ("expectation", "owed_by", "Me", "The client", "“Draft” now comes from your side"),
        ("engagement", "end", "", "2027-01-15", "“Draft” now ends on Fri 15 Jan"),
        (
            "engagement",
            "scope",
            "Six pages",
            "Six pages + a booking form",
            "the scope of “Draft” is now: Six pages + a booking form",
        ),
        (
            "boundaries",
            "reply_window_hours",
            "8",
            "4",
            "I reply to messages within 4 working hours",
        ),
        (
            "boundaries",
            "agreed_channels",
            "Email",
            "Email, Video call",
            "we keep to email or video call",
        ),
        ("expectation", "", "", "2026-12-21", "“Draft” is due Mon 21 Dec, from me"),
    ],
)
def test_an_agreement_is_put_in_words_a_client_reads(subject, field, before, after, words):
    assert Agreement(subject, field, before, after, "Draft", AGREED).words() == words


def test_when_it_was_agreed_is_said_on_the_clients_calendar():
    agreement = Agreement("expectation", "due", "", "2026-12-21", "Draft", AGREED)
    auckland = ZoneInfo("Pacific/Auckland")  # Monday 23:30 Berlin = Tuesday 09:30 there
    assert agreement.when(BERLIN, date(2026, 6, 1)) == "today"
    assert agreement.when(auckland, date(2026, 6, 2)) == "today"
    assert agreement.when(auckland, date(2026, 6, 3)) == "yesterday"
    assert agreement.when(auckland, date(2026, 6, 9)) == "on Tue 2 Jun"
