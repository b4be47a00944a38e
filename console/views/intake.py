"""Every channel is a ticket: staff open one for a phone call, a visit to the desk, a home
visit or a 民生委員's referral; log each contact on a ticket; print its 支援経過 record.

The new ticket takes the intake a LINE consultation gathers and goes through the same routing
and SLA (storage.tickets.open_for_channel); the contact log's next step brings the ticket back
to its queue on that day (storage.contacts).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

import locales
from console import forms, labels, params
from console.context import client_ip, now, visible_ticket, work
from console.i18n import _, local_date, local_time, reason
from console.views.rows import handovers, resident_name
from storage import casework, contacts, tickets
from storage.models import CHANNELS, CONTACT_METHODS, CONTACT_OUTCOMES, URGENCIES, Staff, Ticket

WORRY_MAX = 5000
NAME_MAX = 100
PHONE_MAX = 20
REFERENCE_MAX = 20
NOTE_MAX = 5000


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/tickets/new", "ticket_new", new_ticket, methods=["GET", "POST"])
    blueprint.add_url_rule(
        "/tickets/<reference>/contact", "ticket_contact", log_contact, methods=["POST"]
    )
    blueprint.add_url_rule("/tickets/<reference>/record", "ticket_record", record)


# ---- A ticket for any channel --------------------------------------------------------------


def new_ticket() -> Any:
    if request.method == "GET":
        with work() as (session, _staff):
            return _form(session, {"channel": "phone", "urgency": "anytime"})
    sent = request.form
    with work() as (session, staff):
        try:
            with session.begin_nested():
                ticket = _open(session, staff)
                reference = ticket.reference
        except ValueError as refused:
            chosen = {key: sent.get(key, "") for key in sent if key != "csrf_token"}
            chosen["categories"] = sent.getlist("categories")
            return _form(session, chosen, error=reason(refused)), 422
        team = ticket.team.name
    flash(_("{reference} was opened for {team}.", reference=reference, team=team), "success")
    return redirect(url_for("console.ticket_page", reference=reference))


def _open(session: Session, staff: Staff) -> Ticket:
    channel = forms.choice("channel", STAFF_CHANNELS, _("Choose how the consultation came in."))
    about = forms.choice("about", labels.ABOUT_NAMES, _("Choose whom it is about."), blank=True)
    categories = forms.choices(
        "categories", labels.CATEGORIES, _("Choose what it is about from the list.")
    )
    urgency = forms.choice("urgency", URGENCIES, _("Choose an urgency."))
    district_id = params.form_id("district")
    worry = forms.text("worry", WORRY_MAX, required=_("Write down the worry."))
    earlier = forms.text("resident_of", REFERENCE_MAX)
    resident = None
    if earlier:
        found = casework.get_visible(session, staff, earlier)
        if found is None:
            raise forms.FormError(_("No ticket of your teams has that reference number."))
        resident = found.resident
    ticket = tickets.open_for_channel(
        session,
        staff,
        channel=str(channel),
        now=now(),
        worry=worry,
        categories=categories,
        about=about,
        district_id=district_id,
        urgency=str(urgency),
        name=forms.text("name", NAME_MAX),
        phone=forms.text("phone", PHONE_MAX),
        referrer=forms.text("referrer", NAME_MAX),
        resident=resident,
    )
    if forms.checkbox("take") and any(team.id == ticket.team_id for team in staff.teams):
        casework.claim(session, staff, ticket, now())
    return ticket


STAFF_CHANNELS = tickets.STAFF_CHANNELS


def _form(session: Session, chosen: dict[str, Any], error: str | None = None) -> str:
    return render_template(
        "console/intake.html",
        chosen=chosen,
        error=error,
        channels=[
            (code, labels.label(labels.CHANNEL_NAMES, code))
            for code in CHANNELS
            if code in STAFF_CHANNELS
        ],
        abouts=labels.choices(labels.ABOUT_NAMES),
        categories=labels.choices(labels.CATEGORIES),
        urgencies=[(code, labels.label(labels.URGENCY_NAMES, code)) for code in URGENCIES],
        districts=tickets.district_choices(session),
        worry_max=WORRY_MAX,
        name_max=NAME_MAX,
        phone_max=PHONE_MAX,
    )


# ---- The contact log ------------------------------------------------------------------------


def log_contact(reference: str) -> Response:
    method = request.form.get("method", "")
    outcome = request.form.get("outcome", "")
    if method not in CONTACT_METHODS or outcome not in CONTACT_OUTCOMES:
        abort(400, description="choose how and what came of it")
    note = request.form.get("note", "")
    if len(note) > NOTE_MAX:
        abort(400, description=f"note is longer than {NOTE_MAX} characters")
    raw_day = request.form.get("next_action_on", "").strip()
    next_day = params.day(raw_day) if raw_day else None
    if raw_day and next_day is None:
        abort(400, description="the next step is a date written yyyy-mm-dd")
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        try:
            with session.begin_nested():
                contacts.record(
                    session,
                    staff,
                    ticket,
                    method=method,
                    outcome=outcome,
                    note=note,
                    next_action_on=next_day,
                    now=now(),
                )
        except ValueError as refused:
            flash(reason(refused), "error")
            return redirect(url_for("console.ticket_page", reference=reference))
    if next_day is not None:
        flash(_("Contact logged; the ticket comes back on {day}.", day=_day(next_day)), "success")
    else:
        flash(_("Contact logged."), "success")
    return redirect(url_for("console.ticket_page", reference=reference))


def _day(day: date) -> str:
    return local_date(locales.start_of_town_day(day))


@dataclass(frozen=True)
class ContactRow:
    at: str
    staff: str
    method: str
    outcome: str
    note: str
    next_action: str


def contact_rows(session: Session, ticket: Ticket) -> list[ContactRow]:
    """The ticket's contact log in words, oldest first (the ticket page and the record)."""
    return [
        ContactRow(
            at=local_time(entry.contacted_at),
            staff=entry.staff.name if entry.staff else "",
            method=labels.label(labels.CONTACT_KINDS, entry.method),
            outcome=labels.label(labels.CONTACT_OUTCOMES, entry.outcome),
            note=entry.note,
            next_action=local_date(entry.next_action_at) if entry.next_action_at else "",
        )
        for entry in contacts.of_ticket(session, ticket)
    ]


