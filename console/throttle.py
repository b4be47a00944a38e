"""Sign-in throttling: failures slow down the one guessing, never lock out the account's owner.

Failures are counted per (email, address). The first few are free (typos happen); after that
each further try waits, from the last failure, a delay that doubles with every failure, up to
an hour. So five wrong passwords from one address do not stop the right one from another
address, and the right one from the same address works once its delay has passed. A success
from an address clears that address's count for the email.

Locking an email for everyone, as a count per email would, lets anyone who knows a colleague's
address keep them out of the console; guessing spread over many addresses is answered by the
delays per address, by Argon2id's cost per guess and by two-factor. One address also gets a
cap over all emails (twenty failures in fifteen minutes, room for an office behind one router),
so one machine cannot try one password on every account. Refused tries are not counted,
so someone who waits is let in on time. Wrong two-factor codes count like wrong passwords.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from storage import sign_in_attempts

FREE_FAILURES = 5
FIRST_DELAY = timedelta(minutes=1)
LONGEST_DELAY = timedelta(hours=1)
ADDRESS_WINDOW = timedelta(minutes=15)
PER_ADDRESS = 20
# Attempts older than this are of no use to anyone; each sign-in sweeps them away.
KEEP = timedelta(days=1)


def wait_before_next(session: Session, email: str, ip: str, now: datetime) -> timedelta | None:
    """How long this email from this address must wait before trying again; None: it may try."""
    waits = [_pair_wait(session, email, ip, now), _address_wait(session, ip, now)]
    return max((wait for wait in waits if wait is not None), default=None)


def record(session: Session, email: str, ip: str, succeeded: bool, now: datetime) -> None:
    sign_in_attempts.record(session, email, ip, succeeded, now, keep_since=now - KEEP)


def delay_after(failures: int) -> timedelta | None:
    """The wait after this many failures in a row: none for the first few, then doubling."""
    if failures < FREE_FAILURES:
        return None
    # The exponent is capped so a long run of failures cannot overflow the multiplication.
    doubled = FIRST_DELAY * 2 ** min(failures - FREE_FAILURES, 16)
    return min(doubled, LONGEST_DELAY)


def _pair_wait(session: Session, email: str, ip: str, now: datetime) -> timedelta | None:
    last_success = sign_in_attempts.last_success(session, email, ip)
    since = max(now - KEEP, last_success) if last_success else now - KEEP
    count, last_failure = sign_in_attempts.failures_after(session, email, ip, since)
    delay = delay_after(count)
    if delay is None or last_failure is None:
        return None
    wait = last_failure + delay - now
    return wait if wait > timedelta(0) else None


def _address_wait(session: Session, ip: str, now: datetime) -> timedelta | None:
    failures = sign_in_attempts.latest_failures_from(session, ip, now - ADDRESS_WINDOW, PER_ADDRESS)
    if len(failures) < PER_ADDRESS:
        return None
    # Allowed again once the PER_ADDRESS-th most recent failure leaves the window.
    return max(failures[-1] + ADDRESS_WINDOW - now, timedelta(seconds=1))
