"""The calendars package's app keys, shared by its routes and pages and the packages above it."""

from __future__ import annotations

from aiohttp import web

from calendars.service import CalendarService

calendar_service_key = web.AppKey("calendar_service", CalendarService)
# Filled by the assessments package: the questionnaires a meeting type may ask the client to
# fill before the meeting, by id, with their titles in each language.
assessment_templates_key = web.AppKey("assessment_templates", dict[str, dict[str, str]])
