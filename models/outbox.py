"""The outbox: invitation emails waiting for the background sender.

A message is written in the same transaction as its invitation, so an invitation
never exists without its message and a rolled-back batch leaves none behind. The
sender claims messages by moving them to SENDING with a lease; a sender that dies
mid-send leaves the lease to run out, and another sender picks the message up again.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index
from sqlmodel import Field, SQLModel

from models.naming import NAMING_CONVENTION  # noqa: F401 names this module's constraints


class OutboxStatus(StrEnum):
    QUEUED = "QUEUED"
    SENDING = "SENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    # Not worth sending any more: the invitation was settled, or a resend replaced it.
    CANCELLED = "CANCELLED"


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(
            "status IN (" + ", ".join(f"'{s}'" for s in OutboxStatus) + ")",
            name="outbox_status_allowed",
        ),
        # The sender's question: which messages are due, oldest first.
        Index("ix_outbox_message_due", "status", "next_attempt_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    recipient: str = Field(max_length=254)
    organisation_name: str = Field(max_length=200)
    # Holds the accept token until the message is sent, then is blanked: the
    # database otherwise keeps only a hash of the token.
    accept_link: str = Field(max_length=2000)
    status: str = Field(max_length=16)
    attempts: int = 0
    next_attempt_at: datetime
    # Which claim holds the message and until when; an expired lease is reclaimable.
    claim_id: str | None = Field(default=None, max_length=32)
    claimed_until: datetime | None = None
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime
    sent_at: datetime | None = None
