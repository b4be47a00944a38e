"""The staff JSON API over HTTP (Flask's test client), on SQLite and PostgreSQL.

Every answer a test receives is validated against the OpenAPI document the app serves, so the
document cannot drift from what the routes really return.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from casework_data import NOW, Office, make_office, make_resident, make_ticket, staff
from flask import Flask
from flask.testing import FlaskClient
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from sqlalchemy import func, select
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request

from bot.app import create_app
from bot.clock import Clock
from bot.settings import Settings
from console import openapi
from storage import casework, staff_accounts
from storage.db import Database
from storage.models import AuditEntry, OutboxMessage, Ticket

HOST = "http://localhost"
SPEC = OpenAPI.from_dict(openapi.document(HOST))

# Every route of the API with a body it accepts; {ref} is filled in per test.
TICKET_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/tickets/{ref}", None),
    ("POST", "/api/v1/tickets/{ref}/claim", None),
    ("POST", "/api/v1/tickets/{ref}/assign", {"assignee": 1, "reason": "地区の担当"}),
    ("POST", "/api/v1/tickets/{ref}/reply", {"body": "こんにちは"}),
    ("POST", "/api/v1/tickets/{ref}/note", {"body": "memo"}),
    ("POST", "/api/v1/tickets/{ref}/contacts", {"kind": "phone", "outcome": "reached"}),
    ("POST", "/api/v1/tickets/{ref}/status", {"status": "waiting"}),
    ("POST", "/api/v1/tickets/{ref}/transfer", {"team": "kourei", "reason": "介護の相談"}),
    ("POST", "/api/v1/tickets/{ref}/refer", {"agency": "市 生活支援課", "handed_over": "要約"}),
    ("POST", "/api/v1/tickets/{ref}/close", {"outcome": "solved"}),
]
OTHER_ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/teams", None),
    ("GET", "/api/v1/tickets", None),
    ("POST", "/api/v1/tickets", {"channel": "phone", "worry": "相談", "name": "電話 一郎"}),
    ("POST", "/api/v1/tickets/next", {"team": "marugoto"}),
]


class _Sent(WerkzeugOpenAPIRequest):
    """The request as sent: the test client has consumed its body stream by now."""

    def __init__(self, request: Request, body: bytes) -> None:
        super().__init__(request)
        self._body = body

    @property
    def body(self) -> bytes:
        return self._body


@dataclass
class Api:
    """The test client with a token; checks each answer against the OpenAPI document."""

    client: FlaskClient
    token: str | None = None
    seen: list[tuple[str, str, int]] = field(default_factory=list)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        validate: bool = True,
        **kwargs: Any,
    ) -> TestResponse:
        headers = dict(kwargs.pop("headers", {}))
        bearer = token if token is not None else self.token
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        response = self.client.open(
            path, method=method, json=body, headers=headers, base_url=HOST, **kwargs
        )
        if validate:
            sent = json.dumps(body).encode() if body is not None else b""
            SPEC.validate_response(_Sent(response.request, sent), WerkzeugOpenAPIResponse(response))
        self.seen.append((method, path, response.status_code))
        return response

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        return self.call("GET", path, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> TestResponse:
        return self.call("POST", path, body, **kwargs)


@dataclass
class Setup:
    app: Flask
    db: Database
    office: Office
    tokens: dict[str, str]

    def api(self, who: str | None) -> Api:
        return Api(self.app.test_client(), self.tokens[who] if who else None)

    def ticket(self, team: str = "marugoto", **kwargs: Any) -> str:
        with self.db.transaction() as session:
            return make_ticket(session, self.office.teams[team], **kwargs).reference


@pytest.fixture
def setup(db: Database, settings: Settings) -> Iterator[Setup]:
    office = make_office(db)
    with db.transaction() as session:
        tokens = {
            name: staff_accounts.issue_token(session, staff(session, staff_id), NOW)
            for name, staff_id in office.staff.items()
        }
    # The app's clock reads the office's morning, like the tickets made for these tests.
    clock = Clock(offset=NOW - datetime.now(UTC))
    app = create_app(settings, db=db, clock=clock)
    yield Setup(app=app, db=db, office=office, tokens=tokens)


def _count(db: Database, model: Any, *where: Any) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


# --- who may call ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer ", "Bearer mdg_not-a-token", "Bearer nonsense", "Basic YWRtaW46YWRtaW4="],
)
def test_every_route_refuses_a_caller_without_a_valid_token(
    setup: Setup, authorization: str | None
) -> None:
    reference = setup.ticket()
    api = setup.api(None)
    headers = {"Authorization": authorization} if authorization else {}
    for method, path, body in TICKET_ROUTES + OTHER_ROUTES:
        response = api.call(method, path.format(ref=reference), body, headers=headers)
        assert response.status_code == 401, (method, path)
        assert response.json is not None and response.json["error"] == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert (
        _count(setup.db, AuditEntry, AuditEntry.action != "open", AuditEntry.ticket_id.is_not(None))
        == 0
    )


def test_a_revoked_token_or_a_deactivated_account_is_refused(setup: Setup) -> None:
    api = setup.api("aoki")
    assert api.get("/api/v1/teams").status_code == 200
    with setup.db.transaction() as session:
        staff_accounts.revoke_tokens(session, staff(session, setup.office.staff["aoki"]), NOW)
        staff(session, setup.office.staff["baba"]).active = False
    assert api.get("/api/v1/teams").status_code == 401
    assert setup.api("baba").get("/api/v1/teams").status_code == 401


def test_the_refusal_speaks_japanese_unless_asked_otherwise(setup: Setup) -> None:
    api = setup.api(None)
    japanese = api.get("/api/v1/teams")
    english = api.get("/api/v1/teams", headers={"Accept-Language": "en"})
    assert japanese.json is not None and english.json is not None
    assert japanese.json["reason"] == english.json["message"]
    assert japanese.json["message"] != japanese.json["reason"]
    assert "トークン" in japanese.json["message"]


def test_another_teams_ticket_is_not_found_through_every_route(setup: Setup) -> None:
    theirs = setup.ticket("kourei")
    api = setup.api("aoki")
    nowhere = api.get("/api/v1/tickets/C-2026-999999")
    for method, path, body in TICKET_ROUTES:
        response = api.call(method, path.format(ref=theirs), body)
        assert response.status_code == 404, (method, path)
        # Word for word what a ticket that does not exist gets: nothing gives it away.
        assert response.json == nowhere.json
    assert api.get("/api/v1/tickets?team=kourei").status_code == 404
    assert api.post("/api/v1/tickets/next", {"team": "kourei"}).status_code == 404
    listed = api.get("/api/v1/tickets").json
    assert listed is not None and listed["tickets"] == []
    with setup.db.transaction() as session:
        untouched = session.scalar(select(Ticket).where(Ticket.reference == theirs))
        assert untouched is not None
        assert (untouched.status, untouched.assignee_id, untouched.messages) == ("new", None, [])
    assert _count(setup.db, OutboxMessage) == 0
    # kourei's own staff member sees it.
    assert setup.api("chiba").get(f"/api/v1/tickets/{theirs}").status_code == 200


# --- reading -----------------------------------------------------------------------------


def test_teams_with_their_queue_counts(setup: Setup) -> None:
    setup.ticket()
    setup.ticket()
    aoki = setup.api("aoki").get("/api/v1/teams").json
    assert aoki is not None
    assert [team["slug"] for team in aoki["teams"]] == ["marugoto"]
    assert aoki["teams"][0]["counts"] == {"new": 2, "mine": 0, "waiting": 0, "open": 2}
    boss = setup.api("boss").get("/api/v1/teams").json
    assert boss is not None and len(boss["teams"]) == 8


def test_the_queue_with_filters_most_urgent_first(setup: Setup) -> None:
    later = setup.ticket(urgency="anytime")
    urgent = setup.ticket(urgency="emergency", due_in=timedelta(minutes=-5))
    with setup.db.transaction() as session:
        named = make_ticket(
            session, setup.office.teams["marugoto"], resident=make_resident(session, "佐藤 太郎")
        ).reference
    api = setup.api("aoki")
    listed = api.get("/api/v1/tickets?team=marugoto&view=new").json
    assert listed is not None
    assert [t["reference"] for t in listed["tickets"]] == [urgent, named, later]
    first = listed["tickets"][0]
    assert first["overdue"] is True and first["team"]["slug"] == "marugoto"
    searched = api.get("/api/v1/tickets", query_string={"q": "佐藤"}).json
    assert searched is not None and [t["reference"] for t in searched["tickets"]] == [named]
    assert api.get("/api/v1/tickets?view=everything").status_code == 400
    assert api.get("/api/v1/tickets?limit=0").status_code == 400
    assert api.get("/api/v1/tickets?limit=ten").status_code == 400
    assert api.get("/api/v1/tickets?district=nowhere").status_code == 400
    assert api.get("/api/v1/tickets?status=bogus").status_code == 422
    assert api.get("/api/v1/tickets?team=nosuchteam").status_code == 404


def test_reading_a_ticket_shows_the_thread_and_is_audited(setup: Setup) -> None:
    reference = setup.ticket()
    api = setup.api("aoki")
    api.post(f"/api/v1/tickets/{reference}/reply", {"body": "お電話します"})
    api.post(f"/api/v1/tickets/{reference}/note", {"body": "午後に電話"})
    response = api.get(f"/api/v1/tickets/{reference.lower()}")
    assert response.status_code == 200 and response.json is not None
    ticket = response.json["ticket"]
    assert [(m["author"], m["body"], m["delivery"]) for m in ticket["messages"]] == [
        ("staff", "お電話します", "pending"),
        ("note", "午後に電話", None),
    ]
    assert ticket["resident"]["display_name"] == "山田 花子"
    assert [h["action"] for h in ticket["history"]] == ["open", "claim", "reply", "note", "view"]
    with setup.db.transaction() as session:
        views = session.scalars(select(AuditEntry).where(AuditEntry.action == "view")).all()
        assert [(v.staff_id, v.ip) for v in views] == [(setup.office.staff["aoki"], "127.0.0.1")]


# --- claiming ----------------------------------------------------------------------------


def test_take_is_for_one_person_and_the_other_is_told(setup: Setup) -> None:
    reference = setup.ticket()
    first = setup.api("aoki").post(f"/api/v1/tickets/{reference}/claim")
    assert first.status_code == 200 and first.json is not None
    assert first.json["ticket"]["assignee"]["name"] == "aoki"
    assert first.json["ticket"]["status"] == "assigned"
    lost = setup.api("baba").post(f"/api/v1/tickets/{reference}/claim")
    assert lost.status_code == 409 and lost.json is not None
    assert lost.json["reason"] == "Someone else took this ticket a moment ago."
    assert lost.json["message"] == "ほかの職員が先に担当しました。"
    # Taking what is already yours is fine.
    assert setup.api("aoki").post(f"/api/v1/tickets/{reference}/claim").status_code == 200


def test_next_ticket(setup: Setup) -> None:
    setup.ticket(urgency="anytime")
    urgent = setup.ticket(urgency="today")
    api = setup.api("aoki")
    taken = api.post("/api/v1/tickets/next", {"team": "marugoto"}).json
    assert taken is not None and taken["ticket"]["reference"] == urgent
    api.post("/api/v1/tickets/next", {"team": "marugoto"})
    empty = api.post("/api/v1/tickets/next", {"team": "marugoto"}).json
    assert empty == {"ticket": None}
    assert api.post("/api/v1/tickets/next", {}).status_code == 400


# --- changing ----------------------------------------------------------------------------


def test_reply_goes_into_the_outbox_and_note_does_not(setup: Setup) -> None:
    reference = setup.ticket()
    api = setup.api("aoki")
    replied = api.post(f"/api/v1/tickets/{reference}/reply", {"body": "明日伺います"})
    assert replied.status_code == 201 and replied.json is not None
    assert replied.json["message"]["delivery"] == "pending"
    assert replied.json["ticket"]["status"] == "in_progress"
    assert replied.json["ticket"]["first_response_at"] is not None
    assert _count(setup.db, OutboxMessage) == 1
    noted = api.post(f"/api/v1/tickets/{reference}/note", {"body": "memo"})
    assert noted.status_code == 201
    assert _count(setup.db, OutboxMessage) == 1


def test_malformed_input_is_a_400_with_a_reason(setup: Setup) -> None:
    reference = setup.ticket()
    api = setup.api("aoki")
    for response in (
        api.post(f"/api/v1/tickets/{reference}/reply", data="not json"),
        api.post(f"/api/v1/tickets/{reference}/reply", ["a", "list"]),
        api.post(f"/api/v1/tickets/{reference}/reply", {"text": "wrong field"}),
        api.post(f"/api/v1/tickets/{reference}/reply", {"body": 42}),
        api.post(f"/api/v1/tickets/{reference}/transfer", {"team": "kourei"}),
    ):
        assert response.status_code == 400 and response.json is not None
        assert response.json["reason"]


def test_steps_the_ticket_does_not_allow_are_a_422_with_a_reason(setup: Setup) -> None:
    reference = setup.ticket()
    api = setup.api("aoki")
    empty = api.post(f"/api/v1/tickets/{reference}/reply", {"body": "   "})
    assert empty.status_code == 422 and empty.json is not None
    assert empty.json["field"] == "reply"
    assert api.post(f"/api/v1/tickets/{reference}/close", {"outcome": "gone"}).status_code == 422
    assert api.post(f"/api/v1/tickets/{reference}/status", {"status": "closed"}).status_code == 422
    bad_team = api.post(f"/api/v1/tickets/{reference}/transfer", {"team": "nope", "reason": "x"})
    assert bad_team.status_code == 422
    closed = api.post(f"/api/v1/tickets/{reference}/close", {"outcome": "solved", "note": "済"})
    assert closed.status_code == 200 and closed.json is not None
    assert closed.json["ticket"]["status"] == "resolved"
    after = api.post(f"/api/v1/tickets/{reference}/reply", {"body": "hello"})
    assert after.status_code == 422 and after.json is not None
    assert after.json["message"] == "この相談は終了しています。返信できるのは対応中の相談だけです。"


def test_status_transfer_refer_and_close_through_the_api(setup: Setup) -> None:
    api = setup.api("aoki")
    moved = setup.ticket()
    waiting = api.post(f"/api/v1/tickets/{moved}/status", {"status": "waiting"}).json
    assert waiting is not None and waiting["ticket"]["status"] == "waiting"
    sent = api.post(f"/api/v1/tickets/{moved}/transfer", {"team": "kourei", "reason": "介護"})
    assert sent.status_code == 200 and sent.json is not None
    assert sent.json["ticket"]["team"]["slug"] == "kourei"
    assert sent.json["ticket"]["assignee"] is None
    assert api.get(f"/api/v1/tickets/{moved}").status_code == 404

    referred = setup.ticket()
    answer = api.post(
        f"/api/v1/tickets/{referred}/refer",
        {"agency": "小田原市 生活支援課", "handed_over": "相談の要約"},
    ).json
    assert answer is not None and answer["ticket"]["status"] == "referred"

    closed = setup.ticket()
    answer = api.post(f"/api/v1/tickets/{closed}/close", {"outcome": "watching"}).json
    assert answer is not None and answer["ticket"]["status"] == "closed"
    with setup.db.transaction() as session:
        actions = {
            e.action
            for e in session.scalars(select(AuditEntry).where(AuditEntry.staff_id.is_not(None)))
        }
    assert {"status", "transfer", "refer", "close", "claim"} <= actions


def test_assign_to_a_colleague_through_the_api(setup: Setup) -> None:
    reference = setup.ticket()
    api = setup.api("aoki")
    baba, chiba = setup.office.staff["baba"], setup.office.staff["chiba"]
    given = api.post(
        f"/api/v1/tickets/{reference}/assign", {"assignee": baba, "reason": "地区の担当"}
    )
    assert given.status_code == 200 and given.json is not None
    assert given.json["ticket"]["assignee"] == {"id": baba, "name": "baba"}
    assert given.json["ticket"]["status"] == "assigned"
    mine = setup.api("baba").get("/api/v1/tickets?view=mine").json
    assert mine is not None and [t["reference"] for t in mine["tickets"]] == [reference]
    read = api.get(f"/api/v1/tickets/{reference}").json
    assert read is not None
    [entry] = [e for e in read["ticket"]["history"] if e["action"] == "assign"]
    assert entry["detail"] == {"from": None, "to": baba, "reason": "地区の担当"}
    assert entry["staff"]["name"] == "aoki"

    for body, status, field_name in (
        ({"assignee": chiba, "reason": "x"}, 422, "assignee"),  # 高齢・介護's
        ({"assignee": 2_000_000_000, "reason": "x"}, 422, "assignee"),
        ({"assignee": 0, "reason": "x"}, 422, "assignee"),
        ({"assignee": baba, "reason": "x"}, 422, "assignee"),  # has it already
        ({"assignee": setup.office.staff["aoki"], "reason": " "}, 422, "reason"),
        ({"assignee": True, "reason": "x"}, 400, None),
        ({"assignee": str(baba), "reason": "x"}, 400, None),
        ({"assignee": baba}, 400, None),
    ):
        answer = api.post(f"/api/v1/tickets/{reference}/assign", body)
        assert answer.status_code == status, (body, answer.json)
        assert answer.json is not None and answer.json.get("field") == field_name, body
    back = api.post(
        f"/api/v1/tickets/{reference}/assign",
        {"assignee": setup.office.staff["aoki"], "reason": "休暇のため"},
    )
    assert back.status_code == 200 and back.json is not None
    assert back.json["ticket"]["assignee"]["name"] == "aoki"
    assert _count(setup.db, AuditEntry, AuditEntry.action == "assign") == 2


def test_only_an_active_colleague_still_in_the_team_can_be_assigned(setup: Setup) -> None:
    reference = setup.ticket()
    api = setup.api("aoki")
    baba = setup.office.staff["baba"]
    with setup.db.transaction() as session:
        staff(session, baba).active = False
    gone = api.post(f"/api/v1/tickets/{reference}/assign", {"assignee": baba, "reason": "x"})
    assert gone.status_code == 422 and gone.json is not None and gone.json["field"] == "assignee"
    assert gone.json["message"] == "このチケットのチームにその職員はいません。"
    with setup.db.transaction() as session:
        moved = staff(session, baba)
        moved.active = True
        moved.teams = []
    left = api.post(f"/api/v1/tickets/{reference}/assign", {"assignee": baba, "reason": "x"})
    assert left.status_code == 422 and left.json is not None and left.json["field"] == "assignee"
    assert _count(setup.db, AuditEntry, AuditEntry.action == "assign") == 0
    with setup.db.transaction() as session:
        assert session.scalars(select(Ticket)).one().assignee_id is None


# --- every channel, and the contact log ---------------------------------------------------


def test_a_phone_call_opens_a_ticket_and_its_contact_log_brings_it_back_that_day(
    setup: Setup,
) -> None:
    api = setup.api("aoki")
    opened = api.post(
        "/api/v1/tickets",
        {
            "channel": "phone",
            "worry": "ゴミ出しが難しくなってきた",
            "name": "電話 一郎",
            "phone": "0465-00-2222",
            "about": "self",
            "district": "hayakawa",
            "take": True,
        },
    )
    assert opened.status_code == 201 and opened.json is not None
    ticket = opened.json["ticket"]
    reference = ticket["reference"]
    assert (ticket["channel"], ticket["kind"], ticket["team"]["slug"]) == (
        "phone",
        "consultation",
        "marugoto",
    )
    assert ticket["assignee"]["name"] == "aoki", "taken: it went to aoki's team"
    assert ticket["urgency"] == "anytime" and ticket["sla_due_at"] is not None
    assert (ticket["next_action_on"], ticket["next_action_due"]) == (None, False)
    assert ticket["district"]["slug"] == "hayakawa"
    # Routed by the same rules: 介護 goes to 高齢・介護, not taken (not aoki's team).
    care = api.post(
        "/api/v1/tickets",
        {"channel": "minsei", "worry": "独居", "name": "民生 紹介", "categories": ["care"]},
    ).json
    assert care is not None and care["ticket"]["team"]["slug"] == "kourei"
    assert care["ticket"]["assignee"] is None

    tomorrow = (NOW + timedelta(days=1)).date().isoformat()
    logged = api.post(
        f"/api/v1/tickets/{reference}/contacts",
        {
            "kind": "phone",
            "outcome": "no_answer",
            "note": "不在。明日かけ直す",
            "next_action_on": tomorrow,
        },
    )
    assert logged.status_code == 201 and logged.json is not None
    contact = logged.json["contact"]
    assert (contact["kind"], contact["outcome"], contact["note"]) == (
        "phone",
        "no_answer",
        "不在。明日かけ直す",
    )
    assert contact["next_action_on"] == tomorrow and contact["staff"]["name"] == "aoki"
    assert logged.json["ticket"]["next_action_on"] == tomorrow
    assert logged.json["ticket"]["next_action_due"] is False
    assert logged.json["ticket"]["first_response_at"] is not None

    read = api.get(f"/api/v1/tickets/{reference}").json
    assert read is not None
    detail = read["ticket"]
    assert detail["channel"] == "phone"
    assert [c["note"] for c in detail["contacts"]] == ["不在。明日かけ直す"]
    assert [(m["author"], m["body"]) for m in detail["messages"]] == [
        ("note", "ゴミ出しが難しくなってきた")
    ]
    assert detail["contact"] == {"method": "phone", "phone": "0465-00-2222", "name": "電話 一郎"}
    assert [h["action"] for h in detail["history"]] == ["open", "claim", "contact", "view"]
    assert detail["history"][0]["detail"]["channel"] == "phone"

    # Another of aoki's, more urgent by its label but not due for long: first today...
    with setup.db.transaction() as session:
        other = make_ticket(
            session, setup.office.teams["marugoto"], urgency="today", due_in=timedelta(days=10)
        )
        casework.claim(session, staff(session, setup.office.staff["aoki"]), other, NOW)
        other_reference = other.reference

    def mine() -> list[tuple[str, bool]]:
        listed = api.get("/api/v1/tickets?view=mine").json
        assert listed is not None
        return [(t["reference"], t["next_action_due"]) for t in listed["tickets"]]

    assert mine() == [(other_reference, False), (reference, False)]
    # ...and tomorrow morning the callback comes first.
    clock = setup.app.extensions["madoguchi"].clock
    clock.advance(timedelta(days=1))
    assert mine() == [(reference, True), (other_reference, False)]


def test_the_contact_log_and_staff_intake_refuse_what_a_caller_must_fix(setup: Setup) -> None:
    reference = setup.ticket()
    theirs = setup.ticket("kourei")
    api = setup.api("aoki")
    yesterday = (NOW - timedelta(days=1)).date().isoformat()
    for body, status, field_name in (
        ({"kind": "fax", "outcome": "reached"}, 422, "kind"),
        ({"kind": "phone", "outcome": "fine"}, 422, "outcome"),
        (
            {"kind": "phone", "outcome": "reached", "next_action_on": yesterday},
            422,
            "next_action_on",
        ),
        ({"kind": "phone", "outcome": "reached", "next_action_on": "2027-13-01"}, 400, None),
        ({"kind": "phone", "outcome": "reached", "next_action_on": 20271201}, 400, None),
        ({"kind": "phone", "outcome": "reached", "note": 3}, 400, None),
        ({"kind": "phone"}, 400, None),
    ):
        answer = api.post(f"/api/v1/tickets/{reference}/contacts", body)
        assert answer.status_code == status, (body, answer.json)
        assert answer.json is not None and answer.json.get("field") == field_name, body
    valid = {"channel": "desk", "worry": "相談", "name": "来所 花子"}
    for change, status, field_name in (
        ({"channel": "line"}, 422, "channel"),
        ({"worry": " "}, 422, "worry"),
        ({"name": ""}, 422, "name"),
        ({"urgency": "now"}, 422, "urgency"),
        ({"about": "cat"}, 422, "about"),
        ({"phone": "電話して"}, 422, "phone"),
        ({"categories": ["nothing"]}, 422, "categories"),
        ({"district": "nowhere"}, 422, "district"),
        ({"resident_of": theirs}, 422, "resident_of"),
        ({"categories": "care"}, 400, None),
        ({"take": "yes"}, 400, None),
        ({"worry": None}, 400, None),
    ):
        answer = api.post("/api/v1/tickets", {**valid, **change})
        assert answer.status_code == status, (change, answer.json)
        assert answer.json is not None and answer.json.get("field") == field_name, change
    assert (
        _count(setup.db, Ticket) == 2
        and _count(setup.db, AuditEntry, AuditEntry.action == "contact") == 0
    )
    # A resident known already: the new ticket is theirs, and needs no name.
    known = api.post(
        "/api/v1/tickets", {"channel": "home_visit", "worry": "訪問", "resident_of": reference}
    )
    assert known.status_code == 201 and known.json is not None
    with setup.db.transaction() as session:
        first, second = (
            session.scalars(select(Ticket).where(Ticket.reference == ref)).one()
            for ref in (reference, known.json["ticket"]["reference"])
        )
        assert first.resident_id == second.resident_id
    closed = api.post(f"/api/v1/tickets/{reference}/close", {"outcome": "solved"})
    assert closed.status_code == 200
    late = api.post(
        f"/api/v1/tickets/{reference}/contacts", {"kind": "phone", "outcome": "reached"}
    )
    assert late.status_code == 422


def test_a_reply_to_a_resident_who_blocked_the_account_is_refused(setup: Setup) -> None:
    with setup.db.transaction() as session:
        reference = make_ticket(
            session,
            setup.office.teams["marugoto"],
            resident=make_resident(session, following=False),
        ).reference
    response = setup.api("aoki").post(f"/api/v1/tickets/{reference}/reply", {"body": "hi"})
    assert response.status_code == 422
    assert _count(setup.db, OutboxMessage) == 0


# --- the document ------------------------------------------------------------------------


def test_the_openapi_document_lists_exactly_the_routes(setup: Setup) -> None:
    served = setup.api(None).get("/api/v1/openapi.json")
    assert served.status_code == 200 and served.json is not None
    assert served.json["openapi"].startswith("3.")
    # A valid OpenAPI 3 document (openapi-core checks it on load).
    OpenAPI.from_dict(served.json)
    documented = {
        (method.upper(), path)
        for path, operations in served.json["paths"].items()
        for method in operations
    }
    routed = {
        (method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in setup.app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert documented == routed


def test_unknown_api_paths_and_methods_answer_json(setup: Setup) -> None:
    api = setup.api("aoki")
    assert api.get("/api/v1/nothing-here", validate=False).status_code == 404
    wrong_method = api.call("DELETE", "/api/v1/tickets", validate=False)
    assert wrong_method.status_code == 405 and wrong_method.is_json


def test_seconds_left_counts_down_to_the_sla(setup: Setup) -> None:
    reference = setup.ticket(due_in=None)
    with setup.db.transaction() as session:
        found = session.scalar(select(Ticket).where(Ticket.reference == reference))
        assert found is not None
        found.sla_due_at = NOW + timedelta(hours=2)
    listed = setup.api("aoki").get("/api/v1/tickets").json
    assert listed is not None
    left = listed["tickets"][0]["seconds_left"]
    assert 2 * 3600 - 60 < left <= 2 * 3600
    assert casework.VIEWS == ("new", "mine", "waiting", "open")
