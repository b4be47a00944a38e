"""The OpenAPI 3 description of /api/v1, served at /api/v1/openapi.json.

Written as data beside the routes it describes; tests/test_api.py checks that the two list
the same operations and validates real answers of every route against these schemas.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from console.labels import CATEGORIES
from console.params import DB_INT_MAX
from storage.care_net import MAX_NEIGHBOURS
from storage.casework import SETTABLE_STATUSES, VIEWS
from storage.contacts import MAX_NOTE as MAX_CONTACT_NOTE
from storage.models import (
    CHANNELS,
    CONTACT_METHODS,
    CONTACT_OUTCOMES,
    FEEDBACK,
    HELP_KINDS,
    HELP_MINUTES,
    NOT_DONE_REASONS,
    OFFER_ANSWERS,
    OUTCOMES,
    REQUEST_STATUSES,
    STATUSES,
    SUPPORTER_STATUSES,
    TIME_BANDS,
    URGENCIES,
)
from storage.supporter_matching import REASONS
from storage.supporters import BOARD_STATUSES
from storage.tickets import ABOUT, MAX_NAME, MAX_PHONE, MAX_WORRY, STAFF_CHANNELS

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def _object(required: list[str], **properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "properties": properties}


def _nullable_enum(
    values: Iterable[Any], description: str = "", kind: str = "string"
) -> dict[str, Any]:
    """One of `values`, or null. In OpenAPI 3.0.3 `nullable` only widens the type and an
    enum still applies to a null, so null is listed among the values as well."""
    schema: dict[str, Any] = {"type": kind, "enum": [*values, None], "nullable": True}
    return {**schema, "description": description} if description else schema


_TIME = {"type": "string", "format": "date-time"}
_STRING = {"type": "string"}
_TEXT_BODY = _object(
    ["body"],
    body={"type": "string", "description": "Not empty; a reply at most 25,000 characters."},
)

_DAY = {"type": "string", "format": "date", "description": "A day in the town: yyyy-mm-dd."}
# What the codes mean: the API speaks codes (it is for programs), the console speaks words.
_CHANNEL_WORDS = (
    "How the consultation reached the council: line (the LINE account), phone (a phone "
    "call), desk (a visit to the desk, 来所), home_visit (a home visit), minsei (a referral "
    "from a welfare commissioner, 民生委員)."
)
_CONTACT_KIND_WORDS = "How staff reached the resident: phone, visit or letter."
_CONTACT_OUTCOME_WORDS = (
    "What came of it: reached (spoke with them), no_answer, message_left, not_home, "
    "sent (a letter went out), other."
)

_DISTRICT = _object(["slug", "name"], slug=_STRING, name=_STRING)
_PERSON = _object(["id", "name"], id={"type": "integer"}, name=_STRING)


def _nullable_object(schema: dict[str, Any]) -> dict[str, Any]:
    # OpenAPI 3.0 ignores siblings of $ref, and a null fails any allOf of an object, so a
    # nullable object is written out in full.
    return _nullable(schema)


SCHEMAS: dict[str, Any] = {
    "Problem": _object(
        ["error", "reason", "message"],
        error={"type": "integer"},
        reason={"type": "string", "description": "What went wrong, in English."},
        message={"type": "string", "description": "The same, in the Accept-Language given."},
        field={"type": "string", "description": "The input at fault, when one is."},
    ),
    "Team": _object(["slug", "name", "name_en"], slug=_STRING, name=_STRING, name_en=_STRING),
    "District": _DISTRICT,
    "Person": _PERSON,
    "Counts": _object(list(VIEWS), **{view: {"type": "integer"} for view in VIEWS}),
    "TeamWithCounts": {"allOf": [_ref("Team"), _object(["counts"], counts=_ref("Counts"))]},
    "TicketSummary": _object(
        [
            "reference",
            "kind",
            "status",
            "urgency",
            "categories",
            "team",
            "district",
            "assignee",
            "resident",
            "created_at",
            "updated_at",
            "first_response_at",
            "sla_due_at",
            "seconds_left",
            "overdue",
            "channel",
            "next_action_on",
            "next_action_due",
        ],
        reference={"type": "string", "example": "C-2026-000123"},
        kind={"type": "string", "enum": ["consultation", "staff", "watch", "safety"]},
        channel={"type": "string", "enum": list(CHANNELS), "description": _CHANNEL_WORDS},
        status={"type": "string", "enum": list(STATUSES)},
        urgency={"type": "string", "enum": list(URGENCIES)},
        categories={"type": "array", "items": _STRING},
        team=_ref("Team"),
        district=_nullable_object(_DISTRICT),
        assignee=_nullable_object(_PERSON),
        resident=_object(["display_name"], display_name=_nullable(_STRING)),
        created_at=_TIME,
        updated_at=_TIME,
        first_response_at=_nullable(_TIME),
        sla_due_at=_nullable(_TIME),
        seconds_left={
            "type": "integer",
            "nullable": True,
            "description": "Until the SLA is due; negative when overdue, null when closed.",
        },
        overdue={"type": "boolean"},
        next_action_on=_nullable(
            {
                **_DAY,
                "description": "The next step the contact log set (open tickets only); from "
                "the start of that day the ticket comes first in its queue after emergencies "
                "and overdue tickets.",
            }
        ),
        next_action_due={
            "type": "boolean",
            "description": "True from the start of next_action_on (town time) on.",
        },
    ),
    "Contact": _object(
        ["id", "kind", "outcome", "note", "next_action_on", "staff", "contacted_at"],
        id={"type": "integer"},
        kind={"type": "string", "enum": list(CONTACT_METHODS), "description": _CONTACT_KIND_WORDS},
        outcome={
            "type": "string",
            "enum": list(CONTACT_OUTCOMES),
            "description": _CONTACT_OUTCOME_WORDS,
        },
        note=_STRING,
        next_action_on=_nullable({**_DAY, "description": "The next step this contact set."}),
        staff=_nullable_object(_PERSON),
        contacted_at=_TIME,
    ),
    "Message": _object(
        ["id", "author", "staff", "body", "attachments", "created_at", "delivery"],
        id={"type": "integer"},
        author={"type": "string", "enum": ["resident", "staff", "bot", "note", "system"]},
        staff=_nullable_object(_PERSON),
        body=_STRING,
        attachments={"type": "array", "items": {"type": "object"}},
        created_at=_TIME,
        delivery=_nullable_enum(
            ["pending", "delivered", "failed"],
            "For staff replies: whether LINE delivered it. Null otherwise.",
        ),
    ),
    "TicketDetail": {
        "allOf": [
            _ref("TicketSummary"),
            _object(
                [
                    "about",
                    "intake",
                    "contact",
                    "outcome",
                    "outcome_note",
                    "referral",
                    "resident",
                    "messages",
                    "contacts",
                    "earlier",
                    "history",
                ],
                about=_nullable(_STRING),
                intake={"type": "object"},
                contact={"type": "object"},
                outcome=_nullable_enum(OUTCOMES),
                outcome_note=_nullable(_STRING),
                referral={"type": "object"},
                resident=_object(
                    ["display_name", "language", "following", "district"],
                    display_name=_nullable(_STRING),
                    language=_STRING,
                    following={"type": "boolean"},
                    district=_nullable_object(_DISTRICT),
                ),
                messages={"type": "array", "items": _ref("Message")},
                contacts={
                    "type": "array",
                    "items": _ref("Contact"),
                    "description": "The contact log: calls, visits and letters, oldest first.",
                },
                earlier={
                    "type": "array",
                    "items": _object(
                        ["reference", "status", "created_at"],
                        reference=_STRING,
                        status=_STRING,
                        created_at=_TIME,
                    ),
                },
                history={
                    "type": "array",
                    "items": _object(
                        ["at", "action", "staff", "detail"],
                        at=_TIME,
                        action=_STRING,
                        staff=_nullable_object(_PERSON),
                        detail={"type": "object"},
                    ),
                },
            ),
        ]
    },
}

# 生活応援隊 help requests (console/requests.py is the console's page of the same).
_HELPER = _object(
    ["id", "first_name", "district"],
    id={"type": "integer"},
    first_name=_nullable({**_STRING, "description": "Null once they left."}),
    district=_nullable_object(_DISTRICT),
)
_HELP_KIND = {"type": "string", "enum": [code for code, _label in HELP_KINDS]}
SCHEMAS["HelpRequest"] = _object(
    [
        "id",
        "kind",
        "status",
        "district",
        "wanted_from",
        "wanted_until",
        "ticket_id",
        "taken_by",
        "created_at",
    ],
    id={"type": "integer"},
    kind=_HELP_KIND,
    status={"type": "string", "enum": list(REQUEST_STATUSES)},
    district=_nullable_object(_DISTRICT),
    wanted_from=_TIME,
    wanted_until=_nullable(_TIME),
    ticket_id={"type": "integer", "nullable": True},
    taken_by=_nullable_object(_HELPER),
    created_at=_TIME,
)
SCHEMAS["HelpOffer"] = _object(
    ["id", "supporter", "sent_at", "answer", "answered_at"],
    id={"type": "integer"},
    supporter=_HELPER,
    sent_at=_TIME,
    answer=_nullable_enum(
        OFFER_ANSWERS, "Null while it waits; too_late: someone else took it, or it expired."
    ),
    answered_at=_nullable(_TIME),
)
SCHEMAS["HelpMatch"] = _object(
    ["supporter", "place", "asked", "taken_last_30_days", "reasons"],
    supporter=_HELPER,
    place={
        "type": "string",
        "enum": ["same", "near", "far", "unknown"],
        "description": "Their district to the request's: the same, within the distance they "
        "said they would go, further, or not known.",
    },
    asked={"type": "boolean", "description": "Asked already: cannot be asked again."},
    taken_last_30_days={"type": "integer"},
    reasons={
        "type": "array",
        "items": _object(
            ["code"],
            code={"type": "string", "enum": list(REASONS)},
            weekday={"type": "integer", "description": "Monday = 0."},
            band={"type": "string"},
            count={"type": "integer"},
            km={"type": "number"},
        ),
    },
)
SCHEMAS["HelpRequestDetail"] = {
    "allOf": [
        _ref("HelpRequest"),
        _object(
            ["note", "first_name", "offers", "matches"],
            note=_STRING,
            first_name=_STRING,
            offers={"type": "array", "items": _ref("HelpOffer")},
            matches={
                "type": "array",
                "items": _ref("HelpMatch"),
                "description": "Best first; empty once nobody may be asked (taken, done).",
            },
        ),
    ]
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _answer(description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": _json(schema)}


def _problem(description: str) -> dict[str, Any]:
    return _answer(description, _ref("Problem"))


_UNAUTHORISED = {"401": _problem("No token, or a token that is not valid.")}
_NOT_YOURS = {"404": _problem("No such ticket in the caller's teams.")}
_BAD_INPUT = {"400": _problem("The body is not JSON or lacks a field.")}
_REFUSED = {"422": _problem("The ticket's state or the input does not allow this step.")}
_TICKET = _object(["ticket"], ticket=_ref("TicketSummary"))
_REFERENCE = {
    "name": "reference",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 20},
    "example": "C-2026-000123",
}


def _action(summary: str, body: dict[str, Any], **responses: Any) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "parameters": [_REFERENCE],
            "requestBody": {"required": True, "content": _json(body)},
            "responses": {
                "200": _answer("The ticket after the step.", _TICKET),
                **_BAD_INPUT,
                **_UNAUTHORISED,
                **_NOT_YOURS,
                **_REFUSED,
                **responses,
            },
        }
    }


_NEW_TICKET = _object(
    ["channel", "worry"],
    channel={
        "type": "string",
        "enum": list(STAFF_CHANNELS),
        "description": _CHANNEL_WORDS + " LINE consultations are filed by the bot, not here.",
    },
    worry={
        "type": "string",
        "description": f"The worry as they told it; not empty, at most {MAX_WORRY:,} characters.",
    },
    name={
        "type": "string",
        "description": "The person to contact; needed unless resident_of is given "
        f"(at most {MAX_NAME} characters).",
    },
    phone={
        "type": "string",
        "description": f"Digits, hyphens, spaces, + and brackets; at most {MAX_PHONE} characters.",
    },
    referrer={"type": "string", "description": "The welfare commissioner who referred it."},
    about={
        "type": "string",
        "enum": list(ABOUT),
        "description": "Whom the worry is about: self, family or neighbour.",
    },
    categories={
        "type": "array",
        "items": {"type": "string", "enum": list(CATEGORIES)},
        "description": "What it is about; routing reads these.",
    },
    district={"type": "string", "description": "A district slug."},
    urgency={"type": "string", "enum": list(URGENCIES), "default": "anytime"},
    resident_of={
        "type": "string",
        "description": "The reference of one of the resident's tickets, when they are known "
        "already: the new ticket is theirs.",
    },
    take={
        "type": "boolean",
        "default": False,
        "description": "Take it at once, if it is routed to one of the caller's teams.",
    },
)
_NEW_CONTACT = _object(
    ["kind", "outcome"],
    kind={"type": "string", "enum": list(CONTACT_METHODS), "description": _CONTACT_KIND_WORDS},
    outcome={
        "type": "string",
        "enum": list(CONTACT_OUTCOMES),
        "description": _CONTACT_OUTCOME_WORDS,
    },
    note={"type": "string", "description": f"At most {MAX_CONTACT_NOTE:,} characters."},
    next_action_on=_nullable(
        {
            **_DAY,
            "description": "The day of the next step, today or within a year; on that day the "
            "ticket comes back to the top of its queue. Absent or null clears the next step "
            "(this contact was the step that was due).",
        }
    ),
)


def _query(name: str, description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema or {"type": "string"},
    }


# Every list route takes `limit`; its answers start with these (`_listed`).
_LIMIT = _query("limit", "At most this many.", {"type": "integer", "minimum": 1})


def _listed(description: str, key: str, schema: str) -> dict[str, Any]:
    """A list route's first answers: 200 with the `schema`s as an array under `key`, 400 for
    a filter it cannot read, 401; the route adds its own refusals after these."""
    listed = {key: {"type": "array", "items": _ref(schema)}}
    return {
        "200": _answer(description, _object([key], **listed)),
        "400": _problem("A filter is not valid."),
        **_UNAUTHORISED,
    }


PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {
        "get": {
            "summary": "This document (no token needed: it holds no data).",
            "security": [],
            "responses": {"200": _answer("The OpenAPI document.", {"type": "object"})},
        }
    },
    "/api/v1/teams": {
        "get": {
            "summary": "The caller's teams (every team for an admin), with queue counts.",
            "responses": {
                "200": _answer(
                    "Teams.",
                    _object(["teams"], teams={"type": "array", "items": _ref("TeamWithCounts")}),
                ),
                **_UNAUTHORISED,
            },
        }
    },
    "/api/v1/tickets": {
        "get": {
            "summary": "A queue, in the order to work it: emergencies and overdue tickets, "
            "then those whose next step (next_action_on) has come, then the rest; within each, "
            "most urgent first, then nearest SLA due time.",
            "parameters": [
                _query("view", "Which queue.", {"type": "string", "enum": list(VIEWS)}),
                _query("team", "A team slug; default every team of the caller."),
                _query("category", "A category slug."),
                _query("district", "A district slug."),
                _query("status", "A status.", {"type": "string", "enum": list(STATUSES)}),
                _query("q", "Part of a reference or of the resident's name."),
                _LIMIT,
            ],
            "responses": {
                **_listed("Tickets.", "tickets", "TicketSummary"),
                "404": _problem("No such team among the caller's."),
                "422": _problem("A filter is not valid."),
            },
        },
        "post": {
            "summary": "Open a ticket for a consultation that did not come through LINE: a "
            "phone call, a visit to the desk, a home visit or a 民生委員's referral. It is "
            "routed to a team and given an SLA like a LINE consultation; the worry becomes "
            "the first (internal) note of its thread. The opening is audited.",
            "requestBody": {"required": True, "content": _json(_NEW_TICKET)},
            "responses": {
                "201": _answer("The ticket opened.", _TICKET),
                **_BAD_INPUT,
                **_UNAUTHORISED,
                "422": _problem("A field is not valid (the answer's field says which)."),
            },
        },
    },
    "/api/v1/tickets/next": {
        "post": {
            "summary": "Take the most urgent unassigned ticket of a team (null when none).",
            "requestBody": {
                "required": True,
                "content": _json(_object(["team"], team={"type": "string"})),
            },
            "responses": {
                "200": _answer(
                    "The ticket taken, or null.",
                    _object(["ticket"], ticket=_nullable_object(SCHEMAS["TicketSummary"])),
                ),
                **_BAD_INPUT,
                **_UNAUTHORISED,
                "404": _problem("No such team among the caller's."),
            },
        }
    },
    "/api/v1/tickets/{reference}": {
        "get": {
            "summary": "A ticket with its thread and history (the read is audited).",
            "parameters": [_REFERENCE],
            "responses": {
                "200": _answer("The ticket.", _object(["ticket"], ticket=_ref("TicketDetail"))),
                **_UNAUTHORISED,
                **_NOT_YOURS,
            },
        }
    },
    "/api/v1/tickets/{reference}/claim": {
        "post": {
            "summary": "Take an unassigned ticket; exactly one of several at once gets it.",
            "parameters": [_REFERENCE],
            "responses": {
                "200": _answer("Taken (or already the caller's).", _TICKET),
                **_UNAUTHORISED,
                **_NOT_YOURS,
                "409": _problem("Someone else has it."),
            },
        }
    },
    "/api/v1/tickets/{reference}/assign": _action(
        "Give an open ticket to a named colleague in its team (an active member), with a "
        "reason shown on the ticket and kept in the audit log. Through the same one "
        "conditional update as claiming: if the ticket changed hands meanwhile, 409.",
        _object(
            ["assignee", "reason"],
            assignee={
                "type": "integer",
                "description": "The colleague's staff id (as in Person).",
            },
            reason={"type": "string", "description": "Not empty; at most 2,000 characters."},
        ),
        **{"409": _problem("The ticket changed hands meanwhile.")},
    ),
    "/api/v1/tickets/{reference}/reply": {
        "post": {
            "summary": "Send a message to the resident in LINE, through the outbox.",
            "parameters": [_REFERENCE],
            "requestBody": {"required": True, "content": _json(_TEXT_BODY)},
            "responses": {
                "201": _answer(
                    "The reply on the thread (delivery pending).",
                    _object(
                        ["message", "ticket"], message=_ref("Message"), ticket=_ref("TicketSummary")
                    ),
                ),
                **_BAD_INPUT,
                **_UNAUTHORISED,
                **_NOT_YOURS,
                "422": _problem("Closed ticket, a resident who blocked the account, or bad text."),
            },
        }
    },
    "/api/v1/tickets/{reference}/note": {
        "post": {
            "summary": "An internal note; it never reaches the resident.",
            "parameters": [_REFERENCE],
            "requestBody": {"required": True, "content": _json(_TEXT_BODY)},
            "responses": {
                "201": _answer(
                    "The note on the thread.",
                    _object(
                        ["message", "ticket"], message=_ref("Message"), ticket=_ref("TicketSummary")
                    ),
                ),
                **_BAD_INPUT,
                **_UNAUTHORISED,
                **_NOT_YOURS,
                **_REFUSED,
            },
        }
    },
    "/api/v1/tickets/{reference}/contacts": {
        "post": {
            "summary": "Log a call, visit or letter on an open ticket, with what came of it "
            "and the day of the next step (audited; the first one is the first response).",
            "parameters": [_REFERENCE],
            "requestBody": {"required": True, "content": _json(_NEW_CONTACT)},
            "responses": {
                "201": _answer(
                    "The entry of the contact log.",
                    _object(
                        ["contact", "ticket"], contact=_ref("Contact"), ticket=_ref("TicketSummary")
                    ),
                ),
                **_BAD_INPUT,
                **_UNAUTHORISED,
                **_NOT_YOURS,
                "422": _problem("A closed ticket, or a field that is not valid."),
            },
        }
    },
    "/api/v1/tickets/{reference}/status": _action(
        "Move an open ticket between working statuses ('new' puts it back in the queue).",
        _object(["status"], status={"type": "string", "enum": list(SETTABLE_STATUSES)}),
        **{"409": _problem("Someone else took it meanwhile.")},
    ),
    "/api/v1/tickets/{reference}/transfer": _action(
        "Send the ticket, unassigned, to another team's queue.",
        _object(["team", "reason"], team={"type": "string"}, reason={"type": "string"}),
    ),
    "/api/v1/tickets/{reference}/refer": _action(
        "つなぎ: refer the matter to an outside agency; the ticket ends as referred.",
        _object(
            ["agency", "handed_over"], agency={"type": "string"}, handed_over={"type": "string"}
        ),
    ),
    "/api/v1/tickets/{reference}/close": _action(
        "Close with an outcome.",
        _object(
            ["outcome"],
            outcome={"type": "string", "enum": list(OUTCOMES)},
            note={"type": "string"},
        ),
    ),
}

_REFUSAL = _object(
    ["error", "reason"],
    error={"type": "integer"},
    reason={"type": "string", "description": "What went wrong, in English."},
    message={"type": "string", "description": "The same, in Accept-Language."},
)
# Said of every 404 that hides whether a row exists from those who may not see it.
_NOT_TOLD_APART = (
    "the two are not told apart. A number that is no row id at all matches no route: that "
    "answer has no message."
)


def _not_found(what: str) -> dict[str, Any]:
    """The 404 of a row the caller may not see, or that does not exist: `what`, then why."""
    return {"404": _answer(f"{what}: {_NOT_TOLD_APART}", _REFUSAL)}


def _number(name: str, description: str, example: int) -> dict[str, Any]:
    """A row's number in the path."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "integer", "minimum": 1, "maximum": DB_INT_MAX},
        "example": example,
    }


