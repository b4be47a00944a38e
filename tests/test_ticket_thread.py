"""With a ticket open, the resident talks to a person: the thread, its acknowledgement, closing it,
unsending, and "talk to a person" itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from builders import postback_event
from dialogue import Dialogue
from sqlalchemy import select

from bot.clock import Clock
from storage import tickets
from storage.db import Database
from storage.models import AuditEntry, Ticket, TicketMessage
from storage.sample_town import load_town

MONDAY_10 = datetime(2026, 12, 7, 0, 59, tzinfo=UTC)  # 9:59 in Tokyo, a working Monday
SATURDAY_10 = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # the teams are closed


def clock_at(moment: datetime) -> Clock:
    return Clock(offset=moment - datetime.now(UTC))


@pytest.fixture
def town(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)


@pytest.fixture
def chat(db: Database, town: None) -> Dialogue:
    return Dialogue(db, clock_at(MONDAY_10))


def the_ticket(db: Database) -> Ticket:
    with db.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        _ = ticket.team.slug, [(m.author, m.body) for m in ticket.messages]
        session.expunge_all()
        return ticket


def thread(db: Database, author: str = "resident") -> list[TicketMessage]:
    return [m for m in the_ticket(db).messages if m.author == author]


def with_open_ticket(chat: Dialogue) -> None:
    chat.follow()
    chat.say("スタッフと話したい")


def test_talk_to_a_person_opens_a_ticket_for_the_marugoto_team(
    chat: Dialogue, db: Database
) -> None:
    chat.follow()
    said = chat.say("スタッフと話したい")
    assert "スタッフにおつなぎします" in said.text
    assert "受付番号：S-2026-000001" in said.text
    assert "明日（火）の午後に、担当者がここでお返事します" in said.text
    assert "0465-00-0001" in said.text  # the team's phone, for what cannot wait
    ticket = the_ticket(db)
    assert (ticket.kind, ticket.team.slug, ticket.urgency) == ("staff", "marugoto", "soon")
    assert ticket.sla_due_at is not None
    assert thread(db, "bot")[0].body == said.texts[0]


def test_talk_to_a_person_from_inside_a_flow_ends_the_flow(chat: Dialogue, db: Database) -> None:
    chat.follow()
    chat.say("言語")
    said = chat.say("スタッフと話したい")
    assert "受付番号" in said.text
    assert the_ticket(db).intake == {"asked_in": "language", "step": "choosing"}
    # "English" is no longer an answer to the language question: it goes to the thread.
    assert "受け取りました" in chat.say("English").text
    assert [m.body for m in thread(db)] == ["English"]


def test_asking_again_keeps_the_ticket_already_open(chat: Dialogue, db: Database) -> None:
    with_open_ticket(chat)
    said = chat.say("スタッフと話したい")
    assert "ご相談（受付番号 S-2026-000001）を受け付けています" in said.text
    assert "解決しました" in said.buttons
    the_ticket(db)  # still exactly one


def test_without_teams_talk_to_a_person_gives_the_phone(db: Database) -> None:
    chat = Dialogue(db, clock_at(MONDAY_10))
    chat.follow()
    said = chat.say("スタッフと話したい")
    assert "0465-00-0000" in said.text


def test_five_lines_go_to_the_thread_with_one_acknowledgement(chat: Dialogue, db: Database) -> None:
    with_open_ticket(chat)
    lines = ["こんにちは", "母のことで", "相談があります", "よろしく", "お願いします"]
    answers = [chat.say(line) for line in lines]
    assert "受け取りました（受付番号 S-2026-000001）" in answers[0].text
    assert answers[0].buttons == ["解決しました", "メニュー"]
    assert [said.messages for said in answers[1:]] == [[], [], [], []]
    written = thread(db)
    assert [m.body for m in written] == lines
    assert all(m.line_message_id for m in written)


def test_after_a_quiet_spell_the_next_message_is_acknowledged_again(
    chat: Dialogue, db: Database
) -> None:
    with_open_ticket(chat)
    chat.say("一つめ")
    assert chat.say("二つめ").messages == []
    chat.clock.advance(timedelta(minutes=31))
    assert "受け取りました" in chat.say("三つめ").text


def test_a_staff_reply_makes_the_next_message_acknowledged(chat: Dialogue, db: Database) -> None:
    with_open_ticket(chat)
    chat.say("お願いします")
    with db.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        tickets.add_message(session, ticket, author="staff", body="担当の山本です。", now=MONDAY_10)
    assert "受け取りました" in chat.say("ありがとうございます").text


def test_photos_and_stickers_are_kept_as_attachments(chat: Dialogue, db: Database) -> None:
    with_open_ticket(chat)
    chat.photo("photo-9")
    chat.sticker()
    chat.location(35.26, 139.156, "自宅")
    written = thread(db)
    assert [m.attachments[0]["type"] for m in written] == ["image", "sticker", "location"]
    assert written[0].attachments == [{"type": "image", "message_id": "photo-9"}]
    assert written[0].line_message_id == "photo-9"


def test_an_unsent_message_is_deleted_from_the_thread(chat: Dialogue, db: Database) -> None:
    with_open_ticket(chat)
    chat.say("まちがえました")
    mistaken = chat.last_message_id
    chat.say("正しい内容です")
    chat.photo("photo-unsent")
    chat.unsend(mistaken)
    chat.unsend("photo-unsent")
    assert [m.body for m in thread(db)] == ["正しい内容です"]


@pytest.mark.parametrize("how", ["tap", "type"])
def test_solved_closes_the_ticket(chat: Dialogue, db: Database, how: str) -> None:
    with_open_ticket(chat)
    ack = chat.say("電球を替えてほしいです")
    said = chat.tap(ack, "解決しました") if how == "tap" else chat.say("解決しました")
    assert "よかったです" in said.text and "S-2026-000001" in said.text
    assert "相談する" in said.buttons
    ticket = the_ticket(db)
    assert ticket.status == "resolved" and ticket.resolved_at is not None
    assert thread(db, "system")[0].body == "相談者がLINEで「解決しました」を選びました。"
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "status")).one()
        assert entry.detail == {"from": "new", "to": "resolved", "by": "resident"}
    # Closed: what they write now is not added to it.
    assert "ボタンから選んでください" in chat.say("ありがとう").text
    assert len(thread(db)) == 1


def test_a_solved_button_tapped_again_says_it_is_closed(chat: Dialogue, db: Database) -> None:
    with_open_ticket(chat)
    ack = chat.say("お願いします")
    chat.tap(ack, "解決しました")
    said = chat.send(postback_event(ack.postbacks["解決しました"], chat.user))
    assert "もう終わっています" in said.text


def test_the_menu_still_works_with_a_ticket_open(chat: Dialogue, db: Database) -> None:
    with_open_ticket(chat)
    menu = chat.say("メニュー")
    assert "相談する" in menu.buttons
    question = chat.tap(menu, "言語 (Language)")
    assert "English" in question.buttons
    assert "From now on we will write in English" in chat.tap(question, "English").text
    assert thread(db) == []


def test_outside_hours_the_acknowledgement_says_when_a_person_reads_it(
    db: Database, town: None
) -> None:
    chat = Dialogue(db, clock_at(SATURDAY_10))
    with_open_ticket(chat)
    said = chat.say("週末ですみません")
    assert "ただいま受付時間外です" in said.text
    assert "月）の8時30分から" in said.text
