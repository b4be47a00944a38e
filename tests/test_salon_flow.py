"""Finding a salon in LINE, in-process: every path a resident takes, and odd input at each step."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from builders import make_event, postback_event
from dialogue import Dialogue, Said
from sqlalchemy import func, select

from bot.clock import Clock
from bot.render import size_of
from storage.db import Database
from storage.models import Conversation, Salon, Ticket
from storage.sample_town import load_salons, load_town

ODAWARA_STATION = (35.2564, 139.1553)
NEXT_DATE = re.compile(
    r"次回: \d{1,2}月\d{1,2}日\(.\) \d{1,2}:\d\d〜|次回: 日程はお問い合わせください"
)


@pytest.fixture
def chat(db: Database, clock: Clock) -> Dialogue:
    with db.transaction() as session:
        load_town(session)
        load_salons(session, clock.now())
    return Dialogue(db, clock)


def start(chat: Dialogue) -> Said:
    chat.follow()
    return chat.say("サロンを探す")


def carousel(said: Said) -> dict[str, Any]:
    flexes = [message for message in said.messages if message["type"] == "flex"]
    assert len(flexes) == 1, said.texts
    assert_within_lines_limits(flexes[0])
    return flexes[0]


def assert_within_lines_limits(message: dict[str, Any]) -> None:
    contents = message["contents"]
    assert 1 <= len(message["altText"]) <= 400
    assert contents["type"] == "carousel" and 1 <= len(contents["contents"]) <= 12
    assert size_of(contents) <= 50 * 1024
    assert all(size_of(bubble) <= 30 * 1024 for bubble in contents["contents"])


def texts_of(bubble: dict[str, Any]) -> list[str]:
    """Every text in a bubble, depth first."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "text":
                found.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(bubble)
    return found


def actions_of(bubble: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["action"]["label"]: b["action"] for b in bubble["footer"]["contents"]}


def salons_shown(db: Database, said: Said) -> list[Salon]:
    ids = [
        int(re.search(r"v=(\d+)", actions_of(b)["行ってみたい"]["data"]).group(1))  # type: ignore[union-attr]
        for b in carousel(said)["contents"]["contents"]
    ]
    with db.transaction() as session:
        found = {s.id: s for s in session.scalars(select(Salon).where(Salon.id.in_(ids)))}
        for salon in found.values():
            _ = salon.district.name
        return [found[i] for i in ids]


def tap_bubble(chat: Dialogue, bubble: dict[str, Any], label: str) -> Said:
    return chat.send(postback_event(actions_of(bubble)[label]["data"], chat.user))


def share_location(chat: Dialogue, latitude: float, longitude: float) -> Said:
    message = {"type": "location", "id": "77", "title": "自宅", "address": "小田原市",
               "latitude": latitude, "longitude": longitude}  # fmt: skip
    return chat.send(make_event("message", chat.user, message=message))


def test_the_menu_item_opens_the_search(chat: Dialogue) -> None:
    said = start(chat)
    assert "サロンをお探しします" in said.text
    assert said.buttons == ["近くで", "地区で", "曜日で", "種類で"]


def test_near_me_for_parents_lists_salons_by_walking_distance(chat: Dialogue, db: Database) -> None:
    asking = chat.tap(start(chat), "近くで")
    assert "位置情報を送る" in asking.text
    quick = asking.messages[-1]["quickReply"]["items"]
    assert quick[0]["action"] == {"type": "location", "label": "位置情報を送る"}
    refine = share_location(chat, *ODAWARA_STATION)
    assert "条件：近く" in refine.text
    assert "子育て向け" in refine.buttons and "地区で" not in refine.buttons
    said = chat.tap(refine, "子育て向け")
    shown = salons_shown(db, said)
    assert shown and all("parents" in salon.audiences for salon in shown)
    bubbles = carousel(said)["contents"]["contents"]
    distances = []
    for bubble in bubbles:
        words = texts_of(bubble)
        assert any(NEXT_DATE.fullmatch(word) for word in words), words
        walk = next(w for w in words if w.startswith("約"))
        assert re.fullmatch(r"約[\d.]+k?m・徒歩\d+分", walk)
        distances.append(
            float(re.search(r"約([\d.]+)", walk).group(1)) * (1000 if "km" in walk else 1)
        )  # type: ignore[union-attr]
    assert distances == sorted(distances)
    assert "近い順" in said.text


