"""A family member links to a resident with the code, in-process: both sides, odd input, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from watch_town import Town, buttons, texts

from bot.clock import Clock
from flows.watch import family_link
from storage.db import Database
from storage.models import Resident, WatchFamilyLink, WatchInvitation
from storage.watch import enrolments, linking
from storage.watch.schedules import Schedule


@pytest.fixture
def town(db: Database, clock: Clock) -> Town:
    town = Town(db, clock)
    with db.transaction() as session:
        resident = session.scalars(
            select(Resident).where(Resident.line_user_id == town.resident.user)
        ).one()
        enrolments.enrol(session, resident, Schedule(), clock.now())
    return town


def code(town: Town) -> str:
    with town.db.transaction() as session:
        enrolment = enrolments.running_enrolment(
            session,
            session.scalars(
                select(Resident).where(Resident.line_user_id == town.resident.user)
            ).one(),
        )
        assert enrolment is not None
        invitation = linking.live_invitation(session, enrolment, town.clock.now())
        return (invitation or linking.new_invitation(session, enrolment, town.clock.now())).code


def links(db: Database) -> dict[str, str]:
    with db.transaction() as session:
        return {
            link.family.display_name or "": link.status
            for link in session.scalars(select(WatchFamilyLink))
        }


def test_a_family_member_links_with_the_code_and_the_residents_yes(
    town: Town, db: Database
) -> None:
    got = town.family_a.say(code(town))
    assert "山田花子さんの見守りに、ご家族として登録しますか" in texts(got)
    assert buttons(got) == ["はい、登録する", "いいえ"]
    assert "確認をお願いしました" in texts(town.family_a.tap("はい、登録する"))
    asked = town.resident.inbox()
    assert "山田太郎さんから、見守りのご家族として登録したい" in texts(asked)
    assert links(db) == {"山田太郎": "pending"}
    assert "山田太郎さんを登録しました" in texts(town.resident.tap("はい、登録する"))
    told = town.family_a.inbox()
    assert "登録されました" in texts(told)
    assert buttons(told) == ["毎回", "週1回まとめて", "心配なときだけ"]
    assert "短いお知らせ" in texts(town.family_a.tap("毎回"))
    with db.transaction() as session:
        link = session.scalars(select(WatchFamilyLink)).one()
        assert (link.status, link.summary) == ("linked", "daily")
        assert session.scalars(select(WatchInvitation)).one().used_at is not None


def test_the_resident_saying_no_links_nobody_and_tells_the_family_kindly(
    town: Town, db: Database
) -> None:
    town.family_a.say(code(town))
    town.family_a.tap("はい、登録する")
    town.resident.inbox()
    assert "登録しませんでした" in texts(town.resident.tap("いいえ"))
    assert "直接お話ししてみてください" in texts(town.family_a.inbox())
    assert links(db) == {"山田太郎": "declined"}
    assert "もう使えません" in texts(town.resident.tap("はい、登録する"))
    assert links(db) == {"山田太郎": "declined"}


def test_two_family_members_can_link_and_each_needs_a_new_code(town: Town, db: Database) -> None:
    for family in (town.family_a, town.family_b):
        family.say(code(town))
        family.tap("はい、登録する")
        town.resident.tap("はい、登録する")
    assert links(db) == {"山田太郎": "linked", "佐藤幸子": "linked"}


@pytest.mark.parametrize(
    "typed",
    [
        "{code}",
        "{spaced}",
        "{wide}",
        "見守りコード {code}（12月3日まで）。社会福祉協議会のLINEを友だち追加",
    ],
)
def test_the_code_is_found_however_it_is_typed_or_pasted(town: Town, typed: str) -> None:
    the_code = code(town)
    wide = the_code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    text = typed.format(code=the_code, spaced=f"{the_code[:3]} {the_code[3:]}", wide=wide)
    assert "登録しますか" in texts(town.family_a.say(text))


def test_the_menu_button_for_family_asks_for_the_code(town: Town) -> None:
    town.family_a.say("見守り")
    assert "6けたの見守りコード" in texts(town.family_a.tap("家族のコードがある"))
    assert "登録しますか" in texts(town.family_a.say(code(town)))


def test_a_wrong_code_says_so_and_five_wrong_codes_stop_for_the_day(
    town: Town, db: Database
) -> None:
    the_code = code(town)
    wrong = f"{(int(the_code) + 1) % 1_000_000:06d}"
    got = town.family_a.say(wrong)
    assert "見つからないか" in texts(got) and "あと4回" in texts(got)
    for _ in range(4):
        got = town.family_a.say(wrong)
    assert "あと0回" in texts(got)
    assert "今日は、これ以上" in texts(town.family_a.say(the_code))
    assert links(db) == {}
    town.clock.advance(timedelta(days=1, minutes=1))
    assert "登録しますか" in texts(town.family_a.say(code(town)))


def test_an_expired_code_is_not_found(town: Town) -> None:
    the_code = code(town)
    town.clock.advance(linking.INVITATION_LIFETIME + timedelta(minutes=1))
    assert "見つからないか" in texts(town.family_a.say(the_code))


def test_the_residents_own_code_is_not_a_link(town: Town, db: Database) -> None:
    assert "ご自身の見守りコード" in texts(town.resident.say(code(town)))
    assert links(db) == {}


def test_a_linked_family_member_sees_a_short_status_and_can_pause(town: Town, db: Database) -> None:
    town.family_a.say(code(town))
    town.family_a.tap("はい、登録する")
    town.resident.tap("はい、登録する")
    town.resident.say("こんにちは")
    town.family_a.inbox()
    got = town.family_a.say("見守り")
    assert "山田花子さん: 最終確認：今" in texts(got)
    assert "山田花子さんをお休みに" in buttons(got)
    town.family_a.tap("山田花子さんをお休みに")
    assert "お休みです" in texts(town.family_a.tap("1週間"))
    assert "お休みにしました" in texts(town.resident.inbox())
    with db.transaction() as session:
        enrolment = session.scalars(select(WatchFamilyLink)).one().enrolment
        assert (enrolment.status, enrolment.paused_by) == ("paused", "family")


def test_a_family_member_can_leave_and_the_resident_is_told(town: Town, db: Database) -> None:
    town.family_a.say(code(town))
    town.family_a.tap("はい、登録する")
    town.resident.tap("はい、登録する")
    town.resident.inbox()
    town.family_a.say("見守り")
    assert "届かなくなります" in texts(town.family_a.tap("山田花子さんの登録をやめる"))
    assert "登録をやめました" in texts(town.resident.inbox())
    assert links(db) == {"山田太郎": "unlinked"}


def test_someone_elses_confirmation_button_does_nothing(town: Town, db: Database) -> None:
    town.family_a.say(code(town))
    town.family_a.tap("はい、登録する")
    with db.transaction() as session:
        link_id = session.scalars(select(WatchFamilyLink)).one().id
    assert "もう使えません" in texts(town.family_b.postback(f"w=lk&a=yes&l={link_id}"))
    assert "もう使えません" in texts(town.family_b.postback("w=lk&a=yes&l=abc"))
    assert links(db) == {"山田太郎": "pending"}


def odd(chat_user: Town, kind: str) -> None:
    chat_user.family_a.chat.odd(kind, stale_postback="flow=family_link&ev=gone")


@pytest.mark.parametrize("step", ["code", "check"])
@pytest.mark.parametrize(
    "kind", ["sticker", "image", "long", "emoji", "empty", "unknown-type", "stale-button"]
)
def test_odd_input_at_every_step_re_asks_and_stays(
    sqlite_db: Database, clock: Clock, step: str, kind: str
) -> None:
    town = Town(sqlite_db, clock)
    with sqlite_db.transaction() as session:
        resident = session.scalars(
            select(Resident).where(Resident.line_user_id == town.resident.user)
        ).one()
        enrolments.enrol(session, resident, Schedule(), clock.now())
    town.family_a.say("見守り")
    asked = town.family_a.tap("家族のコードがある")
    if step == "check":
        asked = town.family_a.say(code(town))
    odd(town, kind)
    got = town.family_a.inbox()
    assert buttons(got) == buttons(asked)
    if step == "check":
        assert "確認をお願いしました" in texts(town.family_a.tap("はい、登録する"))
    else:
        assert "登録しますか" in texts(town.family_a.say(code(town)))


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("123456", "123456"),
        ("123 456", "123456"),
        ("123-456", "123456"),
        ("見守りコード 123456（5月3日まで）", "123456"),
        ("0465-00-1234", None),
        ("12345", None),
        ("1234567", None),
        ("今日は5月3日", None),
    ],
)
def test_what_counts_as_a_code(typed: str, found: str | None) -> None:
    assert family_link.code_in(typed) == found
