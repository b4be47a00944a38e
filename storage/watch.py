"""Watch-over storage: enrolments and their schedules, invitation codes, family links, rounds.

Times of day are the town's (Asia/Tokyo); every stored time is UTC. What a step says to
people lives in flows/; this module only keeps the records and their deadlines right.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from sqlalchemy import ColumnElement, Integer, String, case, cast, func, insert, literal, select
from sqlalchemy.orm import Session

from locales import TOWN_TZ, start_of_town_day, town_date
from storage import deadlines, routing
from storage.deadlines import Due
from storage.models import (
    OPEN_ROUND_STATES,
    WAITING_ROUND_STATES,
    CheckinRound,
    Consent,
    Deadline,
    Resident,
    Staff,
    Ticket,
    WatchCodeAttempt,
    WatchEnrolment,
    WatchFamilyLink,
    WatchInvitation,
)
from storage.sql import among
from storage.types import UTCDateTime

CONSENT_VERSION = "watch-2026-01"
# The deadline kinds of watch-over, as the scheduler's handlers are keyed.
ROUND, REMIND, ESCALATE, RESUME, WEEKLY = (
    "watch.round",
    "watch.remind",
    "watch.escalate",
    "watch.resume",
    "watch.weekly",
)
INVITATION_LIFETIME = timedelta(days=3)
# Wrong codes a person may type in a day before we stop trying: codes are 6 digits, and the
# resident's yes is the real guard, but guessing should stay slow.
MAX_CODE_ATTEMPTS = 5
# Check-ins go out between these hours of the town's day, never at night.
EARLIEST, LATEST = time(5, 0), time(22, 0)


@dataclass(frozen=True)
class Schedule:
    """When check-ins go out: how often, at what time, on which weekdays (Monday = 0)."""

    frequency: str = "daily"
    time_of_day: str = "08:00"
    weekdays: tuple[int, ...] = field(default_factory=tuple)
    anchor: date | None = None

    def __post_init__(self) -> None:
        hour, minute = parse_time_of_day(self.time_of_day)
        if not EARLIEST <= time(hour, minute) <= LATEST:
            raise ValueError("check-ins go out between 5:00 and 22:00")
        wanted = {"twice_weekly": 2, "weekly": 1}.get(self.frequency)
        if self.frequency not in ("daily", "every2", "twice_weekly", "weekly"):
            raise ValueError(f"unknown frequency {self.frequency!r}")
        if wanted is not None and len(set(self.weekdays)) != wanted:
            raise ValueError(f"{self.frequency} needs {wanted} weekday(s)")
        if any(day not in range(7) for day in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")

    @classmethod
    def of(cls, enrolment: WatchEnrolment) -> Schedule:
        return cls(
            frequency=enrolment.frequency,
            time_of_day=enrolment.time_of_day,
            weekdays=tuple(enrolment.weekdays or ()),
            anchor=enrolment.anchor_date,
        )

    def falls_on(self, day: date) -> bool:
        if self.frequency == "daily":
            return True
        if self.frequency == "every2":
            return (day - (self.anchor or day)).days % 2 == 0
        return day.weekday() in self.weekdays

    def next_due(self, after: datetime) -> datetime:
        """The first scheduled time strictly after `after`."""
        hour, minute = parse_time_of_day(self.time_of_day)
        local = after.astimezone(TOWN_TZ)
        for offset in range(0, 16):
            day = local.date() + timedelta(days=offset)
            if not self.falls_on(day):
                continue
            due = datetime.combine(day, time(hour, minute), TOWN_TZ)
            if due > after:
                return due.astimezone(after.tzinfo)
        raise AssertionError("a schedule falls at least once a fortnight")


def parse_time_of_day(text: str) -> tuple[int, int]:
    hour, minute = text.split(":")
    return int(hour), int(minute)


# Deadline keys: one recurring row per enrolment, one step row per round.
def round_key(enrolment_id: int) -> str:
    return f"{ROUND}:{enrolment_id}"


STEP_PREFIX = "watch.step:"


def step_key(round_id: int) -> str:
    return f"{STEP_PREFIX}{round_id}"


def resume_key(enrolment_id: int) -> str:
    return f"{RESUME}:{enrolment_id}"


def weekly_key(link_id: int) -> str:
    return f"{WEEKLY}:{link_id}"


# Enrolments.


def staff_may_see(staff: Staff) -> bool:
    """Whether `staff` may see and change residents' enrolments: an active admin, or a member of
    the watch-over team, the team every watch-over ticket is filed with."""
    if not staff.active:
        return False
    return staff.role == "admin" or any(team.slug == routing.WATCH_TEAM for team in staff.teams)


def enrolment_of(
    session: Session, resident: Resident, *, lock: bool = False
) -> WatchEnrolment | None:
    statement = select(WatchEnrolment).where(WatchEnrolment.resident_id == resident.id)
    if lock:
        statement = statement.with_for_update()
    return session.scalar(statement)


def running_enrolment(
    session: Session, resident: Resident, *, lock: bool = False
) -> WatchEnrolment | None:
    """The resident's enrolment unless they never enrolled or stopped."""
    enrolment = enrolment_of(session, resident, lock=lock)
    return enrolment if enrolment is not None and enrolment.is_running else None


