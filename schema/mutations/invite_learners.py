import dataclasses

import strawberry

from models import Invitation as InvitationRow
from resolvers import invitations
from resolvers.errors import Rejected
from resolvers.invitations import InviteOutcome, InviteStatus
from schema.errors import UserError, user_errors
from schema.idempotency import IdempotentInput
from schema.lookahead import asks_for
from schema.mutations.common import Info
from schema.relay import pk_of
from schema.types.learning import Invitation
from schema.types.organisation import LicenceSummary

strawberry.enum(InviteStatus, description="What happened to one email of the batch.")


@strawberry.input
class InviteLearnersInput(IdempotentInput):
    organisation_id: strawberry.ID
    emails: list[str] = strawberry.field(description="Up to 1,000 addresses.")
    dry_run: bool = strawberry.field(
        default=False,
        description="Answer exactly as the real call would; write nothing.",
    )


@strawberry.type(description="The outcome for one email of the batch.")
class InviteLearnerResult:
    email: str
    status: InviteStatus
    # Rows become Invitation objects only when the query asks for them: a batch of
    # 1,000 would otherwise build thousands of objects that nobody reads.
    row: strawberry.Private[InvitationRow | None] = None

    @strawberry.field
    def invitation(self) -> Invitation | None:
        return None if self.row is None else Invitation.from_row(self.row)


def _invitations(root: "InviteLearnersPayload") -> list[Invitation]:
    return [Invitation.from_row(row) for row in root.rows]


@strawberry.type
class InviteLearnersPayload:
    results: list[InviteLearnerResult] = strawberry.field(default_factory=list)
    invitations: list[Invitation] = strawberry.field(resolver=_invitations)
    rows: strawberry.Private[list[InvitationRow]] = dataclasses.field(
        default_factory=list
    )
    licence_summary: LicenceSummary | None = None
    missing_licences: int = strawberry.field(
        default=0,
        description="How many more licences the batch needed, when it was refused for "
        "want of them; otherwise 0.",
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)


def _payload(
    outcome: InviteOutcome | None, errors: list[UserError], *, with_rows: bool = True
) -> InviteLearnersPayload:
    if outcome is None:
        return InviteLearnersPayload(
            results=[],
            rows=[],
            licence_summary=None,
            missing_licences=0,
            user_errors=errors,
        )
    return InviteLearnersPayload(
        results=[
            InviteLearnerResult(
                email=result.email,
                status=result.status,
                row=result.invitation if with_rows else None,
            )
            for result in outcome.results
        ],
        rows=outcome.invitations if with_rows else [],
        licence_summary=None
        if outcome.figures is None
        else LicenceSummary.from_figures(outcome.figures),
        missing_licences=outcome.missing_licences,
        user_errors=errors,
    )


async def invite_learners(
    info: Info, input: InviteLearnersInput
) -> InviteLearnersPayload:
    """Invite learners by email, each taking an available licence until accepted."""
    viewer = info.context.require_viewer()
    try:
        outcome = await invitations.invite_learners(
            info.context.services,
            viewer,
            pk_of(input.organisation_id, "Organisation"),
            input.emails,
            dry_run=input.dry_run,
        )
    except Rejected as rejected:
        partial = (
            rejected.outcome if isinstance(rejected.outcome, InviteOutcome) else None
        )
        return _payload(partial, user_errors(rejected))
    # The rows are made only when the query reads them, or when the answer is
    # kept for a repeat that may read them.
    with_rows = (
        input.idempotency_key is not None
        or asks_for(info, "results.invitation")
        or asks_for(info, "invitations")
    )
    return _payload(outcome, [], with_rows=with_rows)
