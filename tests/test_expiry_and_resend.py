"""Invitations expire at their expiry instant; resend issues a new link."""

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import col

from models import Clock, Database, LicenceEvent, LicenceEventKind, OutboxStatus
from resolvers.context import Services
from resolvers.mail import MemoryMailer
from resolvers.outbox import OutboxSender
from tests.factories import Factory, Scene, token_of
from tests.outbox_helpers import outbox_rows, smtp_sender
from tests.recount import kept, ledger_sum, recount, stored
from tests.smtp_sink import SmtpSink

TTL = timedelta(days=14)

SUMMARY_AND_INVITATIONS = """
query Invitations($id: ID!, $status: InvitationStatus) {
  organisation(id: $id) {
    licenceSummary { total availableToAssign pendingInvite inUse }
    invitations(first: 100, status: $status) {
      nodes { id email status expiresAt deliveryStatus }
    }
  }
}
"""

INVITE_LEARNERS = """
mutation Invite($input: InviteLearnersInput!) {
  inviteLearners(input: $input) {
    results { email status }
    licenceSummary { availableToAssign pendingInvite }
    userErrors { code }
  }
}
"""

ACCEPT_INVITATION = """
mutation Accept($input: AcceptInvitationInput!) {
  acceptInvitation(input: $input) { learner { email } userErrors { code } }
}
"""

RESEND_INVITATION = """
mutation Resend($input: ResendInvitationInput!) {
  resendInvitation(input: $input) {
    invitation { email status expiresAt deliveryStatus }
    userErrors { field code }
  }
}
"""

REVOKE_INVITATION = """
mutation Revoke($input: RevokeInvitationInput!) {
  revokeInvitation(input: $input) { userErrors { code } }
}
"""


async def look(
    factory: Factory, scene: Scene, status: str | None = None
) -> dict[str, Any]:
    answer = await factory.execute(
        SUMMARY_AND_INVITATIONS,
        scene.admin,
        {"id": scene.organisation_gid, "status": status},
    )
    assert answer.errors is None
    assert answer.data is not None
    found: dict[str, Any] = answer.data["organisation"]
    return found


def summary(available: int, pending: int, in_use: int = 0) -> dict[str, int]:
    return {
        "total": available + pending + in_use,
        "availableToAssign": available,
        "pendingInvite": pending,
        "inUse": in_use,
    }


async def expiry_events(db: Database, organisation_id: int) -> list[tuple[Any, ...]]:
    async with db.read_session() as session:
        rows = await session.execute(
            select(col(LicenceEvent.invitation_id), col(LicenceEvent.created_at))
            .where(
                col(LicenceEvent.organisation_id) == organisation_id,
                col(LicenceEvent.kind) == LicenceEventKind.INVITATION_EXPIRED.value,
            )
            .order_by(col(LicenceEvent.id))
        )
        return [tuple(row) for row in rows]


async def accept(factory: Factory, token: str) -> dict[str, Any]:
    answer = await factory.execute(ACCEPT_INVITATION, None, {"input": {"token": token}})
    assert answer.data is not None
    found: dict[str, Any] = answer.data["acceptInvitation"]
    return found


async def resend(factory: Factory, scene: Scene, invitation_gid: str) -> dict[str, Any]:
    answer = await factory.execute(
        RESEND_INVITATION, scene.admin, {"input": {"invitationId": invitation_gid}}
    )
    assert answer.errors is None
    assert answer.data is not None
    found: dict[str, Any] = answer.data["resendInvitation"]
    return found


async def test_an_invitation_stops_counting_as_pending_at_its_expiry_instant(
    db: Database, services: Services, factory: Factory, clock: Clock
) -> None:
    scene = await factory.scene(licences=5)
    invited_at = clock.now()
    await factory.invite(scene, "ada@example.com", "bo@example.com")

    clock.set(invited_at + TTL - timedelta(microseconds=1))
    just_before = await look(factory, scene)
    clock.set(invited_at + TTL)
    at_expiry = await look(factory, scene)

    assert just_before["licenceSummary"] == summary(available=3, pending=2)
    assert [n["status"] for n in just_before["invitations"]["nodes"]] == ["PENDING"] * 2
    assert at_expiry["licenceSummary"] == summary(available=5, pending=0)
    assert [n["status"] for n in at_expiry["invitations"]["nodes"]] == ["EXPIRED"] * 2
    assert (await look(factory, scene, "PENDING"))["invitations"]["nodes"] == []
    expired = (await look(factory, scene, "EXPIRED"))["invitations"]["nodes"]
    assert [n["email"] for n in expired] == ["ada@example.com", "bo@example.com"]
    assert await kept(db, scene.organisation_id) == await recount(
        db, scene.organisation_id
    )
    # Nothing has swept them yet: the row still holds them, the ledger agrees.
    assert (await stored(db, scene.organisation_id)).pending_invite == 2
    assert await expiry_events(db, scene.organisation_id) == []

    clock.advance(timedelta(days=3))
    swept = await OutboxSender(services, MemoryMailer()).sweep_expired()

    assert swept == 2
    assert (await look(factory, scene))["licenceSummary"] == summary(5, 0)
    assert await stored(db, scene.organisation_id) == await kept(
        db, scene.organisation_id
    )
    assert await stored(db, scene.organisation_id) == await ledger_sum(
        db, scene.organisation_id
    )
    # The ledger dates each expiry at the invitation's expiry, not at the sweep.
    events = await expiry_events(db, scene.organisation_id)
    assert [at for _, at in events] == [invited_at + TTL] * 2


