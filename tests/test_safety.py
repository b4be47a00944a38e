"""Danger in a conversation: the answer leads with what to do and dials the number, an urgent
ticket is filed and the flow stays as it was; a message that may be an emergency asks first;
the same alarm again soon gets a short line; staff read exactly what the resident was told.

(How well messages are read — which wording is which kind — is tests/test_safety_corpus.py's.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dialogue import Dialogue, Said
from line_spec import validate_api_request
from rendered import readable, rendered
from sqlalchemy import select
from sqlalchemy.orm import Session
from watch_town import Town, texts

from bot.clock import Clock
from flows import safety, safety_words
from handlers.safety import REPEAT_WINDOW
from locales import safety_kinds
from simulator.message_rules import check_messages
from storage import tickets
from storage.db import Database
from storage.models import (
    AuditEntry,
    Conversation,
    OutboxMessage,
    Resident,
    Team,
    Ticket,
)
from storage.sample_town import load_town

MONDAY_MORNING = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
SATURDAY = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
GROUP = "C" + "f" * 32

# A message of each kind that the detector answers with the numbers at once.
EMERGENCIES = {
    "suicide": "もう死にたい",
    "medical": "母が倒れて動かない",
    "fire": "火事です",
    "gas": "ガス臭い",
    "violence": "夫に殴られた",
    "child_abuse": "隣の子が虐待されているかも",
    "elder_abuse": "母が介護施設で虐待されている",
    # Not 助けて: typed while a check-in waits, that is the check-in's own "I need help".
    "distress": "誰か助けて",
}
# What each kind's answer says first, and the numbers its buttons dial.
FIRST_LINES = {
    "suicide": "いのちの電話（0570-783-556）か、よりそいホットライン（0120-279-338）に",
    "medical": "すぐに119番に電話してください。",
    "fire": "まず外へ逃げてから、119番に電話してください。",
    "gas": "火をつけたり、電気のスイッチにさわったりしないでください。",
    "violence": "すぐに110番に電話してください。",
    "child_abuse": "子どもがいま危ないときは、すぐに110番に電話してください。",
    "elder_abuse": "いま危ないときは、すぐに110番に電話してください。",
    "distress": "すぐに電話してください。救急車・火事は119番、警察は110番です。",
}
CALLS = {
    "suicide": ["tel:0570783556", "tel:0120279338", "tel:119"],
    "medical": ["tel:119", "tel:%237119"],
    "fire": ["tel:119"],
    "gas": ["tel:119"],
    "violence": ["tel:110"],
    "child_abuse": ["tel:110", "tel:189"],
    "elder_abuse": ["tel:110"],
    "distress": ["tel:119", "tel:110"],
}
KINDS = list(EMERGENCIES)
MAY_BE = "胸が変な感じ"  # read as a possible medical emergency (the `unsure` fixture)
QUESTION = "いま、すぐに助けが必要ですか？"
ANSWERS = ["はい", "いいえ、大丈夫"]
ALL_RIGHT = "わかりました。何かあれば、いつでもここに書いてください。"
WORRY = "ご自分の言葉で書いてください"  # the consultation's free-text question
MORE = "終わったら「書き終えた」を押してください"  # the same, once some words are in


def clock_at(moment: datetime) -> Clock:
    """A clock that reads `moment` now (give or take the test's own seconds)."""
    return Clock(offset=moment - datetime.now(UTC))


@pytest.fixture
def town(db: Database) -> Database:
    with db.transaction() as session:
        load_town(session)
    return db


@pytest.fixture
def unsure(monkeypatch: pytest.MonkeyPatch) -> None:
    """MAY_BE reads as a possible medical emergency, whatever the detector learns meanwhile."""
    check = safety.check

    def reading(text: str) -> safety.Alarm | None:
        return safety.Alarm("medical", "possible", ("medical",)) if text == MAY_BE else check(text)

    monkeypatch.setattr(safety, "check", reading)


def _tickets(session: Session) -> list[Ticket]:
    return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def _conversation(session: Session) -> Conversation:
    return session.scalars(select(Conversation)).one()


def _thread(ticket: Ticket) -> list[tuple[str, str]]:
    return [(m.author, m.body) for m in sorted(ticket.messages, key=lambda m: m.id)]


def _audit(session: Session, action: str) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def _consultation_at(chat: Dialogue, step: str) -> Said:
    """Start a consultation and answer up to `step`: "about" (buttons) or "worry" (free text)."""
    said = chat.tap(chat.tap(chat.follow(), "相談する"), "同意する")
    if step == "about":
        return said
    said = chat.tap(chat.tap(chat.tap(said, "自分"), "子育て"), "次へ")
    said = chat.tap(chat.tap(chat.tap(said, "中部"), "緑"), "今日中に")
    assert WORRY in said.text
    return said


def _open_ticket(db: Database, team: str = "kourei") -> None:
    with db.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        chosen = session.scalars(select(Team).where(Team.slug == team)).one()
        tickets.open_ticket(
            session,
            resident=resident,
            kind="consultation",
            team=chosen,
            now=MONDAY_MORNING,
            urgency="anytime",
            categories=["care"],
        )


def _assert_emergency_answer(said: Said, kind: str) -> None:
    card = said.messages[0]
    assert card["type"] == "flex", said.texts
    assert said.texts[0].startswith(FIRST_LINES[kind])
    assert said.calls == CALLS[kind]
    # Phones that cannot show Flex read the alt text: what to do, and the numbers.
    assert card["altText"].startswith(FIRST_LINES[kind])
    for uri in CALLS[kind]:
        number = uri.removeprefix("tel:").replace("%23", "#")
        assert number in card["altText"].replace("-", "")


# --- the words -----------------------------------------------------------------------------


def test_every_kind_has_advice_numbers_and_a_label() -> None:
    assert set(safety.kinds()) == set(safety_words.ADVICE) == set(safety_kinds.NAMES) == set(KINDS)
    for advice in safety_words.ADVICE.values():
        assert advice.calls and set(advice.calls) <= set(safety_words.CALLS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_messages_these_tests_use_raise_their_kind(kind: str) -> None:
    alarm = safety.check(EMERGENCIES[kind])
    assert alarm is not None and (alarm.kind, alarm.level) == (kind, "emergency")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("language", ["ja", "en"])
def test_every_answer_follows_lines_rules_and_its_spec(kind: str, language: str) -> None:
    messages = rendered(
        [
            safety_words.emergency(language, [kind], "スタッフにもすぐに伝えました。"),
            *safety_words.possible(language, (kind,)),
            safety_words.received(language),
            safety_words.all_right(language),
        ]
    )
    assert check_messages(messages[:5]) == []
    validate_api_request(
        "POST", "/v2/bot/message/reply", {"replyToken": "0" * 32, "messages": messages[:5]}
    )
    card = messages[0]
    buttons = card["contents"]["footer"]["contents"]
    assert all(len(button["action"]["label"]) <= 20 for button in buttons)
    assert [button["action"]["uri"] for button in buttons] == CALLS[kind]
    # The question's answers are quick replies on the last message of the middle tier.
    assert [item["action"]["label"] for item in messages[2]["quickReply"]["items"]] == (
        ANSWERS if language == "ja" else ["Yes", "No, I'm all right"]
    )


def test_several_kinds_lead_with_the_most_pressing_and_dial_every_number() -> None:
    card = safety_words.emergency("ja", ["suicide", "violence"], "スタッフにもすぐに伝えました。")
    (shown,) = rendered([card])
    lines = readable(shown).splitlines()
    assert lines[0].startswith(FIRST_LINES["suicide"])
    assert "すぐに110番に電話してください。" in lines
    assert lines[-1] == "スタッフにもすぐに伝えました。"
    uris = [b["action"]["uri"] for b in shown["contents"]["footer"]["contents"]]
    assert uris == [*CALLS["suicide"], "tel:110"]


def test_a_question_about_two_kinds_gives_the_numbers_of_both() -> None:
    # The model unsure between an illness and abuse of an older person: 119 and 110 both, the
    # likelier kind's words first.
    card, question = rendered(safety_words.possible("ja", ("medical", "elder_abuse")))
    uris = [b["action"]["uri"] for b in card["contents"]["footer"]["contents"]]
    assert uris == [*CALLS["medical"], *CALLS["elder_abuse"]]
    assert len(readable(card).splitlines()) >= 2
    assert [item["action"]["label"] for item in question["quickReply"]["items"]] == ANSWERS


# --- emergencies, wherever the resident is -------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("step", ["about", "worry"])
def test_an_emergency_in_a_consultation_gives_the_numbers_and_keeps_the_step(
    town: Database, kind: str, step: str
) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    question = _consultation_at(chat, step)
    said = chat.say(EMERGENCIES[kind])
    _assert_emergency_answer(said, kind)
    assert "スタッフにもすぐに伝えました。" in said.texts[0]
    # Then the consultation's question again, its buttons last and no cold "sorry".
    assert said.messages[-1]["type"] == "text" and said.buttons == question.buttons
    assert "受け取れませんでした" not in said.text
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert (ticket.kind, ticket.urgency, ticket.team.slug) == (
            "safety",
            "emergency",
            "marugoto",
        )
        assert ticket.intake == {"alarm": kind}
        assert ticket.sla_due_at is not None
        assert (ticket.sla_due_at - ticket.created_at).total_seconds() == 3600
        thread = _thread(ticket)
        assert thread[0] == ("resident", EMERGENCIES[kind])
        assert thread[1] == ("bot", said.texts[0])
        conversation = _conversation(session)
        assert (conversation.flow, conversation.state) == ("consultation", step)
        if step == "worry":  # the worry keeps the words
            assert [p["text"] for p in conversation.data["worry"]] == [EMERGENCIES[kind]]
        (audit,) = _audit(session, "safety_alarm")
        assert audit.ticket_id == ticket.id and audit.detail["kind"] == kind
        assert EMERGENCIES[kind] not in str(audit.detail)


def _waiting_for_an_answer(db: Database, clock: Clock) -> Town:
    """An enrolled resident whose check-in has just arrived and waits for an answer."""
    town = Town(db, clock)
    town.enrol()
    town.until_next_checkin()
    town.resident.inbox()
    return town


@pytest.mark.parametrize("kind", KINDS)
def test_an_emergency_in_reply_to_a_check_in_gives_the_numbers(
    db: Database, clock: Clock, kind: str
) -> None:
    town = _waiting_for_an_answer(db, clock)
    said = Said(town.resident.say(EMERGENCIES[kind]))
    _assert_emergency_answer(said, kind)
    (row,) = town.rounds()
    assert (row.state, row.answer) == ("answered", "message")  # a sign of life all the same
    (ticket,) = town.tickets()
    assert (ticket.kind, ticket.urgency) == ("safety", "emergency")
    assert ("bot", said.texts[0]) in _thread(ticket)


@pytest.mark.parametrize("typed", ["助けて", "助けてほしい"])
def test_help_typed_in_reply_to_a_check_in_is_its_own_answer_said_once(
    db: Database, clock: Clock, typed: str
) -> None:
    town = _waiting_for_an_answer(db, clock)
    said = Said(town.resident.say(typed))
    assert "救急車・火事は119、警察は110です。" in said.text
    # The check-in's card alone, not the safety reader's as well: the numbers once.
    assert said.calls == ["tel:119", "tel:110", "tel:%237119"]
    assert said.text.count("110") == 1
    assert "「助けてほしい」を押しました" in texts(town.family_a.inbox())
    (ticket,) = town.tickets()
    assert (ticket.kind, ticket.urgency) == ("watch", "emergency")
    (row,) = town.rounds()
    assert row.answer == "help"


@pytest.mark.parametrize("kind", KINDS)
def test_an_emergency_raises_the_open_ticket_and_its_thread_shows_it_all(
    town: Database, kind: str
) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    _open_ticket(town)
    said = chat.say(EMERGENCIES[kind])
    _assert_emergency_answer(said, kind)
    assert len(said.messages) == 1, "the thread's acknowledgement would only repeat it"
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert (ticket.urgency, ticket.team.slug, ticket.status) == ("emergency", "kourei", "new")
        assert ticket.sla_due_at is not None
        assert (ticket.sla_due_at - MONDAY_MORNING).total_seconds() <= 3600 + 60
        (words_, system, bot) = _thread(ticket)
        assert words_ == ("resident", EMERGENCIES[kind])
        assert system[0] == "system" and "緊急" in system[1]
        assert EMERGENCIES[kind] not in system[1]
        assert bot == ("bot", said.texts[0])
        assert _conversation(session).flow is None


def test_the_team_group_hears_the_reference_but_not_the_words(town: Database) -> None:
    with town.transaction() as session:
        marugoto = session.scalars(select(Team).where(Team.slug == "marugoto")).one()
        marugoto.line_group_id = GROUP
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    chat.say("火事です！家が燃えている")
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        (row,) = session.scalars(select(OutboxMessage).where(OutboxMessage.to == GROUP)).all()
        alert = row.messages[0]["body"]
        assert ticket.reference in alert and "火事" in alert
        assert "燃えている" not in alert


def test_outside_hours_the_resident_is_told_when_a_person_reads_it(town: Database) -> None:
    chat = Dialogue(town, clock_at(SATURDAY))
    chat.follow()
    said = chat.say("夫に殴られた")
    _assert_emergency_answer(said, "violence")
    assert "担当者が読むのは11月30日（月）の8時30分から" in said.texts[0]


def test_english_speakers_get_the_numbers_in_english(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING), profile_language="en")
    chat.follow()
    said = chat.say("I want to die")
    assert said.texts[0].startswith("Please call Inochi no Denwa (0570-783-556)")
    assert said.calls == CALLS["suicide"]


def test_without_teams_the_numbers_still_go_out(db: Database) -> None:
    chat = Dialogue(db, clock_at(MONDAY_MORNING))
    chat.follow()
    said = chat.say("しにたい")
    _assert_emergency_answer(said, "suicide")
    assert said.texts[1:] == ["どんなご用件でしょうか。ボタンを押してください。"], (
        "the menu, no sorry"
    )
    with db.transaction() as session:
        assert _tickets(session) == []


# --- the same alarm again ------------------------------------------------------------------


def test_the_same_alarm_soon_after_gets_a_short_line_and_no_second_alert(town: Database) -> None:
    with town.transaction() as session:
        marugoto = session.scalars(select(Team).where(Team.slug == "marugoto")).one()
        marugoto.line_group_id = GROUP
    clock = clock_at(MONDAY_MORNING)
    chat = Dialogue(town, clock)
    question = _consultation_at(chat, "worry")
    _assert_emergency_answer(chat.say("火事です"), "fire")
    clock.advance(timedelta(minutes=5))
    again = chat.say("まだ燃えている")
    assert again.calls == [] and again.messages[0]["type"] == "text"
    assert (
        again.texts[0]
        == "受け取りました。スタッフに伝えています。危ないときは、すぐに119番・110番へ。"
    )
    assert again.buttons == question.buttons, "the consultation still asks its question"
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert (
            len(session.scalars(select(OutboxMessage).where(OutboxMessage.to == GROUP)).all()) == 1
        )
        thread = _thread(ticket)
        assert thread[-2:] == [("resident", "まだ燃えている"), ("bot", again.texts[0])]
        assert [e.detail for e in _audit(session, "safety_repeat")] == [{"kind": "fire"}]
    # Another kind is news: its own numbers.
    _assert_emergency_answer(chat.say("夫に殴られた"), "violence")


def test_the_same_alarm_after_the_window_gets_the_numbers_again(town: Database) -> None:
    clock = clock_at(MONDAY_MORNING)
    chat = Dialogue(town, clock)
    chat.follow()
    chat.say("火事です")
    clock.advance(REPEAT_WINDOW + timedelta(minutes=1))
    _assert_emergency_answer(chat.say("火事です"), "fire")
    with town.transaction() as session:
        assert len(_audit(session, "safety_alarm")) == 2


# --- the middle tier: when unsure, ask -----------------------------------------------------


def _asked(said: Said) -> None:
    """The numbers, gently, with their buttons; then the question, last, with its answers."""
    assert said.messages[0]["type"] == "flex"
    assert "急に具合が悪くなったら" in said.texts[0]
    assert said.calls == CALLS["medical"]
    assert said.texts[-1] == QUESTION and said.buttons == ANSWERS


@pytest.mark.usefixtures("unsure")
def test_a_possible_emergency_in_a_consultation_asks_and_holds_the_next_question(
    town: Database,
) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    _consultation_at(chat, "worry")
    said = chat.say(MAY_BE)
    _asked(said)
    assert len(said.messages) == 2, "the consultation's question waits for the answer"
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert (ticket.kind, ticket.urgency, ticket.team.slug) == ("safety", "today", "marugoto")
        assert ticket.intake == {"alarm": "medical", "level": "possible"}
        assert _thread(ticket) == [("resident", MAY_BE), ("bot", "\n".join(said.texts))]
        conversation = _conversation(session)
        assert conversation.state == "worry"
        assert [p["text"] for p in conversation.data["worry"]] == [MAY_BE]
        (audit,) = _audit(session, "safety_possible")
        assert audit.detail == {"kind": "medical"} and audit.ticket_id == ticket.id


@pytest.mark.usefixtures("unsure")
def test_yes_is_the_full_emergency_then_the_flow_asks_again(town: Database) -> None:
    with town.transaction() as session:
        marugoto = session.scalars(select(Team).where(Team.slug == "marugoto")).one()
        marugoto.line_group_id = GROUP
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    question = _consultation_at(chat, "worry")
    said = chat.tap(chat.say(MAY_BE), "はい")
    _assert_emergency_answer(said, "medical")
    assert MORE in said.texts[-1] and said.buttons == question.buttons
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert ticket.urgency == "emergency"
        assert (ticket.sla_due_at - MONDAY_MORNING).total_seconds() <= 3600 + 60
        assert (
            len(session.scalars(select(OutboxMessage).where(OutboxMessage.to == GROUP)).all()) == 1
        )
        authors = [author for author, _ in _thread(ticket)]
        assert authors == ["resident", "bot", "note", "system", "bot"]
        assert "いま助けが必要" in _thread(ticket)[2][1]
        assert _thread(ticket)[-1] == ("bot", said.texts[0])
        assert _conversation(session).state == "worry"


@pytest.mark.parametrize("answer", ["tapped", "typed"])
def test_yes_to_a_question_about_two_kinds_dials_the_numbers_of_both(
    town: Database, monkeypatch: pytest.MonkeyPatch, answer: str
) -> None:
    # Unsure between an illness and abuse of an older person, the question showed 119 and
    # 110; "yes" must not narrow the emergency to the likelier one.
    check = safety.check
    both = safety.Alarm("medical", "possible", ("medical", "elder_abuse"))
    monkeypatch.setattr(safety, "check", lambda text: both if text == MAY_BE else check(text))
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    asked = chat.say(MAY_BE)
    said = chat.tap(asked, "はい") if answer == "tapped" else chat.say("はい")
    assert said.texts[0].startswith(FIRST_LINES["medical"])
    assert said.calls == [*CALLS["medical"], *CALLS["elder_abuse"]]
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert ticket.urgency == "emergency"
        (alarm,) = _audit(session, "safety_alarm")
        assert alarm.detail["kinds"] == ["medical", "elder_abuse"]


@pytest.mark.usefixtures("unsure")
def test_no_is_a_kind_line_a_note_for_staff_and_the_question_again(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    question = _consultation_at(chat, "worry")
    said = chat.tap(chat.say(MAY_BE), "いいえ、大丈夫")
    assert said.texts[0] == ALL_RIGHT
    assert said.calls == []
    assert MORE in said.texts[-1] and said.buttons == question.buttons
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert ticket.urgency == "today"
        assert _thread(ticket)[-2][0] == "note" and "いまは大丈夫" in _thread(ticket)[-2][1]
        assert _thread(ticket)[-1] == ("bot", said.texts[0])
        assert _conversation(session).state == "worry"
    # The consultation goes on where it was.
    assert "どの方法がよいですか" in chat.tap(said, "書き終えた").text


@pytest.mark.usefixtures("unsure")
@pytest.mark.parametrize(("typed", "urgency"), [("はい", "emergency"), ("大丈夫です。", "today")])
def test_the_answer_typed_instead_of_tapped_counts_the_same(
    town: Database, typed: str, urgency: str
) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    question = _consultation_at(chat, "worry")
    chat.say(MAY_BE)
    said = chat.say(typed)
    assert said.buttons == question.buttons
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert ticket.urgency == urgency
        conversation = _conversation(session)
        # An answer, not more of the worry; and asked once, answered once.
        assert [p["text"] for p in conversation.data["worry"]] == [MAY_BE]
        assert "_safety_asked" not in conversation.data


@pytest.mark.usefixtures("unsure")
def test_writing_on_instead_of_answering_goes_to_the_flow(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    _consultation_at(chat, "worry")
    chat.say(MAY_BE)
    said = chat.say("子どものことで相談したいです")
    assert WORRY in said.text or "書き終えた" in said.buttons
    with town.transaction() as session:
        worry = _conversation(session).data["worry"]
        assert [p["text"] for p in worry] == [MAY_BE, "子どものことで相談したいです"]


@pytest.mark.usefixtures("unsure")
def test_a_possible_emergency_with_an_open_ticket_adds_a_note_to_it(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    _open_ticket(town)
    said = chat.say(MAY_BE)
    _asked(said)
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert (ticket.urgency, ticket.team.slug) == ("anytime", "kourei")
        authors = [author for author, _ in _thread(ticket)]
        assert authors == ["resident", "note", "bot"]
        assert MAY_BE not in _thread(ticket)[1][1]


@pytest.mark.usefixtures("unsure")
def test_outside_a_flow_the_ticket_it_opens_takes_what_they_write_next(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    said = chat.say(MAY_BE)
    _asked(said)
    assert chat.tap(said, "いいえ、大丈夫").texts == [ALL_RIGHT]
    chat.say("少し横になります")
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert [author for author, _ in _thread(ticket)] == [
            "resident",
            "bot",
            "note",
            "bot",
            "resident",
        ]
        assert _thread(ticket)[-1] == ("resident", "少し横になります")


@pytest.mark.usefixtures("unsure")
def test_a_possible_emergency_in_reply_to_a_check_in_asks(db: Database, clock: Clock) -> None:
    town = Town(db, clock)
    town.enrol()
    town.until_next_checkin()
    town.resident.inbox()
    _asked(Said(town.resident.say(MAY_BE)))
    (row,) = town.rounds()
    assert row.state == "answered"
    _assert_emergency_answer(Said(town.resident.tap("はい")), "medical")
    assert [t.urgency for t in town.tickets()] == ["emergency"]


@pytest.mark.parametrize("number", ["090-1110-1190", "119640"])
def test_a_phone_number_or_a_code_is_not_read_for_danger(town: Database, number: str) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    question = _consultation_at(chat, "worry")
    said = chat.say(number)
    assert said.calls == [] and QUESTION not in said.text
    assert said.buttons == question.buttons
    with town.transaction() as session:
        assert _tickets(session) == []


def test_an_emergency_number_on_its_own_is_still_read(
    town: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    read: list[str] = []
    monkeypatch.setattr(safety, "check", lambda text: read.append(text))
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    chat.say("１１９")
    chat.say("0465-22-1234")
    assert read == ["１１９"]


# --- concerns: a note for staff, nothing said ----------------------------------------------


def test_a_concern_says_nothing_but_leaves_a_note_for_staff(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    _open_ticket(town, team="marugoto")
    question = chat.say("言語")
    said = chat.say("転んだけど大丈夫")
    chat.say("転んだけど大丈夫")
    assert said.calls == [] and said.buttons == question.buttons
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert ticket.urgency == "anytime"
        notes = [body for author, body in _thread(ticket) if author == "note"]
        assert len(notes) == 1 and "急病・けが" in notes[0]
        assert "転んだ" not in notes[0]
        conversation = _conversation(session)
        assert conversation.data.get("safety_concerns") == ["medical"]
        assert (conversation.flow, conversation.state) == ("language", "choosing")


def test_a_concern_without_a_ticket_marks_the_conversation(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    chat.say("言語")
    said = chat.say("焦げ臭い気がする")
    assert said.calls == [] and "119" not in said.text
    with town.transaction() as session:
        assert _tickets(session) == []
        assert _conversation(session).data["safety_concerns"] == ["fire"]


def test_figures_of_speech_change_nothing(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    chat.say("言語")
    said = chat.say("死ぬほど笑った")
    assert said.calls == [] and "いのちの電話" not in said.text
    with town.transaction() as session:
        assert _tickets(session) == []
        assert "safety_concerns" not in _conversation(session).data


@pytest.mark.usefixtures("unsure")
def test_nothing_the_resident_wrote_reaches_the_audit_log(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    chat.say(EMERGENCIES["suicide"])
    chat.say(MAY_BE)
    with town.transaction() as session:
        details = " ".join(str(e.detail) for e in session.scalars(select(AuditEntry)))
        assert "死にたい" not in details and "胸" not in details


def test_the_model_threshold_is_set_on_authors_it_was_not_trained_on() -> None:
    pytest.importorskip("sklearn")
    from flows.safety import corpus, train

    examples = corpus.load("train")
    targets = train.targets_of(examples)
    held_back: list[int] = []
    for trained, tested in train.author_folds(examples, targets):
        authors_trained = {corpus.author_of(examples[i]) for i in trained}
        authors_tested = {corpus.author_of(examples[i]) for i in tested}
        assert not (authors_trained & authors_tested) - {None}
        held_back += [int(i) for i in tested]
    assert sorted(held_back) == list(range(len(examples)))
