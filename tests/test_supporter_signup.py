"""生活応援隊 sign-up in LINE, in-process: registering (in Japanese and English), odd input
mid-flow, no consent, and a registered supporter's break, change and leaving."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import unquote

import pytest
from dialogue import Dialogue, Said
from sqlalchemy import select

from bot.clock import Clock
from flows import intents, supporter_signup
from storage.db import Database
from storage.models import Base, OutboxMessage, Supporter
from storage.sample_town import load_town

KIND_BUTTONS = ["ゴミ出し", "買い物", "電球の交換", "庭の手入れ", "話し相手", "完了"]


@pytest.fixture
def chat(db: Database, clock: Clock) -> Iterator[Dialogue]:
    with db.transaction() as session:
        load_town(session)
    yield Dialogue(db, clock)


def supporter(db: Database) -> Supporter | None:
    with db.transaction() as session:
        found = session.scalars(select(Supporter)).one_or_none()
        if found is not None:
            session.expunge(found)
        return found


def up_to_consent(chat: Dialogue) -> Said:
    """Everything before the consent question, in Japanese: ゴミ出し and 買い物, 早川, Monday
    and Thursday mornings, 花子 at 080-2345-6789."""
    said = chat.tap(chat.say("生活応援隊"), "登録する")
    said = chat.tap(said, "ゴミ出し")
    said = chat.tap(said, "買い物")
    said = chat.tap(said, "完了")
    said = chat.say("早川")
    said = chat.tap(said, "月曜日")
    said = chat.tap(said, "木曜日")
    said = chat.tap(said, "完了")
    said = chat.tap(said, "午前")
    said = chat.tap(said, "完了")
    said = chat.say("花子")
    return chat.say("０８０ー２３４５ー６７８９")


def test_the_word_the_leaflets_send_opens_the_sign_up(chat: Dialogue) -> None:
    said = chat.say("生活応援隊")
    assert "ちょっとした手助け" in said.text
    assert said.buttons == ["登録する", "いまはやめておく", "メニュー"]
    assert "登録する" in chat.say("応援隊").buttons
    assert "登録する" in chat.say("volunteer").buttons


def test_typed_wishes_to_join_start_it_and_asking_for_help_does_not() -> None:
    assert intents.read("生活応援隊に登録したい").flow == "supporter"
    assert intents.read("ボランティアで手伝いたい").flow == "supporter"
    assert intents.read("I want to volunteer").flow == "supporter"
    assert intents.read("応援隊に手伝ってほしい").flow == "consultation"


def test_signing_up_in_japanese_ends_waiting_for_a_coordinator(
    chat: Dialogue, db: Database
) -> None:
    said = chat.tap(chat.say("生活応援隊"), "登録する")
    assert said.buttons == KIND_BUTTONS
    said = chat.tap(said, "ゴミ出し")
    assert said.buttons[:2] == ["完了", "✓ゴミ出し"]
    assert "ゴミ出し" in said.text
    said = chat.tap(chat.tap(said, "買い物"), "完了")
    assert "どの地区" in said.text and "西部" in said.buttons
    said = chat.tap(said, "西部")
    said = chat.tap(said, "早川")
    assert "何曜日" in said.text and said.buttons[0] == "どの曜日でも"
    said = chat.tap(chat.tap(chat.tap(said, "月曜日"), "木曜日"), "完了")
    assert said.buttons == ["午前", "午後", "夜", "完了"]
    said = chat.tap(chat.tap(said, "午前"), "完了")
    assert "下のお名前" in said.text
    said = chat.say("花子")
    assert "電話番号" in said.text
    said = chat.say("０８０ー２３４５ー６７８９")
    assert "花子" in said.text and said.buttons == ["はい", "やめておく"]
    said = chat.tap(said, "はい")
    assert "ゴミ出し・買い物" in said.text
    assert "早川" in said.text and "月・木" in said.text and "午前" in said.text
    assert "080-2345-6789" in said.text
    assert said.buttons == ["登録する", "選びなおす"]
    said = chat.tap(said, "登録する")
    assert "コーディネーターから近日中にご連絡します" in said.text
    found = supporter(db)
    assert found is not None
    assert (found.status, found.kinds, found.weekdays, found.time_bands) == (
        "applied",
        ["rubbish", "shopping"],
        [0, 3],
        ["morning"],
    )
    assert (found.first_name, found.phone, found.consent_given) == ("花子", "080-2345-6789", True)
    assert found.consent_at is not None and found.approved_at is None


def test_signing_up_in_english(db: Database, clock: Clock) -> None:
    with db.transaction() as session:
        load_town(session)
    chat = Dialogue(db, clock, profile_language="en")
    said = chat.say("volunteer")
    assert said.buttons == ["Register", "Not now", "Menu"]
    said = chat.tap(said, "Register")
    assert said.buttons == [
        "Taking out rubbish",
        "Shopping",
        "Changing bulbs",
        "Garden work",
        "Someone to talk to",
        "Done",
    ]
    said = chat.tap(chat.tap(said, "Changing bulbs"), "Done")
    said = chat.say("東富水")
    said = chat.tap(chat.tap(said, "Any day"), "Done")
    said = chat.tap(chat.tap(chat.tap(said, "Afternoon"), "Evening"), "Done")
    said = chat.say("Taro")
    said = chat.tap(chat.say("0465-22-1234"), "Yes")
    assert "Changing bulbs" in said.text and "Any day" in said.text
    assert "Afternoon, Evening" in said.text
    said = chat.tap(said, "Register")
    assert "A coordinator from the welfare council will contact you soon" in said.text
    found = supporter(db)
    assert found is not None
    assert (found.kinds, found.weekdays, found.time_bands, found.phone) == (
        ["light_bulb"],
        list(range(7)),
        ["afternoon", "evening"],
        "0465-22-1234",
    )


@pytest.mark.parametrize("odd", ["sticker", "image", "long", "emoji", "unknown-type"])
def test_odd_input_mid_flow_is_answered_kindly_and_the_question_stays(
    chat: Dialogue, odd: str
) -> None:
    said = chat.tap(chat.say("生活応援隊"), "登録する")
    said = chat.tap(said, "ゴミ出し")
    again = chat.odd(odd)
    assert again.buttons == said.buttons
    assert "ボタン" in again.text or "お手伝い" in again.text
    # And the flow goes on from where it was.
    assert "どの地区" in chat.tap(again, "完了").text


def test_a_sticker_where_a_name_is_typed_asks_again_for_the_name(chat: Dialogue) -> None:
    said = chat.tap(chat.say("生活応援隊"), "登録する")
    said = chat.tap(chat.tap(said, "話し相手"), "完了")
    said = chat.tap(chat.tap(chat.say("国府津"), "どの曜日でも"), "完了")
    said = chat.tap(chat.tap(said, "夜"), "完了")
    assert "下のお名前" in chat.sticker().text
    assert "20文字以内" in chat.say("あ" * 3000).text
    said = chat.say("ゆき")
    assert "電話番号" in said.text
    said = chat.say("でんわ")
    assert "電話番号として読み取れませんでした" in said.text


def test_without_consent_nothing_is_registered_and_it_is_kindly_said(
    chat: Dialogue, db: Database
) -> None:
    said = chat.tap(up_to_consent(chat), "やめておく")
    assert "登録は見送ります" in said.text and "お気持ちありがとうございます" in said.text
    assert supporter(db) is None
    # Nothing typed is kept in the conversation either.
    assert "登録する" in chat.say("生活応援隊").buttons


def register(chat: Dialogue) -> None:
    chat.tap(chat.tap(up_to_consent(chat), "はい"), "登録する")


def test_a_registered_supporter_can_take_a_break_and_come_back(
    chat: Dialogue, db: Database
) -> None:
    register(chat)
    said = chat.say("生活応援隊")
    assert "コーディネーターからの連絡待ち" in said.text
    assert said.buttons == [
        "お休みする",
        "活動内容を変える",
        "名前・電話番号を変える",
        "応援隊をやめる",
        "メニュー",
    ]
    assert "お休み中" in chat.tap(said, "お休みする").text
    found = supporter(db)
    assert found is not None and found.status == "paused"
    said = chat.say("生活応援隊")
    assert said.buttons[0] == "いますぐ再開する"
    chat.tap(said, "いますぐ再開する")
    found = supporter(db)
    assert found is not None and found.status == "applied"


def test_changing_what_they_do_keeps_their_name_and_phone(chat: Dialogue, db: Database) -> None:
    register(chat)
    said = chat.tap(chat.say("生活応援隊"), "活動内容を変える")
    assert said.buttons[:3] == ["完了", "✓ゴミ出し", "✓買い物"]
    said = chat.tap(chat.tap(chat.tap(said, "✓買い物"), "庭の手入れ"), "完了")
    said = chat.tap(chat.tap(chat.say("早川"), "完了"), "完了")
    assert "この内容でよろしいですか" in said.text and "花子" in said.text
    assert said.buttons == ["保存する", "選びなおす"]
    assert "変更しました" in chat.tap(said, "保存する").text
    found = supporter(db)
    assert found is not None
    assert (found.kinds, found.first_name, found.status) == (
        ["rubbish", "garden"],
        "花子",
        "applied",
    )


def test_leaving_deletes_their_name_and_phone(chat: Dialogue, db: Database) -> None:
    register(chat)
    said = chat.tap(chat.say("生活応援隊"), "応援隊をやめる")
    assert "削除" in said.text
    said = chat.tap(said, "はい、やめる")
    assert "お名前と電話番号を削除しました" in said.text
    found = supporter(db)
    assert found is not None
    assert (found.status, found.first_name, found.phone, found.consent_given) == (
        "left",
        None,
        None,
        False,
    )
    # Nor is either kept in what was said: the summary that repeated them is blanked.
    with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                assert "080-2345-6789" not in json.dumps(list(map(str, row)), ensure_ascii=False)
        said_to_them = session.scalars(select(OutboxMessage.messages)).all()
        assert not any("花子" in json.dumps(m, ensure_ascii=False) for m in said_to_them)
    # One who left is a newcomer again.
    assert "登録する" in chat.say("生活応援隊").buttons


def test_the_word_starts_it_even_in_the_middle_of_another_flow(chat: Dialogue) -> None:
    chat.say("サロン")
    assert "登録する" in chat.say("生活応援隊").buttons


def test_the_councils_link_types_the_word_that_opens_the_sign_up(chat: Dialogue) -> None:
    link = supporter_signup.sign_up_link("@madoguchi")
    assert link == (
        "https://line.me/R/oaMessage/%40madoguchi/?%E7%94%9F%E6%B4%BB%E5%BF%9C%E6%8F%B4%E9%9A%8A"
    )
    typed = unquote(link.split("?", 1)[1])
    assert "登録する" in chat.say(typed).buttons
