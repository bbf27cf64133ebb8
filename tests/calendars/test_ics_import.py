"""Busy times read from calendar files as Outlook, Google and Apple export them.

Every expected interval was worked out by hand from the file's local times and the zone's
UTC offset on that day: Helsinki is UTC+2 in winter and UTC+3 in summer, Stockholm UTC+1
and UTC+2; in 2025 summer time runs from 30 March 01:00 UTC to 26 October 01:00 UTC.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from calendars.ics_import import MAX_ICS_BYTES, BusyTime, IcsImportError, parse_busy_times
from core.errors import ValidationFailed

HELSINKI = ZoneInfo("Europe/Helsinki")
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def utc(month: int, day: int, hour: int = 0, minute: int = 0, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def busy(start: datetime, end: datetime) -> BusyTime:
    return BusyTime(start, end)


def ics(text: str) -> bytes:
    """The file as calendar programs write it: CRLF line ends, UTF-8."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return ("\r\n".join(line for line in lines if line) + "\r\n").encode()


def calendar(*events: str) -> bytes:
    body = "\n".join(events)
    return ics(f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Test//Test//EN\n{body}\nEND:VCALENDAR")


OUTLOOK_EXPORT = (
    b"BEGIN:VCALENDAR\r\n"
    b"PRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
    b"VERSION:2.0\r\n"
    b"METHOD:PUBLISH\r\n"
    b"X-MS-OLK-FORCEINSPECTOROPEN:TRUE\r\n"
    b"BEGIN:VTIMEZONE\r\n"
    b"TZID:FLE Standard Time\r\n"
    b"BEGIN:STANDARD\r\n"
    b"DTSTART:16011026T040000\r\n"
    b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    b"TZOFFSETFROM:+0300\r\n"
    b"TZOFFSETTO:+0200\r\n"
    b"END:STANDARD\r\n"
    b"BEGIN:DAYLIGHT\r\n"
    b"DTSTART:16010325T030000\r\n"
    b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    b"TZOFFSETFROM:+0200\r\n"
    b"TZOFFSETTO:+0300\r\n"
    b"END:DAYLIGHT\r\n"
    b"END:VTIMEZONE\r\n"
    b"BEGIN:VTIMEZONE\r\n"
    b"TZID:Customized Time Zone\r\n"
    b"BEGIN:STANDARD\r\n"
    b"DTSTART:16011028T030000\r\n"
    b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\n"
    b"TZOFFSETFROM:+0200\r\n"
    b"TZOFFSETTO:+0100\r\n"
    b"END:STANDARD\r\n"
    b"BEGIN:DAYLIGHT\r\n"
    b"DTSTART:16010325T020000\r\n"
    b"RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\n"
    b"TZOFFSETFROM:+0100\r\n"
    b"TZOFFSETTO:+0200\r\n"
    b"END:DAYLIGHT\r\n"
    b"END:VTIMEZONE\r\n"
    b"BEGIN:VEVENT\r\n"
    b"CLASS:PUBLIC\r\n"
    b"CREATED:20250310T091500Z\r\n"
    b"DESCRIPTION:Asiakkaan asiat k\xc3\xa4sitell\xc3\xa4\xc3\xa4n luottamuksellisesti. Muista ott\r\n"
    b" aa mukaan p\xc3\xa4\xc3\xa4t\xc3\xb6sasiakirjat ja edellisen tapaamisen muistiinpanot.\\n\r\n"
    b'DTEND;TZID="FLE Standard Time":20250325T113000\r\n'
    b"DTSTAMP:20250320T120000Z\r\n"
    b'DTSTART;TZID="FLE Standard Time":20250325T100000\r\n'
    b"LAST-MODIFIED:20250310T091500Z\r\n"
    b"LOCATION:Huone 101\r\n"
    b"PRIORITY:5\r\n"
    b"SEQUENCE:0\r\n"
    b"SUMMARY;LANGUAGE=fi:Asiakastapaaminen\r\n"
    b"TRANSP:OPAQUE\r\n"
    b"UID:040000008200E00074C5B7101A82E0080000000010B3E6D3A691DB0100000000000000\r\n"
    b" 0010000000B1A8C1D2E3F4A5B6C7D8E9F0A1B2C3D4\r\n"
    b"X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n"
    b"X-MICROSOFT-CDO-IMPORTANCE:1\r\n"
    b"END:VEVENT\r\n"
    b"BEGIN:VEVENT\r\n"
    b"CLASS:PUBLIC\r\n"
    b'DTEND;TZID="Customized Time Zone":20250327T100000\r\n'
    b"DTSTAMP:20250320T120000Z\r\n"
    b'DTSTART;TZID="Customized Time Zone":20250327T090000\r\n'
    b"SUMMARY;LANGUAGE=fi:Koulutus Tukholmassa\r\n"
    b"TRANSP:OPAQUE\r\n"
    b"UID:040000008200E00074C5B7101A82E0080000000020B3E6D3A691DB01\r\n"
    b"X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n"
    b"END:VEVENT\r\n"
    b"BEGIN:VEVENT\r\n"
    b"CLASS:PUBLIC\r\n"
    b'DTEND;TZID="FLE Standard Time":20250401T150000\r\n'
    b"DTSTAMP:20250320T120000Z\r\n"
    b'DTSTART;TZID="FLE Standard Time":20250401T140000\r\n'
    b"SUMMARY;LANGUAGE=fi:Tiimipalaveri\r\n"
    b"TRANSP:OPAQUE\r\n"
    b"UID:040000008200E00074C5B7101A82E0080000000030B3E6D3A691DB01\r\n"
    b"X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n"
    b"END:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)


def test_outlook_export_reads_times_in_its_vtimezones_across_the_spring_change() -> None:
    result = parse_busy_times(OUTLOOK_EXPORT, utc(3, 24), utc(4, 7), HELSINKI)

    assert result == [
        busy(utc(3, 25, 8, 0), utc(3, 25, 9, 30)),  # 10:00-11:30 at +02:00
        busy(utc(3, 27, 8, 0), utc(3, 27, 9, 0)),  # 09:00-10:00 in the custom +01:00 zone
        busy(utc(4, 1, 11, 0), utc(4, 1, 12, 0)),  # 14:00-15:00 at +03:00
    ]


GOOGLE_EXPORT = calendar(
    """
    CALSCALE:GREGORIAN
    METHOD:PUBLISH
    X-WR-CALNAME:anna.virtanen@example.fi
    X-WR-TIMEZONE:Europe/Helsinki
    BEGIN:VEVENT
    DTSTART:20250325T070000Z
    DTEND:20250325T080000Z
    DTSTAMP:20250320T101010Z
    UID:5q9n3j2k1l0m8p7o6i5u4y3t2r@google.com
    CREATED:20250301T080000Z
    DESCRIPTION:
    LAST-MODIFIED:20250301T080000Z
    LOCATION:
    SEQUENCE:0
    STATUS:CONFIRMED
    SUMMARY:Hammaslääkäri
    TRANSP:OPAQUE
    END:VEVENT
    BEGIN:VEVENT
    DTSTART:20250326T090000
    DTEND:20250326T093000
    DTSTAMP:20250320T101010Z
    UID:floating1a2b3c@google.com
    SUMMARY:Puhelu
    END:VEVENT
    BEGIN:VEVENT
    DTSTART:20250324T060000Z
    DTEND:20250324T063000Z
    RRULE:FREQ=WEEKLY;COUNT=2
    DTSTAMP:20250320T101010Z
    UID:standup9z8y7x@google.com
    SUMMARY:Aamupalaveri
    END:VEVENT
    """
)


def test_google_export_uses_x_wr_timezone_for_floating_and_repeating_utc_times() -> None:
    # The caseworker's own zone is Stockholm; the calendar says Helsinki, and that wins.
    result = parse_busy_times(GOOGLE_EXPORT, utc(3, 24), utc(4, 7), STOCKHOLM)

    assert result == [
        busy(utc(3, 24, 6, 0), utc(3, 24, 6, 30)),  # 08:00 Helsinki winter time
        busy(utc(3, 25, 7, 0), utc(3, 25, 8, 0)),  # UTC stays UTC
        busy(utc(3, 26, 7, 0), utc(3, 26, 7, 30)),  # floating 09:00 read in Helsinki
        # The weekly repeat keeps 08:00 on Helsinki's wall clock, now at +03:00.
        busy(utc(3, 31, 5, 0), utc(3, 31, 5, 30)),
    ]


def test_unknown_x_wr_timezone_falls_back_to_the_caseworkers_zone() -> None:
    data = calendar(
        """
        X-WR-TIMEZONE:Mars/Olympus_Mons
        BEGIN:VEVENT
        UID:floating@example.org
        DTSTART:20250326T090000
        DTEND:20250326T093000
        END:VEVENT
        """
    )

    result = parse_busy_times(data, utc(3, 24), utc(4, 7), STOCKHOLM)

    assert result == [busy(utc(3, 26, 8, 0), utc(3, 26, 8, 30))]


ALL_DAY_EVENTS = calendar(
    """
    BEGIN:VEVENT
    UID:vacation-spring@example.org
    DTSTART;VALUE=DATE:20250328
    DTEND;VALUE=DATE:20250401
    SUMMARY:Loma
    TRANSP:OPAQUE
    END:VEVENT
    BEGIN:VEVENT
    UID:day-off@example.org
    DTSTART;VALUE=DATE:20250403
    SUMMARY:Vapaapäivä
    END:VEVENT
    BEGIN:VEVENT
    UID:course@example.org
    DTSTART;VALUE=DATE:20250405
    DURATION:P2D
    SUMMARY:Kurssi
    END:VEVENT
    BEGIN:VEVENT
    UID:vacation-autumn@example.org
    DTSTART;VALUE=DATE:20251024
    DTEND;VALUE=DATE:20251028
    SUMMARY:Syysloma
    END:VEVENT
    """
)


def test_all_day_events_block_whole_local_days_across_both_clock_changes() -> None:
    result = parse_busy_times(ALL_DAY_EVENTS, utc(3, 1), utc(11, 1), HELSINKI)

    assert result == [
        # Fri 28 March 00:00 at +02:00 until Tue 1 April 00:00 at +03:00: 95 hours.
        busy(utc(3, 27, 22, 0), utc(3, 31, 21, 0)),
        busy(utc(4, 2, 21, 0), utc(4, 3, 21, 0)),  # a date without an end lasts one day
        busy(utc(4, 4, 21, 0), utc(4, 6, 21, 0)),  # DURATION:P2D
        # Fri 24 October 00:00 at +03:00 until Tue 28 October 00:00 at +02:00: 97 hours.
        busy(utc(10, 23, 21, 0), utc(10, 27, 22, 0)),
    ]


def test_all_day_events_follow_the_caseworkers_zone() -> None:
    result = parse_busy_times(ALL_DAY_EVENTS, utc(3, 1), utc(3, 31, 22), STOCKHOLM)

    assert result == [busy(utc(3, 27, 23, 0), utc(3, 31, 22, 0))]


WEEKLY_MEETING = calendar(
    """
    CALSCALE:GREGORIAN
    BEGIN:VTIMEZONE
    TZID:Europe/Helsinki
    BEGIN:DAYLIGHT
    TZOFFSETFROM:+0200
    RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
    DTSTART:19810329T030000
    TZNAME:EEST
    TZOFFSETTO:+0300
    END:DAYLIGHT
    BEGIN:STANDARD
    TZOFFSETFROM:+0300
    RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
    DTSTART:19961027T040000
    TZNAME:EET
    TZOFFSETTO:+0200
    END:STANDARD
    END:VTIMEZONE
    BEGIN:VEVENT
    UID:weekly-team@example.org
    DTSTAMP:20250301T080000Z
    DTSTART;TZID=Europe/Helsinki:20250317T090000
    DTEND;TZID=Europe/Helsinki:20250317T100000
    RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=6
    EXDATE;TZID=Europe/Helsinki:20250324T090000
    RDATE;TZID=Europe/Helsinki:20250326T130000
    SUMMARY:Tiimipalaveri
    END:VEVENT
    BEGIN:VEVENT
    UID:weekly-team@example.org
    DTSTAMP:20250301T080000Z
    RECURRENCE-ID;TZID=Europe/Helsinki:20250407T090000
    DTSTART;TZID=Europe/Helsinki:20250407T140000
    DTEND;TZID=Europe/Helsinki:20250407T153000
    SEQUENCE:1
    SUMMARY:Tiimipalaveri (siirretty)
    END:VEVENT
    """
)


def test_weekly_meeting_expands_with_exdate_rdate_and_a_moved_instance() -> None:
    # Mondays 17 March to 21 April; the window leaves out the first and the last.
    result = parse_busy_times(WEEKLY_MEETING, utc(3, 20), utc(4, 19), HELSINKI)

    assert result == [
        # 24 March is excluded by EXDATE.
        busy(utc(3, 26, 11, 0), utc(3, 26, 12, 0)),  # RDATE Wednesday 13:00 at +02:00
        busy(utc(3, 31, 6, 0), utc(3, 31, 7, 0)),  # 09:00 at +03:00
        busy(utc(4, 7, 11, 0), utc(4, 7, 12, 30)),  # moved to 14:00-15:30
        busy(utc(4, 14, 6, 0), utc(4, 14, 7, 0)),
    ]


def test_transparent_and_cancelled_events_and_instances_do_not_block() -> None:
    data = calendar(
        """
        BEGIN:VEVENT
        UID:opaque@example.org
        DTSTART:20250325T080000Z
        DTEND:20250325T090000Z
        END:VEVENT
        BEGIN:VEVENT
        UID:transparent@example.org
        DTSTART:20250325T100000Z
        DTEND:20250325T110000Z
        TRANSP:TRANSPARENT
        END:VEVENT
        BEGIN:VEVENT
        UID:cancelled@example.org
        DTSTART:20250325T120000Z
        DTEND:20250325T130000Z
        STATUS:CANCELLED
        END:VEVENT
        BEGIN:VEVENT
        UID:daily@example.org
        DTSTART:20250326T080000Z
        DTEND:20250326T083000Z
        RRULE:FREQ=DAILY;COUNT=3
        END:VEVENT
        BEGIN:VEVENT
        UID:daily@example.org
        RECURRENCE-ID:20250327T080000Z
        DTSTART:20250327T080000Z
        DTEND:20250327T083000Z
        STATUS:CANCELLED
        END:VEVENT
        """
    )

    result = parse_busy_times(data, utc(3, 24), utc(4, 7), HELSINKI)

    assert result == [
        busy(utc(3, 25, 8, 0), utc(3, 25, 9, 0)),
        busy(utc(3, 26, 8, 0), utc(3, 26, 8, 30)),
        busy(utc(3, 28, 8, 0), utc(3, 28, 8, 30)),
    ]


def test_events_without_an_end_use_duration_or_block_nothing() -> None:
    data = calendar(
        """
        BEGIN:VEVENT
        UID:with-duration@example.org
        DTSTART:20250325T080000Z
        DURATION:PT45M
        END:VEVENT
        BEGIN:VEVENT
        UID:an-instant@example.org
        DTSTART:20250325T120000Z
        END:VEVENT
        """
    )

    result = parse_busy_times(data, utc(3, 24), utc(4, 7), HELSINKI)

    assert result == [busy(utc(3, 25, 8, 0), utc(3, 25, 8, 45))]


def test_floating_times_and_unknown_zones_are_read_in_the_caseworkers_zone() -> None:
    data = calendar(
        """
        BEGIN:VEVENT
        UID:floating@example.org
        DTSTART:20250325T090000
        DTEND:20250325T100000
        END:VEVENT
        BEGIN:VEVENT
        UID:unknown-zone@example.org
        DTSTART;TZID=Atlantis/Poseidonia:20250401T090000
        DTEND;TZID=Atlantis/Poseidonia:20250401T100000
        END:VEVENT
        """
    )

    result = parse_busy_times(data, utc(3, 24), utc(4, 7), STOCKHOLM)

    assert result == [
        busy(utc(3, 25, 8, 0), utc(3, 25, 9, 0)),  # +01:00
        busy(utc(4, 1, 7, 0), utc(4, 1, 8, 0)),  # +02:00
    ]


def test_overlapping_and_touching_times_merge_and_the_window_clips() -> None:
    data = calendar(
        """
        BEGIN:VEVENT
        UID:late@example.org
        DTSTART:20250325T120000Z
        DTEND:20250325T130000Z
        END:VEVENT
        BEGIN:VEVENT
        UID:touching@example.org
        DTSTART:20250325T103000Z
        DTEND:20250325T110000Z
        END:VEVENT
        BEGIN:VEVENT
        UID:overlapping@example.org
        DTSTART:20250325T093000Z
        DTEND:20250325T103000Z
        END:VEVENT
        BEGIN:VEVENT
        UID:first@example.org
        DTSTART:20250325T090000Z
        DTEND:20250325T100000Z
        END:VEVENT
        BEGIN:VEVENT
        UID:night-before@example.org
        DTSTART:20250324T220000Z
        DTEND:20250325T010000Z
        END:VEVENT
        BEGIN:VEVENT
        UID:inside@example.org
        DTSTART:20250325T091500Z
        DTEND:20250325T094500Z
        END:VEVENT
        BEGIN:VEVENT
        UID:after-window@example.org
        DTSTART:20250326T080000Z
        DTEND:20250326T090000Z
        END:VEVENT
        """
    )

    result = parse_busy_times(data, utc(3, 25), utc(3, 26), HELSINKI)

    assert result == [
        busy(utc(3, 25, 0, 0), utc(3, 25, 1, 0)),
        busy(utc(3, 25, 9, 0), utc(3, 25, 11, 0)),
        busy(utc(3, 25, 12, 0), utc(3, 25, 13, 0)),
    ]


def test_lf_line_ends_and_a_byte_order_mark_are_accepted() -> None:
    data = b"\xef\xbb\xbf" + OUTLOOK_EXPORT.replace(b"\r\n", b"\n")

    result = parse_busy_times(data, utc(3, 25), utc(3, 26), HELSINKI)

    assert result == [busy(utc(3, 25, 8, 0), utc(3, 25, 9, 30))]


def test_busy_times_keep_nothing_but_the_times() -> None:
    result = parse_busy_times(OUTLOOK_EXPORT, utc(3, 25), utc(3, 26), HELSINKI)

    assert [field.name for field in dataclasses.fields(BusyTime)] == ["start", "end"]
    assert result[0].start.tzinfo is UTC
    assert result[0].end.tzinfo is UTC


def assert_rejected(data: bytes, message: str) -> None:
    with pytest.raises(IcsImportError) as raised:
        parse_busy_times(data, utc(3, 24), utc(4, 7), HELSINKI)
    assert raised.value.message == message
    assert raised.value.fields == {"ics": message}


def test_import_error_is_a_validation_failure_of_the_ics_field() -> None:
    error = IcsImportError("The calendar file is too large.")

    assert isinstance(error, ValidationFailed)
    assert error.status == 422
    assert error.fields == {"ics": "The calendar file is too large."}


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"<!DOCTYPE html>\n<html><body>Sign in</body></html>\n", id="html"),
        pytest.param(b"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Anna\r\nEND:VCARD\r\n", id="vcard"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="image"),
    ],
)
def test_a_file_that_is_not_a_calendar_is_rejected(data: bytes) -> None:
    assert_rejected(data, "The file is not a calendar (.ics) file.")


