"""Telling someone there is a new secure message in Kohtaamo (messaging/), by email.

The notice says only that there is a message and where to read it after logging in: never its
subject, its words, the unit or who wrote, since an email can be read by others than the
person it is for. One notice per message at most (its idempotency key).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.lookup import PersonHasher
from notifications import outbox
from notifications.models import OutboxMessage

TEXTS = {
    "fi": (
        "Uusi viesti Kohtaamossa",
        "Sinulle on uusi viesti Kohtaamossa. Lue se kirjautumalla: {link}\n\n"
        "Viestiä ei lähetetä sähköpostilla, jotta se pysyy luottamuksellisena.\n",
    ),
    "sv": (
        "Nytt meddelande i Kohtaamo",
        "Du har ett nytt meddelande i Kohtaamo. Läs det genom att logga in: {link}\n\n"
        "Meddelandet skickas inte per e-post, så att det förblir konfidentiellt.\n",
    ),
    "en": (
        "A new message in Kohtaamo",
        "You have a new message in Kohtaamo. Read it by logging in: {link}\n\n"
        "The message is not sent by email, so that it stays confidential.\n",
    ),
}


async def add_new_message_notice(
    session: AsyncSession,
    hasher: PersonHasher,
    *,
    key: str,
    email: str,
    language: str,
    link: str,
) -> None:
    """A content-free notice of a new message in the caller's transaction."""
    subject, body = TEXTS.get(language, TEXTS["fi"])
    notice = OutboxMessage(
        idempotency_key=f"message-notice:{key}:email",
        kind="message-notice",
        channel="email",
        recipient=email,
        language=language if language in TEXTS else "fi",
        subject=subject,
        body_text=body.format(link=link),
    )
    await outbox.add(session, [notice], hasher)