def record_consent(session: Session, resident: Resident, given: bool, now: datetime) -> Consent:
    consent = Consent(
        resident_id=resident.id, purpose="watch", version=CONSENT_VERSION, given=given, at=now
    )
    session.add(consent)
    return consent


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


# Rounds.


def out_by(now: datetime) -> ColumnElement[bool]:
    """Rounds whose check-in has gone out by `now`: one made ahead waits for its time."""
    return CheckinRound.sent_at.is_(None) | (CheckinRound.sent_at <= now)


def is_out(row: CheckinRound, now: datetime) -> bool:
    """`out_by` for a round in hand."""
    return row.sent_at is None or row.sent_at <= now


def open_round(session: Session, enrolment: WatchEnrolment, now: datetime) -> CheckinRound | None:
    """The newest round still waiting for an answer or a resolution, locked for this step."""
    return session.scalar(
        select(CheckinRound)
        .where(
            CheckinRound.enrolment_id == enrolment.id,
            CheckinRound.state.in_(OPEN_ROUND_STATES),
            out_by(now),
        )
        .order_by(CheckinRound.due_at.desc())
        .limit(1)
        .with_for_update()
    )


def latest_round(session: Session, enrolment: WatchEnrolment) -> CheckinRound | None:
    return session.scalar(
        select(CheckinRound)
        .where(CheckinRound.enrolment_id == enrolment.id, CheckinRound.state != "skipped")
        .order_by(CheckinRound.due_at.desc())
        .limit(1)
    )


def rounds_of(session: Session, enrolment: WatchEnrolment, limit: int = 30) -> list[CheckinRound]:
    return list(
        session.scalars(
            select(CheckinRound)
            .where(CheckinRound.enrolment_id == enrolment.id)
            .order_by(CheckinRound.due_at.desc())
            .limit(limit)
        )
    )


def rounds_since(
    session: Session, enrolment: WatchEnrolment, since: datetime
) -> list[CheckinRound]:
    return list(
        session.scalars(
            select(CheckinRound)
            .where(CheckinRound.enrolment_id == enrolment.id, CheckinRound.due_at >= since)
            .order_by(CheckinRound.due_at)
        )
    )


class DueCheckins(NamedTuple):
    """Check-ins of a batch that share everything their fate and their next time depend on.

    Thousands of residents share a schedule, so a batch of 500 comes back as a handful of
    these: deciding and writing per group instead of per row is what lets 100,000 check-ins
    due at 8:00 leave within seconds.
    """

    due_at: datetime
    status: str
    frequency: str
    time_of_day: str
    # As stored (JSON text): only a schedule being worked out needs the list.
    weekdays: str
    # Every other day only: the day the count starts from.
    anchor_date: date | None
    remind_after_s: int | None
    escalate_after_s: int | None
    language: str
    following: bool
    # The enrolment's last check-in still waits for an answer (with its own reminder coming).
    waiting: bool
    # A round for this scheduled time exists already (the schedule was moved back onto it).
    made: bool
    deadline_ids: list[int]
    line_user_ids: list[str]

    def schedule(self) -> Schedule:
        weekdays = tuple(json.loads(self.weekdays or "[]"))
        return Schedule(self.frequency, self.time_of_day, weekdays, self.anchor_date)


