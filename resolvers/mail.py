"""Invitation messages and the backends that deliver them.

Messages are not sent from a request: the invitation's transaction writes them to
the outbox, and the background sender (``resolvers.outbox``) hands them to one of
these backends. The console backend writes each message, with its accept link, to
the server log; ``resolvers.smtp`` delivers over SMTP.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class InvitationMessage:
    to: str
    organisation_name: str
    accept_link: str

    @property
    def subject(self) -> str:
        return f"You are invited to learn with {self.organisation_name}"

    @property
    def body(self) -> str:
        return (
            f"{self.organisation_name} has given you a licence for our language"
            f" courses.\n\nAccept the invitation here: {self.accept_link}\n"
        )


@dataclass(frozen=True, slots=True)
class DeliveryFailure:
    """Why a message did not go out, and whether trying again could help."""

    reason: str
    permanent: bool


class Mailer(Protocol):
    async def send(
        self, messages: list[InvitationMessage]
    ) -> list[DeliveryFailure | None]:
        """Deliver each message; answers, in order, ``None`` for each one accepted."""
        ...


class ConsoleMailer:
    async def send(
        self, messages: list[InvitationMessage]
    ) -> list[DeliveryFailure | None]:
        for message in messages:
            logger.info(
                "invitation_email to=%s subject=%r accept_link=%s",
                message.to,
                message.subject,
                message.accept_link,
            )
        return [None] * len(messages)


class MemoryMailer:
    """Keeps messages in a list; for tests and for embedding the service."""

    def __init__(self) -> None:
        self.sent: list[InvitationMessage] = []

    async def send(
        self, messages: list[InvitationMessage]
    ) -> list[DeliveryFailure | None]:
        self.sent.extend(messages)
        return [None] * len(messages)


class Doorbell:
    """Wakes this process's sender as soon as a transaction has queued mail.

    Senders in other processes are not woken; they find the mail at their next poll.
    """

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def ring(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        """Return when rung, or after ``seconds`` at the latest."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        self._event.clear()
