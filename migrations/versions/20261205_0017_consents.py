"""consents: what a client agreed to share with which unit, given and withdrawn

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consent_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_hash", sa.String(length=64), nullable=False),
        sa.Column("person_name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("recipient_unit_id", sa.String(length=36), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("given_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_unit_id"],
            ["units.id"],
            name=op.f("fk_consent_records_recipient_unit_id_units"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_records")),
    )
    op.create_index("ix_consent_records_person_kind", "consent_records", ["person_hash", "kind"])
    op.create_index(
        op.f("ix_consent_records_recipient_unit_id"), "consent_records", ["recipient_unit_id"]
    )


def downgrade() -> None:
    op.drop_table("consent_records")
