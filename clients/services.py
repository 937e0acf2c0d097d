"""Workflows that span models: creating a client with its boundaries."""

from django.db import transaction

from clients.models import Boundaries, Client, FreelancerProfile


@transaction.atomic
def create_client(*, owner, name: str, boundaries: dict | None = None, **fields) -> Client:
    """A new client with boundaries taken from the owner's profile defaults, then `boundaries`."""
    client = Client(owner=owner, name=name, **fields)
    client.full_clean()
    client.save()
    values = Boundaries.defaults_from(FreelancerProfile.for_user(owner)) | (boundaries or {})
    bounds = Boundaries(client=client, owner=owner, **values)
    bounds.full_clean()
    bounds.save()
    return client
