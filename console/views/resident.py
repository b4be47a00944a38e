"""The resident record page: who the resident is (name, address, phone, the council's case
number, household notes, each with where it came from), whom to call, every ticket the
reader may see and the check-in history; and its edits, each a form with a CSRF token.

A record exists for a staff member only if they see one of the resident's tickets (an admin
sees all): anyone else gets the same 404 as for a resident that does not exist. Every view
and change is audited (storage.resident_record).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import labels, params, watch
from console.context import client_ip, now, work
from console.i18n import _, local_date, local_time, reason
from console.views.rows import watch_status
from locales import N_
from storage import erasure, resident_record
from storage.models import RECORD_FIELDS, CheckinRound, Resident, ResidentDetail, Staff

# The fields the details form edits, in its order; the household note has a form of its own.
DETAIL_FIELDS = tuple(field for field in RECORD_FIELDS if field != "household")
# What a check-in round came to, in words; the watch-over pages' own words where they have one.
ROUND_OUTCOMES = {
    "due": N_("Not sent yet"),
    "sent": N_("Waiting for an answer"),
    "reminded": N_("Reminded, no answer yet"),
    "escalated": N_("No answer: alert raised"),
    "answered": N_("Answered"),
    "resolved": N_("Settled"),
    "skipped": N_("Not sent"),
    "cancelled": N_("Stopped"),
}


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/residents/<id:resident_id>", "resident_record", resident_page)
    for action, view in (
        ("details", save_details),
        ("adopt", adopt),
        ("contacts", add_contact),
        ("contacts/remove", remove_contact),
    ):
        blueprint.add_url_rule(
            f"/residents/<id:resident_id>/{action}",
            f"resident_{action.replace('/', '_')}",
            view,
            methods=["POST"],
        )


def url_of(resident_id: int) -> str:
    """The record's address, for the pages that link to it (the ticket page)."""
    return url_for("console.resident_record", resident_id=resident_id)


def _resident(session: Session, staff: Staff, resident_id: int) -> Resident:
    found = resident_record.open_for(session, staff, resident_id)
    if found is None:
        abort(404)
    return found


# ---- The page -------------------------------------------------------------------------------


def resident_page(resident_id: int) -> str:
    with work() as (session, staff):
        resident = _resident(session, staff, resident_id)
        resident_record.viewed(session, staff, resident, now(), ip=client_ip())
        return _render(session, staff, resident)


def _render(session: Session, staff: Staff, resident: Resident) -> str:
    fields = resident_record.fields_of(session, staff, resident)
    contacts = resident_record.contacts_of(session, resident)
    ids = {field.kept.staff_id for field in fields if field.kept and field.kept.staff_id}
    ids |= {contact.staff_id for contact in contacts if contact.staff_id}
    names = resident_record.staff_names(session, ids)
    by_field = {field.field: field for field in fields}
    tickets = resident_record.tickets_of(session, staff, resident)
    enrolment = resident_record.enrolment_of(session, resident)
    heading = by_field["name"].value or resident.display_name or _("Resident")
    return render_template(
        "console/resident.html",
        resident_id=resident.id,
        heading=heading,
        line_name=resident.display_name or "",
        profile=_profile(session, resident),
        fields=[_field(by_field[name], names) for name in DETAIL_FIELDS],
        household=_field(by_field["household"], names),
        limits=resident_record.LIMITS,
        family=[
            {"name": member.name or _("A family member"), "since": local_date(member.since)}
            for member in resident_record.family_on_line(session, resident)
        ],
        contacts=[
            {
                "id": contact.id,
                "name": contact.name,
                "relation": contact.relation,
                "phone": contact.phone,
                "note": contact.note,
                "added": _(
                    "Added by {who} on {when}",
                    who=names.get(contact.staff_id or 0, _("staff")),
                    when=local_date(contact.created_at),
                ),
            }
            for contact in contacts
        ],
        contact_limits={
            "name": resident_record.CONTACT_NAME_MAX,
            "relation": resident_record.CONTACT_RELATION_MAX,
            "phone": resident_record.CONTACT_PHONE_MAX,
            "note": resident_record.CONTACT_NOTE_MAX,
        },
        tickets=[
            {
                "reference": ticket.reference,
                "url": url_for("console.ticket_page", reference=ticket.reference),
                "kind": labels.label(labels.KINDS, ticket.kind),
                # LINE is the usual way in; only another channel is worth a word.
                "channel": labels.label(labels.CHANNEL_NAMES, ticket.channel)
                if ticket.channel != "line"
                else "",
                "categories": labels.labels(labels.CATEGORIES, ticket.categories),
                "status": labels.label(labels.STATUS_NAMES, ticket.status),
                "team": ticket.team.name,
                "received": local_time(ticket.created_at, "yyyy/MM/dd HH:mm"),
                "ended": local_time(ticket.resolved_at, "yyyy/MM/dd HH:mm")
                if not ticket.is_open
                else "",
            }
            for ticket in tickets
        ],
        watch_status=watch_status(enrolment),
        watch_url=url_for("console.watch_detail", enrolment_id=enrolment.id)
        if enrolment is not None and watch.may_see()
        else "",
        rounds=[_round(row) for row in resident_record.checkins_of(session, resident)],
    )


def _profile(session: Session, resident: Resident) -> list[tuple[str, str]]:
    if not resident.line_user_id:
        line = _("Not on LINE: call or visit them")
    elif resident.line_user_id.startswith(erasure.ERASED_PREFIX):
        line = _("The resident's data was erased.")
    elif resident.following:
        line = _(
            "Following since {when}", when=local_date(resident.followed_at or resident.created_at)
        )
    else:
        line = _("Blocked the account: replies cannot reach them")
    rows = [
        (_("Name (LINE)"), resident.display_name or "") if resident.line_user_id else ("", ""),
        (_("Language"), labels.label(labels.LANGUAGE_NAMES, resident.language)),
        (_("District"), resident_record.district_name(session, resident)),
        (_("LINE"), line),
    ]
    return [(question, answer) for question, answer in rows if question and answer]


