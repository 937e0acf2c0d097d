"""factory_boy factories. Children take their owner from their client automatically."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from clients.models import Boundaries, Client, Contact
from engagements.models import Engagement, Expectation, Interaction


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("password")


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client
        skip_postgeneration_save = True

    owner = factory.SubFactory(UserFactory)
    name = factory.Sequence(lambda n: f"Client {n}")
    organisation = "Acme"
    timezone = "America/New_York"
    boundaries = factory.RelatedFactory(
        "tests.factories.BoundariesFactory", factory_related_name="client"
    )


class BoundariesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Boundaries

    client = factory.SubFactory(ClientFactory, boundaries=None)
    agreed_channels = factory.LazyFunction(lambda: ["email", "video"])
    reply_window_hours = 8
    update_cadence_days = 5
    checkin_cadence_days = 10


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.LazyAttribute(lambda c: f"{c.name.lower().replace(' ', '.')}@example.com")


class EngagementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Engagement

    client = factory.SubFactory(ClientFactory)
    title = factory.Sequence(lambda n: f"Project {n}")
    start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))


class ExpectationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Expectation

    engagement = factory.SubFactory(EngagementFactory)
    title = factory.Sequence(lambda n: f"Deliverable {n}")
    due = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


class InteractionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Interaction

    client = factory.SubFactory(ClientFactory)
    direction = Interaction.Direction.INBOUND
    channel = "email"
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    summary = "A message"
