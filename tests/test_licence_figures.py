"""The kept figures against a full recount, over random sequences of operations."""

import random

import pytest

from models import Database
from resolvers import invitations, learners, licence_requests
from resolvers.context import Services
from resolvers.errors import Rejected
from tests.factories import Factory, Scene
from tests.recount import kept, ledger_sum, recount


class Operations:
    """Each operation a caller can perform, picked at random with its arguments."""

    def __init__(self, services: Services, factory: Factory, scene: Scene) -> None:
        self.services = services
        self.factory = factory
        self.scene = scene
        self.tokens: list[str] = []
        self.invitation_ids: list[int] = []
        self.learner_ids: list[int] = []
        self.request_ids: list[int] = []
        self.serial = 0

    async def invite(self, rng: random.Random) -> None:
        emails = []
        for _ in range(rng.randint(1, 4)):
            self.serial += 1
            emails.append(f"person{self.serial}@example.com")
        if rng.random() < 0.2:
            emails.append(emails[0])
        outcome = await invitations.invite_learners(
            self.services,
            self.scene.admin,
            self.scene.organisation_id,
            emails,
            dry_run=rng.random() < 0.2,
        )
        for invitation in outcome.invitations:
            assert invitation.id is not None
            self.invitation_ids.append(invitation.id)
        sent = self.services.mailer.sent  # type: ignore[attr-defined]
        self.tokens.extend(m.accept_link.split("token=")[1] for m in sent)
        sent.clear()

    async def accept(self, rng: random.Random) -> None:
        if self.tokens:
            acceptance = await invitations.accept_invitation(
                self.services, rng.choice(self.tokens), "Someone"
            )
            assert acceptance.learner.id is not None
            self.learner_ids.append(acceptance.learner.id)

    async def revoke(self, rng: random.Random) -> None:
        if self.invitation_ids:
            await invitations.revoke_invitation(
                self.services, self.scene.admin, rng.choice(self.invitation_ids)
            )

    async def remove(self, rng: random.Random) -> None:
        if self.learner_ids:
            await learners.remove_learner(
                self.services, self.scene.admin, rng.choice(self.learner_ids)
            )

    async def request(self, rng: random.Random) -> None:
        change = await licence_requests.request_licences(
            self.services,
            self.scene.admin,
            self.scene.organisation_id,
            rng.randint(1, 3),
            None,
        )
        assert change.licence_request.id is not None
        self.request_ids.append(change.licence_request.id)

    async def decide(self, rng: random.Random) -> None:
        if self.request_ids:
            await licence_requests.decide_licence_request(
                self.services,
                self.scene.staff,
                rng.choice(self.request_ids),
                approve=rng.random() < 0.7,
            )


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_kept_figures_equal_a_full_recount_after_every_step(
    seed: int, db: Database, services: Services, factory: Factory
) -> None:
    rng = random.Random(seed)
    scene = await factory.scene(licences=8)
    operations = Operations(services, factory, scene)
    steps = [
        operations.invite,
        operations.accept,
        operations.revoke,
        operations.remove,
        operations.request,
        operations.decide,
    ]
    refusals = 0

    for _ in range(100):
        try:
            await rng.choice(steps)(rng)
        except Rejected:
            refusals += 1

        figures = await kept(db, scene.organisation_id)
        assert figures == await recount(db, scene.organisation_id)
        assert figures == await ledger_sum(db, scene.organisation_id)
        assert figures.total == (
            figures.available_to_assign + figures.pending_invite + figures.in_use
        )

    # The sequence exercised both sides of the rules, not only the happy path.
    assert refusals > 0
    assert operations.learner_ids
