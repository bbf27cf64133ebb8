"""Every test has a time limit (pytest-timeout); one that runs out fails with every stack.

A hung await leaves the event loop idle, so the thread stacks pytest-timeout prints show nothing
but a selector. Here the limit's signal handler also prints the stack of every task of the
running loop, which names the await that never finished. Should the test's teardown hang too,
a second alarm prints the stacks again and ends the run (exit 1) rather than let CI's own limit
end it in silence.

Media tests (marked ``fenced``) and tests that run several instances (marked ``cluster``) get
the longer limit; a test may set its own with ``@pytest.mark.timeout(seconds)``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
import traceback
from types import FrameType
from typing import Any

import pytest

LONG_LIMIT_SECONDS = 300
TEARDOWN_GRACE_SECONDS = 30


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "cluster: runs several app instances or server processes (longer time limit)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is not None:
            continue
        if item.get_closest_marker("fenced") or item.get_closest_marker("cluster"):
            item.add_marker(pytest.mark.timeout(LONG_LIMIT_SECONDS))


def _write_stacks(write: Any) -> None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is not None:
        for task in asyncio.all_tasks(loop):
            write(f"\n--- task {task.get_name()} ({task.get_coro()!r})\n")
            for frame in task.get_stack():
                write("".join(traceback.format_stack(frame, limit=1)))
    names = {thread.ident: thread.name for thread in threading.enumerate()}
    for ident, frame in sys._current_frames().items():
        write(f"\n--- thread {names.get(ident, ident)}\n")
        write("".join(traceback.format_stack(frame)))


@pytest.hookimpl(tryfirst=True)
def pytest_timeout_set_timer(item: pytest.Item, settings: Any) -> bool | None:
    if settings.method != "signal" or threading.current_thread() is not threading.main_thread():
        return None  # pytest-timeout's own thread method
    terminal = item.config.get_terminal_writer()
    fired = False

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        nonlocal fired
        __tracebackhide__ = True
        terminal.sep("+", title=f"Timeout after {settings.timeout} s: {item.nodeid}")
        _write_stacks(terminal.write)
        terminal.flush()
        if fired:
            sys.stderr.flush()
            os._exit(1)
        fired = True
        signal.setitimer(signal.ITIMER_REAL, TEARDOWN_GRACE_SECONDS)
        pytest.fail(f"Timeout: the test ran longer than {settings.timeout} s")

    def cancel() -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL)

    item.cancel_timeout = cancel  # type: ignore[attr-defined]  # read by pytest-timeout
    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True
