"""Typed per-request values set by the middlewares."""

from __future__ import annotations

from aiohttp import web

from core.principal import Viewer

request_id_key = web.RequestKey("request_id", str)
language_key = web.RequestKey("language", str)
csrf_token_key = web.RequestKey("csrf_token", str)
viewer_key = web.RequestKey("viewer", Viewer)
new_csrf_cookie_key = web.RequestKey("new_csrf_cookie", str)
