"""The pages the municipality publishes, their fields, and the defaults they ship with.

A default is an English message in the translation catalog (Finnish and Swedish beside it), so
a page nobody has edited reads well in all three languages. Some defaults carry what the service
knows about itself (its retention periods, the supervisory authority of its jurisdiction); the
admin's own text, once saved for a language, replaces the defaults of that language.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from core.i18n import N_
from core.settings import Settings

PROCESSINGS: dict[str, str] = {
    "booking": N_("Booking a time"),
    "video": N_("Video meetings"),
    "reports": N_("Concern reports"),
    "messages": N_("Identification, messages and your own pages"),
    "chat": N_("Advice chat"),
    "feedback": N_("Accessibility feedback"),
}
PRIVACY_FIELDS: dict[str, str] = {
    "controller": N_("Controller"),
    "purposes": N_("Why we process your data"),
    "legal_basis": N_("Legal basis"),
    "retention": N_("How long we keep your data"),
    "recipients": N_("Who receives your data"),
    "rights": N_("Your rights"),
    "dpo": N_("Data protection officer"),
}
CONTACT_FIELDS: dict[str, str] = {
    "phone_hours": N_("Phone hours"),
    "address": N_("Address and visiting hours"),
    "emergency": N_("Help in an emergency"),
    "other_help": N_("Other ways to get help"),
}
ACCESSIBILITY_FIELDS: dict[str, str] = {
    "status": N_("Conformance status"),
    "gaps": N_("Content that is not accessible"),
    "feedback": N_("Feedback and contact information"),
    "authority": N_("Enforcement procedure"),
    "reviewed": N_("Date of the last review"),
}
COOKIE_FIELDS: dict[str, str] = {"intro": N_("About cookies")}
CONFORMANCE: dict[str, str] = {
    "full": N_("The service fully conforms with WCAG 2.1 level AA."),
    "partial": N_("The service partially conforms with WCAG 2.1 level AA."),
    "none": N_("The service does not conform with WCAG 2.1 level AA."),
}
# The last review of the service's own pages (axe-core in Chromium over every public page, and
# the keyboard and screen-reader walk-through of docs/booking.md); the admin updates it.
LAST_REVIEW = "2026-12-05"
# Finland's Act on the Provision of Digital Services (306/2019) 18 §: an answer within 14 days.
# Sweden's law (2018:1937) asks for an answer without undue delay, with no fixed number of days.
ANSWER_DAYS = {"fi": 14, "se": None}


@dataclasses.dataclass(frozen=True, slots=True)
class PageKind:
    page: str
    title: str
    fields: Mapping[str, str]


def page_kinds() -> list[PageKind]:
    kinds = [
        PageKind("contact", N_("Contact and help"), CONTACT_FIELDS),
        PageKind("accessibility", N_("Accessibility statement"), ACCESSIBILITY_FIELDS),
        PageKind("cookies", N_("Cookies"), COOKIE_FIELDS),
    ]
    kinds += [
        PageKind(f"privacy.{name}", title, PRIVACY_FIELDS) for name, title in PROCESSINGS.items()
    ]
    return kinds


def kind_of(page: str) -> PageKind | None:
    return next((kind for kind in page_kinds() if kind.page == page), None)


# ---- defaults: (message, its variables) --------------------------------------------------------

# A field's default: messages joined as paragraphs, each with its variables.
Default = list[tuple[str, dict[str, object]]]

CONTROLLER = N_(
    "The municipality's social services are the controller. The municipality's registry office "
    "answers questions about this service and forwards requests to the right unit."
)
RIGHTS = N_(
    "You have the right to know whether we process your data and to get a copy of it, to have "
    "wrong data corrected, and in some cases to have it erased or its processing restricted. "
    "Ask the unit you dealt with or the registry office. If you think we process your data "
    "unlawfully, you may complain to the data protection authority."
)
DPO = N_(
    "The municipality's data protection officer answers questions about how your data is "
    "processed. Contact them through the municipality's registry office."
)
RIGHTS_AUTHORITY = {
    "fi": N_(
        "The data protection authority in Finland is the Office of the Data Protection "
        "Ombudsman, tietosuoja.fi."
    ),
    "se": N_(
        "The data protection authority in Sweden is the Swedish Authority for Privacy "
        "Protection (IMY), imy.se."
    ),
}

PRIVACY_DEFAULTS: dict[str, dict[str, str]] = {
    "booking": {
        "purposes": N_(
            "To book, move and cancel meetings with social services, to remind you of them "
            "and to let the caseworker prepare. We ask only for your name and a way to contact "
            "you, and the answers to the meeting type's questions."
        ),
        "legal_basis": N_(
            "Performing a task in the public interest and exercising official authority "
            "(GDPR article 6(1)(e)), under the social welfare legislation."
        ),
        "retention": N_(
            "A booking, with your name, contact details and answers, is deleted %(days)s days "
            "after the meeting. The messages we sent you are deleted %(outbox_days)s days after "
            "they were sent."
        ),
        "recipients": N_(
            "The caseworker you meet and, when needed, their unit. The messages go through "
            "the municipality's email and text message services. Nobody else."
        ),
    },
    "video": {
        "purposes": N_(
            "To hold the meeting you booked over video. The picture and sound go between the "
            "participants and are not recorded."
        ),
        "legal_basis": N_(
            "Performing a task in the public interest and exercising official authority "
            "(GDPR article 6(1)(e)), under the social welfare legislation."
        ),
        "retention": N_(
            "Nothing said or shown in the meeting is stored. When each participant joined and "
            "left is kept with the booking and deleted with it, %(days)s days after the meeting."
        ),
        "recipients": N_("The participants of the meeting. Nobody else."),
    },
    "reports": {
        "purposes": N_(
            "To receive a concern report about a child or an adult and to decide whether "
            "social services need to act, as the law requires."
        ),
        "legal_basis": N_(
            "A legal obligation and a task in the public interest (GDPR articles 6(1)(c) and "
            "6(1)(e)), under the Child Welfare Act and the Social Welfare Act."
        ),
        "retention": N_(
            "A report that leads to a client relationship becomes part of the client record and "
            "is kept as the law on client records requires. A report that leads to nothing is "
            "deleted %(days)s days after the decision."
        ),
        "recipients": N_(
            "The social workers who handle the reports, and the authorities to whom the law "
            "requires the report to be passed on. The person reported on may have a right to "
            "know who made the report, unless the law allows keeping it secret."
        ),
    },
    "messages": {
        "purposes": N_(
            "To identify you strongly, so that you can see your own bookings, documents and "
            "plans and exchange secure messages with the unit."
        ),
        "legal_basis": N_(
            "Performing a task in the public interest and exercising official authority "
            "(GDPR article 6(1)(e)), under the social welfare legislation and the Act on "
            "Strong Electronic Identification."
        ),
        "retention": N_(
            "Messages are kept %(days)s days after the thread is closed, unless they are "
            "filed in the client record. Your session ends after at most %(hours)s hours."
        ),
        "recipients": N_(
            "The unit you write to. Your identity comes from the identification service you "
            "choose. Nobody else."
        ),
    },
    "chat": {
        "purposes": N_(
            "To give advice anonymously. You do not need to give your name, and you choose "
            "whether to show it when you are identified."
        ),
        "legal_basis": N_(
            "Performing a task in the public interest (GDPR article 6(1)(e)), under the "
            "Social Welfare Act's duty to give advice and guidance."
        ),
        "retention": N_(
            "What is written in the chat is not stored: it is gone when the chat ends, unless "
            "you keep a copy yourself. Only counts without any personal data are kept, such "
            "as how long people waited."
        ),
        "recipients": N_("The social worker who answers. Nobody else."),
    },
    "feedback": {
        "purposes": N_(
            "To answer your accessibility feedback and to fix what it points out. Your name "
            "and contact details are optional: give them only if you want an answer."
        ),
        "legal_basis": N_(
            "A legal obligation (GDPR article 6(1)(c)), under the law on the accessibility "
            "of digital public services."
        ),
        "retention": N_(
            "Feedback is deleted a year after it was answered, or a year after it arrived if "
            "it is never answered."
        ),
        "recipients": N_("The service's administrators. Nobody else."),
    },
}

CONTACT_DEFAULTS: dict[str, str] = {
    "phone_hours": N_(
        "Call your social services office on weekdays from 9 to 15. The number is on your "
        "unit's page and in your booking confirmation."
    ),
    "address": N_(
        "The municipality fills in the address and visiting hours of its social services here."
    ),
    "emergency": N_(
        "In an emergency, call 112. Outside office hours, the social and crisis emergency "
        "service helps through the emergency number. Do not use this service in an emergency: "
        "messages and reports are not read around the clock."
    ),
    "other_help": N_(
        "You can book a time, chat with a social worker when the advice chat is open, or "
        "make a concern report if you are worried about someone."
    ),
}

ACCESSIBILITY_DEFAULTS: dict[str, str] = {
    "gaps": N_(
        "The video room and the advice chat need JavaScript; the rest of the service works "
        "without it. Documents a caseworker attaches as PDF files may not be accessible; ask "
        "for the content in another form. The video room's picture has no captions."
    ),
    "feedback": N_(
        "Did you notice an accessibility problem? Tell us with the feedback form. Give your "
        "contact details if you want an answer."
    ),
}
AUTHORITY_DEFAULTS = {
    "fi": N_(
        "If you are not satisfied with our answer, or get no answer within two weeks, you can "
        "report it to the Regional State Administrative Agency for Southern Finland, "
        "accessibility monitoring unit: www.saavutettavuusvaatimukset.fi, "
        "saavutettavuus@avi.fi, telephone 0295 016 000."
    ),
    "se": N_(
        "If you are not satisfied with our answer, you can report it to the Agency for "
        "Digital Government (DIGG), which supervises the law on accessibility to digital "
        "public services: www.digg.se."
    ),
}
COOKIE_DEFAULTS = {
    "intro": N_(
        "The service uses only cookies that are strictly necessary for it to work. They are "
        "not used for tracking or statistics, and no other company sets cookies here, so we "
        "do not ask for your consent."
    )
}


def default_fields(page: str, settings: Settings) -> dict[str, Default]:
    """The page's default text of each field, untranslated, with its variables."""
    jurisdiction = settings.jurisdiction
    if page == "contact":
        return {field: [(text, {})] for field, text in CONTACT_DEFAULTS.items()}
    if page == "cookies":
        return {field: [(text, {})] for field, text in COOKIE_DEFAULTS.items()}
    if page == "accessibility":
        fields: dict[str, Default] = {
            field: [(text, {})] for field, text in ACCESSIBILITY_DEFAULTS.items()
        }
        fields["status"] = [("partial", {})]
        fields["authority"] = [(AUTHORITY_DEFAULTS[jurisdiction], {})]
        fields["reviewed"] = [(LAST_REVIEW, {})]
        return fields
    processing = page.removeprefix("privacy.")
    own = PRIVACY_DEFAULTS[processing]
    days = {
        "booking": settings.booking_retention_days,
        "video": settings.booking_retention_days,
        "reports": settings.report_retention_days,
        "messages": settings.message_retention_days,
        "chat": 0,
        "feedback": 365,
    }[processing]
    variables: dict[str, object] = {
        "days": days,
        "outbox_days": settings.outbox_retention_days,
        "hours": settings.client_session_hours,
    }
    return {
        "controller": [(CONTROLLER, {})],
        **{field: [(text, variables)] for field, text in own.items()},
        "rights": [(RIGHTS, {}), (RIGHTS_AUTHORITY[jurisdiction], {})],
        "dpo": [(DPO, {})],
    }


