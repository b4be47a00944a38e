"""Deadlines: things that must happen at a time, each one row, each fired exactly once.

The rules that make a step neither lost nor doubled:
- A deadline is written in the same transaction as whatever made it due (an enrolment, a
  check-in sent), so it exists exactly when its cause does.
- The sweep claims due rows and fires them in one transaction together with everything the
  step writes (state, tickets, outbox rows). A process killed before the commit leaves the
  row pending, to be claimed again; after the commit it is fired, never to run again.
- On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so several workers share the sweep
  without firing one row twice; on SQLite `BEGIN IMMEDIATE` already makes the transaction
  the only writer.
- `key` makes scheduling idempotent: scheduling the same step twice keeps one row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Select, literal_column, or_, select, true, update
from sqlalchemy.orm import Session

from storage.models import ClockOffset, Deadline
from storage.sql import among, insert

PENDING, FIRED, CANCELLED = "pending", "fired", "cancelled"
MAX_BACKOFF = timedelta(minutes=5)


def schedule(
    session: Session, *, kind: str, subject_id: int, due_at: datetime, key: str, now: datetime
) -> None:
    """Make `key` due at `due_at`: a new row, or the existing one re-armed (even if cancelled)."""
    values = {
        "kind": kind,
        "subject_id": subject_id,
        "key": key,
        "due_at": due_at,
        "status": PENDING,
        "run_after": None,
        "attempts": 0,
        "last_error": None,
        "created_at": now,
    }
    _set_again(session, [key])
    statement = insert(session, Deadline).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["key"],
        set_={name: statement.excluded[name] for name in values if name != "created_at"},
    )
    session.execute(statement)


def cancel(session: Session, key: str) -> None:
    """The step is no longer needed (answered, stopped); a fired row stays as it was."""
    session.execute(
        update(Deadline)
        .where(Deadline.key == key, Deadline.status == PENDING)
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    )


def find(session: Session, key: str) -> Deadline | None:
    return session.scalar(select(Deadline).where(Deadline.key == key))


class Due(NamedTuple):
    """A claimed deadline, as its handler sees it (plain values: a sweep handles thousands)."""

    id: int
    kind: str
    subject_id: int
    key: str
    due_at: datetime


_DUE_COLUMNS = (Deadline.id, Deadline.kind, Deadline.subject_id, Deadline.key, Deadline.due_at)


# Kinds that may fire before their due time, and by how much.
Ahead = Mapping[str, timedelta]


def claim_due(
    session: Session, now: datetime, limit: int = 500, ahead: Ahead | None = None
) -> list[Due]:
    """Lock the due rows, earliest first, that no other worker holds.

    `ahead` names kinds fired up to that long before their due time (check-ins are made a
    minute early and held in the outbox until their time). Claimed rows stay locked until the
    caller's transaction ends, which is where their steps are written and `settle` marks them
    fired; a rollback (a crash) leaves them pending.
    """
    return _claim(session, _due(select(*_DUE_COLUMNS), now, ahead).limit(limit))


def first_due_kind(session: Session, now: datetime, ahead: Ahead | None = None) -> str | None:
    """The kind of the earliest due row, without locking it: how big a batch to claim."""
    return session.scalar(_due(select(Deadline.kind), now, ahead).limit(1))


def _due(statement: Select[Any], now: datetime, ahead: Ahead | None) -> Select[Any]:
    ahead = ahead or {}
    early = [
        (Deadline.kind == kind) & (Deadline.due_at <= now + lead) for kind, lead in ahead.items()
    ]
    horizon = now + max(ahead.values(), default=timedelta(0))
    return statement.where(
        # Written out, not bound: only then do the databases use the partial index.
        Deadline.status == literal_column(f"'{PENDING}'"),
        # The index's range; rows past `now` then only for the kinds that may go early.
        Deadline.due_at <= horizon,
        or_(Deadline.due_at <= now, *early) if early else true(),
        (Deadline.run_after.is_(None)) | (Deadline.run_after <= now),
    ).order_by(Deadline.due_at, Deadline.id)


def claim_one(session: Session, deadline_id: int) -> Due | None:
    """Lock one pending deadline by id (a failed batch is retried one row at a time)."""
    claimed = _claim(
        session,
        select(*_DUE_COLUMNS).where(Deadline.id == deadline_id, Deadline.status == PENDING),
    )
    return claimed[0] if claimed else None


def _claim(session: Session, statement: Select[Any]) -> list[Due]:
    # SKIP LOCKED: on PostgreSQL a row another worker is firing is left to it, not waited for.
    # On SQLite `BEGIN IMMEDIATE` has already made this transaction the only writer.
    return [Due(*row) for row in session.execute(statement.with_for_update(skip_locked=True))]


def settle(session: Session, claimed: list[Due], now: datetime) -> None:
    """Mark fired the claimed deadlines that their handlers did not set again.

    Called after the handlers, in their transaction. A recurring check-in is re-armed by its
    handler, so it is written once, not marked fired and then re-armed: at 8:00 that is
    100,000 writes fewer.
    """
    again = session.info.pop(_SET_AGAIN, set())
    ids = [due.id for due in claimed if due.id not in again and due.key not in again]
    if ids:
        session.execute(
            update(Deadline)
            .where(among(session, Deadline.id, ids))
            .values(status=FIRED, fired_at=now)
            .execution_options(synchronize_session=False)
        )


# What this transaction made pending again (ids by `rearm`, keys by `schedule`), so that
# `settle` leaves it pending. Kept on the session: it lives exactly as long as the transaction.
_SET_AGAIN = "madoguchi.deadlines.set_again"


def _set_again(session: Session, marks: Iterable[int | str]) -> None:
    session.info.setdefault(_SET_AGAIN, set()).update(marks)


def rearm(
    session: Session, ids: Iterable[int], due_at: datetime, now: datetime, kind: str | None = None
) -> None:
    """Set fired deadlines for their next time (a recurring check-in, a round's next step)."""
    ids = list(ids)
    if not ids:
        return
    values: dict[str, object] = {
        "due_at": due_at,
        "status": PENDING,
        "fired_at": now,
        "attempts": 0,
        "run_after": None,
        "last_error": None,
    }
    if kind is not None:
        values["kind"] = kind
    _set_again(session, ids)
    session.execute(
        update(Deadline)
        .where(among(session, Deadline.id, ids))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def rearm_each(session: Session, next_due: dict[int, datetime], now: datetime) -> None:
    """Re-arm many deadlines, one statement per distinct next time (usually a handful)."""
    by_time: dict[datetime, list[int]] = defaultdict(list)
    for deadline_id, due_at in next_due.items():
        by_time[due_at].append(deadline_id)
    for due_at, ids in by_time.items():
        rearm(session, ids, due_at, now)


def record_failure(session: Session, deadline_id: int, now: datetime, error: BaseException) -> int:
    """Count a failed firing and back off; it stays pending, because a step must not be lost."""
    deadline = session.get(Deadline, deadline_id)
    if deadline is None:
        return 0
    deadline.attempts += 1
    deadline.run_after = now + min(timedelta(seconds=2**deadline.attempts), MAX_BACKOFF)
    # The class name only: a message could quote a resident.
    deadline.last_error = type(error).__name__[:200]
    return deadline.attempts


# The clock offset lives here because deadlines are what it moves: every process that fires
# them must agree on the time.
CLOCK_ROW = 1
# For readers outside any transaction (bot.clock): plain SQL both engines understand.
CLOCK_QUERY = f"SELECT offset_seconds FROM clock_offsets WHERE id = {CLOCK_ROW}"


def clock_offset(session: Session) -> timedelta:
    seconds = session.scalar(select(ClockOffset.offset_seconds).where(ClockOffset.id == CLOCK_ROW))
    return timedelta(seconds=seconds or 0.0)


def advance_clock(session: Session, by: timedelta) -> timedelta:
    """Add `by` to the shared offset atomically and return the new offset."""
    session.execute(
        insert(session, ClockOffset)
        .values(id=CLOCK_ROW, offset_seconds=0.0, updated_at=datetime.now(UTC))
        .on_conflict_do_nothing()
    )
    seconds = session.execute(
        update(ClockOffset)
        .where(ClockOffset.id == CLOCK_ROW)
        .values(
            offset_seconds=ClockOffset.offset_seconds + by.total_seconds(),
            updated_at=datetime.now(UTC),
        )
        .returning(ClockOffset.offset_seconds)
    ).scalar_one()
    return timedelta(seconds=seconds)


def reset_clock(session: Session) -> float:
    """Put the shared offset back to zero; returns the seconds it was ahead. Read as a float,
    not a timedelta: the value to clear may be one that no timedelta can hold (the reason to
    reset it)."""
    row = session.get(ClockOffset, CLOCK_ROW)
    if row is None:
        return 0.0
    seconds = row.offset_seconds
    row.offset_seconds = 0.0
    row.updated_at = datetime.now(UTC)
    return seconds
