"""生活応援隊 offers in LINE: what an offer says, and every outcome of answering it — the first
to accept gets it and both sides get what they need, a later tap is told it is taken, a
decline is thanked, and nobody answering in time returns it to the coordinator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from builders import postback_event
from casework_data import NOW, make_resident
from dialogue import Dialogue, Said
from sqlalchemy import select
from supporter_town import (
    People,
    make_supporter,
    make_town,
    messages_to,
    new_request,
)

from bot.clock import Clock
from flows import supporter_offers
from storage import erasure, supporters
from storage.db import Database
from storage.models import HelpOffer, HelpRequest, Resident, Staff, Supporter

WAIT = timedelta(hours=2)


@pytest.fixture
def town(db: Database) -> People:
    return make_town(db)


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.now = lambda: NOW + timedelta(minutes=5)  # type: ignore[method-assign]
    return clock


def offer_buttons(db: Database, user: str) -> dict[str, str]:
    """The offer's buttons, label to postback data."""
    offer = next(m for m in messages_to(db, user) if "生活応援隊" in m["text"])
    return {
        item["action"]["label"]: item["action"]["data"] for item in offer["quickReply"]["items"]
    }


def tap(db: Database, clock: Clock, user: str, label: str) -> Said:
    return Dialogue(db, clock, user=user).send(postback_event(offer_buttons(db, user)[label], user))


def request(db: Database, town: People) -> HelpRequest:
    with db.transaction() as session:
        found = session.get_one(HelpRequest, town.request_id)
        session.expunge(found)
        return found


def answers(db: Database) -> list[str | None]:
    with db.transaction() as session:
        return list(session.scalars(select(HelpOffer.answer).order_by(HelpOffer.id)))


def test_an_offer_says_what_roughly_where_and_when_and_names_nobody(
    db: Database, town: People
) -> None:
    for user in town.supporters:
        [offer] = messages_to(db, user)
        said = offer["text"]
        assert "【生活応援隊】" in said and "ゴミ出し" in said
        assert "早川地区のあたり" in said
        assert "12月5日(土) 10:00〜12:00" in said
        for private in ("トメ", "0465-00-1111", "バケツ", "小田"):
            assert private not in said
        assert list(offer_buttons(db, user)) == ["引き受ける", "今回は無理"]
    assert request(db, town).status == "offered"


def test_the_first_to_accept_gets_it_and_both_sides_hear_from_each_other(
    db: Database, clock: Clock, town: People
) -> None:
    first, second, _ = town.supporters
    said = tap(db, clock, first, "引き受ける")
    assert "お引き受けありがとうございます" in said.text
    assert "トメさん（0465-00-1111）" in said.text
    assert "12月5日(土) 10:00〜12:00" in said.text and "門の右のバケツ" in said.text
    [told] = messages_to(db, town.helped)
    assert "支援1さん" in told["text"] and "090-0000-0001" in told["text"]
    assert "ゴミ出し" in told["text"] and "10:00〜12:00" in told["text"]
    taken = request(db, town)
    assert taken.status == "taken" and taken.taken_at is not None
    assert answers(db) == ["accepted", "too_late", "too_late"]
    with db.transaction() as session:
        winner = session.get_one(Supporter, taken.taken_by_id)
        assert winner.first_name == "支援1" and winner.last_helped_at is not None

    # A later tap is told kindly that someone else has it; nothing changes.
    said = tap(db, clock, second, "引き受ける")
    assert "ほかの方がお引き受けくださいました" in said.text
    assert "トメ" not in said.text and "0465-00-1111" not in said.text
    assert request(db, town).taken_by_id == taken.taken_by_id

    # The winner tapping again gets the details again; the person helped is not told twice.
    said = tap(db, clock, first, "引き受ける")
    assert "トメさん" in said.text
    assert len(messages_to(db, town.helped)) == 1


def test_a_decline_is_thanked_and_the_last_one_returns_it_to_the_coordinator(
    db: Database, clock: Clock, town: People
) -> None:
    for n, user in enumerate(town.supporters):
        said = tap(db, clock, user, "今回は無理")
        assert "お知らせありがとうございます" in said.text
        assert request(db, town).status == ("returned" if n == 2 else "offered")
    assert answers(db) == ["declined"] * 3
    assert messages_to(db, town.helped) == []


