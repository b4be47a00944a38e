"""A family member links to a resident: they send the code, we check, the resident confirms.

code → check → done. The family member types (or pastes) the 6-digit code; we say whose it
is and ask them to confirm; the resident then gets はい / いいえ on their side (answered in
handlers/watch.py) and only their はい links the two. The diagram is family_link.mmd.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from transitions import EventData

from flows import engine
from flows.engine import Flow, FlowModel, Turn
from flows.inputs import UserInput, normalise
from flows.messages import Button, Message, text
from flows.postback import FlowAnswer, WatchAnswer
from flows.replies import menu_button
from flows.watch import words
from locales import gettext, watch_words
from storage.models import Resident, WatchFamilyLink, WatchInvitation
from storage.watch import linking

NAME = "family_link"
_CODE = re.compile(r"(?<!\d)(\d{3})[\s\-]?(\d{3})(?!\d)")
_CODE_WORDS = ("見守りコード", "みまもりコード", "コード", "code", "watch-overcode")
_YES = {normalise(w) for w in ("はい", "うん", "yes", "ok")}
_NO = {normalise(w) for w in ("いいえ", "いえ", "no")}


def code_in(text_given: str) -> str | None:
    """The code in what was typed or pasted: "123456", "123 456", "見守りコード 123456 …"."""
    folded = unicodedata.normalize("NFKC", text_given).strip()
    bare = re.fullmatch(r"\d{3}[\s\-]?\d{3}", folded)
    if bare:
        return re.sub(r"\D", "", folded)
    if any(word in normalise(folded) for word in _CODE_WORDS):
        match = _CODE.search(folded)
        if match:
            return match.group(1) + match.group(2)
    return None


class FamilyLinkModel(FlowModel):
    def _invitation(self, code: str) -> WatchInvitation | None:
        return linking.invitation_by_code(self.turn.session, code, self.turn.now)

    def has_attempts(self, event: EventData) -> bool:
        return linking.code_attempts_left(self.turn.session, self.turn.resident, self.turn.now) > 0

    def code_found(self, event: EventData) -> bool:
        return self._invitation(str(event.kwargs.get("code", ""))) is not None

    def is_own_code(self, event: EventData) -> bool:
        invitation = self._invitation(str(event.kwargs.get("code", "")))
        return invitation is not None and _owner(invitation).id == self.turn.resident.id

    def remember(self, event: EventData) -> None:
        linking.record_code_attempt(self.turn.session, self.turn.resident, True, self.turn.now)
        self.data["code"] = event.kwargs["code"]

    def wrong_code(self, event: EventData) -> None:
        turn = self.turn
        linking.record_code_attempt(turn.session, turn.resident, False, turn.now)
        left = linking.code_attempts_left(turn.session, turn.resident, turn.now)
        turn.say(
            text(
                turn._(
                    "We could not find that code, or it has expired. Please check the 6 digits "
                    "with your family member. ({left} tries left today)",
                    left=left,
                )
            )
        )

    def locked_out(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "That is too many codes for today. Please try again tomorrow, or call the "
                    "welfare council at 0465-00-0000."
                )
            )
        )

    def own_code(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "This is your own watch-over code. Please send it to your family member, "
                    "who enters it in their LINE."
                )
            )
        )

    def request(self, event: EventData) -> None:
        turn = self.turn
        invitation = self._invitation(str(self.data.get("code", "")))
        if invitation is None:
            turn.say(text(turn._("Sorry, this code has just expired. Please ask for a new one.")))
            return
        resident = _owner(invitation)
        link = linking.request_link(turn.session, invitation, turn.resident, turn.now)
        if link.status == "linked":
            turn.say(
                text(
                    turn._(
                        "You are already registered as family for {name}.",
                        name=watch_words.name_of(resident, turn.resident.language),
                    )
                )
            )
            return
        turn.tell(resident, confirm_request(link))
        turn.say(
            text(
                turn._(
                    "We have asked {name} to confirm. We will let you know here as soon as they "
                    "do.",
                    name=watch_words.name_of(resident, turn.resident.language),
                )
            )
        )

    def not_now(self, event: EventData) -> None:
        self.turn.say(text(self.turn._("All right, nothing was registered.")))


def _owner(invitation: WatchInvitation) -> Resident:
    return invitation.enrolment.resident


class FamilyLinkFlow(Flow):
    name = NAME
    states = ["code", "check", engine.FINAL]
    transitions = [
        {
            "trigger": "enter",
            "source": "code",
            "dest": engine.FINAL,
            "unless": "has_attempts",
            "after": "locked_out",
        },
        {
            "trigger": "enter",
            "source": "code",
            "dest": engine.FINAL,
            "conditions": ["code_found", "is_own_code"],
            "after": "own_code",
        },
        {
            "trigger": "enter",
            "source": "code",
            "dest": "check",
            "conditions": "code_found",
            "after": "remember",
        },
        {"trigger": "enter", "source": "code", "dest": "code", "after": "wrong_code"},
        {"trigger": "yes", "source": "check", "dest": engine.FINAL, "after": "request"},
        {"trigger": "no", "source": "check", "dest": engine.FINAL, "after": "not_now"},
    ]
    model_class = FamilyLinkModel

    def interpret(self, model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
        if given.kind == "postback":
            tapped = given.answer_to(self.name)
            return (tapped.event, {}) if tapped is not None else None
        if given.kind != "text" or not given.normalised:
            return None
        if model.state == "code":
            digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", given.text))
            code = code_in(given.text) or (digits if 4 <= len(digits) <= 8 else None)
            return ("enter", {"code": code}) if code else None
        if given.normalised in _YES:
            return "yes", {}
        if given.normalised in _NO:
            return "no", {}
        return None

    def ask(self, model: FlowModel) -> list[Message]:
        turn = model.turn
        if model.state == "code":
            return [
                text(
                    turn._("Please type the 6-digit watch-over code your family member gave you."),
                    [menu_button(turn)],
                )
            ]
        invitation = linking.invitation_by_code(turn.session, str(model.data.get("code")), turn.now)
        name = (
            watch_words.name_of(_owner(invitation), turn.resident.language)
            if invitation is not None
            else "-"
        )
        return [
            text(
                turn._(
                    "Register as family for {name}? When {name} does not answer a check-in, "
                    "or asks for help, you will be told here. We will ask {name} to confirm.",
                    name=name,
                ),
                [
                    Button(turn._("Yes, register"), FlowAnswer(NAME, "yes")),
                    Button(turn._("No"), FlowAnswer(NAME, "no")),
                ],
            )
        ]


def begin_with(turn: Turn, given: UserInput) -> None:
    """A code typed outside any flow: go straight to checking it."""
    conversation = turn.conversation
    conversation.flow = NAME
    conversation.state = "code"
    conversation.data = {}
    conversation.updated_at = turn.now
    engine.advance(turn, given)


def confirm_request(link: WatchFamilyLink) -> Message:
    """What the resident is asked when someone used their code."""
    resident, family = link.enrolment.resident, link.family
    lang = resident.language
    who = watch_words.name_of(family, lang, watch_words.SOMEONE)
    return text(
        gettext(
            lang,
            "{family} would like to be registered as your family for watch-over. They would "
            "be told when you do not answer a check-in or ask for help. Register {family}?",
            family=who,
        ),
        [
            Button(
                gettext(lang, "Yes, register"),
                WatchAnswer(words.LINK, "yes", link_id=str(link.id)),
            ),
            Button(gettext(lang, "No"), WatchAnswer(words.LINK, "no", link_id=str(link.id))),
        ],
    )


def summary_choice(link: WatchFamilyLink, lead: str) -> Message:
    """Asked of the family once linked: how to hear that all is well."""
    lang = link.family.language
    return text(
        lead,
        [
            Button(
                gettext(lang, "Each time"),
                WatchAnswer(words.SUMMARY, "daily", link_id=str(link.id)),
            ),
            Button(
                gettext(lang, "Weekly summary"),
                WatchAnswer(words.SUMMARY, "weekly", link_id=str(link.id)),
            ),
            Button(
                gettext(lang, "Only if worried"),
                WatchAnswer(words.SUMMARY, "none", link_id=str(link.id)),
            ),
        ],
    )


FLOW = FamilyLinkFlow()
