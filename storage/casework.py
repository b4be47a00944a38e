"""Casework: what staff do with tickets — queues, claiming, replies, notes, hand-overs, closing.

Rules every function here keeps:
- A staff member sees only their teams' tickets (admins see all); a ticket outside them is
  None, so routes answer 404 and never reveal that it exists.
- Every change (and every view) writes an audit entry in the caller's transaction; `history`
  reads them back for a ticket's timeline (status changes, transfers, referrals, closing).
- Every assignment (`claim`, and `assign` to a named colleague) goes through one
  conditional UPDATE (`_take`), so two people (or the auto-assigner and a person) can never
  both get one ticket.
- Bad input raises Refused (a ValueError) with a reason a person can act on, an English msgid
  translated where it is shown; a lost race raises Conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    false,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session, object_session, selectinload

from locales import N_
from storage import audit, business_time, messages, outbox, tickets
from storage.models import (
    OPEN_STATUSES,
    OUTCOMES,
    STATUSES,
    URGENCIES,
    AuditEntry,
    CannedResponse,
    OutboxMessage,
    Resident,
    Staff,
    Team,
    Ticket,
    TicketMessage,
)
from storage.models.staff import staff_teams
from storage.refusals import Conflict, Refused

View = Literal["new", "mine", "waiting", "open"]
VIEWS: tuple[View, ...] = ("new", "mine", "waiting", "open")
DeliveryStatus = Literal["pending", "delivered", "failed"]

# LINE's limit per text message; a longer reply goes out as several bubbles in one push.
LINE_TEXT_LIMIT = 5000
# Five bubbles: one push request, so a reply arrives whole or not at all.
MAX_REPLY = LINE_TEXT_LIMIT * outbox.MAX_MESSAGES_PER_REQUEST
MAX_NOTE = 20_000
MAX_REASON = 2_000
# Statuses staff set by hand; the closed ones come from refer() and close().
SETTABLE_STATUSES = ("new", "assigned", "in_progress", "waiting")
# The outcome of a watch-over ticket whose resident answered (see `resolve_by_answer`).
ANSWERED = "answered"
# Audit actions of danger words on a ticket (handlers/safety.py).
SAFETY_ACTIONS = ("safety_alarm", "safety_possible")
# Statuses of a ticket someone is working on (it counts towards their auto-assign cap).
WORKING_STATUSES = ("assigned", "in_progress", "waiting")
# Audit actions of a ticket changing hands, with a reason for the receiver (`handovers`).
HANDOVER_ACTIONS = ("transfer", "assign")


def is_admin(staff: Staff) -> bool:
    return staff.role == "admin"


def teams_of(staff: Staff) -> list[Team]:
    """The teams whose tickets `staff` sees: their own, or every team for an admin."""
    if not staff.active:
        return []
    if is_admin(staff):
        session = object_session(staff)
        if session is not None:
            return every_team(session)
    return sorted(staff.teams, key=lambda team: team.id)


def every_team(session: Session) -> list[Team]:
    """All teams, in the order they were made (to name the teams a ticket passed through)."""
    return list(session.scalars(select(Team).order_by(Team.id)))


def visible_tickets(staff: Staff) -> Select[tuple[Ticket]]:
    """SELECT of the tickets `staff` may see; add filters to it, never remove this one."""
    return select(Ticket).where(_visible_to(staff))


def get_visible(session: Session, staff: Staff, reference: str) -> Ticket | None:
    """The ticket with this reference if `staff` may see it; None otherwise (→ 404)."""
    reference = reference.strip().upper()
    if not reference or len(reference) > 20:
        return None
    return session.scalar(visible_tickets(staff).where(Ticket.reference == reference))


def team_visible(session: Session, staff: Staff, team_id: int) -> Team | None:
    """The team if `staff` works in it (or is an admin); None otherwise (→ 404)."""
    team = session.get(Team, team_id)
    if team is None or not staff.active:
        return None
    if is_admin(staff) or any(member.id == staff.id for member in team.members):
        return team
    return None


def queue(
    session: Session,
    staff: Staff,
    *,
    team_id: int | None,
    view: View,
    now: datetime,
    category: str | None = None,
    district_id: int | None = None,
    status: str | None = None,
    search: str | None = None,
    limit: int = 200,
) -> list[Ticket]:
    """One queue of a team (all visible teams when team_id is None), most urgent first.

    new: unassigned; mine: open and assigned to `staff`; waiting: waiting on someone;
    open: every open ticket. Sorted in bands as of `now` (`_queue_order`): emergencies and
    overdue tickets, then those whose next step (the contact log's day) has come, then the
    rest; within each by urgency (URGENCIES order), then SLA due time.
    `search` matches the reference or the resident's display name.
    """
    if view not in VIEWS:
        raise Refused(N_("Choose one of: {choices}."), field="view", choices=", ".join(VIEWS))
    if status is not None and status not in STATUSES:
        raise Refused(N_("Choose one of: {choices}."), field="status", choices=", ".join(STATUSES))
    statement = visible_tickets(staff).where(_in_view(staff, view))
    if team_id is not None:
        statement = statement.where(Ticket.team_id == team_id)
    if status is not None:
        statement = statement.where(Ticket.status == status)
    if district_id is not None:
        statement = statement.where(Ticket.district_id == district_id)
    if category:
        statement = statement.where(_has_category(category))
    if search and search.strip():
        term = search.strip()[:100]
        statement = statement.where(
            Ticket.reference.icontains(term, autoescape=True)
            | Ticket.resident.has(Resident.display_name.icontains(term, autoescape=True))
        )
    statement = (
        statement.order_by(*_queue_order(now))
        .limit(limit)
        .options(
            selectinload(Ticket.resident),
            selectinload(Ticket.assignee),
            selectinload(Ticket.team),
            selectinload(Ticket.district),
        )
    )
    return list(session.scalars(statement))


def queue_counts(session: Session, staff: Staff, team_id: int | None) -> dict[View, int]:
    """How many tickets each view holds, for the queue tabs."""
    columns = [func.coalesce(func.sum(case((_in_view(staff, v), 1), else_=0)), 0) for v in VIEWS]
    statement = select(*columns).select_from(Ticket).where(_visible_to(staff))
    if team_id is not None:
        statement = statement.where(Ticket.team_id == team_id)
    row = session.execute(statement).one()
    return {view: int(count) for view, count in zip(VIEWS, row, strict=True)}


def is_overdue(ticket: Ticket, now: datetime) -> bool:
    return ticket.is_open and ticket.sla_due_at is not None and ticket.sla_due_at <= now


def time_left(ticket: Ticket, now: datetime) -> timedelta | None:
    """Time until the SLA is due (negative when overdue); None without an SLA."""
    return None if ticket.sla_due_at is None else ticket.sla_due_at - now


def claim(
    session: Session, staff: Staff, ticket: Ticket, now: datetime, *, auto: bool = False
) -> bool:
    """Take an unassigned new ticket; True for exactly one of any number of concurrent callers.

    One conditional UPDATE (`_take`): the row lock it takes (PostgreSQL) or the write lock
    every transaction holds (SQLite, BEGIN IMMEDIATE) makes the second caller see the first
    one's assignee and change nothing.
    """
    if not staff.active:
        return False
    taken = _take(
        session,
        ticket,
        staff,
        now,
        held_by=None,
        allowed=(Ticket.status == "new") & _visible_to(staff),
    )
    if taken:
        audit.record(
            session, "claim", now, staff=staff, ticket=ticket, detail={"auto": True} if auto else {}
        )
    return taken


def assign(
    session: Session,
    staff: Staff,
    ticket: Ticket,
    assignee: Staff,
    reason: str,
    now: datetime,
    *,
    held_by: int | Literal["as read"] | None = "as read",
) -> None:
    """Give an open ticket to a named colleague in its team, with a reason shown on the ticket.

    The same conditional UPDATE as `claim` (`_take`): it changes the ticket only if it is
    still held by `held_by` (the assignee the caller saw; by default the one read in this
    transaction) and `assignee` is still an active member of the ticket's team, so two people
    never both hold it and a colleague who took it a moment ago is not silently overridden.
    A new ticket becomes assigned; a ticket being worked on keeps its status. The reason is
    in the audit entry, which the ticket page and `handovers` read back.

    Refused for a closed ticket, an empty or too long reason, an assignee outside the team or
    inactive, or the person who has it already; Conflict when the ticket changed meanwhile.
    """
    _require_open(ticket)
    reason = _text(reason, "reason", MAX_REASON)
    if held_by == "as read":
        held_by = ticket.assignee_id
    if not assignee.active or not any(t.id == ticket.team_id for t in assignee.teams):
        raise _not_in_team(assignee)
    if assignee.id == ticket.assignee_id:
        raise Refused(N_("{name} has this ticket already."), field="assignee", name=assignee.name)
    # Still in the team it was read in (a transfer unassigns), and the assignee still in it.
    member = select(staff_teams.c.staff_id).where(
        staff_teams.c.team_id == ticket.team_id,
        staff_teams.c.staff_id == assignee.id,
    )
    active = select(Staff.id).where(Staff.id == assignee.id, Staff.active.is_(True))
    taken = _take(
        session,
        ticket,
        assignee,
        now,
        held_by=held_by,
        allowed=(
            Ticket.status.in_(OPEN_STATUSES)
            & (Ticket.team_id == ticket.team_id)
            & _visible_to(staff)
            & member.exists()
            & active.exists()
        ),
    )
    if not taken:
        # Say which changed: the colleague (left the team or deactivated since they were
        # read: pick someone else) or the ticket (look at it again).
        if not session.scalar(select(and_(member.exists(), active.exists()))):
            raise _not_in_team(assignee)
        raise Conflict(N_("This ticket changed a moment ago: look at it again before assigning."))
    audit.record(
        session,
        "assign",
        now,
        staff=staff,
        ticket=ticket,
        detail={"from": held_by, "to": assignee.id, "reason": reason},
    )


def _not_in_team(assignee: Staff) -> Refused:
    return Refused(
        N_("{name} is not an active member of this ticket's team."),
        field="assignee",
        name=assignee.name,
    )


def team_members(session: Session, ticket: Ticket) -> list[Staff]:
    """The active members of the ticket's team, by name: whom it may be assigned to."""
    return list(
        session.scalars(
            select(Staff)
            .join(staff_teams, staff_teams.c.staff_id == Staff.id)
            .where(staff_teams.c.team_id == ticket.team_id, Staff.active.is_(True))
            .order_by(Staff.name, Staff.id)
        )
    )


def staff_named(session: Session, ids: set[int]) -> list[Staff]:
    """The staff members with these ids (to name who did what in a ticket's history)."""
    if not ids:
        return []
    return list(session.scalars(select(Staff).where(Staff.id.in_(ids))))


def member_of_team(session: Session, ticket: Ticket, staff_id: int) -> Staff | None:
    """The staff member with this id if they are an active member of the ticket's team."""
    return next((m for m in team_members(session, ticket) if m.id == staff_id), None)


def handovers(session: Session, ticket: Ticket, *, claims: bool = False) -> list[AuditEntry]:
    """The ticket's hand-overs, oldest first: transfers to another team and assignments to a
    colleague, each with who did it, when and the reason written for the receiver; with
    `claims`, also each time someone took it (the record of who had it when)."""
    actions = (*HANDOVER_ACTIONS, "claim") if claims else HANDOVER_ACTIONS
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.ticket_id == ticket.id, AuditEntry.action.in_(actions))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


