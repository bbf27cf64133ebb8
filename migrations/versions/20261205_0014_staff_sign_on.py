"""staff single sign-on: the provider's subject a user is known by

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN and a unique index: rebuilding users, which every table refers to, could
    # not run on SQLite with foreign keys on (see 0009).
    op.add_column("users", sa.Column("sign_on_subject", sa.String(length=400), nullable=True))
    op.create_index("ix_users_sign_on_subject", "users", ["sign_on_subject"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_users_sign_on_subject", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("sign_on_subject")
