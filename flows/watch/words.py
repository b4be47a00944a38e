"""Watch-over words: the check-in message, its answers, and how times and names are said.

Messages here go to people who are not in a conversation turn (pushes, multicasts), so they
take a language rather than a Turn.
"""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_skeleton

from flows.messages import Button, Message, text
from flows.postback import WatchAnswer
from locales import N_, TOWN_TZ, gettext, supported
from storage.models import Resident

# What a watch-over tap answers (flows.postback.WatchAnswer.about): the check-in, the unwell
# follow-up, a family alert, a link request (the resident's), the summary choice (family's).
CHECKIN, UNWELL, FAMILY_ALERT, LINK, SUMMARY = "ci", "uw", "fa", "lk", "sm"
FINE, UNWELL_ANSWER, HELP = "fine", "unwell", "help"

ANSWER_LABELS = {
    FINE: N_("I'm fine"),
    UNWELL_ANSWER: N_("Not feeling well"),
    HELP: N_("I need help"),
}
# How we last knew someone was well, as families and staff read it.
SIGN_WORDS = {
    FINE: N_("answered \u201cI'm fine\u201d"),
    UNWELL_ANSWER: N_("answered \u201cNot feeling well\u201d"),
    HELP: N_("answered \u201cI need help\u201d"),
    "message": N_("sent a message"),
    "visit": N_("seen on a visit"),
    "phone": N_("reached by phone"),
    "family": N_("reached by family"),
    "enrolled": N_("signed up"),
}


# How a person is called when LINE gave us no name for them.
A_FAMILY_MEMBER = N_("A family member")
ANOTHER_FAMILY_MEMBER = N_("Another family member")
YOUR_FAMILY_MEMBER = N_("Your family member")
SOMEONE = N_("Someone")


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
    return text(
        gettext(
            language,
            "If you need help right now, please call without hesitating.\n"
            "Ambulance or fire: 119\nPolice: 110\n"
            "Not sure whether to call an ambulance: #7119\n"
            "We have told your family and the watch-over staff just now.",
        )
    )


def name_of(
    resident: Resident, language: str, fallback: str = N_("the person you watch over")
) -> str:
    """How a person is named to others: 山田花子さん in Japanese, or `fallback` if unknown."""
    if not resident.display_name:
        return gettext(language, fallback)
    return f"{resident.display_name}さん" if supported(language) == "ja" else resident.display_name


def clock_time(moment: datetime) -> str:
    local = moment.astimezone(TOWN_TZ)
    return f"{local.hour}:{local.minute:02d}"


def when(language: str, moment: datetime, now: datetime) -> str:
    """今朝 8:12, 昨日 19:05, 5月3日 8:12: as near as the day allows."""
    local, today = moment.astimezone(TOWN_TZ), now.astimezone(TOWN_TZ).date()
    at = clock_time(moment)
    if local.date() == today:
        if local.hour < 11:
            return gettext(language, "this morning {time}", time=at)
        return gettext(language, "today {time}", time=at)
    if (today - local.date()).days == 1:
        return gettext(language, "yesterday {time}", time=at)
    day = format_skeleton("MMMd", local.date(), locale=supported(language))
    return gettext(language, "{day} {time}", day=day, time=at)


def day_of(language: str, moment: datetime) -> str:
    """5月3日(土) / Sat, May 3."""
    return format_skeleton("MMMEd", moment.astimezone(TOWN_TZ).date(), locale=supported(language))


def last_sign(language: str, at: datetime | None, how: str | None, now: datetime) -> str:
    """最終確認: 今朝 8:12 「元気です」と回答 — or that nothing is known yet."""
    if at is None:
        return gettext(language, "Last sign of life: none yet")
    return gettext(
        language,
        "Last sign of life: {when}, {how}",
        when=when(language, at, now),
        how=gettext(language, SIGN_WORDS.get(how or "", SIGN_WORDS["message"])),
    )