def test_a_truncated_file_is_rejected() -> None:
    data = OUTLOOK_EXPORT[: OUTLOOK_EXPORT.index(b"DTEND;TZID") + 20]

    assert_rejected(data, "The calendar file is incomplete.")


def test_an_event_without_a_start_is_rejected() -> None:
    data = calendar(
        """
        BEGIN:VEVENT
        UID:no-start@example.org
        DTEND:20250325T090000Z
        SUMMARY:Jotain
        END:VEVENT
        """
    )

    assert_rejected(data, "The calendar file has an event without a start time.")


@pytest.mark.parametrize(
    "event",
    [
        pytest.param("DTSTART:2025-03-25 09:00\nDTEND:20250325T100000Z", id="start not a time"),
        pytest.param("DTSTART:20250325T100000Z\nDTEND:20250325T090000Z", id="end before start"),
        pytest.param("DTSTART:20250325T090000Z\nRRULE:FREQ=FORTNIGHTLY", id="bad repeat rule"),
        pytest.param("DTSTART:20250325T090000Z\nRRULE:COUNT=3", id="rule without frequency"),
    ],
)
def test_an_event_whose_time_cannot_be_read_is_rejected(event: str) -> None:
    data = calendar(f"BEGIN:VEVENT\nUID:bad@example.org\n{event}\nEND:VEVENT")

    assert_rejected(data, "The calendar file has an event whose time cannot be read.")


