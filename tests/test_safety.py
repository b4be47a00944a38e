"""Danger words: the lexicon catches many phrasings and leaves figures of speech alone; in a
conversation an alarm gives the numbers, files an urgent ticket and leaves the flow as it was."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import yaml
from dialogue import Dialogue
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.clock import Clock
from flows import safety
from handlers import safety as safety_handler
from storage import tickets
from storage.db import Database
from storage.models import AuditEntry, Conversation, OutboxMessage, Resident, Team, Ticket
from storage.sample_town import load_town

# --- the lexicon ------------------------------------------------------------------------------

EMERGENCIES = {
    "suicide": [
        "死にたい",
        "しにたい",
        "シニタイ",
        "ｼﾆﾀｲ",
        "死に たい",
        "もう死にたい…",
        "死にたくなる夜がある",
        "消えたい",
        "きえたい",
        "消えてしまいたい",
        "もう生きていたくない",
        "いきていたくない",
        "生きてるのがつらい",
        "生きるのがしんどいです",
        "自殺したい",
        "自殺を考えています",
        "首を吊ろうと思う",
        "死んだほうがましだ",
        "いなくなりたい",
        "薬を全部飲んだ",
        "恥ずかしくて死にたいと思ったことはないけど、本当に死にたい",
        "I want to die",
    ],
    "collapse": [
        "母が倒れて動かない",
        "父が倒れた",
        "おばあちゃんがたおれた",
        "夫が急に倒れました",
        "人が倒れています",
        "倒れて意識がない",
        "意識がありません",
        "息をしていない",
        "いきしてない",
        "呼吸がない",
        "息ができない",
        "胸が苦しい",
        "転んで起き上がれない",
        "救急車を呼んだほうがいい？",
        "ｷｭｳｷｭｳｼｬを呼んで",
        "He collapsed and is not breathing",
    ],
    "fire": [
        "火事です！",
        "かじ…いや、火事だ",
        "台所から火が出た",
        "家が燃えている",
        "煙が出てる",
        "ガス臭い",
        "ガスのにおいがする",
        "ｶﾞｽ漏れかも",
        "the house is on fire",
    ],
    "violence": [
        "夫に叩かれる",
        "たたかれています",
        "殴られた",
        "なぐられる",
        "DVを受けています",
        "ＤＶです",
        "ｄｖ",
        "殺すと言われた",
        "首を絞められた",
        "包丁を向けられた",
        "暴力をふるわれる",
        "施設で母が虐待されている",
        "he hits me",
    ],
    "child_abuse": [
        "隣の子どもが虐待されているかも",
        "子供が叩かれている声がする",
        "児童虐待を見た",
        "こどもがごはんを食べさせてもらえていない",
    ],
    "distress": ["助けて", "たすけてー！", "誰か助けて", "ﾀｽｹﾃ", "help me"],
}

# Figures of speech and everyday words that must not raise an emergency.
NOT_EMERGENCIES = [
    "死ぬほど疲れた",
    "死ぬほど笑った",
    "しぬほどわらった",
    "死ぬほどおいしかった",
    "笑い死にしそう",
    "死ぬかと思った",
    "恥ずかしくて死にたい",
    "火事場の馬鹿力",
    "火事場のばか力が出た",
    "対岸の火事",
    "火事になったらどう逃げればいいですか",
    "火災保険と火事の訓練について",
    "赤ちゃんが火がついたように泣く",
    "燃えるゴミの日を教えて",
    "家事を手伝ってほしい",
    "肩を叩かれた",
    "陰口を叩かれた",
    "布団を叩いて干した",
    "DVDを借りたい",
    "advice please",
    "危機意識がない",
    "首をつっこむ",
    "睡魔に襲われる",
    "電気が消えた。いつもの時間です",
    "ゴミ出しを助けてください",
    "子育てを助けてほしい",
    "掃除ですとか買い物ですとか",
    "死にたくないから健康診断に行く",
    "台風で木がたくさん倒れた",
    "自殺予防の講座はありますか",
    "ところ、されてしまって",
    "",
    "👍😀",
]

CONCERNS = {
    "死ぬほど疲れた": "suicide",
    "死にそうなくらい忙しい": "suicide",
    "年金だけでは生きていけない": "suicide",
    "恥ずかしくて死にたい": "suicide",
    "台風で木がたくさん倒れた": "collapse",
    "転んだけど大丈夫": "collapse",
    "焦げ臭い": "fire",
    "ストーカーに困っています": "violence",
    "夜中にドアを叩かれる": "violence",
    "言葉の暴力がつらい": "violence",
    "隣の子がずっと泣き叫んでいる": "child_abuse",
}

NOTHING = [
    "死ぬほど笑った",
    "火事場の馬鹿力",
    "肩を叩かれた",
    "燃えるゴミの日を教えて",
    "DVDを借りたい",
]


@pytest.mark.parametrize(
    ("kind", "message"), [(kind, m) for kind, ms in EMERGENCIES.items() for m in ms]
)
def test_emergency_phrasings_raise_the_right_alarm(kind: str, message: str) -> None:
    alarm = safety.check(message)
    assert alarm is not None and alarm.level == "emergency", message
    assert alarm.kind == kind


@pytest.mark.parametrize("message", NOT_EMERGENCIES)
def test_figures_of_speech_and_everyday_words_raise_no_emergency(message: str) -> None:
    alarm = safety.check(message)
    assert alarm is None or alarm.level == "concern"


@pytest.mark.parametrize(("message", "kind"), CONCERNS.items())
def test_some_wording_is_only_a_concern(message: str, kind: str) -> None:
    assert safety.check(message) == safety.Alarm(kind, "concern", (kind,))


@pytest.mark.parametrize("message", NOTHING)
def test_some_figures_of_speech_are_nothing_at_all(message: str) -> None:
    assert safety.check(message) is None


def test_a_figure_of_speech_does_not_hide_a_real_alarm_beside_it() -> None:
    alarm = safety.check("死ぬほど笑ったけど、今は死にたい")
    assert alarm is not None and (alarm.kind, alarm.level) == ("suicide", "emergency")


def test_several_kinds_at_once_name_the_most_pressing_and_keep_the_rest() -> None:
    alarm = safety.check("夫に殴られて、もう死にたい")
    assert alarm is not None
    assert (alarm.kind, alarm.kinds) == ("suicide", ("suicide", "violence"))


def test_a_very_long_message_is_checked_whole() -> None:
    alarm = safety.check("あ" * 2990 + "しにたい")
    assert alarm is not None and alarm.kind == "suicide"


def test_folding_makes_width_kana_case_and_spacing_alike() -> None:
    assert (
        safety.fold("ｼ ﾆ ﾀ ｲ")
        == safety.fold("シニタイ")
        == safety.fold("しにたい〜！")
        == "しにたい"
    )
    assert safety.fold("ＤＶ") == "dv"
    assert safety.fold("たすけてー") == "たすけて"
    assert safety.fold("ストーカー") == "すとーか"


def test_the_lexicon_is_well_formed_and_every_kind_has_numbers_and_a_label() -> None:
    data = yaml.safe_load(safety.LEXICON.read_text(encoding="utf-8"))
    for kind, levels in data["kinds"].items():
        assert set(levels) <= {"emergency", "concern"}, kind
        for pattern in [*levels.get("emergency", []), *levels.get("concern", [])]:
            assert "\\" not in pattern
            re.compile(pattern)
    assert set(safety.kinds()) == set(safety_handler.NUMBERS) == set(safety_handler.LABELS)


# --- in a conversation ------------------------------------------------------------------------

MONDAY_MORNING = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo
SATURDAY = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)
GROUP = "C" + "f" * 32


def clock_at(moment: datetime) -> Clock:
    """A clock that reads `moment` now (give or take the test's own seconds)."""
    return Clock(offset=moment - datetime.now(UTC))


@pytest.fixture
def town(db: Database) -> Database:
    with db.transaction() as session:
        load_town(session)
    return db


def _tickets(session: Session) -> list[Ticket]:
    return list(session.scalars(select(Ticket).order_by(Ticket.id)))


def _conversation(session: Session) -> Conversation:
    return session.scalars(select(Conversation)).one()


def test_an_emergency_inside_a_flow_gets_the_numbers_and_an_urgent_ticket(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    question = chat.say("言語")
    said = chat.say("もう死にたい")
    assert "いのちの電話（0570-783-556）" in said.text
    assert "よりそいホットライン（0120-279-338）" in said.text
    assert "スタッフにもすぐに伝えました" in said.text
    # The flow carries on: it still asks its question, and its buttons still work — without
    # a cold "sorry, we could not use that" after the emergency numbers.
    assert said.buttons == question.buttons
    assert "受け取れませんでした" not in said.text
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert (ticket.kind, ticket.urgency, ticket.team.slug) == (
            "safety",
            "emergency",
            "marugoto",
        )
        assert ticket.intake == {"alarm": "suicide"}
        # An emergency is due in an hour of wall-clock time.
        assert ticket.sla_due_at is not None
        assert (ticket.sla_due_at - ticket.created_at).total_seconds() == 3600
        # Staff can read what raised it.
        assert "もう死にたい" in [m.body for m in ticket.messages if m.author == "resident"]
        conversation = _conversation(session)
        assert (conversation.flow, conversation.state) == ("language", "choosing")
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "safety_alarm")).one()
        assert audit.ticket_id == ticket.id and audit.detail["kind"] == "suicide"
        assert "死にたい" not in str(audit.detail)
    assert "English" in chat.tap(said, "English").text


