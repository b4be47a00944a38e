"""What every console view needs: the app's services, the clock, and a unit of work.

The console is handed its services by the app that registers it (bot.app puts them in
`app.extensions["madoguchi"]`); it names here only what it uses, so it imports nothing of
`bot` (DESIGN.md: bot assembles, console is assembled).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol, cast

from flask import Flask, abort, current_app, g, request
from sqlalchemy.orm import Session

from storage import casework, staff_accounts
from storage.db import Database
from storage.models import (
    CheckinRound,
    HelpOffer,
    HelpRequest,
    Staff,
    Supporter,
    Ticket,
    WatchEnrolment,
)
from storage.watch.schedules import Schedule

# The key under which the app keeps its services (bot.services registers them there).
EXTENSION = "madoguchi"


class ConsoleSettings(Protocol):
    simulator_mode: bool
    console_idle: timedelta
    sla_warn_before: timedelta


class Clock(Protocol):
    def now(self) -> datetime: ...


class ResidentActions(Protocol):
    """Staff actions that reach a resident in LINE, run as the flows' own steps. Watch-over:
    a check-in made ahead is withdrawn, the resident and their family are told, a settled
    round's ticket says so. 生活応援隊: a request offered to supporters, a supporter told
    they were approved. The app implements them (bot.resident_actions), as only it may use
    flows; each runs in the caller's transaction."""

    def reschedule_watch(
        self,
        session: Session,
        enrolment: WatchEnrolment,
        schedule: Schedule,
        wait_s: int | None,
        now: datetime,
    ) -> datetime:
        """A new schedule and waits; returns when the next check-in is."""
        ...

    def pause_watch(
        self, session: Session, enrolment: WatchEnrolment, until: date, now: datetime
    ) -> None: ...

    def resume_watch(self, session: Session, enrolment: WatchEnrolment, now: datetime) -> None: ...

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
        """A round settled after a visit or a call; False if it was settled already."""
        ...

    def offer_help(
        self,
        session: Session,
        request: HelpRequest,
        volunteers: Sequence[Supporter],
        now: datetime,
    ) -> list[HelpOffer]:
        """声をかける: the request put to these supporters, each sent the LINE offer; the
        offers made (none for a supporter who is not active or was asked before)."""
        ...

    def welcome_supporter(self, session: Session, supporter: Supporter, now: datetime) -> None:
        """A supporter just approved hears it in LINE."""
        ...


class AppServices(Protocol):
    settings: ConsoleSettings
    db: Database
    clock: Clock
    # Console sign-ins run on real time (see bot.services.Services.session_clock).
    session_clock: Clock
    wake: Callable[[], None]
    resident_actions: ResidentActions
    # 生活応援隊's sign-up link for leaflets and QR codes ("" without the account's LINE ID).
    supporter_sign_up_link: str


def services_of(app: Flask) -> AppServices:
    return cast(AppServices, app.extensions[EXTENSION])


@dataclass(frozen=True)
class Viewer:
    """Who is signed in on this request, loaded once by the sign-in check."""

    staff_id: int
    name: str
    role: str
    session_id: int

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def app_services() -> AppServices:
    return services_of(current_app)


def now() -> datetime:
    return app_services().clock.now()


def session_now() -> datetime:
    """Real time, for sign-ins (see AppServices.session_clock)."""
    return app_services().session_clock.now()


def viewer() -> Viewer:
    """The signed-in staff member; every console route but sign-in runs after the check."""
    found = g.get("viewer")
    if found is None:
        abort(401)
    return found


def client_ip() -> str:
    return (request.remote_addr or "unknown")[:64]


@contextmanager
def work() -> Iterator[tuple[Session, Staff]]:
    """One transaction with the signed-in staff member loaded in it."""
    with app_services().db.transaction() as session:
        staff = staff_accounts.by_id(session, viewer().staff_id)
        if staff is None or not staff.active:
            abort(401)
        yield session, staff


def visible_ticket(session: Session, staff: Staff, reference: str) -> Ticket:
    """The ticket if `staff` may see it; otherwise 404, as for a ticket that does not exist."""
    ticket = casework.get_visible(session, staff, reference[:40])
    if ticket is None:
        abort(404)
    return ticket
