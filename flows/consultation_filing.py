"""Filing a consultation: route it, open the ticket with the worry as its first messages, and
tell the resident what happens next and when."""

from __future__ import annotations

from typing import Any

from flows import answer_time, districts, engine
from flows.consultation_questions import CONSENT_VERSION
from flows.engine import FlowModel
from flows.messages import Message, text
from flows.replies import menu_button
from storage import business_time, routing, tickets
from storage.models import Team


def file_consultation(model: FlowModel) -> None:
    """Route, open the ticket with the worry as its first messages, and say what happens next."""
    turn = model.turn
    session = turn.session
    data = model.data
    district = districts.by_slug(session, data.get("district", ""))
    district_id = district.id if district else None
    categories = list(data.get("categories", []))
    urgency = data.get("urgency", "anytime")
    about = data.get("about")
    team = routing.route(
        session, categories=categories, district_id=district_id, urgency=urgency, about=about
    )
    contact = {"method": data.get("contact"), "when": data.get("when")}
    if data.get("phone"):
        contact["phone"] = data["phone"]
        # Kept with its message id, so that unsending that message takes it from the ticket.
        contact["phone_given"] = data.get("phone_given")
    intake = {
        "consent_version": CONSENT_VERSION,
        "about": about,
        "categories": categories,
        "district": district.slug if district else None,
        "located_by_map": bool(data.get("located")),
        "urgency": urgency,
        "contact": data.get("contact"),
        "when": data.get("when"),
        "language": turn.resident.language,
    }
    ticket = tickets.open_ticket(
        session,
        resident=turn.resident,
        kind="consultation",
        team=team,
        now=turn.now,
        urgency=urgency,
        categories=categories,
        about=about,
        district_id=district_id,
        intake=intake,
        contact=contact,
    )
    for part in data.get("worry", []):
        if part.get("kind") == "text":
            body, attachments = part["text"], []
        else:
            body, attachments = "", [{"type": part.get("kind"), "message_id": part.get("id")}]
        tickets.add_message(
            session,
            ticket,
            author="resident",
            now=turn.now,
            body=body,
            attachments=attachments,
            line_message_id=part.get("id"),
        )
    # Only a worry about themselves says where the resident lives.
    if district is not None and about == "self":
        turn.resident.district_id = district.id
    reply = _filed(turn, ticket.reference, team, urgency, contact)
    # Staff see in the thread what the resident was told, promised time included.
    tickets.add_message(session, ticket, author="bot", now=turn.now, body=reply["body"])
    turn.say(reply)


def _filed(
    turn: engine.Turn, reference: str, team: Team, urgency: str, contact: dict[str, Any]
) -> Message:
    expected = business_time.expected_answer(team, urgency, turn.now)
    when = answer_time.phrase(turn.resident.language, expected)
    lines = [
        turn._("Thank you. We have received your consultation."),
        turn._("Reference number: {reference}", reference=reference),
        turn._("Team: {team}", team=team_name(turn, team)),
        turn._("Someone from the team will contact you {when}.", when=when),
    ]
    method = contact.get("method")
    if method == "phone":
        lines.append(turn._("We will call you at {phone}.", phone=contact.get("phone", "")))
    elif method == "visit":
        lines.append(turn._("We will arrange the visit with you here in LINE."))
    else:
        lines.append(turn._("We will answer here in LINE."))
    lines.append(turn._("Anything you write here from now on also reaches the staff."))
    body = "\n".join(lines)
    note = closed_note(turn, team)
    if note:
        body = f"{body}\n\n{note}"
    return text(body, [menu_button(turn)])


def team_name(turn: engine.Turn, team: Team) -> str:
    if turn.resident.language != "ja" and team.name_en:
        return team.name_en
    return team.name


def closed_note(turn: engine.Turn, team: Team) -> str | None:
    """When the team is closed: when a person will read it, and what to do if it cannot wait."""
    return answer_time.outside_hours_note(turn.resident.language, team, turn.now)


def refusal_text(turn: engine.Turn) -> str:
    team = routing.team_by_slug(turn.session, routing.DEFAULT_TEAM)
    phone = team.phone if team and team.phone else "0465-00-0000"
    name = team_name(turn, team) if team else turn._("the welfare council")
    opens, closes = "8:30", "17:15"
    if team and team.hours and team.hours[0]:
        opens, closes = (time.lstrip("0") for time in team.hours[0][0])
    return turn._(
        "All right, we will not go ahead in LINE. You can also talk to us by phone: "
        "{team}, {phone} (weekdays {opens} to {closes}).",
        team=name,
        phone=phone,
        opens=opens,
        closes=closes,
    )
