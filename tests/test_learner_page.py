"""A page of learners with their invitations: statements per page, and the answers."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from models import Database
from resolvers import invitations
from schema.relay import to_global_id
from tests.factories import Factory

LEARNER_PAGE = """
query LearnerPage($id: ID!, $first: Int!) {
  organisation(id: $id) {
    learners(first: $first) {
      edges {
        node { email invitation { status invitedBy { email } } }
      }
    }
  }
}
"""

LEARNER_PAGE_THROUGH_FRAGMENTS = """
query LearnerPage($id: ID!) {
  organisation(id: $id) {
    learners(first: 3) { nodes { ...Who } }
  }
}
fragment Who on Learner {
  email
  ... on Learner { invitation { ...Sender } }
}
fragment Sender on Invitation { status invitedBy { email } }
"""

LEARNER_PAGE_WITHOUT_INVITATIONS = """
query LearnerPage($id: ID!) {
  organisation(id: $id) { learners(first: 3) { nodes { email name } } }
}
"""

LEARNER_NODE = """
query LearnerNode($id: ID!) {
  node(id: $id) {
    ... on Learner { email invitation { status invitedBy { email } } }
  }
}
"""


@contextmanager
def counted_statements(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: Any) -> None:
        # SQLite's BEGIN goes through the cursor and PostgreSQL's does not: count
        # the statements that do the work, the same on both.
        if not args[2].startswith("BEGIN"):
            statements.append(args[2])

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def _accept(factory: Factory, token: str) -> int:
    acceptance = await invitations.accept_invitation(factory.services, token, None)
    assert acceptance.learner.id is not None
    return acceptance.learner.id


async def test_a_page_of_100_costs_the_statements_of_a_page_of_10(
    factory: Factory, db: Database
) -> None:
    scene = await factory.scene(licences=100)
    emails = [f"learner{n:03}@example.com" for n in range(100)]
    tokens = await factory.invite(scene, *emails)
    for token in tokens:
        await _accept(factory, token)
    page = {"id": scene.organisation_gid}

    with counted_statements(db) as small:
        ten = await factory.execute(LEARNER_PAGE, scene.admin, {**page, "first": 10})
    with counted_statements(db) as large:
        hundred = await factory.execute(
            LEARNER_PAGE, scene.admin, {**page, "first": 100}
        )

    assert ten.errors is None
    assert hundred.errors is None
    # The organisation, the page, its invitations, their inviters.
    assert len(small) == len(large) == 4
    assert hundred.data is not None
    edges = hundred.data["organisation"]["learners"]["edges"]
    assert len(edges) == 100
    assert edges[0]["node"] == {
        "email": "learner000@example.com",
        "invitation": {"status": "ACCEPTED", "invitedBy": {"email": scene.admin.email}},
    }
    assert edges[99]["node"]["email"] == "learner099@example.com"


async def test_invitations_are_found_through_fragments(factory: Factory) -> None:
    scene = await factory.scene(licences=3)
    for token in await factory.invite(scene, "ann@example.com", "bo@example.com"):
        await _accept(factory, token)

    result = await factory.execute(
        LEARNER_PAGE_THROUGH_FRAGMENTS, scene.admin, {"id": scene.organisation_gid}
    )

    assert result.errors is None
    invitation = {"status": "ACCEPTED", "invitedBy": {"email": scene.admin.email}}
    assert result.data == {
        "organisation": {
            "learners": {
                "nodes": [
                    {"email": "ann@example.com", "invitation": invitation},
                    {"email": "bo@example.com", "invitation": invitation},
                ]
            }
        }
    }


async def test_a_page_that_asks_for_no_invitation_loads_none(
    factory: Factory, db: Database
) -> None:
    scene = await factory.scene(licences=2)
    for token in await factory.invite(scene, "ann@example.com"):
        await _accept(factory, token)

    with counted_statements(db) as statements:
        result = await factory.execute(
            LEARNER_PAGE_WITHOUT_INVITATIONS,
            scene.admin,
            {"id": scene.organisation_gid},
        )

    assert result.data == {
        "organisation": {
            "learners": {"nodes": [{"email": "ann@example.com", "name": "ann"}]}
        }
    }
    # The organisation, the page: no invitation or user lookup.
    assert len(statements) == 2


async def test_a_learner_reached_by_node_loads_its_invitation(
    factory: Factory,
) -> None:
    scene = await factory.scene(licences=1)
    learner_id = await factory.learner(scene, "cy@example.com", "Cy")

    result = await factory.execute(
        LEARNER_NODE, scene.admin, {"id": to_global_id("Learner", learner_id)}
    )

    assert result.errors is None
    assert result.data == {
        "node": {
            "email": "cy@example.com",
            "invitation": {
                "status": "ACCEPTED",
                "invitedBy": {"email": scene.admin.email},
            },
        }
    }