async def test_an_expired_link_no_longer_accepts_before_or_after_the_sweep(
    services: Services, factory: Factory, clock: Clock
) -> None:
    scene = await factory.scene(licences=2)
    (token,) = await factory.invite(scene, "ada@example.com")
    clock.advance(TTL)

    before_sweep = await accept(factory, token)
    await OutboxSender(services, MemoryMailer()).sweep_expired()
    after_sweep = await accept(factory, token)

    expected = {"learner": None, "userErrors": [{"code": "INVITATION_EXPIRED"}]}
    assert before_sweep == expected
    assert after_sweep == expected


async def test_expired_invitations_free_their_licences_and_addresses_at_once(
    db: Database, factory: Factory, clock: Clock
) -> None:
    scene = await factory.scene(licences=2)
    await factory.invite(scene, "ada@example.com", "bo@example.com")
    clock.advance(TTL)

    answer = await factory.execute(
        INVITE_LEARNERS,
        scene.admin,
        {
            "input": {
                "organisationId": scene.organisation_gid,
                "emails": ["ada@example.com", "cy@example.com"],
            }
        },
    )

    # No sweep ran in between: the write settled the expiries itself, so both
    # licences were free and ada could be invited again.
    assert answer.data == {
        "inviteLearners": {
            "results": [
                {"email": "ada@example.com", "status": "INVITED"},
                {"email": "cy@example.com", "status": "INVITED"},
            ],
            "licenceSummary": {"availableToAssign": 0, "pendingInvite": 2},
            "userErrors": [],
        }
    }
    assert len(await expiry_events(db, scene.organisation_id)) == 2
    assert await kept(db, scene.organisation_id) == await recount(
        db, scene.organisation_id
    )


async def test_resend_sends_a_new_link_and_restarts_the_expiry_clock(
    services: Services, factory: Factory, mailer: MemoryMailer, clock: Clock
) -> None:
    scene = await factory.scene(licences=2)
    (old_token,) = await factory.invite(scene, "ada@example.com")
    sender = OutboxSender(services, mailer)
    await sender.run_once()
    clock.advance(timedelta(days=10))
    (node,) = (await look(factory, scene))["invitations"]["nodes"]

    resent = await resend(factory, scene, node["id"])
    queued_before_sending = (await look(factory, scene))["invitations"]["nodes"]
    await sender.run_once()

    assert resent == {
        "invitation": {
            "email": "ada@example.com",
            "status": "PENDING",
            "expiresAt": (clock.now() + TTL).isoformat(),
            "deliveryStatus": "QUEUED",
        },
        "userErrors": [],
    }
    assert [n["deliveryStatus"] for n in queued_before_sending] == ["QUEUED"]
    assert [m.to for m in mailer.sent] == ["ada@example.com", "ada@example.com"]
    new_token = token_of(mailer.sent[1].accept_link)
    assert new_token != old_token
    assert await accept(factory, old_token) == {
        "learner": None,
        "userErrors": [{"code": "INVALID_INVITATION_TOKEN"}],
    }
    # Past the first link's expiry, inside the new one's.
    clock.advance(timedelta(days=5))
    assert await accept(factory, new_token) == {
        "learner": {"email": "ada@example.com"},
        "userErrors": [],
    }


async def test_a_resend_withdraws_the_unsent_message_of_the_old_link(
    services: Services, factory: Factory, mailer: MemoryMailer
) -> None:
    scene = await factory.scene(licences=2)
    await factory.invite(scene, "ada@example.com")
    (node,) = (await look(factory, scene))["invitations"]["nodes"]

    await resend(factory, scene, node["id"])
    await OutboxSender(services, mailer).run_once()

    # One email went out, with the only link that works.
    (message,) = mailer.sent
    assert await accept(factory, token_of(message.accept_link)) == {
        "learner": {"email": "ada@example.com"},
        "userErrors": [],
    }
    statuses = [row.status for row in await outbox_rows(services.db)]
    assert statuses == [OutboxStatus.CANCELLED, OutboxStatus.SENT]


async def test_settled_invitations_cannot_be_resent(
    services: Services,
    factory: Factory,
    smtp_sink: SmtpSink,
    clock: Clock,
) -> None:
    smtp_sink.refuse.add("gone@example.com")
    smtp_sink.start()
    scene = await factory.scene(licences=5)
    tokens = await factory.invite(
        scene,
        "accepted@example.com",
        "revoked@example.com",
        "expired@example.com",
        "gone@example.com",
    )
    await smtp_sender(services, smtp_sink).run_once()
    await accept(factory, tokens[0])
    nodes = (await look(factory, scene))["invitations"]["nodes"]
    by_email = {n["email"]: n["id"] for n in nodes}
    await factory.execute(
        REVOKE_INVITATION,
        scene.admin,
        {"input": {"invitationId": by_email["revoked@example.com"]}},
    )
    clock.advance(TTL)

    codes = {
        email: (await resend(factory, scene, gid))["userErrors"]
        for email, gid in by_email.items()
    }

    assert codes == {
        "accepted@example.com": [
            {"field": ["invitationId"], "code": "INVITATION_ACCEPTED"}
        ],
        "revoked@example.com": [
            {"field": ["invitationId"], "code": "INVITATION_REVOKED"}
        ],
        "expired@example.com": [
            {"field": ["invitationId"], "code": "INVITATION_EXPIRED"}
        ],
        "gone@example.com": [{"field": ["invitationId"], "code": "INVITATION_FAILED"}],
    }
    # Refusals wrote nothing: no new message was queued.
    assert [row.status for row in await outbox_rows(services.db)] == [
        OutboxStatus.SENT,
        OutboxStatus.SENT,
        OutboxStatus.SENT,
        OutboxStatus.FAILED,
    ]
