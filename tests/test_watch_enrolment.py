"""見守り from the menu, in-process: enrolling, the enrolled resident's options, odd input."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest
from sqlalchemy import select
from watch_town import Town, buttons, texts

from bot.clock import Clock
from locales import TOWN_TZ, town_date
from storage.db import Database
from storage.models import Consent, WatchEnrolment, WatchInvitation
from storage.watch import enrolments, schedules

INTRO_BUTTONS = ["同意して申し込む", "いまはやめておく", "家族のコードがある", "メニュー"]
FREQUENCY_BUTTONS = ["毎日", "2日に1回", "週2回", "週1回"]


@pytest.fixture
def town(db: Database, clock: Clock) -> Town:
    return Town(db, clock)


def enrolment(db: Database) -> WatchEnrolment | None:
    with db.transaction() as session:
        return session.scalars(select(WatchEnrolment)).one_or_none()


def sign_up(town: Town, *taps: str) -> list[dict]:
    town.resident.say("見守り")
    got: list[dict] = []
    for label in ("同意して申し込む", *taps):
        got = town.resident.tap(label)
    return got


def test_with_the_accounts_line_id_family_get_a_link_that_types_the_code_for_them(
    db: Database, clock: Clock
) -> None:
    town = Town(db, clock, basic_id="@madoguchi")
    sign_up(town, "毎日", "朝 8:00", "標準（おすすめ）")
    got = town.resident.tap("はい、始める")
    with db.transaction() as session:
        code = session.scalars(select(WatchInvitation)).one().code
    share = got[-1]["quickReply"]["items"][0]["action"]["uri"]
    assert len(share) <= 1000  # LINE's limit for a URI action
    forwarded = unquote(share.removeprefix("https://line.me/R/share?text="))
    assert "このリンクを開いて" in forwarded
    link = re.search(r"https://line\.me/R/oaMessage/%40madoguchi/\?(\S+)", forwarded)
    assert link is not None
    typed = unquote(link.group(1))
    assert typed == f"見守りコード {code}"
    # What the link types in, sent by a family member, starts the link to the resident.
    got = town.family_a.say(typed)
    assert "山田花子さんの見守りに、ご家族として登録しますか" in texts(got)


def test_the_menu_item_explains_watch_over_and_who_is_told(town: Town) -> None:
    got = town.resident.say("見守り")
    assert "お元気ですか" in texts(got)
    assert "ご家族と社協の見守り担当者" in texts(got)
    assert "お返事の有無と時刻だけ" in texts(got)
    assert buttons(got) == INTRO_BUTTONS


def test_signing_up_daily_in_the_morning_stores_consent_and_hands_out_a_code(
    town: Town, db: Database
) -> None:
    got = sign_up(town, "毎日", "朝 8:00", "標準（おすすめ）")
    assert "毎日 8:00" in texts(got)
    assert buttons(got) == ["はい、始める", "選びなおす"]
    got = town.resident.tap("はい、始める")
    assert "申し込みが完了しました" in texts(got)
    with db.transaction() as session:
        consent = session.scalars(select(Consent).where(Consent.purpose == "watch")).one()
        assert (consent.given, consent.version) == (True, enrolments.CONSENT_VERSION)
        code = session.scalars(select(WatchInvitation)).one().code
    assert re.fullmatch(r"\d{6}", code)
    assert f"{code[:3]} {code[3:]}" in texts(got)
    share = got[-1]["quickReply"]["items"][0]["action"]
    assert share["type"] == "uri" and share["uri"].startswith("https://line.me/R/share?text=")
    assert code in unquote(share["uri"])
    found = enrolment(db)
    assert found is not None
    assert (found.status, found.frequency, found.time_of_day, found.remind_after_s) == (
        "active",
        "daily",
        "08:00",
        None,
    )


def test_saying_not_now_records_the_no_and_enrols_nobody(town: Town, db: Database) -> None:
    town.resident.say("見守り")
    assert "気が変わったら" in texts(town.resident.tap("いまはやめておく"))
    with db.transaction() as session:
        assert session.scalars(select(Consent)).one().given is False
    assert enrolment(db) is None


def test_twice_a_week_asks_for_two_weekdays_and_takes_a_typed_time(
    town: Town, db: Database
) -> None:
    got = sign_up(town, "週2回")
    assert "まず1つ" in texts(got) and buttons(got)[0] == "月曜日"
    got = town.resident.tap("月曜日")
    assert "月曜日を選びました" in texts(got) and "月曜日" not in buttons(got)
    town.resident.tap("木曜日")
    got = town.resident.say("９時半")
    assert "標準はそれぞれ3時間" in texts(got)
    got = town.resident.tap("短め（1時間＋1時間）")
    assert "毎週 月・木 9:30" in texts(got)
    town.resident.tap("はい、始める")
    found = enrolment(db)
    assert found is not None
    assert (found.frequency, found.weekdays, found.time_of_day) == ("twice_weekly", [0, 3], "09:30")
    assert (found.remind_after_s, found.escalate_after_s) == (3600, 3600)


def test_once_a_week_takes_a_typed_weekday(town: Town, db: Database) -> None:
    sign_up(town, "週1回")
    assert "何時ごろ" in texts(town.resident.say("水曜日"))
    town.resident.say("午後5時")
    town.resident.tap("長め（6時間＋6時間）")
    town.resident.say("はい")
    found = enrolment(db)
    assert found is not None and (found.weekdays, found.time_of_day) == ([2], "17:00")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("9:30", "09:30"),
        ("９：３０", "09:30"),
        ("９時半", "09:30"),
        ("8時", "08:00"),
        ("8時15分", "08:15"),
        ("午後5時", "17:00"),
        ("17:00", "17:00"),
        ("3:00", None),
        ("23時", None),
        ("25:00", None),
        ("あした", None),
        ("", None),
    ],
)
def test_typed_times(typed: str, expected: str | None) -> None:
    assert schedules.parse_time(typed) == expected


def test_the_enrolled_resident_sees_their_status_and_options(town: Town) -> None:
    town.enrol()
    got = town.resident.say("見守り")
    body = texts(got)
    assert "見守り：毎日 8:00" in body
    assert "次回：" in body and "最終確認：" in body
    assert "登録しているご家族：2人" in body
    assert buttons(got) == [
        "お休みする",
        "日時を変える",
        "家族の登録",
        "家族用のコード",
        "見守りをやめる",
        "メニュー",
    ]


def test_changing_the_schedule_moves_the_next_check_in(town: Town, db: Database) -> None:
    town.enrol()
    town.resident.say("見守り")
    town.resident.tap("日時を変える")
    town.resident.tap("週1回")
    town.resident.tap("金曜日")
    town.resident.tap("夕方 17:00")
    town.resident.tap("標準（おすすめ）")
    assert "変更しました" in texts(town.resident.tap("はい、始める"))
    with db.transaction() as session:
        found = session.scalars(select(WatchEnrolment)).one()
        due = enrolments.next_checkin(session, found, town.clock.now())
    assert due is not None
    local = due.astimezone(TOWN_TZ)
    assert (local.weekday(), local.hour, local.minute) == (4, 17, 0)


def test_a_pause_until_a_typed_date_and_resuming_early(town: Town, db: Database) -> None:
    town.enrol()
    town.resident.say("見守り")
    town.resident.tap("お休みする")
    day = town_date(town.clock.now()) + timedelta(days=5)
    assert "お休みにしました" in texts(town.resident.say(f"{day.month}/{day.day}"))
    found = enrolment(db)
    assert found is not None and found.status == "paused"
    assert found.paused_until is not None and town_date(found.paused_until) == day
    got = town.resident.say("見守り")
    assert "までお休み中です" in texts(got) and buttons(got)[0] == "いますぐ再開する"
    assert "再開しました" in texts(town.resident.tap("いますぐ再開する"))
    assert "再開しました" in texts(town.family_a.inbox())
    assert enrolment(db).status == "active"  # type: ignore[union-attr]


def test_removing_a_family_member_tells_them(town: Town) -> None:
    town.enrol()
    town.family_a.inbox()
    town.resident.say("見守り")
    got = town.resident.tap("家族の登録")
    assert "山田太郎さん" in texts(got) and "佐藤幸子さん" in texts(got)
    assert "見守りのお知らせが届かなくなります" in texts(town.resident.tap("山田太郎さんを外す"))
    assert "登録を外しました" in texts(town.family_a.inbox())
    got = town.resident.say("見守り")
    assert "登録しているご家族：1人" in texts(got)


def test_the_code_for_family_stays_the_same_while_it_is_valid(town: Town) -> None:
    town.enrol()
    town.resident.say("見守り")
    first = texts(town.resident.tap("家族用のコード"))
    town.resident.say("見守り")
    assert texts(town.resident.tap("家族用のコード")) == first
    town.clock.advance(timedelta(days=4))
    town.resident.say("見守り")
    assert texts(town.resident.tap("家族用のコード")) != first


def test_stopping_asks_first_and_then_the_menu_offers_to_sign_up_again(
    town: Town, db: Database
) -> None:
    town.enrol()
    town.resident.say("見守り")
    town.resident.tap("見守りをやめる")
    assert "続けます" in texts(town.resident.tap("いいえ、続ける"))
    assert enrolment(db).status == "active"  # type: ignore[union-attr]
    town.resident.say("見守り")
    town.resident.tap("見守りをやめる")
    town.resident.tap("はい、やめる")
    assert enrolment(db).status == "ended"  # type: ignore[union-attr]
    assert buttons(town.resident.say("見守り"))[0] == "同意して申し込む"
    sign_up(town, "毎日", "昼 12:00", "標準（おすすめ）")
    town.resident.tap("はい、始める")
    assert enrolment(db).status == "active"  # type: ignore[union-attr]


def odd(town: Town, kind: str) -> list[dict]:
    town.resident.chat.odd(kind, stale_postback="flow=watch&ev=gone&v=x")
    return town.resident.inbox()


STEPS = {
    "menu": (),
    "frequency": ("同意して申し込む",),
    "weekdays": ("同意して申し込む", "週2回"),
    "time": ("同意して申し込む", "毎日"),
    "waits": ("同意して申し込む", "毎日", "朝 8:00"),
    "confirm": ("同意して申し込む", "毎日", "朝 8:00", "標準（おすすめ）"),
}


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize(
    "kind", ["sticker", "image", "long", "emoji", "empty", "unknown-type", "stale-button"]
)
def test_odd_input_at_every_step_re_asks_and_stays(
    sqlite_db: Database, clock: Clock, step: str, kind: str
) -> None:
    town = Town(sqlite_db, clock)
    asked = town.resident.say("見守り")
    for label in STEPS[step]:
        asked = town.resident.tap(label)
    got = odd(town, kind)
    assert buttons(got) == buttons(asked)
    assert all(len(message.get("text", "")) <= 5000 for message in got)
    with sqlite_db.transaction() as session:
        assert session.scalars(select(WatchEnrolment)).one_or_none() is None
    # The step is where it was: its first button still works.
    assert town.resident.tap(buttons(asked)[0])


@pytest.mark.parametrize("typed", ["2020-01-01", "13/45", "きのう", "🙂"])
def test_a_pause_date_that_is_past_or_unreadable_is_asked_again(
    sqlite_db: Database, clock: Clock, typed: str
) -> None:
    town = Town(sqlite_db, clock)
    town.enrol()
    town.resident.say("見守り")
    asked = town.resident.tap("お休みする")
    got = town.resident.say(typed)
    assert buttons(got) == buttons(asked)
    assert enrolment(sqlite_db).status == "active"  # type: ignore[union-attr]
