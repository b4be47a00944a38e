"""The people behind the console: staff accounts, their teams, API tokens and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base

staff_teams = Table(
    "staff_teams",
    Base.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("team_id", ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Base):
    """A queue of tickets and the people who answer it (福祉まるごと相談, 見守り, 子育て …)."""

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    # Opening hours per weekday, Monday first: [["08:30", "17:15"]] or [] when closed.
    # Public holidays and the year-end closure (12/29–1/3) are closed unless `open_on_holidays`.
    hours: Mapped[list[Any]] = mapped_column(default=list)
    open_on_holidays: Mapped[bool] = mapped_column(default=False)
    # Business hours allowed per urgency before a ticket is overdue: {"today": 4, "soon": 16}.
    sla_hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    auto_assign: Mapped[bool] = mapped_column(default=False)
    max_open_per_staff: Mapped[int] = mapped_column(default=10)
    # A staff LINE group that hears about tickets nearing their SLA; none if not configured.
    line_group_id: Mapped[str | None] = mapped_column(String(64))

    members: Mapped[list[Staff]] = relationship(secondary=staff_teams, back_populates="teams")


class Staff(Base):
    """A console account. Roles: admin (everything), supervisor (their teams and reports), staff."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(12), default="staff")
    active: Mapped[bool] = mapped_column(default=True)
    # Marked available, they take part in a team's round-robin auto-assignment.
    available: Mapped[bool] = mapped_column(default=False)
    # The LINE user id of their own account, for pushes to a staff member; optional.
    line_user_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # Two-factor (TOTP, RFC 6238): the confirmed secret, and one being set up until its first
    # code is confirmed. Both server-side only: the browser sees a secret once, on the page.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enrolled_at: Mapped[datetime | None]
    # The 30-second step of the last code accepted: a code seen once is not accepted again.
    totp_last_step: Mapped[int | None]

    teams: Mapped[list[Team]] = relationship(secondary=staff_teams, back_populates="members")


class ApiToken(Base):
    """A bearer token for /api/v1; only its hash is kept, the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class RecoveryCode(Base):
    """A single-use code for signing in without the authenticator; only its SHA-256 is kept.

    Ten are made at enrolment and shown once. Each carries 80 random bits, so (as for API
    tokens) a fast hash is enough and a lookup is one indexed query.
    """

    __tablename__ = "staff_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE", name="fk_staff_recovery_codes_staff"),
        index=True,
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RolePolicy(Base):
    """What an admin requires of every account of one role at sign-in (two-factor, for now).

    A role without a row requires nothing more than a password.
    """

    __tablename__ = "role_policies"

    role: Mapped[str] = mapped_column(String(12), primary_key=True)
    two_factor_required: Mapped[bool] = mapped_column(default=False)


class AuditEntry(Base):
    """Append-only: who saw or changed what, and when. Never updated; deleted only by the
    retention sweep once older than its period (storage/retention.py, MADOGUCHI_KEEP_AUDIT)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_ticket", "ticket_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    # view, reply, note, status, claim, transfer, refer, close, export, login, … or a bot step.
    action: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"))
    # What changed (old and new values, the reason); never resident text.
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    ip: Mapped[str | None] = mapped_column(String(64))


class LoginAttempt(Base):
    """Recent sign-in attempts, counted per email and per address to slow down guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_email", "email", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(200))
    ip: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime]
    succeeded: Mapped[bool]


class CannedResponse(Base):
    """A ready answer a team uses often, per language; editable in the console."""

    __tablename__ = "canned_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16), default="ja")
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
