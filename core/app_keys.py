"""Typed application keys: every shared resource of an app, found by one name."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiohttp import web
from babel.support import Translations
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from core.db import Sessions
from core.lookup import PersonHasher
from core.metrics import HttpMetrics
from core.settings import Settings

settings_key = web.AppKey("settings", Settings)
engine_key = web.AppKey("engine", AsyncEngine)
sessions_key = web.AppKey("sessions", Sessions)
catalogs_key = web.AppKey("catalogs", dict[str, Translations])
metrics_key = web.AppKey("metrics", HttpMetrics)
# Keyed hashes of a person's identifiers (core/lookup.py), loaded once the database is there.
person_hasher_key = web.AppKey("person_hasher", PersonHasher)
cpu_executor_key = web.AppKey("cpu_executor", ThreadPoolExecutor)
# Only with KOHTAAMO_REDIS_URL: what the instances share besides the database.
redis_key = web.AppKey("redis", Redis)
# What /healthz reports beside the database, each package its own part (notifications: the
# scheduler and the outbox). A part with "healthy": False makes the answer 503.
HealthCheck = Callable[[web.Application], Awaitable[dict[str, Any]]]
health_checks_key = web.AppKey("health_checks", list[HealthCheck])
# Set by identification when a providers file names providers: pages may then offer it.
identification_on_key = web.AppKey("identification_on", bool)


@dataclasses.dataclass(frozen=True, slots=True)
class SignOnOffer:
    """What the staff login page offers when the municipality's own provider is configured:
    its name by language, and its origin (the login form leads there: CSP form-action)."""

    names: dict[str, str]
    origin: str


# Set by identification when the providers file names a staff sign-on provider.
staff_sign_on_offer_key = web.AppKey("staff_sign_on_offer", SignOnOffer)