_NOT_COORDINATING = _not_found(
    "No such help request, or the caller does not coordinate 生活応援隊 (the tasukeai team and "
    "admins do)"
)
_HELP_NUMBER = _number("request_id", "The help request's number (its id).", 42)
# What staff give of a request, entering it or correcting it (console/requests.py FIELDS).
_HELP_FIELDS: dict[str, Any] = {
    "kind": _HELP_KIND,
    "district": {"type": "string", "description": "A district slug; default the resident's."},
    "day": {**_DAY, "description": "The day the help is wanted: yyyy-mm-dd, town time."},
    "start": {"type": "string", "example": "10:00", "description": "From HH:MM, town time."},
    "end": {"type": "string", "example": "12:00", "description": "Until HH:MM (optional)."},
    "first_name": {"type": "string", "description": "Whom the supporter calls (at most 40)."},
    "phone": {"type": "string", "description": "Their phone (at most 20 characters)."},
    "note": {"type": "string", "description": "For the supporter who takes it (at most 1,000)."},
}
_NEW_HELP_REQUEST = _object(
    ["resident_of", "kind", "day", "start"],
    resident_of={
        "type": "string",
        "description": "The reference of a ticket of the person helped, one the caller sees.",
    },
    **_HELP_FIELDS,
)
_HELP_CORRECTION = {
    # No field is required (OpenAPI 3.0 allows no empty `required`).
    "type": "object",
    "properties": _HELP_FIELDS,
    "description": "Only the fields given change; null or empty clears an optional one (no "
    "district: the resident's own). day, start and end make the time wanted: those not given "
    "keep theirs, but a window of several days has no end time to keep, so giving one of "
    "them makes it a single day.",
}
PATHS["/api/v1/help-requests"] = {
    "get": {
        "summary": "生活応援隊 help requests on the coordinator's board, the newest first.",
        "parameters": [
            _query("status", "Only these.", {"type": "string", "enum": list(BOARD_STATUSES)}),
            _LIMIT,
        ],
        "responses": {
            **_listed("Help requests.", "help_requests", "HelpRequest"),
            **_NOT_COORDINATING,
        },
    },
    "post": {
        "summary": "Enter a help request for the person of one of the caller's tickets "
        "(audited). It waits, open, until supporters are asked.",
        "requestBody": {"required": True, "content": _json(_NEW_HELP_REQUEST)},
        "responses": {
            "201": _answer(
                "The request entered.", _object(["help_request"], help_request=_ref("HelpRequest"))
            ),
            **_BAD_INPUT,
            **_UNAUTHORISED,
            **_NOT_COORDINATING,
            "422": _problem("A field is not valid."),
        },
    },
}
PATHS["/api/v1/help-requests/{request_id}"] = {
    "get": {
        "summary": "A help request with its offers and answers, and the supporters who could "
        "take it, best first, with the reasons (the read is audited).",
        "parameters": [_HELP_NUMBER],
        "responses": {
            "200": _answer(
                "The request.",
                _object(["help_request"], help_request=_ref("HelpRequestDetail")),
            ),
            "400": _problem("A query value that cannot be read."),
            **_UNAUTHORISED,
            **_NOT_COORDINATING,
        },
    },
    "patch": {
        "summary": "直す: correct a request not yet out to supporters (open or returned): the "
        "first name the supporter will be told, the day and time agreed with the resident, the "
        "note. Checked as when it was entered; audited with the names of the fields that "
        "changed, never their values.",
        "parameters": [_HELP_NUMBER],
        "requestBody": {"required": True, "content": _json(_HELP_CORRECTION)},
        "responses": {
            "200": _answer(
                "The request as it is now, with the supporters who could take it now.",
                _object(
                    ["help_request", "changed"],
                    help_request=_ref("HelpRequestDetail"),
                    changed={
                        "type": "array",
                        "items": {
                            "type": "string",
                            "enum": [
                                "kind",
                                "district",
                                "wanted_from",
                                "wanted_until",
                                "first_name",
                                "phone",
                                "note",
                            ],
                        },
                        "description": "The fields that changed (none: it was so already).",
                    },
                ),
            ),
            **_BAD_INPUT,
            **_UNAUTHORISED,
            **_NOT_COORDINATING,
            "409": _problem(
                "The request is out to supporters already (offered, taken, done or cancelled): "
                "it can no longer be corrected."
            ),
            "422": _problem("A field is not valid."),
        },
    },
}
PATHS["/api/v1/help-requests/{request_id}/offers"] = {
    "post": {
        "summary": "声をかける: offer the request to these supporters, each among its matches "
        "and not asked before; each gets the offer in LINE, with 引き受ける / 今回は無理. "
        "Audited.",
        "parameters": [_HELP_NUMBER],
        "requestBody": {
            "required": True,
            "content": _json(
                _object(
                    ["supporters"],
                    supporters={
                        "type": "array",
                        "items": {"type": "integer"},
                        "description": "Supporter ids (as in HelpMatch).",
                    },
                )
            ),
        },
        "responses": {
            "201": _answer(
                "The offers made.",
                _object(
                    ["offers", "help_request"],
                    offers={"type": "array", "items": _ref("HelpOffer")},
                    help_request=_ref("HelpRequest"),
                ),
            ),
            **_BAD_INPUT,
            **_UNAUTHORISED,
            **_NOT_COORDINATING,
            "409": _problem("The request is taken, done or cancelled: nobody may be asked."),
            "422": _problem("A supporter who is not among the request's matches, or none."),
        },
    }
}


