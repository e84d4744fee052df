"""inviteLearners: results per email, all or nothing, dry runs, bounded SQL."""

from typing import Any

from sqlalchemy import event

from models import Database
from tests.documents import INVITE_LEARNERS, ORGANISATION_SUMMARY
from tests.factories import Factory, Scene
from tests.recount import kept, recount


async def invite(
    factory: Factory, scene: Scene, emails: list[str], **extra: Any
) -> Any:
    result = await factory.execute(
        INVITE_LEARNERS,
        scene.admin,
        {
            "input": {
                "organisationId": scene.organisation_gid,
                "emails": emails,
                **extra,
            }
        },
    )
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data["inviteLearners"]


async def test_each_email_gets_its_own_result(factory: Factory) -> None:
    scene = await factory.scene(licences=10)
    await factory.learner(scene, "already.learner@example.com")
    await factory.invite(scene, "already.invited@example.com")
    await factory.deliver()

    payload = await invite(
        factory,
        scene,
        [
            " New.Person@Example.com ",
            "new.person@example.com",
            "not-an-email",
            "already.invited@example.com",
            "ALREADY.learner@example.com",
        ],
    )

    statuses = [(r["email"], r["status"]) for r in payload["results"]]
    assert statuses == [
        ("new.person@example.com", "INVITED"),
        ("new.person@example.com", "DUPLICATE_IN_REQUEST"),
        ("not-an-email", "INVALID_EMAIL"),
        ("already.invited@example.com", "ALREADY_INVITED"),
        ("already.learner@example.com", "ALREADY_A_LEARNER"),
    ]
    assert payload["results"][0]["invitation"]["status"] == "PENDING"
    assert [i["email"] for i in payload["invitations"]] == ["new.person@example.com"]
    assert payload["licenceSummary"] == {
        "total": 10,
        "availableToAssign": 7,
        "pendingInvite": 2,
        "inUse": 1,
    }
    assert payload["userErrors"] == []
    delivered = await factory.deliver()
    assert [m.to for m in delivered] == ["new.person@example.com"]
    assert "token=" in delivered[0].accept_link


async def test_too_few_licences_invites_nobody(db: Database, factory: Factory) -> None:
    scene = await factory.scene(licences=2)
    before = await kept(db, scene.organisation_id)

    payload = await invite(
        factory, scene, ["a@example.com", "b@example.com", "c@example.com", "bad"]
    )

    assert payload["userErrors"] == [
        {
            "field": ["emails"],
            "code": "NOT_ENOUGH_LICENCES",
            "message": "3 learners to invite but 2 licences available: 1 more needed."
            " Nobody was invited.",
        }
    ]
    assert payload["missingLicences"] == 1
    assert [r["status"] for r in payload["results"]] == [
        "NOT_INVITED",
        "NOT_INVITED",
        "NOT_INVITED",
        "INVALID_EMAIL",
    ]
    assert payload["invitations"] == []
    assert payload["licenceSummary"] is None
    assert await kept(db, scene.organisation_id) == before
    assert await recount(db, scene.organisation_id) == before
    assert await factory.deliver() == []


async def test_dry_run_answers_like_the_real_call_and_writes_nothing(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=5)
    await factory.invite(scene, "known@example.com")
    await factory.deliver()
    emails = ["known@example.com", "fresh@example.com", "fresh@example.com", "x"]
    before = await kept(db, scene.organisation_id)

    dry = await invite(factory, scene, emails, dryRun=True)

    assert await kept(db, scene.organisation_id) == before
    assert await recount(db, scene.organisation_id) == before
    assert await factory.deliver() == []

    real = await invite(factory, scene, emails)

    def without_ids(payload: dict[str, Any]) -> list[tuple[str, str]]:
        return [(r["email"], r["status"]) for r in payload["results"]]

    assert without_ids(dry) == without_ids(real)
    assert dry["licenceSummary"] == real["licenceSummary"]
    assert dry["userErrors"] == real["userErrors"] == []
    assert dry["invitations"] == []
    assert len(real["invitations"]) == 1


async def test_dry_run_reports_missing_licences_like_the_real_call(
    factory: Factory,
) -> None:
    scene = await factory.scene(licences=1)
    emails = ["one@example.com", "two@example.com"]

    dry = await invite(factory, scene, emails, dryRun=True)
    real = await invite(factory, scene, emails)

    assert dry == real
    assert real["missingLicences"] == 1


async def test_a_batch_costs_the_same_statements_for_ten_or_a_thousand_emails(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=2000)
    counts: list[int] = []

    def count(*_args: Any) -> None:
        counts[-1] += 1

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        for size in (10, 1000):
            counts.append(0)
            emails = [f"user{size}-{n}@example.com" for n in range(size)]
            payload = await invite(factory, scene, emails)
            assert len(payload["invitations"]) == size
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)

    assert counts[0] == counts[1]
    # Lookups, the figures, the ledger and the insert: a handful, not one per email.
    assert counts[1] <= 10


async def test_the_summary_follows_every_invite(factory: Factory) -> None:
    scene = await factory.scene(licences=4)

    await invite(factory, scene, ["p@example.com", "q@example.com"])
    result = await factory.execute(
        ORGANISATION_SUMMARY, scene.admin, {"id": scene.organisation_gid}
    )

    assert result.data == {
        "organisation": {
            "id": scene.organisation_gid,
            "name": scene.organisation_name,
            "licenceSummary": {
                "total": 4,
                "availableToAssign": 2,
                "pendingInvite": 2,
                "inUse": 0,
            },
        }
    }
