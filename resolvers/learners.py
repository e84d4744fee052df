"""Active learners, and removing one to free their licence."""

from dataclasses import dataclass

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import Learner, LearnerStatus, LicenceEventKind, rows_changed, utcnow
from resolvers import licences
from resolvers.auth import Viewer
from resolvers.context import Services
from resolvers.errors import ErrorCode, Rejected
from resolvers.organisations import administered, not_found


@dataclass(frozen=True)
class Removal:
    learner: Learner
    figures: licences.Figures


async def remove_learner(
    services: Services, viewer: Viewer, learner_id: int | None
) -> Removal:
    async def work(session: AsyncSession) -> Removal:
        learner = None if learner_id is None else await session.get(Learner, learner_id)
        if learner is None or not viewer.can_read(learner.organisation_id):
            raise not_found("learner", "learnerId")
        await administered(session, viewer, learner.organisation_id, "learnerId")

        removed = await session.execute(
            update(Learner)
            .where(
                col(Learner.id) == learner.id,
                col(Learner.status) == LearnerStatus.ACTIVE.value,
            )
            .values(status=LearnerStatus.REMOVED.value, removed_at=utcnow())
        )
        if rows_changed(removed) != 1:
            raise Rejected.one(
                ErrorCode.LEARNER_NOT_ACTIVE,
                "This learner was already removed.",
                "learnerId",
            )
        await session.refresh(learner)
        figures = await licences.apply(
            session,
            learner.organisation_id,
            LicenceEventKind.LEARNER_REMOVED,
            1,
            actor_id=viewer.user_id,
            learner_id=learner.id,
        )
        assert figures is not None, "an active learner holds a licence in use"
        return Removal(learner, figures)

    return await services.db.run_write(work, retry_on_integrity=False)
