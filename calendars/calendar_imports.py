"""A caseworker's imported calendars: an uploaded .ics file or .ics addresses fetched again on a
schedule, stored as busy times (calendars/ics_import.py parses the files)."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from availability.slots import Interval
from calendars.caseworker_calendar import own_calendar
from calendars.ics_import import IcsImportError, parse_busy_times
from calendars.models import BusyTime, CalendarImport
from core.db import Sessions, utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Viewer

IMPORT_WINDOW_PAST = timedelta(days=7)
IMPORT_WINDOW_FUTURE = timedelta(days=400)

# Fetches an .ics address and returns its bytes; raises IcsImportError on failure.
IcsFetcher = Callable[[str], Awaitable[bytes]]
# The caseworker's time zone by id: floating times and all-day events are read in it.
ZoneOf = Callable[[str], Awaitable[str]]


@dataclasses.dataclass(frozen=True, slots=True)
class ImportInfo:
    id: str
    source_url: str | None
    busy_count: int
    imported_at: datetime | None
    last_error: str | None


class CalendarImports:
    def __init__(
        self,
        sessions: Sessions,
        time_zone_of: ZoneOf,
        fetch_ics: IcsFetcher | None = None,
        clock: Callable[[], datetime] = utcnow,
        executor: Executor | None = None,
    ) -> None:
        self._sessions = sessions
        self._time_zone_of = time_zone_of
        self._fetch_ics = fetch_ics
        self._clock = clock
        # Parsing and expanding a large calendar is CPU work: keep it off the event loop.
        self._executor = executor

    async def import_file(
        self, viewer: Viewer | None, caseworker_id: str, data: bytes
    ) -> ImportInfo:
        """Replace the busy times of the caseworker's uploaded file with this file's."""
        own_calendar(viewer, caseworker_id)
        busy = await self._parse(caseworker_id, data)
        async with self._sessions.begin() as session:
            row = await session.scalar(
                select(CalendarImport).where(
                    CalendarImport.caseworker_id == caseworker_id,
                    CalendarImport.source_url.is_(None),
                )
            )
            if row is None:
                row = CalendarImport(caseworker_id=caseworker_id)
                session.add(row)
                await session.flush()
            await self._replace_busy(session, row, busy)
            return _import_info(row)

    async def add_url_import(
        self, viewer: Viewer | None, caseworker_id: str, url: str
    ) -> ImportInfo:
        own_calendar(viewer, caseworker_id)
        url = url.strip()
        if not url.startswith(("https://", "http://", "webcal://")) or len(url) > 2000:
            raise ValidationFailed(
                {"url": N_("Enter the calendar's address, starting with https://.")}
            )
        url = "https://" + url.removeprefix("webcal://") if url.startswith("webcal://") else url
        try:
            busy = await self._parse(caseworker_id, await self._fetch(url))
        except IcsImportError as error:
            # The person typed an address: the problem belongs to that field.
            raise ValidationFailed({"url": error.fields["ics"]}) from None
        async with self._sessions.begin() as session:
            row = CalendarImport(caseworker_id=caseworker_id, source_url=url)
            session.add(row)
            await session.flush()
            await self._replace_busy(session, row, busy)
            return _import_info(row)

    async def refresh_url_imports(self) -> int:
        """Fetch every .ics address again; a failure keeps the busy times already imported."""
        async with self._sessions() as session:
            rows = (
                await session.scalars(
                    select(CalendarImport).where(CalendarImport.source_url.is_not(None))
                )
            ).all()
        refreshed = 0
        for row in rows:
            assert row.source_url is not None
            try:
                busy = await self._parse(row.caseworker_id, await self._fetch(row.source_url))
            except IcsImportError as error:
                async with self._sessions.begin() as session:
                    stored = await session.get(CalendarImport, row.id)
                    if stored is not None:
                        stored.last_error = error.fields["ics"]
                continue
            async with self._sessions.begin() as session:
                stored = await session.get(CalendarImport, row.id)
                if stored is not None:
                    await self._replace_busy(session, stored, busy)
                    refreshed += 1
        return refreshed

    async def imports(self, viewer: Viewer | None, caseworker_id: str) -> list[ImportInfo]:
        own_calendar(viewer, caseworker_id)
        async with self._sessions() as session:
            rows = await session.scalars(
                select(CalendarImport)
                .where(CalendarImport.caseworker_id == caseworker_id)
                .order_by(CalendarImport.created_at)
            )
            return [_import_info(row) for row in rows]

    async def remove_import(
        self, viewer: Viewer | None, caseworker_id: str, import_id: str
    ) -> None:
        own_calendar(viewer, caseworker_id)
        async with self._sessions.begin() as session:
            row = await session.get(CalendarImport, import_id)
            if row is None or row.caseworker_id != caseworker_id:
                raise NotFound()
            await session.execute(delete(BusyTime).where(BusyTime.import_id == import_id))
            await session.delete(row)

    async def _fetch(self, url: str) -> bytes:
        if self._fetch_ics is None:
            raise ValidationFailed({"url": N_("Calendar addresses cannot be fetched here.")})
        return await self._fetch_ics(url)

    async def _parse(self, caseworker_id: str, data: bytes) -> list[Interval]:
        zone = ZoneInfo(await self._time_zone_of(caseworker_id))
        now = self._clock()
        parse = functools.partial(
            parse_busy_times, data, now - IMPORT_WINDOW_PAST, now + IMPORT_WINDOW_FUTURE, zone
        )
        busy = await asyncio.get_running_loop().run_in_executor(self._executor, parse)
        return [Interval(item.start, item.end) for item in busy]

    async def _replace_busy(
        self, session: AsyncSession, row: CalendarImport, busy: Sequence[Interval]
    ) -> None:
        # Old and new busy times change in one transaction: a reader sees one set or the other.
        await session.execute(delete(BusyTime).where(BusyTime.import_id == row.id))
        session.add_all(
            BusyTime(
                import_id=row.id,
                caseworker_id=row.caseworker_id,
                starts_at=item.start,
                ends_at=item.end,
            )
            for item in busy
        )
        row.busy_count = len(busy)
        row.imported_at = self._clock()
        row.last_error = None


def _import_info(row: CalendarImport) -> ImportInfo:
    return ImportInfo(row.id, row.source_url, row.busy_count, row.imported_at, row.last_error)
