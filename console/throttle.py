"""Sign-in throttling: too many failures for one email, or from one address, and we wait.

Five failures for an email in 15 minutes lock that email for the rest of the window; an office
shares one address behind its router, so an address gets more room (twenty) before it is
refused. A successful sign-in clears the email's count; refused attempts are not counted, so
someone who waits is let in on time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from storage.models import LoginAttempt

WINDOW = timedelta(minutes=15)
PER_EMAIL = 5
PER_ADDRESS = 20
# Attempts older than this are of no use to anyone; each sign-in sweeps them away.
KEEP = timedelta(days=1)


def wait_before_next(session: Session, email: str, ip: str, now: datetime) -> timedelta | None:
    """How long this email or address must wait before trying again; None when it may try."""
    since = now - WINDOW
    last_success = session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.succeeded.is_(True)
        )
    )
    email_since = max(since, last_success) if last_success else since
    waits = [
        _wait(session, LoginAttempt.email == email, email_since, PER_EMAIL, now),
        _wait(session, LoginAttempt.ip == ip, since, PER_ADDRESS, now),
    ]
    return max((wait for wait in waits if wait is not None), default=None)


def record(session: Session, email: str, ip: str, succeeded: bool, now: datetime) -> None:
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    session.add(LoginAttempt(email=email[:200], ip=ip[:64], at=now, succeeded=succeeded))


def _wait(
    session: Session, match: ColumnElement[bool], since: datetime, limit: int, now: datetime
) -> timedelta | None:
    failures = session.scalars(
        select(LoginAttempt.at)
        .where(match, LoginAttempt.succeeded.is_(False), LoginAttempt.at > since)
        .order_by(LoginAttempt.at.desc())
        .limit(limit)
    ).all()
    if len(failures) < limit:
        return None
    # Allowed again once the limit-th most recent failure leaves the window.
    return max(failures[-1] + WINDOW - now, timedelta(seconds=1))
