"""Several instances on one PostgreSQL and one Redis: real ``server.py serve`` processes.

    .venv/bin/python bench/bench_instances.py [--bookings 2000] [--rounds 2] [--messages 2000]
                                              [--write]

Creates a fresh PostgreSQL database (KOHTAAMO_BENCH_POSTGRES, default the local Unix socket;
dropped at the end unless --keep-database), starts its own ``redis-server`` on a free
127.0.0.1 port, and measures:

- signaling between a caseworker and an admitted client in one meeting, over plain
  WebSockets: a ``signal`` (an ICE candidate) sent by one, timed until the other receives it,
  alternately in each direction; (a) one instance without Redis, (b) one instance with Redis
  (the room is local; Redis only receives the room's saves), (c) two instances with Redis, the
  host on A and the client on B (every message relayed through Redis pub/sub); with the Redis
  commands each message caused (INFO commandstats);
- booking throughput: successful ``POST /api/v1/bookings`` (each a different free slot) from
  CONCURRENCY concurrent clients in this process, against one instance and against two
  (requests alternating between the two ports, as a round-robin balancer would), in rounds,
  with p50/p95 latency and the notification outbox left behind;
- while each measurement runs, the CPU time of every server process, of PostgreSQL (all its
  processes, finished backends included), of redis-server, of this load generator and of the
  whole machine (from /proc).

Each measurement waits for an idle machine first, and is taken again (up to ATTEMPTS times)
when other processes took a noticeable share of the CPU meanwhile. Prints Markdown;
``--write`` replaces (or appends) the section "## Several instances" of docs/benchmarks.md.
The servers and Redis listen on 127.0.0.1 only; every process started here is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import aiohttp
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

# Run as a script, so the repository root is not on the path by itself.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    CLOCK_TICKS,
    PASSWORD,
    ROOT,
    bench_unit,
    close_websocket,
    drop_postgres,
    free_port,
    fresh_postgres,
    hello_message,
    percentile,
    postgres_base_url,
    process_seconds,
    redis_server,
    replace_section,
    server_environment,
    stat_fields,
    stop_process,
    video_meeting,
    wait_until_healthy,
)

CONCURRENCY = 32
HELSINKI = ZoneInfo("Europe/Helsinki")
BOOKING_CASEWORKERS = 30
WARM_UP_BOOKINGS = 64  # per measurement, not counted: the servers' database pools fill up
WARM_UP_MESSAGES = 50
# One message each way in turn, a message every 12.5 ms: each connection sends 40 a second,
# under the server's limit of 50 a second per connection.
MESSAGE_SPACING = 0.0125
DOCUMENT = ROOT / "docs" / "benchmarks.md"
HEADING = "## Several instances"
COMMAND = ".venv/bin/python bench/bench_instances.py --write"
BANNER = ("kohtaamo: Running on ", "(Press CTRL+C to quit)")  # server.py's start-up lines
# The benchmark's own INFO commandstats connection, left out of the Redis command counts.
OUR_COMMANDS = frozenset({"info", "client|setinfo", "hello"})
QUIET_SHARE = 15.0  # % of a core: the machine counts as idle below this
# A measurement during which other processes took this much (% of a core) is taken again.
DISTURBED = 15.0
ATTEMPTS = 3


# ---- CPU time from /proc --------------------------------------------------------------------


def postmaster_pid() -> int:
    """The PostgreSQL server's main process: from its pid file, else the root of the postgres
    processes."""
    for pid_file in sorted(Path("/var/run/postgresql").glob("*.pid")):
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pid_file.read_text().split()[0])
            if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
                return pid
    postgres = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() == "postgres":
                    postgres[int(entry.name)] = int(stat_fields(int(entry.name))[1])
    roots = [pid for pid, parent in postgres.items() if parent not in postgres]
    if len(roots) != 1:
        raise RuntimeError(f"cannot tell the PostgreSQL server process among {sorted(postgres)}")
    return roots[0]


def postgres_seconds(postmaster: int) -> float:
    """CPU time of the whole PostgreSQL server: the postmaster, its live children (backends,
    background workers) and the children it has already reaped (finished backends)."""
    total = process_seconds(postmaster, children=True)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == str(postmaster):
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat_fields(int(entry.name))
            if int(fields[1]) == postmaster:
                total += (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return total


def every_process() -> dict[int, tuple[str, int, float]]:
    """Every process: its command, its parent and its CPU seconds (utime + stime)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                raw = (entry / "stat").read_text()
                command = raw[raw.index("(") + 1 : raw.rindex(")")]
                fields = raw.rsplit(")", 1)[1].split()
                seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
                found[int(entry.name)] = (command, int(fields[1]), seconds)
    return found


def machine_seconds() -> float:
    """Busy CPU time of the whole machine, all cores (everything but idle and iowait)."""
    numbers = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = numbers[:8]
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


