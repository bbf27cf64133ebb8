"""keyed hashes for the person's-rights search

Revision ID: 0010
Revises: 0009

Bookings, outbox messages and concern reports get keyed hashes of the identifiers a person is
found by (core/lookup.py), and ``lookup_keys`` holds the hash key, encrypted under the data keys.
Bookings and outbox messages already stored get their hashes here (the data cipher comes from the
engine, as in 0009). Concern reports are encrypted with the report keys, which a migration does
not have: ``server.py reencrypt-reports`` fills their hashes (docs/operations.md).
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from alembic import op

from core.crypto import DataCipher
from core.encrypted_columns import CIPHER_ATTRIBUTE
from core.lookup import KEY_BYTES, THE_KEY, PersonHasher

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BATCH = 500

HASHES = {
    "bookings": ("client_email_hash", "client_phone_hash"),
    "notification_outbox": ("recipient_hash",),
    "concern_reports": ("reporter_email_hash", "reporter_phone_hash", "child_identity_hash"),
}


def upgrade() -> None:
    op.create_table(
        "lookup_keys",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lookup_keys")),
    )
    for table, columns in HASHES.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.add_column(sa.Column(column, sa.String(length=64), nullable=True))
                batch.create_index(f"ix_{table}_{column}", [column], unique=False)
    bind = op.get_bind()
    bookings = sa.table(
        "bookings",
        sa.column("id"),
        sa.column("client_email"),
        sa.column("client_phone"),
        sa.column("client_email_hash"),
        sa.column("client_phone_hash"),
    )
    outbox = sa.table(
        "notification_outbox",
        sa.column("id"),
        sa.column("channel"),
        sa.column("recipient"),
        sa.column("recipient_hash"),
    )
    if not _has_rows(bind, bookings) and not _has_rows(bind, outbox):
        return  # the service's first start makes the key
    cipher: DataCipher | None = getattr(bind.dialect, CIPHER_ATTRIBUTE, None)
    if cipher is None:
        raise RuntimeError("personal data to hash: migrate with `server.py migrate`")
    key = os.urandom(KEY_BYTES)
    bind.execute(
        sa.table("lookup_keys", sa.column("id"), sa.column("key"))
        .insert()
        .values(id=THE_KEY, key=cipher.encrypt("lookup", key))
    )
    jurisdiction = os.environ.get("KOHTAAMO_JURISDICTION", "fi")
    hasher = PersonHasher(key, "se" if jurisdiction == "se" else "fi")

    def booking_hashes(row: sa.Row[tuple[str, ...]]) -> dict[str, str | None]:
        email = row.client_email and cipher.decrypt_text("booking", row.client_email)
        phone = row.client_phone and cipher.decrypt_text("booking", row.client_phone)
        return {"client_email_hash": hasher.email(email), "client_phone_hash": hasher.phone(phone)}

    def outbox_hashes(row: sa.Row[tuple[str, ...]]) -> dict[str, str | None]:
        recipient = row.recipient and cipher.decrypt_text("outbox", row.recipient)
        return {"recipient_hash": hasher.contact(row.channel, recipient)}

    _fill(bind, bookings, booking_hashes)
    _fill(bind, outbox, outbox_hashes)


def _has_rows(bind: sa.Connection, table: sa.TableClause) -> bool:
    return bind.execute(sa.select(table.c.id).limit(1)).first() is not None


def _fill(bind: sa.Connection, table: sa.TableClause, hashes) -> None:  # type: ignore[no-untyped-def]
    last = ""
    while True:
        rows = bind.execute(
            sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
        ).all()
        if not rows:
            return
        for row in rows:
            bind.execute(sa.update(table).where(table.c.id == row.id).values(**hashes(row)))
        last = rows[-1].id


def downgrade() -> None:
    for table, columns in HASHES.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.drop_index(f"ix_{table}_{column}")
                batch.drop_column(column)
    op.drop_table("lookup_keys")
