"""inbox.message: what the log shows for real-looking mail (tests/inbox/corpus/*.eml)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from inbox.message import (
    Address,
    Attachment,
    DateSource,
    MessageError,
    ParsedMessage,
    is_acknowledgement,
    new_text_of,
    parse_message,
    parse_printed_date,
    summarise,
    unwrap_forwarded,
)

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
SERVER_TIME = datetime(2025, 3, 14, 23, 59, tzinfo=UTC)


def parse(raw: bytes, **kwargs: object) -> ParsedMessage:
    kwargs.setdefault("now", NOW)
    kwargs.setdefault("internal_date", SERVER_TIME)
    return parse_message(raw, **kwargs)  # type: ignore[arg-type]


def message(headers: str, body: str = "Hello.") -> bytes:
    return (headers.strip() + "\n\n" + body).encode()


# --------------------------------------------------------------------------- bodies


def test_it_prefers_the_plain_text_part_of_a_multipart_alternative(eml):
    parsed = parse(eml("multipart_alternative"))
    assert parsed.text.startswith("Hi Bob,\n\nHere is the homepage copy for review:")
    assert "<div>" not in parsed.text
    assert parsed.text.count("Could you send your comments by Thursday?") == 1


def test_it_turns_an_html_only_mail_into_readable_text(eml):
    parsed = parse(eml("html_only"))
    assert parsed.new_text == (
        "Hi Bob,\n\nThe invoice is approved & paid — see the receipt.\n\n"
        "- Amount: €1,200\n- Reference: 2025-003"
    )
    assert "alert" not in parsed.text and "color: red" not in parsed.text
    assert "ignored" not in parsed.text  # <title>
    assert "> Hi Jane, please find invoice 2025-003 attached." in parsed.text


def test_it_decodes_quoted_printable_and_joins_soft_line_breaks(eml):
    parsed = parse(eml("quoted_printable"))
    assert "la réunion de lancement de jeudi à 10h ? Cette ligne est coupée" in parsed.text
    assert parsed.subject == "Réunion de lancement"
    assert parsed.from_address == Address("renee@client.example", "Renée Dupont")


def test_it_decodes_a_base64_body(eml):
    assert "Naïve question: can we launch Friday?" in parse(eml("base64_body")).text


@pytest.mark.parametrize(
    ("name", "subject", "sender", "phrase"),
    [
        (
            "latin1",
            "Überarbeitung der Entwürfe",
            "Jürgen Müller",
            "Können Sie die Farbe noch etwas wärmer machen?",
        ),
        ("windows1252", "Quote accepted", "Tom Reed", "€2,500 looks fine – we’ll sign “today”."),
        ("shift_jis", "見積書の件", "田中太郎", "来週の打ち合わせは可能でしょうか？"),
    ],
)
def test_it_decodes_each_declared_charset(eml, name, subject, sender, phrase):
    parsed = parse(eml(name))
    assert parsed.subject == subject
    assert parsed.from_address is not None and parsed.from_address.name == sender
    assert phrase in parsed.text
    assert "\ufffd" not in parsed.text
    assert parsed.defects == ()


def test_a_wrong_or_unknown_charset_degrades_to_replacement_characters(eml):
    parsed = parse(eml("wrong_charset"))
    assert parsed.text == (
        "The caf\ufffd menu is attached, d\ufffdj\ufffd vu.\n\n"
        "Second part with an unknown charset: \ufffd\ufffd ok."
    )
    assert parsed.subject == "Caf\ufffd menu and not base64"
    assert parsed.from_address == Address("zoe@client.example", "Zo\ufffd")
    assert any("x-made-up-charset" in d for d in parsed.defects)


def test_it_decodes_rfc2047_headers_across_folded_encoded_words(eml):
    parsed = parse(eml("rfc2047_headers"))
    assert parsed.subject == "Propuesta de diseño — versión 2 (final)"
    assert parsed.from_address == Address("angela@client.example", "Ángela Gómez")
    assert parsed.to == (
        Address("bob@freelancer.example", 'Bob "the builder"'),
        Address("francois@client.example", "François"),
    )
    assert parsed.cc == (Address("yamada@client.example", "山田"),)
    assert parsed.message_id == "rfc2047-009@mail.client.example"


def test_it_lists_attachments_by_decoded_name_and_size_without_their_content(eml):
    parsed = parse(eml("attachments"))
    assert parsed.attachments == (
        Attachment("Résumé brochure.pdf", "application/pdf", 3088),
        Attachment("logo über.png", "image/png", 100),
    )
    assert parsed.text == "Here are the files for the brochure."


# --------------------------------------------------------------------------- addresses


def test_addresses_are_lower_cased_and_keep_their_names(eml):
    parsed = parse(eml("multipart_alternative"))
    assert parsed.from_address == Address("jane.doe@client.example", "Jane Doe")
    assert parsed.to == (Address("bob@freelancer.example", "Bob Builder"),)
    assert parsed.cc == (Address("ops@client.example", "Ops Team"),)
    assert parsed.reply_to == (Address("projects@client.example"),)


def test_garbage_addresses_are_ignored(eml):
    parsed = parse(eml("garbage_addresses"))
    assert parsed.from_address == Address("ann@example.com", "Ann Lee")
    assert parsed.to == ()
    assert parsed.cc == (Address("odd@client.example", "Odd, Name"),)
    assert parsed.reply_to == ()


def test_recipients_are_to_and_cc_without_repeats(eml):
    parsed = parse(eml("both_folders"))
    assert [a.email for a in parsed.recipients] == [
        "jane@client.example",
        "bob@freelancer.example",
    ]


def test_thread_ids_are_read_without_angle_brackets(eml):
    parsed = parse(eml("html_only"))
    assert parsed.in_reply_to == ("inv-003@freelancer.example",)
    assert parsed.references == ("inv-001@freelancer.example", "inv-003@freelancer.example")


# --------------------------------------------------------------------------- dates


def test_the_date_header_is_read_as_utc(eml):
    parsed = parse(eml("multipart_alternative"))
    assert parsed.date == datetime(2025, 3, 3, 9, 2, 11, tzinfo=UTC)
    assert parsed.date.utcoffset() == timedelta(0)
    assert parsed.date_source is DateSource.HEADER


@pytest.mark.parametrize("name", ["missing_date", "future_date", "garbage_addresses"])
def test_a_missing_future_or_unreadable_date_falls_back_to_the_server_date(eml, name):
    parsed = parse(eml(name))
    assert parsed.date == SERVER_TIME
    assert parsed.date_source is DateSource.INTERNAL


def test_without_any_usable_date_it_is_now(eml):
    parsed = parse(eml("missing_date"), internal_date=None)
    assert (parsed.date, parsed.date_source) == (NOW, DateSource.NOW)


def test_a_date_less_than_a_day_ahead_is_still_trusted():
    raw = message("Date: Sat, 15 Mar 2025 23:00:00 +0000\nFrom: a@example.com\nSubject: x")
    assert parse(raw).date_source is DateSource.HEADER
    raw = message("Date: Sun, 16 Mar 2025 13:00:00 +0000\nFrom: a@example.com\nSubject: x")
    assert parse(raw).date_source is DateSource.INTERNAL


def test_naive_datetimes_are_taken_as_utc(eml):
    parsed = parse(eml("missing_date"), internal_date=datetime(2025, 3, 1, 8, 0))
    assert parsed.date == datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


# --------------------------------------------------------------------------- new text


@pytest.mark.parametrize(
    ("name", "new_text"),
    [
        ("reply_gmail", "We like option B best. Can you try it in dark blue?"),
        ("reply_outlook", "Signed copy attached. We will pay the deposit this week."),
        ("reply_outlook_original", "The revised timeline works for us."),
        ("reply_apple", "Works for me, the second set is better."),
        ("acknowledgement", "Got it, thank you! 👍"),
    ],
)
def test_it_strips_quoted_history_and_signatures_from_a_reply(eml, name, new_text):
    assert parse(eml(name)).new_text == new_text


def test_it_keeps_lists_and_questions_but_drops_the_sign_off_block(eml):
    assert parse(eml("signature")).new_text == (
        "Thanks, the draft works. Two small changes:\n- move the button up\n- use the new logo"
        "\n\nCan you send the update by Friday?"
    )


def test_a_line_starting_with_thanks_does_not_hide_what_follows():
    text = "Hi Bob,\nThanks, that works.\nCould you also send the invoice?\n\nBest,\nJane\nCEO"
    assert new_text_of(text) == "Hi Bob,\nThanks, that works.\nCould you also send the invoice?"


def test_interleaved_answers_keep_the_answers_and_drop_the_quotes():
    text = "> Can you do Monday?\nYes, 10 am.\n> And the budget?\nFine as quoted."
    assert new_text_of(text) == "Yes, 10 am.\nFine as quoted."


def test_a_reply_with_nothing_above_the_quote_has_no_new_text():
    assert new_text_of("On Mon, 3 Mar 2025 at 10:00, Jane <j@x.example> wrote:\n> hi") == ""


# --------------------------------------------------------------------------- summary


def test_the_summary_is_subject_and_text_without_links(eml):
    assert parse(eml("multipart_alternative")).summary == (
        "Homepage copy for review — Hi Bob, Here is the homepage copy for review: "
        "docs.client.example Could you send your comments by Thursday?"
    )


def test_the_summary_is_bounded_and_cut_on_a_word_boundary():
    text = "word " * 200
    summary = summarise("Subject", text, max_length=60)
    assert len(summary) <= 60
    assert summary.endswith("word…")
    assert summary.startswith("Subject — word word")


def test_the_summary_length_is_a_parameter(eml):
    parsed = parse(eml("signature"), summary_length=40)
    assert len(parsed.summary) <= 40 and parsed.summary.endswith("…")


def test_urls_become_their_host_in_the_summary():
    summary = summarise("", "See <https://www.figma.com/file/x?y=1> and www.example.org/a.")
    assert summary == "See figma.com and example.org."


# --------------------------------------------------------------------------- automated mail


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("auto_reply", "Auto-Submitted: auto-replied"),
        ("mailing_list", "Precedence: list"),
        ("dsn", "delivery status notification"),
    ],
)
def test_automated_mail_says_why(eml, name, reason):
    assert parse(eml(name)).automated == reason


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("X-Autoreply: yes", "X-Autoreply header"),
        ("X-Autorespond: vacation", "X-Autorespond header"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: junk", "Precedence: junk"),
        ("Precedence: auto_reply", "Precedence: auto_reply"),
        ("List-Id: <news.example.com>", "mailing list (List-Id)"),
        ("List-Unsubscribe: <mailto:u@example.com>", "mailing list (List-Unsubscribe)"),
        ("Return-Path: <>", "empty Return-Path (a bounce or auto-reply)"),
        ("Content-Type: message/delivery-status", "delivery status notification"),
        ("Auto-Submitted: auto-generated; type=x", "Auto-Submitted: auto-generated"),
    ],
)
def test_each_automation_signal_is_recognised(header, reason):
    raw = message(f"From: someone@example.com\nSubject: hi\n{header}")
    assert parse(raw).automated == reason


def test_a_postmaster_sender_is_a_delivery_notification():
    raw = message("From: postmaster@mx.example.com\nSubject: Returned mail")
    assert parse(raw).automated is not None


@pytest.mark.parametrize("name", ["multipart_alternative", "reply_gmail", "acknowledgement"])
def test_mail_from_a_person_is_not_automated(eml, name):
    assert parse(eml(name)).automated is None


def test_auto_submitted_no_means_a_person():
    raw = message("From: a@example.com\nSubject: hi\nAuto-Submitted: no")
    assert parse(raw).automated is None


# --------------------------------------------------------------------------- acknowledgement


@pytest.mark.parametrize(
    "text",
    [
        "Thanks!",
        "Got it, thank you",
        "Perfect, thanks",
        "Cheers",
        "👍",
        "Thank you so much!",
        "Received, thanks.",
        "Great, thanks Bob!",
        "Sounds good 👍",
        "Many thanks for the update.\nJane",
        "Thanks for sending the files",
        "Will do, thanks",
        "Hi Bob, thanks!",
    ],
)
def test_a_short_thanks_is_an_acknowledgement(text):
    assert is_acknowledgement(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Thanks?",
        "Thanks, but can you also send the invoice",
        "Got it. When will the rest arrive?",
        "Thanks, please send the final files",
        "Thanks for nothing, this is late again",
        "OK stop",
        "Thanks! One more thing: the logo needs to be bigger.",
        "👎",
        "Perfect thanks " * 20,
    ],
)
def test_anything_more_than_a_thanks_is_not_an_acknowledgement(text):
    assert not is_acknowledgement(text)


def test_the_acknowledgement_flag_is_set_on_the_parsed_reply(eml):
    assert parse(eml("acknowledgement")).is_acknowledgement is True
    assert parse(eml("reply_gmail")).is_acknowledgement is False


def test_an_automated_thanks_is_not_an_acknowledgement():
    raw = message("From: a@example.com\nSubject: hi\nAuto-Submitted: auto-replied", "Thanks!")
    assert parse(raw).is_acknowledgement is False


# --------------------------------------------------------------------------- forwarded


def test_an_inline_gmail_forward_yields_the_original_sender_date_and_text(eml):
    parsed = parse(eml("forwarded_inline_gmail"))
    original = parsed.forwarded
    assert original is not None and original.source == "inline"
    assert original.from_address == Address("jane@client.example", "Jane Doe")
    assert original.to == (Address("bob@freelancer.example", "Bob Builder"),)
    assert original.cc == (Address("ops@client.example", "Ops Team"),)
    assert original.subject == "Logo feedback"
    # printed without a zone: read in the forwarder's +0100
    assert original.date == datetime(2025, 3, 13, 15, 5, tzinfo=UTC)
    assert original.text.startswith("Hi Bob, the logo looks great but the font feels too heavy.")
    assert original.message_id is None and original.key is None
    assert parsed.new_text == "For the log."


def test_an_apple_mail_forward_is_unquoted_and_its_zone_read(eml):
    original = parse(eml("forwarded_inline_apple")).forwarded
    assert original is not None
    assert original.from_address == Address("tom@client.example", "Tom Reed")
    assert original.date == datetime(2025, 3, 13, 9, 30, tzinfo=UTC)
    assert original.text == "Hi Bob, the payment was sent this morning.\nTom"


def test_a_forward_as_an_attachment_yields_the_complete_original(eml):
    parsed = parse(eml("forwarded_attachment"))
    original = parsed.forwarded
    assert original is not None and original.source == "attachment"
    assert original.from_address == Address("maria@client.example", "Maria Lopez")
    assert original.cc == (Address("ops@client.example"),)
    assert original.date == datetime(2025, 3, 12, 21, 0, tzinfo=UTC)
    assert original.message_id == original.key == "brief-original@client.example"
    assert original.new_text.startswith("Hi Bob, here is the brief.")
    assert parsed.new_text == "Forwarding this one as an attachment."
    assert parsed.attachments[0].content_type == "message/rfc822"


def test_unwrap_forwarded_takes_raw_bytes_or_a_parsed_message(eml):
    raw = eml("forwarded_attachment")
    assert unwrap_forwarded(raw) == unwrap_forwarded(parse(raw))
    assert unwrap_forwarded(eml("reply_gmail")) is None


def test_an_outlook_forward_with_a_name_only_sender_keeps_the_printed_name():
    raw = message(
        "From: bob@freelancer.example\nSubject: FW: Timeline\n"
        "Date: Fri, 14 Mar 2025 12:00:00 +0000",
        "FYI\n\n-----Original Message-----\nFrom: Tom Reed\n"
        "Sent: Tuesday, March 11, 2025 5:00 PM\nTo: Bob [mailto:bob@freelancer.example]\n"
        "Subject: Timeline\n\nCan we move the launch?",
    )
    original = parse(raw).forwarded
    assert original is not None
    assert original.from_address is None and original.from_text == "Tom Reed"
    assert original.to == (Address("bob@freelancer.example", "Bob"),)
    assert original.date == datetime(2025, 3, 11, 17, 0, tzinfo=UTC)
    assert original.new_text == "Can we move the launch?"


@pytest.mark.parametrize(
    ("printed", "expected"),
    [
        ("Thu, Mar 13, 2025 at 4:05 PM", datetime(2025, 3, 13, 16, 5, tzinfo=UTC)),
        ("13 March 2025 at 09:30:00 CET", datetime(2025, 3, 13, 8, 30, tzinfo=UTC)),
        ("Tuesday, March 11, 2025 6:02 PM", datetime(2025, 3, 11, 18, 2, tzinfo=UTC)),
        ("Wed, 12 Mar 2025 16:00:00 -0500", datetime(2025, 3, 12, 21, 0, tzinfo=UTC)),
        ("03/04/2025 10:00", None),
        ("yesterday", None),
    ],
)
def test_printed_dates_in_forwards(printed, expected):
    assert parse_printed_date(printed) == expected


def test_printed_dates_without_a_zone_use_the_given_one():
    plus_two = timezone(timedelta(hours=2))
    assert parse_printed_date("March 1, 2025 10:00", plus_two) == datetime(
        2025, 3, 1, 8, 0, tzinfo=UTC
    )


# --------------------------------------------------------------------------- unusable input


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"", "empty"),
        (b" \r\n\r\n ", "empty"),
        (b"just some words the user typed, no headers", "no_headers"),
        (b"\x00\x01\x02\xff binary", "no_headers"),
    ],
)
def test_unusable_input_raises_message_error_with_a_reason(raw, reason):
    with pytest.raises(MessageError) as caught:
        parse(raw)
    assert caught.value.reason == reason


def test_the_error_never_contains_the_body():
    with pytest.raises(MessageError) as caught:
        parse(b"my password is hunter2 and this has no headers")
    assert "hunter2" not in str(caught.value)
    assert "hunter2" not in repr(caught.value)


def test_a_string_instead_of_bytes_is_a_message_error():
    with pytest.raises(MessageError):
        parse_message("From: a@example.com\n\nhi", now=NOW)  # type: ignore[arg-type]


def test_a_message_with_only_headers_parses():
    parsed = parse(b"Subject: only a subject\r\n")
    assert parsed.subject == "only a subject" and parsed.text == ""
    assert parsed.key.startswith("sha256:")
