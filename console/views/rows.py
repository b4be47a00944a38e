"""Tickets as the pages show them: plain values computed inside the transaction.

Templates get these rather than ORM objects, so nothing lazy-loads after the session closed
and every word is already in the staff member's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import url_for
from sqlalchemy.orm import Session

import locales
from console import labels
from console.i18n import _, duration, local_date, local_time
from storage import casework, contacts
from storage.models import AuditEntry, Ticket, WatchEnrolment

# Audit entries the safety check writes on a ticket, and how sure each one was.
SAFETY_ACTIONS = {"safety_alarm": "emergency", "safety_possible": "possible"}


@dataclass(frozen=True)
class Deadline:
    """Time left before the SLA: text that says it in words (never colour alone) and a state."""

    text: str
    # none, ok, soon (within the warning time), overdue
    state: str

    @classmethod
    def of(cls, ticket: Ticket, now: datetime, warn_before: timedelta) -> Deadline:
        left = casework.time_left(ticket, now) if ticket.is_open else None
        if left is None:
            return cls("", "none")
        if left <= timedelta(0):
            return cls(_("Overdue by {time}", time=duration(-left)), "overdue")
        state = "soon" if left <= warn_before else "ok"
        # Rounded up: with 44 minutes 59 seconds left, people say "45 minutes left".
        rounded_up = timedelta(minutes=-(-left.total_seconds() // 60))
        return cls(_("{time} left", time=duration(rounded_up)), state)


@dataclass(frozen=True)
class Row:
    reference: str
    url: str
    urgency: str
    urgency_label: str
    kind_label: str
    # The danger a safety alarm read in the resident's words ("" for none), in words.
    danger: str
    categories: str
    district: str
    resident: str
    status: str
    status_label: str
    assignee: str
    created: str
    deadline: Deadline
    can_claim: bool
    # The next step the contact log set: "" for none, due from the start of its day on.
    follow_up: str = ""
    follow_up_due: bool = False

    @classmethod
    def of(cls, ticket: Ticket, now: datetime, warn_before: timedelta) -> Row:
        return cls(
            reference=ticket.reference,
            url=url_for("console.ticket_page", reference=ticket.reference),
            urgency=ticket.urgency,
            urgency_label=labels.label(labels.URGENCY_NAMES, ticket.urgency),
            kind_label=labels.label(labels.KINDS, ticket.kind),
            danger=labels.label(labels.SAFETY_KINDS, (ticket.intake or {}).get("alarm")),
            categories=labels.labels(labels.CATEGORIES, ticket.categories),
            district=ticket.district.name if ticket.district else "",
            resident=resident_name(ticket),
            status=ticket.status,
            status_label=labels.label(labels.STATUS_NAMES, ticket.status),
            assignee=ticket.assignee.name if ticket.assignee else "",
            created=local_time(ticket.created_at),
            deadline=Deadline.of(ticket, now, warn_before),
            can_claim=ticket.assignee_id is None and ticket.is_open,
            follow_up=follow_up(ticket, now),
            follow_up_due=contacts.follow_up_due(ticket, now),
        )


def follow_up(ticket: Ticket, moment: datetime) -> str:
    """The next step the contact log set, in words: due today, overdue since, or on a day."""
    if ticket.follow_up_at is None or not ticket.is_open:
        return ""
    if contacts.follow_up_due(ticket, moment):
        if locales.town_date(ticket.follow_up_at) == locales.town_date(moment):
            return _("Next step due today")
        return _("Next step was due {day}", day=local_date(ticket.follow_up_at))
    return _("Next step on {day}", day=local_date(ticket.follow_up_at))


def resident_name(ticket: Ticket) -> str:
    return ticket.resident.display_name or _("(no name)")


@dataclass(frozen=True)
class Danger:
    """What the safety check read in the resident's words, for the box atop the ticket page."""

    # emergency (the numbers went out at once) or possible (the resident was asked)
    level: str
    level_label: str
    kinds: str
    first: str


def danger(session: Session, ticket: Ticket) -> Danger | None:
    """The danger reported on this ticket, from its intake and every safety entry of its log;
    None when the safety check never spoke up on it."""
    intake = ticket.intake or {}
    kinds: list[str] = []
    levels: set[str] = set()
    first: datetime | None = None
    if intake.get("alarm"):
        kinds.append(str(intake["alarm"]))
        levels.add(str(intake.get("level") or "emergency"))
        first = ticket.created_at
    for entry in casework.history(session, ticket):
        level = SAFETY_ACTIONS.get(entry.action)
        if level is None:
            continue
        detail = entry.detail or {}
        kinds += [str(kind) for kind in detail.get("kinds") or [detail.get("kind")] if kind]
        levels.add(level)
        first = entry.at if first is None else min(first, entry.at)
    if not kinds:
        return None
    level = "emergency" if "emergency" in levels else "possible"
    return Danger(
        level=level,
        level_label=labels.label(labels.SAFETY_LEVELS, level),
        kinds=labels.labels(labels.SAFETY_KINDS, dict.fromkeys(kinds)),
        first=local_time(first),
    )


