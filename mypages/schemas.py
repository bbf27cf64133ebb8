"""My pages' API bodies."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel

from booking.schemas import BookingOut


class OwnBookingOut(BaseModel):
    booking: BookingOut
    # Open the booking's manage page (and its video meeting) with this, as with a manage token:
    # /manage/{link_token} or the booking API's bearer token. It expires within 12 hours.
    link_token: str


class OwnBookingsOut(BaseModel):
    upcoming: list[OwnBookingOut]
    past: list[OwnBookingOut]


class StaffReadOut(BaseModel):
    at: AwareDatetime
    action: str
    what: str
    # What was read: "booking <id>" or "message_thread <id>".
    item: str
    role: str | None
    unit: str | None


class StaffReadsOut(BaseModel):
    reads: list[StaffReadOut]
