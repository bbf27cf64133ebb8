"""What a client is told when a booking is made, moved, cancelled or near: plain words, fi/sv/en.

Only what the client needs and nothing sensitive: the time, how to meet (address, phone or the
join link), the manage link and how to reach the unit. Never the reason for the meeting or the
answers to the pre-meeting questions.
"""

from __future__ import annotations

import dataclasses
import html
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from booking.types import BookingChange

Kind = Literal["confirmation", "reschedule", "cancellation", "reminder"]

TEXTS: dict[str, dict[str, str]] = {
    "fi": {
        "confirmation.subject": "Aikasi on varattu: {when}",
        "confirmation.lead": "Hei {name}, aikasi on varattu.",
        "reschedule.subject": "Aikasi on siirretty: {when}",
        "reschedule.lead": "Hei {name}, aikasi on siirretty uuteen aikaan.",
        "cancellation.subject": "Aikasi on peruttu",
        "cancellation.lead": "Hei {name}, aikasi {when} on peruttu.",
        "cancellation.by_caseworker": "Työntekijä perui tapaamisen. Viesti sinulle:",
        "reminder.subject": "Muistutus: tapaaminen {when}",
        "reminder.lead": "Hei {name}, muistutamme tapaamisestasi.",
        "when": "Aika",
        "with": "Tapaat",
        "video": "Videotapaaminen. Liity tästä: {join}",
        "video_no_link": "Videotapaaminen. Liittymislinkki on varauksesi sivulla.",
        "phone": "Puhelinaika. Työntekijä soittaa sinulle numeroon {phone}.",
        "in_person": "Tapaaminen paikan päällä: {address}",
        "manage": "Voit katsoa, siirtää tai perua aikasi tästä: {manage}",
        "assessment": "Täytäthän ennen tapaamista lyhyen kyselyn: {link}",
        "book_again": "Voit varata uuden ajan: {book}",
        "unit": "Yhteystiedot: {unit}, puh. {phone}",
        "unit_no_phone": "Yhteystiedot: {unit}",
        "ics": "Kalenterimerkintä on liitteenä.",
        "sms.confirmation": "Aikasi {when} ({with}) on varattu.",
        "sms.reschedule": "Aikasi on siirretty: {when} ({with}).",
        "sms.cancellation": "Aikasi {when} on peruttu.",
        "sms.reminder": "Muistutus: tapaaminen {when} ({with}).",
    },
    "sv": {
        "confirmation.subject": "Din tid är bokad: {when}",
        "confirmation.lead": "Hej {name}, din tid är bokad.",
        "reschedule.subject": "Din tid har flyttats: {when}",
        "reschedule.lead": "Hej {name}, din tid har flyttats till en ny tid.",
        "cancellation.subject": "Din tid är avbokad",
        "cancellation.lead": "Hej {name}, din tid {when} är avbokad.",
        "cancellation.by_caseworker": "Handläggaren avbokade mötet. Meddelande till dig:",
        "reminder.subject": "Påminnelse: möte {when}",
        "reminder.lead": "Hej {name}, vi påminner om ditt möte.",
        "when": "Tid",
        "with": "Du träffar",
        "video": "Videomöte. Anslut här: {join}",
        "video_no_link": "Videomöte. Länken för att ansluta finns på sidan för din bokning.",
        "phone": "Telefontid. Handläggaren ringer dig på {phone}.",
        "in_person": "Möte på plats: {address}",
        "manage": "Du kan se, flytta eller avboka din tid här: {manage}",
        "assessment": "Fyll gärna i ett kort formulär före mötet: {link}",
        "book_again": "Du kan boka en ny tid: {book}",
        "unit": "Kontakt: {unit}, tfn {phone}",
        "unit_no_phone": "Kontakt: {unit}",
        "ics": "En kalenderpost finns som bilaga.",
        "sms.confirmation": "Din tid {when} ({with}) är bokad.",
        "sms.reschedule": "Din tid har flyttats: {when} ({with}).",
        "sms.cancellation": "Din tid {when} är avbokad.",
        "sms.reminder": "Påminnelse: möte {when} ({with}).",
    },
    "en": {
        "confirmation.subject": "Your appointment is booked: {when}",
        "confirmation.lead": "Hello {name}, your appointment is booked.",
        "reschedule.subject": "Your appointment has moved: {when}",
        "reschedule.lead": "Hello {name}, your appointment has moved to a new time.",
        "cancellation.subject": "Your appointment is cancelled",
        "cancellation.lead": "Hello {name}, your appointment on {when} is cancelled.",
        "cancellation.by_caseworker": "Your caseworker cancelled the meeting. Their message to you:",
        "reminder.subject": "Reminder: meeting on {when}",
        "reminder.lead": "Hello {name}, this is a reminder of your meeting.",
        "when": "Time",
        "with": "You will meet",
        "video": "Video meeting. Join here: {join}",
        "video_no_link": "Video meeting. The link to join is on your booking's page.",
        "phone": "Phone call. Your caseworker will call you on {phone}.",
        "in_person": "Meeting in person: {address}",
        "manage": "You can see, move or cancel your appointment here: {manage}",
        "assessment": "Please fill in a short questionnaire before the meeting: {link}",
        "book_again": "You can book a new time: {book}",
        "unit": "Contact: {unit}, phone {phone}",
        "unit_no_phone": "Contact: {unit}",
        "ics": "A calendar entry is attached.",
        "sms.confirmation": "Your appointment {when} ({with}) is booked.",
        "sms.reschedule": "Your appointment has moved: {when} ({with}).",
        "sms.cancellation": "Your appointment {when} is cancelled.",
        "sms.reminder": "Reminder: meeting {when} ({with}).",
    },
}


