"""The staff JSON API under /api/v1: the console's operations for programs, with bearer tokens.

Every route but the OpenAPI document needs `Authorization: Bearer <token>` (made with
`madoguchi staff token EMAIL`). Each request is one transaction: the token is checked, the
step is done through storage.casework (visibility, audit, the one claim path), and the answer
is built, all in it. Errors are JSON `{"error": status, "reason": English, "message": in the
caller's language}`: 400 malformed input, 401 no or bad token, 404 a ticket or team outside
the caller's teams (indistinguishable from one that does not exist), 409 someone else took
it (or a supporter's status does not allow the step, a neighbour is linked already, a help
request to correct is out to supporters already), 422 a step the ticket's state or the input
does not allow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from sqlalchemy.orm import Session

import locales
from console import casework_with_words, labels, openapi, params, requests
from console.care_net import link_neighbour, unlink_neighbour, view_neighbours
from console.context import services_of
from console.forms import FormError
from console.supporters import Record, change_supporter, supporter_record
from locales import N_
from storage import (
    care_net,
    casework,
    contacts,
    districts,
    routing,
    staff_accounts,
    supporter_matching,
    supporters,
    tickets,
)
from storage.help_visits import Helped
from storage.models import (
    CONTACT_METHODS,
    SUPPORTER_STATUSES,
    URGENCIES,
    CareNetLink,
    District,
    HelpOffer,
    HelpRequest,
    Staff,
    Supporter,
    Team,
    Ticket,
    TicketContact,
    TicketMessage,
    WatchEnrolment,
)
from storage.refusals import Conflict, Refused
from storage.storable import storable
from storage.watch import enrolments

blueprint = Blueprint("api", __name__, url_prefix="/api/v1")

MAX_LIST = 200
_NO_TOKEN = N_("Send a valid API token: Authorization: Bearer <token>.")
_UNSTORABLE = N_("{name} holds a NUL or a broken character (a lone surrogate): send plain text.")


@dataclass(frozen=True)
class Call:
    """One authenticated request: its transaction, who is calling, and the time."""

    session: Session
    staff: Staff
    now: datetime


class _Answer(Exception):
    """Stop the request with this status and reason (the transaction rolls back)."""

    def __init__(self, status: int, reason: str, **params: object) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.params = params


Route = Callable[..., Response]


def authenticated(view: Callable[..., Response]) -> Route:
    """Run `view(call, **url_values)` in one transaction, for the token's staff member only."""

    @wraps(view)
    def run(**values: Any) -> Response:
        app_services = services_of(current_app)
        token = _bearer_token()
        # Anything that is not even shaped like a token is refused before the database
        # (on SQLite every transaction takes the write lock).
        if token is None or not token.startswith(staff_accounts.TOKEN_PREFIX):
            return _problem(401, _NO_TOKEN)
        bad = params.unstorable_field([*request.args.items(multi=True), *values.items()])
        if bad is not None:
            return _problem(400, _UNSTORABLE, name=bad)
        try:
            with app_services.db.transaction() as session:
                now = app_services.clock.now()
                staff = staff_accounts.staff_for_token(session, token, now)
                if staff is None:
                    raise _Answer(401, _NO_TOKEN)
                response = view(Call(session, staff, now), **values)
        except _Answer as answer:
            return _problem(answer.status, answer.reason, **answer.params)
        except Conflict as conflict:
            return _refused(409, conflict)
        except Refused as refused:
            return _refused(422, refused)
        if request.method == "POST":
            # A reply waits in the outbox; wake the sender instead of letting it poll.
            app_services.wake()
        return response

    return run