async def quiet_machine(within: float = 120.0) -> float:
    """Wait (up to ``within`` seconds) until the machine is idle for a second; the busy share
    of the last second, in % of a core."""
    deadline = time.monotonic() + within
    while True:
        before, began = machine_seconds(), time.monotonic()
        await asyncio.sleep(1)
        busy = (machine_seconds() - before) / (time.monotonic() - began) * 100
        if busy < QUIET_SHARE:
            return busy
        if time.monotonic() > deadline:
            print(f"warning: the machine stays busy ({busy:.0f} % of a core)", file=sys.stderr)
            return busy
        print(f"waiting for a quiet machine ({busy:.0f} % of a core busy)", file=sys.stderr)


async def redis_calls(redis_url: str) -> dict[str, int]:
    """How many times each command has been called (INFO commandstats)."""
    client = Redis.from_url(redis_url)
    try:
        stats = await client.info("commandstats")
    finally:
        await client.aclose()
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


@dataclass
class Meter:
    """CPU shares (100 % = one core) of the processes that take part, over a window."""

    servers: dict[str, int]
    redis: int | None
    postmaster: int
    # The busiest processes of "other" in the last window: (command, % of a core).
    others: list[tuple[str, float]] = field(default_factory=list)

    def snapshot(self) -> dict[str, float]:
        taken = {name: process_seconds(pid) for name, pid in self.servers.items()}
        taken["PostgreSQL"] = postgres_seconds(self.postmaster)
        if self.redis:
            taken["Redis"] = process_seconds(self.redis)
        taken["load generator"] = process_seconds(os.getpid())
        taken["machine"] = machine_seconds()
        return taken

    def ours(self, pid: int, parent: int) -> bool:
        known = {*self.servers.values(), self.redis, self.postmaster, os.getpid()}
        return pid in known or parent == self.postmaster

    @contextlib.contextmanager
    def window(self, into: dict[str, float]) -> Iterator[None]:
        everyone = every_process()
        before = self.snapshot()
        began = time.monotonic()
        yield
        elapsed = time.monotonic() - began
        after = self.snapshot()
        for name, seconds in after.items():
            into[name] = (seconds - before[name]) / elapsed * 100
        into["other"] = into["machine"] - sum(
            share for name, share in into.items() if name not in ("machine", "other")
        )
        others = []
        for pid, (command, parent, seconds) in every_process().items():
            if not self.ours(pid, parent):
                used = (seconds - everyone.get(pid, (command, parent, 0.0))[2]) / elapsed * 100
                if used >= 1:
                    others.append((command, used))
        self.others = sorted(others, key=lambda other: -other[1])[:3]


# ---- the data ---------------------------------------------------------------------------------


@dataclass
class Meeting:
    id: str
    token: str
    host_email: str


@dataclass
class World:
    meeting_type: str
    caseworkers: list[str]
    first_day: date
    meetings: list[Meeting]
    slots_used: int = 0


async def prepare(database_url: str, meetings: int) -> World:
    """Caseworkers open 08–16 daily to be booked, and ``meetings`` video meetings starting in
    five minutes, each with a host of its own (PostgreSQL refuses overlapping bookings)."""
    async with bench_unit(database_url, threads=2) as unit:
        caseworkers = await unit.open_caseworkers(BOOKING_CASEWORKERS)
        meeting_type = await unit.video_meeting_type(
            ("Videotapaaminen", "Videomöte", "Video meeting"),
            duration_minutes=30,
            horizon_days=90,
            buffer_after_minutes=5,
        )
        starts_at = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=5)
        hosts = []
        for number in range(meetings):
            email = f"host{number}@example.com"
            hosts.append((await unit.caseworker(email, f"Hilkka Host {number}"), email))
        made = []
        async with unit.sessions.begin() as session:
            for number, (host, email) in enumerate(hosts):
                booking, token = video_meeting(
                    host,
                    meeting_type,
                    starts_at,
                    minutes=30,
                    blocked_minutes=35,
                    client_name=f"Video client {number}",
                    client=f"video-{number}",
                )
                session.add(booking)
                made.append(Meeting(booking.id, token, email))
    return World(
        meeting_type=meeting_type,
        caseworkers=caseworkers,
        first_day=datetime.now(UTC).date() + timedelta(days=2),
        meetings=made,
    )


