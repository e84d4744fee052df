"""The licence rules: the four figures and every transition between them.

Every change to an organisation's figures goes through :func:`apply`. It moves the
figures with one conditional UPDATE that only matches while the bucket the licences
come from holds enough of them, and appends the movement to the ledger in the same
transaction. Because the condition is evaluated by the database on the row it
updates, two concurrent transitions can never both take the last licence, on SQLite
or on PostgreSQL.

Expiry is exact at every instant without counting rows on read. An invitation stops
holding a pending licence at its ``expires_at``, but the kept figures only change
when something settles it. Two things close that gap:

- every transition first settles its organisation's invitations that have expired
  (:func:`expire_due`), so the figures a write checks and returns are exact;
- a read subtracts the organisation's pending invitations whose expiry has passed
  but that no sweep has settled yet (:func:`current_figures`, :func:`figures_by_id`),
  an indexed range count over only those rows, which the background sweeper keeps
  near zero by settling them with a ledger row dated at each one's expiry time.
"""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import (
    Invitation,
    InvitationStatus,
    LicenceEvent,
    LicenceEventKind,
    Organisation,
    utcnow,
)


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
    LicenceEventKind.INVITATION_EXPIRED: Movement(
        pending_invite=-1, available_to_assign=1
    ),
    LicenceEventKind.INVITATION_FAILED: Movement(
        pending_invite=-1, available_to_assign=1
    ),
}

# How many expired invitations one background sweep settles at most.
SWEEP_BATCH = 500

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

    The organisation's invitations that have expired are settled first, so that the
    move is checked against, and returns, the figures as they stand at this instant.
    Returns the figures after the move, or ``None`` when the organisation does not
    hold enough licences in the bucket they would come from; nothing is written then.
    """
    await expire_due(session, organisation_id)
    event = {
        "actor_id": actor_id,
        "quantity": quantity,
        "invitation_id": invitation_id,
        "learner_id": learner_id,
        "licence_request_id": licence_request_id,
        "created_at": utcnow(),
    }
    return await _move(session, organisation_id, kind, quantity, [event])


async def _move(
    session: AsyncSession,
    organisation_id: int,
    kind: LicenceEventKind,
    quantity: int,
    events: list[dict[str, Any]],
) -> Figures | None:
    """One conditional UPDATE of the figures, then the ledger rows, in one insert."""
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

    ledger_rows = [
        {
            "actor_id": None,
            "invitation_id": None,
            "learner_id": None,
            "licence_request_id": None,
            **event,
            "kind": kind.value,
            "organisation_id": organisation_id,
            "total_delta": movement.total * event["quantity"],
            "available_to_assign_delta": (
                movement.available_to_assign * event["quantity"]
            ),
            "pending_invite_delta": movement.pending_invite * event["quantity"],
            "in_use_delta": movement.in_use * event["quantity"],
        }
        for event in events
    ]
    await session.execute(insert(LicenceEvent), ledger_rows)
    return Figures(
        total=row.total,
        available_to_assign=row.available_to_assign,
        pending_invite=row.pending_invite,
        in_use=row.in_use,
    )


async def expire_due(session: AsyncSession, organisation_id: int | None = None) -> int:
    """Settle pending invitations whose expiry has passed; returns how many.

    With an organisation, all of its expired invitations, as every transition needs.
    Without one (the background sweeper), a bounded batch across organisations;
    on PostgreSQL rows another sweeper holds are skipped rather than waited for.
    Each expiry gets its own ledger row, dated at the invitation's expiry time.
    """
    now = utcnow()
    due: list[ColumnElement[bool]] = [_pending(), col(Invitation.expires_at) <= now]
    if organisation_id is not None:
        due.append(col(Invitation.organisation_id) == organisation_id)
    else:
        batch = list(
            await session.scalars(
                select(col(Invitation.id))
                .where(*due)
                .order_by(col(Invitation.expires_at))
                .limit(SWEEP_BATCH)
                .with_for_update(skip_locked=True)
            )
        )
        if not batch:
            return 0
        due.append(col(Invitation.id).in_(batch))

    expired = (
        await session.execute(
            update(Invitation)
            .where(*due)
            .values(status=InvitationStatus.EXPIRED.value)
            .returning(
                col(Invitation.id),
                col(Invitation.organisation_id),
                col(Invitation.expires_at),
            )
        )
    ).all()
    by_organisation: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for invitation_id, owner_id, expires_at in expired:
        by_organisation[owner_id].append(
            {"quantity": 1, "invitation_id": invitation_id, "created_at": expires_at}
        )
    for owner_id in sorted(by_organisation):
        events = by_organisation[owner_id]
        figures = await _move(
            session, owner_id, LicenceEventKind.INVITATION_EXPIRED, len(events), events
        )
        assert figures is not None, "a pending invitation holds a pending licence"
    return len(expired)


def _pending() -> ColumnElement[bool]:
    # Written into the SQL rather than bound, so that the planner can match the
    # partial index on pending invitations even in a prepared, generic plan.
    return col(Invitation.status) == literal(
        InvitationStatus.PENDING.value, literal_execute=True
    )


def _unswept(now: datetime) -> Any:
    """How many of an organisation's pending invitations have expired unswept."""
    return (
        select(func.count())
        .where(
            col(Invitation.organisation_id) == col(Organisation.id),
            _pending(),
            col(Invitation.expires_at) <= now,
        )
        .correlate(Organisation)
        .scalar_subquery()
    )


def _as_of(figures: Figures, unswept: int) -> Figures:
    return replace(
        figures,
        pending_invite=figures.pending_invite - unswept,
        available_to_assign=figures.available_to_assign + unswept,
    )


async def figures_by_id(
    session: AsyncSession, organisation_ids: Sequence[int]
) -> dict[int, Figures]:
    """The figures as they stand now, for several organisations, in one statement.

    One statement, so that the kept figures and the count of unswept expiries come
    from the same snapshot on PostgreSQL's READ COMMITTED too.
    """
    rows = await session.execute(
        select(col(Organisation.id), *_COLUMNS.values(), _unswept(utcnow())).where(
            col(Organisation.id).in_(organisation_ids)
        )
    )
    return {
        cast(int, row[0]): _as_of(Figures(row[1], row[2], row[3], row[4]), row[5])
        for row in rows
    }


async def current_figures(session: AsyncSession, organisation_id: int) -> Figures:
    figures = await figures_by_id(session, [organisation_id])
    return figures[organisation_id]