def watch_alert(ticket: Ticket) -> list[tuple[str, str]]:
    """A watch-over ticket's why and which check-in, as summary rows (none for other tickets)."""
    intake = ticket.intake or {}
    rows = []
    if intake.get("reason"):
        rows.append((_("Why"), labels.label(labels.WATCH_REASONS, str(intake["reason"]))))
    if intake.get("due_at"):
        try:
            due = datetime.fromisoformat(str(intake["due_at"]))
        except ValueError:
            due = None
        if due is not None:
            rows.append((_("Check-in of"), local_time(due)))
    return rows


@dataclass(frozen=True)
class Handover:
    """A ticket changing hands, in words: to another team, to a named colleague, or taken."""

    kind: str  # "handover" (to a team), "assignment" (to a colleague) or "claim" (taken)
    at: datetime
    by: str
    headline: str
    reason: str
    # A transfer: the team's slug it went to and the name of the one it came from;
    # an assignment or a claim: the id of the person who has it now.
    to: Any
    came_from: str = ""

    def entry(self) -> dict[str, Any]:
        """As an internal entry of the thread."""
        return {
            "kind": self.kind,
            "author": self.by,
            "at": local_time(self.at),
            "at_iso": self.at.isoformat(),
            "headline": self.headline,
            "body": self.reason,
            "stickers": 0,
            "attachments": 0,
            "kept": [],
            "delivery": None,
        }


def handovers(session: Session, ticket: Ticket, *, claims: bool = False) -> list[Handover]:
    """The ticket's transfers and assignments (and with `claims`, each time someone took it),
    oldest first, with names for the codes the audit log keeps."""
    entries = casework.handovers(session, ticket, claims=claims)
    if not entries:
        return []
    teams = {team.slug: team.name for team in casework.every_team(session)}
    ids = {entry.staff_id for entry in entries if entry.staff_id}
    for entry in entries:
        if entry.action == "assign":
            detail = entry.detail or {}
            ids.update(v for v in (detail.get("from"), detail.get("to")) if isinstance(v, int))
    people = {person.id: person.name for person in casework.staff_named(session, ids)}
    return [_handover(entry, teams, people) for entry in entries]


def _handover(entry: AuditEntry, teams: dict[str, str], people: dict[int, str]) -> Handover:
    detail = entry.detail or {}
    by = people.get(entry.staff_id, "") if entry.staff_id else ""
    reason = str(detail.get("reason") or "")
    if entry.action == "transfer":
        old = teams.get(str(detail.get("from")), _("another team"))
        new = teams.get(str(detail.get("to")), _("another team"))
        headline = _("Handed over from {old} to {new}", old=old, new=new)
        return Handover("handover", entry.at, by, headline, reason, detail.get("to"), old)
    if entry.action == "claim":
        who = by or _("a colleague")
        if detail.get("auto"):
            headline = _("Assigned automatically to {name}", name=who)
        else:
            headline = _("Taken by {name}", name=who)
        return Handover("claim", entry.at, by, headline, "", entry.staff_id)
    old_id, new_id = detail.get("from"), detail.get("to")
    new = people.get(new_id, _("a colleague")) if isinstance(new_id, int) else _("a colleague")
    if isinstance(old_id, int) and old_id in people:
        headline = _("Assigned to {name} (was {old})", name=new, old=people[old_id])
    else:
        headline = _("Assigned to {name}", name=new)
    return Handover("assignment", entry.at, by, headline, reason, new_id)


def watch_status(enrolment: WatchEnrolment | None) -> str:
    """見守り: enrolled or not, paused until when, and the last sign of life."""
    if enrolment is None:
        return _("Not enrolled")
    if enrolment.status == "ended":
        return _("Ended {when}", when=local_date(enrolment.ended_at))
    if enrolment.status == "paused":
        state = _("Paused until {when}", when=local_date(enrolment.paused_until))
    else:
        state = _("Enrolled")
    if enrolment.last_sign_of_life_at is not None:
        seen = _("last sign of life {when}", when=local_time(enrolment.last_sign_of_life_at))
        return f"{state} ({seen})"
    return state