def booking_bodies(world: World, count: int) -> list[dict[str, Any]]:
    """``count`` requests for slots nobody has taken yet: an hour apart (a 30-minute meeting
    and its 5-minute buffer never touch the next), spread over the caseworkers."""
    bodies = []
    for number in range(world.slots_used, world.slots_used + count):
        slot = number // len(world.caseworkers)
        day = world.first_day + timedelta(days=slot // 8)
        begins = datetime.combine(day, clock(8, 0), HELSINKI) + timedelta(hours=slot % 8)
        bodies.append(
            {
                "meeting_type_id": world.meeting_type,
                "caseworker_id": world.caseworkers[number % len(world.caseworkers)],
                "start": begins.isoformat(),
                "mode": "video",
                "language": "fi",
                "client": {"name": f"Client {number}", "email": f"c{number}@example.com"},
            }
        )
    world.slots_used += count
    return bodies


# ---- the processes ----------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    base: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def ws_url(self, meeting: Meeting) -> str:
        return f"{self.base.replace('http', 'ws', 1)}/api/v1/meetings/{meeting.id}/ws"

    def complaints(self) -> list[str]:
        """Log lines of level WARNING and above (the servers log nothing less)."""
        lines = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            if not line.strip() or line.startswith(BANNER):
                continue
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    line = f"{entry.get('level', '?')}: {entry.get('message', '')}"
                    if entry.get("traceback"):
                        line += f" [{str(entry['traceback']).strip().splitlines()[-1]}]"
            # The same message at another time is the same message.
            line = re.sub(r"next run at: [^)]*\)", "next run at: …)", line)
            lines.append(f"{self.name}: {line}")
        return lines


@contextlib.asynccontextmanager
async def server_process(
    name: str, database_url: str, workdir: Path, redis_url: str | None, started: list[Server]
) -> AsyncIterator[Server]:
    port = free_port()
    environment = server_environment(
        database_url,
        port,
        inherit_settings=False,
        host="127.0.0.1",
        login_attempt_limit="1000",
    )
    if redis_url:
        environment["KOHTAAMO_REDIS_URL"] = redis_url
    log = workdir / f"{name}-{port}.log"
    with log.open("wb") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "server.py", "serve"],
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log)
    started.append(server)
    try:
        await wait_until_healthy(server.base, process, within=60, name=name, log=log)
        yield server
    finally:
        stop_process(process)


# ---- bookings ---------------------------------------------------------------------------------


@dataclass
class BookingRun:
    instances: int
    created: int
    statuses: dict[int, int]
    per_second: float
    latencies: list[float]
    cpu: dict[str, float]
    others: list[tuple[str, float]]
    round: int = 1
    outbox_made: int = 0  # notification messages queued during the run
    outbox_pending: int = 0  # due but not yet sent at its end (the whole outbox)


async def book(
    servers: list[Server], bodies: list[dict[str, Any]], meter: Meter | None
) -> BookingRun:
    """POST every body, CONCURRENCY at a time, the n-th request to servers[n % len(servers)]."""
    pending = list(enumerate(bodies))
    pending.reverse()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    cpu: dict[str, float] = {}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as http:

        async def worker() -> None:
            while pending:
                number, body = pending.pop()
                url = f"{servers[number % len(servers)].base}/api/v1/bookings"
                started = time.perf_counter()
                async with http.post(url, json=body) as answer:
                    await answer.read()
                latencies.append((time.perf_counter() - started) * 1000)
                statuses[answer.status] = statuses.get(answer.status, 0) + 1

        with meter.window(cpu) if meter else contextlib.nullcontext():
            began = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
            elapsed = time.perf_counter() - began
    created = statuses.get(201, 0)
    others = meter.others if meter else []
    return BookingRun(len(servers), created, statuses, created / elapsed, latencies, cpu, others)


