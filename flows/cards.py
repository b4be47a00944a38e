"""Cards: a salon in the results, the numbers to call in an emergency, as message values.

A card is lines of text (a title, a tag, labelled values, small print), dividing rules and
buttons; `bot.render` draws it as a LINE Flex bubble and checks there what LINE measures in
bytes. Here, what a flow can get wrong: more than 12 cards, an empty or over-long alt text
(what a phone that cannot show cards, and the notification, reads).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from flows.messages import Button, LinkButton, button_data
from storage.messages import ButtonData, CardData, CardsMessage, Style

MAX_CARDS = 12
# LINE allows 1,500 characters; notifications and chat lists show far fewer.
MAX_ALT_TEXT = 400

Line = dict[str, Any]


class TooManyCards(ValueError):
    """A row of cards LINE would refuse for their number."""


def line(body: str, style: Style = "plain") -> Line:
    return {"text": body, "style": style}


def labelled(label: str, value: str) -> Line:
    """A "label  value" line, the label muted and narrow, the value wrapping beside it."""
    return {"label": label, "value": value}


def rule() -> Line:
    return {"rule": True}


def button(shown: Button | LinkButton, *, primary: bool = False) -> ButtonData:
    """A card's button (its label within MAX_LABEL, as Button and LinkButton check)."""
    data = button_data(shown)
    if primary:
        data["primary"] = True
    return data


def call_button(label: str, number: str) -> ButtonData:
    """A button that opens the phone's dialler on `number` (as written: 119, #7119, 0570-783-556)."""
    # The digits only, and "#" percent-encoded: in a URI it would start a fragment.
    return button(LinkButton(label, "tel:" + quote(number.replace("-", ""), safe="")), primary=True)


def card(
    lines: Sequence[Line], buttons: Sequence[ButtonData] = (), *, wide: bool = False
) -> CardData:
    made: CardData = {"lines": list(lines), "buttons": list(buttons)}
    if wide:
        made["wide"] = True
    return made


def call_card(
    lines: Sequence[str], calls: Sequence[tuple[str, str]], *, note: str = "", alt_text: str
) -> CardsMessage:
    """A card that leads with what to do: the first line stands out, the rest explain, `note`
    closes it in small print, and each (label, number) in `calls` is a button that dials it."""
    first, *rest = lines
    body = [line(first, "alert"), *(line(said) for said in rest)]
    if note:
        body += [rule(), line(note, "muted")]
    buttons = [call_button(label, number) for label, number in calls]
    return carousel([card(body, buttons, wide=True)], alt_text)


def carousel(cards: Sequence[CardData], alt_text: str) -> CardsMessage:
    """One card, or a row that slides sideways; raises TooManyCards beyond LINE's 12."""
    if not 1 <= len(cards) <= MAX_CARDS:
        raise TooManyCards(f"a row holds 1 to {MAX_CARDS} cards, not {len(cards)}")
    return {"kind": "cards", "alt": _alt(alt_text), "cards": list(cards)}


def _alt(alt_text: str) -> str:
    alt_text = alt_text.strip() or "…"
    return alt_text if len(alt_text) <= MAX_ALT_TEXT else alt_text[: MAX_ALT_TEXT - 1] + "…"
