"""Learners and their invitations; each refers to the other."""

from datetime import datetime

import strawberry

from models import Invitation as InvitationRow
from models import InvitationStatus, LearnerStatus
from models import Learner as LearnerRow
from resolvers.context import Context
from schema.relay import Node, to_global_id
from schema.types.user import User

strawberry.enum(InvitationStatus, description="Where an invitation stands.")
strawberry.enum(LearnerStatus, description="Whether a learner holds a licence.")


@strawberry.type(description="Someone who accepted an invitation.")
class Learner(Node):
    email: str
    name: str
    status: LearnerStatus
    activated_at: datetime
    invitation_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: LearnerRow) -> "Learner":
        return cls(
            id=to_global_id("Learner", row.id),
            email=row.email,
            name=row.name,
            status=LearnerStatus(row.status),
            activated_at=row.activated_at,
            invitation_id=row.invitation_id,
        )

    @strawberry.field(description="The invitation this learner accepted.")
    async def invitation(
        self, info: strawberry.Info[Context, None]
    ) -> "Invitation | None":
        row = await info.context.loaders.invitation_by_id.load(self.invitation_id)
        return None if row is None else Invitation.from_row(row)


@strawberry.type(
    description="An invitation to take one of the organisation's licences."
)
class Invitation(Node):
    email: str
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    pk: strawberry.Private[int]
    invited_by_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: InvitationRow) -> "Invitation":
        assert row.id is not None
        return cls(
            id=to_global_id("Invitation", row.id),
            pk=row.id,
            email=row.email,
            status=InvitationStatus(row.status),
            created_at=row.created_at,
            expires_at=row.expires_at,
            accepted_at=row.accepted_at,
            invited_by_id=row.invited_by_id,
        )

    @strawberry.field(description="The admin who sent the invitation.")
    async def invited_by(self, info: strawberry.Info[Context, None]) -> User | None:
        row = await info.context.loaders.user_by_id.load(self.invited_by_id)
        return None if row is None else User.from_row(row)

    @strawberry.field(description="The learner who accepted it, once accepted.")
    async def learner(self, info: strawberry.Info[Context, None]) -> Learner | None:
        if self.status is not InvitationStatus.ACCEPTED:
            return None
        row = await info.context.loaders.learner_by_invitation_id.load(self.pk)
        return None if row is None else Learner.from_row(row)
