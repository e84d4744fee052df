"""Loaders batch lookups: a page costs the same statements whatever its size."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from models import Database
from resolvers import invitations, organisations
from tests.factories import Factory, viewer_of

PAGE_WITH_INVITERS = """
query Page($id: ID!, $first: Int!) {
  organisation(id: $id) {
    learners(first: $first) {
      nodes { email invitation { status invitedBy { email } } }
    }
  }
}
"""


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", record)


async def test_a_page_of_100_costs_what_a_page_of_10_costs(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=110)
    # Two admins invite, so that the inviters are a real batch of users.
    other_admin = viewer_of(
        await organisations.add_admin(
            factory.services, scene.staff, scene.organisation_id, "second@example.com"
        )
    )
    first_admin = scene.admin.email
    tokens = await factory.invite(scene, *[f"a{n}@example.com" for n in range(55)])
    scene.admin = other_admin
    tokens += await factory.invite(scene, *[f"b{n}@example.com" for n in range(55)])
    for token in tokens:
        await invitations.accept_invitation(factory.services, token, None)

    counts: dict[int, int] = {}
    pages: dict[int, Any] = {}
    for size in (10, 100):
        with counting(db) as statements:
            result = await factory.execute(
                PAGE_WITH_INVITERS,
                scene.admin,
                {"id": scene.organisation_gid, "first": size},
            )
        assert result.errors is None
        assert result.data is not None
        counts[size] = len(statements)
        pages[size] = result.data["organisation"]["learners"]["nodes"]

    assert len(pages[100]) == 100
    assert {n["invitation"]["invitedBy"]["email"] for n in pages[100]} == {
        "second@example.com",
        first_admin,
    }
    assert counts[10] == counts[100]
    # The organisation, the learners, their invitations and the inviters.
    assert counts[100] <= 5
