"""Who is acting: the principal every service-layer call that needs authorization receives."""

from __future__ import annotations

import dataclasses
import enum

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


def require_role(viewer: Viewer | None, *roles: Role) -> Viewer:
    """The viewer, if logged in with one of ``roles``; otherwise the matching domain error."""
    if viewer is None:
        raise NotAuthenticated()
    if roles and viewer.role not in roles:
        raise Forbidden()
    return viewer