def claim_next(session: Session, staff: Staff, team_id: int, now: datetime) -> Ticket | None:
    """Take the most urgent unassigned ticket of the team; None when the queue is empty.

    On PostgreSQL FOR UPDATE SKIP LOCKED lets many people take "next" at once, each passing
    over the rows others are taking; SQLite drops the clause and needs none (BEGIN IMMEDIATE).
    """
    for _ in range(5):
        ticket = session.scalar(
            _unassigned(team_id)
            .where(_visible_to(staff))
            .limit(1)
            .with_for_update(skip_locked=True, of=Ticket)
            .execution_options(populate_existing=True)
        )
        if ticket is None:
            return None
        if claim(session, staff, ticket, now):
            return ticket
    return None


def auto_assign(session: Session, team: Team, now: datetime) -> list[Ticket]:
    """Hand the team's new tickets round-robin to members marked available, under the cap.

    Least recently assigned member first; someone at `team.max_open_per_staff` open tickets
    is skipped. Every assignment goes through `claim`. Returns the tickets assigned.
    """
    members = [m for m in team.members if m.active and m.available]
    if not members:
        return []
    ids = [member.id for member in members]
    working = dict(
        session.execute(
            select(Ticket.assignee_id, func.count())
            .where(
                Ticket.team_id == team.id,
                Ticket.status.in_(WORKING_STATUSES),
                Ticket.assignee_id.in_(ids),
            )
            .group_by(Ticket.assignee_id)
        ).all()
    )
    last_claim = dict(
        session.execute(
            select(AuditEntry.staff_id, func.max(AuditEntry.id))
            .join(Ticket, Ticket.id == AuditEntry.ticket_id)
            .where(
                AuditEntry.action == "claim",
                Ticket.team_id == team.id,
                AuditEntry.staff_id.in_(ids),
            )
            .group_by(AuditEntry.staff_id)
        ).all()
    )
    rotation = sorted(members, key=lambda m: (last_claim.get(m.id, 0), m.id))
    waiting = session.scalars(
        _unassigned(team.id).with_for_update(skip_locked=True, of=Ticket).limit(200)
    ).all()
    assigned: list[Ticket] = []
    for ticket in waiting:
        eligible = [m for m in rotation if working.get(m.id, 0) < team.max_open_per_staff]
        if not eligible:
            break
        member = eligible[0]
        if claim(session, member, ticket, now, auto=True):
            assigned.append(ticket)
            working[member.id] = working.get(member.id, 0) + 1
            rotation.remove(member)
            rotation.append(member)
    return assigned


