"""A consultation about 「ちょっとした手助け」 asks whether a 生活応援隊 volunteer should help, and
with what and when; the answer becomes a request on the coordinators' board (issue #18)."""

from __future__ import annotations

from datetime import datetime

import pytest
from casework_data import stored
from dialogue import Dialogue, Said
from sqlalchemy import select
from test_consultation_flow import ANSWERS, MONDAY_10, STEPS, clock_at, walk_to

from flows import help_request
from locales import TOWN_TZ
from storage.db import Database
from storage.models import Conversation, District, HelpRequest, Ticket, TicketMessage
from storage.sample_town import load_town

WORRY = "ゴミ出しを手伝ってほしい"
ASKED = "生活応援隊」が、ちょっとしたお手伝いに伺うこともできます"
KIND_BUTTONS = ["ゴミ出し", "買い物", "電球の交換", "庭の手入れ", "話し相手", "相談だけでいい"]
WHEN_BUTTONS = ["今週中", "来週", "いつでも", "もどる"]
PROMISED = "地域のボランティアを探します。決まったら、このトークでお知らせします。"


@pytest.fixture
def chat(db: Database) -> Dialogue:
    with db.transaction() as session:
        load_town(session)
    return Dialogue(db, clock_at(MONDAY_10))


def typed_and_filed(chat: Dialogue) -> Said:
    """「ゴミ出しを手伝ってほしい」 typed at the menu, through the consultation it is offered."""
    chat.follow()
    offered = chat.say(WORRY)
    assert "ちょっとした手助けについてのご相談ですね" in offered.text
    said = chat.tap(chat.tap(offered, "はい、おねがいします"), "同意する")
    said = chat.tap(said, "自分")
    assert "選んだもの：ちょっとした手助け" in said.text
    said = chat.tap(chat.tap(said, "次へ"), "中部")
    said = chat.tap(chat.tap(said, "緑"), "いつでも")
    assert WORRY in said.text  # the worry's words, kept
    said = chat.tap(chat.tap(said, "書き終えた"), "電話で")
    said = chat.tap(chat.say("090-1234-5678"), "午前")
    return chat.tap(said, "送信する")


def filed_with(chat: Dialogue, *categories: str) -> Said:
    """The consultation's usual path (tests/test_consultation_flow.py), about `categories`."""
    said = walk_to(chat, "categories")
    for label in categories:
        said = chat.tap(said, label)
    said = chat.tap(said, "次へ")
    for step in STEPS[STEPS.index("area") :]:
        said = ANSWERS[step](chat, said)
    return chat.tap(said, "送信する")


def the_ticket(db: Database) -> Ticket:
    with db.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        _ = [(m.author, m.body, m.attachments) for m in ticket.messages]
        session.expunge_all()
        return ticket


def messages_of(db: Database, author: str) -> list[TicketMessage]:
    return [m for m in the_ticket(db).messages if m.author == author]


def flow_now(db: Database) -> str | None:
    with db.transaction() as session:
        return session.scalars(select(Conversation.flow)).one()


def town(day: int, hour: int) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=TOWN_TZ)


def test_a_typed_request_for_help_reaches_the_board(chat: Dialogue, db: Database) -> None:
    filed = typed_and_filed(chat)
    # The usual confirmation first, then the question, with one button per kind of help.
    assert "受付番号" in filed.texts[0] and ASKED not in filed.texts[0]
    assert ASKED in filed.texts[-1]
    assert filed.buttons == KIND_BUTTONS
    when = chat.tap(filed, "ゴミ出し")
    assert "いつごろがよいですか" in when.text and when.buttons == WHEN_BUTTONS
    done = chat.tap(when, "今週中")
    assert PROMISED in done.text and done.buttons == ["メニュー"]
    ticket = the_ticket(db)
    [made] = stored(db, HelpRequest)
    assert (made.kind, made.status, made.ticket_id) == ("rubbish", "open", ticket.id)
    # Monday 7 December: from Tuesday 9:00 to Sunday 18:00, by the town's clock.
    assert (made.wanted_from, made.wanted_until) == (town(8, 9), town(13, 18))
    assert made.phone == "090-1234-5678"
    assert made.note == f"相談 {ticket.reference} から"
    assert "ゴミ出しを" not in made.note and "手伝って" not in made.note
    with db.transaction() as session:
        midori = session.scalars(select(District).where(District.name == "緑")).one()
        assert made.district_id == midori.id
    # The caseworker sees it in the thread; the worry stays the resident's first message.
    [note] = messages_of(db, "system")
    assert "生活応援隊のお手伝いを希望しました（ゴミ出し・今週中）" in note.body
    assert f"依頼 {made.id}" in note.body
    assert messages_of(db, "resident")[0].body == WORRY
    assert flow_now(db) is None
    # The flow is over: what they write next goes to the ticket's thread.
    assert "受け取りました" in chat.say("よろしくお願いします").text


