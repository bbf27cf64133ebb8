"""advice chats' exceptions to their weekly hours, and their own words on where else to turn

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chat_services") as batch:
        batch.add_column(
            sa.Column("hours_exceptions", sa.Text(), nullable=False, server_default="{}")
        )
        batch.add_column(sa.Column("other_help", sa.Text(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("chat_services") as batch:
        batch.drop_column("other_help")
        batch.drop_column("hours_exceptions")
