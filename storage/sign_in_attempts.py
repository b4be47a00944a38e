"""Sign-in attempts, per email and address: what `console.throttle` counts to slow guessing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from storage.models import LoginAttempt


def record(
    session: Session, email: str, ip: str, succeeded: bool, now: datetime, *, keep_since: datetime
) -> None:
    """Write one attempt; attempts older than `keep_since` are swept away on the way."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < keep_since))
    session.add(LoginAttempt(email=email[:200], ip=ip[:64], at=now, succeeded=succeeded))


def last_success(session: Session, email: str, ip: str) -> datetime | None:
    """When this email last signed in from this address, if it ever did."""
    return session.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email, LoginAttempt.ip == ip, LoginAttempt.succeeded.is_(True)
        )
    )


def failures_after(
    session: Session, email: str, ip: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many times this email failed from this address after `since`, and when it last did."""
    count, last = session.execute(
        select(func.count(), func.max(LoginAttempt.at)).where(
            LoginAttempt.email == email,
            LoginAttempt.ip == ip,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.at > since,
        )
    ).one()
    return count, last


def latest_failures_from(session: Session, ip: str, since: datetime, limit: int) -> list[datetime]:
    """When this address failed after `since`, for any email: the latest `limit`, newest first."""
    return list(
        session.scalars(
            select(LoginAttempt.at)
            .where(
                LoginAttempt.ip == ip,
                LoginAttempt.succeeded.is_(False),
                LoginAttempt.at > since,
            )
            .order_by(LoginAttempt.at.desc())
            .limit(limit)
        )
    )
