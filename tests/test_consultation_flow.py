"""The consultation as a resident has it: every step, back, correct, cancel, resume, odd input."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import postback_event
from dialogue import Dialogue, Said
from sqlalchemy import func, select

from bot.clock import Clock
from bot.scheduler import Scheduler
from flows import consultation
from flows.districts import OUTSIDE_CITY_KM, distance_km
from flows.messages import MAX_LABEL, MAX_QUICK_REPLIES
from flows.postback import MAX_LENGTH
from storage.db import Database
from storage.models import Consent, Conversation, District, Resident, Ticket
from storage.sample_town import load_town

# 9:59 in Tokyo on a working Monday: today's answers are due by 14:00 (rounded to the quarter).
MONDAY_10 = datetime(2026, 12, 7, 0, 59, tzinfo=UTC)

# A phrase of each step's question, as the resident reads it.
QUESTIONS = {
    "consent": "はじめにお知らせです",
    "about": "どなたについてのご相談ですか",
    "categories": "どんなことのご相談ですか",
    "area": "どちらの地区のことですか",
    "district": "の、どの地区ですか",
    "urgency": "どのくらい急ぎますか",
    "worry": "ご自分の言葉で書いてください",
    "contact": "どの方法がよいですか",
    "phone": "お電話番号を入力してください",
    "when": "連絡がつきやすいのは",
    "summary": "ご相談の内容を確かめてください",
    "correcting": "どこを直しますか",
}
STEPS = list(QUESTIONS)[:-2]  # the steps before the summary
MIDORI = (35.2600, 139.1560)  # the centre of 緑
AT_SEA = (35.1500, 139.3000)  # Sagami Bay, far from every district


def clock_at(moment: datetime) -> Clock:
    return Clock(offset=moment - datetime.now(UTC))


@pytest.fixture
def chat(db: Database) -> Dialogue:
    with db.transaction() as session:
        load_town(session)
    return Dialogue(db, clock_at(MONDAY_10))


def asks(said: Said, step: str) -> bool:
    return QUESTIONS[step] in said.text


# How a resident answers each step on the usual path (子育て, 緑, today, by phone, mornings).
ANSWERS: dict[str, Callable[[Dialogue, Said], Said]] = {
    "consent": lambda chat, said: chat.tap(said, "同意する"),
    "about": lambda chat, said: chat.tap(said, "自分"),
    "categories": lambda chat, said: chat.tap(chat.tap(said, "子育て"), "次へ"),
    "area": lambda chat, said: chat.tap(said, "中部"),
    "district": lambda chat, said: chat.tap(said, "緑"),
    "urgency": lambda chat, said: chat.tap(said, "今日中に"),
    "worry": lambda chat, said: chat.tap(chat.say("子どもの夜泣きで眠れません。"), "書き終えた"),
    "contact": lambda chat, said: chat.tap(said, "電話で"),
    "phone": lambda chat, said: chat.say("090-1234-5678"),
    "when": lambda chat, said: chat.tap(said, "午前"),
}


def start(chat: Dialogue) -> Said:
    said = chat.tap(chat.follow(), "相談する")
    assert asks(said, "consent")
    return said


def walk_to(chat: Dialogue, step: str) -> Said:
    """Answer every step before `step` the usual way; returns `step`'s question."""
    said = start(chat)
    for current in STEPS:
        if current == step:
            return said
        said = ANSWERS[current](chat, said)
    assert asks(said, "summary") and step == "summary", said.text
    return said


def tickets(db: Database) -> list[Ticket]:
    with db.transaction() as session:
        found = list(session.scalars(select(Ticket).order_by(Ticket.id)))
        for ticket in found:
            _ = ticket.team.slug, [m.body for m in ticket.messages]
        session.expunge_all()
        return found


def test_the_menu_button_opens_the_consent_notice(chat: Dialogue) -> None:
    said = start(chat)
    assert "ご相談にお応えするためだけに使います" in said.text
    assert said.buttons == ["同意する", "同意しない", "もどる"]


def test_the_rich_menu_area_starts_it_too(chat: Dialogue) -> None:
    chat.follow()
    said = chat.send(postback_event("cmd=start&flow=consultation", chat.user))
    assert asks(said, "consent")


