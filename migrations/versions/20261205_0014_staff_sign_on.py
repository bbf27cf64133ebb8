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
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sign_on_subject", sa.String(length=400), nullable=True))
        batch.create_unique_constraint("uq_users_sign_on_subject", ["sign_on_subject"])


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_sign_on_subject", type_="unique")
        batch.drop_column("sign_on_subject")
