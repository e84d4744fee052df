"""Tables and database access for the licence service."""

from models.database import Database, rows_changed, utcnow
from models.idempotency import IdempotencyKey
from models.naming import NAMING_CONVENTION
from models.tables import (
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
    "Database",
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
    "Role",
    "User",
    "rows_changed",
    "utcnow",
]