def test_a_salon_card_has_what_a_resident_needs(chat: Dialogue, db: Database) -> None:
    chat.tap(start(chat), "近くで")
    said = chat.tap(share_location(chat, *ODAWARA_STATION), "この条件で探す")
    bubble = carousel(said)["contents"]["contents"][0]
    salon = salons_shown(db, said)[0]
    words = texts_of(bubble)
    assert salon.name in words and salon.fee in words
    assert any(salon.address in word for word in words)
    actions = actions_of(bubble)
    assert actions["地図"]["uri"].startswith("https://www.google.com/maps/search/?api=1&query=35.")
    assert actions["電話する"]["uri"] == f"tel:{salon.phone}"
    assert actions["行ってみたい"]["type"] == "postback"


def test_id_like_to_go_tells_how_to_join_and_opens_no_ticket(chat: Dialogue, db: Database) -> None:
    chat.tap(start(chat), "近くで")
    said = chat.tap(share_location(chat, *ODAWARA_STATION), "この条件で探す")
    bubble = carousel(said)["contents"]["contents"][1]
    salon = salons_shown(db, said)[1]
    joined = tap_bubble(chat, bubble, "行ってみたい")
    # A name with its own 「」 is quoted with 『』 inside, not 「「」」.
    name = salon.name.replace("「", "『").replace("」", "』")
    assert f"「{name}」への参加のしかた" in joined.text
    assert f"電話: {salon.phone}" in joined.text and f"主催: {salon.organiser}" in joined.text
    assert f"持ち物: {salon.what_to_bring}" in joined.text
    assert "LINEでのお申し込みはいりません" in joined.text
    assert "条件を変える" in joined.buttons
    # Another card of the same carousel still works afterwards.
    other = tap_bubble(chat, carousel(said)["contents"]["contents"][0], "行ってみたい")
    assert "参加のしかた" in other.text
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Ticket)) == 0


def test_by_district_asks_the_name_residents_use_with_the_area_as_a_help(
    chat: Dialogue, db: Database
) -> None:
    asked = chat.tap(start(chat), "地区で")
    assert "地区の名前を送ってください" in asked.text
    # Each area shows district names to recognise it by; none is only an internal name.
    assert asked.buttons == [
        "中部（緑・新玉・万年・幸・十字・足柄）", "西部（芦子・二川・久野・大窪・早川…）",
        "北部（富水・東富水・桜井・豊川・上府中）", "東部（山王網一色・酒匂・小八幡…）",
        "南東部（橘南・橘北）", "条件を変える",
    ]  # fmt: skip
    assert len(asked.buttons) <= 13 and all(len(label) <= 20 for label in asked.buttons)
    districts = chat.tap(asked, "中部（緑・新玉・万年・幸・十字・足柄）")
    assert districts.buttons == ["緑", "新玉", "万年", "幸", "十字", "足柄", "中部すべて",
                                 "ほかの地域"]  # fmt: skip
    assert chat.tap(districts, "ほかの地域").buttons == asked.buttons
    districts = chat.tap(chat.say("西部"), "早川")
    said = chat.tap(districts, "この条件で探す")
    shown = salons_shown(db, said)
    assert shown and {salon.district.name for salon in shown} == {"早川"}
    assert "近い順" not in said.text


@pytest.mark.parametrize("typed", ["早川", "はやかわ", "早川です", "早川に住んでいます"])
def test_a_typed_district_name_is_taken_at_once(chat: Dialogue, db: Database, typed: str) -> None:
    chat.tap(start(chat), "地区で")
    refine = chat.say(typed)
    assert "条件：早川" in refine.text, refine.text
    said = chat.tap(refine, "この条件で探す")
    shown = salons_shown(db, said)
    assert shown and {salon.district.name for salon in shown} == {"早川"}


