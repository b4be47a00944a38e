"""The bot's everyday words: greeting, main menu, and kind answers to input it cannot use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flows.inputs import UserInput, normalise
from flows.messages import Button, Message, text
from flows.postback import CANCEL, MENU, STAFF, Command, MenuChoice, ResumeChoice
from locales import N_, gettext

if TYPE_CHECKING:
    from flows.engine import Turn

# The main menu, in the order residents see it: (flow name, label).
MENU_ITEMS: list[tuple[str, str]] = [
    ("consultation", N_("Ask for help")),
    ("salons", N_("Find a salon")),
    ("watch", N_("Watch-over")),
    ("language", N_("Language")),
]
# Words residents type for a menu item, in any shipped language, besides its label.
MENU_WORDS: dict[str, list[str]] = {
    "consultation": ["相談", "相談したい", "そうだん", "help"],
    "salons": ["サロン", "さろん", "salon"],
    "watch": ["みまもり", "watch"],
    "language": ["言語", "げんご", "language", "lang"],
    # Not in the menu: what the council's leaflets and QR codes send (flows/supporter_signup.py).
    "supporter": ["生活応援隊", "応援隊", "volunteer"],
}


def menu_buttons(turn: Turn) -> list[Button]:
    return [Button(turn._(label), MenuChoice(flow)) for flow, label in MENU_ITEMS]


def menu_button(turn: Turn) -> Button:
    """The "Menu" button: it ends whatever is going on and shows the main menu."""
    return Button(turn._("Menu"), Command(MENU))


def main_menu(turn: Turn, lead: str | None = None) -> Message:
    return text(
        lead or turn._("What can we help you with? Please tap a button."), menu_buttons(turn)
    )


def greeting(turn: Turn, welcome_back: bool) -> list[Message]:
    if welcome_back:
        hello = turn._("Welcome back! We are glad to hear from you again.")
    else:
        hello = turn._(
            "Hello, this is the welfare council's LINE desk. "
            "You can ask us about any worry, find a salon near you, "
            "or sign up for a daily check-in."
        )
    return [text(hello), main_menu(turn)]


def odd_input(turn: Turn, given: UserInput, in_flow: bool) -> Message:
    """A kind answer to a sticker, a photo, a long or empty message, or a tap that no longer fits."""
    if given.kind == "sticker":
        thanks = turn._("Thank you for the sticker!")
    elif given.kind in ("image", "video", "audio", "file"):
        thanks = turn._("Thank you for sending this.")
    elif given.kind == "location":
        thanks = turn._("Thank you for the location.")
    else:
        thanks = ""
    if in_flow:
        ask = turn._("Sorry, we could not use that answer here. Please tap one of the buttons.")
    else:
        ask = turn._("Please choose from the buttons below.")
    return text(f"{thanks}\n{ask}".strip())


def not_ready(turn: Turn) -> list[Message]:
    """Menu items whose flows are still being built lead to a person, never to a dead end."""
    talk = Button(turn._("Talk to a person"), Command(STAFF))
    body = turn._(
        "Sorry, this service is not open in LINE yet. "
        "Please call the welfare council at 0465-00-0000 "
        "(weekdays 8:30 to 17:15), or tap the button below to talk to a person."
    )
    return [text(body, [talk, *menu_buttons(turn)])]


def cancelled(turn: Turn) -> list[Message]:
    return [main_menu(turn, turn._("All right, we stopped there. What would you like to do?"))]


def started_over(turn: Turn) -> Message:
    return text(turn._("It has been a while, so let us start again from the beginning."))


# Typed answers to "continue or start again?"; "最初から" alone stays the global cancel word.
RESUME_WORDS: dict[str, list[str]] = {
    "continue": ["続きから", "つづきから", "続き", "つづき", "続ける", "continue"],
    "restart": ["最初からやり直す", "はじめからやり直す", "やり直す", "やりなおす", "restart"],
}
_RESUME_TYPED = {normalise(w): choice for choice, words in RESUME_WORDS.items() for w in words}


def resume_offer(turn: Turn) -> Message:
    """After a long pause in a flow worth keeping: go on, start that flow again, or stop."""
    return text(
        turn._(
            "Last time you stopped partway through. Would you like to continue where you left off?"
        ),
        [
            Button(turn._("Continue"), ResumeChoice("continue")),
            Button(turn._("Start again"), ResumeChoice("restart")),
            Button(turn._("Stop"), Command(CANCEL)),
        ],
    )


def resume_choice(given: UserInput) -> str | None:
    if given.kind == "postback":
        tapped = given.postback
        if isinstance(tapped, ResumeChoice) and tapped.choice in RESUME_WORDS:
            return tapped.choice
        return None
    if given.kind == "text":
        return _RESUME_TYPED.get(given.normalised)
    return None


def apology(language: str) -> Message:
    """Sent when handling a resident's message failed for good, so they are not met with silence."""
    return text(
        gettext(
            language,
            "Sorry, something went wrong on our side and we could not answer your last message. "
            "Please try again in a little while, or call 0465-00-0000.",
        )
    )
