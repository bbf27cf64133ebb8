"""The client's links to their booking (manage, join) and the booking as a calendar entry,
which carries them. booking.invitation turns the entry into bytes; this decides what it says."""

from __future__ import annotations

from typing import Literal

from booking.invitation import Invitation, invitation_ics
from booking.models import CANCELLED
from booking.types import BookingView


class BookingLinks:
    def __init__(self, base_url: str) -> None:
        self._base_url = base_url

    def manage_url(self, token: str) -> str:
        return f"{self._base_url}/manage/{token}"

    def join_url(self, token: str) -> str:
        return f"{self._base_url}/manage/{token}/join"

    def invitation(
        self, view: BookingView, *, manage_token: str | None = None, for_caseworker: bool = False
    ) -> Invitation:
        """The booking as a calendar entry; it holds nothing the client did not type themself."""
        language = view.language
        summary = f"{view.meeting_type.name_in(language)} – {view.caseworker.name}"
        if for_caseworker:
            summary = f"{view.meeting_type.name_in('fi')} – {view.client_name}"
        lines = []
        location = None
        if view.mode == "in_person":
            location = view.meeting_type.address
        if manage_token is not None:
            if view.mode == "video":
                lines.append(f"Video: {self.join_url(manage_token)}")
                location = self.join_url(manage_token)
            lines.append(f"Manage / Hallinnoi / Hantera: {self.manage_url(manage_token)}")
        elif for_caseworker:
            lines.append(f"{self._base_url}/caseworker/bookings/{view.id}")
        return Invitation(
            uid=view.ical_uid,
            sequence=view.ical_sequence,
            start=view.start,
            end=view.end,
            zone_name=view.zone_name,
            summary=summary,
            location=location,
            description="\n".join(lines),
            organizer_name=view.caseworker.name,
            organizer_email=view.caseworker.email,
            attendee_name=view.client_name,
            attendee_email=view.client_email,
            status="CANCELLED" if view.status == CANCELLED else "CONFIRMED",
            created=view.created_at,
        )

    def invitation_ics(self, view: BookingView, manage_token: str | None = None) -> bytes:
        method: Literal["REQUEST", "CANCEL"] = "CANCEL" if view.status == CANCELLED else "REQUEST"
        return invitation_ics(self.invitation(view, manage_token=manage_token), method)
