"""Check-in rounds: the rounds due in a sweep, made ahead in bulk, and each one's reminder,
lock and ticket. The round machine that moves them is flows/watch/checkin.py.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, Integer, String, case, cast, func, insert, literal, select
from sqlalchemy.orm import Session

from storage import deadlines
from storage.deadlines import Due
from storage.models import (
    OPEN_ROUND_STATES,
    WAITING_ROUND_STATES,
    CheckinRound,
    Deadline,
    Resident,
    Ticket,
    WatchEnrolment,
)
from storage.sql import among
from storage.types import UTCDateTime
from storage.watch.schedules import REMIND, STEP_PREFIX, Schedule


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


def latest_rounds(session: Session, enrolment_ids: list[int]) -> dict[int, CheckinRound]:
    """`latest_round` of each of these enrolments that has one, in one query."""
    latest_due = (
        select(CheckinRound.enrolment_id, func.max(CheckinRound.due_at).label("due"))
        .where(CheckinRound.enrolment_id.in_(enrolment_ids), CheckinRound.state != "skipped")
        .group_by(CheckinRound.enrolment_id)
        .subquery()
    )
    rows = session.scalars(
        select(CheckinRound).join(
            latest_due,
            (CheckinRound.enrolment_id == latest_due.c.enrolment_id)
            & (CheckinRound.due_at == latest_due.c.due),
        )
    )
    return {row.enrolment_id: row for row in rows}


def raised_alarms(session: Session, enrolment_ids: list[int]) -> dict[int, CheckinRound]:
    """Per enrolment with an alarm raised and not settled, its most recently raised one."""
    rows = session.scalars(
        select(CheckinRound)
        .where(CheckinRound.enrolment_id.in_(enrolment_ids), CheckinRound.state == "escalated")
        .order_by(CheckinRound.escalated_at)
    )
    # Later rows overwrite earlier ones: the newest alarm stands for the enrolment.
    return {row.enrolment_id: row for row in rows}


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


def round_ticket(session: Session, row: CheckinRound | None) -> Ticket | None:
    """The ticket a round's alarm opened, if it did."""
    if row is None or row.ticket_id is None:
        return None
    return session.get(Ticket, row.ticket_id)
