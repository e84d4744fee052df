"""Small helpers that set up a scene through the service's own rules."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlparse

from sqlalchemy import select
from sqlmodel import col
from strawberry.types import ExecutionResult

from models import Database, Invitation, OutboxMessage, OutboxStatus, Role, User, utcnow
from resolvers import invitations, organisations
from resolvers.auth import Viewer, issue_token
from resolvers.context import Context, Services
from resolvers.mail import InvitationMessage, MemoryMailer
from resolvers.outbox import OutboxSender
from schema import schema
from schema.relay import to_global_id


@dataclass
class Scene:
    """An organisation with one admin, and a member of staff."""

    organisation_id: int
    organisation_name: str
    admin: Viewer
    staff: Viewer

    @property
    def organisation_gid(self) -> str:
        return to_global_id("Organisation", self.organisation_id)


def viewer_of(user: User) -> Viewer:
    assert user.id is not None
    return Viewer(user.id, user.email, Role(user.role), user.organisation_id)


class Factory:
    def __init__(self, services: Services) -> None:
        self.services = services
        self._count = 0

    def _unique(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    async def staff(self) -> Viewer:
        async with self.services.db.write() as session:
            user = User(
                email=f"{self._unique('staff')}@example.com",
                role=Role.STAFF.value,
                created_at=utcnow(),
            )
            session.add(user)
            await session.flush()
        return viewer_of(user)

    async def scene(self, licences: int = 10, staff: Viewer | None = None) -> Scene:
        staff = staff or await self.staff()
        created = await organisations.create_organisation(
            self.services, staff, self._unique("Org "), licences
        )
        assert created.organisation.id is not None
        admin = await organisations.add_admin(
            self.services,
            staff,
            created.organisation.id,
            f"{self._unique('admin')}@example.com",
        )
        return Scene(
            created.organisation.id, created.organisation.name, viewer_of(admin), staff
        )

    async def invite(self, scene: Scene, *emails: str) -> list[str]:
        """Invite ``emails``; returns their accept tokens, in order."""
        outcome = await invitations.invite_learners(
            self.services,
            scene.admin,
            scene.organisation_id,
            list(emails),
            dry_run=False,
        )
        assert len(outcome.invitations) == len(emails)
        ids = [
            r.invitation.id for r in outcome.results if r.invitation and r.invitation.id
        ]
        return await queued_tokens(self.services.db, ids)

    async def learner(self, scene: Scene, email: str, name: str = "Learner") -> int:
        (token,) = await self.invite(scene, email)
        acceptance = await invitations.accept_invitation(self.services, token, name)
        assert acceptance.learner.id is not None
        return acceptance.learner.id

    async def deliver(self) -> list[InvitationMessage]:
        """Hand every email that is due to a memory mailer; the messages it got."""
        mailbox = MemoryMailer()
        await OutboxSender(self.services, mailbox).run_once()
        return mailbox.sent

    async def invitation_id(self, email: str) -> int:
        """The newest invitation sent to ``email``."""
        async with self.services.db.read_session() as session:
            found = await session.scalar(
                select(col(Invitation.id))
                .where(col(Invitation.email) == email)
                .order_by(col(Invitation.id).desc())
            )
        assert found is not None
        return found

    def token_for(self, viewer: Viewer) -> str:
        user = User(
            id=viewer.user_id,
            email=viewer.email,
            role=viewer.role.value,
            organisation_id=viewer.organisation_id,
            created_at=utcnow(),
        )
        return issue_token(user, self.services.settings)

    async def execute(
        self,
        document: str,
        viewer: Viewer | None,
        variables: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """Run a document through the schema, as ``viewer``."""
        context = Context(services=self.services, viewer=viewer)
        try:
            return await schema.execute(
                document, variable_values=variables, context_value=context
            )
        finally:
            await context.close()


async def queued_tokens(db: Database, invitation_ids: list[int]) -> list[str]:
    """The accept tokens of the invitations' latest queued emails, in order."""
    async with db.read_session() as session:
        rows = await session.execute(
            select(col(OutboxMessage.invitation_id), col(OutboxMessage.accept_link))
            .where(
                col(OutboxMessage.invitation_id).in_(invitation_ids),
                col(OutboxMessage.status) == OutboxStatus.QUEUED.value,
            )
            .order_by(col(OutboxMessage.id))
        )
        links: dict[int, str] = {row[0]: row[1] for row in rows}
    return [token_of(links[invitation_id]) for invitation_id in invitation_ids]


def token_of(accept_link: str) -> str:
    return parse_qs(urlparse(accept_link).query)["token"][0]
