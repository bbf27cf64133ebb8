"""wellbeing plans made together: plans and their versions

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wellbeing_plans",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("person_hash", sa.String(length=64), nullable=False),
        sa.Column("unit_id", sa.String(length=36), nullable=False),
        sa.Column("caseworker_id", sa.String(length=36), nullable=False),
        sa.Column("booking_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_wellbeing_plans_unit_id_units")
        ),
        sa.ForeignKeyConstraint(
            ["caseworker_id"], ["users.id"], name=op.f("fk_wellbeing_plans_caseworker_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"], ["bookings.id"], name=op.f("fk_wellbeing_plans_booking_id_bookings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wellbeing_plans")),
    )
    op.create_index(op.f("ix_wellbeing_plans_person_hash"), "wellbeing_plans", ["person_hash"])
    op.create_index(op.f("ix_wellbeing_plans_booking_id"), "wellbeing_plans", ["booking_id"])
    op.create_table(
        "wellbeing_plan_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("plan_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("goals", sa.Text(), nullable=False),
        sa.Column("author_kind", sa.String(length=10), nullable=False),
        sa.Column("author_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["wellbeing_plans.id"],
            name=op.f("fk_wellbeing_plan_versions_plan_id_wellbeing_plans"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_wellbeing_plan_versions_author_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wellbeing_plan_versions")),
        sa.UniqueConstraint("plan_id", "number", name=op.f("uq_wellbeing_plan_versions_plan_id")),
    )
    op.create_index(
        op.f("ix_wellbeing_plan_versions_plan_id"), "wellbeing_plan_versions", ["plan_id"]
    )


def downgrade() -> None:
    op.drop_table("wellbeing_plan_versions")
    op.drop_table("wellbeing_plans")