async def outbox_counts(database_url: str) -> tuple[int, int]:
    """Notification messages in the outbox: all, and those due but not yet sent (reminders
    wait for their time)."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    text(
                        "SELECT count(*), count(*) FILTER "
                        "(WHERE status = 'pending' AND send_after <= now()) "
                        "FROM notification_outbox"
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    return int(row[0]), int(row[1])


async def booking_throughput(
    servers: list[Server], world: World, count: int, meter: Meter, database_url: str
) -> BookingRun:
    warm = await book(servers, booking_bodies(world, WARM_UP_BOOKINGS), None)
    if warm.created != WARM_UP_BOOKINGS:
        raise RuntimeError(f"warm-up bookings answered {warm.statuses}")
    made_before, _ = await outbox_counts(database_url)
    run = await book(servers, booking_bodies(world, count), meter)
    made_after, run.outbox_pending = await outbox_counts(database_url)
    run.outbox_made = made_after - made_before
    return run


# ---- signaling --------------------------------------------------------------------------------


@dataclass
class Peer:
    """A participant on a plain WebSocket; every text frame is queued with its arrival time."""

    ws: aiohttp.ClientWebSocketResponse
    inbox: asyncio.Queue[tuple[float, dict[str, Any]]] = field(default_factory=asyncio.Queue)
    reader: asyncio.Task[None] | None = None
    you: str = ""
    closed_with: int | None = None

    @classmethod
    async def join(
        cls, http: aiohttp.ClientSession, url: str, credential: dict[str, str] | None
    ) -> tuple[Peer, dict[str, Any]]:
        ws = await http.ws_connect(url, timeout=aiohttp.ClientWSTimeout(ws_close=5))
        peer = cls(ws)
        peer.reader = asyncio.create_task(peer._read())
        await peer.send(hello_message(credential))
        _, welcome = await peer.expect("welcome")
        peer.you = welcome["you"]["id"]
        return peer, welcome

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send_str(json.dumps(message))

    async def expect(self, kind: str, within: float = 15) -> tuple[float, dict[str, Any]]:
        async with asyncio.timeout(within):
            while True:
                arrived, message = await self.inbox.get()
                if message["type"] == kind:
                    return arrived, message
                if message["type"] == "error":
                    raise RuntimeError(f"waiting for {kind}: {message}")

    async def _read(self) -> None:
        async for frame in self.ws:  # aiohttp answers the server's heartbeat pings itself
            if frame.type is aiohttp.WSMsgType.TEXT:
                self.inbox.put_nowait((time.perf_counter(), json.loads(frame.data)))
        self.closed_with = self.ws.close_code

    async def close(self) -> None:
        await close_websocket(self.ws, self.reader)


@dataclass
class SignalingRun:
    name: str
    latencies: list[float]
    cpu: dict[str, float]
    redis_calls: dict[str, int]  # during the measured messages
    others: list[tuple[str, float]]


def candidate(number: int) -> dict[str, Any]:
    return {
        "candidate": f"candidate:1 1 udp 2130706431 127.0.0.1 {10000 + number % 50000} typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }


async def signaling(
    name: str,
    host_at: Server,
    client_at: Server,
    meeting: Meeting,
    count: int,
    meter: Meter,
    redis_url: str | None,
) -> SignalingRun:
    """The host joins on ``host_at`` (its room runs there), the client on ``client_at``; once
    admitted, ``signal`` messages go host → client and client → host in turn, each timed from
    just before it is sent until the peer's reader has it."""
    staff = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    public = aiohttp.ClientSession()
    peers: list[Peer] = []
    try:
        login = {"email": meeting.host_email, "password": PASSWORD}
        async with staff.post(f"{host_at.base}/api/v1/auth/login", json=login) as answer:
            if answer.status != 200:
                raise RuntimeError(f"login failed: {answer.status} {await answer.text()}")
        host, _ = await Peer.join(staff, host_at.ws_url(meeting), None)
        peers.append(host)
        client, welcome = await Peer.join(
            public, client_at.ws_url(meeting), {"kind": "client", "token": meeting.token}
        )
        peers.append(client)
        if welcome["state"] != "lobby":
            raise RuntimeError(f"the client was not in the lobby: {welcome}")
        while True:
            _, lobby = await host.expect("lobby")
            if client.you in [person["id"] for person in lobby["waiting"]]:
                break
        await host.send({"type": "admit", "participant": client.you})
        await client.expect("admitted")
        await host.expect("peer-joined")
        latencies: list[float] = []
        cpu: dict[str, float] = {}

        async def exchange(number: int) -> float:
            sender, receiver = (host, client) if number % 2 == 0 else (client, host)
            sent = candidate(number)
            started = time.perf_counter()
            await sender.send({"type": "signal", "to": receiver.you, "candidate": sent})
            arrived, message = await receiver.expect("signal")
            if message["from"] != sender.you or message["candidate"] != sent:
                raise RuntimeError(f"out of order: sent {sent}, received {message}")
            return (arrived - started) * 1000

        async def paced(numbers: range, into: list[float] | None) -> None:
            next_at = time.perf_counter()
            for number in numbers:
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
                next_at = time.perf_counter() + MESSAGE_SPACING
                took = await exchange(number)
                if into is not None:
                    into.append(took)

        await paced(range(WARM_UP_MESSAGES), None)
        await asyncio.sleep(0.5)
        calls_before = await redis_calls(redis_url) if redis_url else {}
        with meter.window(cpu):
            await paced(range(WARM_UP_MESSAGES, WARM_UP_MESSAGES + count), latencies)
        await asyncio.sleep(0.5)  # the last saves
        calls = {}
        if redis_url:
            for command, total in (await redis_calls(redis_url)).items():
                if total - calls_before.get(command, 0) > 0:
                    calls[command] = total - calls_before.get(command, 0)
        for peer in peers:
            if peer.closed_with is not None:
                raise RuntimeError(f"a participant was closed with {peer.closed_with}")
        return SignalingRun(name, latencies, cpu, calls, meter.others)
    finally:
        await asyncio.gather(*(peer.close() for peer in peers))
        await staff.close()
        await public.close()


# ---- the report -------------------------------------------------------------------------------


