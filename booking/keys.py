"""The booking package's app keys and the public limit, shared by its routes and pages
and by the packages above it."""

from __future__ import annotations

from aiohttp import web

from booking.retention import BookingRemovalListener
from booking.service import BookingService
from booking.types import BookingChangeListener, ManageToken
from core.http import client_address
from core.rate_limit import Limiter
from identification.keys import client_identity

booking_service_key = web.AppKey("booking_service", BookingService)
booking_limiter_key = web.AppKey("booking_limiter", Limiter)
# Set by whoever listens to booking changes (notifications) before the booking service starts.
booking_listener_key = web.AppKey("booking_listener", BookingChangeListener)
# Filled by the packages whose rows refer to bookings (listen_to_removals) before the app starts.
booking_removal_listeners_key = web.AppKey(
    "booking_removal_listeners", list[BookingRemovalListener]
)


async def manage_token(request: web.Request, token: str) -> ManageToken:
    """The client's token from the address or a header, with who presents it when they are
    identified (a link from their own pages opens only for them)."""
    identity = await client_identity(request)
    return ManageToken(token, identity.identity_hash if identity is not None else None)


def listen_to_removals(app: web.Application, listener: BookingRemovalListener) -> None:
    """Have ``listener`` delete its rows of bookings that retention removes (booking.retention).

    Called from a package's ``setup``, whichever package sets up first.
    """
    app.setdefault(booking_removal_listeners_key, []).append(listener)


async def limit_public(request: web.Request) -> None:
    """The per-address limit on the public booking endpoints (KOHTAAMO_BOOKING_RATE_LIMIT)."""
    await request.app[booking_limiter_key].check(client_address(request))
