"""Sibling fields resolved at the same time share the request's read session."""

import httpx

from tests.factories import Factory

TWO_PAGES_AT_ONCE = """
{
  withLearners: organisations(first: 10) {
    nodes { name learners(first: 5) { nodes { email } } }
  }
  withInvitations: organisations(first: 10) {
    nodes { name invitations(first: 5) { nodes { email } } }
  }
}
"""


async def test_sibling_connections_are_read_in_turn(
    client: httpx.AsyncClient, factory: Factory
) -> None:
    first = await factory.scene()
    await factory.scene(staff=first.staff)
    await factory.learner(first, "ada@example.com")
    token = factory.token_for(first.staff)

    answer = await client.post(
        "/graphql",
        json={"query": TWO_PAGES_AT_ONCE},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert answer.json()["data"] == {
        "withLearners": {
            "nodes": [
                {
                    "name": "Org 2",
                    "learners": {"nodes": [{"email": "ada@example.com"}]},
                },
                {"name": "Org 4", "learners": {"nodes": []}},
            ]
        },
        "withInvitations": {
            "nodes": [
                {
                    "name": "Org 2",
                    "invitations": {"nodes": [{"email": "ada@example.com"}]},
                },
                {"name": "Org 4", "invitations": {"nodes": []}},
            ]
        },
    }
