"""Inviting learners, and what becomes of an invitation afterwards."""

import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC
from enum import StrEnum
from typing import Any

from sqlalchemy import BindParameter, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import (
    DeliveryStatus,
    Invitation,
    InvitationStatus,
    Learner,
    LearnerStatus,
    LicenceEventKind,
    Organisation,
    rows_changed,
    utcnow,
)
from models.rows import rebuilt, table_of
from resolvers import licences, outbox
from resolvers.auth import Viewer
from resolvers.context import Services
from resolvers.errors import ErrorCode, Problem, Rejected
from resolvers.mail import InvitationMessage
from resolvers.organisations import administered, not_found
from resolvers.validation import normalise_email, require_name

logger = logging.getLogger(__name__)

MAX_EMAILS_PER_CALL = 1000


class InviteStatus(StrEnum):
    INVITED = "INVITED"
    ALREADY_INVITED = "ALREADY_INVITED"
    ALREADY_A_LEARNER = "ALREADY_A_LEARNER"
    INVALID_EMAIL = "INVALID_EMAIL"
    DUPLICATE_IN_REQUEST = "DUPLICATE_IN_REQUEST"
    # Valid and free to invite, but the batch was refused as a whole.
    NOT_INVITED = "NOT_INVITED"


@dataclass(slots=True)
class InviteResult:
    email: str
    status: InviteStatus
    # The values written for this email's new invitation. The row is made from
    # them when it is first read: most callers of a 1,000-email batch never do.
    written: dict[str, Any] | None = None
    _row: Invitation | None = field(default=None, repr=False)

    @property
    def invitation(self) -> Invitation | None:
        if self._row is None and self.written is not None:
            (self._row,) = rebuilt(Invitation, [self.written])
        return self._row


@dataclass
class InviteOutcome:
    results: list[InviteResult]
    figures: licences.Figures | None
    missing_licences: int = 0

    @property
    def invitations(self) -> list[Invitation]:
        """The invitations the batch created, in the order of their emails."""
        return [
            row for result in self.results if (row := result.invitation) is not None
        ]


@dataclass
class _DryRun(Exception):
    """Raised at the end of a dry run so that its transaction rolls back."""

    outcome: InviteOutcome