# --- routes ------------------------------------------------------------------------------


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3 description of this API (public: it holds no data)."""
    return jsonify(openapi.document(request.host_url.rstrip("/")))


@blueprint.get("/teams")
@authenticated
def list_teams(call: Call) -> Response:
    teams = casework.teams_of(call.staff)
    return jsonify(
        teams=[
            {**_team(team), "counts": casework.queue_counts(call.session, call.staff, team.id)}
            for team in teams
        ]
    )


@blueprint.get("/tickets")
@authenticated
def list_tickets(call: Call) -> Response:
    args = request.args
    team = _visible_team(call, args["team"]) if "team" in args else None
    district_id = _district_id(call.session, args["district"]) if "district" in args else None
    view = args.get("view", "open")
    if view not in casework.VIEWS:
        raise _Answer(400, N_("Choose one of: {choices}."), choices=", ".join(casework.VIEWS))
    found = casework.queue(
        call.session,
        call.staff,
        team_id=team.id if team else None,
        view=view,  # type: ignore[arg-type]
        now=call.now,
        category=args.get("category") or None,
        district_id=district_id,
        status=args.get("status") or None,
        search=args.get("q") or None,
        limit=_limit(args.get("limit")),
    )
    return jsonify(tickets=[_summary(ticket, call.now) for ticket in found])


@blueprint.post("/tickets")
@authenticated
def open_ticket(call: Call) -> Response:
    """A ticket for a phone call, a visit to the desk, a home visit or a 民生委員's referral:
    the console's intake form (console/views/intake.py), routed and timed the same way."""
    data = _json()
    channel = _string(data, "channel")
    worry = _string(data, "worry")
    name, phone, referrer = (_string(data, key, required=False) for key in _WHO)
    about = _string(data, "about", required=False) or None
    urgency = _string(data, "urgency", required=False) or "anytime"
    categories = _strings(data, "categories")
    district = _string(data, "district", required=False)
    earlier = _string(data, "resident_of", required=False)
    take = data.get("take", False)
    if not isinstance(take, bool):
        raise _Answer(400, N_("Send {name} as true or false."), name="take")
    if channel not in tickets.STAFF_CHANNELS:
        raise Refused(N_("Choose how the consultation came in."), field="channel")
    if urgency not in URGENCIES:
        raise Refused(N_("Choose an urgency."), field="urgency")
    if any(category not in labels.CATEGORIES for category in categories):
        raise Refused(N_("Choose what it is about from the list."), field="categories")
    district_id = None
    if district:
        found_district = districts.by_slug(call.session, district[:40])
        if found_district is None:
            raise Refused(N_("There is no such district."), field="district")
        district_id = found_district.id
    resident = None
    if earlier:
        found = casework.get_visible(call.session, call.staff, earlier)
        if found is None:
            raise Refused(
                N_("No ticket of your teams has that reference number."), field="resident_of"
            )
        resident = found.resident
    ticket = tickets.open_for_channel(
        call.session,
        call.staff,
        channel=channel,
        now=call.now,
        worry=worry,
        categories=categories,
        about=about,
        district_id=district_id,
        urgency=urgency,
        name=name,
        phone=phone,
        referrer=referrer,
        resident=resident,
    )
    # Taken only if it went to one of the caller's own teams, as in the console.
    if take and any(team.id == ticket.team_id for team in call.staff.teams):
        casework.claim(call.session, call.staff, ticket, call.now)
    return _created(ticket=_summary(ticket, call.now))


_WHO = ("name", "phone", "referrer")


@blueprint.get("/tickets/<reference>")
@authenticated
def read_ticket(call: Call, reference: str) -> Response:
    ticket = _visible_ticket(call, reference)
    casework.mark_viewed(call.session, call.staff, ticket, call.now, ip=_ip())
    return jsonify(ticket=_detail(call, ticket))


@blueprint.post("/tickets/<reference>/claim")
@authenticated
def claim_ticket(call: Call, reference: str) -> Response:
    ticket = _visible_ticket(call, reference)
    if ticket.assignee_id != call.staff.id and not casework.claim(
        call.session, call.staff, ticket, call.now
    ):
        raise Conflict(N_("Someone else took this ticket a moment ago."))
    return jsonify(ticket=_summary(ticket, call.now))


@blueprint.post("/tickets/<reference>/assign")
@authenticated
def assign_ticket(call: Call, reference: str) -> Response:
    # The ticket first: another team's staff learn nothing from what their input lacks.
    ticket = _visible_ticket(call, reference)
    data = _json()
    chosen, reason = _staff_id(data, "assignee"), _string(data, "reason")
    assignee = casework.member_of_team(call.session, ticket, chosen)
    if assignee is None:
        raise Refused(N_("There is no such colleague in this ticket's team."), field="assignee")
    casework.assign(call.session, call.staff, ticket, assignee, reason, call.now)
    return jsonify(ticket=_summary(ticket, call.now))


