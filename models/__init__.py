"""Tables and database access for the licence service."""

from models.database import Database, rows_changed, utcnow

# After the tables module, whose naming convention every table's constraints follow.
from models.idempotency import IdempotencyKey
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
