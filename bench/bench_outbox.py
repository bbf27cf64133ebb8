"""The outbox's sending rate: a burst of messages to a real SMTP server, across a leader change.

    .venv/bin/python bench/bench_outbox.py [--messages 10000] [--recipients 2000]
                                           [--database sqlite|postgresql|both] [--write]

Writes ``--messages`` confirmations (``--recipients`` people, each getting theirs in order) to a
fresh database's outbox, starts an SMTP server in a process of its own on 127.0.0.1 (aiosmtpd,
writing down each message's recipient and subject), and drains the outbox as the leader does:
batches of 100 over ``KOHTAAMO_SMTP_CONNECTIONS`` (4) connections. Halfway through, the leader
steps down the way ``notifications/routes.py`` does (its drain finishes and marks what it sent)
and a second sender carries on. Then it checks the server's log: every message exactly once, and
each recipient's in the order written. Prints Markdown; ``--write`` replaces the section
"## Outbox" of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    DATA_KEY,
    SECRET,
    drop_postgres,
    free_port,
    fresh_postgres,
    postgres_base_url,
    replace_section,
    stop_process,
)

HEADING = "## Outbox (`bench/bench_outbox.py`)"
BATCH = 100

# The SMTP server: appends "recipient<TAB>subject" for every message it accepts.
SINK = """
import sys, time
from aiosmtpd.controller import Controller
from email import message_from_bytes
out = open(sys.argv[2], "a", buffering=1)
class Handler:
    async def handle_DATA(self, server, session, envelope):
        subject = message_from_bytes(envelope.content)["Subject"]
        out.write(f"{envelope.rcpt_tos[0]}\\t{subject}\\n")
        return "250 OK"