@blueprint.post("/tickets/next")
@authenticated
def claim_next_ticket(call: Call) -> Response:
    team = _visible_team(call, _string(_json(), "team"))
    ticket = casework.claim_next(call.session, call.staff, team.id, call.now)
    return jsonify(ticket=_summary(ticket, call.now) if ticket else None)


@blueprint.post("/tickets/<reference>/reply")
@authenticated
def reply_to_resident(call: Call, reference: str) -> Response:
    body = _string(_json(), "body")
    ticket = _visible_ticket(call, reference)
    message = casework_with_words.reply(call.session, call.staff, ticket, body, call.now)
    return _created(message=_message(call.session, message), ticket=_summary(ticket, call.now))


@blueprint.post("/tickets/<reference>/note")
@authenticated
def add_note(call: Call, reference: str) -> Response:
    body = _string(_json(), "body")
    ticket = _visible_ticket(call, reference)
    message = casework.note(call.session, call.staff, ticket, body, call.now)
    return _created(message=_message(call.session, message), ticket=_summary(ticket, call.now))


@blueprint.post("/tickets/<reference>/contacts")
@authenticated
def log_contact(call: Call, reference: str) -> Response:
    """One call, visit or letter, what came of it, and the day of the next step (none: the
    step that was due is done); on that day the ticket comes back to the top of its queue."""
    data = _json()
    kind, outcome = _string(data, "kind"), _string(data, "outcome")
    note = _string(data, "note", required=False)
    next_action_on = None
    raw_day = data.get("next_action_on")
    if raw_day is not None:
        next_action_on = params.day(raw_day)
        if next_action_on is None:
            raise _Answer(400, N_("Send {name} as a day: yyyy-mm-dd."), name="next_action_on")
    ticket = _visible_ticket(call, reference)
    if kind not in CONTACT_METHODS:
        raise Refused(N_("Choose how you contacted them."), field="kind")
    entry = contacts.record(
        call.session,
        call.staff,
        ticket,
        method=kind,
        outcome=outcome,
        note=note,
        next_action_on=next_action_on,
        now=call.now,
    )
    return _created(contact=_contact(entry), ticket=_summary(ticket, call.now))


@blueprint.post("/tickets/<reference>/status")
@authenticated
def change_status(call: Call, reference: str) -> Response:
    status = _string(_json(), "status")
    ticket = _visible_ticket(call, reference)
    casework.set_status(call.session, call.staff, ticket, status, call.now)
    return jsonify(ticket=_summary(ticket, call.now))


@blueprint.post("/tickets/<reference>/transfer")
@authenticated
def transfer_ticket(call: Call, reference: str) -> Response:
    data = _json()
    slug, reason = _string(data, "team"), _string(data, "reason")
    ticket = _visible_ticket(call, reference)
    # Any team may receive a transfer, not only the caller's own.
    team = routing.team_by_slug(call.session, slug)
    if team is None:
        raise Refused(N_("There is no team {teams}."), field="team", teams=slug[:40])
    casework_with_words.transfer(call.session, call.staff, ticket, team, reason, call.now)
    return jsonify(ticket=_summary(ticket, call.now))


@blueprint.post("/tickets/<reference>/refer")
@authenticated
def refer_ticket(call: Call, reference: str) -> Response:
    data = _json()
    agency, handed_over = _string(data, "agency"), _string(data, "handed_over")
    ticket = _visible_ticket(call, reference)
    casework_with_words.refer(call.session, call.staff, ticket, agency, handed_over, call.now)
    return jsonify(ticket=_summary(ticket, call.now))


@blueprint.post("/tickets/<reference>/close")
@authenticated
def close_ticket(call: Call, reference: str) -> Response:
    data = _json()
    outcome = _string(data, "outcome")
    note = _string(data, "note", required=False)
    ticket = _visible_ticket(call, reference)
    casework_with_words.close(call.session, call.staff, ticket, outcome, note, call.now)
    return jsonify(ticket=_summary(ticket, call.now))


# --- 生活応援隊 help requests (the console's requests board, console/requests.py) ------------