def auto_assign_all(session: Session, now: datetime) -> list[Ticket]:
    """`auto_assign` for every team that has it switched on (the scheduler's sweep)."""
    assigned: list[Ticket] = []
    for team in session.scalars(select(Team).where(Team.auto_assign.is_(True)).order_by(Team.id)):
        assigned.extend(auto_assign(session, team, now))
    return assigned


def reply(
    session: Session, staff: Staff, ticket: Ticket, body: str, now: datetime, header: str = ""
) -> TicketMessage:
    """Send `body` to the resident in LINE (by push through the outbox) and add it to the thread.

    `header` goes first in LINE only (who is writing, and about which ticket), so the resident
    tells a person from the bot; the thread keeps the body as written.

    ValueError with a reason for an empty or too long body, a closed ticket, or a resident who
    blocked the account. Records the first response; new/assigned becomes in_progress, and
    an unassigned ticket is claimed first (through `claim`, like every assignment).
    """
    body = _text(body, "reply", MAX_REPLY)
    if not ticket.is_open:
        raise Refused(N_("This ticket is closed; replies go to open tickets only."))
    resident = ticket.resident
    if not resident.line_user_id:
        raise Refused(N_("This resident is not on LINE. Please call or visit them."))
    if not resident.following:
        raise Refused(
            N_("The resident has blocked the account, so LINE cannot deliver. Please call them.")
        )
    if ticket.assignee_id is None and ticket.status == "new":
        claim(session, staff, ticket, now)
    sent = f"{header}\n{body}" if header else body
    bubbles = [messages.text(part) for part in split_for_line(sent)]
    (row,) = outbox.enqueue(session, resident.line_user_id, bubbles, now)
    message = tickets.add_message(
        session, ticket, author="staff", staff=staff, body=body, now=now, outbox_id=row.id
    )
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    if ticket.status in ("new", "assigned"):
        ticket.status = "in_progress"
    session.flush()
    audit.record(
        session,
        "reply",
        now,
        staff=staff,
        ticket=ticket,
        detail={"message_id": message.id, "outbox_id": row.id, "parts": len(bubbles)},
    )
    return message


