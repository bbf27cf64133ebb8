"""group discussions: the scheduled sessions (never what is said in them)

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "group_sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("host_id", sa.String(length=36), nullable=False),
        sa.Column("moderators", sa.Text(), nullable=False),
        sa.Column("starts_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("premoderation", sa.Boolean(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("summary_published_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_group_sessions_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["host_id"], ["users.id"], name=op.f("fk_group_sessions_host_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_sessions")),
    )
    op.create_index(op.f("ix_group_sessions_unit_id"), "group_sessions", ["unit_id"])
    op.create_index(op.f("ix_group_sessions_starts_at"), "group_sessions", ["starts_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_group_sessions_starts_at"), table_name="group_sessions")
    op.drop_index(op.f("ix_group_sessions_unit_id"), table_name="group_sessions")
    op.drop_table("group_sessions")
