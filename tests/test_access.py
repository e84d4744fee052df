"""Who may read and change what."""

from typing import Any

import pytest

from schema.relay import to_global_id
from tests.documents import (
    APPROVE_LICENCE_REQUEST,
    CREATE_ORGANISATION,
    NODE,
    ORGANISATION_SUMMARY,
    ORGANISATIONS,
    REQUEST_LICENCES,
    VIEWER,
)
from tests.factories import Factory


def codes(result: Any) -> list[str]:
    return [error.extensions["code"] for error in result.errors or []]


async def test_viewer_says_who_the_token_belongs_to(factory: Factory) -> None:
    scene = await factory.scene()

    admin = await factory.execute(VIEWER, scene.admin)
    staff = await factory.execute(VIEWER, scene.staff)

    assert admin.data == {
        "viewer": {
            "email": scene.admin.email,
            "role": "ADMIN",
            "organisation": {"name": scene.organisation_name},
        }
    }
    assert staff.data == {
        "viewer": {"email": scene.staff.email, "role": "STAFF", "organisation": None}
    }


@pytest.mark.parametrize(
    ("document", "variables"),
    [
        (VIEWER, {}),
        (ORGANISATIONS, {}),
        (ORGANISATION_SUMMARY, {"id": to_global_id("Organisation", 1)}),
        (NODE, {"id": to_global_id("Organisation", 1)}),
        (
            REQUEST_LICENCES,
            {
                "input": {
                    "organisationId": to_global_id("Organisation", 1),
                    "quantity": 1,
                }
            },
        ),
    ],
)
async def test_no_token_is_unauthenticated(
    document: str, variables: dict[str, Any], factory: Factory
) -> None:
    await factory.scene()

    result = await factory.execute(document, None, variables)

    assert codes(result) == ["UNAUTHENTICATED"]


async def test_another_organisation_reads_as_not_found(factory: Factory) -> None:
    mine = await factory.scene()
    theirs = await factory.scene()
    their_learner = await factory.learner(theirs, "private@example.com")
    their_invitation = await factory.invitation_id("private@example.com")
    ids = [
        theirs.organisation_gid,
        to_global_id("Learner", their_learner),
        to_global_id("Invitation", their_invitation),
        to_global_id("User", theirs.admin.user_id),
    ]

    for global_id in ids:
        by_node = await factory.execute(NODE, mine.admin, {"id": global_id})
        assert by_node.errors is None
        assert by_node.data == {"node": None}
    by_field = await factory.execute(
        ORGANISATION_SUMMARY, mine.admin, {"id": theirs.organisation_gid}
    )
    missing = await factory.execute(
        ORGANISATION_SUMMARY, mine.admin, {"id": to_global_id("Organisation", 999)}
    )
    assert by_field.data == missing.data == {"organisation": None}


async def test_staff_read_every_organisation(factory: Factory) -> None:
    first = await factory.scene()
    second = await factory.scene(staff=first.staff)
    learner = await factory.learner(second, "seen@example.com")

    listed = await factory.execute(ORGANISATIONS, first.staff)
    node = await factory.execute(
        NODE, first.staff, {"id": to_global_id("Learner", learner)}
    )

    assert listed.data == {
        "organisations": {
            "nodes": [
                {"name": first.organisation_name},
                {"name": second.organisation_name},
            ]
        }
    }
    assert node.data == {
        "node": {
            "__typename": "Learner",
            "id": to_global_id("Learner", learner),
            "email": "seen@example.com",
        }
    }


async def test_node_answers_every_kind_of_object(factory: Factory) -> None:
    scene = await factory.scene()
    await factory.invite(scene, "n@example.com")
    invitation = await factory.invitation_id("n@example.com")

    typenames = []
    for global_id in (
        scene.organisation_gid,
        to_global_id("Invitation", invitation),
        to_global_id("User", scene.admin.user_id),
    ):
        result = await factory.execute(NODE, scene.admin, {"id": global_id})
        assert result.data is not None
        typenames.append(result.data["node"]["__typename"])
    garbage = await factory.execute(NODE, scene.admin, {"id": "not base64 at all!"})

    assert typenames == ["Organisation", "Invitation", "User"]
    assert garbage.data == {"node": None}


async def test_admins_may_not_do_staff_work(factory: Factory) -> None:
    scene = await factory.scene()

    listed = await factory.execute(ORGANISATIONS, scene.admin)
    created = await factory.execute(
        CREATE_ORGANISATION, scene.admin, {"input": {"name": "Mine", "licences": 5}}
    )
    approved = await factory.execute(
        APPROVE_LICENCE_REQUEST,
        scene.admin,
        {"input": {"licenceRequestId": to_global_id("LicenceRequest", 1)}},
    )

    assert codes(listed) == ["FORBIDDEN"]
    assert codes(created) == ["FORBIDDEN"]
    assert codes(approved) == ["FORBIDDEN"]
