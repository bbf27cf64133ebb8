"""The .ics files of a booking, read back by two independent parsers: icalendar and vobject.

Expected local times were worked out by hand: Helsinki is UTC+2 until 30 March 2025 and
UTC+3 after it; Stockholm is UTC+1 and UTC+2 on the same dates.
"""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject

from booking.invitation import Invitation, calendar_feed_ics, invitation_ics

HELSINKI = ZoneInfo("Europe/Helsinki")
STAMP = datetime(2025, 3, 20, 9, 30, tzinfo=UTC)
DESCRIPTION = (
    "Liity videotapaamiseen: https://kohtaamo.example.fi/video/3f9c2a7e\n"
    "Muuta tai peru aika: https://kohtaamo.example.fi/varaus/7f3c2a"
)

BOOKING = Invitation(
    uid="booking-7f3c2a@kohtaamo.example.fi",
    sequence=2,
    start=datetime(2025, 3, 25, 8, 0, tzinfo=UTC),
    end=datetime(2025, 3, 25, 9, 0, tzinfo=UTC),
    zone_name="Europe/Helsinki",
    summary="Tapaaminen: sosiaaliohjaus",
    location="Sosiaaliasema, Toinen linja 4, Helsinki",
    description=DESCRIPTION,
    url="https://kohtaamo.example.fi/varaus/7f3c2a",
    organizer_name="Anna Virtanen",
    organizer_email="anna.virtanen@example.fi",
    attendee_name="Ville Asiakas",
    attendee_email="ville.asiakas@example.com",
    status="CONFIRMED",
    created=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
)

_unique_zone_names = itertools.count()


def read_with_icalendar(data: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(data)


def read_with_vobject(data: bytes) -> Any:
    return vobject.readOne(data.decode("utf-8"))


def only_event(calendar: icalendar.Calendar) -> icalendar.Event:
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, icalendar.Event)
    return event


def test_request_read_by_icalendar_has_the_scheduling_fields() -> None:
    calendar = read_with_icalendar(invitation_ics(BOOKING, "REQUEST", stamp=STAMP))
    event = only_event(calendar)

    assert str(calendar["PRODID"]) == "-//Kohtaamo//Kohtaamo//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == "booking-7f3c2a@kohtaamo.example.fi"
    assert event["SEQUENCE"] == 2
    assert event["DTSTAMP"].dt == datetime(2025, 3, 20, 9, 30, tzinfo=UTC)
    assert event["DTSTART"].params["TZID"] == "Europe/Helsinki"
    assert event["DTSTART"].dt == datetime(2025, 3, 25, 10, 0, tzinfo=HELSINKI)
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2025, 3, 25, 8, 0, tzinfo=UTC)
    assert event["DTEND"].params["TZID"] == "Europe/Helsinki"
    assert event["DTEND"].dt.astimezone(UTC) == datetime(2025, 3, 25, 9, 0, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Tapaaminen: sosiaaliohjaus"
    assert str(event["DESCRIPTION"]) == DESCRIPTION
    assert str(event["LOCATION"]) == "Sosiaaliasema, Toinen linja 4, Helsinki"
    assert str(event["URL"]) == "https://kohtaamo.example.fi/varaus/7f3c2a"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["ORGANIZER"]) == "mailto:anna.virtanen@example.fi"
    assert event["ORGANIZER"].params["CN"] == "Anna Virtanen"
    assert str(event["ATTENDEE"]) == "mailto:ville.asiakas@example.com"
    assert event["ATTENDEE"].params["CN"] == "Ville Asiakas"
    assert event["ATTENDEE"].params["PARTSTAT"] == "ACCEPTED"
    assert event["ATTENDEE"].params["RSVP"] == "FALSE"
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]


