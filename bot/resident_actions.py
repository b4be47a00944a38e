"""The console's staff actions on a resident's watch-over (console.context.ResidentActions),
run as the check-in flow's steps: the console may not import flows, so the app hands it these.

They are the steps the resident's own taps run (flows/watch/checkin.py), done "by staff":
nobody in LINE made the change, so the resident and their family are told it came from the
council.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from flows.watch import checkin
from storage.models import CheckinRound, Staff, WatchEnrolment
from storage.watch.schedules import Schedule


class WatchActions:
    def reschedule_watch(
        self,
        session: Session,
        enrolment: WatchEnrolment,
        schedule: Schedule,
        wait_s: int | None,
        now: datetime,
    ) -> datetime:
        return checkin.reschedule(checkin.Step(session, now), enrolment, schedule, wait_s)

    def pause_watch(
        self, session: Session, enrolment: WatchEnrolment, until: date, now: datetime
    ) -> None:
        checkin.pause(checkin.Step(session, now), enrolment, until, "staff", None)

    def resume_watch(self, session: Session, enrolment: WatchEnrolment, now: datetime) -> None:
        checkin.resume(checkin.Step(session, now), enrolment, "staff", None)

    def settle_round(
        self,
        session: Session,
        row: CheckinRound,
        now: datetime,
        *,
        how: str,
        staff: Staff,
        note: str,
    ) -> bool:
        return checkin.record_outcome(session, row, now, how=how, staff=staff, note=note)
