"""What a resident is told when a message speaks of danger, kind by kind (flows.safety finds it).

Every answer leads with what to do now, then says why or what else, and gives one call button
per number (a card: cards.call_card; phones that cannot show cards read its alt text, which
carries the first line and the numbers). Short, warm and plain: the reader may be over 75,
frightened, and on a small screen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from flows import cards
from flows.messages import Button, Message, text
from flows.postback import SafetyAnswer
from locales import N_, gettext, safety_kinds

# The answers of the "do you need help right now?" buttons (flows.postback.SafetyAnswer).
YES, NO = "yes", "no"
# The same answers typed rather than tapped (folded as UserInput.normalised folds them).
TYPED_ANSWERS: dict[str, str] = {
    **dict.fromkeys(("はい", "うん", "お願いします", "おねがいします", "yes", "please"), YES),
    **dict.fromkeys(
        ("いいえ", "大丈夫", "大丈夫です", "だいじょうぶ", "だいじょうぶです", "いいえ、大丈夫",
         "いいえ、大丈夫です", "平気です", "no", "i'mok", "i'mallright", "i'mfine"),
        NO,
    ),
}  # fmt: skip

# Each number as dialled (a call button opens the dialler on it), with its button label.
CALLS: dict[str, str] = {
    "119": N_("Call 119"),
    "110": N_("Call 110"),
    "#7119": N_("Call #7119"),
    "189": N_("Call 189"),
    "0570-783-556": N_("Inochi no Denwa"),
    "0120-279-338": N_("Yorisoi Hotline"),
}


@dataclass(frozen=True)
class Advice:
    act: str  # the first line: what to do right now
    more: str  # why, and what else can help
    if_unsure: str  # for a message that may be an emergency: the numbers, gently
    calls: tuple[str, ...]  # keys of CALLS, most useful first


ADVICE: dict[str, Advice] = {
    "suicide": Advice(
        N_(
            "Please call Inochi no Denwa (0570-783-556) or the Yorisoi Hotline "
            "(0120-279-338) now, and talk to someone."
        ),
        N_(
            "Thank you for telling us how you feel. You do not have to carry this alone. "
            "If a life is in danger right now, call 119."
        ),
        N_(
            "When things feel too hard, Inochi no Denwa (0570-783-556) and the Yorisoi Hotline "
            "(0120-279-338) will listen. If a life is in danger, call 119."
        ),
        ("0570-783-556", "0120-279-338", "119"),
    ),
    "medical": Advice(
        N_("Please call 119 now."),
        N_(
            "Say it is for an ambulance, and where you are. If you are not sure whether you "
            "need an ambulance, call #7119 for advice."
        ),
        N_(
            "If you suddenly feel unwell, call 119 at once. If you are not sure whether you "
            "need an ambulance, call #7119 for advice."
        ),
        ("119", "#7119"),
    ),
    "fire": Advice(
        N_("Get outside first, then call 119."),
        N_("Do not go back in to put it out. Call out loudly to the people nearby."),
        N_("If there is a fire, get outside first, then call 119."),
        ("119",),
    ),
    "gas": Advice(
        N_(
            "Do not light a fire or touch any switch. Open the windows and get outside, "
            "then call 119."
        ),
        N_("Once you are outside, call the gas company too."),
        N_(
            "If you smell gas, do not light a fire or touch any switch: open the windows, get "
            "outside, then call 119."
        ),
        ("119",),
    ),
    "violence": Advice(
        N_("Please call the police at 110 now."),
        N_("If you can, get somewhere safe: outside, a neighbour's home or a shop."),
        N_("If you are in danger, call the police at 110 at once."),
        ("110",),
    ),
    "child_abuse": Advice(
        N_("If a child is in danger now, please call 110."),
        N_(
            "You can also call 189, the child guidance centre, at any hour. You do not have "
            "to give your name."
        ),
        N_(
            "If a child is in danger, call 110. If you are worried about a child, you can call "
            "189 at any hour, without giving your name."
        ),
        ("110", "189"),
    ),
    "elder_abuse": Advice(
        N_("If someone is in danger now, please call 110."),
        N_(
            "Our staff and the community general support centre (chiiki houkatsu shien "
            "centre) will help you with this."
        ),
        N_(
            "If someone is in danger, call 110. Our staff and the community general support "
            "centre can help too."
        ),
        ("110",),
    ),
    "distress": Advice(
        N_("Please call now: 119 for an ambulance or a fire, 110 for the police."),
        N_("If you can, tell us here what is happening."),
        N_("If anything happens, call 119 (ambulance) or 110 (police) at once."),
        ("119", "110"),
    ),
}


def emergency(language: str, kinds: Sequence[str], closing: str) -> Message:
    """The numbers at once: what to do for the most pressing kind, why, the first step for
    each other kind, and `closing` (that staff were told)."""
    first, *others = _advice(kinds)
    lines = [first.act, first.more, *(other.act for other in others)]
    return call_card(language, lines, _calls([first, *others]), closing)


def possible(language: str, kinds: Sequence[str]) -> list[Message]:
    """For a message that may be an emergency: the numbers, gently, for each kind it may be
    (the likeliest first), then the question "do you need help right now?" with its two
    answers (the last message: LINE shows quick replies only under the last one)."""
    advice = _advice(kinds)
    # はい answers for every kind the card named, so its numbers come again at once.
    asked = joined(kinds)
    answers = [
        Button(gettext(language, "Yes"), SafetyAnswer(YES, asked)),
        Button(gettext(language, "No, I'm all right"), SafetyAnswer(NO, asked)),
    ]
    return [
        call_card(language, [each.if_unsure for each in advice], _calls(advice)),
        text(gettext(language, "Do you need help right now?"), answers),
    ]


def joined(kinds: Sequence[str]) -> str:
    """The kinds a question was about, as its answers carry them: "medical,violence"."""
    return ",".join(kind for kind in kinds if kind in ADVICE) or "distress"


def split(asked: str) -> tuple[str, ...]:
    """The kinds `joined` wrote, those still known; distress when none is."""
    return tuple(kind for kind in asked.split(",") if kind in ADVICE) or ("distress",)


def all_right(language: str) -> Message:
    return text(gettext(language, "All right. If anything happens, write to us here at any time."))


def received(language: str) -> Message:
    """The same alarm again, soon after its numbers: staff have it, and the numbers in short."""
    return text(
        gettext(
            language,
            "We have received it and are passing it to our staff. If you are in danger, "
            "call 119 or 110 at once.",
        )
    )


def label(kind: str, language: str) -> str:
    return gettext(language, safety_kinds.NAMES.get(kind, kind))


def _advice(kinds: Sequence[str]) -> list[Advice]:
    # A kind the detector learns before this module does still gets the general numbers.
    return [ADVICE[kind] for kind in kinds if kind in ADVICE] or [ADVICE["distress"]]


def _calls(advice: Sequence[Advice]) -> list[str]:
    """Every number the advice needs, once each, in the order the advice gives them."""
    return list(dict.fromkeys(number for each in advice for number in each.calls))


def call_card(language: str, lines: Sequence[str], calls: Sequence[str], note: str = "") -> Message:
    """A card that leads with `lines` (msgids: the first says what to do), one button per
    number in `calls` (keys of CALLS), and `note` (already in `language`) in small print."""
    said = [gettext(language, line) for line in lines]
    return cards.call_card(
        said,
        [(gettext(language, CALLS[number]), number) for number in calls],
        note=note,
        alt_text=f"{said[0]}\n{' / '.join(calls)}",
    )
