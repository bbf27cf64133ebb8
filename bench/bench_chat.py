"""The advice chat through real server processes on 127.0.0.1, sharing one Redis.

    .venv/bin/python bench/bench_chat.py [--instances 2] [--waiting 950] [--chatting 950]
                                         [--workers 100] [--messages 4] [--write]

Starts ``--instances`` ``server.py serve`` processes (one: on SQLite, without Redis; more: on a
fresh PostgreSQL database, with a ``redis-server`` of its own) with one chat open every day and
``--workers`` workers on duty (each holding up to 10 chats), spread round robin over the instances like
everyone else, and then:
- connects ``--chatting`` people whose chats the workers take and ``--waiting`` people who each
  write once and wait in the queue: with the workers' consoles, the connections;
- the servers' resident memory before and after they connect, per connection;
- message delivery: every chatting person sends ``--messages`` lines (one every 2 s), each
  timed from the send until the worker's console receives it, and the worker answers each, timed
  until the person receives it; p50 and p99 over all. With several instances most of them cross
  from one instance to the other through Redis (the desk runs on one, docs/chat.md);
- the CPU time of the servers and of Redis during the delivery round.

A public holiday (Finland) closes the chat: the script then says so and stops. Prints Markdown;
``--write`` replaces the section "## Advice chat" of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    PASSWORD,
    ROOT,
    bench_unit,
    drop_postgres,
    free_port,
    fresh_postgres,
    percentile,
    postgres_base_url,
    process_seconds,
    redis_server,
    replace_section,
    server_environment,
    stop_process,
    wait_until_healthy,
)

T = TypeVar("T")
HEADING = "## Advice chat (`bench/bench_chat.py`)"
SLUG = "bench-chat"
CAPACITY = 10
ROUND_SECONDS = 2.0


@dataclass
class Run:
    connections: int = 0
    rss_before_kib: int = 0
    rss_after_kib: int = 0
    connect_seconds: float = 0.0
    to_worker_ms: list[float] = field(default_factory=list)
    to_person_ms: list[float] = field(default_factory=list)
    delivery_cpu_seconds: float = 0.0
    delivery_seconds: float = 0.0
    redis_cpu_seconds: float = 0.0
    problems: Counter[str] = field(default_factory=Counter)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def seed(database_url: str, workers: int) -> None:
    from chat.service import ChatServices
    from core.settings import Settings

    async with bench_unit(database_url, threads=2) as unit:
        for number in range(workers):
            await unit.caseworker(f"cw{number}@example.com", f"Worker {number:03}")
        settings = Settings.from_env(
            {"KOHTAAMO_DATABASE_URL": database_url, "KOHTAAMO_SECRET_KEY": "x" * 32}
        )
        await ChatServices.for_settings(unit.sessions, settings).ensure_service(
            {
                "slug": SLUG,
                "names": {"fi": "Testichat", "sv": "Testchatt", "en": "Test chat"},
                "hours": {str(day): ["00:00", "23:59"] for day in range(7)},
                "capacity": CAPACITY,
                "unit_id": unit.id,
            }
        )


@contextlib.asynccontextmanager
async def servers(
    database_url: str, count: int, redis_url: str | None
) -> AsyncIterator[list[tuple[str, int]]]:
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    shared = {"redis_url": redis_url} if redis_url else {}
    try:
        for _ in range(count):
            port = free_port()
            environment = server_environment(
                database_url,
                port,
                login_attempt_limit="1000",
                # Every person of the load comes from 127.0.0.1.
                chat_connections_per_address="100000",
                chat_frames_per_address="10000000",
                **shared,
            )
            process = subprocess.Popen(
                [sys.executable, "server.py", "serve"], cwd=ROOT, env=environment
            )
            started.append((f"http://127.0.0.1:{port}", process))
        for base, process in started:
            await wait_until_healthy(base, process, within=30)
        yield [(base, process.pid) for base, process in started]
    finally:
        for _, process in started:
            stop_process(process)


@contextlib.asynccontextmanager
async def deployment(
    count: int, seed: Callable[[str], Awaitable[T]]
) -> AsyncIterator[tuple[T, list[tuple[str, int]], int | None]]:
    """``count`` servers with ``seed``'s data: one on SQLite without Redis, or several on a fresh
    PostgreSQL database sharing a ``redis-server`` of their own. Yields what ``seed`` returned,
    the servers' (base URL, pid) and Redis's pid (None without)."""
    with tempfile.TemporaryDirectory() as directory:
        if count == 1:
            database_url = f"sqlite+aiosqlite:///{directory}/bench.sqlite3"
            seeded = await seed(database_url)
            async with servers(database_url, 1, None) as instances:
                yield seeded, instances, None
            return
        database_url = await fresh_postgres(postgres_base_url())
        try:
            seeded = await seed(database_url)
            async with (
                redis_server(Path(directory)) as (redis_url, redis_pid),
                servers(database_url, count, redis_url) as instances,
            ):
                yield seeded, instances, redis_pid
        finally:
            await drop_postgres(database_url)


class Console:
    """A worker on duty: records when each person's line arrives and answers it."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse, run: Run) -> None:
        self.socket = socket
        self.run = run
        self.chats: list[str] = []
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.socket:
            message = json.loads(frame.data)
            if message["type"] == "error":
                self.run.problems[f"console error {message['code']}"] += 1
            if message["type"] == "chat":
                self.chats.append(message["chat"])
            elif message["type"] == "line" and message["from"] == "person":
                sent = float(message["text"].split()[0])
                self.run.to_worker_ms.append((time.perf_counter() - sent) * 1000)
                answer = f"{time.perf_counter()} answer"
                await self.socket.send_json(
                    {"type": "say", "chat": message["chat"], "text": answer}
                )
        self.run.problems[f"console closed {self.socket.close_code}"] += 1