def share(cpu: Mapping[str, float], name: str) -> str:
    return f"{cpu[name]:.0f} %" if name in cpu else "–"


def combined(runs: list[BookingRun]) -> BookingRun:
    """The rounds of one configuration together: mean rate and CPU, all latencies."""
    statuses: dict[int, int] = {}
    for run in runs:
        for status, count in run.statuses.items():
            statuses[status] = statuses.get(status, 0) + count
    return BookingRun(
        instances=runs[0].instances,
        created=sum(run.created for run in runs),
        statuses=statuses,
        per_second=statistics.mean(run.per_second for run in runs),
        latencies=[latency for run in runs for latency in run.latencies],
        cpu={name: statistics.mean(run.cpu[name] for run in runs) for name in runs[0].cpu},
        others=[],
        round=0,
        outbox_made=sum(run.outbox_made for run in runs),
        outbox_pending=runs[-1].outbox_pending,
    )


def booking_table(runs: list[BookingRun]) -> list[str]:
    lines = [
        "| instances | bookings | per second | p50 ms | p95 ms | instance A | instance B | PostgreSQL | Redis | load generator | other | machine (of 200 %) |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    rows = [*runs]
    for instances in sorted({run.instances for run in runs}):
        rows.append(combined([run for run in runs if run.instances == instances]))
    for run in rows:
        answers = ", ".join(f"{status}×{count}" for status, count in sorted(run.statuses.items()))
        name = f"{run.instances}, round {run.round}" if run.round else f"**{run.instances}, all**"
        lines.append(
            f"| {name} | {answers} | {run.per_second:.0f} | "
            f"{statistics.median(run.latencies):.0f} | {percentile(run.latencies, 0.95):.0f} | "
            f"{share(run.cpu, 'A')} | {share(run.cpu, 'B')} | {share(run.cpu, 'PostgreSQL')} | "
            f"{share(run.cpu, 'Redis')} | {share(run.cpu, 'load generator')} | "
            f"{share(run.cpu, 'other')} | {share(run.cpu, 'machine')} |"
        )
    return lines


def per_message(run: SignalingRun) -> str:
    shown = [
        f"{command.upper()} {calls / len(run.latencies):.2f}"
        for command, calls in sorted(run.redis_calls.items())
        if command not in OUR_COMMANDS
    ]
    return ", ".join(shown) or "–"


def signaling_table(runs: list[SignalingRun]) -> list[str]:
    lines = [
        "| setup | messages | p50 ms | p99 ms | instance A | instance B | Redis | PostgreSQL | load generator | Redis commands per message |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.name} | {len(run.latencies)} | {statistics.median(run.latencies):.2f} | "
            f"{percentile(run.latencies, 0.99):.2f} | {share(run.cpu, 'A')} | "
            f"{share(run.cpu, 'B')} | {share(run.cpu, 'Redis')} | "
            f"{share(run.cpu, 'PostgreSQL')} | {share(run.cpu, 'load generator')} | "
            f"{per_message(run)} |"
        )
    return lines


def findings(bookings: list[BookingRun], signals: list[SignalingRun]) -> list[str]:
    """What the figures say, worded from the measured numbers (3 to 6 sentences)."""
    one = combined([run for run in bookings if run.instances == 1])
    two = combined([run for run in bookings if run.instances == 2])
    cores = os.cpu_count() or 1
    python_two = two.cpu["A"] + two.cpu["B"]
    gain = two.per_second / one.per_second
    # CPU ms per booking; from the one-instance run, where the processes compete least.
    python_ms = one.cpu["A"] * 10 / one.per_second
    postgres_ms = one.cpu["PostgreSQL"] * 10 / one.per_second
    low, high = (
        min(run.per_second for run in bookings if run.instances == 1),
        max(run.per_second for run in bookings if run.instances == 1),
    )
    first = (
        f"With one instance, {one.per_second:.0f} bookings a second ("
        + (f"rounds {low:.0f} to {high:.0f}" if f"{low:.0f}" != f"{high:.0f}" else "each round")
        + ") keep that process at "
        f"{one.cpu['A']:.0f} % of a core while PostgreSQL uses {one.cpu['PostgreSQL']:.0f} % and "
        f"the machine is {one.cpu['machine'] / cores:.0f} % busy: "
    )
    if one.cpu["A"] >= 85:
        first += (
            "the single Python process, which can use only one core, is the limit, not the "
            "database."
        )
    else:
        first += "no single process is saturated."
    sentences = [first]
    second = (
        f"Two instances give {gain:.2f} times that ({two.per_second:.0f} a second, p95 "
        f"{percentile(two.latencies, 0.95):.0f} ms against {percentile(one.latencies, 0.95):.0f}"
        f" ms): the machine is then {two.cpu['machine'] / cores:.0f} % busy, the instances take "
        f"{python_two:.0f} % together, PostgreSQL {two.cpu['PostgreSQL']:.0f} % and the load "
        f"generator {two.cpu['load generator']:.0f} %"
    )
    if two.cpu["other"] >= 10:
        second += (
            f", and processes outside the benchmark another {two.cpu['other']:.0f} %, which "
            "makes this gain an underestimate"
        )
    if gain < 1.9:
        second += (
            f"; on {cores} cores a second instance only gets the CPU the first left idle, so "
            "it cannot double the rate here."
        )
    else:
        second += "; the second instance found almost a whole core idle."
    sentences.append(second)
    larger, smaller = (
        ("Python", "PostgreSQL") if python_ms >= postgres_ms else ("PostgreSQL", "Python")
    )
    sentences.append(
        f"Per booking the instance spends about {python_ms:.1f} ms of CPU and PostgreSQL about "
        f"{postgres_ms:.1f} ms, so {larger} is the next bottleneck: given more cores, one "
        f"instance core serves about {1000 / python_ms:.0f} bookings a second and one PostgreSQL "
        f"core about {1000 / postgres_ms:.0f}, so {smaller} becomes the limit only once {larger} "
        f"has about {max(python_ms, postgres_ms) / min(python_ms, postgres_ms):.0f} times as "
        f"many cores as it; Redis is idle during bookings ({two.cpu['Redis']:.1f} %)."
    )
    local, saved, relayed = signals
    rate = 1 / MESSAGE_SPACING
    redis_ms = relayed.cpu["Redis"] * 10 / rate
    saving_ms = (saved.cpu["A"] - local.cpu["A"]) * 10 / rate
    relay_ms = (relayed.cpu["A"] + relayed.cpu["B"] - local.cpu["A"]) * 10 / rate
    saves = saved.redis_calls.get("set", 0) / len(saved.latencies)
    if saves >= 0.5:
        cost = (
            f"the home saves the whole room to Redis after each message, a `signal` too "
            f"({saves:.2f} SET per message), which costs the instance about {saving_ms:.2f} ms "
            "of CPU per message"
        )
    else:
        cost = (
            f"a `signal` changes nothing in the room and is not saved ({saves:.2f} SET per "
            "message), so with the room local, configuring Redis costs "
            + (
                "no measurable CPU (within the noise of ±0.1 ms per message)"
                if abs(saving_ms) < 0.1
                else f"about {saving_ms:.2f} ms of CPU per message"
            )
        )
    sentences.append(
        f"Signaling takes {statistics.median(local.latencies):.2f} ms at the median on one "
        f"instance without Redis, {statistics.median(saved.latencies):.2f} ms with Redis "
        f"configured and {statistics.median(relayed.latencies):.2f} ms relayed through Redis "
        f"to the other instance (p99 {percentile(relayed.latencies, 0.99):.2f} ms); {cost}, "
        f"while relaying (a PUBLISH per message) costs the two instances together about "
        f"{relay_ms:.2f} ms of CPU per message more than one instance serving the room alone."
    )
    python_side = "the Python side of the relay" + (
        " and the per-message save" if saves >= 0.5 else ""
    )
    sentences.append(
        f"Redis itself spent about {redis_ms:.2f} ms of CPU per relayed message "
        f"({relayed.cpu['Redis']:.1f} % of a core at {rate:.0f} messages a second), roughly "
        f"{1000 / redis_ms if redis_ms > 0 else float('inf'):.0f} messages a second per core, "
        + (
            "less than the instances spend on the same message, and far less than a booking "
            "costs in Python and PostgreSQL: Redis is not the next bottleneck; "
            f"{python_side} would be, long before it."
            if redis_ms < relay_ms
            else "as much as the instances spend on the same message: at a few thousand "
            "relayed messages a second Redis would be the first to saturate a core."
        )
    )
    return sentences


def outbox_note(bookings: list[BookingRun]) -> str:
    from notifications.routes import DRAIN_BATCH, DRAIN_SECONDS

    made = sum(run.outbox_made for run in bookings)
    booked = sum(run.created for run in bookings)
    last = bookings[-1]
    return (
        f"Instance A leads: it runs the scheduler and sends the notification outbox, also "
        f"during these figures. The bookings queued {made} notification messages "
        f"({made / booked:.1f} per booking"
        + (
            ": the confirmation, the caseworker's notice and two reminders for later"
            if made == 4 * booked
            else ""
        )
        + f"); every {DRAIN_SECONDS} s the leader sends what is due in batches of "
        f"{DRAIN_BATCH}, one after another until a batch is not full or {DRAIN_SECONDS} s have "
        f"passed. After the last round {last.outbox_pending} messages that were due had not "
        "been sent yet."
    )


def interference(named: list[tuple[str, dict[str, float], list[tuple[str, float]]]]) -> list[str]:
    """A note on the other processes that were busy during a measurement, if any were."""
    busy = [
        f"{name}: {cpu['other']:.0f} % ("
        + (", ".join(f"{command} {used:.0f} %" for command, used in others) or "kernel")
        + ")"
        for name, cpu, others in named
        if cpu["other"] >= 10
    ]
    if not busy:
        return []
    return [
        "",
        'Not ours, but busy on the same machine during the measurements ("other"): '
        + "; ".join(busy)
        + ".",
    ]


def section(
    bookings: list[BookingRun],
    signals: list[SignalingRun],
    count: int,
    messages: int,
    took: float,
    complaints: list[str],
    idle: float,
) -> list[str]:
    cores = os.cpu_count()
    lines = [
        HEADING + " (`bench/bench_instances.py`)",
        f"Run on {datetime.now(UTC).date()} on the project machine ({cores} cores, Python "
        f"{platform.python_version()}, PostgreSQL local on its Unix socket, redis-server "
        f"{redis_version()}) with `{COMMAND}` ({took / 60:.0f} min {took % 60:.0f} s). Real "
        "`server.py serve` processes on 127.0.0.1 share one fresh PostgreSQL database and a "
        "redis-server started by the script (`KOHTAAMO_REDIS_URL`; no persistence). The load "
        "comes from this script's process on the same cores. Figures from one run of the "
        "script; the booking figures are taken in rounds (one instance, then two, in turn). "
        "Separate runs of the script on this virtual machine have given booking rates up to a "
        "quarter apart, so compare the rows of one run rather than figures across runs. CPU is "
        "measured from /proc over each measurement, 100 % = one core; PostgreSQL is all its "
        'processes (finished backends included); "other" is the rest of the machine. '
        + (
            f"The machine was idle (under {QUIET_SHARE:.0f} % of a core busy) just before each "
            "measurement."
            if idle < QUIET_SHARE
            else f"The machine was not idle: up to {idle:.0f} % of a core was busy just before "
            "a measurement (another session's tests)."
        ),
        "",
        f"**Bookings** ({count} successful `POST /api/v1/bookings` per round, each a different "
        f"free slot of {BOOKING_CASEWORKERS} caseworkers; {CONCURRENCY} concurrent clients; with "
        "two instances the requests alternate between them, as a round-robin balancer would; "
        f"{WARM_UP_BOOKINGS} bookings beforehand warm the servers up; every instance has Redis "
        "configured; the **all** rows give the mean rate and CPU of the rounds and the "
        "percentiles over all their requests):",
        "",
        *booking_table(bookings),
        "",
        outbox_note(bookings),
        *interference(
            [
                (f"{run.instances} instance(s), round {run.round}", run.cpu, run.others)
                for run in bookings
            ]
        ),
        "",
        f"**Signaling** ({messages} `signal` messages carrying an ICE candidate between the "
        "caseworker and the admitted client of one meeting, alternately host → client and "
        f"client → host, one every {MESSAGE_SPACING * 1000:g} ms; each timed from just before "
        "sending until the other "
        "participant's WebSocket has it; plain aiohttp WebSockets, no media):",
        "",
        *signaling_table(signals),
        *interference([(run.name[:3], run.cpu, run.others) for run in signals]),
        "",
        "### What the figures say",
        *(f"- {sentence}" for sentence in findings(bookings, signals)),
    ]
    if complaints:
        counted: dict[str, int] = {}
        for line in complaints:
            counted[line] = counted.get(line, 0) + 1
        lines += ["", "Server log lines at WARNING or above during the run:", ""]
        lines += [f"    {line} (×{times})" for line, times in counted.items()]
        if any("outbox drain" in line and "CancelledError" in line for line in complaints):
            lines += [
                "",
                "The error comes from stopping instance A with the outbox still full: "
                "APScheduler 3's asyncio executor cancels a running job on shutdown "
                "(`wait=False` or not), so the leader's drain in flight is cancelled rather "
                "than finished, as `step_down` in notifications/routes.py expects. A cancellation "
                "that meets a commit is held until the commit is done (SQLAlchemy), but one "
                "that meets a send (SMTP, SMS) leaves that message claimed, to be sent again "
                "once the claim goes stale (10 minutes).",
            ]
    return lines


def redis_version() -> str:
    answer = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=True
    ).stdout
    for part in answer.split():
        if part.startswith("v="):
            return part[2:]
    return answer.strip()