@pytest.mark.parametrize(
    ("label", "first", "last"),
    [("来週", town(14, 9), town(20, 18)), ("いつでも", town(8, 9), town(21, 18))],
)
@pytest.mark.parametrize("how", ["tap", "type"])
def test_the_window_is_as_chosen_and_a_typed_label_works_like_the_tap(
    chat: Dialogue, db: Database, label: str, first: datetime, last: datetime, how: str
) -> None:
    filed = filed_with(chat, "ちょっとした手助け")
    when = chat.tap(filed, "電球の交換") if how == "tap" else chat.say("電球の交換")
    assert when.buttons == WHEN_BUTTONS
    done = chat.tap(when, label) if how == "tap" else chat.say(label)
    assert PROMISED in done.text
    [made] = stored(db, HelpRequest)
    assert made.kind == "light_bulb"
    assert (made.wanted_from, made.wanted_until) == (first, last)


def test_a_kind_typed_in_words_is_understood(chat: Dialogue, db: Database) -> None:
    filed = filed_with(chat, "ちょっとした手助け")
    # Read as a worry outside the flow; here it answers the question.
    when = chat.say("庭の草むしりをお願いしたいです")
    assert when.buttons == WHEN_BUTTONS
    chat.say("いつでもいいです")
    assert [made.kind for made in stored(db, HelpRequest)] == ["garden"]
    assert filed.buttons == KIND_BUTTONS


def test_back_from_when_asks_the_kind_again(chat: Dialogue, db: Database) -> None:
    when = chat.tap(filed_with(chat, "ちょっとした手助け"), "買い物")
    again = chat.tap(when, "もどる")
    assert ASKED in again.text and again.buttons == KIND_BUTTONS
    chat.tap(chat.tap(again, "話し相手"), "来週")
    assert [made.kind for made in stored(db, HelpRequest)] == ["company"]


@pytest.mark.parametrize("how", ["tap", "type"])
def test_just_the_consultation_makes_no_request(chat: Dialogue, db: Database, how: str) -> None:
    filed = filed_with(chat, "子育て", "ちょっとした手助け")
    assert ASKED in filed.text
    said = chat.tap(filed, "相談だけでいい") if how == "tap" else chat.say("相談だけでいい")
    assert "ご相談は担当者がお受けします" in said.text and said.buttons == ["メニュー"]
    assert stored(db, HelpRequest) == []
    assert messages_of(db, "system") == []
    assert flow_now(db) is None


def test_a_consultation_without_errands_is_not_asked(chat: Dialogue, db: Database) -> None:
    filed = filed_with(chat, "住まい")
    assert "受付番号" in filed.text and ASKED not in filed.text
    assert filed.buttons == ["メニュー"]
    assert stored(db, HelpRequest) == []
    assert flow_now(db) is None


@pytest.mark.parametrize("odd", ["sticker", "empty", "unknown-type", "stale-button"])
def test_odd_input_at_the_kind_question_gets_a_kind_answer_and_the_same_buttons(
    chat: Dialogue, db: Database, odd: str
) -> None:
    filed_with(chat, "ちょっとした手助け")
    said = chat.odd(odd)
    if odd == "sticker":
        assert "スタンプをありがとうございます" in said.text
    assert "下のボタンから選んでください" in said.text
    assert ASKED in said.text and said.buttons == KIND_BUTTONS
    assert flow_now(db) == help_request.NAME
    assert chat.tap(said, "ゴミ出し").buttons == WHEN_BUTTONS


@pytest.mark.parametrize("odd", ["image", "long"])
def test_a_photo_or_more_words_reach_the_staff_and_the_question_stays(
    chat: Dialogue, db: Database, odd: str
) -> None:
    when = chat.tap(filed_with(chat, "ちょっとした手助け"), "ゴミ出し")
    said = chat.odd(odd)
    assert "ご相談と一緒に担当者へお渡しします" in said.text
    assert "いつごろがよいですか" in said.text and said.buttons == WHEN_BUTTONS
    last = messages_of(db, "resident")[-1]
    if odd == "image":
        assert last.attachments[0]["type"] == "image"
    else:
        assert last.body == "あ" * 3000
    assert stored(db, HelpRequest) == []
    chat.tap(when, "いつでも")
    assert [made.kind for made in stored(db, HelpRequest)] == ["rubbish"]


def test_this_week_on_a_sunday_is_the_week_to_come() -> None:
    sunday = town(13, 20)
    assert help_request.window("this_week", sunday) == (town(14, 9), town(20, 18))
    saturday = town(12, 10)
    assert help_request.window("this_week", saturday) == (town(13, 9), town(13, 18))
    assert help_request.window("next_week", sunday) == (town(14, 9), town(20, 18))
