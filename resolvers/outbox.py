"""The outbox and its background sender.

Invitation emails are written to ``outbox_message`` in the invitation's own
transaction (:func:`queue_rows`). A sender, running in every server process that
has ``MAIL_SENDER`` on, delivers them in three steps so that no transaction stays
open while a mail server is talking:

1. claim: one write transaction picks due messages and marks them SENDING under a
   claim id with a lease. On PostgreSQL the pick is ``FOR UPDATE SKIP LOCKED``, so
   concurrent senders on several hosts each take different messages; on SQLite the
   write lock taken by ``BEGIN IMMEDIATE`` lets one claim run at a time.
2. send, through the configured backend, with no transaction open.
3. record: SENT; or, for a temporary failure, back to QUEUED with a later
   ``next_attempt_at`` (exponential backoff); or, for a permanent one, FAILED, and
   the invitation with it, its licence returned through ``licences.apply``.
   Recording only matches rows still held under the same claim id, so a sender
   whose lease ran out cannot overwrite another's result.

A sender that dies between claiming and recording leaves its messages SENDING;
once their lease ends another sender claims them again. That message may then go
out twice: delivery is at least once, claiming is exactly once.

The same loop also settles expired invitations (``licences.expire_due``), which
keeps the count of expired-but-unswept invitations that reads subtract small.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from models import (
    DeliveryStatus,
    Invitation,
    InvitationStatus,
    LicenceEventKind,
    OutboxMessage,
    OutboxStatus,
    rows_changed,
    utcnow,
)
from models.rows import table_of
from resolvers import licences
from resolvers.context import Services
from resolvers.mail import DeliveryFailure, InvitationMessage, Mailer

logger = logging.getLogger(__name__)

BATCH_SIZE = 50
# How long a claim holds its messages; far longer than one batch takes to send.
LEASE = timedelta(minutes=5)
RETRY_FIRST = timedelta(seconds=30)
RETRY_LONGEST = timedelta(hours=1)
# Settled messages are kept this long, to look into a delivery, then deleted; the
# invitation keeps its own delivery status, sent time and failure reason.
KEEP_SETTLED = timedelta(days=7)
_SETTLED = [OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.CANCELLED]


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failed attempt, doubling each time, at most an hour."""
    doublings = min(max(attempts - 1, 0), 20)
    delay: timedelta = RETRY_FIRST * (2**doublings)
    return min(delay, RETRY_LONGEST)


def queue_rows(
    invitation_ids: Sequence[int], messages: Sequence[InvitationMessage]
) -> list[dict[str, Any]]:
    """Outbox rows for ``messages``, one per invitation, due at once."""
    now = utcnow()
    return [
        {
            "invitation_id": invitation_id,
            "recipient": message.to,
            "organisation_name": message.organisation_name,
            "accept_link": message.accept_link,
            "status": OutboxStatus.QUEUED.value,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for invitation_id, message in zip(invitation_ids, messages, strict=True)
    ]


async def queue(
    session: AsyncSession,
    invitation_ids: Sequence[int],
    messages: Sequence[InvitationMessage],
) -> None:
    """Write the messages in the caller's transaction: one statement for a batch."""
    if invitation_ids:
        # Through the table: the ORM's bulk insert costs more than the insert itself.
        table = table_of(OutboxMessage)
        await session.execute(insert(table), queue_rows(invitation_ids, messages))


async def withdraw(session: AsyncSession, invitation_id: int) -> None:
    """Stop any message of this invitation that has not been sent yet."""
    await session.execute(
        update(OutboxMessage)
        .where(
            col(OutboxMessage.invitation_id) == invitation_id,
            col(OutboxMessage.status).in_(
                [OutboxStatus.QUEUED.value, OutboxStatus.SENDING.value]
            ),
        )
        .values(
            status=OutboxStatus.CANCELLED.value,
            accept_link="",
            claim_id=None,
            claimed_until=None,
        )
    )


@dataclass(frozen=True)
class Claimed:
    message_id: int
    invitation_id: int
    organisation_id: int
    attempts: int
    message: InvitationMessage


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(
            col(OutboxMessage.status) == OutboxStatus.QUEUED.value,
            col(OutboxMessage.next_attempt_at) <= now,
        ),
        and_(
            col(OutboxMessage.status) == OutboxStatus.SENDING.value,
            col(OutboxMessage.claimed_until) <= now,
        ),
    )


@dataclass(frozen=True)
class Claim:
    claim_id: str
    messages: list[Claimed]
    # Due messages taken off the queue, to send or cancelled; none means done.
    picked: int