def test_a_file_over_five_megabytes_is_rejected() -> None:
    head = calendar("BEGIN:VEVENT\nUID:a@example.org\nDTSTART:20250325T090000Z\nEND:VEVENT")
    data = head.replace(
        b"END:VCALENDAR", b"X-PADDING:" + b"x" * MAX_ICS_BYTES + b"\r\nEND:VCALENDAR"
    )

    assert MAX_ICS_BYTES == 5 * 1024 * 1024
    assert_rejected(data, "The calendar file is too large.")


def test_more_than_twenty_thousand_instances_in_the_window_are_rejected() -> None:
    # Every 3 hours through the 2 556 days of 2025-2031: 20 448 instances.
    data = calendar(
        """
        BEGIN:VEVENT
        UID:every-three-hours@example.org
        DTSTART:20250101T000000Z
        DTEND:20250101T001500Z
        RRULE:FREQ=HOURLY;INTERVAL=3
        END:VEVENT
        """
    )

    with pytest.raises(IcsImportError) as raised:
        parse_busy_times(data, utc(1, 1), utc(1, 1, year=2032), HELSINKI)
    assert raised.value.message == "The calendar file has too many events in the chosen period."


def test_twenty_thousand_instances_are_still_read() -> None:
    data = calendar(
        """
        BEGIN:VEVENT
        UID:every-three-hours@example.org
        DTSTART:20250101T000000Z
        DTEND:20250101T001500Z
        RRULE:FREQ=HOURLY;INTERVAL=3;COUNT=20000
        END:VEVENT
        """
    )

    result = parse_busy_times(data, utc(1, 1), utc(1, 1, year=2032), HELSINKI)

    assert len(result) == 20_000
    assert result[-1] == busy(utc(11, 5, 21, 0, year=2031), utc(11, 5, 21, 15, year=2031))