def tell_resident(session: Session, ticket: Ticket, words: str, now: datetime) -> bool:
    """Tell the resident in LINE what happened to their ticket (moved, referred, closed), and
    show it in the thread as the bot's; False if they blocked the account (nothing is sent)."""
    resident = ticket.resident
    if not resident.following or not resident.line_user_id:
        return False
    (row,) = outbox.enqueue(session, resident.line_user_id, [messages.text(words)], now)
    tickets.add_message(session, ticket, author="bot", body=words, now=now, outbox_id=row.id)
    return True


def split_for_line(body: str, limit: int = LINE_TEXT_LIMIT) -> list[str]:
    """Cut text into LINE-sized parts, at a line break in the last quarter of a part if any."""
    parts: list[str] = []
    while len(body) > limit:
        cut = body.rfind("\n", limit * 3 // 4, limit)
        cut = limit if cut <= 0 else cut + 1
        parts.append(body[:cut])
        body = body[cut:]
    parts.append(body)
    return [part for part in parts if part.strip()] or [body]


def delivery_status(message: TicketMessage) -> DeliveryStatus | None:
    """Whether a staff reply reached the resident; None for entries that are not sent.

    The scheduler keeps outbox rows a reply points to (it sweeps only unreferenced ones).
    """
    if message.outbox_id is None:
        return None
    session = object_session(message)
    row = session.get(OutboxMessage, message.outbox_id) if session is not None else None
    if row is None or row.status in (outbox.FAILED, outbox.DROPPED):
        return "failed"
    return "delivered" if row.status == outbox.SENT else "pending"


def delivery_statuses(session: Session, messages: Sequence[TicketMessage]) -> dict[int, str]:
    """`delivery_status` for a whole thread in one query: {message id: status}."""
    outbox_ids = {m.outbox_id for m in messages if m.outbox_id is not None}
    if not outbox_ids:
        return {}
    states = dict(
        session.execute(
            select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(outbox_ids))
        ).all()
    )
    result: dict[int, str] = {}
    for message in messages:
        if message.outbox_id is not None:
            state = states.get(message.outbox_id)
            result[message.id] = (
                "delivered"
                if state == outbox.SENT
                else "pending"
                if state == outbox.PENDING
                else "failed"
            )
    return result


