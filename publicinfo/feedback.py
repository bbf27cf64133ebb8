"""Accessibility feedback: anyone sends it, without an account; the admin answers it within the
time the law gives (publicinfo.texts.ANSWER_DAYS) and marks it answered."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select

from audit.service import AuditLog
from core import validators
from core.db import Sessions, utcnow
from core.errors import NotFound, ValidationFailed
from core.i18n import N_
from core.principal import Role, Viewer, require_role
from core.settings import Settings
from publicinfo.models import AccessibilityFeedback
from publicinfo.texts import ANSWER_DAYS

MAX_MESSAGE = 4000
MAX_SHORT = 300
# Feedback is kept a year after it was answered, or received when it never is; then deleted.
KEEP = timedelta(days=365)
BATCH = 500


@dataclasses.dataclass(frozen=True, slots=True)
class FeedbackView:
    id: str
    received_at: datetime
    answer_by: datetime | None
    language: str
    page: str
    message: str
    name: str
    contact: str
    answered_at: datetime | None


class AccessibilityFeedbackQueue:
    def __init__(
        self, sessions: Sessions, settings: Settings, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessions
        self._country = settings.jurisdiction
        self._clock = clock

    @property
    def answer_days(self) -> int | None:
        return ANSWER_DAYS[self._country]

    async def submit(
        self, *, message: str, page: str, name: str, contact: str, language: str
    ) -> FeedbackView:
        message, page, name, contact = (v.strip() for v in (message, page, name, contact))
        errors: dict[str, str] = {}
        if not message:
            errors["message"] = N_("Tell us what the problem is.")
        elif len(message) > MAX_MESSAGE:
            errors["message"] = N_("Shorten this to 4,000 characters or fewer.")
        if len(page) > MAX_SHORT:
            errors["page"] = N_("Shorten this to 300 characters or fewer.")
        if len(name) > MAX_SHORT:
            errors["name"] = N_("Shorten this to 300 characters or fewer.")
        if contact:
            try:
                if "@" in contact:
                    contact = validators.email_address(contact)
                else:
                    contact = validators.phone_number(contact, self._country)
            except validators.InvalidValue:
                errors["contact"] = N_(
                    "Enter an email address, like name@example.com, or a phone number, "
                    "like 040 123 4567."
                )
        if errors:
            raise ValidationFailed(errors)
        row = AccessibilityFeedback(
            received_at=self._clock(),
            language=language,
            page=page,
            message=message,
            name=name,
            contact=contact,
        )
        async with self._sessions.begin() as session:
            session.add(row)
        return self._view(row)

    async def queue(self, viewer: Viewer) -> list[FeedbackView]:
        """Unanswered feedback oldest first, then the answered, newest first."""
        require_role(viewer, Role.ADMIN)
        async with self._sessions.begin() as session:
            rows = (
                await session.scalars(
                    select(AccessibilityFeedback).order_by(AccessibilityFeedback.received_at)
                )
            ).all()
            AuditLog.add(
                session,
                viewer,
                "accessibility_feedback.read",
                "accessibility_feedback",
                [row.id for row in rows if row.contact or row.name],
                "answering accessibility feedback",
            )
        views = [self._view(row) for row in rows]
        waiting = [view for view in views if view.answered_at is None]
        answered = sorted(
            (view for view in views if view.answered_at is not None),
            key=lambda view: view.answered_at or view.received_at,
            reverse=True,
        )
        return waiting + answered

    async def mark_answered(self, viewer: Viewer, feedback_id: str) -> None:
        require_role(viewer, Role.ADMIN)
        async with self._sessions.begin() as session:
            row = await session.get(AccessibilityFeedback, feedback_id)
            if row is None:
                raise NotFound()
            if row.answered_at is None:
                row.answered_at = self._clock()
                row.answered_by = viewer.user_id

    # ---- the person's rights (privacy/) ---------------------------------------------------------

    async def of_person(
        self, viewer: Viewer, email: str, phone: str, purpose: str
    ) -> list[FeedbackView]:
        """The feedback whose contact is this email address or phone number (read, logged).

        The contact is encrypted and the feedback of a year is a few dozen rows, so they are
        opened and compared here rather than kept with a keyed hash.
        """
        require_role(viewer, Role.ADMIN)
        async with self._sessions.begin() as session:
            rows = self._matching(
                (await session.scalars(select(AccessibilityFeedback))).all(), email, phone
            )
            AuditLog.add(
                session,
                viewer,
                "accessibility_feedback.read",
                "accessibility_feedback",
                [row.id for row in rows],
                purpose,
            )
        return [self._view(row) for row in sorted(rows, key=lambda row: row.received_at)]

    async def erase_of_person(self, viewer: Viewer, email: str, phone: str, reason: str) -> int:
        require_role(viewer, Role.ADMIN)
        async with self._sessions.begin() as session:
            rows = self._matching(
                (await session.scalars(select(AccessibilityFeedback))).all(), email, phone
            )
            ids = [row.id for row in rows]
            if ids:
                await session.execute(
                    delete(AccessibilityFeedback).where(AccessibilityFeedback.id.in_(ids))
                )
                AuditLog.add(
                    session,
                    viewer,
                    "accessibility_feedback.erased",
                    "accessibility_feedback",
                    ids,
                    reason,
                )
        return len(ids)

    def _matching(
        self, rows: Sequence[AccessibilityFeedback], email: str, phone: str
    ) -> list[AccessibilityFeedback]:
        wanted = set()
        if email.strip():
            wanted.add(email.strip().lower())
        if phone.strip():
            try:
                wanted.add(validators.phone_number(phone, self._country))
            except validators.InvalidValue:
                wanted.add(phone.strip())
        return [row for row in rows if row.contact and row.contact.lower() in wanted]

    async def delete_expired(self) -> int:
        """Delete feedback answered more than ``KEEP`` ago, or received that long ago and never
        answered (the leader's daily run), at most ``BATCH`` rows a transaction."""
        cutoff = self._clock() - KEEP
        expired = or_(
            AccessibilityFeedback.answered_at < cutoff,
            and_(
                AccessibilityFeedback.answered_at.is_(None),
                AccessibilityFeedback.received_at < cutoff,
            ),
        )
        deleted = 0
        while True:
            async with self._sessions.begin() as session:
                ids = list(
                    (
                        await session.scalars(
                            select(AccessibilityFeedback.id).where(expired).limit(BATCH)
                        )
                    ).all()
                )
                if not ids:
                    return deleted
                await session.execute(
                    delete(AccessibilityFeedback).where(AccessibilityFeedback.id.in_(ids))
                )
                AuditLog.add_system(
                    session,
                    "retention.deleted",
                    "accessibility_feedback",
                    [f"count:{len(ids)}"],
                    "retention",
                )
            deleted += len(ids)

    def _view(self, row: AccessibilityFeedback) -> FeedbackView:
        days = self.answer_days
        return FeedbackView(
            id=row.id,
            received_at=row.received_at,
            answer_by=row.received_at + timedelta(days=days) if days is not None else None,
            language=row.language,
            page=row.page,
            message=row.message,
            name=row.name,
            contact=row.contact,
            answered_at=row.answered_at,
        )
