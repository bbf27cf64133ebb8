"""The access log's app key."""

from __future__ import annotations

from aiohttp import web

from audit.service import AuditLog

audit_log_key = web.AppKey("audit_log", AuditLog)
