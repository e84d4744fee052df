"""Tables and database access for the licence service."""

from models.clock import Clock, clock
from models.database import Database, rows_changed, utcnow
from models.idempotency import IdempotencyKey
from models.naming import NAMING_CONVENTION
from models.outbox import OutboxMessage, OutboxStatus
from models.tables import (
    DeliveryStatus,
    Invitation,
    InvitationStatus,
    Learner,
    LearnerStatus,
    LicenceEvent,
    LicenceEventKind,
    LicenceRequest,
    LicenceRequestStatus,
    Organisation,
    Role,
    User,
)

__all__ = [
    "NAMING_CONVENTION",
    "Clock",
    "Database",
    "DeliveryStatus",
    "IdempotencyKey",
    "Invitation",
    "InvitationStatus",
    "Learner",
    "LearnerStatus",
    "LicenceEvent",
    "LicenceEventKind",
    "LicenceRequest",
    "LicenceRequestStatus",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "Role",
    "User",
    "clock",
    "rows_changed",
    "utcnow",
]
