"""What a message must be: a subject and words within limits, files that pass the upload
checks (core/uploads.py). Errors are keyed by field, in msgids."""

from __future__ import annotations

from collections.abc import Sequence

from core.errors import ValidationFailed
from core.i18n import N_
from core.uploads import Upload, check_uploads

MAX_SUBJECT = 150
MAX_BODY = 5000


def text_errors(subject: str, body: str) -> dict[str, str]:
    errors = body_errors(body)
    if not subject:
        errors["subject"] = N_("Write a subject.")
    elif len(subject) > MAX_SUBJECT:
        errors["subject"] = N_("Keep the subject to 150 characters.")
    return errors


def body_errors(body: str) -> dict[str, str]:
    if not body:
        return {"body": N_("Write your message.")}
    if len(body) > MAX_BODY:
        return {"body": N_("Keep the message to 5000 characters.")}
    return {}


def upload_errors(uploads: Sequence[Upload]) -> dict[str, str]:
    try:
        check_uploads(uploads)
    except ValidationFailed as error:
        return dict(error.fields)
    return {}
