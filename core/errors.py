"""Domain errors: what the service layer raises, and the HTTP status each one means.

The messages are untranslated msgids; the error middleware translates them into the
user's language when it renders the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.i18n import N_


class DomainError(Exception):
    status = 400
    title = N_("The request could not be handled.")

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title

    def problem_extensions(self) -> dict[str, object]:
        """Extra members for the problem+json answer (RFC 9457 extension members)."""
        return {}


class NotFound(DomainError):
    status = 404
    title = N_("The page or item was not found.")


class NotAuthenticated(DomainError):
    status = 401
    title = N_("Please log in first.")


class Forbidden(DomainError):
    status = 403
    title = N_("You do not have permission to do this.")


class Conflict(DomainError):
    status = 409
    title = N_("This conflicts with the current state.")


class ValidationFailed(DomainError):
    """Bad input. ``fields`` maps a field name to an untranslated message."""

    status = 422
    title = N_("Some of the information given is not valid.")

    def __init__(self, fields: Mapping[str, str], detail: str | None = None) -> None:
        super().__init__(detail)
        self.fields = dict(fields)


class TryLater(DomainError):
    """Refused for now; answered with ``Retry-After``."""

    def __init__(self, retry_after_seconds: int, detail: str | None = None) -> None:
        super().__init__(detail)
        self.retry_after_seconds = max(1, retry_after_seconds)


class RateLimited(TryLater):
    status = 429
    title = N_("Too many attempts. Please wait before trying again.")


class Busy(TryLater):
    """A bounded resource (such as the video connection test) is fully in use."""

    status = 503
    title = N_("The service is busy. Please try again in a moment.")
