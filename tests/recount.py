"""A full recount of an organisation's licences, to check the kept figures against."""

from sqlalchemy import func, select
from sqlmodel import col

from models import (
    Database,
    Invitation,
    InvitationStatus,
    Learner,
    LearnerStatus,
    LicenceEvent,
    LicenceEventKind,
    Organisation,
    utcnow,
)
from resolvers.licences import Figures, current_figures, figures_of


async def kept(db: Database, organisation_id: int) -> Figures:
    """The figures as ``licenceSummary`` reports them at this instant."""
    async with db.read_session() as session:
        return await current_figures(session, organisation_id)


async def stored(db: Database, organisation_id: int) -> Figures:
    """The figures in the organisation's row, before unswept expiries come off."""
    async with db.read_session() as session:
        organisation = await session.get(Organisation, organisation_id)
        assert organisation is not None
        return figures_of(organisation)


async def recount(db: Database, organisation_id: int) -> Figures:
    """Count rows one by one: the figures as they must be, whatever was kept.

    An invitation past its expiry holds no licence, whether or not a sweep has
    rewritten its row yet.
    """
    async with db.read_session() as session:
        pending = await session.scalar(
            select(func.count()).where(
                col(Invitation.organisation_id) == organisation_id,
                col(Invitation.status) == InvitationStatus.PENDING.value,
                col(Invitation.expires_at) > utcnow(),
            )
        )
        in_use = await session.scalar(
            select(func.count()).where(
                col(Learner.organisation_id) == organisation_id,
                col(Learner.status) == LearnerStatus.ACTIVE.value,
            )
        )
        total = await session.scalar(
            select(func.coalesce(func.sum(LicenceEvent.total_delta), 0)).where(
                col(LicenceEvent.organisation_id) == organisation_id
            )
        )
    assert pending is not None
    assert in_use is not None
    assert total is not None
    return Figures(
        total=total,
        available_to_assign=total - pending - in_use,
        pending_invite=pending,
        in_use=in_use,
    )


async def ledger_sum(db: Database, organisation_id: int) -> Figures:
    """The figures as the ledger's movements add up: the stored figures."""
    async with db.read_session() as session:
        row = (
            await session.execute(
                select(
                    func.coalesce(func.sum(LicenceEvent.total_delta), 0),
                    func.coalesce(func.sum(LicenceEvent.available_to_assign_delta), 0),
                    func.coalesce(func.sum(LicenceEvent.pending_invite_delta), 0),
                    func.coalesce(func.sum(LicenceEvent.in_use_delta), 0),
                ).where(col(LicenceEvent.organisation_id) == organisation_id)
            )
        ).one()
    return Figures(int(row[0]), int(row[1]), int(row[2]), int(row[3]))


async def events_in_ledger(
    db: Database, organisation_id: int, kind: LicenceEventKind
) -> int:
    async with db.read_session() as session:
        count = await session.scalar(
            select(func.count()).where(
                col(LicenceEvent.organisation_id) == organisation_id,
                col(LicenceEvent.kind) == kind.value,
            )
        )
    return count or 0
