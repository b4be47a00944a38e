"""Staff accounts: passwords, API tokens, and the demo login the simulator prints.

Passwords are hashed with Argon2id (argon2-cffi): the first choice of OWASP's password storage
guidance and RFC 9106, memory-hard so guessing on GPUs is costly, and the library says when a
stored hash was made with weaker parameters than today's (`needs_rehash`), so hashes are
upgraded at the next sign-in. API tokens are random and shown once; only their SHA-256 is kept:
a token has 256 bits of entropy, so a fast hash is enough and lookups stay one indexed query.

Two-factor is TOTP (RFC 6238, pyotp): 30-second steps, six digits, one step of clock drift
either way, and a code accepted once is not accepted again (the last step used is kept).
Recovery codes are single-use and kept as SHA-256 hashes, like API tokens. Changing a password
ends what the old one opened: the account's API tokens and its other console sessions.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from locales import N_
from storage import audit
from storage.models import ApiToken, ConsoleSession, RecoveryCode, RolePolicy, Staff, Team
from storage.refusals import Refused

ROLES = ("admin", "supervisor", "staff")
TOKEN_PREFIX = "mdg_"
MIN_PASSWORD_LENGTH = 10
DEMO_ADMIN = "admin@madoguchi.example"
# A token's last use is written at most this often, so reads do not all become writes.
LAST_USED_RESOLUTION = timedelta(minutes=1)
# The name authenticator apps show above the code.
TOTP_ISSUER = "madoguchi"
TOTP_STEP = 30
# Steps of clock drift accepted either way: a phone a little fast or slow still works.
TOTP_DRIFT = 1
RECOVERY_CODES = 10
TOTP_CODE = re.compile(r"[0-9]{6}")
RECOVERY_CODE = re.compile(r"[a-z2-7]{16}")

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


def active_by_line_id(session: Session, line_user_id: str) -> Staff | None:
    """The active staff member whose LINE account this is (staff groups: who tapped 担当する)."""
    return session.scalar(
        select(Staff).where(Staff.line_user_id == line_user_id, Staff.active.is_(True))
    )


def by_id(session: Session, staff_id: int) -> Staff | None:
    return session.get(Staff, staff_id)


def everyone(session: Session) -> list[Staff]:
    """Every account, the active ones first, by name (the admin's list of staff)."""
    return list(session.scalars(select(Staff).order_by(Staff.active.desc(), Staff.name)))


def active_by_role(session: Session) -> list[Staff]:
    """The active accounts, by role and then name (who two-factor rules apply to)."""
    return list(
        session.scalars(
            select(Staff).where(Staff.active.is_(True)).order_by(Staff.role, Staff.name)
        )
    )


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


def set_password(
    session: Session,
    staff: Staff,
    password: str,
    now: datetime,
    *,
    keep_session_id: int | None = None,
) -> None:
    """A new password; every API token and console session the old one opened ends with it.

    A stolen password or token stops working when its owner changes the password.
    `keep_session_id` is the session the owner changed it from, which stays signed in.
    """
    _check_password(password)
    staff.password_hash = hash_password(password)
    audit.record(session, "password", now, staff=staff)
    revoke_tokens(session, staff, now)
    end_sessions(session, staff, now, keep_session_id=keep_session_id)


def end_sessions(
    session: Session, staff: Staff, now: datetime, *, keep_session_id: int | None = None
) -> int:
    """End every live console session of `staff` but `keep_session_id`; returns how many."""
    rows = session.scalars(
        select(ConsoleSession).where(
            ConsoleSession.staff_id == staff.id, ConsoleSession.ended_at.is_(None)
        )
    ).all()
    ended = [row for row in rows if row.id != keep_session_id]
    for row in ended:
        row.ended_at = now
    return len(ended)


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


# ---- Two-factor ----------------------------------------------------------------------------------


def has_two_factor(staff: Staff) -> bool:
    return staff.totp_secret is not None


def pending_totp_secret(staff: Staff) -> str:
    """The secret being set up (made on first ask), kept server-side until a code confirms it."""
    if staff.totp_pending_secret is None:
        staff.totp_pending_secret = pyotp.random_base32()
    return staff.totp_pending_secret


def totp_uri(staff: Staff, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=staff.email, issuer_name=TOTP_ISSUER)


def confirm_two_factor(
    session: Session, staff: Staff, code: str, now: datetime
) -> list[str] | None:
    """Turn two-factor on once `code` matches the pending secret; the new recovery codes, or None.

    The codes are returned this once to be shown; only their hashes are stored.
    """
    secret = staff.totp_pending_secret
    step = _matching_step(secret, code, now, None) if secret else None
    if secret is None or step is None:
        return None
    staff.totp_secret = secret
    staff.totp_pending_secret = None
    staff.totp_enrolled_at = now
    staff.totp_last_step = step
    audit.record(session, "two_factor_on", now, staff=staff)
    return new_recovery_codes(session, staff, now)


def check_second_factor(session: Session, staff: Staff, code: str, now: datetime) -> bool:
    """True for a current authenticator code not used before, or an unused recovery code."""
    if staff.totp_secret is None:
        return False
    step = _matching_step(staff.totp_secret, code, now, staff.totp_last_step)
    if step is not None:
        staff.totp_last_step = step
        return True
    return _use_recovery_code(session, staff, code, now)


def new_recovery_codes(session: Session, staff: Staff, now: datetime) -> list[str]:
    """Ten fresh single-use codes, replacing any left; shown once, stored hashed."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    codes = [_recovery_code() for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(
            RecoveryCode(staff_id=staff.id, code_hash=_digest(_plain(code)), created_at=now)
        )
    audit.record(session, "recovery_codes", now, staff=staff)
    return codes


def recovery_codes_left(session: Session, staff: Staff) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.staff_id == staff.id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )


def turn_off_two_factor(
    session: Session, staff: Staff, now: datetime, *, by: Staff | None = None
) -> None:
    """Remove the account's authenticator and recovery codes (`by`: an admin resetting it)."""
    staff.totp_secret = None
    staff.totp_pending_secret = None
    staff.totp_enrolled_at = None
    staff.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff.id))
    detail = {"staff_id": staff.id} if by is not None else {}
    audit.record(session, "two_factor_off", now, staff=by or staff, detail=detail)


