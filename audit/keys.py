"""The access log's app keys."""

from __future__ import annotations

from aiohttp import web

from audit.retention import AccessLogRetention
from audit.service import AuditLog

audit_log_key = web.AppKey("audit_log", AuditLog)
access_log_retention_key = web.AppKey("access_log_retention", AccessLogRetention)
