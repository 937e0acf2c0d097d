from tests.factories import ClientFactory, ExpectationFactory, InteractionFactory


def test_factories_build_a_consistent_world(db):
    expectation = ExpectationFactory()
    interaction = InteractionFactory(client=expectation.client)
    assert expectation.owner_id == expectation.engagement.client.owner_id == interaction.owner_id
    assert expectation.client_id == expectation.engagement.client_id
    assert ClientFactory().boundaries.reply_window_hours == 8