@blueprint.get("/help-requests")
@authenticated
def list_help_requests(call: Call) -> Response:
    _coordinating(call)
    status = request.args.get("status", "")
    if status and status not in supporters.BOARD_STATUSES:
        raise _Answer(
            400, N_("Choose one of: {choices}."), choices=", ".join(supporters.BOARD_STATUSES)
        )
    shown = supporters.board(
        call.session,
        [status] if status else supporters.BOARD_STATUSES,
        _limit(request.args.get("limit")),
    )
    return jsonify(help_requests=[_help_request(found) for found in shown])


@blueprint.post("/help-requests")
@authenticated
def enter_help_request(call: Call) -> Response:
    """A help request for a resident: of a ticket the caller sees (`resident_of`), the
    console's form (console/requests.py) checks and audits it the same way."""
    _coordinating(call)
    data = _json()
    reference = _string(data, "resident_of")
    typed = _typed_help(call, data, required=("kind", "day", "start"))
    ticket = casework.get_visible(call.session, call.staff, reference)
    if ticket is None:
        raise Refused(N_("No ticket of your teams has that reference number."), field="resident_of")
    try:
        entered = requests.entered_from(
            session=call.session, **{**dict.fromkeys(requests.FIELDS, ""), **typed}
        )
    except FormError as refused:
        raise _Answer(422, str(refused)) from refused
    made = requests.create(call.session, call.staff, ticket.resident, entered, ticket.id)
    return _created(help_request=_help_request(made))


# One rule for reading and correcting: with a rule for each, an id that is no row id (0, or
# one too large) would be answered 405 for the method of the one werkzeug tried second, not 404.
@blueprint.route("/help-requests/<id:request_id>", methods=["GET", "PATCH"])
@authenticated
def help_request(call: Call, request_id: int) -> Response:
    if request.method == "PATCH":
        return _change_help_request(call, request_id)
    return _read_help_request(call, request_id)


def _read_help_request(call: Call, request_id: int) -> Response:
    """The request, its offers and answers, and the supporters who could take it, best first."""
    _coordinating(call)
    found = _help_request_or_404(call, request_id)
    requests.audit_view(call.session, call.staff, "help_request.view", {"help_request": found.id})
    return jsonify(help_request=_help_request_detail(call, found))


def _change_help_request(call: Call, request_id: int) -> Response:
    """直す: correct a request not yet out to supporters (open or returned); only the fields
    given change, checked as when it was entered (console/requests.py `change`)."""
    _coordinating(call)
    found = _help_request_or_404(call, request_id, lock=True)
    typed = _typed_help(call, _json(), required=())
    try:
        changed = requests.change(call.session, call.staff, found, typed)
    except FormError as refused:
        raise _Answer(422, str(refused)) from refused
    return jsonify(help_request=_help_request_detail(call, found), changed=changed)


def _typed_help(call: Call, data: dict[str, Any], required: tuple[str, ...]) -> dict[str, str]:
    """The request's fields (requests.FIELDS) given in `data`, as the console's form has them
    typed: those `required` must be strings; of the others, null is blank; the district is
    sent as its slug."""
    typed = {
        name: _string(data, name, required=name in required)
        for name in requests.FIELDS
        if name in data or name in required
    }
    if typed.get("district"):
        typed["district"] = str(_district_id(call.session, typed["district"]))
    return typed


def _help_request_detail(call: Call, found: HelpRequest) -> dict[str, Any]:
    offerable = found.status in supporters.OFFERABLE
    matches = supporter_matching.ranked(call.session, found, call.now) if offerable else []
    return {
        **_help_request(found),
        "note": found.note,
        "first_name": found.first_name,
        "offers": [_help_offer(o) for o in supporters.offers_of(call.session, found)],
        "matches": [_match(m) for m in matches],
    }


@blueprint.post("/help-requests/<id:request_id>/offers")
@authenticated
def offer_help_request(call: Call, request_id: int) -> Response:
    """声をかける: offer the request to these supporters (among its matches, not asked before);
    each gets the offer in LINE."""
    _coordinating(call)
    chosen = _json().get("supporters")
    # bool is an int in Python, but true is no one's id.
    if not isinstance(chosen, list) or not all(
        isinstance(one, int) and not isinstance(one, bool) for one in chosen
    ):
        raise _Answer(400, N_("Send {name} as a list of numbers."), name="supporters")
    found = _help_request_or_404(call, request_id)
    if found.status not in supporters.OFFERABLE:
        raise Conflict(N_("This request is not waiting for a supporter."))
    if not all(1 <= one <= params.DB_INT_MAX for one in chosen):
        raise Refused(N_("Choose at least one of the supporters listed."), field="supporters")
    try:
        offers = requests.offer_to(call.session, call.staff, found, list(dict.fromkeys(chosen)))
    except ValueError as refused:
        raise Refused(
            N_("Choose at least one of the supporters listed."), field="supporters"
        ) from refused
    return _created(offers=[_help_offer(o) for o in offers], help_request=_help_request(found))


