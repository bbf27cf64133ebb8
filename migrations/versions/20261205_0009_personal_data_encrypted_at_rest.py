"""personal data encrypted at rest

Revision ID: 0009
Revises: 0008

The columns that hold a client's or guest's personal data become text holding ciphertext
(core/crypto.py), and what they already hold is encrypted with the newest data key. The cipher
comes from the engine (``server.py`` migrates with the configured keys).

SQLite cannot change a column's type in place: the table is rebuilt (Alembic's batch mode). A
rebuilt table that other tables refer to (bookings) must be dropped and renamed with foreign
keys off, which SQLite allows only outside a transaction, so that part steps out of the
migration's transaction, checks the references afterwards, and steps back in.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from alembic import op

import core.db
from core.crypto import DataCipher
from core.encrypted_columns import CIPHER_ATTRIBUTE

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

BATCH = 500

# table -> column -> (purpose, old type, PostgreSQL's conversion to text)
ENCRYPTED: dict[str, dict[str, tuple[str, sa.types.TypeEngine[Any], str]]] = {
    "bookings": {
        "client_name": ("booking", sa.String(200), "client_name"),
        "client_email": ("booking", sa.String(320), "client_email"),
        "client_phone": ("booking", sa.String(20), "client_phone"),
        "answers": ("booking", sa.JSON(), "answers::text"),
        "cancel_reason": ("booking", sa.Text(), "cancel_reason"),
    },
    "notification_outbox": {
        "recipient": ("outbox", sa.String(320), "recipient"),
        "subject": ("outbox", sa.Text(), "subject"),
        "body_text": ("outbox", sa.Text(), "body_text"),
        "body_html": ("outbox", sa.Text(), "body_html"),
        "ics": ("outbox", sa.LargeBinary(), "encode(ics, 'base64')"),
    },
    "assessment_results": {
        "answers": ("assessment", sa.JSON(), "answers::text"),
        "score": ("assessment", sa.JSON(), "score::text"),
        "correction_reason": ("assessment", sa.String(1000), "correction_reason"),
    },
    "meeting_guests": {
        "display_name": ("meeting", sa.String(80), "display_name"),
    },
}
CHANGES_TYPE = {
    table: [name for name, (_, old, _) in columns.items() if not isinstance(old, sa.Text)]
    for table, columns in ENCRYPTED.items()
}


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("key_id", sa.String(length=12), nullable=False),
        sa.Column("first_used_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("retired_at", core.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_data_keys")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _with_sqlite_foreign_keys_off(_change_types_on_sqlite)
    else:
        _change_types_on_postgresql()
    cipher: DataCipher | None = getattr(bind.dialect, CIPHER_ATTRIBUTE, None)
    for table, columns in ENCRYPTED.items():
        _encrypt_table(bind, cipher, table, columns)


def _change_types_on_postgresql() -> None:
    for table, names in CHANGES_TYPE.items():
        for name in names:
            _purpose, old, using = ENCRYPTED[table][name]
            op.alter_column(table, name, existing_type=old, type_=sa.Text(), postgresql_using=using)


def _change_types_on_sqlite() -> None:
    for table, names in CHANGES_TYPE.items():
        with op.batch_alter_table(table, recreate="always") as batch:
            for name in names:
                batch.alter_column(name, existing_type=ENCRYPTED[table][name][1], type_=sa.Text())


def _with_sqlite_foreign_keys_off(change: Callable[[], None]) -> None:
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys=OFF")
    op.execute("BEGIN IMMEDIATE")
    change()
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"rebuilding tables broke references: {broken[:5]}")
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys=ON")
    op.execute("BEGIN IMMEDIATE")


def _plain(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def _encrypt_table(
    bind: sa.Connection,
    cipher: DataCipher | None,
    table: str,
    columns: dict[str, tuple[str, sa.types.TypeEngine[Any], str]],
) -> None:
    handle = sa.table(table, sa.column("id"), *(sa.column(name) for name in columns))
    last = ""
    while True:
        rows = bind.execute(
            sa.select(handle).where(handle.c.id > last).order_by(handle.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        if cipher is None:
            raise RuntimeError("personal data to encrypt: migrate with `server.py migrate`")
        for row in rows:
            values = {}
            for name, (purpose, old, _using) in columns.items():
                value = getattr(row, name)
                if value is None:
                    continue
                if isinstance(old, sa.LargeBinary) and bind.dialect.name == "postgresql":
                    value = base64.b64decode(value)  # encode(…, 'base64') in the type change
                # (SQLite's table rebuild casts the bytes to text as they were: UTF-8 .ics)
                values[name] = cipher.encrypt(purpose, _plain(value))
            if values:
                bind.execute(sa.update(handle).where(handle.c.id == row.id).values(**values))
        last = rows[-1].id


def downgrade() -> None:
    raise NotImplementedError("personal data stays encrypted; restore a backup to go back")
