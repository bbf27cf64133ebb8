"""What the benchmark scripts share: the seeded unit with its caseworkers and meeting type, video
bookings written straight into the table, a fresh PostgreSQL database, a ``server.py serve``
process's environment and start-up, and small measuring helpers.

The scripts run as ``.venv/bin/python bench/bench_x.py``: each puts the repository root on
``sys.path`` and then imports ``bench.common``. The project's own modules are imported where
they are used, so that importing a script (``bench_video.py --serve`` does, before it patches
aioice) loads no more of the project than it did.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import socket
import subprocess
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

if TYPE_CHECKING:
    from accounts.service import AccountService
    from booking.models import Booking
    from calendars.service import CalendarService
    from core.db import Sessions

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-secret-key-0123456789abcdef0123"
DATA_KEY = "YmVuY2gtZGF0YS1rZXktMDEyMzQ1Njc4OWFiY2RlZjA="
PASSWORD = "benchmark-password"
# Where the PostgreSQL benchmarks create their database, unless KOHTAAMO_BENCH_POSTGRES says.
DEFAULT_POSTGRES = "postgresql+asyncpg://postgres@/test?host=/var/run/postgresql"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


# ---- PostgreSQL -------------------------------------------------------------------------------


def postgres_base_url() -> str:
    return os.environ.get("KOHTAAMO_BENCH_POSTGRES", DEFAULT_POSTGRES)


async def fresh_postgres(base_url: str) -> str:
    """A new, empty database on the server of ``base_url``; its URL."""
    name = f"kohtaamo_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(
        make_url(base_url).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(base_url).set(database=name).render_as_string(hide_password=False)


async def drop_postgres(database_url: str) -> None:
    url = make_url(database_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    await admin.dispose()


# ---- the data: a unit of caseworkers and its meeting type --------------------------------------


@dataclass
class BenchUnit:
    """The municipality "Benchmark" and its unit, in a freshly migrated database."""

    id: str
    sessions: Sessions
    accounts: AccountService
    calendars: CalendarService

    async def caseworker(self, email: str, name: str, password: str = PASSWORD) -> str:
        from accounts.service import SYSTEM
        from core.principal import Role

        user = await self.accounts.create_user(
            SYSTEM, email=email, name=name, role=Role.CASEWORKER, password=password, unit_id=self.id
        )
        return user.id

    async def open_caseworkers(self, count: int, password: str = PASSWORD) -> list[str]:
        """``count`` caseworkers ``cw<n>@example.com``, "Caseworker <nnn>", working 08–16
        (Helsinki) every day of the week."""
        from calendars.working_time import OpeningInterval

        every_day = [OpeningInterval(day, clock(8, 0), clock(16, 0)) for day in range(7)]
        made = []
        for number in range(count):
            user = await self.caseworker(
                f"cw{number}@example.com", f"Caseworker {number:03}", password
            )
            await self.calendars.set_working_hours(user, "Europe/Helsinki", every_day)
            made.append(user)
        return made

    async def video_meeting_type(
        self,
        names: tuple[str, str, str],
        *,
        duration_minutes: int,
        horizon_days: int,
        buffer_after_minutes: int = 0,
    ) -> str:
        """A video meeting type for the whole unit, bookable from now on (no minimum notice),
        one active booking per client; its id. ``names`` in Finnish, Swedish and English."""
        from accounts.service import SYSTEM
        from calendars.meeting_types import MeetingTypeFields

        name_fi, name_sv, name_en = names
        fields = MeetingTypeFields(
            name_fi=name_fi,
            name_sv=name_sv,
            name_en=name_en,
            duration_minutes=duration_minutes,
            slot_step_minutes=15,
            buffer_after_minutes=buffer_after_minutes,
            minimum_notice_minutes=0,
            horizon_days=horizon_days,
            modes=("video",),
            max_active_bookings_per_client=1,
        )
        return (await self.calendars.create_meeting_type(SYSTEM, fields, unit_id=self.id)).id


@contextlib.asynccontextmanager
async def bench_unit(database_url: str, threads: int) -> AsyncIterator[BenchUnit]:
    """Migrate the database and make the unit; ``threads`` hash the caseworkers' passwords."""
    from accounts.service import AccountService
    from calendars.service import CalendarService
    from core.data_keys import cipher_for
    from core.db import create_engine, create_sessionmaker, migrate
    from core.settings import Settings

    settings = Settings.from_env(
        {
            "KOHTAAMO_SECRET_KEY": SECRET,
            "KOHTAAMO_DATA_KEYS": DATA_KEY,
            "KOHTAAMO_DATABASE_URL": database_url,
        }
    )
    engine = create_engine(database_url, cipher_for(settings))
    await migrate(engine)
    sessions = create_sessionmaker(engine)
    executor = ThreadPoolExecutor(threads)
    try:
        accounts = AccountService(sessions, settings, executor)
        municipality = await accounts.organisation.ensure_municipality("Benchmark")
        unit = await accounts.organisation.ensure_unit(
            municipality, name_fi="Yksikkö", name_sv="Enhet", name_en="Unit"
        )
        yield BenchUnit(unit, sessions, accounts, CalendarService(sessions))
    finally:
        executor.shutdown()
        await engine.dispose()


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def video_booking(
    caseworker_id: str,
    meeting_type_id: str,
    starts_at: datetime,
    *,
    minutes: int,
    blocked_minutes: int | None = None,
    client_name: str,
    client_key: str,
    manage_token_hash: str,
) -> Booking:
    """A confirmed video booking (in Finnish) to write straight into the table, past the
    booking rules; it keeps the caseworker from ``blocked_minutes`` (default: the meeting)."""
    from booking.models import Booking

    return Booking(
        id=str(uuid.uuid4()),
        caseworker_id=caseworker_id,
        meeting_type_id=meeting_type_id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        blocked_from=starts_at,
        blocked_until=starts_at
        + timedelta(minutes=minutes if blocked_minutes is None else blocked_minutes),
        mode="video",
        language="fi",
        client_name=client_name,
        client_key=client_key,
        manage_token_hash=manage_token_hash,
        ical_uid=f"{uuid.uuid4()}@bench",
    )


