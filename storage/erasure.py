"""Taking a resident's words back out of everything that copied them.

A message a resident writes is copied as it travels: into the inbox, a flow's answers, a
ticket's thread, and back out in the bot's own words (a summary quoting the worry and the
phone number, a question quoting what was typed). An unsend must reach every copy, and so
must an erasure on request, which takes everything of one person.

`words_of_message` reads what one message said from wherever it is still kept, before the
callers forget those copies (the inbox, the thread and the flow each forget their own), so the
outbox's copies can be found by it (storage.outbox.withdraw_repeating). `erase_resident` is
the whole erasure; the only trace it leaves is an audit entry naming an opaque id.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from storage import attachments, audit, contacts, outbox, resident_record, residents, supporters
from storage.models import (
    OPEN_STATUSES,
    CheckinRound,
    Conversation,
    Deadline,
    InboxEvent,
    Resident,
    SourceLock,
    Staff,
    Ticket,
    TicketMessage,
    WatchCodeAttempt,
    WatchEnrolment,
    WatchFamilyLink,
    WatchInvitation,
)
from storage.watch import enrolments, schedules

# What an erased resident's row keeps in place of their LINE user id: an opaque id, which the
# audit entry names too. LINE's ids are "U" and 32 hex digits, so the two never collide.
ERASED_PREFIX = "erased:"
# What stands in a staff member's note or reply where the resident's words were.
REDACTED = "＊＊＊"
TICKET_REFERENCE = re.compile(r"[A-Z]{1,3}-\d{4}-\d{1,10}")
LINE_USER_ID = re.compile(r"U[0-9a-f]{32}")


@dataclass(frozen=True)
class Withdrawn:
    """What one message said, as far as any copy still kept tells, and when it arrived (the
    inbox's row keeps that after it is handled): nothing made earlier can repeat it."""

    words: list[str]
    since: datetime | None


def words_of_message(
    session: Session, chat: str, resident: Resident | None, message_id: str
) -> Withdrawn:
    """What the message `message_id` of `chat` said: from the inbox (until it is handled),
    the resident's ticket threads and their flow's answers."""
    words: list[str] = []
    moments: list[datetime] = []
    for event in session.scalars(
        select(InboxEvent).where(InboxEvent.source_key == chat, InboxEvent.message_id == message_id)
    ):
        moments.append(event.received_at)
        message = (event.payload or {}).get("message")
        if isinstance(message, dict):
            words += _said(message)
    if resident is not None:
        for entry in session.scalars(
            select(TicketMessage)
            .join(Ticket, Ticket.id == TicketMessage.ticket_id)
            .where(Ticket.resident_id == resident.id, TicketMessage.line_message_id == message_id)
        ):
            # (Not its time: a consultation files the worry after the summary quoted it.)
            words += [entry.body, *_place_words(entry.attachments)]
        for contact in session.scalars(
            select(Ticket.contact).where(Ticket.resident_id == resident.id)
        ):
            words += [word for part in _parts_with_id(contact, message_id) for word in _said(part)]
        conversation = session.get(Conversation, resident.id)
        if conversation is not None:
            words += [
                word
                for part in _parts_with_id(conversation.data, message_id)
                for word in _said(part)
            ]
    return Withdrawn(_distinct(words), min(moments) if moments else None)


def find_resident(session: Session, who: str) -> Resident | None:
    """The resident a ticket reference (C-2026-000123) or a LINE user id names."""
    who = who.strip()
    if TICKET_REFERENCE.fullmatch(who):
        ticket = session.scalar(select(Ticket).where(Ticket.reference == who))
        return ticket.resident if ticket is not None else None
    if LINE_USER_ID.fullmatch(who):
        return residents.find(session, who)
    return None


@dataclass(frozen=True)
class Reach:
    """What erasing a resident takes that an admin can check before confirming: their tickets'
    references and how many people they watch over as family."""

    references: list[str]
    family_links: int


def reach_of(session: Session, resident: Resident) -> Reach:
    references = session.scalars(
        select(Ticket.reference).where(Ticket.resident_id == resident.id).order_by(Ticket.id)
    )
    links = session.scalar(
        select(func.count())
        .select_from(WatchFamilyLink)
        .where(WatchFamilyLink.family_id == resident.id)
    )
    return Reach(list(references), links or 0)


@dataclass(frozen=True)
class Erased:
    """The opaque id the audit entry names, and what was taken, counted (never what it said)."""

    erasure_id: str
    tickets: int
    outbox_rows: int
    family_links: int


def erase_resident(
    session: Session,
    resident: Resident,
    now: datetime,
    *,
    staff: Staff | None = None,
    ip: str | None = None,
    note: str | None = None,
) -> Erased:
    """Erase a resident on their request: profile, conversation, inbox, outbox, the resident's
    words and attachments in their tickets, watch-over enrolment and family links.

    Their tickets stay, anonymous and closed, so the council's counts and the audit log still
    add up; `note` (in the office's language) is written in each ticket's thread to say why
    it is empty. One audit entry records who erased, when and an opaque id, nothing more.
    """
    user = resident.line_user_id
    words = _words_of(session, resident)
    family = _family_of(session, resident)
    erasure_id = secrets.token_hex(8)
    links = _forget_watch_over(session, resident)
    tickets = _forget_tickets(session, resident, words, now, note)
    rows = outbox.forget_chat(session, user)
    for member in family:
        # Alerts and summaries sent to family name the resident.
        rows += outbox.withdraw_repeating(session, member, words)
    session.execute(delete(InboxEvent).where(InboxEvent.source_key == user))
    session.execute(delete(SourceLock).where(SourceLock.source_key == user))
    session.execute(delete(Conversation).where(Conversation.resident_id == resident.id))
    resident_record.forget(session, resident)
    supporters.forget(session, resident, now)
    resident.line_user_id = f"{ERASED_PREFIX}{erasure_id}"
    resident.display_name = None
    resident.district_id = None
    resident.following = False
    resident.followed_at = None
    resident.unfollowed_at = now
    audit.record(
        session,
        "erase_resident",
        now,
        staff=staff,
        detail={"erasure": erasure_id, "by": "console" if staff else "cli"},
        ip=ip,
    )
    session.flush()
    return Erased(erasure_id, tickets, rows, links)


def _words_of(session: Session, resident: Resident) -> list[str]:
    """Everything of theirs a copy could repeat: name, phone numbers, what they wrote."""
    words = [resident.display_name or ""]
    for ticket in session.scalars(select(Ticket).where(Ticket.resident_id == resident.id)):
        words.append(str((ticket.contact or {}).get("phone") or ""))
        # A ticket staff opened names the person to contact (storage.tickets.open_for_channel).
        words.append(str((ticket.contact or {}).get("name") or ""))
        for entry in ticket.messages:
            if entry.author == "resident":
                words += [entry.body, *_place_words(entry.attachments)]
    conversation = session.get(Conversation, resident.id)
    if conversation is not None:
        words += residents.typed_words(conversation.data)
    # What staff kept in the resident record, which their notes may repeat.
    words += resident_record.words_of(session, resident)
    return _distinct(words)


def _family_of(session: Session, resident: Resident) -> list[str]:
    """The LINE user ids of the family who watch over this resident."""
    return list(
        session.scalars(
            select(Resident.line_user_id)
            .join(WatchFamilyLink, WatchFamilyLink.family_id == Resident.id)
            .join(WatchEnrolment, WatchEnrolment.id == WatchFamilyLink.enrolment_id)
            .where(WatchEnrolment.resident_id == resident.id)
        )
    )


def _forget_tickets(
    session: Session, resident: Resident, words: list[str], now: datetime, note: str | None
) -> int:
    """Their words and attachments out of their tickets; the tickets close, the rest stays."""
    found = list(session.scalars(select(Ticket).where(Ticket.resident_id == resident.id)))
    for ticket in found:
        theirs = [entry.id for entry in ticket.messages if entry.author == "resident"]
        if theirs:
            attachments.delete_of_messages(session, theirs)
            session.execute(delete(TicketMessage).where(TicketMessage.id.in_(theirs)))
        session.expire(ticket, ["messages"])
        for entry in ticket.messages:
            # The bot's answers and staff's notes may repeat a phone number or a name.
            entry.body = _redacted(entry.body, words)
        ticket.contact = {}
        for logged in contacts.of_ticket(session, ticket):
            logged.note = _redacted(logged.note, words)
        ticket.outcome_note = _redacted(ticket.outcome_note, words) or None
        ticket.referral = {
            key: _redacted(value, words) if isinstance(value, str) else value
            for key, value in (ticket.referral or {}).items()
        }
        if ticket.status in OPEN_STATUSES:
            ticket.status, ticket.outcome = "closed", "other"
            ticket.resolved_at = now
        ticket.updated_at = now
        if note:
            session.add(
                TicketMessage(ticket_id=ticket.id, author="system", body=note, created_at=now)
            )
    return len(found)


def _forget_watch_over(session: Session, resident: Resident) -> int:
    """Their enrolment with its rounds, codes and family links, and their links as family;
    with every deadline those would have fired. Returns how many family links went."""
    enrolment = enrolments.enrolment_of(session, resident, lock=True)
    keys: list[str] = []
    link_filter = WatchFamilyLink.family_id == resident.id
    if enrolment is not None:
        round_ids = list(
            session.scalars(
                select(CheckinRound.id).where(CheckinRound.enrolment_id == enrolment.id)
            )
        )
        keys += [schedules.round_key(enrolment.id), schedules.resume_key(enrolment.id)]
        keys += [schedules.step_key(round_id) for round_id in round_ids]
        link_filter = or_(link_filter, WatchFamilyLink.enrolment_id == enrolment.id)
    links = list(session.scalars(select(WatchFamilyLink.id).where(link_filter)))
    keys += [schedules.weekly_key(link_id) for link_id in links]
    if keys:
        session.execute(delete(Deadline).where(Deadline.key.in_(keys)))
    if links:
        session.execute(delete(WatchFamilyLink).where(WatchFamilyLink.id.in_(links)))
    session.execute(
        update(WatchInvitation)
        .where(WatchInvitation.used_by_id == resident.id)
        .values(used_by_id=None)
    )
    session.execute(delete(WatchCodeAttempt).where(WatchCodeAttempt.resident_id == resident.id))
    if enrolment is not None:
        session.execute(delete(WatchInvitation).where(WatchInvitation.enrolment_id == enrolment.id))
        session.execute(delete(CheckinRound).where(CheckinRound.enrolment_id == enrolment.id))
        session.delete(enrolment)
    return len(links)


def _redacted(text: str | None, words: Iterable[str]) -> str:
    """`text` with every line of `words` in it replaced by REDACTED."""
    text = text or ""
    lines = sorted(
        {line.strip() for word in words for line in word.splitlines() if len(line.strip()) >= 2},
        key=len,
        reverse=True,
    )
    for line in lines:
        text = text.replace(line, REDACTED)
    return text


def _parts_with_id(data: Any, message_id: str) -> list[dict[str, Any]]:
    """The pieces of a flow's answers that came from the message `message_id`."""
    if isinstance(data, dict):
        if data.get("id") == message_id:
            return [data]
        return [part for value in data.values() for part in _parts_with_id(value, message_id)]
    if isinstance(data, list):
        return [part for item in data for part in _parts_with_id(item, message_id)]
    return []


def _said(part: dict[str, Any]) -> list[str]:
    """What a message (or a flow's copy of one) said: its text, or a place's name and address."""
    return [
        str(part[key]) for key in ("text", "title", "address") if isinstance(part.get(key), str)
    ]


def _place_words(items: list[Any] | None) -> list[str]:
    """A shared location's name and address, as a thread entry keeps them."""
    return [
        str(item.get(key) or "")
        for item in items or []
        if isinstance(item, dict)
        for key in ("title", "address")
    ]


def _distinct(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(word for word in words if word and word.strip()))