def _coordinating(call: Call) -> None:
    # Anyone else learns nothing, not even that the requests exist.
    if not supporters.staff_may_coordinate(call.staff):
        raise _Answer(404, N_("There is no such help request."))


def _help_request_or_404(call: Call, request_id: int, *, lock: bool = False) -> HelpRequest:
    found = supporters.request_by_id(call.session, request_id, lock=lock)
    if found is None:
        raise _Answer(404, N_("There is no such help request."))
    return found


def _help_request(found: HelpRequest) -> dict[str, Any]:
    return {
        "id": found.id,
        "kind": found.kind,
        "status": found.status,
        "district": _district(found.district),
        "wanted_from": _time(found.wanted_from),
        "wanted_until": _time(found.wanted_until),
        "ticket_id": found.ticket_id,
        "taken_by": _supporter(found.taken_by) if found.taken_by is not None else None,
        "created_at": _time(found.created_at),
    }


def _help_offer(offer: HelpOffer) -> dict[str, Any]:
    return {
        "id": offer.id,
        "supporter": _supporter(offer.supporter),
        "sent_at": _time(offer.sent_at),
        "answer": offer.answer,
        "answered_at": _time(offer.answered_at),
    }


def _match(match: supporter_matching.Match) -> dict[str, Any]:
    return {
        "supporter": _supporter(match.supporter),
        "place": match.place,
        "asked": match.asked,
        "taken_last_30_days": match.taken_lately,
        "reasons": [
            {key: value for key, value in asdict(reason).items() if value is not None}
            for reason in match.reasons
        ],
    }


def _supporter(supporter: Supporter) -> dict[str, Any]:
    return {
        "id": supporter.id,
        "first_name": supporter.first_name,
        "district": _district(supporter.district),
    }


# --- 生活応援隊 supporters (the console's supporters page, console/supporters.py) ------------

# Those the coordinator works with; one who left keeps no name and is not listed.
LISTED_SUPPORTERS = tuple(status for status in SUPPORTER_STATUSES if status != "left")


@blueprint.get("/supporters")
@authenticated
def list_supporters(call: Call) -> Response:
    """Applicants first, then active, then on a break; within each, in the order they applied
    (the console's table; no phone: a coordinator sees it only on a taken request)."""
    _coordinating_supporters(call)
    status = request.args.get("status", "")
    if status and status not in LISTED_SUPPORTERS:
        raise _Answer(400, N_("Choose one of: {choices}."), choices=", ".join(LISTED_SUPPORTERS))
    shown = supporters.listing(call.session, status or None, _limit(request.args.get("limit")))
    return jsonify(supporters=[_supporter_line(found) for found in shown])


@blueprint.get("/supporters/<id:supporter_id>")
@authenticated
def read_supporter(call: Call, supporter_id: int) -> Response:
    """One supporter as on their console page: with their phone, their history (each request
    offered to them, newest first, and how it went), totals, and their ケアネット links (the
    residents named only to the watch-over team). The read is audited."""
    _coordinating_supporters(call)
    record = supporter_record(call.session, call.staff, supporter_id, call.now)
    if record is None:
        raise _Answer(404, _NO_SUPPORTER)
    return jsonify(supporter=_supporter_record(record))


@blueprint.post("/supporters/<id:supporter_id>/approve")
@authenticated
def approve_supporter(call: Call, supporter_id: int) -> Response:
    """A coordinator has met the applicant: offers may come to them; they hear it in LINE."""
    return _change_supporter(call, supporter_id, "approve")


@blueprint.post("/supporters/<id:supporter_id>/pause")
@authenticated
def pause_supporter(call: Call, supporter_id: int) -> Response:
    """No offers until resumed; offers waiting for their answer are declined for them."""
    return _change_supporter(call, supporter_id, "pause")