def video_meeting(
    caseworker_id: str,
    meeting_type_id: str,
    starts_at: datetime,
    *,
    minutes: int,
    blocked_minutes: int | None = None,
    client_name: str,
    client: str,
) -> tuple[Booking, str]:
    """A video booking whose client joins with a manage token, and that token. ``client``
    stands for the client's email or phone (its hash is the booking's client key)."""
    token = secrets.token_urlsafe(32)
    booking = video_booking(
        caseworker_id,
        meeting_type_id,
        starts_at,
        minutes=minutes,
        blocked_minutes=blocked_minutes,
        client_name=client_name,
        client_key=sha256_hex(client),
        manage_token_hash=sha256_hex(token),
    )
    return booking, token


# ---- server processes ---------------------------------------------------------------------------


def server_environment(
    database_url: str, port: int, *, inherit_settings: bool = True, **settings: str
) -> dict[str, str]:
    """The environment of a ``server.py serve`` on ``port``: no booking rate limit, logging at
    WARNING, and ``settings`` (``login_attempt_limit="1000"`` is KOHTAAMO_LOGIN_ATTEMPT_LIMIT).
    Without ``inherit_settings``, no KOHTAAMO_ variable of this process is passed on."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if inherit_settings or not key.startswith("KOHTAAMO_")
    }
    environment.update(
        KOHTAAMO_DATABASE_URL=database_url,
        KOHTAAMO_SECRET_KEY=SECRET,
        KOHTAAMO_DATA_KEYS=DATA_KEY,
        KOHTAAMO_PORT=str(port),
        KOHTAAMO_BOOKING_RATE_LIMIT="0",  # 0: no limit (core/rate_limit.py)
        KOHTAAMO_LOG_LEVEL="WARNING",
    )
    environment.update({f"KOHTAAMO_{key.upper()}": value for key, value in settings.items()})
    return environment


async def wait_until_healthy(
    base: str,
    process: subprocess.Popen[bytes],
    within: float,
    name: str = "the server",
    log: Path | None = None,
) -> None:
    """Until ``base``/healthz answers 200. RuntimeError when the process exits first (with its
    ``log``, if there is one) or does not answer within ``within`` seconds."""
    async with aiohttp.ClientSession() as http:
        try:
            async with asyncio.timeout(within):
                while True:
                    if process.poll() is not None:
                        output = (
                            await asyncio.to_thread(log.read_text)
                            if log
                            else f"code {process.returncode}"
                        )
                        raise RuntimeError(f"{name} exited: {output}")
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(f"{base}/healthz") as answer:
                            if answer.status == 200:
                                return
                    await asyncio.sleep(0.1)
        except TimeoutError:
            raise RuntimeError(f"{name} did not start within {within:.0f} s") from None


def stop_process(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def hello_message(credential: dict[str, str] | None) -> dict[str, Any]:
    """A participant's first message on a meeting's WebSocket; staff send no credential."""
    hello: dict[str, Any] = {"type": "hello", "v": 1}
    if credential:
        hello["credential"] = credential
    return hello


async def close_websocket(
    ws: aiohttp.ClientWebSocketResponse, reader: asyncio.Task[None] | None
) -> None:
    """Close a participant's WebSocket and stop the task that reads it, whatever state either
    is in."""
    with contextlib.suppress(Exception):
        await ws.close()
    if reader is not None:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await reader


# ---- CPU time from /proc ----------------------------------------------------------------------


def stat_fields(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_seconds(pid: int, children: bool = False) -> float:
    """utime + stime (and, with ``children``, cutime + cstime of the children it has reaped);
    0 once the process is gone."""
    try:
        fields = stat_fields(pid)
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / CLOCK_TICKS


# ---- docs/benchmarks.md -------------------------------------------------------------------------


def replace_section(heading: str, lines: list[str]) -> None:
    """Put ``lines`` (starting with ``heading``) in place of that section of docs/benchmarks.md,
    or at its end when there is none yet."""
    document_path = ROOT / "docs" / "benchmarks.md"
    document = document_path.read_text(encoding="utf-8")
    block = "\n".join(lines).rstrip("\n") + "\n"
    start = document.find("\n" + heading)
    if start == -1:
        document_path.write_text(document.rstrip("\n") + "\n\n" + block, encoding="utf-8")
        return
    following = document.find("\n## ", start + 1)
    rest = "" if following == -1 else "\n" + document[following:].lstrip("\n")
    document_path.write_text(document[: start + 1] + block + rest, encoding="utf-8")


# ---- Redis ------------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def redis_server(workdir: Path) -> AsyncIterator[tuple[str, int]]:
    port = free_port()
    with (workdir / "redis.log").open("wb") as output:
        process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
    try:
        async with asyncio.timeout(20):
            while True:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"redis-server exited: {(workdir / 'redis.log').read_text()}"
                    )
                with contextlib.suppress(OSError):
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.write(b"PING\r\n")
                    answer = await reader.readline()
                    writer.close()
                    await writer.wait_closed()
                    if answer.startswith(b"+PONG"):
                        break
                await asyncio.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        stop_process(process)
