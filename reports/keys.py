"""The concern reports package's app keys, shared by its routes and pages."""

from __future__ import annotations

from aiohttp import web

from core.rate_limit import Limiter
from reports.listener import ReportListener
from reports.service import ConcernReportService

report_service_key = web.AppKey("concern_report_service", ConcernReportService)
report_limiter_key = web.AppKey("concern_report_limiter", Limiter)
# Set by whoever sends the reporters' messages (notifications) before the reports service starts.
report_listener_key = web.AppKey("concern_report_listener", ReportListener)
