"""staff second factors: authenticator secrets, recovery codes, logins waiting for a code

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_totp",
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_totp_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_staff_totp")),
    )
    op.create_table(
        "staff_recovery_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_recovery_codes_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_staff_recovery_codes_code_hash")),
    )
    op.create_index(op.f("ix_staff_recovery_codes_user_id"), "staff_recovery_codes", ["user_id"])
    op.create_table(
        "staff_pending_logins",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_pending_logins_user_id_users")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_staff_pending_logins")),
    )
    op.create_index(op.f("ix_staff_pending_logins_user_id"), "staff_pending_logins", ["user_id"])


def downgrade() -> None:
    op.drop_table("staff_pending_logins")
    op.drop_table("staff_recovery_codes")
    op.drop_table("staff_totp")
