"""What a concern reporter types is checked with the real rules of each country."""

from __future__ import annotations

from datetime import date

import pytest

from core.validators import (
    InvalidValue,
    email_address,
    finnish_identity_number,
    identity_number,
    not_in_future,
    phone_number,
    swedish_identity_number,
)

TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("code", "born"),
    [
        ("131052-308T", date(1952, 10, 13)),  # the Digital and Population Data Services example
        ("010594Y9021", date(1994, 5, 1)),  # the 2023 century signs of the 1900s
        ("020594X903P", date(1994, 5, 2)),
        ("030594W903B", date(1994, 5, 3)),
        ("040594V902Y", date(1994, 5, 4)),
        ("050594U903M", date(1994, 5, 5)),
        ("010516B903X", date(2016, 5, 1)),  # and of the 2000s
        ("020516C902J", date(2016, 5, 2)),
        ("030516D9037", date(2016, 5, 3)),
        ("010501E9032", date(2001, 5, 1)),
        ("020503F9037", date(2003, 5, 2)),
        ("020504A902E", date(2004, 5, 2)),
        ("010101+002S", date(1801, 1, 1)),
    ],
)
def test_valid_finnish_identity_codes_give_the_date_of_birth(code: str, born: date) -> None:
    parsed = finnish_identity_number(code, TODAY)
    assert parsed.birth_date == born
    assert parsed.value == code


def test_finnish_identity_code_is_read_in_lower_case_with_spaces() -> None:
    assert finnish_identity_number("  010594y9021 ").value == "010594Y9021"


def test_finnish_temporary_numbers_are_marked_provisional() -> None:
    assert finnish_identity_number("010594Y9021").provisional
    assert not finnish_identity_number("131052-308T").provisional


@pytest.mark.parametrize(
    "code",
    [
        "131052-308U",  # wrong check character
        "131052-308",  # too short
        "131052G308T",  # G is no century sign
        "131052/308T",
        "311152-308T",  # 31 November does not exist
        "290223A0026",  # 29 February 2023 does not exist
        "131052-001T",  # individual numbers start at 002
        "010594Z9021",
        "",
    ],
)
def test_invalid_finnish_identity_codes_are_refused(code: str) -> None:
    with pytest.raises(InvalidValue):
        finnish_identity_number(code, TODAY)


def test_finnish_identity_code_born_in_the_future_is_refused() -> None:
    with pytest.raises(InvalidValue):
        finnish_identity_number("131052A308T", TODAY)


@pytest.mark.parametrize(
    ("number", "canonical", "born"),
    [
        ("811218-9876", "19811218-9876", date(1981, 12, 18)),  # Skatteverket's example
        ("19811218-9876", "19811218-9876", date(1981, 12, 18)),
        ("198112189876", "19811218-9876", date(1981, 12, 18)),
        ("8112189876", "19811218-9876", date(1981, 12, 18)),
        ("121212-1212", "20121212-1212", date(2012, 12, 12)),
        ("811218+9876", "18811218-9876", date(1881, 12, 18)),  # "+": the person is over 100
    ],
)
def test_valid_swedish_personnummer(number: str, canonical: str, born: date) -> None:
    parsed = swedish_identity_number(number, TODAY)
    assert (parsed.value, parsed.birth_date, parsed.provisional) == (canonical, born, False)


def test_swedish_samordningsnummer_has_sixty_added_to_the_day() -> None:
    parsed = swedish_identity_number("701063-2391", TODAY)
    assert parsed.birth_date == date(1970, 10, 3)
    assert parsed.provisional


@pytest.mark.parametrize(
    "number",
    [
        "811218-9875",  # Luhn check digit wrong
        "701063-2392",
        "811318-9876",  # month 13 (and not Luhn-valid)
        "19811218-987",
        "1981121898761",
        "811218*9876",
        "abcdef-ghij",
        "20301212-1210",  # Luhn-valid but born in 2030
        "19810230-9872",  # 30 February
    ],
)
def test_invalid_swedish_numbers_are_refused(number: str) -> None:
    with pytest.raises(InvalidValue):
        swedish_identity_number(number, TODAY)


def test_identity_number_uses_the_jurisdictions_rules() -> None:
    assert identity_number("131052-308T", "fi", TODAY).country == "fi"
    assert identity_number("811218-9876", "se", TODAY).country == "se"
    with pytest.raises(InvalidValue):
        identity_number("811218-9876", "fi", TODAY)


def test_dates_in_the_future_are_refused() -> None:
    assert not_in_future(TODAY, TODAY) == TODAY
    with pytest.raises(InvalidValue):
        not_in_future(date(2026, 11, 29), TODAY)


@pytest.mark.parametrize(
    ("raw", "country", "e164"),
    [
        ("040 123 4567", "fi", "+358401234567"),
        ("+358 40 123 4567", "se", "+358401234567"),
        ("09 310 1691", "fi", "+35893101691"),
        ("070-123 45 67", "se", "+46701234567"),
        ("08-123 456 78", "se", "+46812345678"),
    ],
)
def test_phone_numbers_are_normalised_to_e164(raw: str, country: str, e164: str) -> None:
    assert phone_number(raw, country) == e164  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["123", "phone me", "040 123", "+358 00 000 0000", ""])
def test_impossible_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidValue):
        phone_number(raw, "fi")


def test_email_shape() -> None:
    assert email_address(" opettaja@koulu.example.fi ") == "opettaja@koulu.example.fi"
    for bad in ["opettaja", "opettaja@", "@koulu.fi", "a b@koulu.fi", "a@@koulu.fi"]:
        with pytest.raises(InvalidValue):
            email_address(bad)