# 生活応援隊 supporters (console/supporters.py is the console's page of the same).
# One who left keeps no name and is not listed (as on the console's page).
_SUPPORTER_STATUSES = [status for status in SUPPORTER_STATUSES if status != "left"]
_STATUS_WORDS = (
    "applied (waiting for a coordinator's approval), active (taking offers), paused (on a "
    "break: no offers)."
)
# What a supporter's list entry (Supporter) and own page (SupporterRecord) both say of them;
# the list describes each field, the page adds its own fields after these.
_SUPPORTER_FIELDS = [
    "status",
    "kinds",
    "weekdays",
    "time_bands",
    "applied_at",
    "approved_at",
    "last_helped_at",
]
_KIND_LIST = {"type": "array", "items": _HELP_KIND}
_WEEKDAYS = {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 6}}
_TIME_BANDS = {
    "type": "array",
    "items": {"type": "string", "enum": [code for code, _label in TIME_BANDS]},
}
SCHEMAS["Supporter"] = {
    "allOf": [
        {**_HELPER, "description": "No phone: a coordinator sees it only on a taken request."},
        _object(
            _SUPPORTER_FIELDS,
            status={"type": "string", "enum": _SUPPORTER_STATUSES, "description": _STATUS_WORDS},
            kinds={**_KIND_LIST, "description": "What they can do."},
            weekdays={**_WEEKDAYS, "description": "The days they can help; Monday = 0."},
            time_bands={**_TIME_BANDS, "description": "The times of day they can help."},
            applied_at={**_TIME, "description": "When they signed up (and consented)."},
            approved_at=_nullable({**_TIME, "description": "Null until a coordinator approves."}),
            last_helped_at=_nullable(
                {
                    **_TIME,
                    "description": "When they last took a request on; matching shares work by it.",
                }
            ),
        ),
    ]
}
_NOT_COORDINATING_SUPPORTERS = _not_found(
    "No such supporter, or the caller does not coordinate 生活応援隊 (the tasukeai team and "
    "admins do)"
)
_SUPPORTER_NUMBER = _number("supporter_id", "The supporter's number (their id).", 7)
PATHS["/api/v1/supporters"] = {
    "get": {
        "summary": "生活応援隊 supporters, as on the coordinator's supporters page: applicants "
        "first, then active, then on a break; within each, in the order they applied. Those "
        "who left are not listed.",
        "parameters": [
            _query(
                "status",
                "Only these. " + _STATUS_WORDS,
                {"type": "string", "enum": _SUPPORTER_STATUSES},
            ),
            _LIMIT,
        ],
        "responses": {
            **_listed("Supporters.", "supporters", "Supporter"),
            **_NOT_COORDINATING_SUPPORTERS,
        },
    }
}


