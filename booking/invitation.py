"""The calendar files of a booking: the invitation a client and caseworker get (iTIP, RFC 5546)
and the caseworker's subscription feed (RFC 5545, RFC 7986).

Pure: values in, bytes out. The service decides what the summary and description say.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Event, Timezone, vCalAddress, vDuration

PRODID = "-//Kohtaamo//Kohtaamo//EN"
FEED_REFRESH = timedelta(minutes=15)

Method = Literal["REQUEST", "CANCEL"]
Status = Literal["CONFIRMED", "CANCELLED"]


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class Invitation:
    """One booking as calendar programs see it. Times are aware UTC datetimes."""

    uid: str  # stable for the booking's whole life, so updates replace the old entry
    sequence: int  # rises on each reschedule
    start: datetime
    end: datetime
    zone_name: str  # the caseworker's zone, e.g. "Europe/Helsinki"; times are written in it
    summary: str
    location: str | None = None
    description: str  # plain text: the video meeting's join link, the manage link
    url: str | None = None
    organizer_name: str
    organizer_email: str
    attendee_name: str
    attendee_email: str | None = None
    status: Status
    created: datetime

    def __post_init__(self) -> None:
        for moment in (self.start, self.end, self.created):
            if moment.utcoffset() != timedelta(0):
                raise ValueError("invitation times must be aware UTC datetimes")
        if self.end <= self.start:
            raise ValueError("an invitation must end after it starts")
        if self.sequence < 0:
            raise ValueError("the sequence must not be negative")
        _zone(self.zone_name)
        for address in (self.organizer_email, self.attendee_email):
            # The address is written as a bare URI, which the library does not escape.
            if address is not None and not _is_plain_address(address):
                raise ValueError("an email address must not contain spaces or control characters")


def invitation_ics(
    invitation: Invitation, method: Method, *, stamp: datetime | None = None
) -> bytes:
    """A scheduling message: REQUEST for a new or moved booking, CANCEL for a cancelled one.

    ``stamp`` is when the message was made (DTSTAMP); it defaults to now.
    """
    if method == "REQUEST" and invitation.status == "CANCELLED":
        raise ValueError("a cancelled booking is sent with the method CANCEL")
    calendar = _calendar(method=method)
    calendar.add_component(_timezone(invitation.zone_name, [invitation]))
    status: Status = "CANCELLED" if method == "CANCEL" else invitation.status
    made_at = stamp or datetime.now(UTC)
    calendar.add_component(_event(invitation, made_at, status=status, with_attendee=True))
    ics: bytes = calendar.to_ical()
    return ics


def calendar_feed_ics(
    name: str,
    zone_name: str,
    invitations: Sequence[Invitation],
    *,
    stamp: datetime | None = None,
) -> bytes:
    """A caseworker's subscription feed of bookings, polled by their calendar program.

    Attendees are left out: the feed is often read by a third-party calendar service, and
    the caseworker needs no one's address to see their day.
    """
    calendar = _calendar(method="PUBLISH")
    calendar.add("NAME", name)
    calendar.add("X-WR-CALNAME", name)
    calendar.add("X-WR-TIMEZONE", zone_name)
    calendar.add("REFRESH-INTERVAL", vDuration(FEED_REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("X-PUBLISHED-TTL", vDuration(FEED_REFRESH))
    zone_names = sorted({zone_name, *(invitation.zone_name for invitation in invitations)})
    for each_zone in zone_names:
        used_by = [invitation for invitation in invitations if invitation.zone_name == each_zone]
        calendar.add_component(_timezone(each_zone, used_by))
    made_at = stamp or datetime.now(UTC)
    for invitation in invitations:
        calendar.add_component(
            _event(invitation, made_at, status=invitation.status, with_attendee=False)
        )
    ics: bytes = calendar.to_ical()
    return ics


def _calendar(method: str) -> Calendar:
    calendar = Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    calendar.add("METHOD", method)
    return calendar


def _event(
    invitation: Invitation, stamp: datetime, *, status: Status, with_attendee: bool
) -> Event:
    zone = _zone(invitation.zone_name)
    event = Event()
    event.add("UID", invitation.uid)
    event.add("SEQUENCE", invitation.sequence)
    event.add("DTSTAMP", stamp.astimezone(UTC))
    event.add("CREATED", invitation.created)
    event.add("DTSTART", invitation.start.astimezone(zone))
    event.add("DTEND", invitation.end.astimezone(zone))
    event.add("SUMMARY", invitation.summary)
    event.add("DESCRIPTION", invitation.description)
    if invitation.location:
        event.add("LOCATION", invitation.location)
    if invitation.url:
        event.add("URL", invitation.url)
    event.add("STATUS", status)
    event.add("TRANSP", "OPAQUE")
    # Calendars are often shared with colleagues; a social services meeting is nobody's business.
    event.add("CLASS", "PRIVATE")
    organizer = vCalAddress(f"mailto:{invitation.organizer_email}")
    organizer.params["CN"] = _display_name(invitation.organizer_name)
    event.add("ORGANIZER", organizer)
    if with_attendee and invitation.attendee_email:
        attendee = vCalAddress(f"mailto:{invitation.attendee_email}")
        attendee.params["CN"] = _display_name(invitation.attendee_name)
        attendee.params["CUTYPE"] = "INDIVIDUAL"
        attendee.params["ROLE"] = "REQ-PARTICIPANT"
        # The client chose this time themselves: there is nothing left to answer.
        attendee.params["PARTSTAT"] = "ACCEPTED"
        attendee.params["RSVP"] = "FALSE"
        event.add("ATTENDEE", attendee)
    return event


def _timezone(zone_name: str, invitations: Sequence[Invitation]) -> Timezone:
    """The VTIMEZONE for ``zone_name``, covering the years the invitations fall in."""
    zone = _zone(zone_name)
    years = [
        moment.astimezone(zone).year
        for invitation in invitations
        for moment in (invitation.start, invitation.end)
    ] or [datetime.now(UTC).year]
    return _timezone_for_years(zone_name, min(years), max(years))


@functools.lru_cache(maxsize=64)
def _timezone_for_years(zone_name: str, first_year: int, last_year: int) -> Timezone:
    # Every booking's invitation carries one; building it from the zone's rules cost a fifth of
    # making the file. Shared between calendars, which only read it when they are written out.
    return Timezone.from_tzid(
        zone_name, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )


def _zone(zone_name: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder: OSError
        raise ValueError(f"unknown time zone {zone_name!r}") from None


def _is_plain_address(address: str) -> bool:
    return "@" in address and not any(char.isspace() or ord(char) < 32 for char in address)


def _display_name(name: str) -> str:
    """A name on one line: calendar programs show a parameter's escapes literally."""
    return " ".join("".join(char if char.isprintable() else " " for char in name).split())
