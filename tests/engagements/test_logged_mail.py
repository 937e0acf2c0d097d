"""What the log does with mail logged without typing: automated mail is never out-of-hours
contact nor owed a reply, bulk writes derive out-of-hours exactly as a saved interaction does,
a suggested tone is acted on only when confident or confirmed, and other apps' digest notices
never stop a digest."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engagements import emails, signals
from engagements.evaluation import evaluate
from engagements.models import Flag, Interaction, Rule
from engagements.services import settle_suggestion
from tests.factories import ClientFactory, InteractionFactory

SATURDAY_NIGHT = datetime(2026, 11, 28, 21, 10, tzinfo=UTC)  # 22:10 in Berlin


@pytest.fixture
def acme(profile):
    return ClientFactory(owner=profile.user)


def test_an_automated_message_is_never_contact_out_of_hours(acme):
    typed = InteractionFactory(client=acme, occurred_at=SATURDAY_NIGHT)
    automated = InteractionFactory(client=acme, occurred_at=SATURDAY_NIGHT, automated=True)
    assert typed.out_of_hours and not automated.out_of_hours


def test_an_automated_message_can_never_need_a_reply(acme):
    automated = Interaction(
        client=acme, owner=acme.owner, direction="in", automated=True, needs_reply=True
    )
    with pytest.raises(ValidationError, match="Automated mail never needs a reply"):
        automated.full_clean()
    with pytest.raises(IntegrityError):
        automated.save()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    moments=st.lists(
        st.datetimes(
            min_value=datetime(2026, 3, 20), max_value=datetime(2026, 11, 5), timezones=st.just(UTC)
        ),
        min_size=1,
        max_size=6,
    ),
    automated=st.booleans(),
)
def test_bulk_writes_derive_out_of_hours_exactly_as_a_save_does(acme, moments, automated):
    """Across both DST changes in Berlin: the batch pathway (mail sync, imports) and the form's
    pathway agree on every moment. (Each example starts from an empty log.)"""
    Interaction.objects.all().delete()
    saved = [
        InteractionFactory(client=acme, occurred_at=at, automated=automated).out_of_hours
        for at in moments
    ]
    bulk = Interaction.objects.bulk_create(
        [
            Interaction(
                client=acme, owner=acme.owner, direction="in", occurred_at=at, automated=automated
            )
            for at in moments
        ]  # fmt: skip
    )
    assert [i.out_of_hours for i in bulk] == saved


def hostile(client, *, suggested: bool, confident: bool, days_ago: int = 1):
    return InteractionFactory(
        client=client,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        tone="hostile",
        tone_suggested=suggested,
        tone_confident=confident,
    )


def test_the_disrespect_rule_ignores_a_hostile_tone_that_is_only_a_hesitant_suggestion(acme):
    hostile(acme, suggested=True, confident=False)
    evaluate(acme.owner_id)
    assert not Flag.objects.filter(rule=Rule.DISRESPECT).exists()


@pytest.mark.parametrize(("suggested", "confident"), [(True, True), (False, False)])
def test_the_disrespect_rule_acts_on_a_confident_or_confirmed_hostile_tone(
    acme, suggested, confident
):
    hostile(acme, suggested=suggested, confident=confident)
    evaluate(acme.owner_id)
    assert Flag.objects.filter(rule=Rule.DISRESPECT, client=acme).exists()


def test_health_counts_only_the_tones_the_rules_trust(acme):
    hostile(acme, suggested=True, confident=False)
    hostile(acme, suggested=False, confident=False, days_ago=2)
    row = Interaction.objects.filter(client=acme).counts_by_client().get()
    assert row["hostile"] == 1


def test_settling_a_suggestion_makes_it_the_freelancers_choice(acme):
    interaction = hostile(acme, suggested=True, confident=False)
    interaction.needs_reply_suggested = True
    interaction.save()

    settle_suggestion(interaction, tone="tense", needs_reply=False)

    interaction.refresh_from_db()
    assert (interaction.tone, interaction.tone_suggested) == ("tense", False)
    assert (interaction.needs_reply, interaction.needs_reply_suggested) == (False, False)


def test_a_settled_suggestion_the_log_refuses_saves_nothing(acme):
    outbound = InteractionFactory(client=acme, direction="out", tone_suggested=True)
    with pytest.raises(ValidationError):
        settle_suggestion(outbound, tone="positive", needs_reply=True)
    outbound.refresh_from_db()
    assert outbound.tone_suggested and not outbound.needs_reply


def test_a_failing_digest_notice_hook_never_stops_the_digest(db, caplog):
    def broken(sender, **kwargs):
        raise RuntimeError("a bug elsewhere")

    def helpful(sender, *, since, now, **kwargs):
        return {owner: [f"Hello {owner}"] for owner in since}

    signals.digest_notices.connect(broken, dispatch_uid="test-broken")
    signals.digest_notices.connect(helpful, dispatch_uid="test-helpful")
    try:
        found = emails.digest_notices_for({7: None}, timezone.now())
    finally:
        signals.digest_notices.disconnect(dispatch_uid="test-broken")
        signals.digest_notices.disconnect(dispatch_uid="test-helpful")
    assert found == {7: ["Hello 7"]}
    assert "a bug elsewhere" in caplog.text
