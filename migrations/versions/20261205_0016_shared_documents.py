"""shared documents: a meeting's summary or a PDF a caseworker shares with the client

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=False),
        sa.Column("person_hash", sa.String(length=64), nullable=False),
        sa.Column("shared_by", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("media_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("blob_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("first_read_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_read_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_shared_documents_booking_id_bookings")
        ),
        sa.ForeignKeyConstraint(
            ["shared_by"], ["users.id"], name=op.f("fk_shared_documents_shared_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shared_documents")),
        sa.UniqueConstraint("blob_id", name=op.f("uq_shared_documents_blob_id")),
    )
    op.create_index(op.f("ix_shared_documents_booking_id"), "shared_documents", ["booking_id"])
    op.create_index(op.f("ix_shared_documents_person_hash"), "shared_documents", ["person_hash"])


def downgrade() -> None:
    op.drop_table("shared_documents")