def test_a_district_typed_after_choosing_another_area_is_still_taken(
    chat: Dialogue, db: Database
) -> None:
    chat.tap(chat.tap(start(chat), "地区で"), "中部（緑・新玉・万年・幸・十字・足柄）")
    refine = chat.say("東富水")  # in 北部, and 富水 is inside its name
    assert "条件：東富水" in refine.text
    # Its own area is kept, so "the whole area" can widen a search that finds nothing.
    with db.transaction() as session:
        assert session.scalars(select(Conversation.data)).one()["area"] == "北部"
    shown = salons_shown(db, chat.tap(refine, "この条件で探す"))
    assert shown and {salon.district.name for salon in shown} == {"東富水"}


def test_the_residents_own_district_is_offered_first(chat: Dialogue, db: Database) -> None:
    from storage.models import District, Resident

    start(chat)
    with db.transaction() as session:
        kozu = session.scalars(select(District).where(District.slug == "kozu")).one()
        session.scalars(select(Resident)).one().district_id = kozu.id
    asked = chat.tap(chat.say("メニュー"), "サロンを探す")
    asked = chat.tap(asked, "地区で")
    assert asked.buttons[0] == "国府津（お住まい）"
    refine = chat.tap(asked, "国府津（お住まい）")
    assert "条件：国府津" in refine.text


def test_a_typed_area_opens_its_districts_and_an_unknown_name_asks_again(chat: Dialogue) -> None:
    asked = chat.tap(start(chat), "地区で")
    assert chat.say("東部").buttons[:2] == ["山王網一色", "酒匂・小八幡"]
    chat.tap(chat.say("ほかの地域"), "条件を変える")
    asked = chat.tap(chat.say("地区で"), "条件を変える")
    asked = chat.tap(asked, "地区で")
    unknown = chat.say("横浜")
    assert "地区の名前を送ってください" in unknown.text
    assert unknown.buttons == asked.buttons


def test_weekday_then_kind_combine(chat: Dialogue, db: Database) -> None:
    chat.tap(start(chat), "曜日で")
    refine = chat.say("水曜")
    assert "条件：水曜日" in refine.text and "曜日で" not in refine.buttons
    kinds = chat.tap(refine, "種類で")
    said = chat.tap(kinds, "ふれあいサロン")
    shown = salons_shown(db, said)
    assert shown
    for salon in shown:
        assert salon.kind == "fureai" and salon.weekday_mask & (1 << 2)
    done = chat.tap(said, "メニュー")
    assert "ほかにお手伝いできることはありますか" in done.text
    assert done.buttons == ["相談する", "サロンを探す", "見守り", "言語 (Language)"]


def test_paused_and_ended_salons_never_appear(chat: Dialogue, db: Database) -> None:
    said = chat.tap(chat.tap(chat.tap(start(chat), "種類で"), "ふれあいサロン"), "この条件で探す")
    pages = [said]
    while "もっと見る" in pages[-1].buttons and len(pages) < 10:
        pages.append(chat.tap(pages[-1], "もっと見る"))
    shown = [salon for page in pages for salon in salons_shown(db, page)]
    assert len(pages) >= 2 and len(shown) == len({salon.id for salon in shown})
    with db.transaction() as session:
        active = session.scalar(
            select(func.count()).where(Salon.kind == "fureai", Salon.status == "active")
        )
        assert session.scalar(select(func.count()).where(Salon.status != "active"))
    assert all(salon.status == "active" for salon in shown)
    assert len(shown) == active
    assert "もっと見る" not in pages[-1].buttons


def test_details_not_confirmed_for_a_year_say_so(chat: Dialogue, db: Database) -> None:
    said = chat.tap(chat.tap(chat.tap(start(chat), "種類で"), "ふれあいサロン"), "この条件で探す")
    pages = [said]
    while "もっと見る" in pages[-1].buttons and len(pages) < 10:
        pages.append(chat.tap(pages[-1], "もっと見る"))
    notes = [
        "1年以上確認できていません" in " ".join(texts_of(bubble))
        for page in pages
        for bubble in carousel(page)["contents"]["contents"]
    ]
    assert any(notes) and not all(notes)


