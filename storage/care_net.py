"""ケアネット: the two or three neighbours who look in on a watch-over resident.

Rules every function here keeps:
- A neighbour is an active 生活応援隊 supporter other than the resident themself, and is
  linked only with the resident's consent, recorded by the staff member who links them.
- A resident has at most MAX_NEIGHBOURS linked at a time. Linking locks the enrolment row
  first, so two staff linking at once count each other's links instead of both passing.
- Every link and unlink is audited in the same transaction as the change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, selectinload

from locales import N_
from storage import audit
from storage.models import CareNetLink, Resident, Staff, Supporter, WatchEnrolment
from storage.refusals import Conflict, Refused
from storage.watch import enrolments

MAX_NEIGHBOURS = 3
# When the check-in round asks the neighbours (MADOGUCHI_CARE_NET): with the reminder, so
# before the family hear; at the escalation, beside the family; or never.
BEFORE, BESIDE, OFF = "before", "beside", "off"
MODES = (BEFORE, BESIDE, OFF)
# A neighbour's answer to being asked (CareNetLink.answer): 見てきます, 今は無理; then, after
# 見てきます, what they told us (REPORTED) or that we told them it is no longer needed.
GOING, NOT_NOW, REPORTED, STOOD_DOWN = "go", "no", "told", "off"
# How long after 見てきます what the neighbour types is taken as their report on the visit,
# and how long after a report a further message is taken as more of it.
REPORT_WINDOW = timedelta(hours=6)
FOLLOW_UP_WINDOW = timedelta(minutes=15)


def links_of(session: Session, enrolment: WatchEnrolment) -> list[CareNetLink]:
    """The links in force, in position order, whatever their supporter's status now."""
    return list(
        session.scalars(
            select(CareNetLink)
            .options(selectinload(CareNetLink.supporter).selectinload(Supporter.resident))
            .where(CareNetLink.enrolment_id == enrolment.id, CareNetLink.ended_at.is_(None))
            .order_by(CareNetLink.position, CareNetLink.id)
        )
    )


def link_of(session: Session, enrolment_id: int, resident: Resident) -> CareNetLink | None:
    """`resident`'s link in force to the enrolment, if they are one of its neighbours."""
    return session.scalars(
        select(CareNetLink)
        .join(Supporter, Supporter.id == CareNetLink.supporter_id)
        .where(
            CareNetLink.enrolment_id == enrolment_id,
            CareNetLink.ended_at.is_(None),
            Supporter.resident_id == resident.id,
        )
    ).first()


def links_to_ask(session: Session, enrolment: WatchEnrolment) -> list[CareNetLink]:
    """The links whose neighbour is asked: in force, to a supporter still active (a paused
    one is not asked)."""
    return [link for link in links_of(session, enrolment) if link.supporter.status == "active"]


def mark_asked(link: CareNetLink, round_id: int) -> None:
    link.asked_round_id = round_id
    link.answer = None
    link.answered_at = None


def record_answer(link: CareNetLink, round_id: int, given: str, now: datetime) -> bool:
    """Keep the neighbour's answer to the round; False when it says nothing new (the same
    button tapped again, or 見てきます after their report), so that it is noted once."""
    if link.asked_round_id == round_id and (
        link.answer == given or (given == GOING and link.answer == REPORTED)
    ):
        return False
    link.asked_round_id = round_id
    link.answer = given
    link.answered_at = now
    return True


# Built once: every text message anyone sends is checked against it (handlers/watch.py), and
# building the statement cost more than running it.
_REPORTING = (
    select(CareNetLink)
    .join(Supporter, Supporter.id == CareNetLink.supporter_id)
    .where(
        Supporter.resident_id == bindparam("resident_id"),
        CareNetLink.ended_at.is_(None),
        CareNetLink.asked_round_id.is_not(None),
        CareNetLink.answer.in_((GOING, REPORTED)),
    )
    .order_by(CareNetLink.answered_at.desc())
)


