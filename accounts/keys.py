"""The accounts package's app keys, shared by its routes and by other packages' pages."""

from __future__ import annotations

from aiohttp import web

from accounts.service import AccountService

account_service_key = web.AppKey("account_service", AccountService)
