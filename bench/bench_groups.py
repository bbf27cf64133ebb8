"""A group discussion's fan-out: one message to everyone in a large session, through real servers.

    .venv/bin/python bench/bench_groups.py [--participants 300] [--messages 20] [--instances 2]
                                          [--write]

Starts ``--instances`` ``server.py serve`` processes (one: SQLite, no Redis; more: a fresh
PostgreSQL database and a ``redis-server`` of their own), a session going on now without
pre-moderation, its host on the first instance and ``--participants`` participants spread over
the instances round robin, each with a nickname. Then the host (every fourth) and participants
write ``--messages`` messages, one every 0.5 s; each is timed from its send until each participant's
socket hands it over: p50, p99 and the slowest over all deliveries. Also the servers' memory per
participant and their CPU per message. Prints Markdown; ``--write`` replaces the section
"## Group discussions" of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import resource
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_chat import deployment, rss_kib
from bench.common import (
    PASSWORD,
    bench_unit,
    percentile,
    process_seconds,
    replace_section,
)

HEADING = "## Group discussions (`bench/bench_groups.py`)"
HOST = "host@example.com"


@dataclass
class Run:
    deliveries_ms: list[float] = field(default_factory=list)
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    cpu_seconds: float = 0.0
    connect_seconds: float = 0.0
    sent: int = 0


async def seed(database_url: str, participants: int) -> str:
    from audit.service import AuditLog
    from core.settings import Settings
    from discussions.service import GroupSessions

    async with bench_unit(database_url, threads=2) as unit:
        host = await unit.caseworker(HOST, "Helena Host")
        settings = Settings.from_env(
            {"KOHTAAMO_DATABASE_URL": database_url, "KOHTAAMO_SECRET_KEY": "x" * 32}
        )
        sessions = GroupSessions(
            unit.sessions, unit.accounts, AuditLog(unit.sessions), settings.zone
        )
        now = datetime.now(UTC)
        return await sessions.ensure_session(
            unit.id,
            host,
            "Vanhemmuuden iltakoulu",
            description="Benchmark",
            language="fi",
            starts_at=now - timedelta(minutes=5),
            ends_at=now + timedelta(hours=2),
            capacity=participants,
            premoderation=False,
        )


class Member:
    def __init__(self, session: aiohttp.ClientSession, run: Run) -> None:
        self.session = session
        self.run = run
        self.socket: aiohttp.ClientWebSocketResponse | None = None
        self.reader: asyncio.Task[None] | None = None
        self.welcome = asyncio.Event()

    async def join(self, session_id: str, nickname: str | None) -> None:
        base = str(self.session._base_url)
        self.socket = await self.session.ws_connect("/api/v1/groups/ws", origin=base)
        hello: dict[str, object] = {"type": "hello", "v": 1, "session": session_id}
        if nickname:
            hello["nickname"] = nickname
        await self.socket.send_json(hello)
        self.reader = asyncio.get_running_loop().create_task(self._read())
        await asyncio.wait_for(self.welcome.wait(), timeout=30)

    async def _read(self) -> None:
        assert self.socket is not None
        async for frame in self.socket:
            message = json.loads(frame.data)
            if message["type"] == "welcome":
                self.welcome.set()
            elif message["type"] == "message" and message.get("text", "").startswith("t="):
                sent = float(message["text"].split()[0][2:])
                self.run.deliveries_ms.append((time.perf_counter() - sent) * 1000)

    async def close(self) -> None:
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()
        if self.reader is not None:
            self.reader.cancel()
        await self.session.close()


async def measure(
    instances: list[tuple[str, int]], session_id: str, args: argparse.Namespace
) -> Run:
    run = Run()
    bases = [base for base, _ in instances]
    pids = [pid for _, pid in instances]
    run.rss_before_kib = sum(rss_kib(pid) for pid in pids)
    started = time.perf_counter()
    host_http = aiohttp.ClientSession(base_url=bases[0], cookie_jar=aiohttp.CookieJar(unsafe=True))
    login = await host_http.post("/api/v1/auth/login", json={"email": HOST, "password": PASSWORD})
    if login.status != 200:
        raise RuntimeError(f"the host could not log in: {login.status}")
    host = Member(host_http, run)
    await host.join(session_id, None)
    people: list[Member] = []
    for first in range(0, args.participants, 25):
        batch = [
            Member(
                aiohttp.ClientSession(
                    base_url=bases[(first + n) % len(bases)],
                    cookie_jar=aiohttp.CookieJar(unsafe=True),
                ),
                run,
            )
            for n in range(min(25, args.participants - first))
        ]
        await asyncio.gather(
            *(m.join(session_id, f"Vanhempi {first + n:03}") for n, m in enumerate(batch))
        )
        people += batch
    run.connect_seconds = time.perf_counter() - started
    await asyncio.sleep(1)
    run.rss_after_kib = sum(rss_kib(pid) for pid in pids)

    run.deliveries_ms.clear()
    cpu_before = sum(process_seconds(pid) for pid in pids)
    # The host writes every fourth message, participants the others, each once: everyone under
    # the pace of five messages at once, then one every two seconds.
    for number in range(args.messages):
        writer = host if number % 4 == 0 else people[number % len(people)]
        assert writer.socket is not None
        await writer.socket.send_json({"type": "say", "text": f"t={time.perf_counter()} viesti"})
        run.sent += 1
        await asyncio.sleep(0.5)
    # Everyone receives each message (its writer too); wait until all have arrived.
    expected = run.sent * (len(people) + 1)
    try:
        async with asyncio.timeout(60):
            while len(run.deliveries_ms) < expected:  # noqa: ASYNC110 (counted by many readers)
                await asyncio.sleep(0.05)
    except TimeoutError:
        closed = sum(1 for m in people if m.socket is not None and m.socket.closed)
        raise SystemExit(
            f"{len(run.deliveries_ms)} of {expected} deliveries; {closed} sockets closed"
        ) from None
    run.cpu_seconds = sum(process_seconds(pid) for pid in pids) - cpu_before
    for member in [host, *people]:
        await member.close()
    return run


def report(run: Run, args: argparse.Namespace) -> list[str]:
    where = (
        "one `server.py serve` on SQLite"
        if args.instances == 1
        else f"{args.instances} `server.py serve` processes on PostgreSQL sharing one "
        "`redis-server`, the participants spread over them round robin"
    )
    per_member = (run.rss_after_kib - run.rss_before_kib) / max(1, args.participants)
    return [
        HEADING,
        "",
        f"`{' '.join(['.venv/bin/python', 'bench/bench_groups.py', *sys.argv[1:]])}` on "
        f"{platform.machine()}, Python {platform.python_version()}, {where}, the load "
        "generator in another process on the same two cores.",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| Participants + host | {args.participants} + 1 |",
        f"| Time to seat them all (25 joining at a time) | {run.connect_seconds:.1f} s |",
        f"| Servers' memory per participant | {per_member:.0f} KiB |",
        f"| Messages, each to everyone | {run.sent} × {args.participants + 1} = "
        f"{len(run.deliveries_ms)} deliveries |",
        f"| Send → each socket: p50 / p99 / slowest | {percentile(run.deliveries_ms, 0.5):.1f} ms"
        f" / {percentile(run.deliveries_ms, 0.99):.1f} ms / {max(run.deliveries_ms):.1f} ms |",
        f"| Servers' CPU per message | {run.cpu_seconds / max(1, run.sent) * 1000:.0f} ms |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=300)
    parser.add_argument("--messages", type=int, default=20)
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def go() -> Run:
        async with deployment(args.instances, lambda url: seed(url, args.participants)) as (
            session_id,
            instances,
            _,
        ):
            return await measure(instances, session_id, args)

    run = asyncio.run(go())
    lines = report(run, args)
    print("\n".join(lines))
    if args.write:
        replace_section(HEADING, lines)


if __name__ == "__main__":
    main()
