"""Who is acting: the principal every service-layer call that needs authorization receives."""

from __future__ import annotations

import dataclasses
import enum
from typing import Protocol

from core.errors import Forbidden, NotAuthenticated


class Role(enum.StrEnum):
    ADMIN = "admin"
    CASEWORKER = "caseworker"
    INTAKE = "intake"


@dataclasses.dataclass(frozen=True, slots=True)
class Viewer:
    user_id: str
    name: str
    email: str
    role: Role
    session_id: str
    language: str | None = None


class IdentifiedClient(Protocol):
    """A client who identified strongly (identification's ClientIdentity): the services of
    their own pages find their data by the keyed hash of the identity code, never by name."""

    @property
    def identity_hash(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def identity_code(self) -> str: ...


def require_role(viewer: Viewer | None, *roles: Role) -> Viewer:
    """The viewer, if logged in with one of ``roles``; otherwise the matching domain error."""
    if viewer is None:
        raise NotAuthenticated()
    if roles and viewer.role not in roles:
        raise Forbidden()
    return viewer
