"""Watch-over messages: the check-in, its answers, the reminder and the emergency numbers.

Messages here go to people who are not in a conversation turn (pushes, multicasts), so they
take a language rather than a Turn. How times, names and signs of life are said, which staff
read too, is in locales/watch_words.py.
"""

from __future__ import annotations

from flows import safety_words
from flows.messages import Button, Message, text
from flows.postback import WatchAnswer
from locales import N_, gettext

# What a watch-over tap answers (flows.postback.WatchAnswer.about): the check-in, the unwell
# follow-up, a family alert, a link request (the resident's), the summary choice (family's).
CHECKIN, UNWELL, FAMILY_ALERT, LINK, SUMMARY = "ci", "uw", "fa", "lk", "sm"
FINE, UNWELL_ANSWER, HELP = "fine", "unwell", "help"

ANSWER_LABELS = {
    FINE: N_("I'm fine"),
    UNWELL_ANSWER: N_("Not feeling well"),
    HELP: N_("I need help"),
}


def answer_buttons(language: str) -> list[Button]:
    """The same three taps in every check-in, reminder and alert to the resident."""
    return [
        Button(gettext(language, label), WatchAnswer(CHECKIN, answer))
        for answer, label in ANSWER_LABELS.items()
    ]


def checkin(language: str) -> Message:
    """The check-in itself: identical for everyone of a language, so it can be multicast."""
    return text(
        gettext(
            language,
            "How are you today?\nPlease tap a button below to let us know.",
        ),
        answer_buttons(language),
    )


def reminder(language: str) -> Message:
    return text(
        gettext(
            language,
            "How are you? We have not heard from you yet, so we are asking once more. "
            "One tap on a button is enough.",
        ),
        answer_buttons(language),
    )


def escalated_notice(language: str) -> Message:
    return text(
        gettext(
            language,
            "We did not hear back from you, so we have let your family and the watch-over "
            "staff know. If you are all right, please tap a button.",
        ),
        answer_buttons(language),
    )


def emergency_numbers(language: str) -> Message:
    """For 助けてほしい: what to do first, a button that dials each number, and that family
    and staff already know."""
    return safety_words.call_card(
        language,
        [
            N_("If you need help right now, please call without hesitating."),
            N_("119 for an ambulance or a fire, 110 for the police."),
            N_("Not sure whether to call an ambulance? #7119 will advise you."),
        ],
        ("119", "110", "#7119"),
        note=gettext(language, "We have told your family and the watch-over staff just now."),
    )