def new_token() -> tuple[str, str]:
    """A fresh accept token and the hash that is stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _message(
    services: Services, organisation: Organisation, email: str, token: str
) -> InvitationMessage:
    return InvitationMessage(
        to=email,
        organisation_name=organisation.name,
        accept_link=services.settings.accept_url.format(token=token),
    )


async def invite_learners(
    services: Services,
    viewer: Viewer,
    organisation_id: int | None,
    emails: list[str],
    *,
    dry_run: bool,
) -> InviteOutcome:
    """Invite every valid, new address, or nobody if licences run short.

    The batch is one transaction of a fixed number of statements whatever its size:
    two lookups, one conditional update of the figures, one ledger row and one
    multi-row insert.
    """
    if not emails:
        raise Rejected.one(ErrorCode.NO_EMAILS, "Give at least one email.", "emails")
    if len(emails) > MAX_EMAILS_PER_CALL:
        raise Rejected.one(
            ErrorCode.TOO_MANY_EMAILS,
            f"At most {MAX_EMAILS_PER_CALL} emails per call; got {len(emails)}.",
            "emails",
        )

    async def work(
        session: AsyncSession,
    ) -> tuple[InviteOutcome, list[InvitationMessage]]:
        organisation = await administered(
            session, viewer, organisation_id, "organisationId"
        )
        assert organisation.id is not None
        # Settle expired invitations first: their addresses may be invited again.
        await licences.expire_due(session, organisation.id)
        results, candidates = _classify(emails)
        if candidates:
            await _mark_taken(session, organisation.id, results, candidates)
        to_invite = [r for r in results if r.status is InviteStatus.INVITED]
        if not to_invite:
            current = await licences.current_figures(session, organisation.id)
            return InviteOutcome(results, current), []

        figures = await licences.apply(
            session,
            organisation.id,
            LicenceEventKind.LEARNERS_INVITED,
            len(to_invite),
            actor_id=viewer.user_id,
        )
        if figures is None:
            raise await _not_enough(session, organisation.id, results, len(to_invite))

        # In UTC, as the database gives timestamps back: the rows are rebuilt from
        # these values rather than read back.
        now = utcnow().astimezone(UTC)
        expires_at = now + services.settings.invitation_ttl
        tokens: list[str] = []
        rows: list[dict[str, Any]] = []
        for result in to_invite:
            token, token_hash = new_token()
            tokens.append(token)
            rows.append(
                {
                    "organisation_id": organisation.id,
                    "email": result.email,
                    "status": InvitationStatus.PENDING.value,
                    "token_hash": token_hash,
                    "invited_by_id": viewer.user_id,
                    "created_at": now,
                    "expires_at": expires_at,
                    "delivery_status": DeliveryStatus.QUEUED.value,
                }
            )
        # Through the table, returning only the new keys: the ORM's bulk insert and
        # loading back 1,000 full rows were a quarter of the batch. The rows are
        # made from the values written, if anyone reads them.
        table = table_of(Invitation)
        inserted = await session.execute(
            insert(table).returning(table.c.email, table.c.id), rows
        )
        ids: dict[str, int] = dict(inserted.all())
        for result, row in zip(to_invite, rows, strict=True):
            row["id"] = ids[row["email"]]
            result.written = row
        messages = [
            _message(services, organisation, result.email, token)
            for result, token in zip(to_invite, tokens, strict=True)
        ]
        # The emails go out with the invitations or not at all: same transaction.
        await outbox.queue(session, [row["id"] for row in rows], messages)
        outcome = InviteOutcome(results, figures)
        if dry_run:
            raise _DryRun(outcome)
        return outcome, messages

    try:
        outcome, messages = await services.db.run_write(work, retry_on_integrity=True)
    except _DryRun as dry:
        for result in dry.outcome.results:
            result.written = None
        return dry.outcome

    if messages:
        services.outbox_bell.ring()
    logger.info(
        "learners_invited organisation_id=%s count=%s by=%s",
        organisation_id,
        len(messages),
        viewer.user_id,
    )
    return outcome


def _classify(emails: list[str]) -> tuple[list[InviteResult], set[str]]:
    results: list[InviteResult] = []
    seen: set[str] = set()
    for raw in emails:
        email = normalise_email(raw)
        if email is None:
            results.append(InviteResult(raw, InviteStatus.INVALID_EMAIL))
        elif email in seen:
            results.append(InviteResult(email, InviteStatus.DUPLICATE_IN_REQUEST))
        else:
            seen.add(email)
            results.append(InviteResult(email, InviteStatus.INVITED))
    return results, seen


async def _mark_taken(
    session: AsyncSession,
    organisation_id: int,
    results: list[InviteResult],
    candidates: set[str],
) -> None:
    # The addresses go in as one expanding parameter at execution: an IN clause
    # built from 1,000 values coerces and checks each of them, in both statements.
    emails: BindParameter[str] = bindparam("emails", expanding=True)
    values = {"emails": list(candidates)}
    invited = set(
        await session.scalars(
            select(col(Invitation.email)).where(
                col(Invitation.organisation_id) == organisation_id,
                col(Invitation.status) == InvitationStatus.PENDING.value,
                col(Invitation.email).in_(emails),
            ),
            values,
        )
    )
    learners = set(
        await session.scalars(
            select(col(Learner.email)).where(
                col(Learner.organisation_id) == organisation_id,
                col(Learner.status) == LearnerStatus.ACTIVE.value,
                col(Learner.email).in_(emails),
            ),
            values,
        )
    )
    for result in results:
        if result.status is not InviteStatus.INVITED:
            continue
        if result.email in learners:
            result.status = InviteStatus.ALREADY_A_LEARNER
        elif result.email in invited:
            result.status = InviteStatus.ALREADY_INVITED


async def _not_enough(
    session: AsyncSession,
    organisation_id: int,
    results: list[InviteResult],
    needed: int,
) -> Rejected:
    available = await session.scalar(
        select(col(Organisation.available_to_assign)).where(
            col(Organisation.id) == organisation_id
        )
    )
    missing = needed - (available or 0)
    for result in results:
        if result.status is InviteStatus.INVITED:
            result.status = InviteStatus.NOT_INVITED
    problem = Problem(
        ErrorCode.NOT_ENOUGH_LICENCES,
        f"{needed} learners to invite but {available} licences available:"
        f" {missing} more needed. Nobody was invited.",
        ["emails"],
    )
    outcome = InviteOutcome(results, None, missing_licences=missing)
    return Rejected([problem], outcome)


@dataclass(frozen=True)
class InvitationChange:
    invitation: Invitation
    figures: licences.Figures


async def _pending_in(
    session: AsyncSession, viewer: Viewer, invitation_id: int | None
) -> tuple[Invitation, Organisation]:
    invitation = (
        None if invitation_id is None else await session.get(Invitation, invitation_id)
    )
    if invitation is None or not viewer.can_read(invitation.organisation_id):
        raise not_found("invitation", "invitationId")
    organisation = await administered(
        session, viewer, invitation.organisation_id, "invitationId"
    )
    _require_open(invitation, "invitationId")
    return invitation, organisation


def _require_open(invitation: Invitation, field: str) -> None:
    # Expired reads the same whether or not the sweeper has settled it yet.
    if invitation.status == InvitationStatus.EXPIRED:
        raise Rejected.one(
            ErrorCode.INVITATION_EXPIRED,
            "This invitation has expired; invite the learner again.",
            field,
        )
    if invitation.status != InvitationStatus.PENDING:
        raise Rejected.one(
            ErrorCode.INVITATION_NOT_PENDING,
            f"This invitation is {invitation.status.lower()}, no longer pending.",
            field,
        )
    if invitation.expires_at <= utcnow():
        raise Rejected.one(
            ErrorCode.INVITATION_EXPIRED,
            "This invitation has expired; invite the learner again.",
            field,
        )


async def _settle(
    session: AsyncSession, invitation: Invitation, field: str, **values: object
) -> None:
    """Move a pending invitation on, unless a concurrent request already did."""
    result = await session.execute(
        update(Invitation)
        .where(
            col(Invitation.id) == invitation.id,
            col(Invitation.status) == InvitationStatus.PENDING.value,
        )
        .values(**values)
    )
    if rows_changed(result) != 1:
        raise Rejected.one(
            ErrorCode.INVITATION_NOT_PENDING,
            "This invitation was settled by another request.",
            field,
        )
    await session.refresh(invitation)


async def revoke_invitation(
    services: Services, viewer: Viewer, invitation_id: int | None
) -> InvitationChange:
    async def work(session: AsyncSession) -> InvitationChange:
        invitation, _ = await _pending_in(session, viewer, invitation_id)
        await _settle(
            session,
            invitation,
            "invitationId",
            status=InvitationStatus.REVOKED.value,
            revoked_at=utcnow(),
        )
        figures = await licences.apply(
            session,
            invitation.organisation_id,
            LicenceEventKind.INVITATION_REVOKED,
            1,
            actor_id=viewer.user_id,
            invitation_id=invitation.id,
        )
        assert figures is not None, "a pending invitation holds a pending licence"
        return InvitationChange(invitation, figures)

    return await services.db.run_write(work, retry_on_integrity=False)


_NOT_RESENDABLE = {
    InvitationStatus.ACCEPTED: (
        ErrorCode.INVITATION_ACCEPTED,
        "This invitation was accepted; there is nothing to resend.",
    ),
    InvitationStatus.REVOKED: (
        ErrorCode.INVITATION_REVOKED,
        "This invitation was revoked; invite the learner again instead.",
    ),
    InvitationStatus.EXPIRED: (
        ErrorCode.INVITATION_EXPIRED,
        "This invitation has expired; invite the learner again instead.",
    ),
    InvitationStatus.FAILED: (
        ErrorCode.INVITATION_FAILED,
        "This address refused the invitation and its licence was returned;"
        " invite the learner again, perhaps at another address.",
    ),
}


def _require_resendable(invitation: Invitation) -> None:
    status = InvitationStatus(invitation.status)
    if status is InvitationStatus.PENDING and invitation.expires_at <= utcnow():
        status = InvitationStatus.EXPIRED
    if status in _NOT_RESENDABLE:
        code, message = _NOT_RESENDABLE[status]
        raise Rejected.one(code, message, "invitationId")


async def resend_invitation(
    services: Services, viewer: Viewer, invitation_id: int | None
) -> Invitation:
    """Send a new link: the old one stops working and the expiry clock restarts.

    Messages of the old link still waiting in the outbox are withdrawn, and the
    new one is queued in the same transaction.
    """

    async def work(session: AsyncSession) -> Invitation:
        invitation = (
            None
            if invitation_id is None
            else await session.get(Invitation, invitation_id)
        )
        if invitation is None or not viewer.can_read(invitation.organisation_id):
            raise not_found("invitation", "invitationId")
        organisation = await administered(
            session, viewer, invitation.organisation_id, "invitationId"
        )
        _require_resendable(invitation)

        token, token_hash = new_token()
        await _settle(
            session,
            invitation,
            "invitationId",
            token_hash=token_hash,
            expires_at=utcnow() + services.settings.invitation_ttl,
            delivery_status=DeliveryStatus.QUEUED.value,
            failure_reason=None,
        )
        assert invitation.id is not None
        await outbox.withdraw(session, invitation.id)
        message = _message(services, organisation, invitation.email, token)
        await outbox.queue(session, [invitation.id], [message])
        return invitation

    invitation = await services.db.run_write(work, retry_on_integrity=False)
    services.outbox_bell.ring()
    logger.info(
        "invitation_resent invitation_id=%s by=%s", invitation.id, viewer.user_id
    )
    return invitation


@dataclass(frozen=True)
class Acceptance:
    learner: Learner
    figures: licences.Figures


async def accept_invitation(
    services: Services, token: str, name: str | None
) -> Acceptance:
    """Turn a pending invitation into an active learner. The token is the credential."""

    async def work(session: AsyncSession) -> Acceptance:
        invitation = await session.scalar(
            select(Invitation).where(col(Invitation.token_hash) == hash_token(token))
        )
        if invitation is None:
            raise Rejected.one(
                ErrorCode.INVALID_INVITATION_TOKEN,
                "This invitation link is not valid; ask for a new one.",
                "token",
            )
        _require_open(invitation, "token")
        learner_name = require_name(
            name if name is not None else invitation.email.split("@")[0], "name"
        )

        now = utcnow()
        await _settle(
            session,
            invitation,
            "token",
            status=InvitationStatus.ACCEPTED.value,
            accepted_at=now,
        )
        assert invitation.id is not None
        learner = Learner(
            organisation_id=invitation.organisation_id,
            email=invitation.email,
            name=learner_name,
            status=LearnerStatus.ACTIVE.value,
            invitation_id=invitation.id,
            activated_at=now,
        )
        session.add(learner)
        await session.flush()
        figures = await licences.apply(
            session,
            invitation.organisation_id,
            LicenceEventKind.INVITATION_ACCEPTED,
            1,
            actor_id=None,
            invitation_id=invitation.id,
            learner_id=learner.id,
        )
        assert figures is not None, "a pending invitation holds a pending licence"
        return Acceptance(learner, figures)

    return await services.db.run_write(work, retry_on_integrity=False)
