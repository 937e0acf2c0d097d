"""Every owned row belongs to one user: `.owned_by(user)` scopes a query, children take their
owner from their parent, and a parent belonging to someone else is refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from clients.models import Boundaries, Client, Contact, FreelancerProfile
from engagements.models import ChangeRecord, Engagement, Expectation, Interaction
from tests.factories import (
    ClientFactory,
    ContactFactory,
    EngagementFactory,
    ExpectationFactory,
    InteractionFactory,
)

OWNED_MODELS = [Client, Contact, Boundaries, Engagement, Expectation, Interaction, ChangeRecord]


def world_of(owner, name):
    """One of each owned thing for `owner`, the change record included."""
    client = ClientFactory(owner=owner, name=name, organisation=f"{name} Ltd")
    ContactFactory(client=client)
    expectation = ExpectationFactory(engagement=EngagementFactory(client=client))
    InteractionFactory(client=client)
    expectation.due += timedelta(days=7)
    expectation.save()
    return client


@pytest.fixture
def worlds(user, outsider):
    return world_of(user, "Northwind"), world_of(outsider, "Initech")


@pytest.mark.parametrize("model", OWNED_MODELS, ids=lambda m: m.__name__)
def test_owned_by_returns_only_the_owners_rows(worlds, user, outsider, model):
    mine = model.objects.owned_by(user)
    theirs = model.objects.owned_by(outsider)
    assert mine.count() == theirs.count() == 1
    assert set(mine.values_list("owner_id", flat=True)) == {user.pk}
    assert set(theirs.values_list("owner_id", flat=True)) == {outsider.pk}
    assert not set(mine.values_list("pk", flat=True)) & set(theirs.values_list("pk", flat=True))


def test_every_row_of_the_owners_world_is_theirs(worlds, user):
    northwind, _ = worlds
    assert Interaction.objects.owned_by(user).get().client == northwind
    assert ChangeRecord.objects.owned_by(user).get().client == northwind
    assert Expectation.objects.owned_by(user).get().client == northwind


def test_owned_by_gives_an_outsider_nothing_of_the_owners(worlds, outsider):
    northwind, _ = worlds
    assert not Client.objects.owned_by(outsider).filter(pk=northwind.pk).exists()
    assert not Interaction.objects.owned_by(outsider).filter(client=northwind).exists()


def test_a_user_with_nothing_sees_nothing(worlds, django_user_model):
    newcomer = django_user_model.objects.create_user("newcomer")
    for model in OWNED_MODELS:
        assert not model.objects.owned_by(newcomer).exists(), model.__name__


# --- children take their owner from their parent -----------------------------------------


@pytest.fixture
def acme(user):
    return ClientFactory(owner=user, name="Acme")


def test_a_contact_takes_its_owner_from_its_client(acme):
    assert Contact.objects.create(client=acme, name="Ann").owner == acme.owner


def test_boundaries_take_their_owner_from_their_client(user):
    client = Client.objects.create(owner=user, name="Bare")
    boundaries = Boundaries.objects.create(
        client=client, reply_window_hours=8, update_cadence_days=5, checkin_cadence_days=10
    )
    assert boundaries.owner == user


def test_an_engagement_takes_its_owner_from_its_client(acme):
    assert Engagement.objects.create(client=acme, title="Site").owner == acme.owner


def test_an_expectation_takes_its_owner_and_client_from_its_engagement(acme):
    engagement = EngagementFactory(client=acme)
    expectation = Expectation.objects.create(
        engagement=engagement, title="Draft", due=engagement.start
    )
    assert (expectation.owner, expectation.client) == (acme.owner, acme)


def test_an_interaction_takes_its_owner_from_its_client(acme):
    interaction = Interaction.objects.create(client=acme, direction=Interaction.Direction.INBOUND)
    assert interaction.owner == acme.owner


def test_a_change_record_takes_its_owner_from_its_client(acme):
    record = ChangeRecord.objects.create(client=acme, subject="boundaries", field="x")
    assert record.owner == acme.owner


def test_a_typed_owner_cannot_disagree_with_the_parent(acme, outsider):
    contact = Contact(client=acme, name="Ann", owner=outsider)
    contact.save()
    assert contact.owner == acme.owner


def test_full_clean_fills_in_the_owner_before_saving(acme):
    contact = Contact(client=acme, name="Ann")
    contact.full_clean()
    assert contact.owner_id == acme.owner_id


# --- a parent belonging to someone else is refused --------------------------------------------


@pytest.fixture
def initech(outsider):
    return ClientFactory(owner=outsider, name="Initech")


def test_it_refuses_an_interaction_about_someone_elses_engagement(acme, initech):
    interaction = Interaction(
        client=acme,
        direction=Interaction.Direction.INBOUND,
        engagement=EngagementFactory(client=initech),
    )
    with pytest.raises(ValidationError) as caught:
        interaction.full_clean()
    assert caught.value.messages == ["That engagement belongs to someone else."]


def test_it_refuses_an_interaction_with_someone_elses_contact(acme, initech):
    interaction = Interaction(
        client=acme, direction=Interaction.Direction.INBOUND, contact=ContactFactory(client=initech)
    )
    with pytest.raises(ValidationError) as caught:
        interaction.full_clean()
    assert caught.value.messages == ["That contact belongs to someone else."]


def test_it_refuses_a_change_record_about_someone_elses_expectation(acme, initech):
    theirs = ExpectationFactory(engagement=EngagementFactory(client=initech))
    record = ChangeRecord(client=acme, subject="expectation", field="due", expectation=theirs)
    with pytest.raises(ValidationError) as caught:
        record.full_clean()
    assert caught.value.messages == ["That expectation belongs to someone else."]


def test_it_accepts_parents_that_all_belong_to_the_owner(acme):
    Interaction(
        client=acme,
        direction=Interaction.Direction.INBOUND,
        engagement=EngagementFactory(client=acme),
        contact=ContactFactory(client=acme),
    ).full_clean()


# --- the dashboard is scoped the same way -------------------------------------------------------


def set_up(client, user):
    """Sign `user` in, past the first-run steps (their dashboard is what these tests read)."""
    FreelancerProfile.for_user(user)
    FreelancerProfile.objects.filter(user=user).update(onboarded_at=timezone.now())
    client.force_login(user)


def test_the_dashboard_lists_only_the_users_own_clients(client, worlds, user):
    set_up(client, user)
    page = client.get("/")
    assert page.status_code == 200
    assert [c.name for c in page.context["client_rows"]] == ["Northwind"]
    assert b"Initech" not in page.content


def test_the_dashboard_shows_an_outsider_only_their_own(client, worlds, outsider):
    set_up(client, outsider)
    page = client.get("/")
    assert [c.name for c in page.context["client_rows"]] == ["Initech"]
    assert b"Northwind" not in page.content