@pytest.mark.parametrize(
    "words",
    # (助けてほしい may be an emergency: the safety check asks first, tests/test_safety.py.)
    ["相談したい", "困っています。", "誰に相談したらいいかわからなくて", "手伝ってほしいです"],
)
def test_a_plain_request_for_help_starts_it(chat: Dialogue, words: str) -> None:
    chat.follow()
    said = chat.say(words)
    if words != "相談したい":  # the menu item's own word opens it at once
        # Anything else typed is offered first, its words kept (tests/test_typed_wishes.py).
        assert "担当者におつなぎしましょうか" in said.text
        said = chat.tap(said, "はい、おねがいします")
    assert asks(said, "consent")


@pytest.mark.parametrize(
    "words", ["こんにちは", "ありがとう", "困ったなあ、雨だ", "今日はいい天気"]
)
def test_ordinary_chatter_does_not_start_it(chat: Dialogue, words: str) -> None:
    chat.follow()
    said = chat.say(words)
    assert not asks(said, "consent")
    assert "相談する" in said.buttons


def test_declining_consent_offers_the_phone_and_is_recorded(chat: Dialogue, db: Database) -> None:
    said = chat.tap(start(chat), "同意しない")
    assert "LINEでのご相談は進めません" in said.text
    assert "0465-00-0001" in said.text and "8:30～17:15" in said.text
    assert "相談する" in said.buttons
    with db.transaction() as session:
        consent = session.scalars(select(Consent)).one()
        assert (consent.purpose, consent.version, consent.given) == (
            "consultation",
            consultation.CONSENT_VERSION,
            False,
        )
        assert consent.at is not None
    assert tickets(db) == []


def test_a_whole_consultation_files_a_ticket_for_the_right_team(
    chat: Dialogue, db: Database
) -> None:
    summary = walk_to(chat, "summary")
    for shown in ["自分", "子育て", "緑", "今日中に", "子どもの夜泣きで眠れません。"]:
        assert shown in summary.text
    assert "電話で（090-1234-5678）" in summary.text and "午前" in summary.text
    assert summary.buttons == ["送信する", "直す", "やめる", "もどる"]
    done = chat.tap(summary, "送信する")
    assert "受付番号：C-2026-000001" in done.text
    assert "担当：子育て支援" in done.text
    assert "今日の14時までに、担当者からご連絡します" in done.text
    assert "090-1234-5678にお電話します" in done.text
    assert "お休み" not in done.text  # open on a Monday morning: no outside-hours note
    [ticket] = tickets(db)
    assert ticket.kind == "consultation" and ticket.team.slug == "kosodate"
    assert (ticket.about, ticket.categories, ticket.urgency) == ("self", ["childcare"], "today")
    given = ticket.contact.pop("phone_given")  # kept so that unsending the number takes it back
    assert given["text"] == "090-1234-5678" and given["id"]
    assert ticket.contact == {"method": "phone", "phone": "090-1234-5678", "when": "morning"}
    assert ticket.intake["consent_version"] == consultation.CONSENT_VERSION
    assert [m.author for m in ticket.messages] == ["resident", "bot"]
    assert ticket.messages[0].body == "子どもの夜泣きで眠れません。"
    assert "受付番号：C-2026-000001" in ticket.messages[1].body
    assert ticket.sla_due_at is not None
    with db.transaction() as session:
        resident = session.scalars(select(Resident)).one()
        assert resident.district_id == ticket.district_id is not None
        assert session.scalars(select(Consent)).one().given is True
    # The flow is over: the next words go to the ticket's thread, not to a question.
    assert "受け取りました" in chat.say("よろしくお願いします").text