def test_a_rule_too_costly_to_expand_is_rejected_before_expanding() -> None:
    # Every second since 2020: hundreds of millions of steps before the window is reached.
    data = calendar(
        """
        BEGIN:VEVENT
        UID:every-second@example.org
        DTSTART:20200101T000000Z
        DURATION:PT1S
        RRULE:FREQ=SECONDLY
        END:VEVENT
        """
    )

    assert_rejected(data, "The calendar file has an event that repeats too often.")


def custom_zone_calendar(standard: str, daylight: str) -> bytes:
    return calendar(
        f"""
        BEGIN:VTIMEZONE
        TZID:Customized Time Zone
        BEGIN:STANDARD
        DTSTART:16011028T030000
        RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
        TZOFFSETFROM:{daylight}
        TZOFFSETTO:{standard}
        END:STANDARD
        BEGIN:DAYLIGHT
        DTSTART:16010325T020000
        RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
        TZOFFSETFROM:{standard}
        TZOFFSETTO:{daylight}
        END:DAYLIGHT
        END:VTIMEZONE
        BEGIN:VEVENT
        UID:custom@example.org
        DTSTART;TZID="Customized Time Zone":20250325T100000
        DTEND;TZID="Customized Time Zone":20250325T110000
        END:VEVENT
        """
    )


