"""My pages' app key and the one request helper its pages and API share: the identified
person, or a refusal that sends them to identify."""

from __future__ import annotations

from aiohttp import web

from core.errors import NotAuthenticated
from identification.keys import client_identity
from mypages.service import MyPagesService, Person

my_pages_service_key = web.AppKey("my_pages_service", MyPagesService)


async def identified_person(request: web.Request, *, page: bool) -> Person:
    """The identified client of this request. A page sends anyone else to identify first (and
    back here); the API answers 401."""
    identity = await client_identity(request)
    if identity is None:
        if page:
            raise web.HTTPSeeOther(f"/identify?next={request.path}")
        raise NotAuthenticated()
    return Person(identity_hash=identity.identity_hash, name=identity.name)