def note(session: Session, staff: Staff, ticket: Ticket, body: str, now: datetime) -> TicketMessage:
    """An internal note on the thread; it never reaches the resident."""
    body = _text(body, "note", MAX_NOTE)
    message = tickets.add_message(session, ticket, author="note", staff=staff, body=body, now=now)
    session.flush()
    audit.record(
        session, "note", now, staff=staff, ticket=ticket, detail={"message_id": message.id}
    )
    return message


def set_status(session: Session, staff: Staff, ticket: Ticket, status: str, now: datetime) -> None:
    """Move an open ticket between new, assigned, in_progress and waiting.

    Back to "new" puts it in the queue again, unassigned; an unassigned ticket moved on is
    claimed by `staff` first. Closing goes through refer() or close().
    """
    if status not in SETTABLE_STATUSES:
        raise Refused(
            N_("Choose one of: {choices}. To end a ticket, close or refer it."),
            field="status",
            choices=", ".join(SETTABLE_STATUSES),
        )
    _require_open(ticket)
    old = ticket.status
    if status == old:
        return
    if status == "new":
        ticket.assignee_id = None
    elif ticket.assignee_id is None and not claim(session, staff, ticket, now):
        raise Conflict(N_("Someone else took this ticket a moment ago."))
    ticket.status = status
    ticket.updated_at = now
    audit.record(
        session, "status", now, staff=staff, ticket=ticket, detail={"from": old, "to": status}
    )


def transfer(
    session: Session, staff: Staff, ticket: Ticket, team: Team, reason: str, now: datetime
) -> None:
    """Hand the ticket to another team's queue, unassigned, with a reason; the SLA is recomputed.

    Anyone who can see the ticket may send it to any team: the receiving team coordinates.
    """
    _require_open(ticket)
    reason = _text(reason, "reason", MAX_REASON)
    if team.id == ticket.team_id:
        raise Refused(N_("The ticket is already in this team."), field="team")
    old_team = ticket.team
    ticket.team_id = team.id
    ticket.team = team
    ticket.assignee_id = None
    ticket.status = "new"
    ticket.sla_due_at = business_time.sla_due(team, ticket.urgency, now)
    ticket.sla_warned_at = None
    ticket.updated_at = now
    audit.record(
        session,
        "transfer",
        now,
        staff=staff,
        ticket=ticket,
        detail={"from": old_team.slug, "to": team.slug, "reason": reason},
    )


