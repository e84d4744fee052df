"""Every error code, produced by the rule it stands for, with nothing written.

The table below must name every member of ErrorCode: a code nobody can trigger is
either dead or untested, and this test fails in both cases.
"""

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from models import Database, IdempotencyKey, Invitation, LicenceEvent, utcnow
from resolvers.errors import ErrorCode
from resolvers.mail import DeliveryFailure, InvitationMessage
from resolvers.outbox import OutboxSender
from schema.relay import to_global_id
from tests.documents import (
    ACCEPT_INVITATION,
    ADD_ADMIN,
    APPROVE_LICENCE_REQUEST,
    CREATE_ORGANISATION,
    INVITE_LEARNERS,
    REMOVE_LEARNER,
    REQUEST_LICENCES,
    RESEND_INVITATION,
    REVOKE_INVITATION,
)
from tests.factories import Factory, Scene

Attempt = Callable[[Factory, Scene], Awaitable[tuple[str, dict[str, Any], Any]]]


async def _invite(_f: Factory, scene: Scene, emails: list[str]) -> Any:
    variables = {"input": {"organisationId": scene.organisation_gid, "emails": emails}}
    return INVITE_LEARNERS, variables, scene.admin


async def not_found(f: Factory, scene: Scene) -> Any:
    other = await f.scene()
    variables = {
        "input": {"organisationId": other.organisation_gid, "emails": ["a@b.co"]}
    }
    return INVITE_LEARNERS, variables, scene.admin


async def forbidden(_f: Factory, scene: Scene) -> Any:
    variables = {"input": {"organisationId": scene.organisation_gid, "quantity": 1}}
    return REQUEST_LICENCES, variables, scene.staff


async def invalid_email(_f: Factory, scene: Scene) -> Any:
    variables = {"input": {"organisationId": scene.organisation_gid, "email": "nope"}}
    return ADD_ADMIN, variables, scene.staff


async def too_many_emails(f: Factory, scene: Scene) -> Any:
    return await _invite(f, scene, [f"u{n}@example.com" for n in range(1001)])


async def no_emails(f: Factory, scene: Scene) -> Any:
    return await _invite(f, scene, [])


async def not_enough_licences(f: Factory, scene: Scene) -> Any:
    return await _invite(f, scene, [f"u{n}@example.com" for n in range(11)])


async def invitation_not_pending(f: Factory, scene: Scene) -> Any:
    await f.learner(scene, "done@example.com")
    invitation = to_global_id("Invitation", await f.invitation_id("done@example.com"))
    return REVOKE_INVITATION, {"input": {"invitationId": invitation}}, scene.admin


async def invitation_expired(f: Factory, scene: Scene) -> Any:
    await f.invite(scene, "late@example.com")
    invitation_id = await f.invitation_id("late@example.com")
    async with f.services.db.write() as session:
        invitation = await session.get(Invitation, invitation_id)
        assert invitation is not None
        invitation.expires_at -= timedelta(days=15)
    global_id = to_global_id("Invitation", invitation_id)
    return RESEND_INVITATION, {"input": {"invitationId": global_id}}, scene.admin


async def _resend(f: Factory, scene: Scene, email: str) -> Any:
    global_id = to_global_id("Invitation", await f.invitation_id(email))
    return RESEND_INVITATION, {"input": {"invitationId": global_id}}, scene.admin


async def invitation_accepted(f: Factory, scene: Scene) -> Any:
    await f.learner(scene, "in@example.com")
    return await _resend(f, scene, "in@example.com")


async def invitation_revoked(f: Factory, scene: Scene) -> Any:
    await f.invite(scene, "out@example.com")
    invitation = to_global_id("Invitation", await f.invitation_id("out@example.com"))
    await f.execute(
        REVOKE_INVITATION, scene.admin, {"input": {"invitationId": invitation}}
    )
    return await _resend(f, scene, "out@example.com")


class RefusingMailer:
    """A mail server that answers every message with a permanent refusal."""

    async def send(
        self, messages: list[InvitationMessage]
    ) -> list[DeliveryFailure | None]:
        return [DeliveryFailure("550 No such mailbox", permanent=True)] * len(messages)


async def invitation_failed(f: Factory, scene: Scene) -> Any:
    await f.invite(scene, "bounce@example.com")
    await OutboxSender(f.services, RefusingMailer()).run_once()
    return await _resend(f, scene, "bounce@example.com")


async def invalid_invitation_token(_f: Factory, _scene: Scene) -> Any:
    return ACCEPT_INVITATION, {"input": {"token": "made-up"}}, None


async def learner_not_active(f: Factory, scene: Scene) -> Any:
    learner = to_global_id("Learner", await f.learner(scene, "x@example.com"))
    await f.execute(REMOVE_LEARNER, scene.admin, {"input": {"learnerId": learner}})
    return REMOVE_LEARNER, {"input": {"learnerId": learner}}, scene.admin


async def invalid_quantity(_f: Factory, scene: Scene) -> Any:
    variables = {"input": {"organisationId": scene.organisation_gid, "quantity": 0}}
    return REQUEST_LICENCES, variables, scene.admin


async def note_too_long(_f: Factory, scene: Scene) -> Any:
    variables = {
        "input": {
            "organisationId": scene.organisation_gid,
            "quantity": 1,
            "note": "x" * 1001,
        }
    }
    return REQUEST_LICENCES, variables, scene.admin


