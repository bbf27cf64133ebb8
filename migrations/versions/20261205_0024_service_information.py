"""service information pages, accessibility feedback, lost-link requests (publicinfo/)

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "service_pages",
        sa.Column("page", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("page", "language", name=op.f("pk_service_pages")),
    )
    op.create_table(
        "accessibility_feedback",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("received_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("page", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=False),
        sa.Column("answered_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accessibility_feedback")),
    )
    op.create_index(
        "ix_accessibility_feedback_open",
        "accessibility_feedback",
        ["answered_at", "received_at"],
    )
    op.create_table(
        "lost_link_requests",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("recipient_hash", sa.String(length=64), nullable=False),
        sa.Column("requested_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lost_link_requests")),
    )
    op.create_index(
        op.f("ix_lost_link_requests_recipient_hash"), "lost_link_requests", ["recipient_hash"]
    )
    op.create_index(
        op.f("ix_lost_link_requests_requested_at"), "lost_link_requests", ["requested_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_lost_link_requests_requested_at"), table_name="lost_link_requests")
    op.drop_index(op.f("ix_lost_link_requests_recipient_hash"), table_name="lost_link_requests")
    op.drop_table("lost_link_requests")
    op.drop_index("ix_accessibility_feedback_open", table_name="accessibility_feedback")
    op.drop_table("accessibility_feedback")
    op.drop_table("service_pages")