def write_section(lines: list[str]) -> None:
    replace_section(HEADING, lines)


# ---- the run ----------------------------------------------------------------------------------


Measured = TypeVar("Measured", SignalingRun, BookingRun)


@dataclass
class Run:
    """Everything one run of the script measures, in the order it is measured."""

    database_url: str
    workdir: Path
    world: World
    postmaster: int
    messages: int
    bookings_per_run: int
    rounds: int
    signals: list[SignalingRun] = field(default_factory=list)
    bookings: list[BookingRun] = field(default_factory=list)
    started: list[Server] = field(default_factory=list)
    quiet: list[float] = field(default_factory=list)  # busy share before each measurement

    async def undisturbed(self, name: str, measure: Callable[[], Awaitable[Measured]]) -> Measured:
        """Measure on a quiet machine; again (at most ATTEMPTS times in all) while other
        processes took DISTURBED % of a core or more meanwhile. The least disturbed attempt."""
        best: Measured | None = None
        for attempt in range(ATTEMPTS):
            print(f"{name} (attempt {attempt + 1})", file=sys.stderr, flush=True)
            self.quiet.append(await quiet_machine())
            result = await measure()
            if best is None or result.cpu["other"] < best.cpu["other"]:
                best = result
            if result.cpu["other"] < DISTURBED:
                break
            print(
                f"disturbed: other processes took {result.cpu['other']:.0f} % of a core "
                f"({result.others})",
                file=sys.stderr,
            )
        assert best is not None
        return best

    async def signaling(
        self, name: str, host_at: Server, client_at: Server, meter: Meter, redis_url: str | None
    ) -> None:
        def measure() -> Awaitable[SignalingRun]:
            meeting = self.world.meetings.pop()
            return signaling(name, host_at, client_at, meeting, self.messages, meter, redis_url)

        self.signals.append(await self.undisturbed(name, measure))

    async def book(self, servers: list[Server], meter: Meter, round: int) -> None:
        def measure() -> Awaitable[BookingRun]:
            return booking_throughput(
                servers, self.world, self.bookings_per_run, meter, self.database_url
            )

        run = await self.undisturbed(
            f"bookings, {len(servers)} instance(s), round {round}", measure
        )
        run.round = round
        self.bookings.append(run)

    def server(
        self, name: str, redis_url: str | None
    ) -> contextlib.AbstractAsyncContextManager[Server]:
        return server_process(name, self.database_url, self.workdir, redis_url, self.started)

    async def everything(self) -> None:
        async with self.server("solo", None) as solo:
            meter = Meter({"A": solo.pid}, None, self.postmaster)
            await self.signaling("(a) one instance, no Redis", solo, solo, meter, None)
        # Signaling before any booking: the leader (A) drains the bookings' notification
        # outbox after them, which would be counted as the room's cost.
        async with (
            redis_server(self.workdir) as (redis_url, redis_pid),
            self.server("a", redis_url) as a,
        ):
            meter = Meter({"A": a.pid}, redis_pid, self.postmaster)
            await self.signaling(
                "(b) one instance, Redis configured (room local)", a, a, meter, redis_url
            )
            async with self.server("b", redis_url) as b:
                meter = Meter({"A": a.pid, "B": b.pid}, redis_pid, self.postmaster)
                await self.signaling(
                    "(c) two instances: host on A, client on B (relayed through Redis)",
                    a,
                    b,
                    meter,
                    redis_url,
                )
            # One instance, then two, in turn: runs on this machine vary from one to the next.
            for round in range(1, self.rounds + 1):
                meter = Meter({"A": a.pid}, redis_pid, self.postmaster)
                await self.book([a], meter, round)
                async with self.server("b", redis_url) as b:
                    meter = Meter({"A": a.pid, "B": b.pid}, redis_pid, self.postmaster)
                    await self.book([a, b], meter, round)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2, help="booking runs per configuration")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--write", action="store_true", help=f"update {DOCUMENT.name}")
    arguments = parser.parse_args()
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="kohtaamo-bench-instances-"))
    database_url = await fresh_postgres(postgres_base_url())
    try:
        world = await prepare(database_url, meetings=3 * ATTEMPTS)
        print("prepared", file=sys.stderr, flush=True)
        run = Run(
            database_url,
            workdir,
            world,
            postmaster_pid(),
            arguments.messages,
            arguments.bookings,
            arguments.rounds,
        )
        await run.everything()
    finally:
        if not arguments.keep_database:
            await drop_postgres(database_url)
    complaints = [line for server in run.started for line in server.complaints()]
    if not complaints:
        shutil.rmtree(workdir, ignore_errors=True)
    for booked in run.bookings:
        if booked.created != arguments.bookings:
            print(f"warning: only {booked.created} of {arguments.bookings} bookings succeeded")
    lines = section(
        run.bookings,
        run.signals,
        arguments.bookings,
        arguments.messages,
        time.monotonic() - began,
        complaints,
        max(run.quiet),
    )
    print("\n".join(lines))
    if arguments.write:
        write_section(lines)
        print(f"\nwritten to {DOCUMENT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    asyncio.run(main())