class OutboxSender:
    """Delivers the outbox through ``transport``; one per process is enough."""

    def __init__(
        self,
        services: Services,
        transport: Mailer,
        *,
        batch_size: int = BATCH_SIZE,
        name: str = "sender",
    ) -> None:
        self.services = services
        self.transport = transport
        self.batch_size = batch_size
        self.name = name
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def run_once(self) -> int:
        """Settle expired invitations, then try every message that is due.

        Returns how many messages were attempted, delivered or not.
        """
        await self.sweep_expired()
        attempted = 0
        while (claim := await self.claim()).picked:
            if claim.messages:
                answers = await self.transport.send([c.message for c in claim.messages])
                await self.record(claim, answers)
            attempted += len(claim.messages)
        await self.prune_settled()
        return attempted

    async def prune_settled(self) -> int:
        """Delete a batch of messages settled more than ``KEEP_SETTLED`` ago."""
        db = self.services.db
        # A settled message's last due time is when its final attempt became due:
        # close to when it settled, unless no sender ran for a while. The due
        # index finds messages by it.
        old = and_(
            col(OutboxMessage.status).in_([status.value for status in _SETTLED]),
            col(OutboxMessage.next_attempt_at) < utcnow() - KEEP_SETTLED,
        )
        async with db.read_session() as session:
            found = await session.scalar(
                select(col(OutboxMessage.id)).where(old).limit(1)
            )
        if found is None:
            return 0

        async def work(session: AsyncSession) -> int:
            batch = select(col(OutboxMessage.id)).where(old).limit(BATCH_SIZE * 10)
            deleted = await session.execute(
                delete(OutboxMessage).where(col(OutboxMessage.id).in_(batch))
            )
            return rows_changed(deleted)

        pruned = await db.run_write(work, retry_on_integrity=False)
        logger.info("outbox_pruned count=%s sender=%s", pruned, self.name)
        return pruned

    async def sweep_expired(self) -> int:
        db = self.services.db
        async with db.read_session() as session:
            due = await session.scalar(
                select(col(Invitation.id))
                .where(
                    col(Invitation.status) == InvitationStatus.PENDING.value,
                    col(Invitation.expires_at) <= utcnow(),
                )
                .limit(1)
            )
        if due is None:
            return 0
        swept = 0
        while count := await db.run_write(
            licences.expire_due, retry_on_integrity=False
        ):
            swept += count
            if count < licences.SWEEP_BATCH:
                break
        logger.info("invitations_expired count=%s sender=%s", swept, self.name)
        return swept

    async def record(self, claim: Claim, answers: list[DeliveryFailure | None]) -> None:
        """Write what the mail server answered for each claimed message."""
        await self.services.db.run_write(
            lambda session: self._record(session, claim, answers),
            retry_on_integrity=False,
        )

    async def claim(self) -> Claim:
        """Take up to one batch of due messages for this sender, under a new lease."""
        claim_id = uuid.uuid4().hex
        db = self.services.db
        # A read first, so that an idle sender does not take SQLite's write lock
        # at every poll.
        async with db.read_session() as session:
            due = await session.scalar(
                select(col(OutboxMessage.id)).where(_due(utcnow())).limit(1)
            )
        if due is None:
            return Claim(claim_id, [], picked=0)

        async def work(session: AsyncSession) -> Claim:
            now = utcnow()
            rows = (
                await session.execute(
                    select(
                        col(OutboxMessage.id),
                        col(OutboxMessage.invitation_id),
                        col(OutboxMessage.attempts),
                        col(OutboxMessage.recipient),
                        col(OutboxMessage.organisation_name),
                        col(OutboxMessage.accept_link),
                        col(Invitation.organisation_id),
                        col(Invitation.status),
                        col(Invitation.expires_at),
                    )
                    .join(Invitation, col(Invitation.id) == OutboxMessage.invitation_id)
                    .where(_due(now))
                    .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True, of=OutboxMessage)
                )
            ).all()
            live = [
                row
                for row in rows
                if row.status == InvitationStatus.PENDING.value and row.expires_at > now
            ]
            live_ids = {row.id for row in live}
            settled = [row.id for row in rows if row.id not in live_ids]
            if settled:
                # Accepted, revoked or expired since it was queued: nobody needs it.
                await session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(settled))
                    .values(status=OutboxStatus.CANCELLED.value, accept_link="")
                )
            if live:
                await session.execute(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(live_ids))
                    .values(
                        status=OutboxStatus.SENDING.value,
                        claim_id=claim_id,
                        claimed_until=now + LEASE,
                        attempts=col(OutboxMessage.attempts) + 1,
                    )
                )
            messages = [
                Claimed(
                    message_id=row.id,
                    invitation_id=row.invitation_id,
                    organisation_id=row.organisation_id,
                    attempts=row.attempts + 1,
                    message=InvitationMessage(
                        to=row.recipient,
                        organisation_name=row.organisation_name,
                        accept_link=row.accept_link,
                    ),
                )
                for row in live
            ]
            return Claim(claim_id, messages, picked=len(rows))

        return await db.run_write(work, retry_on_integrity=False)

    async def _record(
        self,
        session: AsyncSession,
        claim: Claim,
        answers: list[DeliveryFailure | None],
    ) -> None:
        now = utcnow()
        claimed, claim_id = claim.messages, claim.claim_id
        sent = [c for c, answer in zip(claimed, answers, strict=True) if answer is None]
        if sent:
            await self._record_sent(session, sent, claim_id, now)
        for item, answer in zip(claimed, answers, strict=True):
            if answer is None:
                continue
            held = [
                col(OutboxMessage.id) == item.message_id,
                col(OutboxMessage.status) == OutboxStatus.SENDING.value,
                col(OutboxMessage.claim_id) == claim_id,
            ]
            if answer.permanent:
                result = await session.execute(
                    update(OutboxMessage)
                    .where(*held)
                    .values(
                        status=OutboxStatus.FAILED.value,
                        last_error=answer.reason,
                        accept_link="",
                        claim_id=None,
                        claimed_until=None,
                    )
                )
                if rows_changed(result) == 1:
                    await _fail_invitation(session, item, answer.reason, now)
            else:
                await session.execute(
                    update(OutboxMessage)
                    .where(*held)
                    .values(
                        status=OutboxStatus.QUEUED.value,
                        last_error=answer.reason,
                        next_attempt_at=now + retry_delay(item.attempts),
                        claim_id=None,
                        claimed_until=None,
                    )
                )
                logger.warning(
                    "invitation_email_deferred invitation_id=%s attempts=%s"
                    " retry_in=%s reason=%r",
                    item.invitation_id,
                    item.attempts,
                    retry_delay(item.attempts),
                    answer.reason,
                )

    async def _record_sent(
        self,
        session: AsyncSession,
        sent: list[Claimed],
        claim_id: str,
        now: datetime,
    ) -> None:
        recorded = await session.execute(
            update(OutboxMessage)
            .where(
                col(OutboxMessage.id).in_([c.message_id for c in sent]),
                col(OutboxMessage.status) == OutboxStatus.SENDING.value,
                col(OutboxMessage.claim_id) == claim_id,
            )
            .values(
                status=OutboxStatus.SENT.value,
                sent_at=now,
                accept_link="",
                last_error=None,
                claim_id=None,
                claimed_until=None,
            )
            .returning(col(OutboxMessage.invitation_id))
        )
        invitation_ids = list(recorded.scalars())
        if invitation_ids:
            await session.execute(
                update(Invitation)
                .where(col(Invitation.id).in_(invitation_ids))
                .values(
                    delivery_status=DeliveryStatus.SENT.value,
                    last_sent_at=now,
                    failure_reason=None,
                )
            )
        logger.info(
            "invitation_emails_sent count=%s sender=%s", len(invitation_ids), self.name
        )

    def start(self, poll_seconds: float) -> None:
        self._stopping = False
        self._task = asyncio.create_task(self._run(poll_seconds), name=self.name)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Let the round in progress record its answers, then stop."""
        if self._task is None:
            return
        self._stopping = True
        self.services.outbox_bell.ring()
        try:
            async with asyncio.timeout(grace_seconds):
                await asyncio.shield(self._task)
        except TimeoutError:
            # Messages it had claimed go out again once their lease ends.
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None
        logger.info("outbox_sender_stopped sender=%s", self.name)

    async def _run(self, poll_seconds: float) -> None:
        logger.info("outbox_sender_started sender=%s", self.name)
        while not self._stopping:
            try:
                await self.run_once()
            except Exception:
                # A database hiccup must not stop delivery for good; the next
                # round starts from what the outbox holds.
                logger.exception("outbox_sender_error sender=%s", self.name)
            await self.services.outbox_bell.wait(poll_seconds)


async def _fail_invitation(
    session: AsyncSession, item: Claimed, reason: str, now: datetime
) -> None:
    """The address was refused for good: fail the invitation, return its licence."""
    failed = await session.execute(
        update(Invitation)
        .where(
            col(Invitation.id) == item.invitation_id,
            col(Invitation.status) == InvitationStatus.PENDING.value,
            # One that expired meanwhile is the sweeper's, and is recorded as expired.
            col(Invitation.expires_at) > now,
        )
        .values(
            status=InvitationStatus.FAILED.value,
            delivery_status=DeliveryStatus.FAILED.value,
            failure_reason=reason,
        )
    )
    if rows_changed(failed) == 1:
        figures = await licences.apply(
            session,
            item.organisation_id,
            LicenceEventKind.INVITATION_FAILED,
            1,
            actor_id=None,
            invitation_id=item.invitation_id,
        )
        assert figures is not None, "a pending invitation holds a pending licence"
    else:
        await session.execute(
            update(Invitation)
            .where(col(Invitation.id) == item.invitation_id)
            .values(delivery_status=DeliveryStatus.FAILED.value, failure_reason=reason)
        )
    logger.warning(
        "invitation_email_failed invitation_id=%s organisation_id=%s reason=%r",
        item.invitation_id,
        item.organisation_id,
        reason,
    )