def test_nobody_accepting_in_time_returns_it_and_a_late_tap_is_told_so(
    db: Database, clock: Clock, town: People
) -> None:
    tap(db, clock, town.supporters[0], "今回は無理")
    with db.transaction() as session:
        assert supporters.return_unanswered(session, NOW + WAIT - timedelta(seconds=1), WAIT) == []
        returned = supporters.return_unanswered(session, NOW + WAIT, WAIT)
        assert [r.id for r in returned] == [town.request_id]
    assert request(db, town).status == "returned"
    assert answers(db) == ["declined", "too_late", "too_late"]
    said = tap(db, clock, town.supporters[1], "引き受ける")
    assert "受付は終了しました" in said.text
    assert request(db, town).taken_by_id is None
    assert messages_to(db, town.helped) == []


def test_a_returned_request_is_not_put_again_to_those_asked_before(
    db: Database, clock: Clock, town: People
) -> None:
    with db.transaction() as session:
        supporters.return_unanswered(session, NOW + WAIT, WAIT)
        again = session.get_one(HelpRequest, town.request_id)
        fresh = list(session.scalars(select(Supporter).order_by(Supporter.id)))
        # Those asked before are not asked twice.
        assert supporters.offer(session, again, fresh, NOW + WAIT) == []
    assert request(db, town).status == "returned"


def test_an_offer_made_to_someone_else_cannot_be_answered(
    db: Database, clock: Clock, town: People
) -> None:
    first, second, _ = town.supporters
    data = offer_buttons(db, first)["引き受ける"]
    said = Dialogue(db, clock, user=second).send(postback_event(data, second))
    assert "もう受け付けていません" in said.text
    assert request(db, town).status == "offered"
    assert answers(db) == [None, None, None]


def test_paused_and_waiting_supporters_get_no_offers(db: Database) -> None:
    make_town(db, volunteers=1, offer=False)
    with db.transaction() as session:
        coordinator = session.scalars(select(Staff).order_by(Staff.id)).first()
        assert coordinator is not None
        make_supporter(session, 8, coordinator, status="paused")
        make_supporter(session, 9, coordinator, status="applied")
        needed = new_request(session, make_resident(session, "別の人"))
        everyone = list(session.scalars(select(Supporter).order_by(Supporter.id)))
        offers = supporter_offers.send(session, needed, everyone, NOW)
        assert [offer.supporter.first_name for offer in offers] == ["支援1"]
        assert needed.status == "offered"


def test_leaving_declines_waiting_offers_and_returns_what_they_had_taken(
    db: Database, clock: Clock, town: People
) -> None:
    tap(db, clock, town.supporters[0], "引き受ける")
    with db.transaction() as session:
        supporter = session.get_one(Supporter, request(db, town).taken_by_id)
        returned = supporters.leave(session, supporter, NOW)
        assert [r.id for r in returned] == [town.request_id]
    after = request(db, town)
    assert after.status == "returned" and after.taken_by_id is None
    # Their phone is not kept in what the person helped was told either.
    assert not any("090-0000-0001" in m["text"] for m in messages_to(db, town.helped))


def test_an_erasure_forgets_the_supporter_and_the_person_helped(
    db: Database, clock: Clock, town: People
) -> None:
    first = town.supporters[0]
    tap(db, clock, first, "引き受ける")
    with db.transaction() as session:
        for user in (first, town.helped):
            resident = session.scalars(select(Resident).where(Resident.line_user_id == user)).one()
            erasure.erase_resident(session, resident, NOW)
    with db.transaction() as session:
        supporter = session.scalars(select(Supporter).order_by(Supporter.id)).first()
        assert supporter is not None
        assert (supporter.status, supporter.first_name, supporter.phone) == ("left", None, None)
        request = session.get_one(HelpRequest, town.request_id)
        assert request.status == "cancelled"
        assert (request.first_name, request.phone, request.note) == ("", "", "")
