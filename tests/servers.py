"""Real ``server.py serve`` processes on 127.0.0.1 for tests of several instances."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import TEST_SECRET_KEY
from tests.notifications.conftest import free_port

REPOSITORY = Path(__file__).resolve().parents[1]
LEADING = "this instance now runs the scheduler"  # core.leadership's log line on taking the lock


@dataclasses.dataclass
class Instance:
    port: int
    process: asyncio.subprocess.Process
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_messages(self) -> list[str]:
        """The ``message`` of each JSON log line the instance has written so far."""
        messages = []
        for line in self.log.read_text(encoding="utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(line)
                if isinstance(entry, dict):
                    messages.append(str(entry.get("message", "")))
        return messages

    def leads(self) -> bool:
        return LEADING in self.log_messages()


async def stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        async with asyncio.timeout(30):
            await process.wait()
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def instances(
    count: int, database_url: str, directory: Path, **settings: str
) -> AsyncIterator[list[Instance]]:
    """``count`` processes of ``server.py serve`` on 127.0.0.1, each answering /healthz."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("KOHTAAMO_")
    }
    environment.update(
        KOHTAAMO_DATABASE_URL=database_url,
        KOHTAAMO_SECRET_KEY=TEST_SECRET_KEY,
        KOHTAAMO_HOST="127.0.0.1",
        KOHTAAMO_LOG_LEVEL="INFO",
    )
    environment.update({f"KOHTAAMO_{key.upper()}": value for key, value in settings.items()})
    started: list[Instance] = []
    try:
        for number in range(count):
            port = free_port()
            log = directory / f"instance-{number}.log"
            with log.open("wb") as output:  # the child keeps its own copy of the descriptor
                process = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "server.py",
                    "serve",
                    cwd=REPOSITORY,
                    env={**environment, "KOHTAAMO_PORT": str(port)},
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=output,
                    stderr=output,
                )
            started.append(Instance(port, process, log))
        async with aiohttp.ClientSession() as http:
            for instance in started:
                async with asyncio.timeout(60):
                    while True:
                        if instance.process.returncode is not None:
                            pytest.fail(
                                f"instance on port {instance.port} exited with "
                                f"{instance.process.returncode}:\n{instance.log.read_text()}"
                            )
                        with contextlib.suppress(aiohttp.ClientError):
                            async with http.get(f"{instance.base}/healthz") as answer:
                                if answer.status == 200:
                                    break
                        await asyncio.sleep(0.1)
        yield started
    finally:
        await asyncio.gather(*(stop(instance.process) for instance in started))
