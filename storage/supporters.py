"""生活応援隊: supporters' registration and its changes, help requests, and the offers that put a
request to supporters, of whom exactly one gets it.

Rules every function here keeps:
- A request is taken by one conditional UPDATE (`accept`: … WHERE status = 'offered' AND
  taken_by_id IS NULL), the same kind of claim the staff queues use (storage/casework.py):
  of any number of supporters accepting at once, exactly one changes the row. PostgreSQL's
  row lock makes the others wait and then find the condition false; on SQLite every write
  transaction holds the write lock (BEGIN IMMEDIATE).
- Going back to the coordinator (`return_unanswered`, the last decline) is the same kind of
  conditional UPDATE, so a return and an accept racing each other cannot both win.
- The set time for answering is a deadline row (storage/deadlines.py), written with the
  offers in their transaction and re-armed by each later offer: a process killed while an
  offer waits finds it again on restart, and the scheduler fires it once (`expire_offers`).
- A supporter who leaves keeps no first name or phone here, nor in the messages that
  repeated them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import case, exists, func, select, update
from sqlalchemy.orm import Session, selectinload

from storage import deadlines, outbox
from storage.models import (
    SUPPORTER_STATUSES,
    CareNetLink,
    HelpOffer,
    HelpRequest,
    Resident,
    Staff,
    Supporter,
    WatchEnrolment,
)

# What `accept` did: took it; someone else has it; it is no longer wanted of anyone (back to
# the coordinator, cancelled); this supporter has it already (a second tap); or this
# supporter declined it before.
AcceptOutcome = Literal["accepted", "taken", "gone", "yours", "answered"]
# A request that may be put to supporters: never offered, or back from an offer nobody took.
OFFERABLE = ("open", "returned", "offered")
# A request whose details a coordinator may still correct: not yet out to supporters, not taken.
CHANGEABLE = ("open", "returned")
# Longer than anyone takes over the sign-up (a conversation left idle starts over sooner).
SIGN_UP_TIME = timedelta(days=1)
# How long supporters have to answer an offer before it goes back to the coordinator.
OFFER_WAIT = timedelta(hours=2)
# The deadline kind of that wait (one row per request, keyed by `_offer_key`).
OFFER_EXPIRES = "supporters.offer_expires"


@dataclass(frozen=True)
class Registration:
    """What a resident gives when they sign up (or change what they gave)."""

    kinds: Sequence[str]
    district_id: int | None
    weekdays: Sequence[int]
    time_bands: Sequence[str]
    first_name: str | None = None
    phone: str | None = None


# Supporters.

# The team whose staff coordinate the supporters (with admins): 生活応援隊 in the sample town,
# the team ちょっとした手助け consultations are routed to.
COORDINATING_TEAM = "tasukeai"


def staff_may_coordinate(staff: Staff) -> bool:
    """Whether `staff` may see the supporters and approve, pause or resume them: an active
    admin, or a member of the coordinating team."""
    if not staff.active:
        return False
    return staff.role == "admin" or any(team.slug == COORDINATING_TEAM for team in staff.teams)


def supporter_by_id(session: Session, supporter_id: int, *, lock: bool = False) -> Supporter | None:
    statement = select(Supporter).where(Supporter.id == supporter_id)
    if lock:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def listing(session: Session, status: str | None, limit: int) -> list[Supporter]:
    """Supporters with this status, or everyone but those who left: applicants first (they
    wait for the coordinator), then active, paused; within each, in the order they applied."""
    order = case(
        {name: rank for rank, name in enumerate(SUPPORTER_STATUSES)}, value=Supporter.status
    )
    statement = (
        select(Supporter)
        .options(selectinload(Supporter.resident), selectinload(Supporter.district))
        .where(Supporter.status == status if status else Supporter.status != "left")
        .order_by(order, Supporter.created_at, Supporter.id)
        .limit(limit)
    )
    return list(session.scalars(statement))


def counts_by_status(session: Session) -> dict[str, int]:
    rows = session.execute(select(Supporter.status, func.count()).group_by(Supporter.status))
    found = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in SUPPORTER_STATUSES}


def care_net_links(session: Session, supporter_id: int) -> list[CareNetLink]:
    """The ケアネット links in force of this supporter, with each watch-over resident loaded,
    the oldest first (whom they are asked to look in on)."""
    return list(
        session.scalars(
            select(CareNetLink)
            .options(selectinload(CareNetLink.enrolment).selectinload(WatchEnrolment.resident))
            .where(CareNetLink.supporter_id == supporter_id, CareNetLink.ended_at.is_(None))
            .order_by(CareNetLink.created_at, CareNetLink.id)
        )
    )


def of_resident(session: Session, resident: Resident, *, lock: bool = False) -> Supporter | None:
    """The resident's supporter row, whatever its status (one who left has one too)."""
    statement = select(Supporter).where(Supporter.resident_id == resident.id)
    if lock:
        statement = statement.with_for_update()
    return session.scalars(statement).one_or_none()


