"""Learners (list, search, remove) and licence requests (ask, approve, decline)."""

from typing import Any

from models import Database
from schema.relay import to_global_id
from tests.documents import (
    APPROVE_LICENCE_REQUEST,
    DECLINE_LICENCE_REQUEST,
    LEARNERS_PAGE,
    LICENCE_REQUESTS_PAGE,
    REMOVE_LEARNER,
    REQUEST_LICENCES,
)
from tests.factories import Factory
from tests.recount import kept, recount


def data(result: Any) -> Any:
    assert result.errors is None, result.errors
    return result.data


async def test_removing_a_learner_frees_their_licence(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=2)
    learner_id = await factory.learner(scene, "leaving@example.com")

    payload = data(
        await factory.execute(
            REMOVE_LEARNER,
            scene.admin,
            {"input": {"learnerId": to_global_id("Learner", learner_id)}},
        )
    )["removeLearner"]

    assert payload["learner"]["status"] == "REMOVED"
    assert payload["licenceSummary"] == {
        "total": 2,
        "availableToAssign": 2,
        "pendingInvite": 0,
        "inUse": 0,
    }
    assert await kept(db, scene.organisation_id) == await recount(
        db, scene.organisation_id
    )


async def test_a_removed_learner_can_be_invited_again(factory: Factory) -> None:
    scene = await factory.scene(licences=2)
    learner_id = await factory.learner(scene, "back@example.com")
    await factory.execute(
        REMOVE_LEARNER,
        scene.admin,
        {"input": {"learnerId": to_global_id("Learner", learner_id)}},
    )

    again = await factory.learner(scene, "back@example.com")

    assert again != learner_id


async def test_learners_page_through_with_cursors(factory: Factory) -> None:
    scene = await factory.scene(licences=5)
    for name in ("Ada", "Bea", "Cy"):
        await factory.learner(scene, f"{name.lower()}@example.com", name)
    variables: dict[str, Any] = {"id": scene.organisation_gid, "first": 2}

    first = data(await factory.execute(LEARNERS_PAGE, scene.admin, variables))
    page = first["organisation"]["learners"]
    second = data(
        await factory.execute(
            LEARNERS_PAGE,
            scene.admin,
            {**variables, "after": page["pageInfo"]["endCursor"]},
        )
    )["organisation"]["learners"]

    assert [e["node"]["name"] for e in page["edges"]] == ["Ada", "Bea"]
    assert page["pageInfo"]["hasNextPage"] is True
    assert page["pageInfo"]["hasPreviousPage"] is False
    assert [e["node"]["name"] for e in second["edges"]] == ["Cy"]
    assert second["pageInfo"]["hasNextPage"] is False
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert page["edges"][0]["node"]["invitation"]["invitedBy"] == {
        "email": scene.admin.email
    }


async def test_learners_filter_by_search_and_status(factory: Factory) -> None:
    scene = await factory.scene(licences=5)
    await factory.learner(scene, "maria@example.com", "María Souza")
    await factory.learner(scene, "tom@example.com", "Tom_Smith")
    removed = await factory.learner(scene, "gone@example.com", "Marius Gone")
    await factory.execute(
        REMOVE_LEARNER,
        scene.admin,
        {"input": {"learnerId": to_global_id("Learner", removed)}},
    )

    async def names(**filters: Any) -> list[str]:
        result = data(
            await factory.execute(
                LEARNERS_PAGE,
                scene.admin,
                {"id": scene.organisation_gid, "first": 10, **filters},
            )
        )
        return [e["node"]["name"] for e in result["organisation"]["learners"]["edges"]]

    assert await names(search="MAR") == ["María Souza", "Marius Gone"]
    assert await names(search="mar", status="ACTIVE") == ["María Souza"]
    assert await names(status="REMOVED") == ["Marius Gone"]
    # LIKE wildcards in the search are taken literally.
    assert await names(search="_") == ["Tom_Smith"]
    assert await names(search="%") == []


async def test_a_request_changes_no_figure_until_approved(factory: Factory) -> None:
    scene = await factory.scene(licences=5)

    requested = data(
        await factory.execute(
            REQUEST_LICENCES,
            scene.admin,
            {
                "input": {
                    "organisationId": scene.organisation_gid,
                    "quantity": 20,
                    "note": "Spring cohort",
                }
            },
        )
    )["requestLicences"]
    request_id = requested["licenceRequest"]["id"]
    approved = data(
        await factory.execute(
            APPROVE_LICENCE_REQUEST,
            scene.staff,
            {"input": {"licenceRequestId": request_id}},
        )
    )["approveLicenceRequest"]

    assert requested["licenceRequest"]["status"] == "PENDING"
    assert requested["licenceRequest"]["note"] == "Spring cohort"
    assert requested["licenceRequest"]["requestedBy"] == {"email": scene.admin.email}
    assert requested["licenceSummary"]["total"] == 5
    assert approved["licenceRequest"]["status"] == "APPROVED"
    assert approved["licenceRequest"]["decidedAt"] is not None
    assert approved["licenceRequest"]["decidedBy"] == {"email": scene.staff.email}
    assert approved["licenceSummary"] == {
        "total": 25,
        "availableToAssign": 25,
        "pendingInvite": 0,
        "inUse": 0,
    }


async def test_declining_changes_nothing(factory: Factory) -> None:
    scene = await factory.scene(licences=5)
    requested = data(
        await factory.execute(
            REQUEST_LICENCES,
            scene.admin,
            {"input": {"organisationId": scene.organisation_gid, "quantity": 3}},
        )
    )["requestLicences"]

    declined = data(
        await factory.execute(
            DECLINE_LICENCE_REQUEST,
            scene.staff,
            {"input": {"licenceRequestId": requested["licenceRequest"]["id"]}},
        )
    )["declineLicenceRequest"]
    listed = data(
        await factory.execute(
            LICENCE_REQUESTS_PAGE, scene.admin, {"id": scene.organisation_gid}
        )
    )

    assert declined["licenceRequest"]["status"] == "DECLINED"
    assert declined["licenceSummary"]["total"] == 5
    assert listed["organisation"]["licenceRequests"]["nodes"] == [
        {
            "quantity": 3,
            "status": "DECLINED",
            "requestedBy": {"email": scene.admin.email},
            "decidedBy": {"email": scene.staff.email},
        }
    ]
