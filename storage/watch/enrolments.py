"""A resident's watch-over enrolment: consent, schedule, pause, resume and end.

Every stored time is UTC; what a step says to people lives in flows/watch/.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from locales import start_of_town_day, town_date
from storage import deadlines, residents, routing
from storage.models import (
    CheckinRound,
    Consent,
    Resident,
    Staff,
    WatchEnrolment,
)
from storage.watch.linking import family_links
from storage.watch.rounds import out_by
from storage.watch.schedules import RESUME, ROUND, Schedule, resume_key, round_key, weekly_key

CONSENT_VERSION = "watch-2026-01"
# Seconds to wait for each choice of wait (flows.watch.questions.WAITS, the console's form),
# before the reminder and again before alerting family; None follows the settings.
WAIT_SECONDS = {"standard": None, "short": 3600, "long": 6 * 3600}
# The longest pause, from the resident or staff: resuming falls within a year.
MAX_PAUSE = timedelta(days=366)


def staff_may_see(staff: Staff) -> bool:
    """Whether `staff` may see and change residents' enrolments: an active admin, or a member of
    the watch-over team, the team every watch-over ticket is filed with."""
    if not staff.active:
        return False
    return staff.role == "admin" or any(team.slug == routing.WATCH_TEAM for team in staff.teams)


# Built once: every message a resident sends asks whether they are watched over.
_ENROLMENT = select(WatchEnrolment).where(WatchEnrolment.resident_id == bindparam("resident"))
_LOCKED_ENROLMENT = _ENROLMENT.with_for_update()


def enrolment_of(
    session: Session, resident: Resident, *, lock: bool = False
) -> WatchEnrolment | None:
    return session.scalar(_LOCKED_ENROLMENT if lock else _ENROLMENT, {"resident": resident.id})


def by_id(session: Session, enrolment_id: int) -> WatchEnrolment | None:
    return session.get(WatchEnrolment, enrolment_id)


def not_ended(session: Session, limit: int) -> list[WatchEnrolment]:
    """Enrolments running or paused, oldest first, at most `limit` of them."""
    return list(
        session.scalars(
            select(WatchEnrolment)
            .where(WatchEnrolment.status != "ended")
            .order_by(WatchEnrolment.id)
            .limit(limit)
        )
    )


def enrollable(session: Session, name_part: str, limit: int = 20) -> list[Resident]:
    """Residents who follow the account, are not enrolled now and whose name holds `name_part`."""
    enrolled = select(WatchEnrolment.resident_id).where(WatchEnrolment.status != "ended")
    return list(
        session.scalars(
            select(Resident)
            .where(
                Resident.display_name.contains(name_part, autoescape=True),
                Resident.following.is_(True),
                Resident.id.not_in(enrolled),
            )
            .order_by(Resident.display_name)
            .limit(limit)
        )
    )


def running_enrolment(
    session: Session, resident: Resident, *, lock: bool = False
) -> WatchEnrolment | None:
    """The resident's enrolment unless they never enrolled or stopped."""
    enrolment = enrolment_of(session, resident, lock=lock)
    return enrolment if enrolment is not None and enrolment.is_running else None


def record_consent(session: Session, resident: Resident, given: bool, now: datetime) -> Consent:
    return residents.record_consent(session, resident, "watch", CONSENT_VERSION, given, now)


def enrol(
    session: Session,
    resident: Resident,
    schedule: Schedule,
    now: datetime,
    *,
    remind_after_s: int | None = None,
    escalate_after_s: int | None = None,
    by: str = "resident",
    staff: Staff | None = None,
) -> WatchEnrolment:
    """Enrol (or enrol again after stopping) and set the first check-in."""
    enrolment = enrolment_of(session, resident, lock=True)
    if enrolment is None:
        enrolment = WatchEnrolment(resident_id=resident.id, created_at=now)
        session.add(enrolment)
    enrolment.status = "active"
    enrolment.paused_until = None
    enrolment.paused_by = None
    enrolment.ended_at = None
    enrolment.consent_version = CONSENT_VERSION
    enrolment.enrolled_by = by
    enrolment.enrolled_by_staff_id = staff.id if staff else None
    set_schedule(session, enrolment, schedule, now, remind_after_s, escalate_after_s)
    return enrolment


def set_schedule(
    session: Session,
    enrolment: WatchEnrolment,
    schedule: Schedule,
    now: datetime,
    remind_after_s: int | None = None,
    escalate_after_s: int | None = None,
) -> datetime:
    """Store the schedule and move the next check-in to it; returns when that is."""
    enrolment.frequency = schedule.frequency
    enrolment.time_of_day = schedule.time_of_day
    enrolment.weekdays = sorted(set(schedule.weekdays))
    enrolment.anchor_date = schedule.anchor or town_date(now)
    enrolment.remind_after_s = remind_after_s
    enrolment.escalate_after_s = escalate_after_s
    enrolment.updated_at = now
    session.flush()
    due = Schedule.of(enrolment).next_due(now)
    deadlines.schedule(
        session,
        kind=ROUND,
        subject_id=enrolment.id,
        due_at=due,
        key=round_key(enrolment.id),
        now=now,
    )
    return due


def next_checkin(session: Session, enrolment: WatchEnrolment, now: datetime) -> datetime | None:
    """One made ahead and waiting for its time, else the next the schedule holds."""
    made_ahead = session.scalar(
        select(func.min(CheckinRound.sent_at)).where(
            CheckinRound.enrolment_id == enrolment.id,
            CheckinRound.state == "sent",
            ~out_by(now),
        )
    )
    if made_ahead is not None:
        return made_ahead
    found = deadlines.find(session, round_key(enrolment.id))
    if found is None or found.status != deadlines.PENDING:
        return None
    return found.due_at


def pause(
    session: Session, enrolment: WatchEnrolment, resume_on: date, by: str, now: datetime
) -> datetime:
    """Pause until the start of `resume_on` (town time); the resume is a deadline too."""
    resume_at = start_of_town_day(resume_on).astimezone(now.tzinfo)
    enrolment.status = "paused"
    enrolment.paused_until = resume_at
    enrolment.paused_by = by
    enrolment.updated_at = now
    deadlines.schedule(
        session,
        kind=RESUME,
        subject_id=enrolment.id,
        due_at=resume_at,
        key=resume_key(enrolment.id),
        now=now,
    )
    return resume_at


def resume(session: Session, enrolment: WatchEnrolment, now: datetime) -> None:
    enrolment.status = "active"
    enrolment.paused_until = None
    enrolment.paused_by = None
    enrolment.updated_at = now
    deadlines.cancel(session, resume_key(enrolment.id))


def end(session: Session, enrolment: WatchEnrolment, now: datetime) -> None:
    """Stop check-ins; the enrolment and its rounds stay as history."""
    enrolment.status = "ended"
    enrolment.ended_at = now
    enrolment.updated_at = now
    deadlines.cancel(session, round_key(enrolment.id))
    deadlines.cancel(session, resume_key(enrolment.id))
    for link in family_links(session, enrolment, statuses=("linked", "pending")):
        deadlines.cancel(session, weekly_key(link.id))


def note_sign_of_life(enrolment: WatchEnrolment, how: str, now: datetime) -> None:
    enrolment.last_sign_of_life_at = now
    enrolment.last_sign_of_life = how


def lock_enrolment(session: Session, enrolment_id: int) -> WatchEnrolment | None:
    return session.get(WatchEnrolment, enrolment_id, with_for_update=True)
