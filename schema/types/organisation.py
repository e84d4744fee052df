from typing import Annotated

import strawberry

from models import InvitationStatus, LearnerStatus, LicenceRequestStatus
from models import Organisation as OrganisationRow
from resolvers import pages
from resolvers.context import Context
from resolvers.licences import Figures, figures_of
from schema.relay import Connection, Node, connection, page_arguments, to_global_id
from schema.types.learning import Invitation, Learner, prefetch_for_learners
from schema.types.licence_request import LicenceRequest

Info = strawberry.Info[Context, None]


@strawberry.type(
    description="Where an organisation's licences are. "
    "`total = availableToAssign + pendingInvite + inUse` always holds."
)
class LicenceSummary:
    total: int
    available_to_assign: int = strawberry.field(description="Bought, not handed out.")
    pending_invite: int = strawberry.field(
        description="Held for unaccepted invitations."
    )
    in_use: int = strawberry.field(description="Held by active learners.")

    @classmethod
    def from_figures(cls, figures: Figures) -> "LicenceSummary":
        return cls(
            total=figures.total,
            available_to_assign=figures.available_to_assign,
            pending_invite=figures.pending_invite,
            in_use=figures.in_use,
        )


@strawberry.type(description="A customer that buys licences for its learners.")
class Organisation(Node):
    name: str
    licence_summary: LicenceSummary
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: OrganisationRow) -> "Organisation":
        assert row.id is not None
        return cls(
            id=to_global_id("Organisation", row.id),
            pk=row.id,
            name=row.name,
            licence_summary=LicenceSummary.from_figures(figures_of(row)),
        )

    @strawberry.field
    async def learners(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        status: LearnerStatus | None = None,
        search: Annotated[
            str | None,
            strawberry.argument(description="Part of the email or name, any case."),
        ] = None,
    ) -> Connection[Learner]:
        size, after_pk = page_arguments(first, after)
        page = await pages.learners(
            await info.context.session(),
            self.pk,
            size,
            after_pk,
            None if status is None else status.value,
            search,
        )
        await prefetch_for_learners(info, page.rows)
        return connection(page, Learner.from_row)

    @strawberry.field
    async def invitations(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        status: InvitationStatus | None = None,
    ) -> Connection[Invitation]:
        size, after_pk = page_arguments(first, after)
        page = await pages.invitations(
            await info.context.session(),
            self.pk,
            size,
            after_pk,
            None if status is None else status.value,
        )
        return connection(page, Invitation.from_row)

    @strawberry.field
    async def licence_requests(
        self,
        info: Info,
        first: int = 20,
        after: str | None = None,
        status: LicenceRequestStatus | None = None,
    ) -> Connection[LicenceRequest]:
        size, after_pk = page_arguments(first, after)
        page = await pages.licence_requests(
            await info.context.session(),
            self.pk,
            size,
            after_pk,
            None if status is None else status.value,
        )
        return connection(page, LicenceRequest.from_row)