def due_checkins(session: Session, due: list[Due]) -> list[DueCheckins]:
    """The enrolments behind a batch of due check-in deadlines, grouped by what they share.

    Enrolments, and their rounds, are picked by the enrolments' own ids as well as by the
    join: joined only, PostgreSQL may rather scan every enrolment, or every round, than look
    500 up.
    """
    enrolment_ids = [deadline.subject_id for deadline in due]
    theirs = among(session, CheckinRound.enrolment_id, enrolment_ids)
    waiting = (
        select(CheckinRound.id)
        .where(
            theirs,
            CheckinRound.enrolment_id == WatchEnrolment.id,
            CheckinRound.state.in_(WAITING_ROUND_STATES),
        )
        .exists()
    )
    made = (
        select(CheckinRound.id)
        .where(
            theirs,
            CheckinRound.enrolment_id == WatchEnrolment.id,
            CheckinRound.due_at == Deadline.due_at,
        )
        .exists()
    )
    each = (
        select(
            Deadline.due_at,
            WatchEnrolment.status,
            WatchEnrolment.frequency,
            WatchEnrolment.time_of_day,
            cast(WatchEnrolment.weekdays, String).label("weekdays"),
            case((WatchEnrolment.frequency == "every2", WatchEnrolment.anchor_date)).label(
                "anchor_date"
            ),
            WatchEnrolment.remind_after_s,
            WatchEnrolment.escalate_after_s,
            Resident.language,
            Resident.following,
            waiting.label("waiting"),
            made.label("made"),
            cast(Deadline.id, String).label("deadline_id"),
            Resident.line_user_id,
        )
        .join(WatchEnrolment, WatchEnrolment.id == Deadline.subject_id)
        .join(Resident, Resident.id == WatchEnrolment.resident_id)
        .where(
            among(session, Deadline.id, [deadline.id for deadline in due]),
            among(session, WatchEnrolment.id, enrolment_ids),
        )
        # A pause or a stop being saved right now waits for this batch, or this one for it.
        # (SQLite's writer holds the only lock there is already.)
        .with_for_update(of=WatchEnrolment)
        .subquery()
    )
    shared = [column for column in each.c if column.key not in ("deadline_id", "line_user_id")]
    rows = session.execute(
        select(
            *shared,
            func.aggregate_strings(each.c.deadline_id, ","),
            func.aggregate_strings(each.c.line_user_id, ","),
        )
        .group_by(*shared)
        .order_by(each.c.due_at)
    )
    return [
        DueCheckins(*row[:-2], [int(i) for i in row[-2].split(",")], row[-1].split(","))
        for row in rows
    ]


def make_rounds(
    session: Session,
    deadline_ids: list[int],
    *,
    state: str,
    sent_at: datetime | None,
    skip_reason: str | None,
    now: datetime,
) -> list[int]:
    """One round per check-in deadline, all in the same state, written by one INSERT … SELECT;
    returns the new rounds' ids.

    The rows never travel through Python: 100,000 check-ins due at 8:00 cost a few statements
    per 500 instead of a row each.
    """
    return list(
        session.scalars(
            insert(CheckinRound)
            .from_select(
                ["enrolment_id", "due_at", "state", "sent_at", "skip_reason", "created_at"],
                select(
                    Deadline.subject_id,
                    Deadline.due_at,
                    literal(state, String),
                    literal(sent_at, UTCDateTime),
                    literal(skip_reason, String),
                    literal(now, UTCDateTime),
                ).where(among(session, Deadline.id, deadline_ids)),
            )
            .returning(CheckinRound.id)
        )
    )


def schedule_reminders(
    session: Session, round_ids: list[int], due_at: datetime, now: datetime
) -> None:
    """The reminder of each of these new rounds, due at `due_at`, in one INSERT … SELECT."""
    session.execute(
        insert(Deadline).from_select(
            ["kind", "subject_id", "key", "due_at", "status", "attempts", "created_at"],
            select(
                literal(REMIND, String),
                CheckinRound.id,
                literal(STEP_PREFIX, String) + cast(CheckinRound.id, String),
                literal(due_at, UTCDateTime),
                literal(deadlines.PENDING, String),
                literal(0, Integer),
                literal(now, UTCDateTime),
            ).where(among(session, CheckinRound.id, round_ids)),
        )
    )


def lock_round(session: Session, round_id: int) -> CheckinRound | None:
    return session.scalar(
        select(CheckinRound)
        .where(CheckinRound.id == round_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def open_rounds(
    session: Session, enrolment: WatchEnrolment, now: datetime, *, unsent: bool = False
) -> list[CheckinRound]:
    """Rounds still waiting or alarmed, newest first, locked for this step; with `unsent`,
    also a round made ahead whose check-in has not gone out yet (otherwise it is not open:
    nobody has been asked)."""
    statement = select(CheckinRound).where(
        CheckinRound.enrolment_id == enrolment.id,
        CheckinRound.state.in_(OPEN_ROUND_STATES),
    )
    if not unsent:
        statement = statement.where(out_by(now))
    return list(session.scalars(statement.order_by(CheckinRound.due_at.desc()).with_for_update()))


def lock_enrolment(session: Session, enrolment_id: int) -> WatchEnrolment | None:
    return session.get(WatchEnrolment, enrolment_id, with_for_update=True)


def family_link(session: Session, link_id: int) -> WatchFamilyLink | None:
    return session.get(WatchFamilyLink, link_id)


def round_ticket(session: Session, row: CheckinRound | None) -> Ticket | None:
    """The ticket a round's alarm opened, if it did."""
    if row is None or row.ticket_id is None:
        return None
    return session.get(Ticket, row.ticket_id)


# Invitation codes and family links.


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
