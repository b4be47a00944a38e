"""Family links: the resident's invitation code, the attempts to type one, the link each way
(requested, confirmed, declined, unlinked) and its weekly summary.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage import deadlines
from storage.models import (
    Resident,
    WatchCodeAttempt,
    WatchEnrolment,
    WatchFamilyLink,
    WatchInvitation,
)
from storage.watch.schedules import WEEKLY, Schedule, weekly_key

INVITATION_LIFETIME = timedelta(days=3)
# Wrong codes a person may type in a day before we stop trying: codes are 6 digits, and the
# resident's yes is the real guard, but guessing should stay slow.
MAX_CODE_ATTEMPTS = 5


def family_link(session: Session, link_id: int) -> WatchFamilyLink | None:
    return session.get(WatchFamilyLink, link_id)


def new_invitation(session: Session, enrolment: WatchEnrolment, now: datetime) -> WatchInvitation:
    """A fresh 6-digit code (easy to read out on the phone), valid for three days."""
    for _ in range(20):
        code = f"{secrets.randbelow(1_000_000):06d}"
        taken = session.scalar(select(WatchInvitation).where(WatchInvitation.code == code))
        if taken is not None and taken.used_at is None and taken.expires_at > now:
            continue
        if taken is not None:
            # An expired or used code is free again; its row is no longer needed.
            session.delete(taken)
            session.flush()
        invitation = WatchInvitation(
            enrolment_id=enrolment.id,
            code=code,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        session.add(invitation)
        session.flush()
        return invitation
    raise RuntimeError("no free invitation code")


def live_invitation(
    session: Session, enrolment: WatchEnrolment, now: datetime
) -> WatchInvitation | None:
    return session.scalar(
        select(WatchInvitation)
        .where(
            WatchInvitation.enrolment_id == enrolment.id,
            WatchInvitation.used_at.is_(None),
            WatchInvitation.expires_at > now,
        )
        .order_by(WatchInvitation.id.desc())
        .limit(1)
    )


def invitation_by_code(session: Session, code: str, now: datetime) -> WatchInvitation | None:
    """The unused, unexpired invitation with this code, or None."""
    invitation = session.scalar(
        select(WatchInvitation).where(WatchInvitation.code == code).with_for_update()
    )
    if invitation is None or invitation.used_at is not None or invitation.expires_at <= now:
        return None
    return invitation


def code_attempts_left(session: Session, resident: Resident, now: datetime) -> int:
    wrong = session.scalar(
        select(func.count())
        .select_from(WatchCodeAttempt)
        .where(
            WatchCodeAttempt.resident_id == resident.id,
            WatchCodeAttempt.succeeded.is_(False),
            WatchCodeAttempt.at > now - timedelta(days=1),
        )
    )
    return max(0, MAX_CODE_ATTEMPTS - (wrong or 0))


def record_code_attempt(
    session: Session, resident: Resident, succeeded: bool, now: datetime
) -> None:
    session.add(WatchCodeAttempt(resident_id=resident.id, at=now, succeeded=succeeded))


def request_link(
    session: Session, invitation: WatchInvitation, family: Resident, now: datetime
) -> WatchFamilyLink:
    """Use the code: a pending link the resident must confirm."""
    invitation.used_at = now
    invitation.used_by_id = family.id
    link = session.scalar(
        select(WatchFamilyLink).where(
            WatchFamilyLink.enrolment_id == invitation.enrolment_id,
            WatchFamilyLink.family_id == family.id,
        )
    )
    if link is None:
        link = WatchFamilyLink(
            enrolment_id=invitation.enrolment_id, family_id=family.id, created_at=now
        )
        session.add(link)
    if link.status != "linked":
        link.status = "pending"
        link.ended_at = None
    session.flush()
    return link


def lock_link(session: Session, link_id: int) -> WatchFamilyLink | None:
    return session.scalar(
        select(WatchFamilyLink).where(WatchFamilyLink.id == link_id).with_for_update()
    )


def confirm_link(link: WatchFamilyLink, now: datetime) -> None:
    link.status = "linked"
    link.linked_at = now


def decline_link(link: WatchFamilyLink, now: datetime) -> None:
    link.status = "declined"
    link.ended_at = now


def unlink(session: Session, link: WatchFamilyLink, now: datetime) -> None:
    link.status = "unlinked"
    link.ended_at = now
    deadlines.cancel(session, weekly_key(link.id))


def set_summary(session: Session, link: WatchFamilyLink, summary: str, now: datetime) -> None:
    """How the family hears that all is well; weekly summaries go out on Sunday evenings."""
    if summary not in ("none", "daily", "weekly"):
        raise ValueError(f"unknown summary {summary!r}")
    link.summary = summary
    if summary == "weekly":
        deadlines.schedule(
            session,
            kind=WEEKLY,
            subject_id=link.id,
            due_at=next_weekly_summary(now),
            key=weekly_key(link.id),
            now=now,
        )
    else:
        deadlines.cancel(session, weekly_key(link.id))


def next_weekly_summary(after: datetime) -> datetime:
    """Sunday 18:00, town time, strictly after `after`."""
    return Schedule(frequency="weekly", time_of_day="18:00", weekdays=(6,)).next_due(after)


def family_links(
    session: Session, enrolment: WatchEnrolment, statuses: tuple[str, ...] = ("linked",)
) -> list[WatchFamilyLink]:
    return list(
        session.scalars(
            select(WatchFamilyLink)
            .where(
                WatchFamilyLink.enrolment_id == enrolment.id,
                WatchFamilyLink.status.in_(statuses),
            )
            .order_by(WatchFamilyLink.id)
        )
    )


def watched_by(session: Session, family: Resident) -> list[WatchFamilyLink]:
    """The links through which this person watches over someone (running enrolments only)."""
    return list(
        session.scalars(
            select(WatchFamilyLink)
            .join(WatchEnrolment, WatchEnrolment.id == WatchFamilyLink.enrolment_id)
            .where(
                WatchFamilyLink.family_id == family.id,
                WatchFamilyLink.status == "linked",
                WatchEnrolment.status != "ended",
            )
            .order_by(WatchFamilyLink.id)
        )
    )
