"""Signed-in console sessions, kept server-side so signing out (or deactivation) ends them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class ConsoleSession(Base):
    """One browser's sign-in. The cookie carries a random token; only its hash is kept here.

    Flask's session cookie is signed, not revocable: a copy taken before sign-out would
    still work. Checking this row on every request makes sign-out final.
    """

    __tablename__ = "console_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_console_sessions_token_hash"),
        Index("ix_console_sessions_staff", "staff_id", "ended_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE", name="fk_console_sessions_staff")
    )
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    # A sign-in half done: "code" (the password was right, the two-factor code is asked next)
    # or "enrol" (the role requires two-factor and the account has none yet). None: signed in.
    pending: Mapped[str | None] = mapped_column(String(12))
    # Wrong two-factor codes on this sign-in; past a few the half-done sign-in ends.
    failed_codes: Mapped[int] = mapped_column(default=0, server_default=text("0"))