async def invalid_name(_f: Factory, scene: Scene) -> Any:
    return CREATE_ORGANISATION, {"input": {"name": "  ", "licences": 1}}, scene.staff


async def licence_request_already_decided(f: Factory, scene: Scene) -> Any:
    requested = await f.execute(
        REQUEST_LICENCES,
        scene.admin,
        {"input": {"organisationId": scene.organisation_gid, "quantity": 2}},
    )
    assert requested.data is not None
    request = requested.data["requestLicences"]["licenceRequest"]["id"]
    variables = {"input": {"licenceRequestId": request}}
    await f.execute(APPROVE_LICENCE_REQUEST, scene.staff, variables)
    return APPROVE_LICENCE_REQUEST, variables, scene.staff


async def email_taken(_f: Factory, scene: Scene) -> Any:
    variables = {
        "input": {"organisationId": scene.organisation_gid, "email": scene.admin.email}
    }
    return ADD_ADMIN, variables, scene.staff


def _keyed_invite(scene: Scene, key: str, email: str) -> Any:
    variables = {
        "input": {
            "organisationId": scene.organisation_gid,
            "emails": [email],
            "idempotencyKey": key,
        }
    }
    return INVITE_LEARNERS, variables, scene.admin


async def invalid_idempotency_key(_f: Factory, scene: Scene) -> Any:
    return _keyed_invite(scene, "k" * 256, "a@example.com")


async def idempotency_key_reused(f: Factory, scene: Scene) -> Any:
    document, variables, viewer = _keyed_invite(scene, "key", "a@example.com")
    await f.execute(document, viewer, variables)
    return _keyed_invite(scene, "key", "b@example.com")


async def idempotency_key_in_progress(f: Factory, scene: Scene) -> Any:
    attempt = _keyed_invite(scene, "key", "a@example.com")
    document, variables, viewer = attempt
    await f.execute(document, viewer, variables)
    # As if the server died after the work committed, before it kept the answer.
    async with f.services.db.write() as session:
        await session.execute(
            update(IdempotencyKey).values(
                response=None, created_at=utcnow() - timedelta(minutes=5)
            )
        )
    return attempt


ATTEMPTS: dict[ErrorCode, Attempt] = {
    ErrorCode.NOT_FOUND: not_found,
    ErrorCode.FORBIDDEN: forbidden,
    ErrorCode.INVALID_EMAIL: invalid_email,
    ErrorCode.TOO_MANY_EMAILS: too_many_emails,
    ErrorCode.NO_EMAILS: no_emails,
    ErrorCode.NOT_ENOUGH_LICENCES: not_enough_licences,
    ErrorCode.INVITATION_NOT_PENDING: invitation_not_pending,
    ErrorCode.INVITATION_EXPIRED: invitation_expired,
    ErrorCode.INVITATION_ACCEPTED: invitation_accepted,
    ErrorCode.INVITATION_REVOKED: invitation_revoked,
    ErrorCode.INVITATION_FAILED: invitation_failed,
    ErrorCode.INVALID_INVITATION_TOKEN: invalid_invitation_token,
    ErrorCode.LEARNER_NOT_ACTIVE: learner_not_active,
    ErrorCode.INVALID_QUANTITY: invalid_quantity,
    ErrorCode.NOTE_TOO_LONG: note_too_long,
    ErrorCode.INVALID_NAME: invalid_name,
    ErrorCode.LICENCE_REQUEST_ALREADY_DECIDED: licence_request_already_decided,
    ErrorCode.EMAIL_TAKEN: email_taken,
    ErrorCode.INVALID_IDEMPOTENCY_KEY: invalid_idempotency_key,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: idempotency_key_reused,
    ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS: idempotency_key_in_progress,
}


# Refused by the request limits before any resolver runs, as a GraphQL error with
# the same code; the resolver keeps its own check for callers inside the process.
REFUSED_BEFORE_RESOLVERS = {ErrorCode.TOO_MANY_EMAILS}


def test_every_error_code_has_a_scenario() -> None:
    assert set(ATTEMPTS) == set(ErrorCode)


async def _ledger_length(db: Database) -> int:
    async with db.read_session() as session:
        count = await session.scalar(select(func.count()).select_from(LicenceEvent))
    assert count is not None
    return count


@pytest.mark.parametrize("code", list(ATTEMPTS), ids=str)
async def test_each_broken_rule_answers_its_code_and_writes_nothing(
    code: ErrorCode, db: Database, factory: Factory
) -> None:
    scene = await factory.scene(licences=10)
    document, variables, viewer = await ATTEMPTS[code](factory, scene)
    ledger_before = await _ledger_length(db)

    result = await factory.execute(document, viewer, variables)

    if code in REFUSED_BEFORE_RESOLVERS:
        assert [(e.extensions or {})["code"] for e in result.errors or []] == [
            code.value
        ]
        assert await _ledger_length(db) == ledger_before
        return
    assert result.errors is None, result.errors
    assert result.data is not None
    (payload,) = result.data.values()
    assert [error["code"] for error in payload["userErrors"]] == [code.value]
    assert all(error["message"] for error in payload["userErrors"])
    assert await _ledger_length(db) == ledger_before
