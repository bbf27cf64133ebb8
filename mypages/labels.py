"""What each kind of access-log entry means to the client, in words they can read."""

from __future__ import annotations

from core.i18n import N_

# What each kind of access-log entry means to the client (the pages translate these).
READ_NAMES = {
    "booking.read": N_("Opened your booking"),
    "booking.list": N_("Saw your booking in their agenda"),
    "booking.feed": N_("Had your booking in their calendar subscription"),
    "booking.identity-code": N_("Entered your identity code on your booking"),
    "person.read": N_("Looked up your data for an access request"),
    "person.erased": N_("Erased your data on request"),
    "message.list": N_("Saw your message in the unit's inbox"),
    "message.read": N_("Read your messages"),
    "message.file": N_("Opened a file you sent"),
    "message.start": N_("Wrote to you"),
    "message.export": N_("Filed your messages in the client record"),
    "document.share": N_("Shared a document with you"),
    "assessment.read": N_("Read your questionnaire results"),
    "assessment.list": N_("Saw your questionnaire results"),
    "assessment.shared": N_("Saw your questionnaire results with your consent"),
    "document.export": N_("Filed a document shared with you in the client record"),
}
OTHER_READ = N_("Handled your booking")


def read_name(action: str) -> str:
    return READ_NAMES.get(action, OTHER_READ)
