"""A test that hangs fails at its time limit and shows where every asyncio task waits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HANGING_TEST = """
import asyncio
import pytest


async def wait_for_a_reply_that_never_comes(reply: asyncio.Future[None]) -> None:
    await reply


@pytest.mark.timeout(2)
async def test_hangs() -> None:
    reply = asyncio.get_running_loop().create_future()
    helper = asyncio.create_task(wait_for_a_reply_that_never_comes(reply))
    await helper
"""


def test_a_hung_test_fails_at_its_limit_with_the_stack_of_each_task(tmp_path: Path) -> None:
    (tmp_path / "test_hanging.py").write_text(HANGING_TEST)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "tests.time_limits",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=auto",
            "-o",
            "timeout_method=signal",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_hanging.py"),
        ],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 1, output
    assert "Timeout after 2.0 s" in output or "Timeout after 2 s" in output, output
    assert "Timeout: the test ran longer than 2" in output, output
    # The task's own stack names the await that never finished.
    assert "wait_for_a_reply_that_never_comes" in output, output
    assert "await reply" in output, output
    assert "1 failed" in output, output