# Fields kept as a value, not translated text.
VALUE_FIELDS = {"status", "reviewed"}


@dataclasses.dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    purpose: str
    lifetime: str


# Every cookie the service sets (tests/publicinfo checks this against each set_cookie in the
# code). All are strictly necessary; none is set for tracking or statistics.
COOKIES: list[Cookie] = [
    Cookie(
        "kohtaamo_csrf",
        N_("Protects the forms you send against forgery by other websites."),
        N_("Until you close the browser"),
    ),
    Cookie("kohtaamo_lang", N_("Remembers the language you chose."), N_("One year")),
    Cookie(
        "kohtaamo_client",
        N_("Keeps you identified on your own pages after you identify yourself."),
        N_("Until your identified session ends or you log out"),
    ),
    Cookie(
        "kohtaamo_chat",
        N_("Keeps your place in the advice chat if the page reloads."),
        N_("Until you close the browser"),
    ),
    Cookie(
        "kohtaamo_group",
        N_("Keeps your place in a group discussion if the page reloads."),
        N_("Until you close the browser"),
    ),
    Cookie(
        "kohtaamo_session",
        N_("Keeps staff members logged in (staff only)."),
        N_("Until you close the browser or log out"),
    ),
    Cookie(
        "kohtaamo_pending",
        N_("Remembers a staff login between the password and the second factor (staff only)."),
        N_("A few minutes"),
    ),
]
