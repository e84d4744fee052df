from typing import Annotated

import strawberry

from models import InvitationStatus, LearnerStatus, LicenceRequestStatus
from models import Organisation as OrganisationRow
from resolvers import pages
from resolvers.context import Context
from resolvers.licences import Figures
from schema.relay import Connection, Node, connection, page_arguments, to_global_id
from schema.types.learning import Invitation, Learner
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
    pk: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: OrganisationRow) -> "Organisation":
        assert row.id is not None
        return cls(id=to_global_id("Organisation", row.id), pk=row.id, name=row.name)

    @strawberry.field(description="The four figures as they stand at this instant.")
    async def licence_summary(self, info: Info) -> LicenceSummary:
        # Read with the invitations that expired since the last sweep taken off:
        # see resolvers.licences for why this stays a constant-cost read.
        figures = await info.context.loaders.figures_by_organisation_id.load(self.pk)
        assert figures is not None, "an organisation that was read has figures"
        return LicenceSummary.from_figures(figures)

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