def test_request_read_by_vobject_has_the_same_fields() -> None:
    calendar = read_with_vobject(invitation_ics(BOOKING, "REQUEST", stamp=STAMP))
    event = calendar.vevent

    assert calendar.prodid.value == "-//Kohtaamo//Kohtaamo//EN"
    assert calendar.method.value == "REQUEST"
    assert calendar.vtimezone.tzid.value == "Europe/Helsinki"
    assert len(calendar.vevent_list) == 1
    assert event.uid.value == "booking-7f3c2a@kohtaamo.example.fi"
    assert event.sequence.value == "2"
    assert event.dtstart.value == datetime(2025, 3, 25, 8, 0, tzinfo=UTC)
    assert event.dtstart.value.utcoffset() == timedelta(hours=2)
    assert event.dtend.value == datetime(2025, 3, 25, 9, 0, tzinfo=UTC)
    assert event.summary.value == "Tapaaminen: sosiaaliohjaus"
    assert event.description.value == DESCRIPTION
    assert event.organizer.value == "mailto:anna.virtanen@example.fi"
    assert event.organizer.params["CN"] == ["Anna Virtanen"]
    assert [attendee.value for attendee in event.attendee_list] == [
        "mailto:ville.asiakas@example.com"
    ]
    assert event.attendee.params["PARTSTAT"] == ["ACCEPTED"]
    assert event.attendee.params["RSVP"] == ["FALSE"]
    assert event.status.value == "CONFIRMED"


def test_start_and_end_are_written_with_tzid_in_local_time() -> None:
    data = invitation_ics(BOOKING, "REQUEST", stamp=STAMP)

    assert b"\r\nDTSTART;TZID=Europe/Helsinki:20250325T100000\r\n" in data
    assert b"\r\nDTEND;TZID=Europe/Helsinki:20250325T110000\r\n" in data
    assert b"\r\nDTSTAMP:20250320T093000Z\r\n" in data


def test_the_vtimezone_alone_gives_winter_and_summer_offsets() -> None:
    # A zone name vobject cannot look up, so it must build the zone from our VTIMEZONE.
    # (vobject remembers zone names for the whole process: each test uses a new one.)
    summer = dataclasses.replace(
        BOOKING,
        start=datetime(2025, 4, 1, 11, 0, tzinfo=UTC),
        end=datetime(2025, 4, 1, 12, 0, tzinfo=UTC),
    )
    for booking, local_start, offset in [
        (BOOKING, datetime(2025, 3, 25, 10, 0), timedelta(hours=2)),
        (summer, datetime(2025, 4, 1, 14, 0), timedelta(hours=3)),
    ]:
        name = f"Kohtaamo-Test-Zone-{next(_unique_zone_names)}".encode()
        data = invitation_ics(booking, "REQUEST", stamp=STAMP).replace(b"Europe/Helsinki", name)

        start = read_with_vobject(data).vevent.dtstart.value

        assert start.replace(tzinfo=None) == local_start
        assert start.utcoffset() == offset
        assert start == booking.start


def test_cancel_keeps_the_uid_and_says_cancelled_to_both_parsers() -> None:
    cancelled = dataclasses.replace(BOOKING, sequence=3, status="CANCELLED")
    data = invitation_ics(cancelled, "CANCEL", stamp=STAMP)

    calendar = read_with_icalendar(data)
    event = only_event(calendar)
    assert str(calendar["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == "booking-7f3c2a@kohtaamo.example.fi"
    assert event["SEQUENCE"] == 3
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["DTSTART"].dt.astimezone(UTC) == datetime(2025, 3, 25, 8, 0, tzinfo=UTC)

    other = read_with_vobject(data)
    assert other.method.value == "CANCEL"
    assert other.vevent.uid.value == "booking-7f3c2a@kohtaamo.example.fi"
    assert other.vevent.sequence.value == "3"
    assert other.vevent.status.value == "CANCELLED"


def test_cancel_of_a_still_confirmed_invitation_is_written_as_cancelled() -> None:
    event = only_event(read_with_icalendar(invitation_ics(BOOKING, "CANCEL", stamp=STAMP)))

    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["UID"]) == "booking-7f3c2a@kohtaamo.example.fi"


def test_a_request_for_a_cancelled_booking_is_refused() -> None:
    cancelled = dataclasses.replace(BOOKING, status="CANCELLED")

    with pytest.raises(ValueError, match="CANCEL"):
        invitation_ics(cancelled, "REQUEST", stamp=STAMP)


def test_without_an_email_there_is_no_attendee_and_optional_fields_are_left_out() -> None:
    phone_client = dataclasses.replace(BOOKING, attendee_email=None, location=None, url=None)

    event = only_event(read_with_icalendar(invitation_ics(phone_client, "REQUEST", stamp=STAMP)))

    assert "ATTENDEE" not in event
    assert "LOCATION" not in event
    assert "URL" not in event
    assert str(event["ORGANIZER"]) == "mailto:anna.virtanen@example.fi"


def test_dtstamp_defaults_to_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)

    event = only_event(read_with_icalendar(invitation_ics(BOOKING, "REQUEST")))

    assert before <= event["DTSTAMP"].dt <= datetime.now(UTC)