def test_an_emergency_raises_the_open_ticket_instead_of_opening_another(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    with town.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        kourei = session.scalars(select(Team).where(Team.slug == "kourei")).one()
        tickets.open_ticket(
            session,
            resident=resident,
            kind="consultation",
            team=kourei,
            now=MONDAY_MORNING,
            urgency="anytime",
            categories=["care"],
        )
    chat.say("言語")
    said = chat.say("ﾊﾊｶﾞ 倒れて動かない")
    assert "119番" in said.text and "#7119" in said.text
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert (ticket.urgency, ticket.team.slug) == ("emergency", "kourei")
        assert ticket.sla_due_at is not None
        assert (ticket.sla_due_at - ticket.updated_at).total_seconds() <= 3600
        system = [m.body for m in ticket.messages if m.author == "system"]
        assert system and "緊急" in system[0] and "動かない" not in system[0]
        assert _conversation(session).state == "choosing"


def test_the_team_group_hears_the_reference_but_not_the_words(town: Database) -> None:
    with town.transaction() as session:
        marugoto = session.scalars(select(Team).where(Team.slug == "marugoto")).one()
        marugoto.line_group_id = GROUP
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    chat.say("火事です！家が燃えている")
    chat.say("まだ燃えている")  # the same emergency again: the group is not told twice
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.to == GROUP)).all()
        assert len(rows) == 1
        alert = rows[0].messages[0]["text"]
        assert ticket.reference in alert and "火事・ガス" in alert
        assert "燃えている" not in alert


