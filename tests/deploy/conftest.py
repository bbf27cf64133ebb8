"""Fixtures shared with tests/notifications: the real SMTP server."""

from tests.notifications.conftest import smtp

__all__ = ["smtp"]
