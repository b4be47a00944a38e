"""Tickets: opening one with its reference number, its thread, and finding a resident's open one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from locales import N_
from storage import audit, business_time, routing
from storage.attachments import FETCHED_KINDS, attach
from storage.models import (
    CHANNELS,
    OPEN_STATUSES,
    URGENCIES,
    District,
    ReferenceCounter,
    Resident,
    Staff,
    Team,
    Ticket,
    TicketMessage,
)
from storage.refusals import Refused
from storage.sql import insert

# Reference prefixes per kind: C for consultations, W for watch-over, S for talk-to-a-person.
PREFIXES = {"consultation": "C", "safety": "C", "staff": "S", "watch": "W"}


def next_reference(session: Session, kind: str, now: datetime) -> str:
    """The next number for this kind and year, e.g. C-2026-000123; never reused, never doubled.

    The counter row is bumped with UPDATE … RETURNING, so two transactions serialise on it.
    """
    prefix = PREFIXES.get(kind, "C")
    year = now.year
    session.execute(
        insert(session, ReferenceCounter)
        .values(prefix=prefix, year=year, last=0)
        .on_conflict_do_nothing()
    )
    number = session.execute(
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(last=ReferenceCounter.last + 1)
        .returning(ReferenceCounter.last)
    ).scalar_one()
    return f"{prefix}-{year}-{number:06d}"


def open_ticket(
    session: Session,
    *,
    resident: Resident,
    kind: str,
    team: Team,
    now: datetime,
    urgency: str = "anytime",
    categories: Iterable[str] = (),
    about: str | None = None,
    district_id: int | None = None,
    intake: dict[str, Any] | None = None,
    contact: dict[str, Any] | None = None,
    sla_due_at: datetime | None = None,
    channel: str = "line",
    staff: Staff | None = None,
) -> Ticket:
    """File a new ticket in `team`'s queue, in the caller's transaction; `staff` opened it
    (for a phone call, a visit, a 民生委員's referral), or the bot did (None)."""
    ticket = Ticket(
        reference=next_reference(session, kind, now),
        kind=kind,
        channel=channel,
        resident_id=resident.id,
        about=about,
        categories=list(categories),
        district_id=district_id if district_id is not None else resident.district_id,
        urgency=urgency,
        intake=intake or {},
        contact=contact or {},
        team_id=team.id,
        status="new",
        referral={},
        created_at=now,
        updated_at=now,
        # Counted in the team's business hours, so a Friday-evening ticket is not overdue Monday.
        sla_due_at=sla_due_at or business_time.sla_due(team, urgency, now),
    )
    session.add(ticket)
    session.flush()
    detail = {"kind": kind, "team": team.slug}
    if channel != "line":
        detail["channel"] = channel
    audit.record(session, "open", now, staff=staff, ticket=ticket, detail=detail)
    return ticket


# The channels staff open tickets for (LINE's are filed by the bot).
STAFF_CHANNELS = tuple(channel for channel in CHANNELS if channel != "line")
ABOUT = ("self", "family", "neighbour")
MAX_WORRY = 20_000
MAX_NAME = 200
MAX_PHONE = 40


def open_for_channel(
    session: Session,
    staff: Staff,
    *,
    channel: str,
    now: datetime,
    worry: str,
    categories: Iterable[str] = (),
    about: str | None = None,
    district_id: int | None = None,
    urgency: str = "anytime",
    name: str = "",
    phone: str = "",
    referrer: str = "",
    resident: Resident | None = None,
) -> Ticket:
    """A ticket staff open for a phone call, a visit to the desk, a home visit or a 民生委員's
    referral: the intake a LINE consultation gathers, routed by the same rules, with the same
    SLA, so every count includes it. The worry goes into the thread as the first note.

    Without `resident` (someone not known from LINE) a resident without a LINE address is made:
    nothing is ever sent to them, staff call or visit. Refused with a reason for bad input.
    """
    if channel not in STAFF_CHANNELS:
        raise Refused(N_("Choose how the consultation came in."), field="channel")
    if urgency not in URGENCIES:
        raise Refused(N_("Choose an urgency."), field="urgency")
    if about is not None and about not in ABOUT:
        raise Refused(N_("Choose whom it is about."), field="about")
    worry = (worry or "").strip()
    if not worry:
        raise Refused(N_("Write down the worry."), field="worry")
    if len(worry) > MAX_WORRY:
        raise Refused(N_("The worry is too long."), field="worry")
    name, phone, referrer = (value.strip() for value in (name or "", phone or "", referrer or ""))
    if len(name) > MAX_NAME or len(referrer) > MAX_NAME or len(phone) > MAX_PHONE:
        raise Refused(N_("A name or phone number is too long."), field="name")
    if resident is None and not name:
        raise Refused(N_("Write the name of the person to contact."), field="name")
    if phone and not all(character.isdigit() or character in "-+() " for character in phone):
        raise Refused(N_("A phone number has digits and hyphens only."), field="phone")
    district = session.get(District, district_id) if district_id is not None else None
    if district_id is not None and district is None:
        raise Refused(N_("There is no such district."), field="district")
    kinds = list(dict.fromkeys(categories))
    if resident is None:
        resident = Resident(
            line_user_id=None,
            display_name=name,
            language="ja",
            district_id=district_id if about in (None, "self") else None,
            following=False,
            created_at=now,
        )
        session.add(resident)
        session.flush()
    team = routing.route(
        session, categories=kinds, district_id=district_id, urgency=urgency, about=about
    )
    contact: dict[str, Any] = {"method": "phone" if phone else "visit"}
    if phone:
        contact["phone"] = phone
    if name:
        contact["name"] = name
    intake: dict[str, Any] = {
        "channel": channel,
        "about": about,
        "categories": kinds,
        "district": district.slug if district else None,
        "urgency": urgency,
    }
    if referrer:
        intake["referrer"] = referrer
    ticket = open_ticket(
        session,
        resident=resident,
        kind="consultation",
        team=team,
        now=now,
        urgency=urgency,
        categories=kinds,
        about=about,
        district_id=district_id,
        intake=intake,
        contact=contact,
        channel=channel,
        staff=staff,
    )
    add_message(session, ticket, author="note", staff=staff, body=worry, now=now)
    session.flush()
    return ticket


def district_choices(session: Session) -> list[tuple[int, str]]:
    """(id, name) of every district, in the city's own order, for an intake form."""
    return [
        (district.id, district.name)
        for district in session.scalars(select(District).order_by(District.position, District.id))
    ]


def opened_by_channel(
    session: Session, team_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, dict[str, int]]:
    """Per team, how many tickets were opened in [start, end) through each channel."""
    counts: dict[int, dict[str, int]] = {}
    for team_id, channel, count in session.execute(
        select(Ticket.team_id, Ticket.channel, func.count())
        .where(_opened_in(team_ids, start, end))
        .group_by(Ticket.team_id, Ticket.channel)
    ):
        counts.setdefault(team_id, {})[channel] = count
    return counts


def opened_by_team(
    session: Session, team_ids: Iterable[int], start: datetime, end: datetime
) -> dict[int, int]:
    """Per team, how many tickets were opened in [start, end); teams with none are left out."""
    rows = session.execute(
        select(Ticket.team_id, func.count())
        .where(_opened_in(team_ids, start, end))
        .group_by(Ticket.team_id)
    )
    return {team_id: count for team_id, count in rows}


def closed_by_outcome(
    session: Session, team_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, str | None, int]]:
    """(team id, outcome, count) of the tickets resolved in [start, end)."""
    rows = session.execute(
        select(Ticket.team_id, Ticket.outcome, func.count())
        .where(
            Ticket.team_id.in_(list(team_ids)),
            Ticket.resolved_at >= start,
            Ticket.resolved_at < end,
        )
        .group_by(Ticket.team_id, Ticket.outcome)
    )
    return [(team_id, outcome, count) for team_id, outcome, count in rows]


