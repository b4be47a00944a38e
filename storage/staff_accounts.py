"""Staff accounts: passwords, API tokens, and the demo login the simulator prints.

Passwords are hashed with Argon2id (argon2-cffi): the first choice of OWASP's password storage
guidance and RFC 9106, memory-hard so guessing on GPUs is costly, and the library says when a
stored hash was made with weaker parameters than today's (`needs_rehash`), so hashes are
upgraded at the next sign-in. API tokens are random and shown once; only their SHA-256 is kept:
a token has 256 bits of entropy, so a fast hash is enough and lookups stay one indexed query.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from storage import audit
from storage.models import ApiToken, Staff, Team
from storage.refusals import N_, Refused

ROLES = ("admin", "supervisor", "staff")
TOKEN_PREFIX = "mdg_"
MIN_PASSWORD_LENGTH = 10
DEMO_ADMIN = "admin@madoguchi.example"
# A token's last use is written at most this often, so reads do not all become writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An Argon2id hash (salt and parameters included) of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when `password` matches; a malformed or empty hash never matches."""
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters; re-hash at the next sign-in."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(session: Session, email: str) -> Staff | None:
    return session.scalar(select(Staff).where(Staff.email == normalise_email(email)))


def create_staff(
    session: Session,
    *,
    email: str,
    name: str,
    password: str,
    role: str,
    team_slugs: Iterable[str],
    now: datetime,
) -> Staff:
    """A new account in the given teams; ValueError with a reason for bad input."""
    email = normalise_email(email)
    if "@" not in email.strip("@") or len(email) > 200:
        raise Refused(N_("Enter an email address."), field="email")
    if not name.strip():
        raise Refused(N_("Please write something here."), field="name")
    if role not in ROLES:
        raise Refused(N_("Choose one of: {choices}."), field="role", choices=", ".join(ROLES))
    _check_password(password)
    if find_by_email(session, email) is not None:
        raise Refused(N_("An account with this email already exists."), field="email")
    teams = _teams(session, team_slugs)
    staff = Staff(
        email=email,
        name=name.strip()[:80],
        password_hash=hash_password(password),
        role=role,
        active=True,
        available=False,
        created_at=now,
        teams=teams,
    )
    session.add(staff)
    session.flush()
    audit.record(
        session, "staff_create", now, staff=staff, detail={"role": role, "teams": _slugs(teams)}
    )
    return staff


def set_password(session: Session, staff: Staff, password: str, now: datetime) -> None:
    _check_password(password)
    staff.password_hash = hash_password(password)
    audit.record(session, "password", now, staff=staff)


def authenticate(session: Session, email: str, password: str, now: datetime) -> Staff | None:
    """The active account with this email and password, or None; upgrades an old hash."""
    staff = find_by_email(session, email)
    if staff is None:
        # Spend the same time as a real check, so timing does not tell which emails exist.
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(staff.password_hash, password) or not staff.active:
        return None
    if needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    staff.last_login_at = now
    return staff


def issue_token(session: Session, staff: Staff, now: datetime) -> str:
    """A new API token for `staff`; the caller shows it once, only its hash is stored."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(staff_id=staff.id, token_hash=_digest(token), created_at=now))
    session.flush()
    audit.record(session, "token_issue", now, staff=staff)
    return token


def revoke_tokens(session: Session, staff: Staff, now: datetime) -> int:
    """Revoke every live token of `staff`; returns how many."""
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.staff_id == staff.id, ApiToken.revoked_at.is_(None))
    ).all()
    for token in tokens:
        token.revoked_at = now
    if tokens:
        audit.record(session, "token_revoke", now, staff=staff, detail={"count": len(tokens)})
    return len(tokens)


def staff_for_token(session: Session, token: str, now: datetime) -> Staff | None:
    """The active staff member a live token belongs to, or None for anything else."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    staff = session.get(Staff, row.staff_id)
    if staff is None or not staff.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    return staff


def ensure_demo_admin(session: Session, now: datetime) -> tuple[str, str] | None:
    """Simulator mode only: the demo admin's email and a fresh password, to print at start-up.

    The account is made on first start; later starts give it a new random password (the old
    one was only ever printed). None when an admin deactivated the demo account.
    """
    password = secrets.token_urlsafe(12)
    staff = find_by_email(session, DEMO_ADMIN)
    if staff is None:
        create_staff(
            session,
            email=DEMO_ADMIN,
            name="デモ管理者",
            password=password,
            role="admin",
            team_slugs=session.scalars(select(Team.slug)).all(),
            now=now,
        )
        return DEMO_ADMIN, password
    if not staff.active:
        return None
    set_password(session, staff, password, now)
    return DEMO_ADMIN, password


def set_teams(session: Session, staff: Staff, team_slugs: Iterable[str], now: datetime) -> None:
    staff.teams = _teams(session, team_slugs)
    audit.record(session, "staff_teams", now, staff=staff, detail={"teams": _slugs(staff.teams)})


def _teams(session: Session, slugs: Iterable[str]) -> list[Team]:
    wanted = sorted({slug.strip() for slug in slugs if slug.strip()})
    if not wanted:
        return []
    teams = list(session.scalars(select(Team).where(Team.slug.in_(wanted)).order_by(Team.id)))
    unknown = sorted(set(wanted) - {team.slug for team in teams})
    if unknown:
        raise Refused(N_("There is no team {teams}."), field="teams", teams=", ".join(unknown))
    return teams


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(
            N_("The password needs at least {length} characters."),
            field="password",
            length=MIN_PASSWORD_LENGTH,
        )


def _slugs(teams: Iterable[Team]) -> list[str]:
    return [team.slug for team in teams]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))
