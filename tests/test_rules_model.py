"""Random operation sequences against the service and a small model of the rules.

Hypothesis drives invites, accepts, revokes, removals, licence requests and
decisions in any order, including ones the rules refuse; after every step the
service's answer must match the model's, and the kept figures must equal the
model's, a full recount and the ledger's sum.
"""

import asyncio
import uuid
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from models import Database, Role, User, utcnow
from resolvers import invitations, learners, licence_requests, organisations
from resolvers.auth import Viewer
from resolvers.context import Services
from resolvers.errors import ErrorCode, Rejected
from resolvers.invitations import InviteStatus
from resolvers.licences import Figures
from resolvers.mail import MemoryMailer
from resolvers.settings import Settings
from tests.conftest import TEST_SECRET
from tests.factories import queued_tokens, viewer_of
from tests.recount import kept, ledger_sum, recount

T = TypeVar("T")

EMAILS = ["ana@example.com", "bo@example.com", "cy@example.com", "di@example.com"]
INVALID = "not-an-email"


@dataclass
class Model:
    """The rules, on plain Python data."""

    total: int
    pending: dict[int, str] = field(default_factory=dict)  # invitation id -> email
    learners: dict[int, str] = field(default_factory=dict)  # learner id -> email
    requests: dict[int, int] = field(default_factory=dict)  # request id -> quantity

    def figures(self) -> Figures:
        pending, in_use = len(self.pending), len(self.learners)
        return Figures(self.total, self.total - pending - in_use, pending, in_use)

    def invite(self, emails: list[str]) -> tuple[list[InviteStatus], list[str]]:
        statuses: list[InviteStatus] = []
        invited: list[str] = []
        for email in emails:
            if email == INVALID:
                statuses.append(InviteStatus.INVALID_EMAIL)
            elif email in emails[: len(statuses)]:
                statuses.append(InviteStatus.DUPLICATE_IN_REQUEST)
            elif email in self.learners.values():
                statuses.append(InviteStatus.ALREADY_A_LEARNER)
            elif email in self.pending.values():
                statuses.append(InviteStatus.ALREADY_INVITED)
            else:
                statuses.append(InviteStatus.INVITED)
                invited.append(email)
        return statuses, invited


