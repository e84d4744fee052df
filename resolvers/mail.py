"""Invitation messages.

Until real delivery exists the console backend writes each message, with its accept
link, to the server log.
"""

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


class Mailer(Protocol):
    async def send(self, messages: list[InvitationMessage]) -> None: ...


class ConsoleMailer:
    async def send(self, messages: list[InvitationMessage]) -> None:
        for message in messages:
            logger.info(
                "invitation_email to=%s subject=%r accept_link=%s",
                message.to,
                message.subject,
                message.accept_link,
            )


class MemoryMailer:
    """Keeps messages in a list; for tests and for embedding the service."""

    def __init__(self) -> None:
        self.sent: list[InvitationMessage] = []

    async def send(self, messages: list[InvitationMessage]) -> None:
        self.sent.extend(messages)