def _supporter_step(summary: str, conflict: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary + " Audited, with the status before and after.",
            "parameters": [_SUPPORTER_NUMBER],
            "responses": {
                "200": _answer(
                    "The supporter after the step.",
                    _object(["supporter"], supporter=_ref("Supporter")),
                ),
                "400": _problem("A query value that cannot be read."),
                **_UNAUTHORISED,
                **_NOT_COORDINATING_SUPPORTERS,
                "409": _problem(conflict),
            },
        }
    }


PATHS["/api/v1/supporters/{supporter_id}/approve"] = _supporter_step(
    "Approve an applicant a coordinator has met: offers may now go to them, and they hear "
    "it in LINE.",
    "Not waiting for approval (approved already, on a break, or left).",
)
PATHS["/api/v1/supporters/{supporter_id}/pause"] = _supporter_step(
    "Put a supporter on a break: no offers until resumed; offers waiting for their answer "
    "are declined for them.",
    "Neither waiting for approval nor taking offers (on a break already, or left).",
)
PATHS["/api/v1/supporters/{supporter_id}/resume"] = _supporter_step(
    "Resume a supporter on a break: back to taking offers, or to waiting for approval if "
    "never approved.",
    "Not on a break.",
)

# One supporter's own page (console/supporters.py `supporter_page`).
_HELPED = _object(
    ["taken", "done", "hours"],
    taken={"type": "integer", "description": "Requests they took on (done or not)."},
    done={"type": "integer", "description": "Of them, done."},
    hours={"type": "number", "description": "Hours given, as they reported them."},
)
SCHEMAS["PastOffer"] = _object(
    [
        "offer_id",
        "help_request",
        "kind",
        "sent_at",
        "answer",
        "answered_at",
        "took",
        "status",
        "minutes",
        "not_done_reason",
        "feedback",
    ],
    offer_id={"type": "integer"},
    help_request={"type": "integer", "description": "The help request's number."},
    kind=_HELP_KIND,
    sent_at=_TIME,
    answer=_nullable_enum(
        OFFER_ANSWERS,
        "accepted (引き受けた), declined (今回は無理), too_late (someone else took it, or the "
        "time ran out); null: no answer.",
    ),
    answered_at=_nullable(_TIME),
    took={"type": "boolean", "description": "They took it on; the fields below say how it went."},
    status=_nullable_enum(
        REQUEST_STATUSES,
        "taken (not reported yet), done, failed (could not be done), returned, cancelled; "
        "null for a request they did not take.",
    ),
    minutes=_nullable_enum(
        (minutes for minutes, _label in HELP_MINUTES),
        "About how long it took, as they reported it.",
        kind="integer",
    ),
    not_done_reason=_nullable_enum(
        (code for code, _label in NOT_DONE_REASONS), "Why it could not be done."
    ),
    feedback=_nullable_enum((code for code, _label in FEEDBACK), "What the person helped said."),
)
SCHEMAS["SupporterRecord"] = {
    "allOf": [
        _HELPER,
        _object(
            [
                *_SUPPORTER_FIELDS,
                "phone",
                "reach_km",
                "approved_by",
                "history",
                "totals",
                "care_net",
            ],
            status={
                "type": "string",
                "enum": list(SUPPORTER_STATUSES),
                "description": _STATUS_WORDS + " left (name and phone deleted).",
            },
            kinds=_KIND_LIST,
            weekdays=_WEEKDAYS,
            time_bands=_TIME_BANDS,
            applied_at=_TIME,
            approved_at=_nullable(_TIME),
            last_helped_at=_nullable(_TIME),
            phone=_nullable({**_STRING, "description": "For the coordinator to call them."}),
            reach_km=_nullable(
                {"type": "number", "description": "How far they go; null: their district only."}
            ),
            approved_by=_nullable_object(_PERSON),
            history={
                "type": "array",
                "items": _ref("PastOffer"),
                "description": "Each request offered to them, the newest first (at most 200).",
            },
            totals=_object(
                ["last_30_days", "all"],
                last_30_days={**_HELPED, "description": "Requests taken in the last 30 days."},
                all=_HELPED,
            ),
            care_net=_object(
                ["count", "residents"],
                count={"type": "integer", "description": "ケアネット residents they look in on."},
                residents={
                    "type": "array",
                    "nullable": True,
                    "items": _object(
                        ["enrolment_id", "display_name"],
                        enrolment_id={"type": "integer"},
                        display_name=_nullable(_STRING),
                    ),
                    "description": "Who they are; null unless the caller is of the watch-over "
                    "team (or an admin).",
                },
            ),
        ),
    ]
}
PATHS["/api/v1/supporters/{supporter_id}"] = {
    "get": {
        "summary": "One supporter, as on their console page: with their phone, their history "
        "(each request offered to them and how it went), totals, and their ケアネット links. "
        "The read is audited.",
        "parameters": [_SUPPORTER_NUMBER],
        "responses": {
            "200": _answer(
                "The supporter.", _object(["supporter"], supporter=_ref("SupporterRecord"))
            ),
            "400": _problem("A query value that cannot be read."),
            **_UNAUTHORISED,
            **_NOT_COORDINATING_SUPPORTERS,
        },
    }
}