def test_filed_on_a_saturday_it_says_when_a_person_will_read_it(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
    chat = Dialogue(db, clock_at(datetime(2026, 12, 5, 1, 0, tzinfo=UTC)))
    done = chat.tap(walk_to(chat, "summary"), "送信する")
    # "Today" on a Saturday: four business hours from Monday's opening at 8:30.
    assert "12月7日（月）の午後に、担当者からご連絡します" in done.text
    assert "ただいま受付時間外です" in done.text and "8時30分から" in done.text
    assert "119番" in done.text


def test_several_categories_go_to_the_marugoto_team(chat: Dialogue, db: Database) -> None:
    said = walk_to(chat, "categories")
    said = chat.tap(said, "介護・高齢")
    assert "✓介護・高齢" in said.buttons and "選んだもの：介護・高齢" in said.text
    said = chat.tap(said, "生活・お金")
    assert "選んだもの：介護・高齢、生活・お金" in said.text
    said = chat.tap(said, "✓介護・高齢")  # a second tap takes it off again
    assert "介護・高齢" in said.buttons and "選んだもの：生活・お金" in said.text
    said = chat.tap(chat.tap(said, "こころ・ひきこもり"), "次へ")
    assert asks(said, "area")
    for step in STEPS[STEPS.index("area") :]:
        said = ANSWERS[step](chat, said)
    chat.tap(said, "送信する")
    [ticket] = tickets(db)
    assert ticket.categories == ["money", "mind"]
    assert ticket.team.slug == "marugoto"


def test_next_with_nothing_chosen_asks_for_one(chat: Dialogue) -> None:
    said = chat.tap(walk_to(chat, "categories"), "次へ")
    assert "一つ以上選んでください" in said.text and asks(said, "categories")


def test_typing_a_label_works_as_tapping_it(chat: Dialogue) -> None:
    start(chat)
    assert asks(chat.say("同意する"), "about")
    assert asks(chat.say("家族"), "categories")


# Each step, and the question もどる leads back to.
BACKS = [
    ("about", "consent"),
    ("categories", "about"),
    ("area", "categories"),
    ("district", "area"),
    ("urgency", "area"),
    ("worry", "urgency"),
    ("contact", "worry"),
    ("phone", "contact"),
    ("when", "phone"),
    ("summary", "when"),
]


@pytest.mark.parametrize(("step", "previous"), BACKS)
def test_back_goes_one_step_back(chat: Dialogue, step: str, previous: str) -> None:
    said = walk_to(chat, step)
    assert "もどる" in said.buttons
    back = chat.tap(said, "もどる")
    if previous == "worry":
        assert "続きがあれば" in back.text  # what was written is kept
    else:
        assert asks(back, previous), back.text


def test_back_from_the_consent_leaves_with_the_menu(chat: Dialogue) -> None:
    said = chat.tap(start(chat), "もどる")
    assert "相談する" in said.buttons
    assert not asks(chat.say("同意する"), "about")


def test_back_from_when_goes_to_contact_when_not_by_phone(chat: Dialogue) -> None:
    said = chat.tap(walk_to(chat, "contact"), "LINEで")
    assert asks(said, "when")
    assert asks(chat.tap(said, "もどる"), "contact")


# Each item 直す offers, how to change it, and what the summary shows afterwards.
CORRECTIONS: list[tuple[str, Callable[[Dialogue, Said], Said], str]] = [
    ("どなたのこと", lambda chat, said: chat.tap(said, "家族"), "どなたのこと：家族"),
    (
        "ご相談の種類",
        lambda chat, said: chat.tap(chat.tap(said, "住まい"), "次へ"),
        "ご相談の種類：子育て、住まい",
    ),
    (
        "地区",
        lambda chat, said: chat.tap(chat.tap(said, "東部"), "国府津"),
        "地区：国府津",
    ),
    ("急ぎ具合", lambda chat, said: chat.tap(said, "いつでも"), "急ぎ具合：いつでも"),
    (
        "ご相談の内容",
        lambda chat, said: chat.tap(chat.say("やはり買い物が大変です。"), "書き終えた"),
        "ご相談の内容：やはり買い物が大変です。",
    ),
    ("連絡方法", lambda chat, said: chat.tap(said, "訪問してほしい"), "連絡方法：訪問してほしい"),
    ("連絡の時間帯", lambda chat, said: chat.tap(said, "午後"), "連絡の時間帯：午後"),
]


@pytest.mark.parametrize(("item", "change", "shown"), CORRECTIONS)
def test_correcting_an_item_returns_to_the_summary(
    chat: Dialogue, item: str, change: Callable[[Dialogue, Said], Said], shown: str
) -> None:
    items = chat.tap(walk_to(chat, "summary"), "直す")
    assert asks(items, "correcting")
    said = change(chat, chat.tap(items, item))
    assert asks(said, "summary"), said.text
    assert shown in said.text
    if item == "ご相談の内容":
        assert "夜泣き" not in said.text  # rewritten, not added to


def test_correcting_the_phone_number_goes_through_the_number(chat: Dialogue) -> None:
    said = chat.tap(chat.tap(walk_to(chat, "summary"), "直す"), "連絡方法")
    said = chat.tap(said, "電話で")
    assert asks(said, "phone")
    said = chat.say("0465-22-1234")
    assert asks(said, "summary") and "電話で（0465-22-1234）" in said.text


def test_back_while_correcting_returns_to_the_list_then_the_summary(chat: Dialogue) -> None:
    items = chat.tap(walk_to(chat, "summary"), "直す")
    said = chat.tap(chat.tap(items, "急ぎ具合"), "もどる")
    assert asks(said, "correcting")
    assert asks(chat.tap(said, "もどる"), "summary")


@pytest.mark.parametrize("step", [*STEPS, "summary", "correcting"])
def test_cancel_works_at_every_step(chat: Dialogue, db: Database, step: str) -> None:
    question = walk_to(chat, "summary" if step == "correcting" else step)
    if step == "correcting":
        chat.tap(question, "直す")
    said = chat.say("やめる")
    assert "やめておきますね" in said.text and "相談する" in said.buttons
    assert tickets(db) == []


def test_stop_on_the_summary_files_nothing(chat: Dialogue, db: Database) -> None:
    said = chat.tap(walk_to(chat, "summary"), "やめる")
    assert "やめておきますね" in said.text
    assert tickets(db) == []


@pytest.mark.parametrize("odd", ["sticker", "image", "long", "empty"])
@pytest.mark.parametrize("step", [s for s in STEPS if s != "worry"] + ["summary"])
def test_odd_input_at_a_step_gets_a_kind_answer_and_stays(
    chat: Dialogue, step: str, odd: str
) -> None:
    question = walk_to(chat, step)
    if odd == "sticker":
        said = chat.sticker()
    elif odd == "image":
        said = chat.image()
    elif odd == "long":
        said = chat.say("あ" * 3000)
    else:
        said = chat.say("")
    assert said.buttons == question.buttons
    assert QUESTIONS[step] in said.text
    if step == "phone" and odd == "long":
        assert "電話番号として読み取れませんでした" in said.text
    assert all(len(text) <= 5000 for text in said.texts)
    assert len(said.messages) <= 5
    # Still at the same step: its usual answer goes on.
    if step != "summary":
        ANSWERS[step](chat, said)


def test_the_worry_takes_several_messages_photos_and_stickers(chat: Dialogue, db: Database) -> None:
    said = walk_to(chat, "worry")
    assert said.buttons == ["書き終えた", "もどる"]
    assert "続きがあれば" in chat.say("母が一人暮らしで、").text
    said = chat.photo("photo-1")
    assert "担当者へお渡しします" in said.text and said.buttons == ["書き終えた", "もどる"]
    said = chat.sticker()
    assert "スタンプをありがとうございます" in said.text and said.buttons == [
        "書き終えた",
        "もどる",
    ]
    chat.say("最近ごはんを食べていないようです。")
    said = chat.tap(said, "書き終えた")
    assert asks(said, "contact")
    for step in ["contact", "phone", "when"]:
        said = ANSWERS[step](chat, said)
    assert "母が一人暮らしで、\n最近ごはんを食べていないようです。" in said.text
    assert "写真など：1" in said.text
    chat.tap(said, "送信する")
    [ticket] = tickets(db)
    assert [(m.body, m.attachments) for m in ticket.messages if m.author == "resident"] == [
        ("母が一人暮らしで、", []),
        ("", [{"type": "image", "message_id": "photo-1"}]),
        ("最近ごはんを食べていないようです。", []),
    ]
    assert all(m.line_message_id for m in ticket.messages if m.author == "resident")


def test_a_long_worry_is_taken_whole_and_capped_sensibly(chat: Dialogue, db: Database) -> None:
    walk_to(chat, "worry")
    assert "続きがあれば" in chat.say("あ" * 3000).text
    chat.say("い" * 2999)
    said = chat.say("う" * 3000)
    assert "ここで受け取れる長さはここまでです" in said.text
    said = chat.tap(said, "書き終えた")
    for step in ["contact", "phone", "when"]:
        said = ANSWERS[step](chat, said)
    assert "（全部で6000文字）" in said.text  # 3000 + 2999 + 1
    assert len(said.text) < 1000
    chat.tap(said, "送信する")
    [ticket] = tickets(db)
    written = [m.body for m in ticket.messages if m.author == "resident"]
    assert sum(map(len, written)) == consultation.MAX_WORRY_CHARS


def test_menu_words_typed_into_the_worry_are_kept_as_words(chat: Dialogue) -> None:
    walk_to(chat, "worry")
    said = chat.say("相談したい")
    assert "続きがあれば" in said.text


def test_an_empty_worry_can_still_be_sent(chat: Dialogue) -> None:
    said = chat.tap(walk_to(chat, "worry"), "書き終えた")
    assert asks(said, "contact")


def test_an_unsent_message_leaves_the_worry(chat: Dialogue) -> None:
    walk_to(chat, "worry")
    chat.say("まちがえて送りました")
    chat.unsend(chat.last_message_id)
    said = chat.say("本当の相談です")
    said = chat.tap(said, "書き終えた")
    for step in ["contact", "phone", "when"]:
        said = ANSWERS[step](chat, said)
    assert "本当の相談です" in said.text and "まちがえて" not in said.text


@pytest.mark.parametrize(
    "typed", ["090-1234-5678", "０９０－１２３４－５６７８", "090ー1234ー5678", "09012345678"]
)
def test_a_phone_number_is_accepted_however_it_is_typed(chat: Dialogue, typed: str) -> None:
    walk_to(chat, "phone")
    said = chat.say(typed)
    assert asks(said, "when")
    said = chat.tap(said, "午前")
    assert "電話で（090-1234-5678）" in said.text


@pytest.mark.parametrize("typed", ["1234", "090-1234-567", "でんわ", "+1 415 555 0100", "😀"])
def test_a_bad_phone_number_is_asked_again_kindly(chat: Dialogue, typed: str) -> None:
    walk_to(chat, "phone")
    said = chat.say(typed)
    assert "電話番号として読み取れませんでした" in said.text
    assert asks(said, "phone")
    assert asks(chat.say("0465-22-1234"), "when")


def test_a_location_in_town_picks_the_nearest_district(chat: Dialogue, db: Database) -> None:
    said = walk_to(chat, "area")
    assert "位置情報を送る" in said.location_buttons
    said = chat.location(MIDORI[0] + 0.001, MIDORI[1])
    assert "緑地区ですね" in said.text
    assert asks(said, "urgency")


def test_a_location_outside_the_city_is_asked_again(chat: Dialogue) -> None:
    assert min(distance_km(*AT_SEA, *MIDORI), 99) > OUTSIDE_CITY_KM
    said = chat.tap(walk_to(chat, "area"), "西部")
    said = chat.location(*AT_SEA)
    assert "市の外のようです" in said.text
    assert asks(said, "district")
    assert asks(chat.tap(said, "早川"), "urgency")


def test_not_sure_of_the_district_goes_on(chat: Dialogue) -> None:
    said = chat.tap(walk_to(chat, "area"), "わからない")
    assert asks(said, "urgency")


def test_the_district_from_last_time_is_offered_first(chat: Dialogue) -> None:
    chat.tap(walk_to(chat, "summary"), "送信する")
    said = chat.tap(chat.say("解決しました"), "相談する")
    said = chat.tap(chat.tap(said, "同意する"), "自分")
    said = chat.tap(chat.tap(said, "介護・高齢"), "次へ")
    assert said.buttons[0] == "緑（前回と同じ）"
    assert asks(chat.tap(said, "緑（前回と同じ）"), "urgency")


def test_a_half_finished_consultation_survives_an_idle_day(chat: Dialogue) -> None:
    walk_to(chat, "worry")
    chat.say("昨日の続きです。")
    chat.clock.advance(timedelta(days=1))
    said = chat.say("こんにちは")
    assert "前回のお話が途中になっています" in said.text
    assert said.buttons == ["続きから", "最初からやり直す", "やめる"]
    said = chat.tap(said, "続きから")
    assert "続きがあれば" in said.text  # back at the worry, what was written kept
    said = chat.tap(said, "書き終えた")
    for step in ["contact", "phone", "when"]:
        said = ANSWERS[step](chat, said)
    assert "昨日の続きです。" in said.text


def test_after_an_idle_day_it_can_start_again_or_stop(chat: Dialogue) -> None:
    walk_to(chat, "urgency")
    chat.clock.advance(timedelta(days=1))
    said = chat.tap(chat.say("はい"), "最初からやり直す")
    assert asks(said, "consent")
    walk_to(chat, "urgency")
    chat.clock.advance(timedelta(days=1))
    said = chat.tap(chat.sticker(), "やめる")
    assert "やめておきますね" in said.text


def test_after_an_idle_day_the_menu_button_offers_to_continue(chat: Dialogue) -> None:
    walk_to(chat, "urgency")
    chat.clock.advance(timedelta(days=1))
    said = chat.send(postback_event("cmd=start&flow=consultation", chat.user))
    assert said.buttons == ["続きから", "最初からやり直す", "やめる"]
    assert asks(chat.tap(said, "続きから"), "urgency")


def test_after_a_week_it_starts_over(chat: Dialogue) -> None:
    walk_to(chat, "urgency")
    chat.clock.advance(consultation.ConsultationFlow.resumable_for + timedelta(minutes=1))
    said = chat.say("今日中に")
    assert "はじめからにしますね" in said.text


def kept_answers(chat: Dialogue) -> dict[str, Any]:
    with chat.db.transaction() as session:
        resident = session.scalar(select(Resident).where(Resident.line_user_id == chat.user))
        assert resident is not None
        conversation = session.get(Conversation, resident.id)
        assert conversation is not None
        return conversation.data


def housekeeping(chat: Dialogue) -> None:
    Scheduler(chat.db, chat.clock, conversation_idle=chat.idle_after).housekeeping(chat.clock.now())


def test_a_consultation_left_past_its_week_is_forgotten(chat: Dialogue) -> None:
    walk_to(chat, "worry")
    chat.say("母の認知症のことで、お金の管理が心配です。")
    chat.clock.advance(consultation.ConsultationFlow.resumable_for - timedelta(hours=1))
    housekeeping(chat)
    assert "お金の管理" in str(kept_answers(chat))  # still theirs to go on with
    chat.clock.advance(timedelta(hours=2))
    housekeeping(chat)
    assert "お金の管理" not in str(kept_answers(chat))
    said = chat.say("こんにちは")
    assert "はじめからにしますね" in said.text
    assert asks(chat.tap(said, "相談する"), "consent")  # a fresh start, nothing carried over


def test_every_question_keeps_lines_limits(chat: Dialogue) -> None:
    said = start(chat)
    seen = [said]
    for step in STEPS:
        said = ANSWERS[step](chat, said)
        seen.append(said)
    seen.append(chat.tap(said, "直す"))
    for answer in seen:
        assert len(answer.messages) <= 5
        for message in answer.messages:
            items = (message.get("quickReply") or {}).get("items", [])
            assert len(items) <= MAX_QUICK_REPLIES
            for item in items:
                assert len(item["action"]["label"]) <= MAX_LABEL
                assert len(item["action"].get("data", "")) <= MAX_LENGTH


def test_english_speakers_get_every_step_in_english(db: Database) -> None:
    with db.transaction() as session:
        load_town(session)
    chat = Dialogue(db, clock_at(MONDAY_10), profile_language="en")
    said = chat.tap(chat.follow(), "Ask for help")
    assert "Do you agree?" in said.text
    said = chat.tap(chat.tap(said, "I agree"), "Neighbour or friend")
    said = chat.tap(chat.tap(said, "Care and old age"), "Next")
    assert "Send my location" in said.location_buttons
    said = chat.tap(chat.tap(said, "Not sure"), "Any time")
    said = chat.tap(chat.say("My neighbour has not been seen for days."), "Done writing")
    said = chat.tap(chat.tap(said, "By LINE"), "Afternoon")
    assert "Please check your consultation." in said.text
    done = chat.tap(said, "Send it")
    assert "Reference number: C-2026-000001" in done.text
    assert "Team: Elderly care" in done.text


def test_the_consent_count_grows_with_each_answer(chat: Dialogue, db: Database) -> None:
    chat.tap(start(chat), "同意しない")
    chat.tap(chat.tap(chat.say("メニュー"), "相談する"), "同意する")
    with db.transaction() as session:
        given = session.scalars(select(Consent.given).order_by(Consent.id)).all()
        assert given == [False, True]
        assert session.scalar(select(func.count()).select_from(Consent)) == 2


def test_a_category_tap_is_told_in_a_line_and_next_comes_first_once_chosen(
    chat: Dialogue,
) -> None:
    said = walk_to(chat, "categories")
    assert said.buttons[-2:] == ["次へ", "もどる"]  # nothing chosen yet: nothing to go on with
    said = chat.tap(said, "介護・高齢")
    assert said.text.startswith("「介護・高齢」を選びました。")
    assert not asks(said, "categories"), "the long question is not repeated after a tap"
    assert len(said.text) < 70
    # Three or four quick replies show on a phone: the way on is the first of them.
    assert said.buttons[0] == "次へ"
    said = chat.tap(said, "✓介護・高齢")
    assert said.text.startswith("「介護・高齢」を外しました。")
    assert said.buttons[-2:] == ["次へ", "もどる"]


@pytest.mark.parametrize(
    ("typed", "district"), [("早川", "早川"), ("はやかわです", "早川"), ("東富水です", "東富水")]
)
def test_a_district_typed_by_its_name_needs_no_area_first(
    chat: Dialogue, db: Database, typed: str, district: str
) -> None:
    walk_to(chat, "area")
    said = chat.say(typed)
    assert asks(said, "urgency"), said.text
    with db.transaction() as session:
        data = session.scalars(select(Conversation)).one().data
        named = session.scalars(select(District).where(District.name == district)).one()
        # 東富水 is not read as 富水, which its name contains.
        assert data["district"] == named.slug


def _filed(db: Database) -> tuple[Dialogue, Clock, str]:
    with db.transaction() as session:
        load_town(session)
    clock = clock_at(MONDAY_10)
    chat = Dialogue(db, clock)
    done = chat.tap(walk_to(chat, "summary"), "送信する")
    assert "受付番号" in done.text
    [ticket] = tickets(db)
    return chat, clock, ticket.reference


def test_days_later_a_new_word_asks_whether_it_is_the_same_matter(db: Database) -> None:
    chat, clock, reference = _filed(db)
    clock.advance(timedelta(days=4))
    asked = chat.say("母が最近、物忘れがひどくて心配です")
    assert f"前回のご相談（{reference}）の続きですか" in asked.text
    assert asked.buttons == ["前回の続き", "新しいご相談"]
    offered = chat.tap(asked, "新しいご相談")
    assert "介護・高齢についてのご相談ですね" in offered.text
    # The words left the old thread: they belong to the new matter.
    [ticket] = tickets(db)
    assert not any("物忘れ" in message.body for message in ticket.messages)


def test_the_same_matter_stays_in_its_thread_and_is_acknowledged(db: Database) -> None:
    chat, clock, reference = _filed(db)
    clock.advance(timedelta(days=4))
    said = chat.tap(chat.say("先日の件、まだ困っています"), "前回の続き")
    assert "受け取りました" in said.text and reference in said.text
    [ticket] = tickets(db)
    assert ticket.messages[-1].body == "先日の件、まだ困っています"


def test_within_days_a_word_goes_to_the_thread_without_a_question(db: Database) -> None:
    chat, clock, _ = _filed(db)
    clock.advance(timedelta(hours=5))
    said = chat.say("追加で書きます")
    assert "続きですか" not in said.text and "受け取りました" in said.text