class LicenceRules(RuleBasedStateMachine):
    database_url = ""

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.mailer = MemoryMailer()
        self.services = Services(
            Database(self.database_url),
            Settings(database_url=self.database_url, secret_key=TEST_SECRET),
            self.mailer,
        )
        self.organisation_id, self.admin, self.staff = self.run(self._organisation(3))
        self.model = Model(total=3)
        self.tokens: dict[int, str] = {}  # every invitation ever made -> its token
        self.learner_ids: list[int] = []
        self.request_ids: list[int] = []

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(work)

    async def _organisation(self, licences: int) -> tuple[int, Viewer, Viewer]:
        async with self.services.db.write() as session:
            staff = User(
                email=f"staff-{uuid.uuid4().hex}@example.com",
                role=Role.STAFF.value,
                created_at=utcnow(),
            )
            session.add(staff)
            await session.flush()
        created = await organisations.create_organisation(
            self.services, viewer_of(staff), "Model Org", licences
        )
        organisation_id = created.organisation.id
        assert organisation_id is not None
        admin = await organisations.add_admin(
            self.services,
            viewer_of(staff),
            organisation_id,
            f"admin-{uuid.uuid4().hex}@example.com",
        )
        return organisation_id, viewer_of(admin), viewer_of(staff)

    def attempt(
        self, work: Coroutine[Any, Any, T]
    ) -> tuple[T | None, ErrorCode | None]:
        """The service's answer, or the code of the one rule it says was broken."""
        try:
            return self.run(work), None
        except Rejected as rejected:
            (problem,) = rejected.problems
            return None, problem.code

    def refused(self, work: Coroutine[Any, Any, object]) -> ErrorCode | None:
        return self.attempt(work)[1]

    @rule(
        emails=st.lists(st.sampled_from([*EMAILS, INVALID]), min_size=1, max_size=4),
        dry_run=st.booleans(),
    )
    def invite(self, emails: list[str], dry_run: bool) -> None:
        statuses, invited = self.model.invite(emails)
        refused = len(invited) > self.model.figures().available_to_assign
        outcome, code = self.attempt(
            invitations.invite_learners(
                self.services, self.admin, self.organisation_id, emails, dry_run=dry_run
            )
        )

        if refused:
            assert code is ErrorCode.NOT_ENOUGH_LICENCES
            return
        assert code is None
        assert outcome is not None
        assert [result.status for result in outcome.results] == statuses
        if dry_run:
            assert outcome.invitations == []
            return
        ids = [invitation.id for invitation in outcome.invitations if invitation.id]
        tokens = self.run(queued_tokens(self.services.db, ids))
        for invitation, token in zip(outcome.invitations, tokens, strict=True):
            assert invitation.id is not None
            self.model.pending[invitation.id] = invitation.email
            self.tokens[invitation.id] = token

    @precondition(lambda self: self.tokens)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        invitation_id = data.draw(st.sampled_from(sorted(self.tokens)))
        pending = invitation_id in self.model.pending
        acceptance, code = self.attempt(
            invitations.accept_invitation(
                self.services, self.tokens[invitation_id], "Learner"
            )
        )

        if not pending:
            assert code is ErrorCode.INVITATION_NOT_PENDING
            return
        assert code is None
        assert acceptance is not None
        assert acceptance.learner.id is not None
        email = self.model.pending.pop(invitation_id)
        self.model.learners[acceptance.learner.id] = email
        self.learner_ids.append(acceptance.learner.id)

    @precondition(lambda self: self.tokens)
    @rule(data=st.data())
    def revoke(self, data: st.DataObject) -> None:
        invitation_id = data.draw(st.sampled_from(sorted(self.tokens)))
        pending = invitation_id in self.model.pending

        code = self.refused(
            invitations.revoke_invitation(self.services, self.admin, invitation_id)
        )

        assert code is (None if pending else ErrorCode.INVITATION_NOT_PENDING)
        self.model.pending.pop(invitation_id, None)

    @precondition(lambda self: self.learner_ids)
    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        learner_id = data.draw(st.sampled_from(self.learner_ids))
        active = learner_id in self.model.learners

        code = self.refused(
            learners.remove_learner(self.services, self.admin, learner_id)
        )

        assert code is (None if active else ErrorCode.LEARNER_NOT_ACTIVE)
        self.model.learners.pop(learner_id, None)

    @rule(quantity=st.integers(min_value=1, max_value=3))
    def request(self, quantity: int) -> None:
        change = self.run(
            licence_requests.request_licences(
                self.services, self.admin, self.organisation_id, quantity, None
            )
        )
        assert change.licence_request.id is not None
        self.request_ids.append(change.licence_request.id)
        self.model.requests[change.licence_request.id] = quantity

    @precondition(lambda self: self.request_ids)
    @rule(data=st.data(), approve=st.booleans())
    def decide(self, data: st.DataObject, approve: bool) -> None:
        request_id = data.draw(st.sampled_from(self.request_ids))
        pending = request_id in self.model.requests

        code = self.refused(
            licence_requests.decide_licence_request(
                self.services, self.staff, request_id, approve=approve
            )
        )

        assert code is (None if pending else ErrorCode.LICENCE_REQUEST_ALREADY_DECIDED)
        quantity = self.model.requests.pop(request_id, 0)
        if approve:
            self.model.total += quantity

    @invariant()
    def figures_match_the_model_and_a_recount(self) -> None:
        db, organisation_id = self.services.db, self.organisation_id
        figures = self.run(kept(db, organisation_id))
        assert figures == self.model.figures()
        assert figures == self.run(recount(db, organisation_id))
        assert figures == self.run(ledger_sum(db, organisation_id))

    def teardown(self) -> None:
        self.run(self.services.db.dispose())
        self.runner.close()


def test_random_operations_follow_the_rules(db: Database, database_url: str) -> None:
    LicenceRules.database_url = database_url

    run_state_machine_as_test(
        LicenceRules,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