# ケアネット (console/care_net.py is the console's page of the same).
SCHEMAS["Neighbour"] = _object(
    ["link_id", "position", "supporter", "linked_at", "consent_by"],
    link_id={"type": "integer", "description": "The link's number, to unlink it."},
    position={"type": "integer", "minimum": 1, "maximum": MAX_NEIGHBOURS},
    supporter={
        "allOf": [
            _HELPER,
            _object(["status"], status={"type": "string", "enum": list(SUPPORTER_STATUSES)}),
        ]
    },
    linked_at=_TIME,
    consent_by={**_PERSON, "description": "Who recorded the resident's consent."},
)
_NOT_WATCHED_WHO = (
    "No such watch-over resident, or the caller is not of the watch-over team (nor an admin)"
)
_NOT_WATCHED = _not_found(_NOT_WATCHED_WHO)
_ENROLMENT_NUMBER = _number("enrolment_id", "The watch-over enrolment's number.", 3)
_NEIGHBOURS = {"type": "array", "items": _ref("Neighbour")}
PATHS["/api/v1/watch/{enrolment_id}/neighbours"] = {
    "get": {
        "summary": "ケアネット: the neighbours linked to a watch-over resident, in the order "
        "they are asked, and the active supporters who could be linked. The read is audited.",
        "parameters": [_ENROLMENT_NUMBER],
        "responses": {
            "200": _answer(
                "The neighbours.",
                _object(
                    ["neighbours", "candidates", "most"],
                    neighbours=_NEIGHBOURS,
                    candidates={"type": "array", "items": _HELPER},
                    most={"type": "integer", "description": "How many may be linked at once."},
                ),
            ),
            "400": _problem("A query value that cannot be read."),
            **_UNAUTHORISED,
            **_NOT_WATCHED,
        },
    },
    "post": {
        "summary": "Link a neighbour, with the resident's consent (recorded as the caller's). "
        "Audited.",
        "parameters": [_ENROLMENT_NUMBER],
        "requestBody": {
            "required": True,
            "content": _json(
                _object(
                    ["supporter", "consent"],
                    supporter={"type": "integer", "description": "The supporter's id."},
                    consent={
                        "type": "boolean",
                        "description": "The resident consents to this neighbour.",
                    },
                )
            ),
        },
        "responses": {
            "201": _answer("The link made.", _object(["neighbour"], neighbour=_ref("Neighbour"))),
            **_BAD_INPUT,
            **_UNAUTHORISED,
            **_NOT_WATCHED,
            "409": _problem(
                f"Linked already, or the resident has {MAX_NEIGHBOURS} neighbours already."
            ),
            "422": _problem(
                "No consent, no such supporter, one not active, the resident themself, or a "
                "resident no longer enrolled."
            ),
        },
    },
}
PATHS["/api/v1/watch/{enrolment_id}/neighbours/{link_id}"] = {
    "delete": {
        "summary": "Unlink a neighbour: they are no longer asked. Audited.",
        "parameters": [
            _ENROLMENT_NUMBER,
            _number("link_id", "The link's number (Neighbour.link_id).", 5),
        ],
        "responses": {
            "200": _answer(
                "The neighbours still linked.", _object(["neighbours"], neighbours=_NEIGHBOURS)
            ),
            **_UNAUTHORISED,
            **_not_found(_NOT_WATCHED_WHO + ", or the link is not in force (unlinked already)"),
        },
    }
}


def document(server: str = "") -> dict[str, Any]:
    """The whole document; `server` is the base URL callers reach this app at."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "madoguchi staff API",
            "version": VERSION,
            "description": (
                "Casework for the welfare council's staff: queues, claiming, assigning, replies "
                "into LINE, notes, a contact log of calls, visits and letters, tickets for "
                "consultations by phone, at the desk, on a home visit or from a 民生委員, "
                "transfer, referral and closing; for 生活応援隊's coordinators, help requests, "
                "offers to supporters, approving, pausing and resuming supporters and each "
                "one's history; for the watch-over team, ケアネット neighbours. Make a "
                "token with `madoguchi staff token EMAIL`."
            ),
        },
        "servers": [{"url": server or "/"}],
        "security": [{"bearer": []}],
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
