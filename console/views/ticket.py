"""The ticket page: the intake as a summary, the resident, the thread, and every action on it.

Every route finds the ticket through `casework.get_visible`: a ticket of another team is
exactly as absent as one that never existed (404, same page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import casework_with_words, labels, params, requests
from console.auth import safe_next
from console.context import app_services, client_ip, now, visible_ticket, work
from console.i18n import _, local_time, reason
from console.views.intake import contact_form, contact_rows
from console.views.rows import (
    Deadline,
    Handover,
    danger,
    follow_up,
    handovers,
    resident_name,
    watch_alert,
    watch_status,
)
from storage import (
    attachments,
    audit,
    casework,
    resident_record,
    residents,
    routing,
    supporters,
)
from storage.models import OPEN_STATUSES, URGENCIES, Staff, Ticket, TicketAttachment, TicketMessage
from storage.watch import enrolments

# LINE takes up to 5,000 characters in one text message.
REPLY_MAX = 5000
NOTE_MAX = 5000
SHORT_MAX = 200
# Intake keys the summary shows in its own rows; anything else is listed after them.
SHOWN_ELSEWHERE = {
    "categories",
    "about",
    "district",
    "district_id",
    "urgency",
    "contact",
    "when",
    "language",
    "consent_version",
    "located_by_map",
    # Where a "talk to a person" request was made: the bot's bookkeeping, not an answer.
    "asked_in",
    "step",
    # A safety alarm: shown as the danger box at the top of the page.
    "alarm",
    "level",
    # A watch-over alert: why, and which check-in, in rows of their own.
    "reason",
    "round_id",
    "due_at",
    # Staff-opened tickets (console/views/intake.py): the channel and who referred them.
    "channel",
    "referrer",
}


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/tickets/<reference>", "ticket_page", ticket_page)
    blueprint.add_url_rule(
        "/tickets/<reference>/attachments/<id:attachment_id>",
        "ticket_attachment",
        attachment,
    )
    for action in (
        "claim",
        "assign",
        "reply",
        "note",
        "status",
        "urgency",
        "transfer",
        "refer",
        "close",
    ):
        blueprint.add_url_rule(
            f"/tickets/<reference>/{action}",
            f"ticket_{action}",
            ACTIONS[action],
            methods=["POST"],
        )


def ticket_page(reference: str) -> str:
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        casework.mark_viewed(session, staff, ticket, now(), ip=client_ip())
        return _render(session, staff, ticket)


def _render(
    session: Session,
    staff: Staff,
    ticket: Ticket,
    *,
    reply_draft: str = "",
    note_draft: str = "",
    error: str | None = None,
) -> str:
    moment = now()
    resident = ticket.resident
    moves = handovers(session, ticket)
    return render_template(
        "console/ticket.html",
        ticket=_header(ticket, staff, moment),
        summary=_summary(session, ticket),
        danger=danger(session, ticket),
        profile=_profile(session, staff, ticket),
        contacts=contact_rows(session, ticket),
        contact_form=contact_form(),
        follow_up=follow_up(ticket, moment),
        thread=_thread(session, ticket, moves),
        arrived=_arrived(ticket, moves),
        colleagues=[
            (member.id, member.name)
            for member in casework.team_members(session, ticket)
            if member.id != ticket.assignee_id
        ],
        canned=[
            (canned.title, canned.body)
            for canned in casework.canned_responses(session, ticket.team, resident.language)
        ],
        teams=[
            (team.slug, team.name)
            for team in casework.every_team(session)
            if team.id != ticket.team_id
        ],
        statuses=[(code, labels.label(labels.STATUS_NAMES, code)) for code in OPEN_STATUSES],
        urgencies=[(code, labels.label(labels.URGENCY_NAMES, code)) for code in URGENCIES],
        outcomes=labels.choices(labels.OUTCOME_NAMES),
        reply_draft=reply_draft,
        note_draft=note_draft,
        error=error,
        reply_max=REPLY_MAX,
        note_max=NOTE_MAX,
        short_max=SHORT_MAX,
        help_requests=_help_requests(session, staff, ticket),
    )


@dataclass(frozen=True)
class HelpRequestLine:
    request_id: int
    kind: str
    status: str


def _help_requests(session: Session, staff: Staff, ticket: Ticket) -> list[HelpRequestLine] | None:
    """The 生活応援隊 requests made from this ticket, for the staff who coordinate them (None
    for others: they see no request section)."""
    if not supporters.staff_may_coordinate(staff):
        return None
    return [
        HelpRequestLine(
            found.id, requests.kind_label(found.kind), requests.status_label(found.status)
        )
        for found in supporters.requests_of_ticket(session, ticket.id)
    ]


@dataclass(frozen=True)
class Header:
    reference: str
    kind: str
    status: str
    status_label: str
    urgency: str
    urgency_label: str
    team: str
    assignee: str
    assignee_id: int | None
    created: str
    first_response: str
    # When the answer is due (the SLA, following the urgency), in the town's time.
    due: str
    deadline: Deadline
    is_open: bool
    can_claim: bool
    is_mine: bool
    referral: dict[str, Any]
    outcome: str
    outcome_note: str
    resident_language: str


def _header(ticket: Ticket, staff: Staff, moment: Any) -> Header:
    return Header(
        reference=ticket.reference,
        kind=labels.label(labels.KINDS, ticket.kind),
        status=ticket.status,
        status_label=labels.label(labels.STATUS_NAMES, ticket.status),
        urgency=ticket.urgency,
        urgency_label=labels.label(labels.URGENCY_NAMES, ticket.urgency),
        team=ticket.team.name,
        assignee=ticket.assignee.name if ticket.assignee else "",
        assignee_id=ticket.assignee_id,
        created=local_time(ticket.created_at),
        first_response=local_time(ticket.first_response_at),
        due=local_time(ticket.sla_due_at) if ticket.is_open else "",
        deadline=Deadline.of(ticket, moment, app_services().settings.sla_warn_before),
        is_open=ticket.is_open,
        can_claim=ticket.is_open and ticket.assignee_id is None,
        is_mine=ticket.assignee_id == staff.id,
        referral=dict(ticket.referral or {}),
        outcome=labels.label(labels.OUTCOME_NAMES, ticket.outcome),
        outcome_note=ticket.outcome_note or "",
        resident_language=labels.label(labels.LANGUAGE_NAMES, ticket.resident.language),
    )


def _summary(session: Session, ticket: Ticket) -> list[tuple[str, str]]:
    """The intake answers as (question, answer) rows a person reads at a glance."""
    contact = ticket.contact or {}
    intake = ticket.intake or {}
    rows = [
        (
            _("Came in by"),
            labels.label(labels.CHANNEL_NAMES, ticket.channel) if ticket.channel != "line" else "",
        ),
        (_("Referred by"), str(intake.get("referrer") or "")),
        (_("What it is about"), labels.labels(labels.CATEGORIES, ticket.categories)),
        (_("Who it is about"), labels.label(labels.ABOUT_NAMES, ticket.about)),
        (_("District"), ticket.district.name if ticket.district else ""),
        (_("Urgency"), labels.label(labels.URGENCY_NAMES, ticket.urgency)),
        (_("How to contact"), labels.label(labels.CONTACT_METHODS, contact.get("method"))),
        (_("Contact name"), str(contact.get("name") or "")),
        (_("Phone"), str(contact.get("phone") or "")),
        (_("When to contact"), labels.label(labels.CONTACT_TIMES, contact.get("when"))),
        (_("Consent"), _consent(session, ticket)),
    ]
    rows[1:1] = watch_alert(ticket)
    if (ticket.intake or {}).get("located_by_map"):
        rows.append((_("Where"), _("Sent a location from the map")))
    for key, value in (ticket.intake or {}).items():
        if key in SHOWN_ELSEWHERE or value in (None, "", [], {}):
            continue
        rows.append((key, _plain(value)))
    return [(question, answer) for question, answer in rows if answer]


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return "、".join(_plain(item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_plain(item)}" for key, item in value.items())
    return str(value)


def _consent(session: Session, ticket: Ticket) -> str:
    given = residents.latest_consent(session, ticket.resident_id, "consultation")
    if given is None:
        return _("Not recorded")
    when = local_time(given.at)
    if given.given:
        return _("Agreed (notice {version}, {when})", version=given.version, when=when)
    return _("Declined (notice {version}, {when})", version=given.version, when=when)


def _profile(session: Session, staff: Staff, ticket: Ticket) -> dict[str, Any]:
    resident = ticket.resident
    earlier = casework.earlier_tickets(session, staff, ticket)
    return {
        "name": resident_name(ticket),
        "record_url": url_for("console.resident_record", resident_id=resident.id),
        "language": labels.label(labels.LANGUAGE_NAMES, resident.language),
        "district": resident_record.district_name(session, resident),
        "following": resident.following,
        "on_line": bool(resident.line_user_id),
        "watch": watch_status(enrolments.enrolment_of(session, ticket.resident)),
        "since": local_time(resident.followed_at or resident.created_at),
        "earlier": [
            {
                "reference": other.reference,
                "url": url_for("console.ticket_page", reference=other.reference),
                "status": labels.label(labels.STATUS_NAMES, other.status),
                "created": local_time(other.created_at),
                "categories": labels.labels(labels.CATEGORIES, other.categories),
            }
            for other in earlier
        ],
    }


def attachment(reference: str, attachment_id: int) -> Response:
    """A photo or file a resident sent, to staff who may open its ticket (404 to anyone else)."""
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        found = attachments.stored_of_ticket(session, ticket.id, attachment_id)
        if found is None or found.content is None:
            abort(404)
        audit.record(
            session,
            "view_attachment",
            now(),
            staff=staff,
            ticket=ticket,
            detail={"attachment": found.id},
            ip=client_ip(),
        )
        content_type = found.content_type or "application/octet-stream"
        response = make_response(found.content)
    response.headers["Content-Type"] = content_type
    # Shown in the page only when it is a picture; anything else is a download, never rendered.
    disposition = "inline" if content_type.startswith("image/") else "attachment"
    response.headers["Content-Disposition"] = f"{disposition}; filename=attachment-{attachment_id}"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _thread(session: Session, ticket: Ticket, moves: list[Handover]) -> list[dict[str, Any]]:
    """The conversation, with each hand-over (team or colleague) as an internal entry in it."""
    messages = list(ticket.messages)
    deliveries = casework.delivery_statuses(session, messages)
    kept = attachments.of_messages(session, (message.id for message in messages))
    entries = [
        (
            message.created_at,
            1,
            _entry(ticket, message, deliveries.get(message.id), kept.get(message.id, [])),
        )
        for message in messages
    ]
    entries += [(move.at, 0, move.entry()) for move in moves]
    # Stable: messages keep their order; a hand-over comes before what was said at its moment.
    entries.sort(key=lambda item: (item[0], item[1]))
    return [entry for _at, _rank, entry in entries]


def _attachment_view(ticket: Ticket, found: TicketAttachment) -> dict[str, Any]:
    return {
        "status": found.status,
        "is_image": (found.content_type or "").startswith("image/"),
        "url": url_for(
            "console.ticket_attachment", reference=ticket.reference, attachment_id=found.id
        ),
    }


def _entry(
    ticket: Ticket,
    message: TicketMessage,
    delivery: str | None,
    kept: list[TicketAttachment],
) -> dict[str, Any]:
    # The bot and the system are named by the entry's kind alone; a person by their name.
    authors = {"resident": resident_name(ticket), "bot": "", "system": ""}
    author = authors.get(message.author)
    if author is None:
        author = message.staff.name if message.staff else _("Staff")
    sent = [item.get("type") for item in message.attachments or [] if isinstance(item, dict)]
    return {
        "kind": message.author,
        "headline": "",
        "author": author,
        "at": local_time(message.created_at),
        "at_iso": message.created_at.isoformat(),
        "body": message.body,
        "stickers": sent.count("sticker"),
        "attachments": len(message.attachments or []) - sent.count("sticker"),
        "kept": [_attachment_view(ticket, found) for found in kept],
        "delivery": delivery,
    }


def _arrived(ticket: Ticket, moves: list[Handover]) -> list[dict[str, str]]:
    """What the people who have the ticket now read first, near the top of the page: why it
    came to their team (the last transfer, if it brought it here) and why to its assignee
    (the last assignment after that transfer, if the ticket is still theirs)."""
    shown: list[dict[str, str]] = []
    last_transfer = max((n for n, m in enumerate(moves) if m.kind == "handover"), default=-1)
    if last_transfer >= 0 and moves[last_transfer].to == ticket.team.slug:
        move = moves[last_transfer]
        shown.append(
            {
                "kind": move.kind,
                "headline": _("Handed over from {team}", team=move.came_from),
                "reason": move.reason,
                "by": move.by,
                "at": local_time(move.at),
            }
        )
    assignments = [m for m in moves[last_transfer + 1 :] if m.kind == "assignment"]
    if assignments and ticket.assignee_id is not None and assignments[-1].to == ticket.assignee_id:
        move = assignments[-1]
        shown.append(
            {
                "kind": move.kind,
                "headline": move.headline,
                "reason": move.reason,
                "by": move.by,
                "at": local_time(move.at),
            }
        )
    return shown


# ---- Actions -----------------------------------------------------------------------------------


def _back(reference: str) -> Response:
    return redirect(url_for("console.ticket_page", reference=reference))


def _text(name: str, limit: int) -> str:
    value = request.form.get(name, "")
    if len(value) > limit:
        abort(400, description=f"{name} is longer than {limit} characters")
    return value.strip()


def claim(reference: str) -> Response:
    target = safe_next(request.form.get("next")) if request.form.get("next") else None
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        taken = casework.claim(session, staff, ticket, now())
    if taken:
        flash(_("You have taken {reference}.", reference=reference), "success")
        return _back(reference)
    flash(_("Someone else took this one first."), "error")
    return redirect(target or url_for("console.ticket_page", reference=reference))


def assign(reference: str) -> Response:
    """Give the ticket to a named colleague of its team, with a reason shown on the ticket.

    The form carries the assignee the page showed (`held_by`): if someone took the ticket
    since, the assignment is refused rather than taking it from them unseen.
    """
    chosen = params.form_id("assignee")
    if chosen is None:
        abort(400, description="choose a colleague")
    why = _text("reason", SHORT_MAX * 5)
    # Absent (not from the page): whoever has it as read now.
    held_by: int | Literal["as read"] | None = (
        params.form_id("held_by") if "held_by" in request.form else "as read"
    )
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        assignee = casework.member_of_team(session, ticket, chosen)
        if assignee is None:
            flash(_("Choose a colleague from this ticket's team."), "error")
            return _back(reference)
        name = assignee.name
        try:
            with session.begin_nested():
                casework.assign(session, staff, ticket, assignee, why, now(), held_by=held_by)
        except ValueError as refused:
            flash(reason(refused), "error")
            return _back(reference)
    flash(_("{reference} is now assigned to {name}.", reference=reference, name=name), "success")
    return _back(reference)


def reply(reference: str) -> Any:
    body = _text("body", REPLY_MAX)
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        try:
            with session.begin_nested():
                casework_with_words.reply(session, staff, ticket, body, now())
        except ValueError as refused:
            return _render(session, staff, ticket, reply_draft=body, error=reason(refused)), 422
    flash(_("Your reply is on its way to the resident."), "success")
    return _back(reference)


def note(reference: str) -> Any:
    body = _text("body", NOTE_MAX)
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        try:
            with session.begin_nested():
                casework.note(session, staff, ticket, body, now())
        except ValueError as refused:
            return _render(session, staff, ticket, note_draft=body, error=reason(refused)), 422
    flash(_("Note saved. Residents never see notes."), "success")
    return _back(reference)


def _change(reference: str, change: Any, done: str) -> Response:
    """Run one change on the ticket; a refusal comes back as a message on the same page."""
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        try:
            with session.begin_nested():
                change(session, staff, ticket)
        except ValueError as refused:
            flash(reason(refused), "error")
            return _back(reference)
    flash(done, "success")
    return _back(reference)


def status(reference: str) -> Response:
    chosen = request.form.get("status", "")
    if chosen not in OPEN_STATUSES:
        abort(400, description="status must be an open status")
    return _change(
        reference,
        lambda session, staff, ticket: casework.set_status(session, staff, ticket, chosen, now()),
        _("Status changed to {status}.", status=labels.label(labels.STATUS_NAMES, chosen)),
    )


def urgency(reference: str) -> Response:
    chosen = request.form.get("urgency", "")
    if chosen not in URGENCIES:
        abort(400, description="choose an urgency")
    return _change(
        reference,
        lambda session, staff, ticket: casework.set_urgency(
            session, ticket, chosen, now(), staff=staff
        ),
        _("Urgency changed to {urgency}.", urgency=labels.label(labels.URGENCY_NAMES, chosen)),
    )


def transfer(reference: str) -> Response:
    slug = request.form.get("team", "")
    # Not `reason`: that name is the function that words a refusal, used below.
    why = _text("reason", SHORT_MAX * 5)
    if not why:
        abort(400, description="say why the ticket moves to another team")
    with work() as (session, staff):
        ticket = visible_ticket(session, staff, reference)
        team = routing.team_by_slug(session, slug)
        if team is None:
            abort(400, description="no such team")
        try:
            with session.begin_nested():
                casework_with_words.transfer(session, staff, ticket, team, why, now())
        except ValueError as refused:
            flash(reason(refused), "error")
            return _back(reference)
        still_visible = casework.get_visible(session, staff, reference) is not None
        team_name = team.name
    flash(_("{reference} was handed to {team}.", reference=reference, team=team_name), "success")
    # After handing it to a team one is not in, the ticket is no longer ours to open.
    return _back(reference) if still_visible else redirect(url_for("console.queue"))


def refer(reference: str) -> Response:
    agency = _text("agency", SHORT_MAX)
    handed_over = _text("handed_over", NOTE_MAX)
    if not agency:
        abort(400, description="name the agency")
    return _change(
        reference,
        lambda session, staff, ticket: casework_with_words.refer(
            session, staff, ticket, agency, handed_over, now()
        ),
        _("Referral to {agency} recorded.", agency=agency),
    )


def close(reference: str) -> Response:
    outcome = request.form.get("outcome", "")
    if outcome not in labels.OUTCOME_NAMES:
        abort(400, description="choose an outcome")
    closing_note = _text("note", NOTE_MAX)
    return _change(
        reference,
        lambda session, staff, ticket: casework_with_words.close(
            session, staff, ticket, outcome, closing_note, now()
        ),
        _("Closed: {outcome}.", outcome=labels.label(labels.OUTCOME_NAMES, outcome)),
    )


ACTIONS = {
    "claim": claim,
    "assign": assign,
    "reply": reply,
    "note": note,
    "status": status,
    "urgency": urgency,
    "transfer": transfer,
    "refer": refer,
    "close": close,
}
