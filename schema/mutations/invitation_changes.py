"""Mutations on one invitation: resend, revoke, and accept."""

import strawberry

from resolvers import invitations
from schema.errors import UserError
from schema.idempotency import IdempotentInput
from schema.mutations.common import Info, answer
from schema.relay import pk_of
from schema.types.learning import Invitation, Learner
from schema.types.organisation import LicenceSummary


@strawberry.input
class ResendInvitationInput(IdempotentInput):
    invitation_id: strawberry.ID


@strawberry.type
class ResendInvitationPayload:
    invitation: Invitation | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def resend_invitation(
    info: Info, input: ResendInvitationInput
) -> ResendInvitationPayload:
    """Send a fresh link; the old one stops working and the expiry clock restarts."""
    viewer = info.context.require_viewer()
    work = invitations.resend_invitation(
        info.context.services, viewer, pk_of(input.invitation_id, "Invitation")
    )
    return await answer(
        work,
        lambda row: ResendInvitationPayload(invitation=Invitation.from_row(row)),
        ResendInvitationPayload,
    )


@strawberry.input
class RevokeInvitationInput(IdempotentInput):
    invitation_id: strawberry.ID


@strawberry.type
class RevokeInvitationPayload:
    invitation: Invitation | None = None
    licence_summary: LicenceSummary | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def revoke_invitation(
    info: Info, input: RevokeInvitationInput
) -> RevokeInvitationPayload:
    """Withdraw a pending invitation; its licence becomes available again."""
    viewer = info.context.require_viewer()
    work = invitations.revoke_invitation(
        info.context.services, viewer, pk_of(input.invitation_id, "Invitation")
    )
    return await answer(
        work,
        lambda change: RevokeInvitationPayload(
            invitation=Invitation.from_row(change.invitation),
            licence_summary=LicenceSummary.from_figures(change.figures),
        ),
        RevokeInvitationPayload,
    )


@strawberry.input
class AcceptInvitationInput(IdempotentInput):
    token: str = strawberry.field(description="The secret from the invitation link.")
    name: str | None = strawberry.field(
        default=None,
        description="The learner's name; defaults to the email's local part.",
    )


@strawberry.type
class AcceptInvitationPayload:
    learner: Learner | None = None
    licence_summary: LicenceSummary | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def accept_invitation(
    info: Info, input: AcceptInvitationInput
) -> AcceptInvitationPayload:
    """Become a learner. The invitation's token is the only credential needed."""
    work = invitations.accept_invitation(info.context.services, input.token, input.name)
    return await answer(
        work,
        lambda acceptance: AcceptInvitationPayload(
            learner=Learner.from_row(acceptance.learner),
            licence_summary=LicenceSummary.from_figures(acceptance.figures),
        ),
        AcceptInvitationPayload,
    )
