"""What becomes of an invitation: accepted, revoked, resent."""

from datetime import timedelta
from typing import Any

from models import Database, Invitation
from schema.relay import to_global_id
from tests.documents import (
    ACCEPT_INVITATION,
    INVITATIONS_PAGE,
    RESEND_INVITATION,
    REVOKE_INVITATION,
)
from tests.factories import Factory, token_of
from tests.recount import kept, recount


def data(result: Any) -> Any:
    assert result.errors is None, result.errors
    return result.data


async def test_accepting_moves_a_licence_from_pending_to_in_use(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=3)
    (token,) = await factory.invite(scene, "ana@example.com")

    payload = data(
        await factory.execute(
            ACCEPT_INVITATION, None, {"input": {"token": token, "name": " Ana Lima "}}
        )
    )["acceptInvitation"]

    assert payload["userErrors"] == []
    assert payload["learner"]["email"] == "ana@example.com"
    assert payload["learner"]["name"] == "Ana Lima"
    assert payload["learner"]["status"] == "ACTIVE"
    assert payload["learner"]["invitation"]["status"] == "ACCEPTED"
    assert payload["learner"]["invitation"]["acceptedAt"] is not None
    assert payload["licenceSummary"] == {
        "total": 3,
        "availableToAssign": 2,
        "pendingInvite": 0,
        "inUse": 1,
    }
    assert await kept(db, scene.organisation_id) == await recount(
        db, scene.organisation_id
    )


async def test_accepting_without_a_name_takes_the_email_local_part(
    factory: Factory,
) -> None:
    scene = await factory.scene()
    (token,) = await factory.invite(scene, "bo.chen@example.com")

    payload = data(
        await factory.execute(ACCEPT_INVITATION, None, {"input": {"token": token}})
    )["acceptInvitation"]

    assert payload["learner"]["name"] == "bo.chen"


async def test_an_accepted_link_cannot_be_used_twice(factory: Factory) -> None:
    scene = await factory.scene()
    (token,) = await factory.invite(scene, "twice@example.com")
    await factory.execute(ACCEPT_INVITATION, None, {"input": {"token": token}})

    payload = data(
        await factory.execute(ACCEPT_INVITATION, None, {"input": {"token": token}})
    )["acceptInvitation"]

    assert payload["learner"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["INVITATION_NOT_PENDING"]


async def test_revoking_returns_the_licence(db: Database, factory: Factory) -> None:
    scene = await factory.scene(licences=2)
    (token,) = await factory.invite(scene, "gone@example.com")
    invitation_id = await factory.invitation_id("gone@example.com")

    payload = data(
        await factory.execute(
            REVOKE_INVITATION,
            scene.admin,
            {"input": {"invitationId": to_global_id("Invitation", invitation_id)}},
        )
    )["revokeInvitation"]

    assert payload["invitation"]["status"] == "REVOKED"
    assert payload["licenceSummary"] == {
        "total": 2,
        "availableToAssign": 2,
        "pendingInvite": 0,
        "inUse": 0,
    }
    accepted = data(
        await factory.execute(ACCEPT_INVITATION, None, {"input": {"token": token}})
    )["acceptInvitation"]
    assert [e["code"] for e in accepted["userErrors"]] == ["INVITATION_NOT_PENDING"]


async def test_resending_replaces_the_link_and_restarts_the_clock(
    db: Database, factory: Factory
) -> None:
    scene = await factory.scene()
    (old_token,) = await factory.invite(scene, "again@example.com")
    invitation_id = await factory.invitation_id("again@example.com")
    async with db.write() as session:
        invitation = await session.get(Invitation, invitation_id)
        assert invitation is not None
        invitation.expires_at -= timedelta(days=10)
        old_expiry = invitation.expires_at
    await factory.deliver()

    payload = data(
        await factory.execute(
            RESEND_INVITATION,
            scene.admin,
            {"input": {"invitationId": to_global_id("Invitation", invitation_id)}},
        )
    )["resendInvitation"]

    assert payload["userErrors"] == []
    assert payload["invitation"]["status"] == "PENDING"
    (message,) = await factory.deliver()
    assert message.to == "again@example.com"
    new_token = token_of(message.accept_link)
    assert new_token != old_token
    async with db.read_session() as session:
        refreshed = await session.get(Invitation, invitation_id)
        assert refreshed is not None
        assert refreshed.expires_at - old_expiry >= timedelta(days=10)

    stale = data(
        await factory.execute(ACCEPT_INVITATION, None, {"input": {"token": old_token}})
    )["acceptInvitation"]
    assert [e["code"] for e in stale["userErrors"]] == ["INVALID_INVITATION_TOKEN"]
    fresh = data(
        await factory.execute(ACCEPT_INVITATION, None, {"input": {"token": new_token}})
    )["acceptInvitation"]
    assert fresh["learner"]["email"] == "again@example.com"


async def test_invitations_list_by_status_with_their_learner(factory: Factory) -> None:
    scene = await factory.scene()
    await factory.learner(scene, "in@example.com")
    await factory.invite(scene, "waiting@example.com")

    pending = data(
        await factory.execute(
            INVITATIONS_PAGE,
            scene.admin,
            {"id": scene.organisation_gid, "status": "PENDING"},
        )
    )
    accepted = data(
        await factory.execute(
            INVITATIONS_PAGE,
            scene.admin,
            {"id": scene.organisation_gid, "status": "ACCEPTED"},
        )
    )

    assert pending["organisation"]["invitations"]["nodes"] == [
        {
            "email": "waiting@example.com",
            "status": "PENDING",
            "learner": None,
            "invitedBy": {"email": scene.admin.email},
        }
    ]
    assert accepted["organisation"]["invitations"]["nodes"] == [
        {
            "email": "in@example.com",
            "status": "ACCEPTED",
            "learner": {"email": "in@example.com"},
            "invitedBy": {"email": scene.admin.email},
        }
    ]
