"""The notification tests' SMTP server and SMS gateway, for the lost-link tests."""

from tests.notifications.conftest import sms_gateway, smtp

__all__ = ["sms_gateway", "smtp"]
