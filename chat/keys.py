"""The chat package's app keys, shared by its routes and pages."""

from __future__ import annotations

from aiohttp import web

from chat.cluster import Desks
from chat.desk import ChatDesk
from chat.service import ChatServices
from core.websockets import AddressLimits

chat_desk_key = web.AppKey("chat_desk", ChatDesk)
# Where connections sit at the desk: this process's, or the instance's that runs it (Redis).
chat_desks_key = web.AppKey("chat_desks", Desks)
chat_services_key = web.AppKey("chat_services", ChatServices)
# Open sockets per client address (KOHTAAMO_CHAT_CONNECTIONS_PER_ADDRESS), in memory only.
chat_addresses_key = web.AppKey("chat_addresses", AddressLimits)
# The browser's chat session: a random id in a cookie, so that a block holds for that browser
# without knowing who or where it is. Never logged, kept only in memory (hashed).
CHAT_COOKIE = "kohtaamo_chat"
