"""Per-request dataloaders: one query per kind of row, however many fields ask."""

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel, col
from strawberry.dataloader import DataLoader

from models import Invitation, Learner, Organisation, User
from resolvers.licences import Figures, figures_by_id

Row = TypeVar("Row", bound=SQLModel)
Key = TypeVar("Key")
Value = TypeVar("Value")
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


class Loaders:
    """The request's loaders, each made on first use.

    Most requests use one or two of them; building all five up front was a
    measurable share of a one-field query such as `licenceSummary`.
    """

    def __init__(self, get_session: SessionGetter) -> None:
        self._get_session = get_session

    @classmethod
    def build(cls, get_session: SessionGetter) -> "Loaders":
        return cls(get_session)

    @cached_property
    def organisation_by_id(self) -> DataLoader[int, Organisation | None]:
        return _loader(self._get_session, Organisation, col(Organisation.id))

    @cached_property
    def user_by_id(self) -> DataLoader[int, User | None]:
        return _loader(self._get_session, User, col(User.id))

    @cached_property
    def invitation_by_id(self) -> DataLoader[int, Invitation | None]:
        return _loader(self._get_session, Invitation, col(Invitation.id))

    @cached_property
    def learner_by_id(self) -> DataLoader[int, Learner | None]:
        return _loader(self._get_session, Learner, col(Learner.id))

    @cached_property
    def learner_by_invitation_id(self) -> DataLoader[int, Learner | None]:
        return _loader(self._get_session, Learner, col(Learner.invitation_id))

    @cached_property
    def figures_by_organisation_id(self) -> DataLoader[int, Figures | None]:
        return _figures_loader(self._get_session)


def loaded(loader: DataLoader[Key, Value], key: Key) -> Value | Awaitable[Value]:
    """The value if this request already loaded ``key``; otherwise an awaitable.

    A resolver that answers with a plain value lets graphql-core complete the
    object synchronously, where an awaitable per item costs a coroutine (and a
    gathered task) at every level of a page. Connections prefetch what their items
    will be asked for, so on the hot paths nothing is awaited per item.
    """
    future = loader.cache_map.get(key) if loader.cache else None
    if (
        future is not None
        and future.done()
        and not future.cancelled()
        and future.exception() is None
    ):
        return future.result()
    return loader.load(key)
