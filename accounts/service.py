"""Accounts: users, passwords, login sessions and the limits on guessing passwords."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Executor
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from accounts.models import LoginFailure, Unit, User, UserSession
from accounts.organisation import Organisation, UnitSettingsListener
from accounts.passkeys import Passkeys
from accounts.second_factor import Enrolment, SecondFactorListener, SecondFactors
from accounts.sign_on import SignedOn, signed_on_user
from core.crypto import token_hash
from core.db import Sessions, utcnow
from core.errors import (
    Conflict,
    Forbidden,
    NotAuthenticated,
    NotFound,
    RateLimited,
    ValidationFailed,
)
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from core.settings import Settings

MIN_PASSWORD_LENGTH = 12
# Argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile). The test suite lowers
# the cost (tests/conftest.py): it hashes thousands of throwaway passwords, none of them real.
new_password_hasher: Callable[[], PasswordHasher] = PasswordHasher
SESSION_LIFETIME = timedelta(hours=12)
LAST_SEEN_RESOLUTION = timedelta(minutes=1)

# The one actor that needs no login: the command line (create-user, demo).
SYSTEM = Viewer(user_id="system", name="Kohtaamo", email="", role=Role.ADMIN, session_id="")


class InvalidCredentials(NotAuthenticated):
    title = N_("The email address or password is wrong.")


@dataclasses.dataclass(frozen=True, slots=True)
class UserSummary:
    id: str
    email: str
    name: str
    role: Role
    is_active: bool
    unit_id: str | None
    created_at: datetime
    active_sessions: int = 0


@dataclasses.dataclass(frozen=True, slots=True)
class StaffMember:
    id: str
    name: str
    email: str
    unit_id: str | None
    role: Role = Role.CASEWORKER

    def as_host(self) -> Viewer:
        """This caseworker as the one whose meeting room acts for them: the room admits only the
        booking's own caseworker as its host (video.service.MeetingService.admit_host), so what
        it reads or saves is logged as theirs."""
        return Viewer(self.id, self.name, self.email, Role.CASEWORKER, session_id="")


@dataclasses.dataclass(frozen=True, slots=True)
class LoginResult:
    token: str
    viewer: Viewer


@dataclasses.dataclass(frozen=True, slots=True)
class PendingSecondFactor:
    """The password was right; a code completes the login. ``enrol``: the user has no factor
    yet and must set one up first (the factor is required)."""

    token: str
    enrol: bool


class WrongCode(NotAuthenticated):
    title = N_("The code is wrong or was used already. Enter the newest code.")


class LoginExpired(NotAuthenticated):
    title = N_("The login took too long. Log in again.")


def normalise_email(raw: str) -> str:
    try:
        return validate_email(raw.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationFailed(
            {"email": N_("Enter an email address in the correct format, like name@example.com.")}
        ) from None


class AccountService:
    def __init__(
        self,
        sessions: Sessions,
        settings: Settings,
        executor: Executor,
        clock: Callable[[], datetime] = utcnow,
        listener: SecondFactorListener | None = None,
        unit_listener: UnitSettingsListener | None = None,
    ) -> None:
        self._sessions = sessions
        self._settings = settings
        self._executor = executor
        self._clock = clock
        self.factors = SecondFactors(sessions, listener, clock=lambda: self._clock())
        self.passkeys = Passkeys(sessions, settings.base_url, listener, clock=lambda: self._clock())
        self.organisation = Organisation(sessions, unit_listener)
        self._hasher = new_password_hasher()
        # Verified against when the account does not exist, so that a wrong address takes as
        # long to refuse as a wrong password.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    # ---- passwords ----------------------------------------------------------------------------

    async def _hash_password(self, password: str) -> str:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._hasher.hash, password)

    async def _password_matches(self, password_hash: str, password: str) -> bool:
        loop = asyncio.get_running_loop()

        def verify() -> bool:
            try:
                return self._hasher.verify(password_hash, password)
            except (VerificationError, InvalidHashError):
                return False

        return await loop.run_in_executor(self._executor, verify)

    @staticmethod
    def check_password_strength(password: str) -> None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(
                {"password": N_("The password must be at least 12 characters long.")}
            )

    # ---- users --------------------------------------------------------------------------------

    async def create_user(
        self,
        actor: Viewer,
        *,
        email: str,
        name: str,
        role: Role,
        password: str,
        unit_id: str | None = None,
    ) -> UserSummary:
        require_role(actor, Role.ADMIN)
        fields: dict[str, str] = {}
        try:
            email = normalise_email(email)
        except ValidationFailed as error:
            fields.update(error.fields)
        name = " ".join(name.split())
        if not name:
            fields["name"] = N_("Enter the person's name.")
        elif len(name) > 200:
            fields["name"] = N_("The name must be at most 200 characters long.")
        if len(password) < MIN_PASSWORD_LENGTH:
            fields["password"] = N_("The password must be at least 12 characters long.")
        if fields:
            raise ValidationFailed(fields)
        password_hash = await self._hash_password(password)
        async with self._sessions.begin() as session:
            if await session.scalar(select(User.id).where(User.email == email)):
                raise ValidationFailed(
                    {"email": N_("A user with this email address already exists.")}
                )
            user = User(
                email=email,
                name=name,
                role=role.value,
                password_hash=password_hash,
                unit_id=unit_id,
            )
            session.add(user)
            await session.flush()
            return _summary(user)

    async def list_users(self, actor: Viewer) -> list[UserSummary]:
        require_role(actor, Role.ADMIN)
        return await self._summaries()

    async def get_user(self, actor: Viewer, user_id: str) -> UserSummary:
        require_role(actor, Role.ADMIN)
        found = await self._summaries(user_id)
        if not found:
            raise NotFound()
        return found[0]

    async def _summaries(self, user_id: str | None = None) -> list[UserSummary]:
        """Users with their count of live sessions; all of them, or the one with ``user_id``."""
        now = self._clock()
        active_counts = (
            select(UserSession.user_id, func.count().label("n"))
            .where(UserSession.ended_at.is_(None), UserSession.expires_at > now)
            .group_by(UserSession.user_id)
            .subquery()
        )
        query = (
            select(User, func.coalesce(active_counts.c.n, 0))
            .outerjoin(active_counts, active_counts.c.user_id == User.id)
            .order_by(User.role, User.name)
        )
        if user_id is not None:
            query = query.where(User.id == user_id)
        async with self._sessions() as session:
            rows = await session.execute(query)
            return [_summary(user, count) for user, count in rows.all()]

    async def set_active(self, actor: Viewer, user_id: str, *, active: bool) -> None:
        require_role(actor, Role.ADMIN)
        if not active and user_id == actor.user_id:
            raise Conflict(N_("You cannot deactivate your own account."))
        async with self._sessions.begin() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise NotFound()
            user.is_active = active
            if not active:
                await self._end_sessions(session, user_id, "deactivated")

    async def assign_unit(self, actor: Viewer, user_id: str, unit_id: str | None) -> None:
        require_role(actor, Role.ADMIN)
        async with self._sessions.begin() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise NotFound()
            if unit_id is not None and await session.get(Unit, unit_id) is None:
                raise ValidationFailed({"unit_id": N_("Choose one of the units listed.")})
            user.unit_id = unit_id

    async def reset_password(self, actor: Viewer, user_id: str) -> str:
        """Give the user a new random password (shown once to the admin) and end their sessions."""
        require_role(actor, Role.ADMIN)
        new_password = secrets.token_urlsafe(12)
        password_hash = await self._hash_password(new_password)
        async with self._sessions.begin() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise NotFound()
            user.password_hash = password_hash
            await self._end_sessions(session, user_id, "password reset")
        return new_password

    async def end_all_sessions(self, actor: Viewer, user_id: str) -> int:
        require_role(actor, Role.ADMIN)
        async with self._sessions.begin() as session:
            if await session.get(User, user_id) is None:
                raise NotFound()
            return await self._end_sessions(session, user_id, "ended by admin")

    async def _end_sessions(self, session: AsyncSession, user_id: str, reason: str) -> int:
        result = await session.execute(
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
            .values(ended_at=self._clock(), ended_reason=reason)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def caseworkers(
        self, unit_id: str | None = None, caseworker_ids: Sequence[str] | None = None
    ) -> list[StaffMember]:
        """Active caseworkers, of one unit or with the given ids."""
        async with self._sessions() as session:
            # Columns, not User objects: a unit's slot search reads hundreds of these.
            query = select(User.id, User.name, User.email, User.unit_id).where(
                User.role == Role.CASEWORKER.value, User.is_active.is_(True)
            )
            if unit_id is not None:
                query = query.where(User.unit_id == unit_id)
            if caseworker_ids is not None:
                query = query.where(User.id.in_(caseworker_ids))
            rows = await session.execute(query.order_by(User.name))
            return [
                StaffMember(user_id, name, email, user_unit_id, Role.CASEWORKER)
                for user_id, name, email, user_unit_id in rows
            ]

    async def unit_staff(self, unit_id: str | None = None) -> list[StaffMember]:
        """Active caseworkers and intake workers, of one unit or of every unit, by name."""
        async with self._sessions() as session:
            query = select(User).where(
                User.role.in_((Role.CASEWORKER.value, Role.INTAKE.value)),
                User.is_active.is_(True),
                User.unit_id.is_not(None),
            )
            if unit_id is not None:
                query = query.where(User.unit_id == unit_id)
            rows = await session.scalars(query.order_by(User.name))
            return [
                StaffMember(row.id, row.name, row.email, row.unit_id, Role(row.role))
                for row in rows
            ]

    async def staff_members(self, user_ids: Sequence[str]) -> list[StaffMember]:
        """Staff by id, active or not (a deactivated caseworker's old bookings still show them)."""
        async with self._sessions() as session:
            rows = await session.scalars(select(User).where(User.id.in_(user_ids)))
            return [
                StaffMember(row.id, row.name, row.email, row.unit_id, Role(row.role))
                for row in rows
            ]

    async def unit_of(self, viewer: Viewer, *roles: Role) -> str:
        """The unit the viewer works in, if they have one of ``roles``; Forbidden otherwise
        (who answers a unit's clients is a worker of that unit)."""
        if viewer.role not in roles:
            raise Forbidden()
        member = await self.staff_member(viewer.user_id)
        if member.unit_id is None:
            raise Forbidden()
        return member.unit_id

    async def staff_member(self, user_id: str) -> StaffMember:
        async with self._sessions() as session:
            user = await session.get(User, user_id)
            if user is None:
                raise NotFound()
            return StaffMember(user.id, user.name, user.email, user.unit_id, Role(user.role))

    async def find_user_id(self, email: str) -> str | None:
        async with self._sessions() as session:
            return await session.scalar(select(User.id).where(User.email == normalise_email(email)))

    # ---- login sessions -------------------------------------------------------------------------

    def _subjects(self, email: str, address: str) -> tuple[str, str]:
        key = self._settings.secret_key.encode()

        def keyed(kind: str, value: str) -> str:
            return kind + ":" + hmac.new(key, value.encode(), hashlib.sha256).hexdigest()[:64]

        return keyed("account", email.strip().lower()), keyed("address", address)

    async def log_in(
        self, email: str, password: str, client_address: str
    ) -> LoginResult | PendingSecondFactor:
        """A session for the right password, or, with a second factor, a pending login."""
        now = self._clock()
        window = timedelta(minutes=self._settings.login_window_minutes)
        subjects = self._subjects(email, client_address)
        await self._refuse_if_too_many_failures(subjects, now, window)
        async with self._sessions() as session:
            user = await session.scalar(select(User).where(User.email == email.strip().lower()))
        password_hash = user.password_hash if user is not None else self._dummy_hash
        matches = await self._password_matches(password_hash, password)
        if user is None or not matches or not user.is_active:
            async with self._sessions.begin() as session:
                session.add_all(
                    LoginFailure(subject=subject, failed_at=now) for subject in subjects
                )
            raise InvalidCredentials()
        has_factor = await self.factors.has_factor(user.id)
        if has_factor or self._settings.staff_second_factor == "required":
            return PendingSecondFactor(await self.factors.pend(user.id), enrol=not has_factor)
        return await self._open_session(user, subjects[0], now)

    async def log_in_signed_on(self, person: SignedOn) -> LoginResult:
        """A session for whom the municipality's own provider vouched (single sign-on): the
        provider checked their factors, so no second factor is asked here."""
        person = dataclasses.replace(person, email=person.email.strip().lower())
        async with self._sessions.begin() as session:
            user = await signed_on_user(session, person)
        subjects = self._subjects(user.email, "")
        return await self._open_session(user, subjects[0], self._clock())

    async def complete_login(self, pending: str, code: str, client_address: str) -> LoginResult:
        """The pending login completed by an authenticator or recovery code."""
        return await self._complete(
            pending, client_address, lambda user_id: self.factors.check(user_id, code[:40]), None
        )

    async def complete_login_with_passkey(
        self, pending: str, credential: dict[str, Any], client_address: str
    ) -> LoginResult:
        """The pending login completed by one of the user's passkeys."""
        return await self._complete(
            pending,
            client_address,
            lambda user_id: self.passkeys.authenticate(user_id, credential),
            N_("The passkey was not accepted. Try again, or use a code."),
        )

    async def _complete(
        self,
        pending: str,
        client_address: str,
        second_factor_holds: Callable[[str], Awaitable[bool]],
        refusal: str | None,
    ) -> LoginResult:
        # A refused second factor counts as a failed login (the same limits as passwords), so
        # codes cannot be guessed.
        user = await self._pending_user(pending)
        now = self._clock()
        window = timedelta(minutes=self._settings.login_window_minutes)
        subjects = self._subjects(user.email, client_address)
        await self._refuse_if_too_many_failures(subjects, now, window)
        if not await second_factor_holds(user.id):
            async with self._sessions.begin() as session:
                session.add_all(
                    LoginFailure(subject=subject, failed_at=now) for subject in subjects
                )
            raise WrongCode(refusal)
        await self.factors.finish_pending(pending)
        return await self._open_session(user, subjects[0], now)

    async def pending_passkey_options(self, pending: str) -> str:
        user = await self._pending_user(pending)
        return await self.passkeys.authentication_options(user.id)

    async def pending_enrolment(self, pending: str) -> Enrolment:
        """The authenticator to set up before a first login where the factor is required."""
        user = await self._pending_user(pending)
        return await self.factors.enrolment(user.id, user.email)

    async def confirm_pending_enrolment(
        self, pending: str, code: str, client_address: str
    ) -> tuple[LoginResult, list[str]]:
        user = await self._pending_user(pending)
        codes = await self.factors.confirm(user.id, code[:40])
        if codes is None:
            raise WrongCode()
        await self.factors.finish_pending(pending)
        subjects = self._subjects(user.email, client_address)
        return await self._open_session(user, subjects[0], self._clock()), codes

    async def reset_second_factor(self, actor: Viewer, user_id: str) -> None:
        require_role(actor, Role.ADMIN)
        await self.get_user(actor, user_id)
        await self.factors.reset(actor.user_id, user_id)

    async def _pending_user(self, pending: str) -> User:
        user_id = await self.factors.pending_user(pending)
        async with self._sessions() as session:
            user = await session.get(User, user_id) if user_id else None
        if user is None or not user.is_active:
            raise LoginExpired()
        return user

    async def _open_session(self, user: User, account_subject: str, now: datetime) -> LoginResult:
        token = secrets.token_urlsafe(32)
        async with self._sessions.begin() as session:
            await session.execute(
                delete(LoginFailure).where(LoginFailure.subject == account_subject)
            )
            user_session = UserSession(
                token_hash=token_hash(token),
                user_id=user.id,
                created_at=now,
                last_seen_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
            session.add(user_session)
            await session.flush()
        return LoginResult(token=token, viewer=_viewer(user, user_session.id))

    async def _refuse_if_too_many_failures(
        self, subjects: Sequence[str], now: datetime, window: timedelta
    ) -> None:
        async with self._sessions() as session:
            for subject in subjects:
                recent = (
                    await session.scalars(
                        select(LoginFailure.failed_at)
                        .where(
                            LoginFailure.subject == subject, LoginFailure.failed_at > now - window
                        )
                        .order_by(LoginFailure.failed_at)
                    )
                ).all()
                if len(recent) >= self._settings.login_attempt_limit:
                    # Free again when the oldest failure that still counts leaves the window.
                    oldest_counting = recent[-self._settings.login_attempt_limit]
                    wait = oldest_counting + window - now
                    raise RateLimited(int(wait.total_seconds()) + 1)

    async def viewer_for_token(self, token: str) -> Viewer | None:
        """The logged-in user behind a session token, or None if it is unknown, ended or idle too long."""
        if not token or len(token) > 100:
            return None
        now = self._clock()
        idle_limit = timedelta(minutes=self._settings.session_idle_minutes)
        async with self._sessions() as session:
            row = (
                await session.execute(
                    select(UserSession, User)
                    .join(User, User.id == UserSession.user_id)
                    .where(UserSession.token_hash == token_hash(token))
                )
            ).first()
        if row is None:
            return None
        user_session, user = row
        if (
            user_session.ended_at is not None
            or user_session.expires_at <= now
            or user_session.last_seen_at + idle_limit <= now
            or not user.is_active
        ):
            return None
        if now - user_session.last_seen_at >= LAST_SEEN_RESOLUTION:
            async with self._sessions.begin() as session:
                await session.execute(
                    update(UserSession)
                    .where(UserSession.id == user_session.id)
                    .values(last_seen_at=now)
                )
        return _viewer(user, user_session.id)

    async def log_out(self, token: str) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(UserSession)
                .where(UserSession.token_hash == token_hash(token), UserSession.ended_at.is_(None))
                .values(ended_at=self._clock(), ended_reason="logged out")
            )

    async def prune_login_failures(self) -> None:
        cutoff = self._clock() - timedelta(minutes=self._settings.login_window_minutes)
        async with self._sessions.begin() as session:
            await session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= cutoff))


def _viewer(user: User, session_id: str) -> Viewer:
    return Viewer(
        user_id=user.id,
        name=user.name,
        email=user.email,
        role=Role(user.role),
        session_id=session_id,
    )


def _summary(user: User, active_sessions: int = 0) -> UserSummary:
    return UserSummary(
        id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        is_active=user.is_active,
        unit_id=user.unit_id,
        created_at=user.created_at,
        active_sessions=int(active_sessions),
    )
