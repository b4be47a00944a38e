"""A small 生活応援隊 town for tests: approved supporters, a resident who needs help, a request.

Supporters and the resident are people in LINE (tests/dialogue.py); what the bot sends any of
them, replies and pushes alike, is read back from the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from casework_data import NOW, make_office, make_resident
from rendered import rendered
from sqlalchemy import select

from flows import supporter_offers
from storage import supporters
from storage.db import Database
from storage.districts import by_slug
from storage.models import HelpRequest, OutboxMessage, Resident, Staff, Supporter
from storage.supporters import Registration

# 12月5日(土) 10:00–12:00, town time.
WANTED_FROM = datetime(2026, 12, 5, 1, 0, tzinfo=NOW.tzinfo)
WANTED_UNTIL = WANTED_FROM + timedelta(hours=2)


@dataclass(frozen=True)
class People:
    """LINE user ids: the person who needs help, and the supporters, in order."""

    helped: str
    supporters: list[str]
    request_id: int


def make_supporter(session: Any, number: int, staff: Staff, *, status: str = "active") -> Resident:
    resident = make_resident(session, f"応援 {number}")
    hayakawa = by_slug(session, "hayakawa")
    assert hayakawa is not None
    supporter = supporters.register(
        session,
        resident,
        Registration(
            kinds=["rubbish", "shopping"],
            district_id=hayakawa.id,
            weekdays=[5],
            time_bands=["morning"],
            first_name=f"支援{number}",
            phone=f"090-0000-{number:04d}",
        ),
        NOW,
    )
    if status != "applied":
        supporters.approve(session, supporter, staff, NOW)
    if status == "paused":
        supporters.pause(session, supporter, NOW)
    return resident


def make_town(db: Database, volunteers: int = 3, *, offer: bool = True) -> People:
    """Approved supporters in 早川 and one request for ゴミ出し, offered to all of them."""
    office = make_office(db)
    with db.transaction() as session:
        coordinator = session.get_one(Staff, office.staff["aoki"])
        helped = make_resident(session, "小田 トメ")
        people = [make_supporter(session, n + 1, coordinator) for n in range(volunteers)]
        request = new_request(session, helped)
        if offer:
            supporter_offers.send(session, request, all_supporters(session), NOW)
        return People(
            helped=str(helped.line_user_id),
            supporters=[str(p.line_user_id) for p in people],
            request_id=request.id,
        )


def new_request(session: Any, helped: Resident) -> HelpRequest:
    hayakawa = by_slug(session, "hayakawa")
    assert hayakawa is not None
    return supporters.new_request(
        session,
        helped,
        "rubbish",
        WANTED_FROM,
        NOW,
        wanted_until=WANTED_UNTIL,
        district_id=hayakawa.id,
        first_name="トメ",
        phone="0465-00-1111",
        note="門の右のバケツ",
    )


def offered_to(db: Database, supporter_id: int) -> None:
    """A new request (for 小田 トメ) offered to this supporter alone, waiting for their answer."""
    with db.transaction() as session:
        supporter = session.get_one(Supporter, supporter_id)
        request = new_request(session, make_resident(session, "小田 トメ"))
        supporter_offers.send(session, request, [supporter], NOW)


def all_supporters(session: Any) -> list[Supporter]:
    return list(session.scalars(select(Supporter).order_by(Supporter.id)))


def messages_to(db: Database, user: str) -> list[dict[str, Any]]:
    with db.transaction() as session:
        rows = session.scalars(
            select(OutboxMessage).where(OutboxMessage.to == user).order_by(OutboxMessage.id)
        ).all()
        return rendered([message for row in rows for message in row.messages])


def make_neighbour(
    session: Any,
    number: int,
    staff: Staff,
    *,
    district: str = "hayakawa",
    kinds: tuple[str, ...] = ("rubbish",),
    weekdays: tuple[int, ...] = (5,),
    bands: tuple[str, ...] = ("morning",),
    reach_km: float | None = None,
) -> Supporter:
    """An approved supporter with their own kinds, district, days and reach (for matching)."""
    place = by_slug(session, district)
    assert place is not None
    supporter = supporters.register(
        session,
        make_resident(session, f"近所 {number}"),
        Registration(
            kinds=list(kinds),
            district_id=place.id,
            weekdays=list(weekdays),
            time_bands=list(bands),
            first_name=f"近所{number}",
            phone=f"090-1111-{number:04d}",
        ),
        NOW,
    )
    supporter.reach_km = reach_km
    supporters.approve(session, supporter, staff, NOW)
    session.flush()
    return supporter
