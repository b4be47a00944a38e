"""Words for the codes tickets store (categories, statuses, outcomes …), in the staff's language.

The codes are what the consultation flow and the routing rules write; a code this table does
not know is shown as it is rather than hidden.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from console.i18n import gettext, language
from locales import N_, consultation_choices, safety_kinds, urgency

# The same words the resident tapped in the consultation, so staff and resident name a
# worry alike.
CATEGORIES: Mapping[str, str] = dict(consultation_choices.CATEGORIES)
URGENCY_NAMES: Mapping[str, str] = urgency.NAMES
STATUS_NAMES: Mapping[str, str] = {
    "new": N_("New"),
    "assigned": N_("Assigned"),
    "in_progress": N_("In progress"),
    "waiting": N_("Waiting for the resident"),
    "resolved": N_("Resolved"),
    "referred": N_("Referred to another agency"),
    "closed": N_("Closed"),
}
OUTCOME_NAMES: Mapping[str, str] = {
    "solved": N_("Solved"),
    "referred": N_("Referred to another agency"),
    "watching": N_("Keep watching over"),
    "unreachable": N_("Could not reach them"),
    "other": N_("Other"),
    "answered": N_("The resident answered"),
}
ABOUT_NAMES: Mapping[str, str] = {
    "self": N_("Themselves"),
    "family": N_("A family member"),
    "neighbour": N_("A neighbour or acquaintance"),
}
CONTACT_METHODS: Mapping[str, str] = {
    "line": N_("By LINE"),
    "phone": N_("By phone"),
    "visit": N_("A visit requested"),
}
CONTACT_TIMES: Mapping[str, str] = dict(consultation_choices.WHEN)
# How a ticket reached the council (Ticket.channel).
CHANNEL_NAMES: Mapping[str, str] = {
    "line": N_("LINE"),
    "phone": N_("Phone call"),
    "desk": N_("Visit to the desk"),
    "home_visit": N_("Home visit"),
    "minsei": N_("Referral from a welfare commissioner"),
}
# The contact log (storage.contacts): how staff reached the resident, and what came of it.
CONTACT_KINDS: Mapping[str, str] = {
    "phone": N_("Phone call"),
    "visit": N_("Visit"),
    "letter": N_("Letter"),
}
CONTACT_OUTCOMES: Mapping[str, str] = {
    "reached": N_("Spoke with them"),
    "no_answer": N_("No answer"),
    "message_left": N_("Left a message"),
    "not_home": N_("Not at home"),
    "sent": N_("Letter sent"),
    "other": N_("Other"),
}
KINDS: Mapping[str, str] = {
    "consultation": N_("Consultation"),
    "staff": N_("Asked to talk to a person"),
    "watch": N_("Watch-over"),
    "safety": N_("Safety alarm"),
}
ROLES: Mapping[str, str] = {
    "admin": N_("Administrator"),
    "supervisor": N_("Supervisor"),
    "staff": N_("Staff"),
}
LANGUAGE_NAMES: Mapping[str, str] = {"ja": N_("Japanese"), "en": N_("English")}
# The kinds of danger the safety check reads in a message, named as in staff notes and alerts.
SAFETY_KINDS: Mapping[str, str] = safety_kinds.NAMES
# How sure the safety check was: an emergency at once, or words that may point to one.
SAFETY_LEVELS: Mapping[str, str] = {
    "emergency": N_("Emergency words"),
    "possible": N_("Words that may point to danger"),
}
# Why the watch-over team got a ticket (flows/watch/alerts.open_watch_ticket's reason).
WATCH_REASONS: Mapping[str, str] = {
    "no_answer": N_("No answer to the check-in"),
    "unwell": N_("Answered that they feel unwell"),
    "help": N_("Asked for help in the check-in"),
    "blocked": N_("Blocked the LINE account while enrolled"),
}
# A 生活応援隊 supporter's status (storage.models.supporters.SUPPORTER_STATUSES).
SUPPORTER_STATUSES: Mapping[str, str] = {
    "applied": N_("Waiting for approval"),
    "active": N_("Taking offers"),
    "paused": N_("On a break"),
    "left": N_("Left the programme"),
}

# The resident record's fields (storage.resident_record).
RECORD_FIELDS: Mapping[str, str] = {
    "name": N_("Full name"),
    "furigana": N_("Furigana"),
    "address": N_("Home address"),
    "phone": N_("Phone"),
    "case_number": N_("Case number"),
    "household": N_("Household"),
}


def label(table: Mapping[str, str], code: str | None) -> str:
    """The translated name of `code`, or the code itself when the table does not know it."""
    if code is None or code == "":
        return ""
    name = table.get(code)
    return gettext(name) if name else code


def labels(table: Mapping[str, str], codes: Iterable[str] | None) -> str:
    separator = "、" if language() == "ja" else ", "
    return separator.join(label(table, code) for code in codes or ())


def choices(table: Mapping[str, str]) -> list[tuple[str, str]]:
    """(code, translated name) pairs for a <select>, in the table's order."""
    return [(code, gettext(name)) for code, name in table.items()]
