"""The privacy package's app key."""

from __future__ import annotations

from aiohttp import web

from privacy.service import PersonalDataService

personal_data_service_key = web.AppKey("personal_data_service", PersonalDataService)