def _field(field: resident_record.Field, names: dict[int, str]) -> dict[str, Any]:
    suggestion = field.suggestion
    return {
        "name": field.field,
        "label": labels.label(labels.RECORD_FIELDS, field.field),
        "value": field.value,
        "source": _source(field.kept, names),
        "suggestion": {
            "value": suggestion.value,
            "source": _from_ticket(
                suggestion.kind, suggestion.reference, suggestion.at, suggestion.visible
            ),
            "url": url_for("console.ticket_page", reference=suggestion.reference)
            if suggestion.visible
            else "",
        }
        if suggestion is not None
        else None,
    }


def _source(kept: ResidentDetail | None, names: dict[int, str]) -> str:
    """Where a kept value came from, and who put it there when."""
    if kept is None:
        return ""
    who = names.get(kept.staff_id or 0, _("staff"))
    when = local_date(kept.updated_at)
    if kept.source == "ticket" and kept.source_reference:
        origin = _from_ticket(kept.source_kind, kept.source_reference, kept.source_at, True)
        return _("{origin}; taken in by {who} on {when}", origin=origin, who=who, when=when)
    return _("Typed by {who} on {when}", who=who, when=when)


def _from_ticket(kind: str | None, reference: str, at: datetime | None, visible: bool) -> str:
    day = local_date(at)
    if not visible:
        return _("From a ticket of another team, {day}", day=day)
    return _(
        "From {kind} {reference}, {day}",
        kind=labels.label(labels.KINDS, kind),
        reference=reference,
        day=day,
    )


def _round(row: CheckinRound) -> dict[str, str]:
    outcome = _(ROUND_OUTCOMES.get(row.state, N_("Other")))
    answer = watch.ANSWERS.get(row.answer or "")
    if answer and row.state in ("answered", "resolved"):
        outcome = f"{outcome}: {_(answer)}"
    if row.state == "skipped" and row.skip_reason in watch.SKIP_REASONS:
        outcome = f"{outcome} ({_(watch.SKIP_REASONS[row.skip_reason])})"
    settled = ""
    if row.state == "resolved":
        how = watch.OUTCOMES.get(row.resolution or "")
        settled = local_time(row.resolved_at)
        if how:
            settled = f"{_(how)} · {settled}"
    return {
        "due": local_time(row.due_at),
        "outcome": outcome,
        "state": row.state,
        "answered": local_time(row.answered_at),
        "alert": local_time(row.escalated_at),
        "settled": settled,
    }


# ---- Changes ------------------------------------------------------------------------------


def _back(resident_id: int, anchor: str = "") -> Response:
    return redirect(url_of(resident_id) + (f"#{anchor}" if anchor else ""))


def save_details(resident_id: int) -> Response:
    """The details form, or the household note's: each field with the value the form showed.

    Here and in every change below, who may open the record is settled before the form is
    read, so what was sent never changes the answer a stranger gets (404)."""
    with work() as (session, staff):
        resident = _resident(session, staff, resident_id)
        changes = {
            field: (request.form.get(f"shown_{field}", ""), request.form.get(field, ""))
            for field in RECORD_FIELDS
            if field in request.form
        }
        anchor = "household" if "household" in changes else "details"
        try:
            with session.begin_nested():
                changed = resident_record.save(
                    session, staff, resident, changes, now(), ip=client_ip()
                )
        except ValueError as refused:
            flash(reason(refused), "error")
            return _back(resident_id, anchor)
    if changed:
        flash(_("The record is saved."), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return _back(resident_id, anchor)


def adopt(resident_id: int) -> Response:
    with work() as (session, staff):
        resident = _resident(session, staff, resident_id)
        field = request.form.get("field", "")
        if field not in resident_record.SUGGESTED:
            abort(400, description="choose a field a ticket can suggest")
        try:
            with session.begin_nested():
                resident_record.adopt(session, staff, resident, field, now(), ip=client_ip())
        except ValueError as refused:
            flash(reason(refused), "error")
            return _back(resident_id, "details")
    flash(
        _("{field} taken into the record.", field=labels.label(labels.RECORD_FIELDS, field)),
        "success",
    )
    return _back(resident_id, "details")


def add_contact(resident_id: int) -> Response:
    with work() as (session, staff):
        resident = _resident(session, staff, resident_id)
        form = request.form
        try:
            with session.begin_nested():
                resident_record.add_contact(
                    session,
                    staff,
                    resident,
                    name=form.get("name", ""),
                    relation=form.get("relation", ""),
                    phone=form.get("phone", ""),
                    note=form.get("note", ""),
                    now=now(),
                    ip=client_ip(),
                )
        except ValueError as refused:
            flash(reason(refused), "error")
            return _back(resident_id, "contacts")
    flash(_("The contact is added."), "success")
    return _back(resident_id, "contacts")


def remove_contact(resident_id: int) -> Response:
    with work() as (session, staff):
        resident = _resident(session, staff, resident_id)
        contact_id = params.form_id("contact")
        if contact_id is None:
            abort(400, description="which contact")
        removed = resident_record.remove_contact(
            session, staff, resident, contact_id, now(), ip=client_ip()
        )
    if removed:
        flash(_("The contact is removed."), "success")
    else:
        # Someone removed it first (or it was never this resident's): nothing left to do.
        flash(_("That contact is no longer on the record."), "info")
    return _back(resident_id, "contacts")