def first_responses(
    session: Session, team_ids: Iterable[int], start: datetime, end: datetime
) -> list[tuple[int, datetime, datetime | None]]:
    """(team id, opened, first answered or None) of each ticket opened in [start, end)."""
    rows = session.execute(
        select(Ticket.team_id, Ticket.created_at, Ticket.first_response_at).where(
            _opened_in(team_ids, start, end)
        )
    )
    return [(team_id, opened, answered) for team_id, opened, answered in rows]


def _opened_in(team_ids: Iterable[int], start: datetime, end: datetime) -> ColumnElement[bool]:
    return (
        Ticket.team_id.in_(list(team_ids))
        & (Ticket.created_at >= start)
        & (Ticket.created_at < end)
    )


def open_ticket_of(session: Session, resident: Resident) -> Ticket | None:
    """The resident's open ticket their messages go to, the newest if several."""
    return session.scalar(
        select(Ticket)
        .where(Ticket.resident_id == resident.id, Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.id.desc())
        .limit(1)
    )


def add_message(
    session: Session,
    ticket: Ticket,
    *,
    author: str,
    now: datetime,
    body: str = "",
    staff: Staff | None = None,
    attachments: list[dict[str, Any]] | None = None,
    line_message_id: str | None = None,
    outbox_id: int | None = None,
) -> TicketMessage:
    """Append to the thread; `author` is resident, staff, bot, note or system."""
    message = TicketMessage(
        ticket_id=ticket.id,
        author=author,
        staff_id=staff.id if staff else None,
        body=body,
        attachments=attachments or [],
        line_message_id=line_message_id,
        outbox_id=outbox_id,
        created_at=now,
    )
    session.add(message)
    ticket.updated_at = now
    if any(item.get("type") in FETCHED_KINDS for item in attachments or []):
        # Photos and files are fetched from LINE later; their rows wait for that here.
        session.flush()
        attach(session, message, now)
    return message


def forget_phone(session: Session, resident_id: int, message_id: str) -> None:
    """The phone number a consultation filed goes when the message that gave it is unsent."""
    for ticket in session.scalars(select(Ticket).where(Ticket.resident_id == resident_id)):
        contact = dict(ticket.contact or {})
        if (contact.get("phone_given") or {}).get("id") == message_id:
            contact.pop("phone", None)
            contact.pop("phone_given", None)
            ticket.contact = contact
