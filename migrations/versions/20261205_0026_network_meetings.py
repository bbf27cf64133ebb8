"""meeting types may be network meetings: their video goes through the SFU from the start

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN: rebuilding a table others refer to cannot run with SQLite's foreign
    # keys on (see 0009 and 0012).
    op.add_column(
        "meeting_types",
        sa.Column("network_meeting", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    with op.batch_alter_table("meeting_types") as batch:
        batch.drop_column("network_meeting")