class Person:
    def __init__(
        self, session: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse, run: Run
    ) -> None:
        self.session = session
        self.socket = socket
        self.run = run
        self.joined = asyncio.Event()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.socket:
            message = json.loads(frame.data)
            if message["type"] == "joined":
                self.joined.set()
            elif message["type"] == "line" and message["from"] == "worker":
                sent = float(message["text"].split()[0])
                self.run.to_person_ms.append((time.perf_counter() - sent) * 1000)


async def open_person(base: str, run: Run) -> Person:
    session = aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    await (await session.get(f"/chat/{SLUG}")).read()
    socket = await session.ws_connect("/api/v1/chat/ws", origin=base)
    await socket.send_json({"type": "hello", "v": 1, "service": SLUG})
    welcome = json.loads((await socket.receive()).data)
    if welcome["type"] != "welcome":
        raise RuntimeError(f"the chat refused a person: {welcome}")
    person = Person(session, socket, run)
    await socket.send_json({"type": "say", "text": "0 hei"})
    return person


async def open_console(
    base: str, number: int, run: Run, service_id: str
) -> tuple[aiohttp.ClientSession, Console]:
    session = aiohttp.ClientSession(base_url=base, cookie_jar=aiohttp.CookieJar(unsafe=True))
    login = await session.post(
        "/api/v1/auth/login", json={"email": f"cw{number}@example.com", "password": PASSWORD}
    )
    if login.status != 200:
        raise RuntimeError(f"login failed: {login.status}")
    socket = await session.ws_connect("/api/v1/chat/staff/ws", origin=base)
    await socket.send_json({"type": "hello", "v": 1})
    console = Console(socket, run)
    await socket.send_json({"type": "duty", "services": [service_id]})
    return session, console


async def measure(
    instances: list[tuple[str, int]], redis_pid: int | None, args: argparse.Namespace
) -> Run:
    run = Run()
    bases = [base for base, _ in instances]
    pids = [pid for _, pid in instances]
    async with aiohttp.ClientSession(base_url=bases[0]) as http:
        listing = await (await http.get("/api/v1/chat/services")).json()
    [service] = listing["services"]
    if not service["open_now"]:
        raise SystemExit("the chat is closed today (a public holiday): nothing to measure")
    run.rss_before_kib = sum(rss_kib(pid) for pid in pids)
    started = time.perf_counter()
    consoles = [
        await open_console(bases[n % len(bases)], n, run, service["id"])
        for n in range(args.workers)
    ]
    await asyncio.sleep(0.5)
    chatting = [await open_person(bases[n % len(bases)], run) for n in range(args.chatting)]
    # One take per worker a round, a round every 0.2 s: under each console's 10 frames a second.
    for first in range(0, args.chatting, args.workers):
        for index in range(first, min(first + args.workers, args.chatting)):
            await consoles[index % args.workers][1].socket.send_json({"type": "take"})
        await asyncio.sleep(0.2)
    try:
        await asyncio.wait_for(asyncio.gather(*(p.joined.wait() for p in chatting)), timeout=120)
    except TimeoutError:
        joined = sum(p.joined.is_set() for p in chatting)
        raise SystemExit(f"{joined} of {len(chatting)} chats taken; {dict(run.problems)}") from None
    waiting: list[Person] = []
    for start in range(0, args.waiting, 50):
        waiting += await asyncio.gather(
            *(
                open_person(bases[(start + n) % len(bases)], run)
                for n in range(min(50, args.waiting - start))
            )
        )
    run.connect_seconds = time.perf_counter() - started
    run.connections = args.workers + len(chatting) + len(waiting)
    await asyncio.sleep(2)
    run.rss_after_kib = sum(rss_kib(pid) for pid in pids)

    run.to_worker_ms.clear()
    cpu_before = sum(process_seconds(pid) for pid in pids)
    redis_before = process_seconds(redis_pid) if redis_pid else 0.0
    round_started = time.perf_counter()
    # Each person writes a line every ROUND_SECONDS, the lines spread evenly over the round: a
    # worker holding ten chats then answers five lines a second, under a console's limit of ten
    # frames a second.
    for _ in range(args.messages):
        for person in chatting:
            await person.socket.send_json({"type": "say", "text": f"{time.perf_counter()} kysymys"})
            await asyncio.sleep(ROUND_SECONDS / len(chatting))
    expected = args.messages * len(chatting)
    async with asyncio.timeout(60):
        while len(run.to_person_ms) < expected and not run.problems:  # noqa: ASYNC110 (counted by many readers)
            await asyncio.sleep(0.05)
    if run.problems:
        raise SystemExit(f"the delivery round went wrong: {dict(run.problems)}")
    run.delivery_seconds = time.perf_counter() - round_started
    run.delivery_cpu_seconds = sum(process_seconds(pid) for pid in pids) - cpu_before
    if redis_pid:
        run.redis_cpu_seconds = process_seconds(redis_pid) - redis_before

    for person in chatting + waiting:
        with contextlib.suppress(Exception):
            await person.socket.close()
        person.reader.cancel()
        await person.session.close()
    for session, console in consoles:
        await console.socket.close()
        console.reader.cancel()
        await session.close()
    return run


