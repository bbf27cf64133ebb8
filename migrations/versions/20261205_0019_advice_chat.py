"""the advice chat: its services and the statistics of ended chats

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "chat_services",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=True),
        sa.Column("names", sa.Text(), nullable=False),
        sa.Column("hours", sa.Text(), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("saved_answers", sa.Text(), nullable=False),
        sa.Column("meeting_type_id", sa.String(length=36), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_chat_services_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_type_id"],
            ["meeting_types.id"],
            name=op.f("fk_chat_services_meeting_type_id_meeting_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_services")),
        sa.UniqueConstraint("slug", name=op.f("uq_chat_services_slug")),
    )
    op.create_table(
        "chat_statistics",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("service_id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        sa.Column("hour", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("waited_seconds", sa.Integer(), nullable=False),
        sa.Column("talked_seconds", sa.Integer(), nullable=False),
        sa.Column("transferred", sa.Boolean(), nullable=False),
        sa.Column("identified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["chat_services.id"],
            name=op.f("fk_chat_statistics_service_id_chat_services"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_statistics")),
    )
    op.create_index(op.f("ix_chat_statistics_service_id"), "chat_statistics", ["service_id"])
    op.create_index(op.f("ix_chat_statistics_hour"), "chat_statistics", ["hour"])


def downgrade() -> None:
    op.drop_index(op.f("ix_chat_statistics_hour"), table_name="chat_statistics")
    op.drop_index(op.f("ix_chat_statistics_service_id"), table_name="chat_statistics")
    op.drop_table("chat_statistics")
    op.drop_table("chat_services")
