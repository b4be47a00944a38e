"""Global commands: understood in every state, typed or tapped."""

from __future__ import annotations

from flows.inputs import UserInput, normalise
from flows.postback import CANCEL, MENU, STAFF, Command, MenuChoice

_TYPED: dict[str, str] = {
    normalise(word): command
    for command, words in {
        MENU: ["メニュー", "めにゅー", "menu", "main menu"],
        CANCEL: [
            "やめる",
            "やめます",
            "キャンセル",
            "最初から",
            "はじめから",
            "中止",
            "cancel",
            "stop",
            "start over",
        ],
        STAFF: [
            "スタッフと話したい",
            "人と話したい",
            "担当者と話したい",
            "職員と話したい",
            "talk to a person",
            "talk to staff",
        ],
    }.items()
    for word in words
}


def command_of(given: UserInput) -> str | None:
    if given.kind == "postback":
        tapped = given.postback
        if isinstance(tapped, Command) and tapped.name in (MENU, CANCEL, STAFF):
            return tapped.name
        return None
    if given.kind == "text":
        return _TYPED.get(given.normalised)
    return None


def menu_choice(given: UserInput, labels: dict[str, str]) -> str | None:
    """The flow a resident asked for by tapping a menu button or typing its label."""
    if isinstance(given.postback, MenuChoice):
        return given.postback.flow
    if given.kind == "text":
        return labels.get(given.normalised)
    return None
