"""The root query: who is asking, and the objects they may read."""

import strawberry

from models import LicenceRequest as LicenceRequestRow
from models import Role
from resolvers import pages
from resolvers.context import Context
from schema.relay import Connection, Node, connection, from_global_id, page_arguments
from schema.types.learning import Invitation, Learner
from schema.types.licence_request import LicenceRequest
from schema.types.organisation import Organisation
from schema.types.user import User

Info = strawberry.Info[Context, None]


@strawberry.type(description="The holder of the bearer token.")
class Viewer:
    email: str
    role: Role
    organisation_id: strawberry.Private[int | None]

    @strawberry.field(
        description="The organisation an admin belongs to; none for staff."
    )
    async def organisation(self, info: Info) -> Organisation | None:
        if self.organisation_id is None:
            return None
        row = await info.context.loaders.organisation_by_id.load(self.organisation_id)
        return None if row is None else Organisation.from_row(row)


async def load_node(context: Context, global_id: str) -> Node | None:
    """The object behind a global ID, if the viewer may read it; else ``None``."""
    viewer = context.require_viewer()
    decoded = from_global_id(global_id)
    if decoded is None:
        return None
    type_name, pk = decoded
    loaders = context.loaders

    if type_name == "Organisation":
        organisation = await loaders.organisation_by_id.load(pk)
        if organisation is not None and viewer.can_read(pk):
            return Organisation.from_row(organisation)
    elif type_name == "Learner":
        learner = await loaders.learner_by_id.load(pk)
        if learner is not None and viewer.can_read(learner.organisation_id):
            return Learner.from_row(learner)
    elif type_name == "Invitation":
        invitation = await loaders.invitation_by_id.load(pk)
        if invitation is not None and viewer.can_read(invitation.organisation_id):
            return Invitation.from_row(invitation)
    elif type_name == "LicenceRequest":
        session = await context.session()
        request = await session.get(LicenceRequestRow, pk)
        if request is not None and viewer.can_read(request.organisation_id):
            return LicenceRequest.from_row(request)
    elif type_name == "User":
        user = await loaders.user_by_id.load(pk)
        if user is not None and (
            viewer.is_staff
            or (
                user.organisation_id is not None
                and viewer.can_read(user.organisation_id)
            )
        ):
            return User.from_row(user)
    return None


@strawberry.type
class Query:
    @strawberry.field
    def viewer(self, info: Info) -> Viewer:
        viewer = info.context.require_viewer()
        return Viewer(
            email=viewer.email, role=viewer.role, organisation_id=viewer.organisation_id
        )

    @strawberry.field(
        description="An organisation the viewer may read; null for any other ID."
    )
    async def organisation(self, info: Info, id: strawberry.ID) -> Organisation | None:
        node = await load_node(info.context, id)
        return node if isinstance(node, Organisation) else None

    @strawberry.field(description="Every organisation. Staff only.")
    async def organisations(
        self, info: Info, first: int = 20, after: str | None = None
    ) -> Connection[Organisation]:
        info.context.require_staff()
        size, after_pk = page_arguments(first, after)
        page = await pages.organisations(await info.context.session(), size, after_pk)
        return connection(page, Organisation.from_row)

    @strawberry.field(
        description="Any object by its global ID, if the viewer may read it."
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        return await load_node(info.context, id)
