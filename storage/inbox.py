"""The inbox: webhook events stored once by webhookEventId, handled per chat in order.

An event the webhook refused (the wrong shape for LINE's schema) is kept too, as a
`RefusedEvent`: its type and ids only, so an operator can find it and LINE's redelivery of
it stays a no-op, and never handled.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from storage.models import InboxEvent, SourceLock
from storage.sql import dialect_of, insert, insert_in

PENDING, DONE, PARKED, REFUSED = "pending", "done", "parked", "refused"
_SOURCE_IDS = ("userId", "groupId", "roomId")


class RefusedEvent(dict[str, Any]):
    """An event the webhook would not take, as the inbox keeps it: its type and ids, never
    its content, and why it was refused (a rule, never a value)."""

    def __init__(self, event: Any, reason: str) -> None:
        super().__init__(_audit_fields(event))
        self.reason = reason
        # Taken from the event as it came, so a redelivery of it is still a no-op.
        given = event.get("webhookEventId") if isinstance(event, dict) else None
        self.event_id = given if _plain(given) else _digest(event)

    @classmethod
    def restored(cls, kept: dict[str, Any], reason: str, event_id: str) -> RefusedEvent:
        """A refused event as the webhook's spool kept it (`storage/spool.py`)."""
        refused = cls(kept, reason)
        refused.event_id = event_id
        return refused


def source_key(event: dict[str, Any]) -> str:
    """The chat an event belongs to; events of one chat are handled one at a time, in order."""
    source = event.get("source")
    if isinstance(source, dict):
        for field in _SOURCE_IDS:
            if source.get(field):
                return str(source[field])
    return "-"


def event_id(event: dict[str, Any]) -> str:
    """LINE's webhookEventId; for an event without one, a digest of the event itself."""
    if isinstance(event, RefusedEvent):
        return event.event_id[:64]
    given = event.get("webhookEventId")
    if isinstance(given, str) and given:
        return given[:64]
    return _digest(event)


def _digest(event: Any) -> str:
    digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest[:57]}"


def _row(event: dict[str, Any], received_at: datetime) -> dict[str, Any]:
    message = event.get("message")
    message_id = message.get("id") if isinstance(message, dict) else None
    row = {
        "webhook_event_id": event_id(event),
        "source_key": source_key(event)[:80],
        "event_type": str(event.get("type", "unknown"))[:40],
        "message_id": str(message_id)[:40] if message_id else None,
        "payload": event,
        "event_time": _event_time(event.get("timestamp"), received_at),
        "received_at": received_at,
        "status": PENDING,
        "attempts": 0,
        "available_at": received_at,
        "last_error": None,
        "handled_at": None,
    }
    if isinstance(event, RefusedEvent):
        row.update(
            payload=dict(event),
            status=REFUSED,
            last_error=event.reason[:200],
            handled_at=received_at,
        )
    return row


