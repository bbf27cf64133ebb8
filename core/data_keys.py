"""Which data keys this database needs, checked at every start.

Every key that has encrypted something is recorded in ``data_keys`` when it first becomes the
newest; ``server.py reencrypt`` marks a key retired once nothing under it is left. A start whose
``KOHTAAMO_DATA_KEYS`` lacks a key still in use stops with a clear error rather than serve pages
that cannot read their own data.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import String, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.crypto import DataCipher, DataKeyError, development_keys
from core.db import Base, Sessions, UTCDateTime, utcnow
from core.settings import Settings

DEVELOPMENT_KEY_FILE = Path("var/data-keys")


class DataKey(Base):
    __tablename__ = "data_keys"

    key_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    first_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)


def cipher_for(settings: Settings) -> DataCipher:
    return DataCipher(settings.data_keys or development_keys(DEVELOPMENT_KEY_FILE))


async def check_data_keys(sessions: Sessions, cipher: DataCipher) -> None:
    """Refuse keys that cannot read what is stored; record the newest key as in use."""
    async with sessions() as session:
        in_use = (
            await session.scalars(select(DataKey.key_id).where(DataKey.retired_at.is_(None)))
        ).all()
    missing = sorted(set(in_use) - cipher.key_ids)
    if missing:
        raise DataKeyError(
            f"KOHTAAMO_DATA_KEYS lacks the key{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} that encrypted data in this database: add "
            f"{'them' if len(missing) > 1 else 'it'} back (older keys after the newest)"
        )
    if cipher.newest_key_id in in_use:
        return
    try:
        async with sessions.begin() as session:
            existing = await session.get(DataKey, cipher.newest_key_id)
            if existing is None:
                session.add(DataKey(key_id=cipher.newest_key_id))
            else:
                existing.retired_at = None  # an old key made newest again
    except IntegrityError:
        pass  # another instance recorded it first


async def retire_keys(sessions: Sessions, key_ids: set[str]) -> None:
    async with sessions.begin() as session:
        for key in await session.scalars(select(DataKey).where(DataKey.key_id.in_(key_ids))):
            key.retired_at = utcnow()
