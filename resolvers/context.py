"""The per-request context every resolver receives."""

import uuid
from dataclasses import dataclass, field

from graphql import GraphQLError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from models import Database
from resolvers.auth import Viewer
from resolvers.loaders import Loaders
from resolvers.mail import Doorbell, Mailer
from resolvers.settings import Settings


@dataclass(frozen=True)
class Services:
    """What lives for the whole process: database, settings, mail delivery."""

    db: Database
    settings: Settings
    # The backend the outbox sender delivers through (console, SMTP, memory).
    mailer: Mailer
    outbox_bell: Doorbell = field(default_factory=Doorbell)


@dataclass
class Context:
    services: Services
    viewer: Viewer | None = None
    # Why a presented token was refused, to tell the caller instead of "no token".
    auth_error: str | None = None
    request: Request | None = None
    loaders: Loaders = field(init=False)
    _session: AsyncSession | None = field(default=None, init=False)
    _request_id: str | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders.build(self.session)

    @property
    def request_id(self) -> str:
        """An id to quote for this request, made on first use: few requests need one."""
        if self._request_id is None:
            self._request_id = uuid.uuid4().hex
        return self._request_id

    @property
    def db(self) -> Database:
        return self.services.db

    async def session(self) -> AsyncSession:
        """The request's read session, opened on first use."""
        if self._session is None:
            self._session = self.services.db.read_session()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def require_viewer(self) -> Viewer:
        if self.viewer is None:
            message = (
                self.auth_error or "Send a bearer token in the Authorization header."
            )
            raise GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})
        return self.viewer

    def require_staff(self) -> Viewer:
        viewer = self.require_viewer()
        if not viewer.is_staff:
            raise GraphQLError(
                "Only staff may do this.", extensions={"code": "FORBIDDEN"}
            )
        return viewer
