"""Mail on the client page: logged messages on the timeline (subject, a link-free excerpt,
"from mail"), suggestions the freelancer confirms or flips (HTMX or a plain form), and .eml
files uploaded with the client."""

from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from engagements.evaluation import evaluate
from engagements.models import Flag, Interaction, Rule
from inbox.message import parse_message
from inbox.models import MailMessage
from inbox.pipeline import Mail, load_address_book, record
from tests.inbox.mail_helpers import ALICE, client_with_contact, compose, mail

CORPUS = Path(__file__).resolve().parents[1] / "inbox" / "corpus"
JANE = "Jane <jane@acme.example>"


def log(owner, *mails):
    record(owner.pk, mails, book=load_address_book(owner.pk), source="imap", now=timezone.now())
    return list(Interaction.objects.owned_by(owner).order_by("occurred_at"))


def page_of(web, client) -> str:
    return web.get(reverse("client-detail", args=[client.pk])).content.decode()


def test_a_logged_message_shows_its_subject_a_link_free_excerpt_and_from_mail(web, profile):
    client, _ = client_with_contact(profile.user)
    log(
        profile.user,
        mail(JANE, ALICE, "Brand review", "See https://docs.acme.example/brand?id=7 today."),
    )

    page = page_of(web, client)

    assert "from mail" in page
    assert "<strong>Brand review</strong>" in page
    assert "See docs.acme.example today." in page
    assert "https://" not in page.split('id="timeline"')[1]


def test_attachments_are_listed_by_name_and_size(web, profile):
    client, _ = client_with_contact(profile.user, email="jane@client.example")
    raw = (CORPUS / "attachments.eml").read_bytes()
    log(profile.user, Mail.of(parse_message(raw, now=timezone.now())))
    [row] = MailMessage.objects.all()
    page = page_of(web, client)
    assert row.attachments and "Attached:" in page
    for attachment in row.attachments:
        assert attachment["name"] in page


def test_a_suggested_tone_shows_as_a_suggestion_and_is_not_acted_on(web, profile):
    client, _ = client_with_contact(profile.user)
    [interaction] = log(profile.user, mail(JANE, ALICE, "Late", "I'm disappointed, to be honest."))
    assert interaction.tone == "tense" and interaction.tone_suggested

    page = page_of(web, client)

    assert "<em>suggested</em>" in page
    assert f'id="tone-{interaction.pk}"' in page and "Set the tone" in page


def test_confirming_a_tone_without_javascript_makes_it_the_freelancers(web, profile):
    client, _ = client_with_contact(profile.user)
    [interaction] = log(profile.user, mail(JANE, ALICE, "Hm", "Is there a reason for the delay?"))

    response = web.post(
        reverse("interaction-suggestion", args=[interaction.pk]), {"tone": "hostile"}
    )

    assert response.status_code == 302
    assert response["Location"].endswith(f"#interaction-{interaction.pk}")
    interaction.refresh_from_db()
    assert (interaction.tone, interaction.tone_suggested) == ("hostile", False)
    evaluate(profile.user.pk)
    assert Flag.objects.filter(client=client, rule=Rule.DISRESPECT).exists()


def test_flipping_needs_reply_over_htmx_answers_with_the_item_and_resolves_the_reply_owed(
    web, profile
):
    client, _ = client_with_contact(profile.user)
    sent = timezone.now() - timedelta(days=3)
    [interaction] = log(profile.user, mail(JANE, ALICE, "Q", "Can you call me?", date=sent))
    evaluate(profile.user.pk)
    assert Flag.objects.live().filter(rule=Rule.REPLY_OWED).exists()

    response = web.post(
        reverse("interaction-suggestion", args=[interaction.pk]),
        {"needs_reply": "no"},
        headers={"HX-Request": "true"},
    )

    body = response.content.decode()
    assert body.lstrip().startswith(
        f'<li class="tl tl-interaction" id="interaction-{interaction.pk}"'
    )
    assert response["HX-Trigger"] == "flagsChanged"
    interaction.refresh_from_db()
    assert not interaction.needs_reply and not interaction.needs_reply_suggested
    evaluate(profile.user.pk)
    assert not Flag.objects.live().filter(rule=Rule.REPLY_OWED).exists()