def registered(session: Session, resident: Resident, *, lock: bool = False) -> Supporter | None:
    """The resident's registration unless they never registered or left."""
    supporter = of_resident(session, resident, lock=lock)
    return supporter if supporter is not None and supporter.status != "left" else None


def register(session: Session, resident: Resident, given: Registration, now: datetime) -> Supporter:
    """Sign up, with consent to share first name and phone: waits for a coordinator's approval.

    One who left and signs up again starts over: approved again, like anyone new.
    """
    if not given.first_name or not given.phone:
        raise ValueError("a supporter gives a first name and a phone number")
    supporter = of_resident(session, resident, lock=True)
    if supporter is None:
        supporter = Supporter(resident_id=resident.id, created_at=now)
        session.add(supporter)
    supporter.status = "applied"
    supporter.approved_by_id = None
    supporter.approved_at = None
    supporter.left_at = None
    supporter.consent_given = True
    supporter.consent_at = now
    _set(supporter, given, now)
    supporter.first_name = given.first_name
    supporter.phone = given.phone
    session.flush()
    return supporter


def change(session: Session, supporter: Supporter, given: Registration, now: datetime) -> None:
    """What, where and when; the first name and phone too when given."""
    _set(supporter, given, now)
    if given.first_name:
        supporter.first_name = given.first_name
    if given.phone:
        supporter.phone = given.phone


def _set(supporter: Supporter, given: Registration, now: datetime) -> None:
    supporter.kinds = list(given.kinds)
    supporter.district_id = given.district_id
    supporter.weekdays = sorted(set(given.weekdays))
    supporter.time_bands = list(given.time_bands)
    supporter.updated_at = now


def approve(session: Session, supporter: Supporter, staff: Staff, now: datetime) -> None:
    """A coordinator has met the applicant: offers may now come to them."""
    if supporter.status != "applied":
        raise ValueError(f"only an applicant is approved, not one who is {supporter.status}")
    supporter.status = "active"
    supporter.approved_by_id = staff.id
    supporter.approved_at = now
    supporter.updated_at = now


def pause(session: Session, supporter: Supporter, now: datetime) -> None:
    """No offers until they resume; offers waiting for their answer are declined for them."""
    supporter.status = "paused"
    supporter.updated_at = now
    _withdraw_offers(session, supporter, now)


def resume(session: Session, supporter: Supporter, now: datetime) -> None:
    """Back to active, or to waiting for approval if a coordinator has not approved them yet."""
    supporter.status = "active" if supporter.approved_at is not None else "applied"
    supporter.updated_at = now


def leave(session: Session, supporter: Supporter, now: datetime) -> list[HelpRequest]:
    """They leave: their first name and phone go, offers waiting for them are declined, and
    requests they had taken and not yet done go back to the coordinator (returned).

    The name and phone go from the messages that repeated them too: the sign-up's summary in
    their own chat, and the phone in what the people they helped were told.
    """
    name, phone = supporter.first_name or "", supporter.phone or ""
    helped = session.scalars(
        select(HelpRequest).where(HelpRequest.taken_by_id == supporter.id)
    ).all()
    # From a while before they registered: the sign-up's questions and summary came first.
    since = supporter.created_at - SIGN_UP_TIME
    own_chat = supporter.resident.line_user_id
    if own_chat:
        outbox.withdraw_repeating(session, own_chat, [name, phone], since=since)
    for chat in {request.resident.line_user_id for request in helped} - {None}:
        outbox.withdraw_repeating(session, str(chat), [phone], since=since)
    supporter.status = "left"
    supporter.first_name = None
    supporter.phone = None
    supporter.consent_given = False
    supporter.left_at = now
    supporter.updated_at = now
    _withdraw_offers(session, supporter, now)
    held = [request for request in helped if request.status == "taken"]
    for request in held:
        request.status = "returned"
        request.taken_by_id = None
        request.taken_at = None
        request.updated_at = now
    return held