@blueprint.post("/supporters/<id:supporter_id>/resume")
@authenticated
def resume_supporter(call: Call, supporter_id: int) -> Response:
    """Back to taking offers, or to waiting for approval if never approved."""
    return _change_supporter(call, supporter_id, "resume")


def _change_supporter(call: Call, supporter_id: int, step: str) -> Response:
    # The same step, checks and audit as the console's buttons; `authenticated` wakes the
    # sender for approve's welcome.
    _coordinating_supporters(call)
    changed = change_supporter(call.session, call.staff, supporter_id, step, call.now)
    if changed is None:
        raise _Answer(404, _NO_SUPPORTER)
    return jsonify(supporter=_supporter_line(changed))


_NO_SUPPORTER = N_("There is no such supporter.")


def _coordinating_supporters(call: Call) -> None:
    # Anyone else learns nothing, not even that the supporters exist.
    if not supporters.staff_may_coordinate(call.staff):
        raise _Answer(404, _NO_SUPPORTER)


def _supporter_line(supporter: Supporter) -> dict[str, Any]:
    return {
        **_supporter(supporter),
        "status": supporter.status,
        "kinds": list(supporter.kinds or []),
        "weekdays": list(supporter.weekdays or []),
        "time_bands": list(supporter.time_bands or []),
        "applied_at": _time(supporter.consent_at or supporter.created_at),
        "approved_at": _time(supporter.approved_at),
        "last_helped_at": _time(supporter.last_helped_at),
    }


def _supporter_record(record: Record) -> dict[str, Any]:
    found = record.supporter
    links = record.links
    return {
        **_supporter_line(found),
        "phone": found.phone,
        "reach_km": found.reach_km,
        "approved_by": _person(record.approved_by),
        "history": [_past_offer(offer) for offer in record.offers],
        "totals": {"last_30_days": _helped(record.recent), "all": _helped(record.overall)},
        "care_net": {
            "count": len(links),
            "residents": [
                {
                    "enrolment_id": link.enrolment_id,
                    "display_name": link.enrolment.resident.display_name,
                }
                for link in links
            ]
            if record.residents_shown
            else None,
        },
    }


def _past_offer(offer: HelpOffer) -> dict[str, Any]:
    asked = offer.request
    took = offer.answer == "accepted"
    return {
        "offer_id": offer.id,
        "help_request": asked.id,
        "kind": asked.kind,
        "sent_at": _time(offer.sent_at),
        "answer": offer.answer,
        "answered_at": _time(offer.answered_at),
        "took": took,
        # How it went: only for a request they took.
        "status": asked.status if took else None,
        "minutes": asked.minutes if took else None,
        "not_done_reason": asked.not_done_reason if took else None,
        "feedback": asked.feedback if took else None,
    }


def _helped(helped: Helped) -> dict[str, Any]:
    return {"taken": helped.taken, "done": helped.done, "hours": helped.hours}


# --- ケアネット (the console's neighbours page, console/care_net.py) --------------------------


# One rule for both methods: two rules on one path would answer a bad id with 405, not 404.
@blueprint.route("/watch/<id:enrolment_id>/neighbours", methods=["GET", "POST"])
@authenticated
def neighbours(call: Call, enrolment_id: int) -> Response:
    """GET: the neighbours linked to a watch-over resident, in the order they are asked, and
    the active supporters who could be linked (the read is audited). POST: link a supporter,
    with the resident's consent (recorded as the caller's), audited."""
    enrolment = _watched(call, enrolment_id)
    if request.method == "POST":
        return _link(call, enrolment)
    links, candidates = view_neighbours(call.session, call.staff, enrolment, call.now)
    return jsonify(
        neighbours=[_neighbour(link) for link in links],
        candidates=[_supporter(supporter) for supporter in candidates],
        most=care_net.MAX_NEIGHBOURS,
    )


def _link(call: Call, enrolment: WatchEnrolment) -> Response:
    data = _json()
    chosen, consent = data.get("supporter"), data.get("consent")
    # bool is an int in Python, but true is no one's id.
    if isinstance(chosen, bool) or not isinstance(chosen, int):
        raise _Answer(400, N_("Send {name} as a supporter's id (a number)."), name="supporter")
    if not isinstance(consent, bool):
        raise _Answer(400, N_("Send {name} as true or false."), name="consent")
    supporter_id = chosen if 1 <= chosen <= params.DB_INT_MAX else None
    made = link_neighbour(
        call.session, call.staff, enrolment.id, supporter_id, call.now, consent=consent
    )
    return _created(neighbour=_neighbour(made))