def test_the_freelancers_choice_sticks_when_the_message_is_read_again(web, profile):
    client_with_contact(profile.user)
    message = mail(JANE, ALICE, "Q", "Thanks!", key="q@test.example")
    [interaction] = log(profile.user, message)
    web.post(reverse("interaction-suggestion", args=[interaction.pk]), {"needs_reply": "yes"})

    log(profile.user, message)  # a re-scan after UIDVALIDITY changed, another folder…

    interaction.refresh_from_db()
    assert interaction.needs_reply and not interaction.needs_reply_suggested
    assert Interaction.objects.count() == 1


def test_a_choice_the_log_refuses_is_a_clear_message(web, profile):
    client, _ = client_with_contact(profile.user)
    profile.user.email = ALICE  # her login's address is one of hers: mail from it is outbound
    profile.user.save()
    [interaction] = log(profile.user, mail(ALICE, JANE, "Re: Q", "Here you go."))

    response = web.post(
        reverse("interaction-suggestion", args=[interaction.pk]),
        {"needs_reply": "yes"},
        follow=True,
    )
    assert "Only a message from the client can need a reply." in response.content.decode()
    garbage = web.post(
        reverse("interaction-suggestion", args=[interaction.pk]), {"tone": "furious"}, follow=True
    )
    assert "Nothing was changed: Select a valid choice." in garbage.content.decode()
    interaction.refresh_from_db()
    assert not interaction.needs_reply and interaction.tone == "neutral"


# --------------------------------------------------------------------------- uploads


def upload(web, client, raw: bytes, name="message.eml"):
    return web.post(
        reverse("client-mail-upload", args=[client.pk]),
        {"message": SimpleUploadedFile(name, raw, content_type="message/rfc822")},
        follow=True,
    )


def test_an_uploaded_eml_is_logged_with_the_client(web, profile):
    client, contact = client_with_contact(profile.user)
    raw = compose(JANE, ALICE, "Contract", "Please sign by Friday.")

    page = upload(web, client, raw).content.decode()

    assert "Logged the email from Jane" in page and "“Contract”" in page
    [interaction] = Interaction.objects.filter(client=client)
    assert interaction.direction == "in" and interaction.contact == contact
    assert interaction.mail.source == MailMessage.Source.UPLOAD


def test_an_uploaded_eml_from_a_stranger_is_still_logged_with_the_page_client(web, profile):
    client, _ = client_with_contact(profile.user)
    upload(web, client, compose("Bob <bob@elsewhere.example>", ALICE, "Intro"))
    [interaction] = Interaction.objects.filter(client=client)
    assert interaction.direction == "in" and interaction.contact is None


def test_uploading_the_same_eml_twice_logs_it_once(web, profile):
    client, _ = client_with_contact(profile.user)
    raw = compose(JANE, ALICE, "Once", message_id="<once@test.example>")
    upload(web, client, raw)
    page = upload(web, client, raw).content.decode()
    assert "is already in the log" in page
    assert Interaction.objects.count() == 1


def test_an_uploaded_forward_is_logged_as_the_original(web, profile):
    client, _ = client_with_contact(profile.user, email="maria@client.example")
    upload(web, client, (CORPUS / "forwarded_attachment.eml").read_bytes())
    [interaction] = Interaction.objects.filter(client=client)
    assert interaction.direction == "in" and interaction.contact.email == "maria@client.example"
    assert interaction.mail.from_address == "maria@client.example"


def test_a_file_that_is_not_an_email_is_refused_and_nothing_is_logged(web, profile):
    client, _ = client_with_contact(profile.user)
    page = upload(web, client, b"\x00\x01 not a message", name="photo.eml").content.decode()
    assert "Nothing was logged: that file is not an email message" in page
    nothing = web.post(reverse("client-mail-upload", args=[client.pk]), {}, follow=True)
    assert "choose an .eml file first" in nothing.content.decode()
    assert not Interaction.objects.exists()


def test_the_upload_form_works_without_javascript_and_drops_with_it(web, profile):
    client, _ = client_with_contact(profile.user)
    page = page_of(web, client)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page
    assert '<label for="upload_message">Email file (.eml)</label>' in page
    assert "js/eml-drop.js" in page and "<script>" not in page
