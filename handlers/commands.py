"""Global commands: understood in every state, typed or tapped."""

from __future__ import annotations

from flows.inputs import UserInput, normalise

MENU, CANCEL, STAFF = "menu", "cancel", "staff"

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
        command = given.data.get("cmd")
        return command if command in (MENU, CANCEL, STAFF) else None
    if given.kind == "text":
        return _TYPED.get(given.normalised)
    return None


def menu_choice(given: UserInput, labels: dict[str, str]) -> str | None:
    """The flow a resident asked for by tapping a menu button or typing its label."""
    if given.kind == "postback" and given.data.get("cmd") == "start":
        return given.data.get("flow")
    if given.kind == "text":
        return labels.get(given.normalised)
    return None
