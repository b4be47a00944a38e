"""Conversations as a resident has them: greeting, menu, language, odd input, commands, idle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dialogue import Dialogue
from sqlalchemy import func, select

from bot.clock import Clock
from flows import catalog
from storage.db import Database
from storage.models import Resident, Ticket

MENU_JA = ["相談する", "サロンを探す", "見守り", "言語 (Language)"]
MENU_EN = ["Ask for help", "Find a salon", "Watch-over", "Language"]


@pytest.fixture
def chat(db: Database, clock: Clock) -> Dialogue:
    return Dialogue(db, clock)


def test_follow_greets_in_japanese_with_the_main_menu(chat: Dialogue) -> None:
    said = chat.follow()
    assert "社会福祉協議会のLINE窓口" in said.text
    assert said.buttons == MENU_JA


def test_follow_greets_in_the_profile_language(db: Database, clock: Clock) -> None:
    said = Dialogue(db, clock, profile_language="en-US").follow()
    assert "welfare council's LINE desk" in said.text
    assert said.buttons == MENU_EN


def test_refollow_after_a_block_welcomes_back_and_keeps_the_language(chat: Dialogue) -> None:
    chat.follow()
    chat.tap(chat.tap(chat.say("メニュー"), "言語 (Language)"), "English")
    chat.unfollow()
    said = chat.follow()
    assert "Welcome back" in said.text
    assert said.buttons == MENU_EN


def test_choosing_english_changes_every_later_message(chat: Dialogue) -> None:
    menu = chat.follow()
    question = chat.tap(menu, "言語 (Language)")
    assert question.buttons == ["日本語", "English"]
    done = chat.tap(question, "English")
    assert "From now on we will write in English" in done.text
    assert done.buttons == MENU_EN
    assert chat.sticker().text.startswith("Thank you for the sticker")
    back = chat.tap(chat.tap(chat.say("menu"), "Language"), "日本語")
    assert "これからは日本語でお送りします" in back.text


def test_typing_the_language_works_as_well_as_tapping(chat: Dialogue) -> None:
    chat.follow()
    chat.say("言語")
    assert chat.say("ｅｎｇｌｉｓｈ").buttons == MENU_EN


@pytest.mark.parametrize(
    "odd",
    ["sticker", "image", "long", "emoji", "empty", "unknown-type", "stale-button"],
)
def test_odd_input_in_a_flow_re_asks_with_the_same_buttons(chat: Dialogue, odd: str) -> None:
    chat.follow()
    question = chat.say("言語")
    said = chat.odd(odd)
    assert said.buttons == question.buttons
    assert "ボタンから選んでください" in said.text
    # The flow stayed where it was: the original buttons still work.
    assert chat.tap(said, "English").buttons == MENU_EN


def test_odd_input_outside_a_flow_gets_a_kind_answer_and_the_menu(chat: Dialogue) -> None:
    chat.follow()
    assert chat.sticker().text.startswith("スタンプをありがとうございます")
    said = chat.say("あ" * 3000)
    assert said.buttons == MENU_JA
    assert all(len(text) <= 5000 for text in said.texts)


@pytest.mark.parametrize("word", ["やめる", "キャンセル", "最初から", "ｷｬﾝｾﾙ"])
def test_cancel_works_from_inside_a_flow(chat: Dialogue, word: str) -> None:
    chat.follow()
    chat.say("言語")
    said = chat.say(word)
    assert "やめておきますね" in said.text
    assert said.buttons == MENU_JA
    # No longer in the language flow: "English" is not taken as an answer.
    assert chat.say("English").buttons == MENU_JA


def test_menu_items_not_built_yet_lead_to_a_person(
    chat: Dialogue, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every menu item has its flow now; take one away to see the path that remains for new ones.
    others = {name: flow for name, flow in catalog.BY_NAME.items() if name != "salons"}
    monkeypatch.setattr(catalog, "BY_NAME", others)
    said = chat.tap(chat.follow(), "サロンを探す")
    assert "0465-00-0000" in said.text
    assert "スタッフと話したい" in said.buttons
    said = chat.tap(said, "スタッフと話したい")
    # No teams in this empty town: the phone still reaches a person (tickets: test_ticket_thread).
    assert "0465-00-0000" in said.text
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_an_idle_conversation_starts_over_with_a_gentle_note(chat: Dialogue, clock: Clock) -> None:
    chat.follow()
    chat.say("言語")
    clock.advance(timedelta(minutes=31))
    said = chat.say("English")
    assert "はじめからにしますね" in said.text
    assert said.buttons == MENU_JA


def test_unfollow_keeps_the_resident_but_marks_the_block(chat: Dialogue, db: Database) -> None:
    chat.follow()
    chat.unfollow()
    with db.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        assert resident.following is False
        assert resident.unfollowed_at is not None
