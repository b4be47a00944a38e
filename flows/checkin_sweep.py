"""The scheduler's handlers for watch-over deadlines: check-ins due, reminders, escalations,
pauses ending, weekly summaries. The scheduler has already marked each claimed deadline
fired in the same transaction; a handler re-arms the ones that come round again.

Check-ins come due by the thousand at 8:00, so their handler works in bulk: the enrolments
of a batch are read in one query, each new round goes through the machine's `send` or `skip`,
and rounds, next check-ins and reminders are written with one statement each. Identical
check-ins go out together: one multicast row per language and 500 people.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from transitions import EventData

from flows import watch_alerts as alerts
from flows import watch_words as words
from flows.checkin import WAITING, Step, Timings, fire, model_of
from storage import deadlines, outbox
from storage import watch as store
from storage.deadlines import Due
from storage.models import CheckinRound, Resident, WatchEnrolment, WatchFamilyLink
from storage.watch import ESCALATE, REMIND, RESUME, ROUND, WEEKLY, Schedule

Handler = Callable[[Session, list[Due], datetime], None]


@dataclass(frozen=True)
class Checkee:
    """An enrolment and its resident, as a check-in needs them: plain values read in bulk."""

    enrolment_id: int
    status: str
    frequency: str
    weekdays: tuple[int, ...]
    time_of_day: str
    anchor_date: date
    remind_after_s: int | None
    escalate_after_s: int | None
    line_user_id: str
    language: str
    following: bool

    def schedule(self) -> Schedule:
        return Schedule(self.frequency, self.time_of_day, self.weekdays, self.anchor_date)


@dataclass
class Draft:
    """A round being made: the machine's model holds it until it is written with the batch."""

    enrolment_id: int
    due_at: datetime
    created_at: datetime
    state: str = "due"
    sent_at: datetime | None = None
    skip_reason: str | None = None
    id: int | None = None

    def values(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "enrolment_id": self.enrolment_id,
            "due_at": self.due_at,
            "state": self.state,
            "sent_at": self.sent_at,
            "skip_reason": self.skip_reason,
            "created_at": self.created_at,
        }


class NewRound:
    """The machine's model for a round coming due: `send` it, or `skip` it with a reason."""

    def __init__(self, draft: Draft, who: Checkee, step: Step) -> None:
        self.row = draft
        self.who = who
        self.step = step

    @property
    def state(self) -> str:
        return self.row.state

    @state.setter
    def state(self, value: str) -> None:
        self.row.state = value

    def checkin_sent(self, event: EventData) -> None:
        self.row.sent_at = self.step.now
        self.step.checkins[self.who.language].append(self.who.line_user_id)

    def record_skip(self, event: EventData) -> None:
        self.row.skip_reason = event.kwargs["reason"]


def fire_rounds(session: Session, batch: list[Due], now: datetime, timings: Timings) -> None:
    """Make each due round, send it or skip it, and set the enrolment's next check-in."""
    step = Step(session, now, timings)
    ids = sorted({deadline.subject_id for deadline in batch})
    who = {checkee.enrolment_id: checkee for checkee in _checkees(session, ids)}
    waiting = _waiting(session, ids)
    made = _made(session, ids, {deadline.due_at for deadline in batch})
    next_due: dict[int, datetime] = {}
    drafts: list[Draft] = []
    for deadline in batch:
        checkee = who.get(deadline.subject_id)
        if checkee is None or checkee.status == "ended":
            continue  # stays fired: no more check-ins
        # The next one is set from this one's scheduled time, so no scheduled round is skipped
        # after a clock jump or an outage: each comes due in turn and is sent or recorded.
        next_due[deadline.id] = _next_after(checkee, deadline.due_at)
        if (checkee.enrolment_id, deadline.due_at) in made:
            continue  # made before (the schedule was moved back onto it): never twice
        draft = Draft(enrolment_id=checkee.enrolment_id, due_at=deadline.due_at, created_at=now)
        reason = _reason_to_skip(checkee, waiting)
        if reason:
            fire(NewRound(draft, checkee, step), "skip", reason=reason)
        else:
            fire(NewRound(draft, checkee, step), "send")
            waiting.add(checkee.enrolment_id)
        drafts.append(draft)
    deadlines.rearm_each(session, next_due, now)
    _write(session, drafts, who, step)


def _checkees(session: Session, ids: list[int]) -> list[Checkee]:
    rows = session.execute(
        select(
            WatchEnrolment.id,
            WatchEnrolment.status,
            WatchEnrolment.frequency,
            WatchEnrolment.weekdays,
            WatchEnrolment.time_of_day,
            WatchEnrolment.anchor_date,
            WatchEnrolment.remind_after_s,
            WatchEnrolment.escalate_after_s,
            Resident.line_user_id,
            Resident.language,
            Resident.following,
        )
        .join(Resident, Resident.id == WatchEnrolment.resident_id)
        .where(WatchEnrolment.id.in_(ids))
        # A pause or a stop being saved right now waits for this batch, or this one for it.
        .with_for_update(of=WatchEnrolment)
    )
    return [
        Checkee(
            enrolment_id=row[0],
            status=row[1],
            frequency=row[2],
            weekdays=tuple(row[3] or ()),
            time_of_day=row[4],
            anchor_date=row[5],
            remind_after_s=row[6],
            escalate_after_s=row[7],
            line_user_id=row[8],
            language=row[9],
            following=bool(row[10]),
        )
        for row in rows
    ]


