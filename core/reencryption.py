"""Moving every encrypted value to the newest data key (``server.py reencrypt``).

It runs while the service runs: table by table, in batches of one short transaction each, in
the order of the primary key, so it can stop anywhere and start again (values already under the
newest key are passed over). A value is rewritten only if it still holds what was read: a row
that the service changed meanwhile was written under the newest key already and is left alone.
When a whole pass finds nothing under an older key, the older keys are marked retired, and
``KOHTAAMO_DATA_KEYS`` can then drop them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from core.crypto import DataCipher
from core.data_keys import DataKey, retire_keys
from core.db import Sessions
from core.encrypted_columns import EncryptedBytes, EncryptedJSON, EncryptedText

ENCRYPTED_TYPES = (EncryptedText, EncryptedJSON, EncryptedBytes)
MAX_PASSES = 5


@dataclasses.dataclass
class Progress:
    rewritten: int = 0
    # Values found under the newest key by the last pass: all of them, once it is done.
    current: int = 0
    changed_meanwhile: int = 0
    retired_keys: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class EncryptedTable:
    """A table's encrypted columns, seen raw: the tokens, never decrypted by the column type."""

    name: str
    key: str
    purposes: dict[str, str]

    @property
    def raw(self) -> sa.TableClause:
        return sa.table(self.name, sa.column(self.key), *(sa.column(c) for c in self.purposes))


def encrypted_tables(metadata: sa.MetaData) -> list[EncryptedTable]:
    found = []
    for table in metadata.sorted_tables:
        purposes = {
            column.name: column.type.purpose
            for column in table.columns
            if isinstance(column.type, ENCRYPTED_TYPES)
        }
        if purposes:
            [key] = table.primary_key.columns
            found.append(EncryptedTable(table.name, key.name, purposes))
    return found


async def reencrypt(
    sessions: Sessions,
    cipher: DataCipher,
    metadata: sa.MetaData,
    *,
    batch: int = 500,
    report: Callable[[str, Progress], None] | None = None,
) -> Progress:
    progress = Progress()
    tables = encrypted_tables(metadata)
    for _ in range(MAX_PASSES):
        before = progress.rewritten + progress.changed_meanwhile
        progress.current = 0
        for table in tables:
            await _reencrypt_table(sessions, cipher, table, batch, progress)
            if report is not None:
                report(table.name, progress)
        if progress.rewritten + progress.changed_meanwhile == before:
            break  # a whole pass found nothing under an older key
    else:
        return progress  # the service keeps writing under an older key: keep them all
    async with sessions() as session:
        in_use = set(
            (
                await session.scalars(sa.select(DataKey.key_id).where(DataKey.retired_at.is_(None)))
            ).all()
        )
    older = in_use - {cipher.newest_key_id}
    if older:
        await retire_keys(sessions, older)
    progress.retired_keys = tuple(sorted(older))
    return progress


async def _reencrypt_table(
    sessions: Sessions, cipher: DataCipher, table: EncryptedTable, batch: int, progress: Progress
) -> None:
    raw = table.raw
    key = raw.c[table.key]
    last: Any = None
    while True:
        query = sa.select(raw).order_by(key).limit(batch)
        if last is not None:
            query = query.where(key > last)
        async with sessions.begin() as session:
            rows = (await session.execute(query)).all()
            if not rows:
                return
            for row in rows:
                stale = {
                    column: token
                    for column in table.purposes
                    if (token := getattr(row, column)) is not None and not cipher.is_current(token)
                }
                progress.current += sum(
                    getattr(row, column) is not None for column in table.purposes
                ) - len(stale)
                if not stale:
                    continue
                fresh = {
                    column: cipher.encrypt(
                        table.purposes[column], cipher.decrypt(table.purposes[column], token)
                    )
                    for column, token in stale.items()
                }
                unchanged = [raw.c[column] == token for column, token in stale.items()]
                changed = await session.execute(
                    sa.update(raw).where(key == getattr(row, table.key), *unchanged).values(fresh)
                )
                if changed.rowcount == 1:  # type: ignore[attr-defined]
                    progress.rewritten += len(fresh)
                else:
                    progress.changed_meanwhile += len(fresh)
            last = getattr(rows[-1], table.key)
