"""The consents package's app key."""

from __future__ import annotations

from aiohttp import web

from consents.service import ConsentService

consent_service_key = web.AppKey("consent_service", ConsentService)
