"""Console sign-ins: the rows behind a staff member's session cookie.

The cookie holds a random token; only its SHA-256 is stored, so a copy of the database
cannot sign anyone in. What makes a sign-in live (idle limits, the second factor) is the
console's rule (console/auth.py); finding, starting and finishing the rows is here.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage import audit
from storage.models import ConsoleSession, Staff

# Sessions long over are of no use (logins and logouts are in the audit log).
KEEP = timedelta(days=30)


def by_token(session: Session, token: str) -> ConsoleSession | None:
    """The sign-in a cookie's token belongs to, ended or not."""
    return session.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))


def by_id(session: Session, session_id: int) -> ConsoleSession | None:
    return session.get(ConsoleSession, session_id)


def start(session: Session, staff: Staff, ip: str, moment: datetime, pending: str | None) -> str:
    """A new sign-in for `staff`, still waiting for a second factor when `pending` names one;
    returns the token for the cookie. Sweeps sessions older than KEEP on the way."""
    session.execute(delete(ConsoleSession).where(ConsoleSession.created_at < moment - KEEP))
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            token_hash=_digest(token),
            staff_id=staff.id,
            created_at=moment,
            last_seen_at=moment,
            ip=ip,
            pending=pending,
        )
    )
    if pending is None:
        audit.record(session, "login", moment, staff=staff, ip=ip)
    return token


def finish(session: Session, row: ConsoleSession, staff: Staff, ip: str, moment: datetime) -> str:
    """Complete a half-done sign-in; returns the new token (the half-done one stops working)."""
    token = secrets.token_urlsafe(32)
    row.token_hash = _digest(token)
    row.pending = None
    row.failed_codes = 0
    row.last_seen_at = moment
    staff.last_login_at = moment
    audit.record(session, "login", moment, staff=staff, ip=ip)
    return token


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
