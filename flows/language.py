"""Choosing the language: the flow that proves the engine, and changes every later message."""

from __future__ import annotations

from typing import Any

from transitions import EventData

from flows import engine
from flows.engine import Flow, FlowModel
from flows.inputs import UserInput, normalise
from flows.messages import Button, Message, text
from flows.postback import FlowAnswer
from flows.replies import main_menu
from locales import LANGUAGES

# What a resident might type instead of tapping, folded by `normalise`.
_TYPED = {normalise(name): code for code, name in LANGUAGES.items()} | {
    "ja": "ja",
    "japanese": "ja",
    "にほんご": "ja",
    "日本語": "ja",
    "en": "en",
    "english": "en",
    "えいご": "en",
    "英語": "en",
}


class LanguageModel(FlowModel):
    def is_offered(self, event: EventData) -> bool:
        return event.kwargs.get("language") in LANGUAGES

    def apply_choice(self, event: EventData) -> None:
        turn = self.turn
        language = event.kwargs["language"]
        turn.resident.language = language
        # From here on turn._ speaks the new language.
        done = turn._(
            "All right. From now on we will write in {language}.", language=LANGUAGES[language]
        )
        turn.say(main_menu(turn, done))


class LanguageFlow(Flow):
    name = "language"
    states = ["choosing", engine.FINAL]
    transitions = [
        {
            "trigger": "choose",
            "source": "choosing",
            "dest": engine.FINAL,
            "conditions": "is_offered",
            "after": "apply_choice",
        },
    ]
    model_class = LanguageModel

    def interpret(self, model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
        tapped = given.answer_to(self.name)
        if tapped is not None:
            return tapped.event, {"language": tapped.value}
        if given.kind == "text" and given.normalised in _TYPED:
            return "choose", {"language": _TYPED[given.normalised]}
        return None

    def ask(self, model: FlowModel) -> list[Message]:
        turn = model.turn
        buttons = [
            Button(name, FlowAnswer(self.name, "choose", code)) for code, name in LANGUAGES.items()
        ]
        return [text(turn._("Which language would you like? 言語を選んでください。"), buttons)]


FLOW = LanguageFlow()