def test_lines_are_folded_at_75_octets_and_end_in_crlf() -> None:
    long_text = dataclasses.replace(
        BOOKING,
        summary="Tapaaminen sosiaaliohjaajan kanssa: asumisen tuki ja päihdepalvelut " * 2,
        description=DESCRIPTION + "\n" + "Tärkeää: ota mukaan päätösasiakirjat. " * 6,
    )
    data = invitation_ics(long_text, "REQUEST", stamp=STAMP)

    assert data.endswith(b"END:VCALENDAR\r\n")
    lines = data.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines)
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)
    for line in lines:
        line.decode("utf-8")  # no character is cut in two by a fold
    event = read_with_vobject(data).vevent
    assert event.summary.value == long_text.summary
    assert event.description.value == long_text.description


def test_text_with_special_characters_survives_and_cannot_add_properties() -> None:
    tricky = dataclasses.replace(
        BOOKING,
        summary="Tapaaminen, huone 3; kerros 2 \\ sisäänkäynti B",
        attendee_name="Ville\r\nATTENDEE:mailto:evil@example.com",
        organizer_name="Anna\nORGANIZER:mailto:evil@example.com",
    )
    data = invitation_ics(tricky, "REQUEST", stamp=STAMP)

    event = only_event(read_with_icalendar(data))
    assert str(event["SUMMARY"]) == "Tapaaminen, huone 3; kerros 2 \\ sisäänkäynti B"
    assert str(event["ATTENDEE"]) == "mailto:ville.asiakas@example.com"
    assert event["ATTENDEE"].params["CN"] == "Ville ATTENDEE:mailto:evil@example.com"
    assert str(event["ORGANIZER"]) == "mailto:anna.virtanen@example.fi"
    other = read_with_vobject(data).vevent
    assert [attendee.value for attendee in other.attendee_list] == [
        "mailto:ville.asiakas@example.com"
    ]
    assert other.summary.value == "Tapaaminen, huone 3; kerros 2 \\ sisäänkäynti B"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"start": datetime(2025, 3, 25, 10, 0)}, id="naive start"),
        pytest.param({"start": datetime(2025, 3, 25, 10, 0, tzinfo=HELSINKI)}, id="local start"),
        pytest.param({"end": datetime(2025, 3, 25, 8, 0, tzinfo=UTC)}, id="empty"),
        pytest.param({"zone_name": "Europe/Atlantis"}, id="unknown zone"),
        pytest.param({"zone_name": "Europe"}, id="zone folder"),
        pytest.param({"sequence": -1}, id="negative sequence"),
        pytest.param({"attendee_email": "ville@example.com\r\nX-EVIL:1"}, id="line break"),
        pytest.param({"organizer_email": "anna virtanen@example.fi"}, id="space"),
    ],
)
def test_an_invitation_with_bad_values_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(BOOKING, **changes)


