"""A thread as the client record system files it (JSON): who the client is, the unit, every
message and internal note with its author and time, and the files themselves (base64, with a
SHA-256 to check them by)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from typing import Any

from messaging.types import ThreadView

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
                "attachments": [
                    {
                        "filename": file.filename,
                        "media_type": file.media_type,
                        "size": file.size,
                        "sha256": hashlib.sha256(contents.get(file.id, b"")).hexdigest(),
                        "content_base64": base64.b64encode(contents.get(file.id, b"")).decode(),
                    }
                    for file in message.attachments
                ],
            }
            for message in view.messages
        ],
    }