def two_factor_required(session: Session, role: str) -> bool:
    return bool(
        session.scalar(select(RolePolicy.two_factor_required).where(RolePolicy.role == role))
    )


def roles_requiring_two_factor(session: Session) -> set[str]:
    return set(
        session.scalars(select(RolePolicy.role).where(RolePolicy.two_factor_required.is_(True)))
    )


def require_two_factor(session: Session, roles: Iterable[str], now: datetime, *, by: Staff) -> None:
    """Exactly these roles require two-factor from now on (each sign-in checks it)."""
    wanted = set(roles)
    if not wanted <= set(ROLES):
        raise Refused(N_("Choose one of: {choices}."), field="roles", choices=", ".join(ROLES))
    for role in ROLES:
        row = session.get(RolePolicy, role)
        if row is None:
            row = RolePolicy(role=role, two_factor_required=False)
            session.add(row)
        row.two_factor_required = role in wanted
    audit.record(session, "two_factor_policy", now, staff=by, detail={"required": sorted(wanted)})


def _matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The step whose code `code` is, within the drift and after `last_step`; else None."""
    code = _plain(code)
    if not TOTP_CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret, interval=TOTP_STEP)
    current = int(now.timestamp()) // TOTP_STEP
    for step in range(current - TOTP_DRIFT, current + TOTP_DRIFT + 1):
        fresh = last_step is None or step > last_step
        if fresh and secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _use_recovery_code(session: Session, staff: Staff, code: str, now: datetime) -> bool:
    code = _plain(code)
    if not RECOVERY_CODE.fullmatch(code):
        return False
    row = session.scalar(
        select(RecoveryCode).where(
            RecoveryCode.staff_id == staff.id,
            RecoveryCode.code_hash == _digest(code),
            RecoveryCode.used_at.is_(None),
        )
    )
    if row is None:
        return False
    row.used_at = now
    audit.record(session, "recovery_code_used", now, staff=staff)
    return True


def _recovery_code() -> str:
    # 80 random bits in RFC 4648 base32, lower case, as four groups of four: easy to copy by hand.
    text = base64.b32encode(secrets.token_bytes(10)).decode().lower()
    return "-".join(text[start : start + 4] for start in range(0, 16, 4))


def _plain(code: str) -> str:
    """A typed code as stored: full-width digits made ASCII, spaces and hyphens dropped."""
    return re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", code[:64])).lower()


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
