"""SQLModel tables.

Statuses are stored as short strings guarded by CHECK constraints rather than as
database enum types, so that adding a status is a plain migration on both SQLite and
PostgreSQL.
"""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, text
from sqlmodel import Field, SQLModel

from models.naming import NAMING_CONVENTION  # noqa: F401 names this module's constraints


class Role(StrEnum):
    ADMIN = "ADMIN"
    STAFF = "STAFF"


class InvitationStatus(StrEnum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    REVOKED = "REVOKED"
    EXPIRED = "EXPIRED"
    # The mail server refused the address for good; the licence went back.
    FAILED = "FAILED"


class DeliveryStatus(StrEnum):
    """Where the latest invitation email stands."""

    QUEUED = "QUEUED"
    SENT = "SENT"
    FAILED = "FAILED"


class LearnerStatus(StrEnum):
    ACTIVE = "ACTIVE"
    REMOVED = "REMOVED"


class LicenceRequestStatus(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    DECLINED = "DECLINED"


class LicenceEventKind(StrEnum):
    ORGANISATION_CREATED = "ORGANISATION_CREATED"
    LEARNERS_INVITED = "LEARNERS_INVITED"
    INVITATION_ACCEPTED = "INVITATION_ACCEPTED"
    INVITATION_REVOKED = "INVITATION_REVOKED"
    LEARNER_REMOVED = "LEARNER_REMOVED"
    LICENCES_REQUESTED = "LICENCES_REQUESTED"
    LICENCE_REQUEST_APPROVED = "LICENCE_REQUEST_APPROVED"
    LICENCE_REQUEST_DECLINED = "LICENCE_REQUEST_DECLINED"
    INVITATION_EXPIRED = "INVITATION_EXPIRED"
    INVITATION_FAILED = "INVITATION_FAILED"


def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=f"{column}_allowed")


class Organisation(SQLModel, table=True):
    """An organisation and its kept licence figures.

    The four figures are updated in the same transaction as every change that moves
    them, so reading the summary never counts rows. The CHECK constraints make the
    database refuse any write that would break the invariant.
    """

    __tablename__ = "organisation"
    __table_args__ = (
        CheckConstraint(
            "total >= 0 AND available_to_assign >= 0"
            " AND pending_invite >= 0 AND in_use >= 0",
            name="figures_not_negative",
        ),
        CheckConstraint(
            "total = available_to_assign + pending_invite + in_use",
            name="figures_add_up",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    total: int = 0
    available_to_assign: int = 0
    pending_invite: int = 0
    in_use: int = 0
    created_at: datetime


class User(SQLModel, table=True):
    """An admin of one organisation, or a member of staff."""

    __tablename__ = "app_user"
    __table_args__ = (
        _one_of("role", Role),
        CheckConstraint(
            "role = 'STAFF' OR organisation_id IS NOT NULL",
            name="admin_has_organisation",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    role: str = Field(max_length=16)
    organisation_id: int | None = Field(
        default=None, foreign_key="organisation.id", index=True
    )
    created_at: datetime


class Invitation(SQLModel, table=True):
    __tablename__ = "invitation"
    __table_args__ = (
        _one_of("status", InvitationStatus),
        # One pending invitation per email and organisation; older, settled ones stay.
        Index(
            "uq_invitation_pending_email",
            "organisation_id",
            "email",
            unique=True,
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index("ix_invitation_organisation_status", "organisation_id", "status", "id"),
        _one_of("delivery_status", DeliveryStatus),
        # Pending invitations by expiry: the summary counts an organisation's expired
        # but not yet swept ones, and the sweeper finds them, in a short index range.
        Index(
            "ix_invitation_pending_expiry",
            "organisation_id",
            "expires_at",
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
        Index(
            "ix_invitation_pending_expiry_all",
            "expires_at",
            sqlite_where=text("status = 'PENDING'"),
            postgresql_where=text("status = 'PENDING'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    email: str = Field(max_length=254)
    status: str = Field(max_length=16)
    # Only a hash of the accept token is stored: a database leak reveals no link.
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None
    delivery_status: str = Field(default=DeliveryStatus.QUEUED.value, max_length=16)
    last_sent_at: datetime | None = None
    # What the mail server answered when it refused the message for good.
    failure_reason: str | None = Field(default=None, max_length=500)


class Learner(SQLModel, table=True):
    __tablename__ = "learner"
    __table_args__ = (
        _one_of("status", LearnerStatus),
        Index(
            "uq_learner_active_email",
            "organisation_id",
            "email",
            unique=True,
            sqlite_where=text("status = 'ACTIVE'"),
            postgresql_where=text("status = 'ACTIVE'"),
        ),
        Index("ix_learner_organisation_status", "organisation_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    email: str = Field(max_length=254)
    name: str = Field(max_length=200)
    status: str = Field(max_length=16)
    invitation_id: int = Field(foreign_key="invitation.id", unique=True)
    activated_at: datetime
    removed_at: datetime | None = None


class LicenceRequest(SQLModel, table=True):
    __tablename__ = "licence_request"
    __table_args__ = (
        _one_of("status", LicenceRequestStatus),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_licence_request_organisation_status", "organisation_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id")
    quantity: int
    note: str = Field(default="", max_length=1000)
    status: str = Field(max_length=16)
    requested_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime
    decided_at: datetime | None = None
    decided_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class LicenceEvent(SQLModel, table=True):
    """Append-only ledger: who did what, when, and how each figure moved."""

    __tablename__ = "licence_event"
    __table_args__ = (_one_of("kind", LicenceEventKind),)

    id: int | None = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(max_length=32)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    # How many licences, invitations or learners the event concerns.
    quantity: int
    total_delta: int = 0
    available_to_assign_delta: int = 0
    pending_invite_delta: int = 0
    in_use_delta: int = 0
    invitation_id: int | None = Field(default=None, foreign_key="invitation.id")
    learner_id: int | None = Field(default=None, foreign_key="learner.id")
    licence_request_id: int | None = Field(
        default=None, foreign_key="licence_request.id"
    )
    created_at: datetime