def test_each_file_is_read_with_its_own_definition_of_a_custom_zone_name() -> None:
    # The parser caches custom zones by name for the whole process; these files disagree.
    central = custom_zone_calendar("+0100", "+0200")
    eastern = custom_zone_calendar("+0200", "+0300")

    assert parse_busy_times(central, utc(3, 24), utc(4, 7), HELSINKI) == [
        busy(utc(3, 25, 9, 0), utc(3, 25, 10, 0))
    ]
    assert parse_busy_times(eastern, utc(3, 24), utc(4, 7), HELSINKI) == [
        busy(utc(3, 25, 8, 0), utc(3, 25, 9, 0))
    ]
    assert parse_busy_times(central, utc(3, 24), utc(4, 7), HELSINKI) == [
        busy(utc(3, 25, 9, 0), utc(3, 25, 10, 0))
    ]


def test_a_zone_defined_only_in_another_file_is_read_in_the_caseworkers_zone() -> None:
    parse_busy_times(custom_zone_calendar("+0500", "+0600"), utc(3, 24), utc(4, 7), HELSINKI)
    data = calendar(
        """
        BEGIN:VEVENT
        UID:undefined-zone@example.org
        DTSTART;TZID="Customized Time Zone":20250325T100000
        DTEND;TZID="Customized Time Zone":20250325T110000
        END:VEVENT
        """
    )

    assert parse_busy_times(data, utc(3, 24), utc(4, 7), HELSINKI) == [
        busy(utc(3, 25, 8, 0), utc(3, 25, 9, 0))
    ]


