"""My pages' app key and the one request helper its pages and API share: the identified
person, or a refusal that sends them to identify."""

from __future__ import annotations

from aiohttp import web

from identification.keys import identified_client
from mypages.service import MyPagesService, Person

my_pages_service_key = web.AppKey("my_pages_service", MyPagesService)


async def identified_person(request: web.Request, *, page: bool) -> Person:
    """The identified client of this request (see identification.keys.identified_client)."""
    identity = await identified_client(request, page=page)
    return Person(identity.identity_hash, identity.name, identity.identity_code)