def test_nothing_found_says_so_kindly_and_offers_to_widen(chat: Dialogue) -> None:
    chat.tap(start(chat), "曜日で")
    kinds = chat.tap(chat.say("日曜日"), "種類で")
    none = chat.tap(kinds, "居場所")
    assert "見つかりませんでした" in none.text
    assert none.buttons == ["条件をひとつ外す", "条件を変える", "メニュー"]
    wider = chat.tap(none, "条件をひとつ外す")
    assert [m["type"] for m in wider.messages] == ["flex", "text"]


def test_near_a_place_with_nothing_within_walking_distance_can_look_further(chat: Dialogue) -> None:
    chat.tap(start(chat), "近くで")
    # Out on Sagami Bay, a few km from every salon.
    none = chat.tap(share_location(chat, 35.2200, 139.1900), "この条件で探す")
    assert "見つかりませんでした" in none.text
    assert "もっと遠くまで" in none.buttons
    wider = chat.tap(none, "もっと遠くまで")
    carousel(wider)


def test_english_speakers_get_english_labels_and_dates(db: Database, clock: Clock) -> None:
    with db.transaction() as session:
        load_town(session)
        load_salons(session, clock.now())
    chat = Dialogue(db, clock, profile_language="en-US")
    chat.follow()
    said = chat.say("Find a salon")
    assert said.buttons == ["Near me", "By district", "By weekday", "By kind"]
    chat.tap(said, "Near me")
    found = chat.tap(share_location(chat, *ODAWARA_STATION), "Search now")
    words = texts_of(carousel(found)["contents"]["contents"][0])
    assert any(re.fullmatch(r"Next: \w{3} \d{1,2} \w{3} from \d{1,2}:\d\d|Next: please.*", w)
               for w in words), words  # fmt: skip
    assert any(re.fullmatch(r"About [\d.]+k?m, \d+ min on foot", word) for word in words)


def reach(chat: Dialogue, state: str) -> Said:
    """Walk to `state` the way a resident would."""
    said = start(chat)
    if state == "choosing":
        return said
    if state in ("locating", "refining", "results", "joining"):
        said = chat.tap(said, "近くで")
        if state == "locating":
            return said
        said = share_location(chat, *ODAWARA_STATION)
        if state == "refining":
            return said
        said = chat.tap(said, "この条件で探す")
        if state == "results":
            return said
        return tap_bubble(chat, carousel(said)["contents"]["contents"][0], "行ってみたい")
    if state in ("area", "district"):
        said = chat.tap(said, "地区で")
        return (
            said if state == "area" else chat.tap(said, "北部（富水・東富水・桜井・豊川・上府中）")
        )
    if state == "weekday":
        return chat.tap(said, "曜日で")
    return chat.tap(said, "種類で")


STATES = ["choosing", "locating", "area", "district", "weekday", "kind", "refining", "results",
          "joining"]  # fmt: skip
ODD = ["sticker", "image", "long", "emoji", "empty", "stale-button", "location-late"]


# A location is a real answer in these states, so it is not odd there.
ODD_CASES = [
    (state, odd)
    for state in STATES
    for odd in ODD
    if not (odd == "location-late" and state in ("choosing", "locating", "refining"))
]


@pytest.mark.parametrize(("state", "odd"), ODD_CASES)
def test_odd_input_at_each_step_is_answered_kindly_and_the_step_stays(
    chat: Dialogue, db: Database, state: str, odd: str
) -> None:
    before = reach(chat, state)
    if odd == "sticker":
        said = chat.sticker()
    elif odd == "image":
        said = chat.image()
    elif odd == "long":
        said = chat.say("あ" * 3000)
    elif odd == "emoji":
        said = chat.say("👵🏻☕️")
    elif odd == "empty":
        said = chat.say("")
    elif odd == "stale-button":
        said = chat.send(postback_event("flow=salons&ev=district_chosen&v=999", chat.user))
    else:
        said = share_location(chat, *ODAWARA_STATION)
    assert "ボタンから選んでください" in said.text
    assert said.buttons == before.buttons
    assert all(len(text) <= 5000 for text in said.texts)
    for message in said.messages:
        if message["type"] == "flex":
            assert_within_lines_limits(message)
    with db.transaction() as session:
        assert session.scalars(select(Conversation.state)).one() == state


