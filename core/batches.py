"""Working through many rows a short transaction at a time (retention's deletions and erasures).

A long transaction over a big backlog would hold locks (all of SQLite's writes) for its whole
length; a batch at a time lets the service's own writes in between.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Sessions


async def in_batches(
    sessions: Sessions,
    ids: Select[str],
    act: Callable[[AsyncSession, list[str]], Awaitable[int]],
    batch: int,
) -> int:
    """``act`` on the ids that ``ids`` selects, ``batch`` of them a transaction, until none
    are left; ``act`` must take its rows out of ``ids``' reach (delete them, or change what
    ``ids`` selects on) and returns how many it handled. Returns the sum."""
    handled = 0
    while True:
        async with sessions.begin() as session:
            found = list(await session.scalars(ids.limit(batch)))
            if not found:
                return handled
            handled += await act(session, found)
        if len(found) < batch:
            return handled
