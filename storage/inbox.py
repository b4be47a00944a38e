"""The inbox: webhook events stored once by webhookEventId, handled per chat in order."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.models import InboxEvent, SourceLock
from storage.sql import insert

PENDING, DONE, PARKED = "pending", "done", "parked"


def source_key(event: dict[str, Any]) -> str:
    """The chat an event belongs to; events of one chat are handled one at a time, in order."""
    source = event.get("source") or {}
    for field in ("userId", "groupId", "roomId"):
        if source.get(field):
            return str(source[field])
    return "-"


def event_id(event: dict[str, Any]) -> str:
    """LINE's webhookEventId; for an event without one, a digest of the event itself."""
    given = event.get("webhookEventId")
    if isinstance(given, str) and given:
        return given[:64]
    digest = hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()
    return f"sha256:{digest[:57]}"


def _row(event: dict[str, Any], now: datetime) -> dict[str, Any]:
    timestamp = event.get("timestamp")
    event_time = (
        datetime.fromtimestamp(timestamp / 1000, UTC) if isinstance(timestamp, int | float) else now
    )
    message = event.get("message") or {}
    return {
        "webhook_event_id": event_id(event),
        "source_key": source_key(event)[:80],
        "event_type": str(event.get("type", "unknown"))[:40],
        "message_id": str(message["id"])[:40] if message.get("id") else None,
        "payload": event,
        "event_time": event_time,
        "received_at": now,
        "status": PENDING,
        "attempts": 0,
        "available_at": now,
    }


def store(session: Session, events: list[dict[str, Any]], now: datetime) -> None:
    """Insert events not seen before; a redelivered or duplicated event changes nothing."""
    if not events:
        return
    rows = [_row(event, now) for event in events]
    statement = insert(session, InboxEvent).on_conflict_do_nothing(
        index_elements=["webhook_event_id"]
    )
    session.execute(statement, rows)


def chats_with_work(session: Session, now: datetime, limit: int = 50) -> list[str]:
    """Chats whose oldest pending event is due, oldest first."""
    statement = (
        select(InboxEvent.source_key)
        .where(InboxEvent.status == PENDING)
        .group_by(InboxEvent.source_key)
        .having(func.min(InboxEvent.available_at) <= now)
        .order_by(func.min(InboxEvent.event_time))
        .limit(limit)
    )
    return list(session.scalars(statement))


def ensure_lock_row(session: Session, key: str) -> None:
    session.execute(insert(session, SourceLock).values(source_key=key).on_conflict_do_nothing())


def lock_chat(session: Session, key: str) -> bool:
    """Take the chat's lock for this transaction; False if another worker holds it.

    On PostgreSQL this is the row lock with SKIP LOCKED, so several `madoguchi worker`
    processes never handle one resident at once. SQLite ignores FOR UPDATE, and needs
    nothing more: BEGIN IMMEDIATE already makes every write transaction exclusive.
    """
    statement = (
        select(SourceLock.source_key)
        .where(SourceLock.source_key == key)
        .with_for_update(skip_locked=True)
    )
    return session.scalar(statement) is not None


def oldest_pending(session: Session, key: str) -> InboxEvent | None:
    statement = (
        select(InboxEvent)
        .where(InboxEvent.source_key == key, InboxEvent.status == PENDING)
        .order_by(InboxEvent.event_time, InboxEvent.id)
        .limit(1)
    )
    return session.scalar(statement)


def pending_texts(session: Session, key: str, limit: int) -> list[str]:
    """What the chat's next waiting text messages say, oldest first."""
    statement = (
        select(InboxEvent.payload)
        .where(
            InboxEvent.source_key == key,
            InboxEvent.status == PENDING,
            InboxEvent.event_type == "message",
        )
        .order_by(InboxEvent.event_time, InboxEvent.id)
        .limit(limit)
    )
    texts = []
    for payload in session.scalars(statement):
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