def set_urgency(
    session: Session,
    ticket: Ticket,
    urgency: str,
    now: datetime,
    *,
    staff: Staff | None = None,
    by: str | None = None,
) -> bool:
    """Raise or lower an open ticket's urgency; its SLA due time follows. False if unchanged.

    The one place urgency changes after filing (staff, a watch-over alarm, a safety alarm), so
    the urgency shown and the time left never contradict each other:
    - raised: due within the team's allowance for the new urgency counted from now, or
      earlier if it was due earlier already (raising never gives more time);
    - lowered: due as if filed at the new urgency, counted from when it was filed, or later
      if it was due later already (lowering never makes it more pressing).
    The SLA warning is armed again for the new due time. `by` says who raised it when no
    staff member did (watch-over, safety).
    """
    if urgency not in URGENCIES:
        raise Refused(
            N_("Choose one of: {choices}."), field="urgency", choices=", ".join(URGENCIES)
        )
    _require_open(ticket)
    old = ticket.urgency
    if urgency == old:
        return False
    due = sla_due_for(ticket, urgency, now)
    ticket.urgency = urgency
    if due != ticket.sla_due_at:
        ticket.sla_due_at = due
        ticket.sla_warned_at = None
    ticket.updated_at = now
    detail: dict[str, Any] = {"from": old, "to": urgency}
    if by:
        detail["by"] = by
    audit.record(session, "urgency", now, staff=staff, ticket=ticket, detail=detail)
    return True


def sla_due_for(ticket: Ticket, urgency: str, now: datetime) -> datetime:
    """When `ticket` is due if its urgency becomes `urgency` now (see `set_urgency`)."""
    old_due = ticket.sla_due_at
    if more_urgent(urgency, ticket.urgency):
        due = business_time.sla_due(ticket.team, urgency, now)
        return due if old_due is None else min(old_due, due)
    due = business_time.sla_due(ticket.team, urgency, ticket.created_at)
    return due if old_due is None else max(old_due, due)


def resolve_by_answer(session: Session, ticket: Ticket, note: str, now: datetime) -> bool:
    """A watch-over alarm ended because the resident answered: the ticket is resolved with the
    outcome "answered", `note` (what happened, in the staff's language) in its thread.

    It leaves the open queues (and so the urgent band) and never turns overdue. False, and
    nothing done, for a ticket that is closed already, is not a watch-over one, or had a
    safety alarm on it (danger words are for a person to judge, whatever came after).
    """
    if not ticket.is_open or ticket.kind != "watch":
        return False
    alarmed = session.scalar(
        select(AuditEntry.id)
        .where(AuditEntry.ticket_id == ticket.id, AuditEntry.action.in_(SAFETY_ACTIONS))
        .limit(1)
    )
    if alarmed is not None:
        return False
    tickets.add_message(session, ticket, author="system", now=now, body=note)
    ticket.outcome_note = note
    _end(ticket, "resolved", ANSWERED, now)
    audit.record(
        session,
        "close",
        now,
        ticket=ticket,
        detail={"outcome": ANSWERED, "status": "resolved", "by": "resident"},
    )
    return True


def refer(
    session: Session, staff: Staff, ticket: Ticket, agency: str, handed_over: str, now: datetime
) -> None:
    """つなぎ: the matter goes to an outside agency; which one and what was handed over."""
    _require_open(ticket)
    agency = _text(agency, "agency", 200)
    handed_over = _text(handed_over, "handed_over", MAX_REASON)
    ticket.referral = {
        "agency": agency,
        "handed_over": handed_over,
        "by": staff.id,
        "at": now.isoformat(),
    }
    _end(ticket, "referred", "referred", now)
    audit.record(session, "refer", now, staff=staff, ticket=ticket, detail={"agency": agency})


def close(
    session: Session, staff: Staff, ticket: Ticket, outcome: str, note: str, now: datetime
) -> None:
    """Close with an outcome from OUTCOMES (the reports count them) and a short note.

    solved → status resolved; referred → referred; the rest → closed.
    """
    if outcome not in OUTCOMES:
        raise Refused(N_("Choose one of: {choices}."), field="outcome", choices=", ".join(OUTCOMES))
    _require_open(ticket)
    if not isinstance(note, str) or len(note) > MAX_REASON:
        raise Refused(
            N_("This is too long: at most {limit} characters."), field="note", limit=MAX_REASON
        )
    status = {"solved": "resolved", ANSWERED: "resolved", "referred": "referred"}.get(
        outcome, "closed"
    )
    ticket.outcome_note = note.strip() or None
    _end(ticket, status, outcome, now)
    audit.record(
        session,
        "close",
        now,
        staff=staff,
        ticket=ticket,
        detail={"outcome": outcome, "status": status},
    )


