"""ケアネット: the two or three neighbours who look in on a watch-over resident.

Rules every function here keeps:
- A neighbour is an active 生活応援隊 supporter other than the resident themself, and is
  linked only with the resident's consent, recorded by the staff member who links them.
- A resident has at most MAX_NEIGHBOURS linked at a time. Linking locks the enrolment row
  first, so two staff linking at once count each other's links instead of both passing.
- Every link and unlink is audited in the same transaction as the change.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
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


def neighbours_of(session: Session, enrolment: WatchEnrolment) -> list[Supporter]:
    """The neighbours to ask: linked, and still active supporters (a paused one is not asked)."""
    return [
        link.supporter for link in links_of(session, enrolment) if link.supporter.status == "active"
    ]


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