def test_a_card_for_a_salon_that_has_since_paused_says_so(chat: Dialogue, db: Database) -> None:
    chat.tap(start(chat), "近くで")
    said = chat.tap(share_location(chat, *ODAWARA_STATION), "この条件で探す")
    bubble = carousel(said)["contents"]["contents"][0]
    salon = salons_shown(db, said)[0]
    with db.transaction() as session:
        session.get(Salon, salon.id).status = "paused"  # type: ignore[union-attr]
    sorry = tap_bubble(chat, bubble, "行ってみたい")
    assert "今はお休みしています" in sorry.text


def test_every_card_keeps_lines_limits_even_with_long_details(chat: Dialogue, db: Database) -> None:
    with db.transaction() as session:
        for salon in session.scalars(select(Salon)):
            salon.activities = "あ" * 2000
            salon.accessibility = "段差なし" * 50
            salon.name = "サ" * 120
    chat.tap(start(chat), "近くで")
    said = chat.tap(share_location(chat, *ODAWARA_STATION), "この条件で探す")
    message = carousel(said)
    assert len(json.dumps(message, ensure_ascii=False).encode()) < 50 * 1024


# --- end to end: the real bot and the simulator over HTTP ------------------------------------------


@pytest.mark.slow
def test_a_resident_finds_a_salon_near_home_through_line(db_url: str, clock: Clock) -> None:
    from line_spec import validate_api_request
    from stack import running

    town = Database(db_url)
    with town.transaction() as session:
        load_town(session)
        load_salons(session, clock.now())
    town.dispose()
    with running(db_url) as stack:
        hanako = stack.persona("小田原花子")
        stack.act(hanako, "follow")
        stack.wait_for_texts(hanako, 2)

        def last() -> dict[str, Any]:
            return stack.bot_messages(hanako)[-1]["message"]

        def tap(label: str) -> None:
            items = {i["action"]["label"]: i["action"] for i in last()["quickReply"]["items"]}
            action = items[label]
            stack.act(hanako, "postback", data=action["data"], displayText=label)

        def answered(count: int) -> list[dict[str, Any]]:
            stack.wait_for(lambda: len(stack.bot_messages(hanako)) >= count)
            return [entry["message"] for entry in stack.bot_messages(hanako)]

        tap("サロンを探す")
        answered(3)
        tap("近くで")
        asked = answered(4)[-1]
        assert asked["quickReply"]["items"][0]["action"]["type"] == "location"
        stack.act(hanako, "location", title="自宅", address="小田原市", latitude=35.2564,
                  longitude=139.1553)  # fmt: skip
        answered(5)
        tap("この条件で探す")
        first = answered(7)
        assert first[-2]["type"] == "flex" and len(first[-2]["contents"]["contents"]) == 10
        tap("もっと見る")
        second = answered(9)
        assert second[-2]["type"] == "flex"
        bubble = second[-2]["contents"]["contents"][0]
        go = next(
            b["action"]
            for b in bubble["footer"]["contents"]
            if b["action"]["label"] == "行ってみたい"
        )
        stack.act(hanako, "postback", data=go["data"], displayText=go["label"])
        joined = answered(10)[-1]
        assert "参加のしかた" in joined["text"]

        recorded = stack.api_requests()
        flexes = 0
        for record in recorded:
            validate_api_request(
                record["method"], record["path"], record["body"], record["headers"]
            )
            for message in (record["body"] or {}).get("messages", []):
                if message["type"] == "flex":
                    assert_within_lines_limits(message)
                    flexes += 1
        assert flexes == 2
        assert all(entry["delivered"] for entry in stack.bot_messages(hanako))


def test_searching_for_wednesday_shows_the_next_wednesday(chat: Dialogue, db: Database) -> None:
    """A salon meeting on several days showed its next meeting whatever the day asked for
    (「次回: 12月4日(金)」 for 水曜); now the date shown is one on that day."""
    said = chat.tap(chat.tap(chat.tap(start(chat), "曜日で"), "水曜日"), "この条件で探す")
    dates = re.findall(r"次回: \d+月\d+日\((.)\)", json.dumps(carousel(said), ensure_ascii=False))
    assert dates and set(dates) == {"水"}, dates