def test_outside_hours_the_resident_is_told_when_a_person_reads_it(town: Database) -> None:
    chat = Dialogue(town, clock_at(SATURDAY))
    chat.follow()
    said = chat.say("夫に殴られた")
    assert "110番" in said.text
    assert "担当者が読むのは11月30日（月）の8時30分から" in said.text


def test_english_speakers_get_the_numbers_in_english(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING), profile_language="en")
    chat.follow()
    said = chat.say("I want to die")
    assert "Inochi no Denwa (0570-783-556)" in said.text


def test_child_abuse_gets_189(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    said = chat.say("隣の子どもが毎日叩かれている")
    assert "189" in said.text and "110番" in said.text


def test_a_concern_says_nothing_but_leaves_a_note_for_staff(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    with town.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        marugoto = session.scalars(select(Team).where(Team.slug == "marugoto")).one()
        tickets.open_ticket(
            session, resident=resident, kind="staff", team=marugoto, now=MONDAY_MORNING
        )
    chat.say("言語")
    said = chat.say("死ぬほど疲れた")
    chat.say("死ぬほど疲れた")
    assert "いのちの電話" not in said.text
    with town.transaction() as session:
        (ticket,) = _tickets(session)
        assert ticket.urgency == "anytime"
        notes = [m.body for m in ticket.messages if m.author == "note"]
        assert len(notes) == 1 and "自殺をほのめかす言葉" in notes[0]
        assert "疲れた" not in notes[0]
        conversation = _conversation(session)
        assert conversation.data.get("safety_concerns") == ["suicide"]
        assert (conversation.flow, conversation.state) == ("language", "choosing")


def test_a_concern_without_a_ticket_marks_the_conversation(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    chat.say("言語")
    said = chat.say("焦げ臭い気がする")
    assert "119" not in said.text
    with town.transaction() as session:
        assert _tickets(session) == []
        assert _conversation(session).data["safety_concerns"] == ["fire"]


def test_figures_of_speech_change_nothing(town: Database) -> None:
    chat = Dialogue(town, clock_at(MONDAY_MORNING))
    chat.follow()
    chat.say("言語")
    said = chat.say("死ぬほど笑った")
    assert "いのちの電話" not in said.text
    with town.transaction() as session:
        assert _tickets(session) == []
        assert "safety_concerns" not in _conversation(session).data


def test_without_teams_the_numbers_still_go_out(db: Database) -> None:
    chat = Dialogue(db, clock_at(MONDAY_MORNING))
    chat.follow()
    said = chat.say("しにたい")
    assert "0570-783-556" in said.text
    with db.transaction() as session:
        assert _tickets(session) == []
