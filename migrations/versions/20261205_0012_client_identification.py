"""client identification: attempts, identified client sessions, whom a booking belongs to, and
meeting types that require identification

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identification_attempts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("state_hash", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=40), nullable=False),
        sa.Column("nonce", sa.Text(), nullable=False),
        sa.Column("code_verifier", sa.Text(), nullable=False),
        sa.Column("return_to", sa.String(length=400), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identification_attempts")),
        sa.UniqueConstraint("state_hash", name=op.f("uq_identification_attempts_state_hash")),
    )
    op.create_index(
        op.f("ix_identification_attempts_created_at"), "identification_attempts", ["created_at"]
    )
    op.create_table(
        "client_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("provider_id", sa.String(length=40), nullable=False),
        sa.Column("identity_code", sa.Text(), nullable=False),
        sa.Column("identity_hash", sa.String(length=64), nullable=False),
        sa.Column("given_name", sa.Text(), nullable=False),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("acr", sa.String(length=100), nullable=False),
        sa.Column("authenticated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id_token", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_client_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_client_sessions_token_hash")),
    )
    op.create_index(op.f("ix_client_sessions_identity_hash"), "client_sessions", ["identity_hash"])
    op.create_index(op.f("ix_client_sessions_expires_at"), "client_sessions", ["expires_at"])
    # Plain ADD COLUMN: SQLite can, and rebuilding these referred-to tables could not run with
    # foreign keys on (see 0009).
    op.add_column("bookings", sa.Column("client_identity_code", sa.Text(), nullable=True))
    op.add_column(
        "bookings", sa.Column("client_identity_hash", sa.String(length=64), nullable=True)
    )
    op.create_index("ix_bookings_client_identity_hash", "bookings", ["client_identity_hash"])
    op.add_column(
        "meeting_types",
        sa.Column(
            "requires_identification", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("meeting_types") as batch:
        batch.drop_column("requires_identification")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_index("ix_bookings_client_identity_hash")
        batch.drop_column("client_identity_hash")
        batch.drop_column("client_identity_code")
    op.drop_table("client_sessions")
    op.drop_table("identification_attempts")
