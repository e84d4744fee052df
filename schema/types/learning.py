"""Learners and their invitations; each refers to the other."""

from collections.abc import Awaitable, Callable
from datetime import datetime
from inspect import isawaitable
from typing import Annotated, TypeVar

import strawberry

from models import DeliveryStatus, InvitationStatus, LearnerStatus, utcnow
from models import Invitation as InvitationRow
from models import Learner as LearnerRow
from models import User as UserRow
from resolvers.context import Context
from resolvers.loaders import loaded
from schema.lookahead import asks_for
from schema.relay import Node, to_global_id
from schema.thin_resolvers import thin
from schema.types.user import User

Row = TypeVar("Row")
Answer = TypeVar("Answer")
LazyInvitation = Annotated["Invitation", strawberry.lazy("schema.types.learning")]


def _answer(
    row: Row | Awaitable[Row | None] | None, convert: Callable[[Row], Answer]
) -> Answer | Awaitable[Answer | None] | None:
    """Convert a row that is at hand now, or once it has been loaded."""
    if isawaitable(row):
        return _converted(row, convert)
    return None if row is None else convert(row)


async def _converted(
    pending: Awaitable[Row | None], convert: Callable[[Row], Answer]
) -> Answer | None:
    row = await pending
    return None if row is None else convert(row)


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

    # A plain function, not a coroutine: on a page the row is already loaded and
    # the answer is immediate (see `prefetch_for_learners`).
    @strawberry.field(
        description="The invitation this learner accepted.",
        graphql_type=LazyInvitation | None,
    )
    @thin
    def invitation(
        self, info: strawberry.Info[Context, None]
    ) -> "Invitation | Awaitable[Invitation | None] | None":
        row = loaded(info.context.loaders.invitation_by_id, self.invitation_id)
        return _answer(row, Invitation.from_row)


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

    @strawberry.field(
        description="The admin who sent the invitation.", graphql_type=User | None
    )
    @thin
    def invited_by(
        self, info: strawberry.Info[Context, None]
    ) -> User | Awaitable[User | None] | None:
        row = loaded(info.context.loaders.user_by_id, self.invited_by_id)
        return _answer(row, User.from_row)

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


async def prefetch_for_learners(
    info: strawberry.Info[Context, None], rows: list[LearnerRow]
) -> None:
    """Load, one query each, the invitations and inviters a page will be asked for.

    The same statements the dataloaders would send as the page resolves; sent
    first, they let every learner's `invitation` answer without awaiting.
    """
    if not rows or not (
        asks_for(info, "edges.node.invitation") or asks_for(info, "nodes.invitation")
    ):
        return
    loaders = info.context.loaders
    invitations: list[InvitationRow | None] = await loaders.invitation_by_id.load_many(
        [row.invitation_id for row in rows]
    )
    if asks_for(info, "edges.node.invitation.invitedBy") or asks_for(
        info, "nodes.invitation.invitedBy"
    ):
        inviters: list[UserRow | None] = await loaders.user_by_id.load_many(
            [row.invited_by_id for row in invitations if row is not None]
        )
        assert len(inviters) <= len(invitations)