def mark_viewed(
    session: Session, staff: Staff, ticket: Ticket, now: datetime, ip: str | None = None
) -> None:
    """Audit that `staff` opened the ticket."""
    audit.record(session, "view", now, staff=staff, ticket=ticket, ip=ip)


def history(session: Session, ticket: Ticket) -> list[AuditEntry]:
    """The ticket's audit entries, oldest first: who viewed, claimed, moved or closed it, when."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.ticket_id == ticket.id)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
    )


def earlier_tickets(session: Session, staff: Staff, ticket: Ticket) -> list[Ticket]:
    """The resident's other tickets that `staff` may see, newest first."""
    return list(
        session.scalars(
            visible_tickets(staff)
            .where(Ticket.resident_id == ticket.resident_id, Ticket.id != ticket.id)
            .order_by(Ticket.created_at.desc())
            .limit(50)
        )
    )


def sla_warnings(session: Session, now: datetime, warn_before: timedelta) -> list[Ticket]:
    """Open tickets nearing their SLA not yet warned about; marks them warned (alert once).

    SKIP LOCKED on PostgreSQL, so two workers sweeping at once never warn about one ticket
    twice; the caller sends the alerts in the same transaction.
    """
    due = list(
        session.scalars(
            select(Ticket)
            .where(
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.sla_due_at.is_not(None),
                Ticket.sla_due_at <= now + warn_before,
                Ticket.sla_warned_at.is_(None),
            )
            .order_by(*_most_urgent_first())
            .with_for_update(skip_locked=True, of=Ticket)
            .options(selectinload(Ticket.team))
        )
    )
    for ticket in due:
        ticket.sla_warned_at = now
        audit.record(
            session,
            "sla_warning",
            now,
            ticket=ticket,
            detail={"due": ticket.sla_due_at.isoformat() if ticket.sla_due_at else None},
        )
    return due


def canned_responses(session: Session, team: Team, language: str) -> list[CannedResponse]:
    """The team's ready answers in `language` (the resident's), by title."""
    return list(
        session.scalars(
            select(CannedResponse)
            .where(CannedResponse.team_id == team.id, CannedResponse.language == language)
            .order_by(CannedResponse.title, CannedResponse.id)
        )
    )


def canned_response(session: Session, canned_id: int) -> CannedResponse | None:
    return session.get(CannedResponse, canned_id)


def team_of_canned(session: Session, canned: CannedResponse) -> Team:
    team = session.get(Team, canned.team_id)
    assert team is not None  # a foreign key with ON DELETE CASCADE
    return team


def add_canned_response(
    session: Session,
    staff: Staff,
    team: Team,
    *,
    language: str,
    title: str,
    body: str,
    now: datetime,
) -> CannedResponse:
    """A new ready answer for `team`; members, supervisors and admins may add one."""
    _require_member(staff, team)
    canned = CannedResponse(
        team_id=team.id,
        language=_text(language, "language", 16),
        title=_text(title, "title", 80),
        body=_text(body, "body", LINE_TEXT_LIMIT),
    )
    session.add(canned)
    session.flush()
    audit.record(
        session, "canned_create", now, staff=staff, detail={"id": canned.id, "team": team.slug}
    )
    return canned


def update_canned_response(
    session: Session,
    staff: Staff,
    canned: CannedResponse,
    *,
    title: str,
    body: str,
    now: datetime,
    language: str | None = None,
) -> None:
    _require_member(staff, team_of_canned(session, canned))
    canned.title = _text(title, "title", 80)
    canned.body = _text(body, "body", LINE_TEXT_LIMIT)
    if language is not None:
        canned.language = _text(language, "language", 16)
    audit.record(session, "canned_update", now, staff=staff, detail={"id": canned.id})


def delete_canned_response(
    session: Session, staff: Staff, canned: CannedResponse, now: datetime
) -> None:
    _require_member(staff, team_of_canned(session, canned))
    audit.record(session, "canned_delete", now, staff=staff, detail={"id": canned.id})
    session.delete(canned)


# --- the pieces --------------------------------------------------------------------------


