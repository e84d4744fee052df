"""Per-request dataloaders: one query per kind of row, however many fields ask."""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col
from strawberry.dataloader import DataLoader

from models import Invitation, Learner, Organisation, User
from resolvers.licences import Figures, figures_by_id

Row = TypeVar("Row", bound=SQLModel)
SessionGetter = Callable[[], Awaitable[AsyncSession]]


def _loader(
    get_session: SessionGetter, model: type[Row], column: Any
) -> DataLoader[int, Row | None]:
    key_name = column.key

    async def load(keys: Sequence[int]) -> list[Row | None]:
        session = await get_session()
        rows = (await session.execute(select(model).where(column.in_(keys)))).scalars()
        by_key = {getattr(row, key_name): row for row in rows}
        return [by_key.get(key) for key in keys]

    return DataLoader(load_fn=load)


def _figures_loader(get_session: SessionGetter) -> DataLoader[int, Figures | None]:
    async def load(keys: Sequence[int]) -> list[Figures | None]:
        figures = await figures_by_id(await get_session(), keys)
        return [figures.get(key) for key in keys]

    return DataLoader(load_fn=load)


@dataclass
class Loaders:
    organisation_by_id: DataLoader[int, Organisation | None]
    user_by_id: DataLoader[int, User | None]
    invitation_by_id: DataLoader[int, Invitation | None]
    learner_by_id: DataLoader[int, Learner | None]
    learner_by_invitation_id: DataLoader[int, Learner | None]
    figures_by_organisation_id: DataLoader[int, Figures | None]

    @classmethod
    def build(cls, get_session: SessionGetter) -> "Loaders":
        return cls(
            organisation_by_id=_loader(get_session, Organisation, col(Organisation.id)),
            user_by_id=_loader(get_session, User, col(User.id)),
            invitation_by_id=_loader(get_session, Invitation, col(Invitation.id)),
            learner_by_id=_loader(get_session, Learner, col(Learner.id)),
            learner_by_invitation_id=_loader(
                get_session, Learner, col(Learner.invitation_id)
            ),
            figures_by_organisation_id=_figures_loader(get_session),
        )
