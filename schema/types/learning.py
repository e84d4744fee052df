"""Learners and their invitations; each refers to the other."""

from datetime import datetime

import strawberry

from models import DeliveryStatus, InvitationStatus, LearnerStatus, utcnow
from models import Invitation as InvitationRow
from models import Learner as LearnerRow
from resolvers.context import Context
from schema.relay import Node, to_global_id
from schema.types.user import User

strawberry.enum(InvitationStatus, description="Where an invitation stands.")
strawberry.enum(LearnerStatus, description="Whether a learner holds a licence.")
strawberry.enum(DeliveryStatus, description="Where the latest invitation email is.")


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
    delivery_status: DeliveryStatus = strawberry.field(
        description="QUEUED until the mail server accepts the latest email."
    )
    last_sent_at: datetime | None = strawberry.field(
        description="When the mail server last accepted an email for it."
    )
    failure_reason: str | None = strawberry.field(
        description="The mail server's answer when it refused the email for good."
    )
    pk: strawberry.Private[int]
    invited_by_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: InvitationRow) -> "Invitation":
        assert row.id is not None
        return cls(
            id=to_global_id("Invitation", row.id),
            pk=row.id,
            email=row.email,
            status=_status_now(row),
            created_at=row.created_at,
            expires_at=row.expires_at,
            accepted_at=row.accepted_at,
            delivery_status=DeliveryStatus(row.delivery_status),
            last_sent_at=row.last_sent_at,
            failure_reason=row.failure_reason,
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


def _status_now(row: InvitationRow) -> InvitationStatus:
    # Expired from its expiry on, whether or not the sweeper has rewritten the row.
    status = InvitationStatus(row.status)
    if status is InvitationStatus.PENDING and row.expires_at <= utcnow():
        return InvitationStatus.EXPIRED
    return status
