"""The whole way, with no typing: a client writes on Saturday night, the sync logs it, the
rules raise out-of-hours and reply-owed; the freelancer's reply lands in Sent, the next sync
logs it, and the reply owed is resolved. Committed data (the sync's evaluation runs when its
transaction commits), the private Dovecot, the clock moved with time-machine."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from engagements.models import Flag, Rule
from inbox.sync import sync_mailbox
from tests.inbox.mail_helpers import ALICE, client_with_contact, compose, mailbox_on

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("trust_dovecot"),
]

BERLIN = ZoneInfo("Europe/Berlin")  # Alice works Mon–Fri 09:00–17:00 here (`profile`)
SATURDAY_NIGHT = datetime(2026, 11, 28, 22, 10, tzinfo=BERLIN)
MONDAY_AFTERNOON = datetime(2026, 11, 30, 15, 30, tzinfo=BERLIN)  # 6.5 working hours later
REPLIED = datetime(2026, 11, 30, 16, 0, tzinfo=BERLIN)


def live(owner) -> dict[str, Flag]:
    return {f.rule: f for f in Flag.objects.owned_by(owner).live()}


def test_a_saturday_night_email_raises_out_of_hours_and_reply_owed_and_the_reply_resolves_it(
    dovecot, account, profile
):
    client, contact = client_with_contact(profile.user, email="jane@acme.example")
    mailbox = mailbox_on(dovecot, account, profile.user)
    question = compose(
        "Jane <jane@acme.example>",
        ALICE,
        "Launch",
        "Can we launch on Tuesday instead?",
        date=SATURDAY_NIGHT,
        message_id="<launch@acme.example>",
    )
    dovecot.append(account, question, internal_date=SATURDAY_NIGHT)

    with time_machine.travel(MONDAY_AFTERNOON):
        sync_mailbox(mailbox.pk)

    flags = live(profile.user)
    assert flags[Rule.OUT_OF_HOURS].client == client
    assert flags[Rule.REPLY_OWED].severity == "warning"  # 75 % of 8 working hours gone
    asked = flags[Rule.REPLY_OWED].interaction
    assert (asked.contact, asked.out_of_hours, asked.needs_reply) == (contact, True, True)

    answer = compose(
        ALICE,
        "Jane <jane@acme.example>",
        "Re: Launch",
        "Tuesday works, I'll move it.",
        date=REPLIED,
        headers={"In-Reply-To": "<launch@acme.example>"},
    )
    dovecot.append(account, answer, "Sent", internal_date=REPLIED)

    with time_machine.travel(REPLIED.replace(minute=5)):
        sync_mailbox(mailbox.pk)

    flags = live(profile.user)
    assert Rule.REPLY_OWED not in flags
    assert Flag.objects.get(rule=Rule.REPLY_OWED).resolved_by == Flag.ResolvedBy.RULE
    assert Rule.OUT_OF_HOURS in flags  # acknowledged by the freelancer, not by a reply
    reply = client.interactions.latest("occurred_at")
    assert reply.direction == "out" and reply.mail.in_reply_to == ["launch@acme.example"]