def test_a_windows_zone_name_without_a_definition_is_understood() -> None:
    data = calendar(
        """
        BEGIN:VEVENT
        UID:windows-zone@example.org
        DTSTART;TZID="W. Europe Standard Time":20250325T100000
        DTEND;TZID="W. Europe Standard Time":20250325T110000
        END:VEVENT
        """
    )

    result = parse_busy_times(data, utc(3, 24), utc(4, 7), HELSINKI)

    assert result == [busy(utc(3, 25, 9, 0), utc(3, 25, 10, 0))]  # Berlin, +01:00


@pytest.mark.parametrize(
    "rule",
    [
        pytest.param("FREQ=MINUTELY", id="minutely"),
        pytest.param("FREQ=YEARLY;BYHOUR=1,2,3", id="hours"),
        pytest.param("FREQ=YEARLY;BYMONTH=1,2,3;BYDAY=SU", id="several months"),
    ],
)
def test_a_time_zone_with_dense_rules_is_rejected_before_it_is_built(rule: str) -> None:
    data = calendar(
        f"""
        BEGIN:VTIMEZONE
        TZID:Dense
        BEGIN:STANDARD
        DTSTART:16010101T000000
        RRULE:{rule}
        TZOFFSETFROM:+0200
        TZOFFSETTO:+0200
        END:STANDARD
        END:VTIMEZONE
        BEGIN:VEVENT
        UID:dense@example.org
        DTSTART;TZID=Dense:20250325T100000
        END:VEVENT
        """
    )

    assert_rejected(data, "The calendar file has a time zone that cannot be read.")


def test_a_zone_name_that_is_a_folder_of_the_zone_database_is_rejected() -> None:
    data = calendar(
        """
        BEGIN:VEVENT
        UID:folder@example.org
        DTSTART;TZID=Europe:20250325T100000
        DTEND;TZID=Europe:20250325T110000
        END:VEVENT
        """
    )

    assert_rejected(data, "The calendar file has a time zone that cannot be read.")