STAFF_TEXTS = {
    "fi": {
        "created": ("Uusi varaus: {when}", "Sinulle on varattu uusi tapaaminen: {type}, {when}."),
        "cancelled": ("Varaus peruttu: {when}", "Tapaaminen on peruttu: {type}, {when}."),
    },
    "sv": {
        "created": ("Ny bokning: {when}", "Ett nytt möte har bokats hos dig: {type}, {when}."),
        "cancelled": ("Bokning avbokad: {when}", "Mötet har avbokats: {type}, {when}."),
    },
    "en": {
        "created": (
            "New booking: {when}",
            "A new meeting has been booked with you: {type}, {when}.",
        ),
        "cancelled": (
            "Booking cancelled: {when}",
            "The meeting has been cancelled: {type}, {when}.",
        ),
    },
}
STAFF_LINK = {
    "fi": "Varauksen tiedot: {link}",
    "sv": "Bokningens uppgifter: {link}",
    "en": "Booking details: {link}",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Email:
    to: str
    subject: str
    text: str
    html: str


@dataclasses.dataclass(frozen=True, slots=True)
class Sms:
    to: str
    text: str


TIME_PATTERNS = {
    "fi": "EEEE d. MMMM y 'klo' H.mm",
    "sv": "EEEE d MMMM y 'kl.' H.mm",
    "en": "EEEE d MMMM y 'at' H:mm",
}


def local_time(moment: datetime, zone_name: str, language: str) -> str:
    """The meeting time as the client reads it: their language, the caseworker's zone."""
    return format_datetime(
        moment.astimezone(ZoneInfo(zone_name)), TIME_PATTERNS[language], locale=language
    )


def channels(change: BookingChange) -> tuple[bool, bool]:
    """(email, sms): only a phone gets SMS, only an email gets email, both get both."""
    booking = change.booking
    return booking.client_email is not None, booking.client_phone is not None


def client_email(change: BookingChange, kind: Kind, *, base_url: str) -> Email:
    booking = change.booking
    texts = TEXTS[booking.language]
    when = local_time(booking.start, booking.zone_name, booking.language)
    lines = [texts[f"{kind}.lead"].format(name=booking.client_name, when=when), ""]
    if kind == "cancellation":
        if booking.cancelled_by == "caseworker" and booking.cancel_reason:
            lines += [texts["cancellation.by_caseworker"], booking.cancel_reason, ""]
        lines.append(texts["book_again"].format(book=f"{base_url}/book"))
    else:
        lines += [
            f"{texts['when']}: {when}",
            f"{texts['with']}: {booking.caseworker.name}",
            _how_to_meet(change, texts),
            "",
        ]
        if change.manage_url:
            lines.append(texts["manage"].format(manage=change.manage_url))
            if booking.meeting_type.assessment_template_id and kind != "reschedule":
                link = f"{change.manage_url}/assessment"
                lines.append(texts["assessment"].format(link=link))
    lines.append(_unit_line(change, texts))
    lines.append(texts["ics"])
    text = "\n".join(line for line in lines if line is not None)
    assert booking.client_email is not None
    return Email(
        to=booking.client_email,
        subject=texts[f"{kind}.subject"].format(when=when),
        text=text,
        html=_as_html(text, booking.language),
    )


def client_sms(change: BookingChange, kind: Kind) -> Sms:
    booking = change.booking
    texts = TEXTS[booking.language]
    when = local_time(booking.start, booking.zone_name, booking.language)
    parts = [texts[f"sms.{kind}"].format(when=when, **{"with": booking.caseworker.name})]
    if kind != "cancellation":
        if booking.mode == "video" and change.join_url:
            parts.append(texts["video"].format(join=change.join_url))
        elif booking.mode == "in_person":
            parts.append(texts["in_person"].format(address=booking.meeting_type.address))
        if change.manage_url:
            parts.append(texts["manage"].format(manage=change.manage_url))
    assert booking.client_phone is not None
    return Sms(to=booking.client_phone, text=" ".join(parts))


def _how_to_meet(change: BookingChange, texts: dict[str, str]) -> str:
    booking = change.booking
    if booking.mode == "video":
        return (
            texts["video"].format(join=change.join_url)
            if change.join_url
            else texts["video_no_link"]
        )
    if booking.mode == "phone":
        return texts["phone"].format(phone=booking.client_phone or "")
    return texts["in_person"].format(address=booking.meeting_type.address)


def _unit_line(change: BookingChange, texts: dict[str, str]) -> str:
    unit = change.unit
    if unit is None:
        return ""
    name = unit.name_in(change.booking.language)
    return (
        texts["unit"].format(unit=name, phone=unit.phone)
        if unit.phone
        else texts["unit_no_phone"].format(unit=name)
    )


def _as_html(text: str, language: str) -> str:
    # The same words as the text part, escaped; links are plain and untracked, no images.
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n") if line)
    return f'<!DOCTYPE html><html lang="{language}"><body>{paragraphs}</body></html>'


def caseworker_notice(change: BookingChange, *, base_url: str, language: str) -> Email | None:
    """A new or cancelled booking, told to the caseworker: no client details, only a link in."""
    if change.kind not in STAFF_TEXTS[language]:
        return None
    booking = change.booking
    when = local_time(booking.start, booking.zone_name, language)
    subject, lead = STAFF_TEXTS[language][change.kind]
    link = STAFF_LINK[language].format(link=f"{base_url}/caseworker/bookings/{booking.id}")
    text = "\n".join(
        (lead.format(type=booking.meeting_type.name_in(language), when=when), "", link)
    )
    return Email(
        to=booking.caseworker.email,
        subject=subject.format(when=when),
        text=text,
        html=_as_html(text, language),
    )