def report(run: Run, args: argparse.Namespace) -> list[str]:
    per_connection = (run.rss_after_kib - run.rss_before_kib) / max(
        1, run.connections - args.workers
    )
    where = (
        "one `server.py serve` on SQLite"
        if args.instances == 1
        else f"{args.instances} `server.py serve` processes on PostgreSQL sharing one "
        "`redis-server`, everyone spread over them round robin"
    )
    redis = f"; Redis {run.redis_cpu_seconds:.2f} s" if args.instances > 1 else ""
    return [
        HEADING,
        "",
        f"`{' '.join(['.venv/bin/python', 'bench/bench_chat.py', *sys.argv[1:]])}` on "
        f"{platform.machine()}, Python {platform.python_version()}, {where}, the load "
        "generator in another process on the same two cores.",
        "",
        "| Figure | Value |",
        "|---|---|",
        f"| Connections: people waiting + people in chats + workers' consoles | "
        f"{args.waiting} + {args.chatting} + {args.workers} = {run.connections} |",
        f"| Time to connect them all (each person opening the page first) | "
        f"{run.connect_seconds:.1f} s |",
        f"| Servers' memory (RSS, all instances) before → after | "
        f"{run.rss_before_kib / 1024:.0f} MiB → {run.rss_after_kib / 1024:.0f} MiB |",
        f"| Server memory per person connected | {per_connection:.0f} KiB |",
        f"| Person → worker, {len(run.to_worker_ms)} lines: p50 / p99 | "
        f"{percentile(run.to_worker_ms, 0.5):.1f} ms / "
        f"{percentile(run.to_worker_ms, 0.99):.1f} ms |",
        f"| Worker → person, {len(run.to_person_ms)} answers: p50 / p99 | "
        f"{percentile(run.to_person_ms, 0.5):.1f} ms / "
        f"{percentile(run.to_person_ms, 0.99):.1f} ms |",
        f"| CPU during the delivery round ({run.delivery_seconds:.1f} s) | "
        f"servers {run.delivery_cpu_seconds:.2f} s{redis} |",
        "",
        "Each line is timed from the moment the load generator sends it until the other side's "
        "socket hands it over, so the load generator's own scheduling is in the figures. Each "
        "person writes a line every 2 s and its worker answers it at once: a worker holding ten "
        "chats answers five lines a second, under a console's limit of ten frames a second.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--waiting", type=int, default=950)
    parser.add_argument("--chatting", type=int, default=950)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--messages", type=int, default=4)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    if args.chatting > args.workers * CAPACITY:
        parser.error(f"{args.workers} workers hold at most {args.workers * CAPACITY} chats")
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    async def go() -> Run:
        async with deployment(args.instances, lambda url: seed(url, args.workers)) as (
            _,
            instances,
            redis_pid,
        ):
            return await measure(instances, redis_pid, args)

    run = asyncio.run(go())
    lines = report(run, args)
    print("\n".join(lines))
    if args.write:
        replace_section(HEADING, lines)


if __name__ == "__main__":
    main()