@blueprint.delete("/watch/<id:enrolment_id>/neighbours/<id:link_id>")
@authenticated
def unlink_neighbour_link(call: Call, enrolment_id: int, link_id: int) -> Response:
    """End a link: the neighbour is no longer asked. Audited."""
    enrolment = _watched(call, enrolment_id)
    if not unlink_neighbour(call.session, call.staff, enrolment.id, link_id, call.now):
        raise _Answer(404, N_("This neighbour is not linked any more."))
    return jsonify(
        neighbours=[_neighbour(link) for link in care_net.links_of(call.session, enrolment)]
    )


def _watched(call: Call, enrolment_id: int) -> WatchEnrolment:
    # Outside the watch-over team (and admins), as for a resident who is not enrolled.
    if not enrolments.staff_may_see(call.staff):
        raise _Answer(404, _NOT_WATCHED)
    found = enrolments.by_id(call.session, enrolment_id)
    if found is None:
        raise _Answer(404, _NOT_WATCHED)
    return found


_NOT_WATCHED = N_("There is no such resident in watch-over.")


def _neighbour(link: CareNetLink) -> dict[str, Any]:
    return {
        "link_id": link.id,
        "position": link.position,
        "supporter": {**_supporter(link.supporter), "status": link.supporter.status},
        "linked_at": _time(link.created_at),
        "consent_by": _person(link.consent_recorded_by),
    }


# --- what the answers look like ----------------------------------------------------------


def _summary(ticket: Ticket, now: datetime) -> dict[str, Any]:
    left = casework.time_left(ticket, now)
    return {
        "reference": ticket.reference,
        "kind": ticket.kind,
        "channel": ticket.channel,
        "status": ticket.status,
        "urgency": ticket.urgency,
        "categories": list(ticket.categories or []),
        "team": _team(ticket.team),
        "district": _district(ticket.district),
        "assignee": _person(ticket.assignee),
        "resident": {"display_name": ticket.resident.display_name},
        "created_at": _time(ticket.created_at),
        "updated_at": _time(ticket.updated_at),
        "first_response_at": _time(ticket.first_response_at),
        "sla_due_at": _time(ticket.sla_due_at),
        "seconds_left": None if left is None or not ticket.is_open else int(left.total_seconds()),
        "overdue": casework.is_overdue(ticket, now),
        "next_action_on": _day(ticket.follow_up_at) if ticket.is_open else None,
        "next_action_due": contacts.follow_up_due(ticket, now),
    }


def _detail(call: Call, ticket: Ticket) -> dict[str, Any]:
    resident = ticket.resident
    statuses = casework.delivery_statuses(call.session, ticket.messages)
    history = casework.history(call.session, ticket)
    named = casework.staff_named(call.session, {e.staff_id for e in history if e.staff_id})
    people = {person.id: person for person in named}
    return {
        **_summary(ticket, call.now),
        "about": ticket.about,
        "intake": ticket.intake or {},
        "contact": {k: v for k, v in (ticket.contact or {}).items() if k != "phone_given"},
        "outcome": ticket.outcome,
        "outcome_note": ticket.outcome_note,
        "referral": ticket.referral or {},
        "resident": {
            "display_name": resident.display_name,
            "language": resident.language,
            "following": resident.following,
            "district": _district(districts.by_id(call.session, resident.district_id))
            if resident.district_id
            else None,
        },
        "messages": [_message(call.session, m, statuses) for m in ticket.messages],
        "contacts": [_contact(entry) for entry in contacts.of_ticket(call.session, ticket)],
        "earlier": [
            {"reference": t.reference, "status": t.status, "created_at": _time(t.created_at)}
            for t in casework.earlier_tickets(call.session, call.staff, ticket)
        ],
        "history": [
            {
                "at": _time(entry.at),
                "action": entry.action,
                "staff": _person(people.get(entry.staff_id)) if entry.staff_id else None,
                "detail": entry.detail or {},
            }
            for entry in history
        ],
    }