STOCKHOLM_BOOKING = dataclasses.replace(
    BOOKING,
    uid="booking-a81d44@kohtaamo.example.fi",
    sequence=0,
    start=datetime(2025, 4, 2, 7, 0, tzinfo=UTC),
    end=datetime(2025, 4, 2, 7, 45, tzinfo=UTC),
    zone_name="Europe/Stockholm",
    summary="Videotapaaminen",
    location=None,
)
CANCELLED_BOOKING = dataclasses.replace(
    BOOKING,
    uid="booking-c0ffee@kohtaamo.example.fi",
    sequence=4,
    start=datetime(2025, 6, 10, 10, 0, tzinfo=UTC),
    end=datetime(2025, 6, 10, 11, 0, tzinfo=UTC),
    status="CANCELLED",
)
FEED = [BOOKING, STOCKHOLM_BOOKING, CANCELLED_BOOKING]


def test_feed_read_by_icalendar_lists_every_booking_with_refresh_hints() -> None:
    data = calendar_feed_ics("Anna Virtanen (Kohtaamo)", "Europe/Helsinki", FEED, stamp=STAMP)
    calendar = read_with_icalendar(data)

    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["PRODID"]) == "-//Kohtaamo//Kohtaamo//EN"
    assert str(calendar["X-WR-CALNAME"]) == "Anna Virtanen (Kohtaamo)"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Helsinki"
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT15M\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT15M\r\n" in data
    assert calendar.refresh_interval == timedelta(minutes=15)
    assert sorted(str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")) == [
        "Europe/Helsinki",
        "Europe/Stockholm",
    ]
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    assert sorted(events) == [
        "booking-7f3c2a@kohtaamo.example.fi",
        "booking-a81d44@kohtaamo.example.fi",
        "booking-c0ffee@kohtaamo.example.fi",
    ]
    helsinki = events["booking-7f3c2a@kohtaamo.example.fi"]
    assert helsinki["DTSTART"].dt == datetime(2025, 3, 25, 10, 0, tzinfo=HELSINKI)
    stockholm = events["booking-a81d44@kohtaamo.example.fi"]
    assert stockholm["DTSTART"].params["TZID"] == "Europe/Stockholm"
    assert stockholm["DTSTART"].dt.replace(tzinfo=None) == datetime(2025, 4, 2, 9, 0)
    assert stockholm["DTEND"].dt.astimezone(UTC) == datetime(2025, 4, 2, 7, 45, tzinfo=UTC)
    cancelled = events["booking-c0ffee@kohtaamo.example.fi"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled["SEQUENCE"] == 4
    assert cancelled["DTSTART"].dt.replace(tzinfo=None) == datetime(2025, 6, 10, 13, 0)
    assert all("ATTENDEE" not in event for event in events.values())
    assert all(
        str(event["ORGANIZER"]) == "mailto:anna.virtanen@example.fi" for event in events.values()
    )


def test_feed_read_by_vobject_lists_every_booking_at_the_right_instant() -> None:
    data = calendar_feed_ics("Anna Virtanen (Kohtaamo)", "Europe/Helsinki", FEED, stamp=STAMP)
    calendar = read_with_vobject(data)

    assert calendar.method.value == "PUBLISH"
    assert sorted(zone.tzid.value for zone in calendar.vtimezone_list) == [
        "Europe/Helsinki",
        "Europe/Stockholm",
    ]
    starts = {event.uid.value: event.dtstart.value for event in calendar.vevent_list}
    assert starts == {
        "booking-7f3c2a@kohtaamo.example.fi": datetime(2025, 3, 25, 8, 0, tzinfo=UTC),
        "booking-a81d44@kohtaamo.example.fi": datetime(2025, 4, 2, 7, 0, tzinfo=UTC),
        "booking-c0ffee@kohtaamo.example.fi": datetime(2025, 6, 10, 10, 0, tzinfo=UTC),
    }


def test_an_empty_feed_is_still_a_calendar_with_its_zone() -> None:
    data = calendar_feed_ics("Anna Virtanen (Kohtaamo)", "Europe/Helsinki", [], stamp=STAMP)

    calendar = read_with_icalendar(data)
    assert calendar.walk("VEVENT") == []
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Helsinki"]
    assert read_with_vobject(data).method.value == "PUBLISH"
