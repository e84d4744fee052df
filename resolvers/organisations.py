"""Organisations and their admins, and who may see or change an organisation."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import LicenceEventKind, Organisation, Role, User, utcnow
from resolvers import licences
from resolvers.auth import Viewer
from resolvers.context import Services
from resolvers.errors import ErrorCode, Rejected
from resolvers.validation import require_email, require_name

MAX_INITIAL_LICENCES = 1_000_000


def not_found(kind: str, field: str) -> Rejected:
    # Objects of other organisations are reported exactly like missing ones, so
    # that an ID never confirms that something exists elsewhere.
    return Rejected.one(ErrorCode.NOT_FOUND, f"No such {kind}.", field)


async def administered(
    session: AsyncSession, viewer: Viewer, organisation_id: int | None, field: str
) -> Organisation:
    """The organisation, if ``viewer`` administers it; otherwise a rejection."""
    if organisation_id is None or not viewer.can_read(organisation_id):
        raise not_found("organisation", field)
    organisation = await session.get(Organisation, organisation_id)
    if organisation is None:
        raise not_found("organisation", field)
    if not viewer.administers(organisation_id):
        raise Rejected.one(
            ErrorCode.FORBIDDEN, "Only the organisation's admins may do this.", field
        )
    return organisation


@dataclass(frozen=True)
class CreatedOrganisation:
    organisation: Organisation
    figures: licences.Figures


async def create_organisation(
    services: Services, viewer: Viewer, name: str, licence_count: int
) -> CreatedOrganisation:
    name = require_name(name, "name")
    if not 0 <= licence_count <= MAX_INITIAL_LICENCES:
        raise Rejected.one(
            ErrorCode.INVALID_QUANTITY,
            f"Licences must be between 0 and {MAX_INITIAL_LICENCES}.",
            "licences",
        )

    async def work(session: AsyncSession) -> CreatedOrganisation:
        organisation = Organisation(name=name, created_at=utcnow())
        session.add(organisation)
        await session.flush()
        assert organisation.id is not None
        figures = await licences.apply(
            session,
            organisation.id,
            LicenceEventKind.ORGANISATION_CREATED,
            licence_count,
            actor_id=viewer.user_id,
        )
        assert figures is not None, "creating licences takes them from nowhere"
        return CreatedOrganisation(organisation, figures)

    return await services.db.run_write(work, retry_on_integrity=False)


async def add_admin(
    services: Services, viewer: Viewer, organisation_id: int | None, email: str
) -> User:
    address = require_email(email, "email")

    async def work(session: AsyncSession) -> User:
        if organisation_id is None or not await session.get(
            Organisation, organisation_id
        ):
            raise not_found("organisation", "organisationId")
        taken = await session.scalar(
            select(col(User.id)).where(col(User.email) == address)
        )
        if taken is not None:
            raise Rejected.one(
                ErrorCode.EMAIL_TAKEN, f"{address} already has an account.", "email"
            )
        user = User(
            email=address,
            role=Role.ADMIN.value,
            organisation_id=organisation_id,
            created_at=utcnow(),
        )
        session.add(user)
        await session.flush()
        return user

    return await services.db.run_write(work, retry_on_integrity=True)
