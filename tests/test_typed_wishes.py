"""Whatever a resident types at the menu is read for what they want: a worry is offered as a
consultation that keeps their words, a salon or watch-over or another language is opened."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from dialogue import Dialogue
from sqlalchemy import select

from bot.clock import Clock
from storage.db import Database
from storage.models import Conversation, Ticket
from storage.sample_town import load_town

# 9:59 in Tokyo on a working Monday.
MONDAY_10 = datetime(2026, 12, 7, 0, 59, tzinfo=UTC)
WORRY = "足が悪くて買い物に行けません。どうしたらいいですか"


@pytest.fixture
def chat(db: Database) -> Dialogue:
    with db.transaction() as session:
        load_town(session)
    chat = Dialogue(db, Clock(offset=MONDAY_10 - datetime.now(UTC)))
    chat.follow()
    return chat


def test_a_worry_typed_at_the_menu_becomes_a_ticket_holding_those_words(
    chat: Dialogue, db: Database
) -> None:
    offered = chat.say(WORRY)
    # Answered in kind, what it is about guessed, nothing to type again.
    assert "介護・高齢、ちょっとした手助けについてのご相談ですね" in offered.text
    assert "下のボタンから選んでください" not in offered.text
    assert offered.buttons == ["はい、おねがいします", "いいえ、けっこうです"]
    said = chat.tap(chat.tap(offered, "はい、おねがいします"), "同意する")
    said = chat.tap(said, "自分")
    # The guess is ticked for the resident to confirm or change.
    assert "選んだもの：介護・高齢、ちょっとした手助け" in said.text
    said = chat.tap(chat.tap(said, "✓ちょっとした手助け"), "次へ")
    said = chat.tap(chat.tap(said, "中部"), "緑")
    said = chat.tap(said, "いつでも")
    assert "お預かりしています" in said.text and "足が悪くて買い物に行けません" in said.text
    said = chat.tap(chat.tap(said, "書き終えた"), "LINEで")
    said = chat.tap(said, "いつでも")
    assert WORRY in said.text  # the summary
    done = chat.tap(said, "送信する")
    assert "受付番号" in done.text
    with db.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert ticket.categories == ["care"]
        assert ticket.messages[0].body == WORRY


def test_no_thank_you_keeps_nothing_of_what_was_typed(chat: Dialogue, db: Database) -> None:
    said = chat.tap(chat.say("家賃が払えなくて困っています"), "いいえ、けっこうです")
    assert "相談する" in said.buttons
    with db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        assert "家賃" not in str(conversation.data)
        assert session.scalars(select(Ticket)).first() is None


@pytest.mark.parametrize(
    ("typed", "opens"),
    [
        ("近くのサロンを教えて", "サロン"),
        ("体操の集まりはありますか", "サロン"),
        # A resident whose LINE is in Japanese is answered in Japanese whatever they type.
        ("I am looking for a salon near me", "サロン"),
        ("見守りをお願いしたい", "見守り"),
        ("Can I talk in English?", "language"),
        ("英語で話したい", "Language"),
    ],
)
def test_typed_wishes_open_their_flow(chat: Dialogue, typed: str, opens: str) -> None:
    said = chat.say(typed)
    assert "下のボタンから選んでください" not in said.text
    assert "Please choose from the buttons" not in said.text
    assert opens.casefold() in (said.text + " ".join(said.buttons)).casefold(), said.text


@pytest.mark.parametrize(
    ("typed", "topic"),
    [
        ("I need help with my rent", "生活・お金"),
        ("母の介護のことで悩んでいます", "介護・高齢"),
        ("子どもが学校に行かないんです", "子育て"),
        ("最近ひとりで寂しくて", "こころ"),
    ],
)
def test_a_worry_in_either_language_is_offered_with_its_topic(
    chat: Dialogue, typed: str, topic: str
) -> None:
    said = chat.say(typed)
    assert topic in said.text, said.text


@pytest.mark.parametrize("typed", ["こんにちは", "ありがとう", "今日はいい天気", "テスト"])
def test_chatter_still_gets_the_menu(chat: Dialogue, typed: str) -> None:
    said = chat.say(typed)
    assert "担当者におつなぎしましょうか" not in said.text
    assert "相談する" in said.buttons


def test_a_worry_typed_where_a_flow_waits_for_a_tap_is_offered_too(chat: Dialogue) -> None:
    asked = chat.tap(chat.say("サロンを探したい"), "曜日で")
    assert "月曜日" in asked.buttons
    said = chat.say("足が悪くて買い物に行けません")
    assert "ご相談ですね" in said.text and "ボタンを押してください" not in said.text
    assert chat.tap(said, "はい、おねがいします").buttons[:2] == ["同意する", "同意しない"]


def test_a_tap_or_a_typed_answer_in_a_flow_still_goes_to_the_flow(chat: Dialogue) -> None:
    chat.tap(chat.say("サロンを探したい"), "曜日で")
    said = chat.say("水曜")
    assert "条件：水曜日" in said.text
