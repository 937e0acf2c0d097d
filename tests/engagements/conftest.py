import pytest


@pytest.fixture
def browser(client, user):
    """Alice's signed-in test client."""
    client.force_login(user)
    return client
