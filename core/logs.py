"""One JSON object per log line, so that logs can be searched without parsing prose.

Logs hold no personal data (tests/core/test_logs_hold_no_personal_data.py): our own log calls
pass only ids, kinds and counts, exceptions are logged without their messages, and the libraries
whose log calls carry what people typed or where they connect from are kept above that level.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged as a field.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}

# Libraries whose log calls below the given level carry personal data. Their calls are not ours
# to change; holding their loggers at this level, whatever KOHTAAMO_LOG_LEVEL says, stops those
# lines where they are made.
LIBRARY_LEVELS = {
    # aiohttp's own access log would repeat ours, with the client's address in it.
    "aiohttp.access": logging.WARNING,
    # aiosqlite's DEBUG lines repr every call: each statement with its parameters (what clients
    # typed, the email tried at a login).
    "aiosqlite": logging.INFO,
    # SQLAlchemy's INFO and DEBUG are statements, parameters and result rows. It sets itself to
    # WARNING only when nothing else has set it.
    "sqlalchemy": logging.WARNING,
    # aioice logs candidate pairs, the peers' IP addresses, at INFO; aiortc the sessions at DEBUG.
    "aioice": logging.WARNING,
    "aiortc": logging.WARNING,
}

_DIRECT_CAUSE = "\nThe above exception was the direct cause of the following exception:\n\n"
_DURING_HANDLING = "\nDuring handling of the above exception, another exception occurred:\n\n"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES:
                entry[key] = value
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)

    def formatException(self, ei: Any) -> str:
        """The traceback of each exception in the chain, naming its type but never its message:
        messages carry the values that caused them (pydantic quotes the input, a database error
        the row it refused, ``KeyError`` the key)."""
        return traceback_without_messages(ei[1]) if ei[1] is not None else ""


def traceback_without_messages(error: BaseException) -> str:
    """As Python prints a traceback (the earliest exception first), with only the type of each."""
    chain = [error]
    while True:
        latest = chain[-1]
        earlier = latest.__cause__ or (None if latest.__suppress_context__ else latest.__context__)
        if earlier is None or any(earlier is seen for seen in chain):
            break
        chain.append(earlier)
    chain.reverse()
    parts: list[str] = []
    for position, current in enumerate(chain):
        if position:
            caused = current.__cause__ is chain[position - 1]
            parts.append(_DIRECT_CAUSE if caused else _DURING_HANDLING)
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_tb(current.__traceback__))
        kind = type(current)
        parts.append(f"{kind.__module__}.{kind.__qualname__} (message not logged)\n")
    return "".join(parts)


def configure_logging(level: str, stream: TextIO | None = None) -> None:
    """JSON lines at ``level`` to ``stream`` (standard error unless given)."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, floor in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(floor)
