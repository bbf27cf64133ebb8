"""What the identified client's own features hold about a person, for the person's-rights
search: message threads (messaging/), shared documents (documents/) and the consent log
(consents/). Found by the identity code's keyed hash only; each read is logged by its package."""

from __future__ import annotations

from collections.abc import Sequence

from booking.types import BookingView
from consents.service import ConsentService
from core.principal import Viewer
from documents.service import DocumentService
from messaging.service import MessagingService
from privacy.service import ClientHeld


class IdentifiedClientRecords:
    def __init__(
        self, messages: MessagingService, documents: DocumentService, consents: ConsentService
    ) -> None:
        self._messages = messages
        self._documents = documents
        self._consents = consents

    async def held(
        self,
        viewer: Viewer,
        identity_hash: str,
        bookings: Sequence[BookingView],
        purpose: str,
    ) -> ClientHeld:
        return ClientHeld(
            threads=await self._messages.for_access_request(viewer, identity_hash, purpose),
            documents=await self._documents.for_access_request(
                viewer, identity_hash, bookings, purpose
            ),
            consents=await self._consents.for_access_request(viewer, identity_hash),
        )
