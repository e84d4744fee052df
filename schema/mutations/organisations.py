"""Staff tooling: new organisations and their admins."""

import strawberry

from resolvers import organisations
from schema.errors import UserError
from schema.idempotency import IdempotentInput
from schema.mutations.common import Info, answer
from schema.relay import pk_of
from schema.types.organisation import LicenceSummary, Organisation
from schema.types.user import User


@strawberry.input
class CreateOrganisationInput(IdempotentInput):
    name: str
    licences: int = strawberry.field(description="Licences bought at the start.")


@strawberry.type
class CreateOrganisationPayload:
    organisation: Organisation | None = None
    licence_summary: LicenceSummary | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def create_organisation(
    info: Info, input: CreateOrganisationInput
) -> CreateOrganisationPayload:
    """Staff only."""
    viewer = info.context.require_staff()
    work = organisations.create_organisation(
        info.context.services, viewer, input.name, input.licences
    )
    return await answer(
        work,
        lambda created: CreateOrganisationPayload(
            organisation=Organisation.from_row(created.organisation),
            licence_summary=LicenceSummary.from_figures(created.figures),
        ),
        CreateOrganisationPayload,
    )


@strawberry.input
class AddAdminInput(IdempotentInput):
    organisation_id: strawberry.ID
    email: str


@strawberry.type
class AddAdminPayload:
    admin: User | None = None
    user_errors: list[UserError] = strawberry.field(default_factory=list)


async def add_admin(info: Info, input: AddAdminInput) -> AddAdminPayload:
    """Staff only: give someone admin rights over an organisation."""
    viewer = info.context.require_staff()
    work = organisations.add_admin(
        info.context.services,
        viewer,
        pk_of(input.organisation_id, "Organisation"),
        input.email,
    )
    return await answer(
        work, lambda user: AddAdminPayload(admin=User.from_row(user)), AddAdminPayload
    )
