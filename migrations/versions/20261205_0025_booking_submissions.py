"""bookings made from a check-answers form, remembered for minutes by the form's one-time value

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "booking_submissions",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.Column("manage_token", sa.Text(), nullable=False),
        sa.Column("expires_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_booking_submissions_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_booking_submissions")),
    )
    op.create_index(
        op.f("ix_booking_submissions_booking_id"), "booking_submissions", ["booking_id"]
    )
    op.create_index(
        op.f("ix_booking_submissions_expires_at"), "booking_submissions", ["expires_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_booking_submissions_expires_at"), table_name="booking_submissions")
    op.drop_index(op.f("ix_booking_submissions_booking_id"), table_name="booking_submissions")
    op.drop_table("booking_submissions")
