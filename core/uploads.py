"""Files people upload (concern reports, messages, shared documents): what is accepted.

A file is judged by its first bytes, not by its name or the type the browser claimed, and its
name's extension must agree: a disguised file is refused. PDF, JPEG and PNG, at most 10 MB
each and 5 at a time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import PurePath

from core import validators
from core.errors import ValidationFailed
from core.i18n import N_

MAX_ATTACHMENTS = 5
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
_MEDIA_TYPES = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
}


@dataclasses.dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    data: bytes


def media_type_of(upload: Upload) -> str:
    """The file's type read from its first bytes; its name must agree."""
    data = upload.data
    if data.startswith(b"%PDF-"):
        media_type = "application/pdf"
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        media_type = "image/png"
    elif data.startswith(b"\xff\xd8\xff"):
        media_type = "image/jpeg"
    else:
        raise validators.InvalidValue(N_("The file must be a PDF, JPEG or PNG file."))
    if PurePath(upload.filename).suffix.lower() not in _MEDIA_TYPES[media_type]:
        raise validators.InvalidValue(N_("The file's name does not match what the file contains."))
    return media_type


def check_uploads(uploads: Sequence[Upload]) -> list[str]:
    if len(uploads) > MAX_ATTACHMENTS:
        raise ValidationFailed({"attachments": N_("Attach at most 5 files.")})
    errors: dict[str, str] = {}
    media_types: list[str] = []
    for index, upload in enumerate(uploads):
        if len(upload.data) > MAX_ATTACHMENT_BYTES:
            errors[f"attachments.{index}"] = N_("The file is larger than 10 MB.")
            continue
        try:
            media_types.append(media_type_of(upload))
        except validators.InvalidValue as error:
            errors[f"attachments.{index}"] = str(error)
    if errors:
        raise ValidationFailed(errors)
    return media_types