def _message(
    session: Session, message: TicketMessage, statuses: dict[int, str] | None = None
) -> dict[str, Any]:
    if statuses is None:
        statuses = casework.delivery_statuses(session, [message])
    return {
        "id": message.id,
        "author": message.author,
        "staff": _person(message.staff),
        "body": message.body,
        "attachments": list(message.attachments or []),
        "created_at": _time(message.created_at),
        "delivery": statuses.get(message.id),
    }


def _contact(entry: TicketContact) -> dict[str, Any]:
    return {
        "id": entry.id,
        "kind": entry.method,
        "outcome": entry.outcome,
        "note": entry.note,
        "next_action_on": _day(entry.next_action_at),
        "staff": _person(entry.staff),
        "contacted_at": _time(entry.contacted_at),
    }


def _team(team: Team) -> dict[str, Any]:
    return {"slug": team.slug, "name": team.name, "name_en": team.name_en}


def _district(district: District | None) -> dict[str, Any] | None:
    return None if district is None else {"slug": district.slug, "name": district.name}


def _person(staff: Staff | None) -> dict[str, Any] | None:
    return None if staff is None else {"id": staff.id, "name": staff.name}


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _day(moment: datetime | None) -> str | None:
    """The day in the town a next step falls on (it is kept as the start of that day)."""
    return None if moment is None else locales.town_date(moment).isoformat()


# --- reading the request -----------------------------------------------------------------


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _Answer(400, N_("Send a JSON object with Content-Type: application/json."))
    return data


def _string(data: dict[str, Any], name: str, *, required: bool = True) -> str:
    value = data.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _Answer(400, N_("Send {name} as a string."), name=name)
    if not storable(value):
        raise _Answer(400, _UNSTORABLE, name=name)
    return value


def _strings(data: dict[str, Any], name: str) -> list[str]:
    """An optional list of strings (none given: an empty list)."""
    value = data.get(name)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _Answer(400, N_("Send {name} as a list of strings."), name=name)
    if not all(storable(item) for item in value):
        raise _Answer(400, _UNSTORABLE, name=name)
    return list(dict.fromkeys(value))


def _staff_id(data: dict[str, Any], name: str) -> int:
    value = data.get(name)
    # bool is an int in Python, but true is no one's id.
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Answer(400, N_("Send {name} as a staff member's id (a number)."), name=name)
    if not 1 <= value <= params.DB_INT_MAX:
        raise Refused(N_("There is no such colleague in this ticket's team."), field=name)
    return value


def _limit(raw: str | None) -> int:
    if raw is None:
        return 100
    found = params.number(raw, 1, MAX_LIST)
    if found is None:
        raise _Answer(400, N_("limit must be a number from 1 to {most}."), most=MAX_LIST)
    return found


def _visible_ticket(call: Call, reference: str) -> Ticket:
    ticket = casework.get_visible(call.session, call.staff, reference)
    if ticket is None:
        raise _Answer(404, N_("There is no such ticket in your teams."))
    return ticket


def _visible_team(call: Call, slug: str) -> Team:
    team = routing.team_by_slug(call.session, slug)
    if team is None or casework.team_visible(call.session, call.staff, team.id) is None:
        raise _Answer(404, N_("There is no such team among yours."))
    return team


def _district_id(session: Session, slug: str) -> int:
    found = districts.by_slug(session, slug[:40])
    if found is None:
        raise _Answer(400, N_("There is no such district."))
    return found.id


def _ip() -> str | None:
    return (request.remote_addr or "")[:64] or None


# --- answers -----------------------------------------------------------------------------


def _language() -> str:
    return request.accept_languages.best_match(list(locales.LANGUAGES)) or locales.DEFAULT_LANGUAGE


def _problem(status: int, reason: str, *, field: str | None = None, **params: object) -> Response:
    body: dict[str, Any] = {
        "error": status,
        "reason": reason.format(**params) if params else reason,
        "message": locales.gettext(_language(), reason, **params),
    }
    if field:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="madoguchi"'
    return response


def _refused(status: int, refusal: Refused) -> Response:
    return _problem(status, refusal.message, field=refusal.field, **refusal.params)


def _created(**body: Any) -> Response:
    response = jsonify(body)
    response.status_code = 201
    return response
