"""A thread as the client record system files it (JSON): who the client is, the unit, every
message and internal note with its author and time, and the files themselves (base64, with a
SHA-256 to check them by; an access request's export lists the files without them)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from messaging.types import AttachmentView, ThreadView

FORMAT = "kohtaamo.message_thread/1"


def thread_export(
    view: ThreadView, person: tuple[str, str], contents: Mapping[str, bytes]
) -> dict[str, Any]:
    summary = view.summary
    name, identity_code = person
    return {
        "format": FORMAT,
        "id": summary.id,
        "unit": {"id": summary.unit.id, "name": summary.unit.names},
        "client": {"name": name, "identity_code": identity_code},
        "subject": summary.subject,
        "status": summary.status,
        "started_by": summary.started_by,
        "messages": [
            {
                "id": message.id,
                "kind": message.kind,
                "author": message.author,
                "at": message.at.isoformat(),
                "body": message.body,
                "attachments": [_file(file, contents.get(file.id)) for file in message.attachments],
            }
            for message in view.messages
        ],
    }


def _file(file: AttachmentView, content: bytes | None) -> dict[str, Any]:
    described: dict[str, Any] = {
        "filename": file.filename,
        "media_type": file.media_type,
        "size": file.size,
    }
    if content is not None:
        described["sha256"] = hashlib.sha256(content).hexdigest()
        described["content_base64"] = base64.b64encode(content).decode()
    return described
