"""The 生活応援隊 offers' timer: an offer nobody answers within the set time returns the request
to the coordinator once the scheduler's clock passes it, exactly once, and a process killed
before that loses nothing (the wait is a deadline row, written with the offers)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from casework_data import NOW
from sqlalchemy import select
from supporter_town import People, all_supporters, make_town

from bot.clock import Clock
from bot.resident_actions import ResidentActions
from bot.scheduler import Scheduler
from bot.settings import Settings
from storage import supporters
from storage.db import Database
from storage.models import Deadline, HelpOffer, HelpRequest


class Hands(Clock):
    """A clock the test sets."""

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.at = now

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def town(db: Database) -> People:
    return make_town(db)


def status(db: Database, request_id: int) -> tuple[str, datetime]:
    with db.transaction() as session:
        request = session.get_one(HelpRequest, request_id)
        return request.status, request.updated_at


def answers(db: Database) -> list[str | None]:
    with db.transaction() as session:
        return list(session.scalars(select(HelpOffer.answer).order_by(HelpOffer.id)))


def timer(db: Database, request_id: int) -> Deadline:
    with db.transaction() as session:
        row = session.scalars(select(Deadline).where(Deadline.subject_id == request_id)).one()
        session.expunge(row)
        return row


def test_an_offer_nobody_answers_goes_back_to_the_coordinator_once_its_time_passes(
    db: Database, town: People
) -> None:
    hands = Hands(NOW + supporters.OFFER_WAIT - timedelta(seconds=1))
    scheduler = Scheduler(db, hands)
    scheduler.fire_deadlines()
    assert status(db, town.request_id)[0] == "offered"
    assert answers(db) == [None, None, None]

    hands.at = NOW + supporters.OFFER_WAIT
    assert scheduler.fire_deadlines() == 1
    state, returned_at = status(db, town.request_id)
    assert state == "returned" and returned_at == hands.at
    assert answers(db) == ["too_late"] * 3
    assert timer(db, town.request_id).status == "fired"

    # Exactly once: later sweeps find nothing, and the request is not touched again.
    hands.at += timedelta(hours=5)
    assert scheduler.fire_deadlines() == 0
    assert status(db, town.request_id) == ("returned", returned_at)


def test_a_process_killed_before_the_time_finds_the_wait_again(db: Database, town: People) -> None:
    # Nothing in memory carries the wait: a new scheduler (a restarted process) fires it.
    assert timer(db, town.request_id).due_at == NOW + supporters.OFFER_WAIT
    Scheduler(db, Hands(NOW + supporters.OFFER_WAIT + timedelta(hours=1))).fire_deadlines()
    assert status(db, town.request_id)[0] == "returned"


def test_a_taken_request_stays_taken_and_its_timer_is_stopped(db: Database, town: People) -> None:
    with db.transaction() as session:
        first = session.scalars(select(HelpOffer).order_by(HelpOffer.id)).first()
        assert first is not None
        assert supporters.accept(session, first, NOW + timedelta(minutes=5)) == "accepted"
    assert timer(db, town.request_id).status == "cancelled"
    Scheduler(db, Hands(NOW + supporters.OFFER_WAIT * 3)).fire_deadlines()
    assert status(db, town.request_id)[0] == "taken"
    assert answers(db) == ["accepted", "too_late", "too_late"]


def test_offering_again_sets_the_time_from_the_last_offer(db: Database) -> None:
    town = make_town(db, offer=False)
    with db.transaction() as session:
        request = session.get_one(HelpRequest, town.request_id)
        everyone = all_supporters(session)
        supporters.offer(session, request, everyone[:1], NOW)
        supporters.offer(session, request, everyone[1:], NOW + timedelta(hours=1))
    hands = Hands(NOW + supporters.OFFER_WAIT)
    scheduler = Scheduler(db, hands)
    assert scheduler.fire_deadlines() == 0
    assert status(db, town.request_id)[0] == "offered"
    hands.at = NOW + timedelta(hours=1) + supporters.OFFER_WAIT
    assert scheduler.fire_deadlines() == 1
    assert status(db, town.request_id)[0] == "returned"


def test_the_council_sets_how_long_an_offer_waits(db: Database) -> None:
    settings = Settings.from_env({"MADOGUCHI_OFFER_WAIT": "30m"}, dotenv=Path("/nonexistent"))
    assert settings.offer_wait == timedelta(minutes=30)
    town = make_town(db, offer=False)
    with db.transaction() as session:
        request = session.get_one(HelpRequest, town.request_id)
        ResidentActions(settings.offer_wait).offer_help(
            session, request, all_supporters(session), NOW
        )
    assert timer(db, town.request_id).due_at == NOW + timedelta(minutes=30)
    Scheduler(db, Hands(NOW + timedelta(minutes=30))).fire_deadlines()
    assert status(db, town.request_id)[0] == "returned"