def forget(session: Session, resident: Resident, now: datetime) -> None:
    """On an erasure the resident asked for: as a supporter they leave (name and phone go);
    the requests for their own help keep no name, phone or note, and those not yet done are
    cancelled. Called before their LINE address is forgotten (storage/erasure.py)."""
    supporter = of_resident(session, resident, lock=True)
    if supporter is not None and supporter.status != "left":
        leave(session, supporter, now)
    for request in session.scalars(
        select(HelpRequest).where(HelpRequest.resident_id == resident.id)
    ).all():
        request.first_name = ""
        request.phone = ""
        request.note = ""
        request.updated_at = now
        if request.status in ("open", "offered", "returned", "taken"):
            request.status = "cancelled"
            _answer(session, [o.id for o in _waiting_offers(session, request.id)], "too_late", now)
            deadlines.cancel(session, _offer_key(request.id))


def _withdraw_offers(session: Session, supporter: Supporter, now: datetime) -> None:
    waiting = session.scalars(
        select(HelpOffer).where(HelpOffer.supporter_id == supporter.id, HelpOffer.answer.is_(None))
    ).all()
    for offer in waiting:
        decline(session, offer, now)


# Requests.


def new_request(
    session: Session,
    resident: Resident,
    kind: str,
    wanted_from: datetime,
    now: datetime,
    *,
    wanted_until: datetime | None = None,
    district_id: int | None = None,
    first_name: str = "",
    phone: str = "",
    note: str = "",
    ticket_id: int | None = None,
) -> HelpRequest:
    request = HelpRequest(
        resident_id=resident.id,
        kind=kind,
        district_id=district_id if district_id is not None else resident.district_id,
        wanted_from=wanted_from,
        wanted_until=wanted_until,
        first_name=first_name,
        phone=phone,
        note=note,
        status="open",
        ticket_id=ticket_id,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    session.flush()
    return request


def requests_of_ticket(session: Session, ticket_id: int) -> list[HelpRequest]:
    """The help requests made from a ticket (a consultation, or staff from its page), oldest
    first."""
    return list(
        session.scalars(
            select(HelpRequest).where(HelpRequest.ticket_id == ticket_id).order_by(HelpRequest.id)
        )
    )


def request_by_id(session: Session, request_id: int, *, lock: bool = False) -> HelpRequest | None:
    """The request; with `lock`, its row locked until the transaction ends and read afresh."""
    if not lock:
        return session.get(HelpRequest, request_id)
    return session.scalars(
        select(HelpRequest)
        .where(HelpRequest.id == request_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()


def change_request(
    session: Session,
    request: HelpRequest,
    now: datetime,
    *,
    kind: str,
    district_id: int | None,
    wanted_from: datetime,
    wanted_until: datetime | None,
    first_name: str,
    phone: str,
    note: str,
) -> list[str] | None:
    """A coordinator corrects the request before it goes out: all of it as given (no
    district: the resident's own, as in `new_request`). The names of the fields that
    changed (district, not district_id), in this order.

    The row is locked first and read afresh: a request no longer CHANGEABLE (another
    coordinator has just offered it, or it was taken or cancelled) is refused, None, and
    nothing changes.
    """
    locked = request_by_id(session, request.id, lock=True)
    if locked is None or locked.status not in CHANGEABLE or locked.taken_by_id is not None:
        return None
    given = {
        "kind": kind,
        "district_id": district_id if district_id is not None else locked.resident.district_id,
        "wanted_from": wanted_from,
        "wanted_until": wanted_until,
        "first_name": first_name,
        "phone": phone,
        "note": note,
    }
    changed = [name for name, value in given.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, given[name])
    if changed:
        locked.updated_at = now
        session.flush()
    if "district_id" in changed:
        # The district read before is another's now: read again when next asked for.
        session.expire(locked, ["district"])
    return [name.removesuffix("_id") for name in changed]


# The coordinator's board: requests still to be put to someone, waiting, back, or taken.
BOARD_STATUSES = ("open", "offered", "returned", "taken")


def board(session: Session, statuses: Sequence[str], limit: int) -> list[HelpRequest]:
    """Requests in these statuses, the newest first (the need just raised on top)."""
    return list(
        session.scalars(
            select(HelpRequest)
            .options(
                selectinload(HelpRequest.district),
                selectinload(HelpRequest.resident),
                selectinload(HelpRequest.taken_by),
            )
            .where(HelpRequest.status.in_(statuses))
            .order_by(HelpRequest.created_at.desc(), HelpRequest.id.desc())
            .limit(limit)
        )
    )


def board_counts(session: Session) -> dict[str, int]:
    rows = session.execute(
        select(HelpRequest.status, func.count())
        .where(HelpRequest.status.in_(BOARD_STATUSES))
        .group_by(HelpRequest.status)
    )
    found = {status: count for status, count in rows}
    return {status: found.get(status, 0) for status in BOARD_STATUSES}


def supporters_by_ids(session: Session, ids: Sequence[int]) -> list[Supporter]:
    """These supporters (those that exist), in id order, with their residents loaded."""
    if not ids:
        return []
    return list(
        session.scalars(
            select(Supporter)
            .options(selectinload(Supporter.resident))
            .where(Supporter.id.in_(set(ids)))
            .order_by(Supporter.id)
        )
    )


# Offers.


def offer(
    session: Session,
    request: HelpRequest,
    supporters: Sequence[Supporter],
    now: datetime,
    wait: timedelta = OFFER_WAIT,
) -> list[HelpOffer]:
    """Put the request to these supporters (active ones not asked about it before); the new
    offers. The request waits for an answer (offered) unless somebody has taken it, and goes
    back to the coordinator if nobody has `wait` after this, its last offer."""
    if request.status not in OFFERABLE:
        return []
    asked = set(
        session.scalars(select(HelpOffer.supporter_id).where(HelpOffer.request_id == request.id))
    )
    offers = [
        HelpOffer(request_id=request.id, supporter_id=supporter.id, sent_at=now)
        for supporter in supporters
        if supporter.status == "active" and supporter.id not in asked
    ]
    if not offers:
        return []
    moved = session.execute(
        update(HelpRequest)
        .where(
            HelpRequest.id == request.id,
            HelpRequest.status.in_(OFFERABLE),
            HelpRequest.taken_by_id.is_(None),
        )
        .values(status="offered", updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(request)
    if moved != 1:
        return []
    session.add_all(offers)
    session.flush()
    deadlines.schedule(
        session,
        kind=OFFER_EXPIRES,
        subject_id=request.id,
        due_at=now + wait,
        key=_offer_key(request.id),
        now=now,
    )
    return offers


def _offer_key(request_id: int) -> str:
    return f"{OFFER_EXPIRES}:{request_id}"


def offer_by_id(session: Session, offer_id: int) -> HelpOffer | None:
    return session.get(HelpOffer, offer_id)


def accept(session: Session, offer: HelpOffer, now: datetime) -> AcceptOutcome:
    """The supporter says 引き受ける: "accepted" for exactly one of any number accepting at once.

    One conditional UPDATE decides (see the module's rules); the winner's offer is accepted
    and every other waiting offer on the request becomes too late, in the same transaction.
    """
    waiting = exists().where(HelpOffer.id == offer.id, HelpOffer.answer.is_(None))
    taken = (
        session.execute(
            update(HelpRequest)
            .where(
                HelpRequest.id == offer.request_id,
                HelpRequest.status == "offered",
                HelpRequest.taken_by_id.is_(None),
                waiting,
            )
            .values(status="taken", taken_by_id=offer.supporter_id, taken_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    request = offer.request
    if taken:
        _answer(session, [offer.id], "accepted", now)
        others = select(HelpOffer.id).where(
            HelpOffer.request_id == offer.request_id,
            HelpOffer.id != offer.id,
            HelpOffer.answer.is_(None),
        )
        _answer(session, list(session.scalars(others)), "too_late", now)
        supporter = offer.supporter
        supporter.last_helped_at = now
        supporter.updated_at = now
        deadlines.cancel(session, _offer_key(offer.request_id))
    session.refresh(request)
    session.refresh(offer)
    if taken:
        return "accepted"
    if request.taken_by_id == offer.supporter_id:
        # The details again, but only while the task is theirs to do.
        return "yours" if request.status == "taken" else "gone"
    if offer.answer == "declined":
        return "answered"
    if offer.answer is None:
        _answer(session, [offer.id], "too_late", now)
        session.refresh(offer)
    return "taken" if request.taken_by_id is not None else "gone"


def decline(session: Session, offer: HelpOffer, now: datetime) -> bool:
    """今回は無理: True if the offer was still waiting. When nobody is left to answer, the
    request goes back to the coordinator at once."""
    declined = _answer(session, [offer.id], "declined", now) == 1
    session.refresh(offer)
    if declined and not _waiting_offers(session, offer.request_id):
        _return(session, offer.request, now)
    return declined


def return_unanswered(session: Session, now: datetime, wait: timedelta) -> list[HelpRequest]:
    """Requests offered more than `wait` ago (their last offer) that nobody took: back to
    the coordinator (returned), their waiting offers too late. The requests returned."""
    last_sent = (
        select(HelpOffer.request_id)
        .group_by(HelpOffer.request_id)
        .having(func.max(HelpOffer.sent_at) <= now - wait)
    )
    stale = session.scalars(
        select(HelpRequest)
        .where(HelpRequest.status == "offered", HelpRequest.id.in_(last_sent))
        .order_by(HelpRequest.id)
    ).all()
    return [request for request in stale if _return(session, request, now)]


def expire_offers(session: Session, due: Sequence[deadlines.Due], now: datetime) -> None:
    """The scheduler's handler for OFFER_EXPIRES: requests still waiting for an answer go
    back to the coordinator. One taken or answered meanwhile is left as it is (the return is
    the conditional UPDATE of `_return`), so a deadline fired late or twice changes nothing."""
    for deadline in due:
        request = session.get(HelpRequest, deadline.subject_id)
        if request is not None:
            _return(session, request, now)


def waiting_offers(session: Session, request: HelpRequest) -> list[HelpOffer]:
    return list(_waiting_offers(session, request.id))


def offers_of(session: Session, request: HelpRequest) -> list[HelpOffer]:
    return list(
        session.scalars(
            select(HelpOffer).where(HelpOffer.request_id == request.id).order_by(HelpOffer.id)
        )
    )


def _waiting_offers(session: Session, request_id: int) -> Sequence[HelpOffer]:
    return session.scalars(
        select(HelpOffer).where(HelpOffer.request_id == request_id, HelpOffer.answer.is_(None))
    ).all()


def _return(session: Session, request: HelpRequest, now: datetime) -> bool:
    returned = (
        session.execute(
            update(HelpRequest)
            .where(
                HelpRequest.id == request.id,
                HelpRequest.status == "offered",
                HelpRequest.taken_by_id.is_(None),
            )
            .values(status="returned", updated_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    if returned:
        waiting = [o.id for o in _waiting_offers(session, request.id)]
        _answer(session, waiting, "too_late", now)
        deadlines.cancel(session, _offer_key(request.id))
    session.refresh(request)
    return returned


def _answer(session: Session, offer_ids: list[int], answer: str, now: datetime) -> int:
    """Answer the offers still waiting among these; how many were."""
    if not offer_ids:
        return 0
    return session.execute(
        update(HelpOffer)
        .where(HelpOffer.id.in_(offer_ids), HelpOffer.answer.is_(None))
        .values(answer=answer, answered_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
