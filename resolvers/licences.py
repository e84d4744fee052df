"""The licence rules: the four figures and every transition between them.

Every change to an organisation's figures goes through :func:`apply`. It moves the
figures with one conditional UPDATE that only matches while the bucket the licences
come from holds enough of them, and appends the movement to the ledger in the same
transaction. Because the condition is evaluated by the database on the row it
updates, two concurrent transitions can never both take the last licence, on SQLite
or on PostgreSQL.
"""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, insert, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import LicenceEvent, LicenceEventKind, Organisation, utcnow


@dataclass(frozen=True, slots=True)
class Figures:
    total: int
    available_to_assign: int
    pending_invite: int
    in_use: int


@dataclass(frozen=True, slots=True)
class Movement:
    """How one unit of a transition moves the figures."""

    total: int = 0
    available_to_assign: int = 0
    pending_invite: int = 0
    in_use: int = 0


MOVEMENTS: dict[LicenceEventKind, Movement] = {
    LicenceEventKind.ORGANISATION_CREATED: Movement(total=1, available_to_assign=1),
    LicenceEventKind.LEARNERS_INVITED: Movement(
        available_to_assign=-1, pending_invite=1
    ),
    LicenceEventKind.INVITATION_ACCEPTED: Movement(pending_invite=-1, in_use=1),
    LicenceEventKind.INVITATION_REVOKED: Movement(
        pending_invite=-1, available_to_assign=1
    ),
    LicenceEventKind.LEARNER_REMOVED: Movement(in_use=-1, available_to_assign=1),
    LicenceEventKind.LICENCES_REQUESTED: Movement(),
    LicenceEventKind.LICENCE_REQUEST_APPROVED: Movement(total=1, available_to_assign=1),
    LicenceEventKind.LICENCE_REQUEST_DECLINED: Movement(),
}

_COLUMNS = {
    "total": col(Organisation.total),
    "available_to_assign": col(Organisation.available_to_assign),
    "pending_invite": col(Organisation.pending_invite),
    "in_use": col(Organisation.in_use),
}


def figures_of(organisation: Organisation) -> Figures:
    return Figures(
        total=organisation.total,
        available_to_assign=organisation.available_to_assign,
        pending_invite=organisation.pending_invite,
        in_use=organisation.in_use,
    )


async def apply(
    session: AsyncSession,
    organisation_id: int,
    kind: LicenceEventKind,
    quantity: int,
    *,
    actor_id: int | None,
    invitation_id: int | None = None,
    learner_id: int | None = None,
    licence_request_id: int | None = None,
) -> Figures | None:
    """Move ``quantity`` licences of ``kind`` and record it in the ledger.

    Returns the figures after the move, or ``None`` when the organisation does not
    hold enough licences in the bucket they would come from; nothing is written then.
    """
    movement = MOVEMENTS[kind]
    values: dict[str, ColumnElement[int]] = {}
    guards: list[ColumnElement[bool]] = [col(Organisation.id) == organisation_id]
    for name, column in _COLUMNS.items():
        delta = getattr(movement, name) * quantity
        if delta:
            values[name] = column + delta
        if delta < 0:
            guards.append(column >= -delta)

    statement = (
        update(Organisation)
        .where(*guards)
        .values(values or {"total": col(Organisation.total)})
        .returning(*_COLUMNS.values())
    )
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        return None

    await session.execute(
        insert(LicenceEvent).values(
            organisation_id=organisation_id,
            kind=kind.value,
            actor_id=actor_id,
            quantity=quantity,
            total_delta=movement.total * quantity,
            available_to_assign_delta=movement.available_to_assign * quantity,
            pending_invite_delta=movement.pending_invite * quantity,
            in_use_delta=movement.in_use * quantity,
            invitation_id=invitation_id,
            learner_id=learner_id,
            licence_request_id=licence_request_id,
            created_at=utcnow(),
        )
    )
    return Figures(
        total=row.total,
        available_to_assign=row.available_to_assign,
        pending_invite=row.pending_invite,
        in_use=row.in_use,
    )
