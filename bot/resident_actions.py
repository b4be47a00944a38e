"""The console's staff actions that reach a resident in LINE (console.context.ResidentActions),
run as the flows' own steps: the console may not import flows, so the app hands it these.

The watch-over ones are the steps the resident's own taps run (flows/watch/checkin.py), done
"by staff": nobody in LINE made the change, so the resident and their family are told it came
from the council. The 生活応援隊 ones send what the supporter flows send.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from flows import supporter_offers, supporter_signup
from flows.watch import checkin
from storage.models import (
    CheckinRound,
    HelpOffer,
    HelpRequest,
    Staff,
    Supporter,
    WatchEnrolment,
)
from storage.supporters import OFFER_WAIT
from storage.watch.schedules import Schedule


class ResidentActions:
    def __init__(self, offer_wait: timedelta = OFFER_WAIT) -> None:
        # How long a help request offered to supporters waits for one to take it, before it
        # goes back to the coordinator (MADOGUCHI_OFFER_WAIT).
        self.offer_wait = offer_wait

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

    def offer_help(
        self,
        session: Session,
        request: HelpRequest,
        volunteers: Sequence[Supporter],
        now: datetime,
    ) -> list[HelpOffer]:
        return supporter_offers.send(session, request, volunteers, now, self.offer_wait)

    def welcome_supporter(self, session: Session, supporter: Supporter, now: datetime) -> None:
        supporter_signup.tell_approved(session, supporter, now)
