"""The kept figures against a full recount, over random sequences of operations.

The clock moves too, so invitations expire between steps, and sweeps settle them
only now and then: the figures must be exact in between. Emails go to a real SMTP
server that refuses some addresses for good, failing those invitations.
"""

import random
from datetime import timedelta

import pytest

from models import Clock, Database, LicenceEventKind
from resolvers import invitations, learners, licence_requests
from resolvers.context import Services
from resolvers.errors import Rejected
from resolvers.mail import MemoryMailer
from resolvers.outbox import OutboxSender
from resolvers.smtp import SmtpMailer
from tests.factories import Factory, Scene, queued_tokens
from tests.recount import events_in_ledger, kept, ledger_sum, recount, stored
from tests.smtp_sink import SmtpSink

EXPIRED = LicenceEventKind.INVITATION_EXPIRED
FAILED = LicenceEventKind.INVITATION_FAILED


class Operations:
    """Each operation a caller can perform, picked at random with its arguments."""

    def __init__(
        self,
        services: Services,
        factory: Factory,
        scene: Scene,
        clock: Clock,
        smtp_sink: SmtpSink,
    ) -> None:
        self.services = services
        self.clock = clock
        self.smtp_sink = smtp_sink
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
                # The mail server will refuse this address for good.
                self.smtp_sink.refuse.add(emails[-1])
        if rng.random() < 0.2:
            emails.append(emails[0])
        outcome = await invitations.invite_learners(
            self.services,
            self.scene.admin,
            self.scene.organisation_id,
            emails,
            dry_run=rng.random() < 0.2,
        )
        ids = [row.id for row in outcome.invitations if row.id is not None]
        self.invitation_ids.extend(ids)
        self.tokens.extend(await queued_tokens(self.services.db, ids))

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

    async def resend(self, rng: random.Random) -> None:
        if self.invitation_ids:
            invitation = await invitations.resend_invitation(
                self.services, self.scene.admin, rng.choice(self.invitation_ids)
            )
            assert invitation.id is not None
            self.tokens.extend(await queued_tokens(self.services.db, [invitation.id]))

    async def let_time_pass(self, rng: random.Random) -> None:
        self.clock.advance(rng.choice([timedelta(hours=5), timedelta(days=9)]))

    async def deliver(self, _rng: random.Random) -> None:
        mailer = SmtpMailer(self.smtp_sink.url, "licences@example.com")
        await OutboxSender(self.services, mailer).run_once()

    async def sweep(self, _rng: random.Random) -> None:
        await OutboxSender(self.services, MemoryMailer()).sweep_expired()

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
    seed: int,
    db: Database,
    services: Services,
    factory: Factory,
    clock: Clock,
    smtp_sink: SmtpSink,
) -> None:
    rng = random.Random(seed)
    scene = await factory.scene(licences=8)
    smtp_sink.start()
    operations = Operations(services, factory, scene, clock, smtp_sink)
    steps = [
        operations.invite,
        operations.accept,
        operations.revoke,
        operations.resend,
        operations.remove,
        operations.request,
        operations.decide,
        operations.let_time_pass,
        operations.sweep,
        operations.deliver,
    ]
    refusals = 0
    unswept_seen = 0

    for _ in range(120):
        try:
            await rng.choice(steps)(rng)
        except Rejected:
            refusals += 1

        figures = await kept(db, scene.organisation_id)
        assert figures == await recount(db, scene.organisation_id)
        assert figures.total == (
            figures.available_to_assign + figures.pending_invite + figures.in_use
        )
        # The row and the ledger agree; they differ from the summary only by
        # the invitations that expired and wait for a sweep.
        in_row = await stored(db, scene.organisation_id)
        assert in_row == await ledger_sum(db, scene.organisation_id)
        if in_row != figures:
            unswept_seen += 1

    # The sequence exercised both sides of the rules, not only the happy path;
    # invitations expired, and read as expired before anything settled them;
    # the mail server refused some addresses for good.
    assert refusals > 0
    assert operations.learner_ids
    assert unswept_seen > 0
    assert await events_in_ledger(db, scene.organisation_id, EXPIRED) > 0
    assert await events_in_ledger(db, scene.organisation_id, FAILED) > 0