def contact_form() -> dict[str, Any]:
    """The choices of the contact form on the ticket page."""
    return {
        "methods": labels.choices(labels.CONTACT_KINDS),
        "outcomes": labels.choices(labels.CONTACT_OUTCOMES),
        "today": locales.town_date(now()).isoformat(),
    }


# ---- The printable 支援経過 record -------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One line of the record, in time order: a thread entry, a logged contact, or the ticket
    changing hands (to another team, to a colleague, or taken)."""

    at: datetime
    when: str
    kind: str
    who: str
    text: str


def record(reference: str) -> str:
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        moment = now()
        casework.mark_viewed(session, staff, ticket, moment, ip=client_ip())
        return render_template(
            "console/record.html",
            ticket=ticket_facts(ticket),
            intake=intake_rows(ticket),
            events=_events(session, ticket),
            printed=local_time(moment, "yyyy/MM/dd HH:mm"),
            printed_by=staff.name,
        )


def ticket_facts(ticket: Ticket) -> dict[str, str]:
    return {
        "reference": ticket.reference,
        "kind": labels.label(labels.KINDS, ticket.kind),
        "channel": labels.label(labels.CHANNEL_NAMES, ticket.channel),
        "status": labels.label(labels.STATUS_NAMES, ticket.status),
        "team": ticket.team.name,
        "assignee": ticket.assignee.name if ticket.assignee else "",
        "resident": resident_name(ticket),
        "created": local_time(ticket.created_at, "yyyy/MM/dd HH:mm"),
        "closed": local_time(ticket.resolved_at, "yyyy/MM/dd HH:mm"),
        "outcome": labels.label(labels.OUTCOME_NAMES, ticket.outcome),
        "outcome_note": ticket.outcome_note or "",
    }


def intake_rows(ticket: Ticket) -> list[tuple[str, str]]:
    """The intake in words: the same questions the ticket page's summary answers."""
    contact = ticket.contact or {}
    intake = ticket.intake or {}
    rows = [
        (_("Came in by"), labels.label(labels.CHANNEL_NAMES, ticket.channel)),
        (_("Referred by"), str(intake.get("referrer") or "")),
        (_("What it is about"), labels.labels(labels.CATEGORIES, ticket.categories)),
        (_("Who it is about"), labels.label(labels.ABOUT_NAMES, ticket.about)),
        (_("District"), ticket.district.name if ticket.district else ""),
        (_("Urgency"), labels.label(labels.URGENCY_NAMES, ticket.urgency)),
        (_("Contact name"), str(contact.get("name") or "")),
        (_("How to contact"), labels.label(labels.CONTACT_METHODS, contact.get("method"))),
        (_("Phone"), str(contact.get("phone") or "")),
        (_("When to contact"), labels.label(labels.CONTACT_TIMES, contact.get("when"))),
    ]
    return [(question, answer) for question, answer in rows if answer]


def _events(session: Session, ticket: Ticket) -> list[Event]:
    kinds = {
        "resident": _("Resident"),
        "staff": _("Staff reply"),
        "bot": _("Bot"),
        "note": _("Internal note"),
        "system": _("Record"),
    }
    events = []
    for message in ticket.messages:
        who = ""
        if message.author == "resident":
            who = resident_name(ticket)
        elif message.staff is not None:
            who = message.staff.name
        body = message.body
        if not body and message.attachments:
            body = _("Photos, files or stickers: {count}", count=len(message.attachments))
        events.append(
            Event(
                message.created_at,
                local_time(message.created_at, "yyyy/MM/dd HH:mm"),
                kinds.get(message.author, _("Record")),
                who,
                body,
            )
        )
    for entry in contacts.of_ticket(session, ticket):
        words = [
            labels.label(labels.CONTACT_KINDS, entry.method),
            labels.label(labels.CONTACT_OUTCOMES, entry.outcome),
        ]
        text = " · ".join(words)
        if entry.note:
            text = f"{text}\n{entry.note}"
        if entry.next_action_at is not None:
            text = f"{text}\n" + _("Next step on {day}", day=local_date(entry.next_action_at))
        events.append(
            Event(
                entry.contacted_at,
                local_time(entry.contacted_at, "yyyy/MM/dd HH:mm"),
                _("Contact"),
                entry.staff.name if entry.staff else "",
                text,
            )
        )
    # Who had the ticket when: every transfer, assignment and claim, with the reason given.
    for move in handovers(session, ticket, claims=True):
        text = f"{move.headline}\n{move.reason}" if move.reason else move.headline
        kind = _("Hand-over") if move.kind == "handover" else _("Assignment")
        events.append(Event(move.at, local_time(move.at, "yyyy/MM/dd HH:mm"), kind, move.by, text))
    return sorted(events, key=lambda event: event.at)