def reporting_link(session: Session, neighbour: Resident, now: datetime) -> CareNetLink | None:
    """The link whose round `neighbour` is reporting on, if what they type now is their report:
    within REPORT_WINDOW of saying 見てきます, or FOLLOW_UP_WINDOW of their last report."""
    for row in session.scalars(_REPORTING, {"resident_id": neighbour.id}):
        window = REPORT_WINDOW if row.answer == GOING else FOLLOW_UP_WINDOW
        if row.answered_at is not None and now - row.answered_at <= window:
            return row
    return None


def asked_about(session: Session, round_id: int) -> list[CareNetLink]:
    """The links whose neighbour was asked about the round and has not said 今は無理 or been
    told already: those to tell that it is no longer needed."""
    return list(
        session.scalars(
            select(CareNetLink)
            .options(selectinload(CareNetLink.supporter).selectinload(Supporter.resident))
            .where(
                CareNetLink.asked_round_id == round_id,
                CareNetLink.ended_at.is_(None),
                or_(CareNetLink.answer.is_(None), CareNetLink.answer.in_((GOING, REPORTED))),
            )
            .order_by(CareNetLink.position, CareNetLink.id)
        )
    )


def candidates(session: Session, enrolment: WatchEnrolment) -> list[Supporter]:
    """Active supporters who could be linked: not the resident, not linked already."""
    linked = {link.supporter_id for link in links_of(session, enrolment)}
    return [
        supporter
        for supporter in session.scalars(
            select(Supporter)
            .options(selectinload(Supporter.resident))
            .where(Supporter.status == "active", Supporter.resident_id != enrolment.resident_id)
            .order_by(Supporter.id)
        )
        if supporter.id not in linked
    ]


def link(
    session: Session,
    enrolment_id: int,
    supporter: Supporter,
    staff: Staff,
    now: datetime,
    *,
    consent: bool,
    ip: str | None = None,
) -> CareNetLink:
    """Link `supporter` to the resident; refused without consent, past the limit, or for a
    supporter who is not active or is the resident."""
    if not consent:
        raise Refused(N_("Linking a neighbour needs the resident's consent."), field="consent")
    enrolment = enrolments.lock_enrolment(session, enrolment_id)
    if enrolment is None or not enrolment.is_running:
        raise Refused(N_("This resident is no longer enrolled in watch-over."))
    if supporter.status != "active":
        raise Refused(N_("Only an active supporter can be linked."), field="supporter")
    if supporter.resident_id == enrolment.resident_id:
        raise Refused(N_("The resident cannot be their own neighbour."), field="supporter")
    current = links_of(session, enrolment)
    if any(existing.supporter_id == supporter.id for existing in current):
        raise Conflict(N_("This neighbour is linked already."))
    if len(current) >= MAX_NEIGHBOURS:
        raise Conflict(
            N_("A resident has at most {count} neighbours linked."), count=MAX_NEIGHBOURS
        )
    taken = {existing.position for existing in current}
    row = CareNetLink(
        enrolment_id=enrolment.id,
        supporter_id=supporter.id,
        position=min(set(range(1, MAX_NEIGHBOURS + 1)) - taken),
        consent_recorded_by_id=staff.id,
        consent_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    _audit(session, "care_net.link", now, staff, row, ip)
    return row


def unlink(
    session: Session,
    enrolment_id: int,
    link_id: int,
    staff: Staff,
    now: datetime,
    *,
    ip: str | None = None,
) -> bool:
    """End a link; False if it is not one of this resident's links in force."""
    row = session.get(CareNetLink, link_id, with_for_update=True)
    if row is None or row.enrolment_id != enrolment_id or row.ended_at is not None:
        return False
    row.ended_at = now
    _audit(session, "care_net.unlink", now, staff, row, ip)
    return True


def _audit(
    session: Session, action: str, now: datetime, staff: Staff, row: CareNetLink, ip: str | None
) -> None:
    audit.record(
        session,
        action,
        now,
        staff=staff,
        detail={"enrolment": row.enrolment_id, "supporter": row.supporter_id, "link": row.id},
        ip=ip,
    )
