"""The publicinfo package's app keys, shared by its routes and pages."""

from __future__ import annotations

from aiohttp import web

from publicinfo.feedback import AccessibilityFeedbackQueue
from publicinfo.lost_links import LostLinkRequests
from publicinfo.service import ServiceInformation

service_information_key = web.AppKey("service_information", ServiceInformation)
accessibility_feedback_key = web.AppKey("accessibility_feedback", AccessibilityFeedbackQueue)
lost_link_requests_key = web.AppKey("lost_link_requests", LostLinkRequests)
