"""生活応援隊 after a request is taken: the reminder the day before, the supporter's report
(done, how long; or not done, and why), the person helped's one-tap word on it, and the
counts the council reports.

Rules every function here keeps:
- Both steps after taking (the reminder, the question for the report) are deadline rows
  written in the accepting transaction, so a process killed meanwhile loses neither, and
  each is keyed by the request, so a second accept (a repeat tap) re-arms rather than adds.
- A report is one conditional UPDATE (… WHERE status = 'taken' AND taken_by_id = the
  supporter): a repeated tap, or a supporter who no longer has the request, changes nothing.
- The person helped answers once; a second tap changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from locales import start_of_town_day, town_date
from storage import deadlines
from storage.models import (
    FEEDBACK,
    HELP_MINUTES,
    NOT_DONE_REASONS,
    HelpOffer,
    HelpRequest,
    Resident,
)

# The deadline kinds: the day-before reminder, and asking the supporter how it went.
REMIND = "supporters.remind"
ASK_REPORT = "supporters.ask_report"
# The reminder goes the evening before: late enough to be about tomorrow, early enough to
# call and move it.
REMIND_AT = time(18, 0)
# Taken less than this before the reminder's time, there is nothing to remind of.
REMIND_IF_AHEAD = timedelta(hours=2)
# With no end given, asked this long after the start.
ASK_AFTER_START = timedelta(hours=2)

ReportOutcome = Literal["recorded", "already", "not_yours"]


def plan_visit(session: Session, request: HelpRequest, now: datetime) -> None:
    """Once a supporter has taken `request`: the reminder for the evening before (unless that
    has passed or is too near) and the question about how it went."""
    day_before = town_date(request.wanted_from) - timedelta(days=1)
    remind_at = start_of_town_day(day_before) + timedelta(
        hours=REMIND_AT.hour, minutes=REMIND_AT.minute
    )
    if remind_at - now >= REMIND_IF_AHEAD:
        deadlines.schedule(
            session,
            kind=REMIND,
            subject_id=request.id,
            due_at=remind_at,
            key=_key(REMIND, request.id),
            now=now,
        )
    ask_at = request.wanted_until or request.wanted_from + ASK_AFTER_START
    deadlines.schedule(
        session,
        kind=ASK_REPORT,
        subject_id=request.id,
        due_at=max(ask_at, now),
        key=_key(ASK_REPORT, request.id),
        now=now,
    )


def still_taken(session: Session, request_id: int) -> HelpRequest | None:
    """The request if a supporter still has it (not done, returned, cancelled or left)."""
    request = session.get(HelpRequest, request_id)
    if request is None or request.status != "taken" or request.taken_by_id is None:
        return None
    return request


def taken_by_resident(session: Session, request_id: int, resident: Resident) -> HelpRequest | None:
    """The request if it was taken by the supporter who is this resident (their report)."""
    request = session.get(HelpRequest, request_id)
    if request is None or request.taken_by is None:
        return None
    return request if request.taken_by.resident_id == resident.id else None


def helped_resident(session: Session, request_id: int, resident: Resident) -> HelpRequest | None:
    """The request if this resident is the person it helped (their word on it)."""
    request = session.get(HelpRequest, request_id)
    return request if request is not None and request.resident_id == resident.id else None


def report_done(
    session: Session, request: HelpRequest, minutes: int, now: datetime
) -> ReportOutcome:
    """完了, with about how long it took (one of HELP_MINUTES)."""
    if minutes not in dict(HELP_MINUTES):
        raise ValueError(f"not a choice of time: {minutes}")
    return _report(session, request, now, status="done", minutes=minutes)


def report_not_done(
    session: Session, request: HelpRequest, reason: str, now: datetime
) -> ReportOutcome:
    """できなかった, with why (one of NOT_DONE_REASONS): the coordinator follows it up."""
    if reason not in dict(NOT_DONE_REASONS):
        raise ValueError(f"not a reason: {reason}")
    return _report(session, request, now, status="failed", not_done_reason=reason)


def give_feedback(session: Session, request: HelpRequest, answer: str, now: datetime) -> bool:
    """The person helped's word (one of FEEDBACK) on help done; False if given already."""
    if answer not in dict(FEEDBACK):
        raise ValueError(f"not an answer: {answer}")
    moved = session.execute(
        update(HelpRequest)
        .where(
            HelpRequest.id == request.id,
            HelpRequest.status == "done",
            HelpRequest.feedback.is_(None),
        )
        .values(feedback=answer, feedback_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(request)
    return moved == 1


@dataclass(frozen=True)
class Summary:
    """生活応援隊 in a period, by when the help was reported."""

    done: int
    not_done: int
    minutes: int
    helped_people: int
    supporters: int
    feedback: dict[str, int]

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def summary(session: Session, start: datetime, end: datetime) -> Summary:
    """Help reported in [start, end): how many done and not, hours given, how many people
    were helped and by how many supporters, and what the people helped said."""
    in_period = (HelpRequest.reported_at >= start, HelpRequest.reported_at < end)
    row = session.execute(
        select(
            func.count().filter(HelpRequest.status == "done"),
            func.count().filter(HelpRequest.status == "failed"),
            func.coalesce(func.sum(HelpRequest.minutes).filter(HelpRequest.status == "done"), 0),
            func.count(func.distinct(HelpRequest.resident_id)).filter(HelpRequest.status == "done"),
            func.count(func.distinct(HelpRequest.taken_by_id)).filter(HelpRequest.status == "done"),
        ).where(*in_period)
    ).one()
    said = dict(
        session.execute(
            select(HelpRequest.feedback, func.count())
            .where(*in_period, HelpRequest.feedback.is_not(None))
            .group_by(HelpRequest.feedback)
        ).all()
    )
    return Summary(
        done=int(row[0]),
        not_done=int(row[1]),
        minutes=int(row[2]),
        helped_people=int(row[3]),
        supporters=int(row[4]),
        feedback={code: int(said.get(code, 0)) for code, _label in FEEDBACK},
    )


def offers_to(session: Session, supporter_id: int, limit: int) -> list[HelpOffer]:
    """The requests offered to a supporter, with their answers: the newest offer first, at
    most `limit` of them, each with its request loaded (a supporter's history)."""
    return list(
        session.scalars(
            select(HelpOffer)
            .options(selectinload(HelpOffer.request))
            .where(HelpOffer.supporter_id == supporter_id)
            .order_by(HelpOffer.sent_at.desc(), HelpOffer.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class Helped:
    """What one supporter took on: requests taken, of them done, and the minutes given."""

    taken: int
    done: int
    minutes: int

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 1)


def helped_by(session: Session, supporter_id: int, since: datetime | None = None) -> Helped:
    """The requests the supporter still holds as taken (taken, done or could not be done),
    those taken at or after `since` if given; how many were done and in how many minutes."""
    conditions = [HelpRequest.taken_by_id == supporter_id]
    if since is not None:
        conditions.append(HelpRequest.taken_at >= since)
    row = session.execute(
        select(
            func.count(),
            func.count().filter(HelpRequest.status == "done"),
            func.coalesce(func.sum(HelpRequest.minutes).filter(HelpRequest.status == "done"), 0),
        ).where(*conditions)
    ).one()
    return Helped(taken=int(row[0]), done=int(row[1]), minutes=int(row[2]))


def _report(
    session: Session, request: HelpRequest, now: datetime, **values: object
) -> ReportOutcome:
    supporter_id = request.taken_by_id
    if supporter_id is None:
        return "not_yours"
    moved = session.execute(
        update(HelpRequest)
        .where(
            HelpRequest.id == request.id,
            HelpRequest.status == "taken",
            HelpRequest.taken_by_id == supporter_id,
        )
        .values(reported_at=now, updated_at=now, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.refresh(request)
    if moved == 1:
        deadlines.cancel(session, _key(ASK_REPORT, request.id))
        return "recorded"
    return "already" if request.status in ("done", "failed") else "not_yours"


def _key(kind: str, request_id: int) -> str:
    return f"{kind}:{request_id}"
