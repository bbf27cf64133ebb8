"""The staff member a single sign-on names, found or made.

The municipality's provider has already checked who the person is (and their second factor);
what Kohtaamo takes from it is the subject, the email address, the name, the role and the unit.
A user is found by the provider's subject, or the first time by email address (an account an
admin made before sign-on came); otherwise one is made, without a password. Email, name, role and
unit are taken again at every login; an email address that another account already has is
refused, not taken (two accounts never share one). A deactivated account stays out.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import Unit, User
from core.errors import NotAuthenticated
from core.i18n import N_
from core.principal import Role

log = logging.getLogger("kohtaamo.accounts")

# Not an Argon2 hash: no password ever matches it.
NO_PASSWORD = "!sign-on"  # noqa: S105


class AccountClosed(NotAuthenticated):
    title = N_("Your Kohtaamo account has been closed. Ask your administrator.")


class SubjectMismatch(NotAuthenticated):
    title = N_(
        "Another sign-in is already linked to the Kohtaamo account with this email address. "
        "Ask your administrator."
    )


class EmailTaken(NotAuthenticated):
    title = N_(
        "Your organisation's sign-in gives you an email address that another Kohtaamo account "
        "already has. Ask your administrator."
    )


@dataclasses.dataclass(frozen=True, slots=True)
class SignedOn:
    """Who the municipality's provider says logged in."""

    subject: str  # "<issuer> <sub>"
    email: str
    name: str
    role: Role
    unit_name_en: str | None


async def signed_on_user(session: AsyncSession, person: SignedOn) -> User:
    user = await session.scalar(select(User).where(User.sign_on_subject == person.subject))
    if user is None:
        user = await session.scalar(
            select(User).where(User.email == person.email, User.sign_on_subject.is_(None))
        )
    if user is None:
        if await session.scalar(select(User.id).where(User.email == person.email)):
            raise SubjectMismatch()
        user = User(email=person.email, password_hash=NO_PASSWORD)
        session.add(user)
    elif not user.is_active:
        raise AccountClosed()
    elif user.email != person.email:
        # The provider's address changed: taking one another account has would break the
        # unique email (a 500 at the flush), and would make the login ambiguous.
        other = await session.scalar(
            select(User.id).where(User.email == person.email, User.id != user.id)
        )
        if other is not None:
            log.warning(
                "staff sign-on refused: the provider's email address belongs to another account",
                extra={"user_id": user.id, "other_user_id": other},
            )
            raise EmailTaken()
    user.sign_on_subject = person.subject
    user.email = person.email
    user.name = person.name
    user.role = person.role.value
    if person.unit_name_en is not None:
        user.unit_id = await session.scalar(
            select(Unit.id).where(Unit.name_en == person.unit_name_en)
        )
    await session.flush()
    return user