def _take(
    session: Session,
    ticket: Ticket,
    to: Staff,
    now: datetime,
    *,
    held_by: int | None,
    allowed: ColumnElement[bool],
) -> bool:
    """The one place an assignee is set: one conditional UPDATE, True if it changed the row.

    It changes the ticket only while it is still held by `held_by` (None: nobody) and
    `allowed` holds; a concurrent caller waits for the row (PostgreSQL) or the write lock
    (SQLite) and then finds the condition false. A new ticket becomes assigned.
    """
    holder = Ticket.assignee_id.is_(None) if held_by is None else Ticket.assignee_id == held_by
    statement = (
        update(Ticket)
        .where(Ticket.id == ticket.id, holder, allowed)
        .values(
            assignee_id=to.id,
            status=case((Ticket.status == "new", "assigned"), else_=Ticket.status),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    taken = session.execute(statement).rowcount == 1
    # Either way the caller now sees who has the ticket.
    session.refresh(ticket)
    return taken


def _visible_to(staff: Staff) -> ColumnElement[bool]:
    if not staff.active:
        return false()
    if is_admin(staff):
        return Ticket.id.is_not(None)
    mine = select(staff_teams.c.team_id).where(staff_teams.c.staff_id == staff.id)
    return Ticket.team_id.in_(mine.scalar_subquery())


def _in_view(staff: Staff, view: View) -> ColumnElement[bool]:
    if view == "new":
        return (Ticket.status == "new") & Ticket.assignee_id.is_(None)
    if view == "mine":
        return Ticket.status.in_(OPEN_STATUSES) & (Ticket.assignee_id == staff.id)
    if view == "waiting":
        return Ticket.status == "waiting"
    return Ticket.status.in_(OPEN_STATUSES)


def more_urgent(urgency: str, than: str) -> bool:
    return _rank(urgency) < _rank(than)


def _rank(urgency: str) -> int:
    return URGENCIES.index(urgency) if urgency in URGENCIES else len(URGENCIES)


def _most_urgent_first() -> list[Any]:
    rank = case(
        {urgency: position for position, urgency in enumerate(URGENCIES)},
        value=Ticket.urgency,
        else_=len(URGENCIES),
    )
    return [rank, Ticket.sla_due_at.is_(None), Ticket.sla_due_at, Ticket.id]


def _queue_order(now: datetime) -> list[Any]:
    """The order a caseworker works a queue in, as of `now`, in three bands:

    1. Emergencies and tickets past their SLA: someone may be in danger, or the time the
       council promised is already gone. Nothing a caseworker planned outranks these.
    2. Tickets whose next step has come (the contact log's next-action day, from the start of
       that day in the town): the caseworker promised the resident a call or a visit that day,
       and the queue is the only thing that will remind them; without this band a callback
       set last week sits under a week of newer arrivals on Monday morning.
    3. The rest.
    Within a band, by urgency and then due time, like every other list of tickets.
    """
    pressing = (Ticket.urgency == "emergency") | (Ticket.sla_due_at <= now)
    next_step_due = Ticket.follow_up_at <= now
    band = case((pressing, 0), (next_step_due, 1), else_=2)
    return [band, *_most_urgent_first()]


def _unassigned(team_id: int) -> Select[tuple[Ticket]]:
    return (
        select(Ticket)
        .where(Ticket.team_id == team_id, Ticket.status == "new", Ticket.assignee_id.is_(None))
        .order_by(*_most_urgent_first())
    )


def _has_category(category: str) -> ColumnElement[bool]:
    # Categories are short slugs kept as a JSON list; matching the quoted slug in its text
    # works alike on SQLite and PostgreSQL without a JSON operator of either.
    if not category.replace("_", "").replace("-", "").isalnum() or len(category) > 30:
        raise Refused(N_("There is no such category."), field="category")
    return cast(Ticket.categories, String).contains(f'"{category}"')


def _require_open(ticket: Ticket) -> None:
    if not ticket.is_open:
        raise Refused(N_("This ticket is already closed."))


def _require_member(staff: Staff, team: Team) -> None:
    if not (is_admin(staff) or any(t.id == team.id for t in staff.teams)):
        raise Refused(N_("Only the team's members can edit its canned responses."))


def _end(ticket: Ticket, status: str, outcome: str, now: datetime) -> None:
    ticket.status = status
    ticket.outcome = outcome
    ticket.resolved_at = now
    ticket.updated_at = now


def _text(value: Any, name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refused(N_("Please write something here."), field=name)
    value = value.strip()
    if len(value) > limit:
        raise Refused(N_("This is too long: at most {limit} characters."), field=name, limit=limit)
    return value
