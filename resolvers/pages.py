"""Reading lists a page at a time, by keyset on the primary key.

Keyset pages cost the same on the first page and the thousandth, unlike OFFSET,
and stay stable while rows are added.
"""

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col

from models import (
    Invitation,
    InvitationStatus,
    Learner,
    LicenceRequest,
    Organisation,
    utcnow,
)

Row = TypeVar("Row", bound=SQLModel)

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    has_next_page: bool
    has_previous_page: bool


async def _page(
    session: AsyncSession,
    model: type[Row],
    conditions: list[ColumnElement[bool]],
    first: int,
    after: int | None,
) -> Page[Row]:
    id_column: Any = model.__table__.c.id  # type: ignore[attr-defined]
    if after is not None:
        conditions = [*conditions, id_column > after]
    statement = select(model).where(*conditions).order_by(id_column).limit(first + 1)
    rows = list((await session.execute(statement)).scalars())
    return Page(rows[:first], len(rows) > first, after is not None)


async def learners(
    session: AsyncSession,
    organisation_id: int,
    first: int,
    after: int | None,
    status: str | None,
    search: str | None,
) -> Page[Learner]:
    conditions: list[ColumnElement[bool]] = [
        col(Learner.organisation_id) == organisation_id
    ]
    if status is not None:
        conditions.append(col(Learner.status) == status)
    if search:
        pattern = "%" + _escape_like(search.strip().lower()) + "%"
        conditions.append(
            or_(
                col(Learner.email).like(pattern, escape="\\"),
                func.lower(col(Learner.name)).like(pattern, escape="\\"),
            )
        )
    return await _page(session, Learner, conditions, first, after)


async def invitations(
    session: AsyncSession,
    organisation_id: int,
    first: int,
    after: int | None,
    status: str | None,
) -> Page[Invitation]:
    conditions: list[ColumnElement[bool]] = [
        col(Invitation.organisation_id) == organisation_id
    ]
    if status is not None:
        conditions.append(_invitation_status_is(status))
    return await _page(session, Invitation, conditions, first, after)


def _invitation_status_is(status: str) -> ColumnElement[bool]:
    # A pending invitation past its expiry is expired from that instant on, before
    # the sweeper rewrites its row.
    now = utcnow()
    pending = col(Invitation.status) == InvitationStatus.PENDING.value
    if status == InvitationStatus.PENDING.value:
        return and_(pending, col(Invitation.expires_at) > now)
    if status == InvitationStatus.EXPIRED.value:
        return or_(
            col(Invitation.status) == status,
            and_(pending, col(Invitation.expires_at) <= now),
        )
    return col(Invitation.status) == status


async def licence_requests(
    session: AsyncSession,
    organisation_id: int,
    first: int,
    after: int | None,
    status: str | None,
) -> Page[LicenceRequest]:
    conditions: list[ColumnElement[bool]] = [
        col(LicenceRequest.organisation_id) == organisation_id
    ]
    if status is not None:
        conditions.append(col(LicenceRequest.status) == status)
    return await _page(session, LicenceRequest, conditions, first, after)


async def organisations(
    session: AsyncSession, first: int, after: int | None
) -> Page[Organisation]:
    return await _page(session, Organisation, [], first, after)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