def _event_time(timestamp: Any, now: datetime) -> datetime:
    """When the event happened; its arrival when LINE's milliseconds give no date we can hold."""
    if not isinstance(timestamp, int | float) or isinstance(timestamp, bool):
        return now
    try:
        return datetime.fromtimestamp(timestamp / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return now


def _audit_fields(event: Any) -> dict[str, Any]:
    """What finds a refused event again: its type and ids, each only where it has the shape
    LINE gives it (a short string), so nothing the sender wrote is kept."""
    if not isinstance(event, dict):
        return {}
    kept: dict[str, Any] = {
        field: event[field]
        for field in ("type", "webhookEventId", "mode")
        if _plain(event.get(field))
    }
    timestamp = event.get("timestamp")
    if isinstance(timestamp, int) and not isinstance(timestamp, bool) and 0 <= timestamp < 2**63:
        kept["timestamp"] = timestamp
    for part, fields in (("source", ("type", *_SOURCE_IDS)), ("message", ("type", "id"))):
        value = event.get(part)
        if isinstance(value, dict):
            ids = {field: value[field] for field in fields if _plain(value.get(field))}
            if ids:
                kept[part] = ids
    return kept


def _plain(value: Any) -> bool:
    """An id as LINE writes one: a short string of printable characters (no NUL, no lone
    surrogate, nothing a database column or a log line would choke on)."""
    return isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable()


def store(session: Session, events: list[dict[str, Any]], now: datetime) -> None:
    """Insert events not seen before; a redelivered or duplicated event changes nothing."""
    store_received(session, [(event, now) for event in events])


def store_received(session: Session, events: list[tuple[dict[str, Any], datetime]]) -> None:
    """`store`, each event with the time the webhook received it."""
    if not events:
        return
    rows = [_row(event, received_at) for event, received_at in events]
    statement = insert(session, InboxEvent).on_conflict_do_nothing(
        index_elements=["webhook_event_id"]
    )
    session.execute(statement, rows)


# The worker's statements for every event are built once, with bind parameters: building
# one costs about 0.1 ms of Python each time, more than SQLite takes to run it.
_CHATS_WITH_WORK = (
    select(InboxEvent.source_key)
    .where(InboxEvent.status == PENDING)
    .group_by(InboxEvent.source_key)
    .having(func.min(InboxEvent.available_at) <= bindparam("now"))
    .order_by(func.min(InboxEvent.event_time))
    .limit(bindparam("limit"))
)
_ENSURE_LOCK_ROW = {
    dialect: insert_in(dialect, SourceLock)
    .values(source_key=bindparam("key"))
    .on_conflict_do_nothing()
    for dialect in ("sqlite", "postgresql")
}
_LOCK_CHAT = (
    select(SourceLock.source_key)
    .where(SourceLock.source_key == bindparam("key"))
    .with_for_update(skip_locked=True)
)
_OLDEST_PENDING = (
    select(InboxEvent)
    .where(InboxEvent.source_key == bindparam("key"), InboxEvent.status == PENDING)
    .order_by(InboxEvent.event_time, InboxEvent.id)
    .limit(1)
)
_PENDING_TEXTS = (
    select(InboxEvent.payload)
    .where(
        InboxEvent.source_key == bindparam("key"),
        InboxEvent.status == PENDING,
        InboxEvent.event_type == "message",
    )
    .order_by(InboxEvent.event_time, InboxEvent.id)
    .limit(bindparam("limit"))
)


def chats_with_work(session: Session, now: datetime, limit: int = 50) -> list[str]:
    """Chats whose oldest pending event is due, oldest first."""
    return list(session.scalars(_CHATS_WITH_WORK, {"now": now, "limit": limit}))


def claim_chat(session: Session, key: str) -> bool:
    """Hold the chat for this transaction; False if another worker holds it. On SQLite the
    transaction itself is the claim (BEGIN IMMEDIATE: one writer at a time), and the lock
    row's two statements, a tenth of a worker's time per event, are skipped."""
    if dialect_of(session) == "sqlite":
        return True
    ensure_lock_row(session, key)
    return lock_chat(session, key)


def ensure_lock_row(session: Session, key: str) -> None:
    session.execute(_ENSURE_LOCK_ROW[dialect_of(session)], {"key": key})


def lock_chat(session: Session, key: str) -> bool:
    """Take the chat's lock for this transaction; False if another worker holds it.

    On PostgreSQL this is the row lock with SKIP LOCKED, so several `madoguchi worker`
    processes never handle one resident at once. SQLite ignores FOR UPDATE, and needs
    nothing more: BEGIN IMMEDIATE already makes every write transaction exclusive.
    """
    return session.scalar(_LOCK_CHAT, {"key": key}) is not None


def oldest_pending(session: Session, key: str) -> InboxEvent | None:
    return session.scalar(_OLDEST_PENDING, {"key": key})


def pending_texts(session: Session, key: str, limit: int) -> list[str]:
    """What the chat's next waiting text messages say, oldest first."""
    texts = []
    for payload in session.scalars(_PENDING_TEXTS, {"key": key, "limit": limit}):
        message = payload.get("message")
        if isinstance(message, dict) and isinstance(message.get("text"), str):
            texts.append(message["text"])
    return texts


def mark_done(event: InboxEvent, now: datetime) -> None:
    """Handled: keep the row for dedupe, but not what the resident wrote (the flow kept what it needs)."""
    event.status = DONE
    event.handled_at = now
    event.payload = _without_content(event.payload)


def mark_failed(event: InboxEvent, now: datetime, error: BaseException, max_attempts: int) -> bool:
    """Count a failed attempt; back off, or park the event for an operator. True when parked."""
    event.attempts += 1
    # The exception's class only: its message could quote the resident.
    event.last_error = type(error).__name__[:200]
    if event.attempts >= max_attempts:
        event.status = PARKED
        return True
    event.available_at = now + timedelta(seconds=2**event.attempts)
    return False


def forget_message(session: Session, key: str, message_id: str) -> int:
    """The resident unsent a message: remove its content wherever the inbox still holds it."""
    events = session.scalars(
        select(InboxEvent).where(InboxEvent.source_key == key, InboxEvent.message_id == message_id)
    ).all()
    for event in events:
        event.payload = _without_content(event.payload)
    return len(events)


def parked(session: Session) -> list[InboxEvent]:
    return list(session.scalars(select(InboxEvent).where(InboxEvent.status == PARKED)))


def refused(session: Session) -> list[InboxEvent]:
    """Events the webhook refused, oldest first: what an operator asks LINE about."""
    statement = (
        select(InboxEvent).where(InboxEvent.status == REFUSED).order_by(InboxEvent.received_at)
    )
    return list(session.scalars(statement))


def requeue_parked(session: Session, now: datetime) -> int:
    """An operator fixed the cause: try the parked events again."""
    result = session.execute(
        update(InboxEvent)
        .where(InboxEvent.status == PARKED)
        .values(status=PENDING, attempts=0, available_at=now)
    )
    return result.rowcount


def _without_content(payload: dict[str, Any]) -> dict[str, Any]:
    cleaned = dict(payload)
    message = cleaned.get("message")
    if isinstance(message, dict):
        cleaned["message"] = {k: v for k, v in message.items() if k in ("id", "type")}
    if isinstance(cleaned.get("postback"), dict):
        cleaned["postback"] = {}
    return cleaned