def _waiting(session: Session, ids: list[int]) -> set[int]:
    """Enrolments whose last check-in still waits for an answer."""
    return set(
        session.scalars(
            select(CheckinRound.enrolment_id).where(
                CheckinRound.enrolment_id.in_(ids), CheckinRound.state.in_(WAITING)
            )
        )
    )


def _made(session: Session, ids: list[int], dues: set[datetime]) -> set[tuple[int, datetime]]:
    rows = session.execute(
        select(CheckinRound.enrolment_id, CheckinRound.due_at).where(
            CheckinRound.enrolment_id.in_(ids), CheckinRound.due_at.in_(dues)
        )
    )
    return {(enrolment_id, due) for enrolment_id, due in rows}


_NEXT: dict[tuple[Any, ...], datetime] = {}


def _next_after(checkee: Checkee, due: datetime) -> datetime:
    """The enrolment's next check-in after `due`; thousands share a schedule, so it is cached."""
    parity = (due.date() - checkee.anchor_date).days % 2 if checkee.frequency == "every2" else 0
    key = (checkee.frequency, checkee.time_of_day, checkee.weekdays, parity, due)
    found = _NEXT.get(key)
    if found is None:
        if len(_NEXT) > 10_000:
            _NEXT.clear()
        found = _NEXT[key] = checkee.schedule().next_due(due)
    return found


def _reason_to_skip(checkee: Checkee, waiting: set[int]) -> str | None:
    if checkee.status == "paused":
        return "paused"
    if not checkee.following:
        return "blocked"
    if checkee.enrolment_id in waiting:
        # The last check-in is still waiting for its answer and has its own reminder coming.
        return "open"
    return None


def _write(session: Session, drafts: list[Draft], who: dict[int, Checkee], step: Step) -> None:
    """The batch's rounds, their reminder deadlines and the multicast rows, in bulk."""
    for draft, round_id in zip(drafts, store.reserve_round_ids(session, len(drafts)), strict=True):
        draft.id = round_id
    store.insert_rounds(session, [draft.values() for draft in drafts])
    now, timings = step.now, step.timings
    deadlines.schedule_many(
        session,
        (
            {
                "kind": REMIND,
                "subject_id": draft.id,
                "key": store.step_key(draft.id),
                "due_at": now + timings.remind(who[draft.enrolment_id]),
            }
            for draft in drafts
            if draft.state == "sent" and draft.id is not None
        ),
        now,
    )
    for language, recipients in step.checkins.items():
        message = words.checkin(language)
        for start in range(0, len(recipients), outbox.MAX_MULTICAST_RECIPIENTS):
            chunk = recipients[start : start + outbox.MAX_MULTICAST_RECIPIENTS]
            outbox.enqueue_multicast(session, chunk, [message], now)


def fire_reminders(session: Session, batch: list[Due], now: datetime, timings: Timings) -> None:
    """The wait is over and no answer came: ask once more, and set the escalation."""
    step = Step(session, now, timings)
    for deadline in batch:
        row = store.lock_round(session, deadline.subject_id)
        if row is not None and fire(model_of(step, row), "remind"):
            escalate_at = now + timings.escalate(row.enrolment)
            deadlines.rearm(session, [deadline.id], escalate_at, now, kind=ESCALATE)


def fire_escalations(session: Session, batch: list[Due], now: datetime, timings: Timings) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        row = store.lock_round(session, deadline.subject_id)
        if row is not None:
            fire(model_of(step, row), "escalate")


def fire_resumes(session: Session, batch: list[Due], now: datetime, timings: Timings) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        enrolment = session.get(WatchEnrolment, deadline.subject_id, with_for_update=True)
        if enrolment is None or enrolment.status != "paused":
            continue
        store.resume(session, enrolment, now)
        alerts.tell_everyone(step, enrolment, alerts.resumed_words)


def fire_weekly_summaries(
    session: Session, batch: list[Due], now: datetime, timings: Timings
) -> None:
    step = Step(session, now, timings)
    for deadline in batch:
        link = session.get(WatchFamilyLink, deadline.subject_id)
        if link is None or link.status != "linked" or link.summary != "weekly":
            continue
        deadlines.rearm(session, [deadline.id], store.next_weekly_summary(deadline.due_at), now)
        if link.enrolment.is_running:
            step.tell(link.family, alerts.weekly_summary(step, link))


def handlers(timings: Timings) -> dict[str, Handler]:
    """The scheduler's handler per deadline kind, bound to the settings' waits."""
    table = {
        ROUND: fire_rounds,
        REMIND: fire_reminders,
        ESCALATE: fire_escalations,
        RESUME: fire_resumes,
        WEEKLY: fire_weekly_summaries,
    }
    return {kind: partial(handler, timings=timings) for kind, handler in table.items()}