controller = Controller(Handler(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
while True:
    time.sleep(3600)
"""


@dataclass
class Run:
    database: str
    seconds: float
    cpu_seconds: float
    received: int
    duplicates: int
    out_of_order: int
    leader_change_at: int


@contextlib.asynccontextmanager
async def smtp_sink(directory: Path) -> AsyncIterator[tuple[int, Path]]:
    port = free_port()
    log = directory / "received.tsv"
    log.touch()
    process = subprocess.Popen([sys.executable, "-c", SINK, str(port), str(log)])
    try:
        async with asyncio.timeout(20):
            while True:
                with contextlib.suppress(OSError):
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    break
                await asyncio.sleep(0.05)
        yield port, log
    finally:
        stop_process(process)


async def fill(database_url: str, messages: int, recipients: int) -> None:
    from core.data_keys import cipher_for
    from core.db import create_engine, create_sessionmaker, migrate, utcnow
    from core.lookup import PersonHasher
    from core.settings import Settings
    from notifications.models import OutboxMessage

    settings = Settings.from_env(
        {"KOHTAAMO_DATABASE_URL": database_url, "KOHTAAMO_SECRET_KEY": SECRET,
         "KOHTAAMO_DATA_KEYS": DATA_KEY}
    )  # fmt: skip
    engine = create_engine(database_url, cipher_for(settings))
    await migrate(engine)
    sessions = create_sessionmaker(engine)
    hasher = PersonHasher(b"bench lookup key, 32 bytes long.")
    start = utcnow() - timedelta(hours=1)
    per_recipient = messages // recipients
    rows = [
        OutboxMessage(
            idempotency_key=f"bench:{person}:{n}",
            kind="confirmation",
            channel="email",
            recipient=f"person{person}@example.com",
            language="fi",
            subject=f"{person} {n}",
            body_text="Aikasi on varattu. " * 20,
            send_after=start + timedelta(milliseconds=n * recipients + person),
            created_at=start + timedelta(milliseconds=n * recipients + person),
        )
        for n in range(per_recipient)
        for person in range(recipients)
    ]
    # What outbox.add writes, without its lookup of each key (they are all new).
    for first in range(0, len(rows), 1000):
        async with sessions.begin() as session:
            for row in rows[first : first + 1000]:
                row.recipient_hash = hasher.contact(row.channel, row.recipient)
            session.add_all(rows[first : first + 1000])
    await engine.dispose()


async def drain_as_leader(database_url: str, port: int, total: int, log: Path) -> Run:
    from core.data_keys import cipher_for
    from core.db import create_engine, create_sessionmaker
    from core.settings import Settings
    from notifications.outbox import OutboxSender
    from notifications.senders import SmtpSender

    settings = Settings.from_env(
        {"KOHTAAMO_DATABASE_URL": database_url, "KOHTAAMO_SECRET_KEY": SECRET,
         "KOHTAAMO_DATA_KEYS": DATA_KEY, "KOHTAAMO_SMTP_HOST": "127.0.0.1",
         "KOHTAAMO_SMTP_PORT": str(port)}
    )  # fmt: skip
    engine = create_engine(database_url, cipher_for(settings))
    sessions = create_sessionmaker(engine)

    def received() -> int:
        return sum(1 for _ in log.open())

    async def lead(sender: OutboxSender) -> None:
        while True:
            result = await sender.drain(BATCH)
            if result.sent + result.retried + result.failed + result.expired == 0:
                return

    cpu = time.process_time()
    started = time.perf_counter()
    first_email = SmtpSender(settings)
    first = OutboxSender(sessions, {"email": first_email})
    leading = asyncio.get_running_loop().create_task(lead(first))
    while received() < total // 2 and not leading.done():  # noqa: ASYNC110 (a file, not an event)
        await asyncio.sleep(0.05)
    # The leader steps down: its drain is let finish (shielded), as in step_down.
    leading.cancel()
    await first.idle()
    await first_email.close()
    changed_at = received()
    second_email = SmtpSender(settings)
    await lead(OutboxSender(sessions, {"email": second_email}))
    await second_email.close()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    await engine.dispose()

    lines = [line.rstrip("\n").split("\t") for line in log.open()]
    counted = Counter(subject for _, subject in lines)
    last: dict[str, int] = {}
    out_of_order = 0
    for _, subject in lines:
        person, n = subject.split()
        if int(n) < last.get(person, -1):
            out_of_order += 1
        last[person] = int(n)
    return Run(
        database="",
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        received=len(lines),
        duplicates=sum(times - 1 for times in counted.values()),
        out_of_order=out_of_order,
        leader_change_at=changed_at,
    )


async def one(database: str, args: argparse.Namespace) -> Run:
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        if database == "sqlite":
            database_url = f"sqlite+aiosqlite:///{workdir}/bench.sqlite3"
        else:
            database_url = await fresh_postgres(postgres_base_url())
        try:
            await fill(database_url, args.messages, args.recipients)
            async with smtp_sink(workdir) as (port, log):
                run = await drain_as_leader(database_url, port, args.messages, log)
        finally:
            if database != "sqlite":
                await drop_postgres(database_url)
    run.database = database
    return run


def report(runs: list[Run], args: argparse.Namespace) -> list[str]:
    lines = [
        HEADING,
        "",
        f"`{' '.join(['.venv/bin/python', 'bench/bench_outbox.py', *sys.argv[1:]])}` on "
        f"{platform.machine()}, Python {platform.python_version()}: {args.messages} messages to "
        f"{args.recipients} recipients ({args.messages // args.recipients} each, in order), "
        "an aiosmtpd server in its own process on the same two cores, 4 SMTP connections, "
        "batches of 100, a leader change halfway.",
        "",
        "| Database | Messages/s | Sender CPU per message | Received | Twice | Out of order "
        "| Leader change after |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        lines.append(
            f"| {run.database} | {run.received / run.seconds:.0f} | "
            f"{run.cpu_seconds / max(1, run.received) * 1000:.2f} ms | {run.received} | "
            f"{run.duplicates} | {run.out_of_order} | {run.leader_change_at} |"
        )
    lines += [
        "",
        "Before: one message at a time, a new SMTP connection for each, one claim transaction "
        "per message (batches of 100 each tick). Now: one claim statement per batch, up to 16 "
        "recipients at once, each recipient's messages one after the other, over connections "
        "kept open.",
    ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--recipients", type=int, default=2_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    runs = [asyncio.run(one(database, args)) for database in databases]
    lines = report(runs, args)
    print("\n".join(lines))
    if args.write:
        replace_section(HEADING, lines)


if __name__ == "__main__":
    main()
