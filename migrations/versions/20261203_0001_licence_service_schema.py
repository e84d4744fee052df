"""The licence service schema: every table, constraint and index.

Revision ID: 0001
Revises:
Create Date: 2026-12-03 13:43:55.106598
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "operation", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_idempotency_key")),
    )
    op.create_index(
        "ix_idempotency_key_created_at", "idempotency_key", ["created_at"], unique=False
    )
    op.create_index(
        "uq_idempotency_key_scope_key", "idempotency_key", ["scope", "key"], unique=True
    )
    op.create_table(
        "organisation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("available_to_assign", sa.Integer(), nullable=False),
        sa.Column("pending_invite", sa.Integer(), nullable=False),
        sa.Column("in_use", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "total = available_to_assign + pending_invite + in_use",
            name=op.f("ck_organisation_figures_add_up"),
        ),
        sa.CheckConstraint(
            "total >= 0 AND available_to_assign >= 0 AND pending_invite >= 0 AND in_use >= 0",
            name=op.f("ck_organisation_figures_not_negative"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation")),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False
        ),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "role = 'STAFF' OR organisation_id IS NOT NULL",
            name=op.f("ck_app_user_admin_has_organisation"),
        ),
        sa.CheckConstraint(
            "role IN ('ADMIN', 'STAFF')", name=op.f("ck_app_user_role_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_app_user_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("email", name=op.f("uq_app_user_email")),
    )
    op.create_index(
        op.f("ix_app_user_organisation_id"),
        "app_user",
        ["organisation_id"],
        unique=False,
    )
    op.create_table(
        "invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False
        ),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False
        ),
        sa.Column(
            "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("invited_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("accepted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "delivery_status",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
        ),
        sa.Column("last_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "failure_reason",
            sqlmodel.sql.sqltypes.AutoString(length=500),
            nullable=True,
        ),
        sa.CheckConstraint(
            "delivery_status IN ('QUEUED', 'SENT', 'FAILED')",
            name=op.f("ck_invitation_delivery_status_allowed"),
        ),
        sa.CheckConstraint(
            "status IN ('PENDING', 'ACCEPTED', 'REVOKED', 'EXPIRED', 'FAILED')",
            name=op.f("ck_invitation_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by_id"],
            ["app_user.id"],
            name=op.f("fk_invitation_invited_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_invitation_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitation_token_hash")),
    )
    op.create_index(
        "ix_invitation_organisation_status",
        "invitation",
        ["organisation_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        "ix_invitation_pending_expiry",
        "invitation",
        ["organisation_id", "expires_at"],
        unique=False,
        sqlite_where=sa.text("status = 'PENDING'"),
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index(
        "ix_invitation_pending_expiry_all",
        "invitation",
        ["expires_at"],
        unique=False,
        sqlite_where=sa.text("status = 'PENDING'"),
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_index(
        "uq_invitation_pending_email",
        "invitation",
        ["organisation_id", "email"],
        unique=True,
        sqlite_where=sa.text("status = 'PENDING'"),
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.create_table(
        "licence_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False
        ),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False
        ),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status IN ('PENDING', 'APPROVED', 'DECLINED')",
            name=op.f("ck_licence_request_status_allowed"),
        ),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_licence_request_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["app_user.id"],
            name=op.f("fk_licence_request_decided_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_licence_request_organisation_id_organisation"),
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["app_user.id"],
            name=op.f("fk_licence_request_requested_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_request")),
    )
    op.create_index(
        "ix_licence_request_organisation_status",
        "licence_request",
        ["organisation_id", "status"],
        unique=False,
    )
    op.create_table(
        "learner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column(
            "email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False
        ),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False
        ),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("activated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('ACTIVE', 'REMOVED')", name=op.f("ck_learner_status_allowed")
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_learner_invitation_id_invitation"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_learner_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner")),
        sa.UniqueConstraint("invitation_id", name=op.f("uq_learner_invitation_id")),
    )
    op.create_index(
        "ix_learner_organisation_status",
        "learner",
        ["organisation_id", "status", "id"],
        unique=False,
    )
    op.create_index(
        "uq_learner_active_email",
        "learner",
        ["organisation_id", "email"],
        unique=True,
        sqlite_where=sa.text("status = 'ACTIVE'"),
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column(
            "recipient", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False
        ),
        sa.Column(
            "organisation_name",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=False,
        ),
        sa.Column(
            "accept_link", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False
        ),
        sa.Column(
            "status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column(
            "next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False
        ),
        sa.Column(
            "claim_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True
        ),
        sa.Column("claimed_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column(
            "last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
        ),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('QUEUED', 'SENDING', 'SENT', 'FAILED', 'CANCELLED')",
            name=op.f("ck_outbox_message_outbox_status_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_outbox_message_invitation_id_invitation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_message")),
    )
    op.create_index(
        "ix_outbox_message_due",
        "outbox_message",
        ["status", "next_attempt_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_outbox_message_invitation_id"),
        "outbox_message",
        ["invitation_id"],
        unique=False,
    )
    op.create_table(
        "licence_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("total_delta", sa.Integer(), nullable=False),
        sa.Column("available_to_assign_delta", sa.Integer(), nullable=False),
        sa.Column("pending_invite_delta", sa.Integer(), nullable=False),
        sa.Column("in_use_delta", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=True),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("licence_request_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('ORGANISATION_CREATED', 'LEARNERS_INVITED', 'INVITATION_ACCEPTED', 'INVITATION_REVOKED', 'LEARNER_REMOVED', 'LICENCES_REQUESTED', 'LICENCE_REQUEST_APPROVED', 'LICENCE_REQUEST_DECLINED', 'INVITATION_EXPIRED', 'INVITATION_FAILED')",
            name=op.f("ck_licence_event_kind_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["app_user.id"],
            name=op.f("fk_licence_event_actor_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["invitation.id"],
            name=op.f("fk_licence_event_invitation_id_invitation"),
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_licence_event_learner_id_learner"),
        ),
        sa.ForeignKeyConstraint(
            ["licence_request_id"],
            ["licence_request.id"],
            name=op.f("fk_licence_event_licence_request_id_licence_request"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_licence_event_organisation_id_organisation"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licence_event")),
    )
    op.create_index(
        op.f("ix_licence_event_organisation_id"),
        "licence_event",
        ["organisation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_licence_event_organisation_id"), table_name="licence_event")
    op.drop_table("licence_event")
    op.drop_index(op.f("ix_outbox_message_invitation_id"), table_name="outbox_message")
    op.drop_index("ix_outbox_message_due", table_name="outbox_message")
    op.drop_table("outbox_message")
    op.drop_index(
        "uq_learner_active_email",
        table_name="learner",
        sqlite_where=sa.text("status = 'ACTIVE'"),
        postgresql_where=sa.text("status = 'ACTIVE'"),
    )
    op.drop_index("ix_learner_organisation_status", table_name="learner")
    op.drop_table("learner")
    op.drop_index(
        "ix_licence_request_organisation_status", table_name="licence_request"
    )
    op.drop_table("licence_request")
    op.drop_index(
        "uq_invitation_pending_email",
        table_name="invitation",
        sqlite_where=sa.text("status = 'PENDING'"),
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_index(
        "ix_invitation_pending_expiry_all",
        table_name="invitation",
        sqlite_where=sa.text("status = 'PENDING'"),
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_index(
        "ix_invitation_pending_expiry",
        table_name="invitation",
        sqlite_where=sa.text("status = 'PENDING'"),
        postgresql_where=sa.text("status = 'PENDING'"),
    )
    op.drop_index("ix_invitation_organisation_status", table_name="invitation")
    op.drop_table("invitation")
    op.drop_index(op.f("ix_app_user_organisation_id"), table_name="app_user")
    op.drop_table("app_user")
    op.drop_table("organisation")
    op.drop_index("uq_idempotency_key_scope_key", table_name="idempotency_key")
    op.drop_index("ix_idempotency_key_created_at", table_name="idempotency_key")
    op.drop_table("idempotency_key")
