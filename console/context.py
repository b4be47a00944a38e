"""What every console view needs: the app's services, the clock, and a unit of work."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from flask import abort, current_app, g, request
from sqlalchemy.orm import Session

from bot.services import Services, services
from storage.models import Staff


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


def app_services() -> Services:
    return services(current_app)


def now() -> datetime:
    return app_services().clock.now()


def session_now() -> datetime:
    """Real time, for sign-ins (see Services.session_clock)."""
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
        staff = session.get(Staff, viewer().staff_id)
        if staff is None or not staff.active:
            abort(401)
        yield session, staff
