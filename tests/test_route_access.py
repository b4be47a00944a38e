"""Every console and /api/v1 route answers only whom it should (issue #17).

`ROUTES` says, for each endpoint of the app's URL map under /console and /api/v1, who may use
it; the first test checks that the table covers the map exactly, so a new route fails here
until someone classifies it. Then, for every route of each kind:

- anonymous is refused: the console redirects to sign-in (401 for its scripts), the API 401;
- staff of another team get 404 for a team's record (a ticket and its attachments, a team's
  queue, a resident's watch-over enrolment or round, a team's canned response), as for a
  record that does not exist, and the watch-over pages are closed (403) to them;
- staff get 403 on admin-only (and supervisor-only) pages and actions;
- and the rightful person gets through, so no refusal above is an accident of a bad id.

Ids in paths take the `id` converter: a number a database column cannot hold, or digits of
another script, is a 404 like any missing record, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from casework_data import NOW, Office, make_office, make_resident, make_staff, make_ticket
from console_client import Browser, console_app, give_password
from flask import Flask
from sqlalchemy import func, select
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from console.params import DB_INT_MAX, IdConverter
from locales import town_date
from storage import attachments, care_net, routing, staff_accounts, supporters, tickets
from storage.db import Database
from storage.models import (
    AuditEntry,
    CannedResponse,
    CheckinRound,
    RoutingRule,
    Salon,
    Staff,
    Supporter,
    WatchEnrolment,
)
from storage.sample_town import load_salons
from storage.watch import enrolments
from storage.watch.schedules import Schedule

# Who may use a route.
PUBLIC = "public"  # anyone, signed in or not
STAFF = "staff"  # any signed-in staff member; nothing of a team's in the request
TEAM = "team"  # a team's record: its staff (and admins); another team's staff get 404
SUPERVISOR = "supervisor"  # supervisors and admins (staff 403), their own teams' (others 404)
WATCH_PAGE = "watch page"  # the watch-over team and admins; anyone else 403
WATCH_RECORD = "watch record"  # a resident's enrolment or round: as WATCH_PAGE, but 404
SUPPORTERS_PAGE = "supporters page"  # 生活応援隊's coordinating team and admins; anyone else 403
SUPPORTER_RECORD = "supporter record"  # one supporter: as SUPPORTERS_PAGE, but 404
ADMIN = "admin"  # admins only; staff and supervisors 403

ROUTES: dict[str, str] = {
    "console.sign_in": PUBLIC,
    "console.set_language": PUBLIC,
    "console.static": PUBLIC,
    "console.sign_out": STAFF,
    "console.sign_in_code": STAFF,
    "console.account": STAFF,
    "console.account_password": STAFF,
    "console.two_factor_enrol": STAFF,
    "console.two_factor_codes": STAFF,
    "console.two_factor_off": STAFF,
    "console.two_factor_policy": ADMIN,
    "console.two_factor_reset": ADMIN,
    "console.home": STAFF,
    "console.queue": TEAM,
    "console.queue_live": TEAM,
    "console.queue_next": TEAM,
    "console.ticket_page": TEAM,
    "console.ticket_attachment": TEAM,
    "console.ticket_claim": TEAM,
    "console.ticket_assign": TEAM,
    "console.ticket_reply": TEAM,
    "console.ticket_note": TEAM,
    "console.ticket_status": TEAM,
    "console.ticket_urgency": TEAM,
    "console.ticket_transfer": TEAM,
    "console.ticket_refer": TEAM,
    "console.ticket_close": TEAM,
    # Every channel is a ticket (issue #16): any staff member opens one; it is routed by the rules.
    "console.ticket_new": STAFF,
    "console.ticket_contact": TEAM,
    "console.ticket_record": TEAM,
    # The resident record (issue #16): open to whoever sees one of the resident's tickets.
    "console.resident_record": TEAM,
    "console.resident_details": TEAM,
    "console.resident_adopt": TEAM,
    "console.resident_contacts": TEAM,
    "console.resident_contacts_remove": TEAM,
    "console.watch_list": WATCH_PAGE,
    "console.watch_enrol": WATCH_PAGE,
    "console.watch_detail": WATCH_RECORD,
    "console.care_net_page": WATCH_RECORD,
    "console.care_net_link": WATCH_RECORD,
    "console.care_net_unlink": WATCH_RECORD,
    "console.watch_schedule": WATCH_RECORD,
    "console.watch_pause": WATCH_RECORD,
    "console.watch_resume": WATCH_RECORD,
    "console.watch_outcome": WATCH_RECORD,
    "console.supporter_list": SUPPORTERS_PAGE,
    "console.supporter_page": SUPPORTER_RECORD,
    "console.supporter_approve": SUPPORTER_RECORD,
    "console.supporter_pause": SUPPORTER_RECORD,
    "console.supporter_resume": SUPPORTER_RECORD,
    # The requests board: the same people; anyone else 404, the board itself too.
    "console.request_board": SUPPORTER_RECORD,
    "console.request_new": SUPPORTER_RECORD,
    "console.request_page": SUPPORTER_RECORD,
    "console.request_offer": SUPPORTER_RECORD,
    "console.request_edit": SUPPORTER_RECORD,
    "console.report": SUPERVISOR,
    "console.report_csv": SUPERVISOR,
    "console.canned_list": SUPERVISOR,
    "console.canned_new": SUPERVISOR,
    "console.canned_update": SUPERVISOR,
    "console.canned_delete": SUPERVISOR,
    "console.staff_list": ADMIN,
    "console.staff_new": ADMIN,
    "console.staff_edit": ADMIN,
    "console.team_list": ADMIN,
    "console.team_new": ADMIN,
    "console.team_edit": ADMIN,
    "console.routing_list": ADMIN,
    "console.routing_edit": ADMIN,
    "console.routing_delete": ADMIN,
    "console.salon_list": ADMIN,
    "console.salon_edit": ADMIN,
    "console.salon_status": ADMIN,
    "console.audit_log": ADMIN,
    "console.erase_form": ADMIN,
    "console.erase": ADMIN,
    "api.openapi_document": PUBLIC,
    "api.list_teams": STAFF,
    "api.list_tickets": TEAM,
    "api.open_ticket": STAFF,
    "api.read_ticket": TEAM,
    "api.log_contact": TEAM,
    "api.claim_ticket": TEAM,
    "api.assign_ticket": TEAM,
    "api.claim_next_ticket": TEAM,
    "api.reply_to_resident": TEAM,
    "api.add_note": TEAM,
    "api.change_status": TEAM,
    "api.transfer_ticket": TEAM,
    "api.refer_ticket": TEAM,
    "api.close_ticket": TEAM,
    "api.list_help_requests": SUPPORTER_RECORD,
    "api.enter_help_request": SUPPORTER_RECORD,
    # Read (GET) and corrected (PATCH): one rule, so a bad id is a 404 for either.
    "api.help_request": SUPPORTER_RECORD,
    "api.offer_help_request": SUPPORTER_RECORD,
    "api.list_supporters": SUPPORTER_RECORD,
    "api.read_supporter": SUPPORTER_RECORD,
    "api.approve_supporter": SUPPORTER_RECORD,
    "api.pause_supporter": SUPPORTER_RECORD,
    "api.resume_supporter": SUPPORTER_RECORD,
    # ケアネット, as on the console's neighbours page: the watch-over team's.
    "api.neighbours": WATCH_RECORD,
    "api.unlink_neighbour_link": WATCH_RECORD,
}

# What a request carries beyond its path (query for GET, form or JSON for POST): enough to
# pass each route's own input checks, so that a refusal is about who asks, not what they sent.
# "{name}" in a value is filled in with the record's value, as in paths.
MARUGOTO = {"team": "marugoto"}
CANNED = {"team": "marugoto", "language": "ja", "title": "t", "body": "b"}
SCHEDULE = {"frequency": "daily", "time": "9:00", "wait": "standard"}
PAUSE_UNTIL = (town_date(NOW) + timedelta(days=3)).isoformat()
SENT: dict[str, dict[str, Any]] = {
    "console.queue": MARUGOTO,
    "console.queue_live": MARUGOTO,
    "console.queue_next": MARUGOTO,
    # To its own team's aoki, who may ask for it (the API wants the id as a number: a 400
    # for the rightful caller, after the ticket is found; strangers get the 404 first).
    "console.ticket_assign": {"assignee": "{staff_id}", "reason": "x"},
    "console.ticket_reply": {"body": "x"},
    "console.ticket_note": {"body": "x"},
    "console.ticket_status": {"status": "waiting"},
    "console.ticket_urgency": {"urgency": "today"},
    # To its own team: the ticket stays where it is (and says so), so later checks still see it.
    "console.ticket_transfer": {"team": "marugoto", "reason": "x"},
    "console.ticket_refer": {"agency": "x", "handed_over": "x"},
    "console.ticket_close": {"outcome": "solved"},
    "console.ticket_new": {"channel": "phone", "name": "x", "worry": "x", "urgency": "anytime"},
    "console.ticket_contact": {"method": "phone", "outcome": "reached"},
    "console.resident_details": {"case_number": "x", "shown_case_number": ""},
    "console.resident_adopt": {"field": "phone"},
    "console.resident_contacts": {"name": "x"},
    "console.resident_contacts_remove": {"contact": "1"},
    "console.watch_enrol": {"q": "山田"},
    "console.watch_schedule": SCHEDULE,
    "console.watch_pause": {"until": PAUSE_UNTIL},
    "console.watch_outcome": {"how": "visit"},
    "console.report": MARUGOTO,
    "console.report_csv": MARUGOTO,
    "console.canned_list": MARUGOTO,
    "console.canned_new": CANNED,
    "console.canned_update": CANNED,
    # Not confirmed: the rightful admin is shown whom it would erase, and nothing is erased.
    "console.erase_form": {"who": "{reference}"},
    "console.erase": {"who": "{reference}"},
    "api.list_tickets": MARUGOTO,
    "api.claim_next_ticket": MARUGOTO,
    "api.assign_ticket": {"assignee": "{staff_id}", "reason": "x"},
    "api.reply_to_resident": {"body": "x"},
    "api.add_note": {"body": "x"},
    "api.change_status": {"status": "waiting"},
    "api.transfer_ticket": {"team": "marugoto", "reason": "x"},
    "api.refer_ticket": {"agency": "x", "handed_over": "x"},
    "api.close_ticket": {"outcome": "solved", "note": ""},
    "api.open_ticket": {"channel": "phone", "name": "x", "worry": "x"},
    "api.log_contact": {"kind": "phone", "outcome": "reached"},
    # The request is open: the rightful coordinator corrects its note (GET ignores it).
    "api.help_request": {"note": "x"},
    # Linking without consent (GET ignores it): the rightful caller is told so (422).
    "api.neighbours": {"supporter": 1, "consent": False},
}

# Who is who. Records (the ticket, its attachment, the canned response) are 福祉まるごと相談's.
INSIDER = {
    STAFF: "aoki",
    TEAM: "aoki",
    SUPERVISOR: "suzuki",
    WATCH_PAGE: "mimura",
    WATCH_RECORD: "mimura",
    SUPPORTERS_PAGE: "tanaka",
    SUPPORTER_RECORD: "tanaka",
    ADMIN: "boss",
}
# Who is refused, and with what.
REFUSED: dict[str, list[tuple[str, int]]] = {
    PUBLIC: [],
    STAFF: [],
    TEAM: [("kato", 404)],
    SUPERVISOR: [("aoki", 403), ("sato", 404)],
    WATCH_PAGE: [("kato", 403), ("aoki", 403), ("suzuki", 403)],
    WATCH_RECORD: [("kato", 404), ("aoki", 404), ("suzuki", 404)],
    SUPPORTERS_PAGE: [("kato", 403), ("aoki", 403), ("mimura", 403)],
    SUPPORTER_RECORD: [("kato", 404), ("aoki", 404), ("mimura", 404)],
    ADMIN: [("aoki", 403), ("suzuki", 403), ("mimura", 403)],
}


@dataclass
class Town:
    app: Flask
    db: Database
    office: Office
    people: dict[str, int]
    values: dict[str, Any]
    tokens: dict[str, str]


@pytest.fixture
def town(db: Database) -> Town:
    office = make_office(db)
    with db.transaction() as session:
        people = {
            # 子育て支援: the issue's staff member who could list, enrol and pause.
            "kato": make_staff(session, "kato", ["kosodate"]),
            "mimura": make_staff(session, "mimura", [routing.WATCH_TEAM]),
            "tanaka": make_staff(session, "tanaka", [supporters.COORDINATING_TEAM]),
            "suzuki": make_staff(session, "suzuki", ["marugoto"], role="supervisor"),
            "sato": make_staff(session, "sato", ["kosodate"], role="supervisor"),
        }
        ids = {name: person.id for name, person in people.items()}
        values = _records(session, office)
        tokens = {
            name: staff_accounts.issue_token(session, session.get(Staff, staff_id), NOW)
            for name, staff_id in {**office.staff, **ids}.items()
        }
    return Town(
        app=console_app(db, NOW),
        db=db,
        office=office,
        people={**office.staff, **ids},
        values=values,
        tokens=tokens,
    )


def _records(session: Any, office: Office) -> dict[str, Any]:
    """A real record for every argument a route takes."""
    ticket = make_ticket(session, office.teams["marugoto"])
    message = tickets.add_message(
        session,
        ticket,
        author="resident",
        now=NOW,
        attachments=[{"type": "image", "message_id": "photo-1"}],
    )
    session.flush()
    [photo] = attachments.of_messages(session, [message.id])[message.id]
    attachments.store(session, photo.id, b"\x89PNG", "image/png", NOW)
    enrolment = enrolments.enrol(session, make_resident(session, "山田 花子"), Schedule(), NOW)
    checkin = CheckinRound(enrolment_id=enrolment.id, due_at=NOW, state="sent", created_at=NOW)
    canned = CannedResponse(team_id=office.teams["marugoto"], language="ja", title="t", body="b")
    session.add_all([checkin, canned])
    load_salons(session, NOW)
    # An applicant: the rightful coordinator approves, pauses and resumes them, in that order.
    supporter = supporters.register(
        session,
        make_resident(session, "応援 一"),
        supporters.Registration(
            kinds=["rubbish"],
            district_id=None,
            weekdays=[5],
            time_bands=["morning"],
            first_name="一",
            phone="090-0000-0001",
        ),
        NOW,
    )
    help_request = supporters.new_request(session, ticket.resident, "rubbish", NOW, NOW)
    # A neighbour linked to the enrolled resident: the rightful caller unlinks them.
    neighbour = supporters.register(
        session,
        make_resident(session, "近所 二"),
        supporters.Registration(
            kinds=["company"],
            district_id=None,
            weekdays=[1],
            time_bands=["afternoon"],
            first_name="二",
            phone="090-0000-0002",
        ),
        NOW,
    )
    boss = session.get(Staff, office.staff["boss"])
    supporters.approve(session, neighbour, boss, NOW)
    link = care_net.link(session, enrolment.id, neighbour, boss, NOW, consent=True)
    session.flush()
    return {
        "reference": ticket.reference,
        "resident_id": ticket.resident_id,
        "attachment_id": photo.id,
        "enrolment_id": enrolment.id,
        "round_id": checkin.id,
        "canned_id": canned.id,
        "staff_id": office.staff["aoki"],
        "team_id": office.teams["marugoto"],
        "rule_id": session.scalars(select(RoutingRule.id).limit(1)).one(),
        "salon_id": session.scalars(select(Salon.id).limit(1)).one(),
        "filename": "console.css",
        "supporter_id": supporter.id,
        "request_id": help_request.id,
        "link_id": link.id,
    }


# ---- The table and the map ---------------------------------------------------------------------


def guarded_rules(app: Flask) -> list[Rule]:
    return [
        rule for rule in app.url_map.iter_rules() if rule.rule.startswith(("/console", "/api/v1"))
    ]


def test_the_table_classifies_every_console_and_api_route_and_nothing_else(town: Town) -> None:
    endpoints = {rule.endpoint for rule in guarded_rules(town.app)}
    unknown = sorted(endpoints - set(ROUTES))
    assert not unknown, f"classify these routes in ROUTES (and SENT if they need input): {unknown}"
    gone = sorted(set(ROUTES) - endpoints)
    assert not gone, f"these routes are gone; take them out of ROUTES: {gone}"
    assert set(SENT) <= set(ROUTES)
    arguments = {name for rule in guarded_rules(town.app) for name in rule.arguments}
    assert arguments <= set(town.values), f"give a real record for {arguments - set(town.values)}"


def test_every_id_in_a_console_path_is_read_by_the_id_converter(town: Town) -> None:
    for rule in guarded_rules(town.app):
        for name, converter in rule._converters.items():
            if name.endswith("_id"):
                assert isinstance(converter, IdConverter), (rule.rule, name)


# ---- Requests ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    endpoint: str
    method: str
    path: str
    data: dict[str, Any]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")


def calls(town: Town, values: dict[str, Any] | None = None) -> Iterator[Call]:
    """Every (route, method) of the table, its path filled in with real records; a route the
    table does not know is left to the first test, which names it."""
    filled = values or town.values
    for rule in sorted(guarded_rules(town.app), key=lambda rule: rule.rule):
        if rule.endpoint not in ROUTES:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:\w+(?:\([^)]*\))?:)?{name}>", str(filled[name]), path)
        data = {
            key: value.format(**filled) if isinstance(value, str) else value
            for key, value in SENT.get(rule.endpoint, {}).items()
        }
        for method in sorted((rule.methods or set()) & {"GET", "POST", "PATCH", "DELETE"}):
            yield Call(rule.endpoint, method, path, data)


class People:
    """A signed-in browser and an API token for each person, made once."""

    def __init__(self, town: Town) -> None:
        self.town = town
        self._browsers: dict[str, Browser] = {}

    def browser(self, who: str) -> Browser:
        if who not in self._browsers:
            browser = Browser.of(self.town.app)
            email = give_password(self.town.db, self.town.people[who])
            assert browser.sign_in(email).status_code == 302, who
            self._browsers[who] = browser
        return self._browsers[who]

    def ask(self, who: str, call: Call) -> TestResponse:
        if call.is_api:
            headers = {"Authorization": f"Bearer {self.town.tokens[who]}"}
            return send_api(self.town.app, call, headers)
        browser = self.browser(who)
        if call.method == "GET":
            return browser.get(call.path, query_string=call.data)
        return browser.post(call.path, call.data)


def send_api(app: Flask, call: Call, headers: dict[str, str] | None = None) -> TestResponse:
    client = app.test_client()
    if call.method == "GET":
        return client.get(call.path, query_string=call.data, headers=headers or {}, buffered=True)
    if call.method == "DELETE":
        return client.delete(call.path, headers=headers or {}, buffered=True)
    if call.method == "PATCH":
        return client.patch(call.path, json=call.data, headers=headers or {}, buffered=True)
    return client.post(call.path, json=call.data, headers=headers or {}, buffered=True)


def send_form(app: Flask, call: Call, headers: dict[str, str] | None = None) -> TestResponse:
    client = app.test_client()
    if call.method == "GET":
        return client.get(call.path, query_string=call.data, headers=headers or {}, buffered=True)
    return client.post(call.path, data=call.data, headers=headers or {}, buffered=True)


def audit_count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


# ---- Anonymous ---------------------------------------------------------------------------------


def test_anonymous_is_refused_by_every_route_but_the_public_ones(town: Town) -> None:
    before = audit_count(town.db)
    for call in calls(town):
        kind = ROUTES[call.endpoint]
        if call.is_api:
            answer = send_api(town.app, call)
            if kind == PUBLIC:
                assert answer.status_code == 200, call
            else:
                assert answer.status_code == 401, (call, answer.status_code)
                assert answer.get_json()["error"] == 401, call
            continue
        page = send_form(town.app, call)
        script = send_form(town.app, call, {"X-Requested-With": "fetch"})
        if kind == PUBLIC:
            assert page.status_code != 401 and script.status_code != 401, call
            assert "/console/sign-in?" not in page.headers.get("Location", ""), call
            continue
        assert page.status_code == 302, (call, page.status_code)
        assert page.headers["Location"].startswith("/console/sign-in"), call
        assert script.status_code == 401, (call, script.status_code)
    assert audit_count(town.db) == before, "nothing was seen or done on anyone's behalf"


# ---- Signed in: refused where they should be, let in where they should be ------------------------


def test_each_route_refuses_other_teams_and_roles_and_lets_the_rightful_person_in(
    town: Town,
) -> None:
    people = People(town)
    everyone = {who for refusals in REFUSED.values() for who, _status in refusals}
    for who in sorted(everyone | set(INSIDER.values())):
        people.browser(who)  # signed in (and audited) before counting
    before = audit_count(town.db)
    checked: set[str] = set()
    for call in calls(town):
        kind = ROUTES[call.endpoint]
        for who, status in REFUSED[kind]:
            answer = people.ask(who, call)
            assert answer.status_code == status, (who, call, answer.status_code)
            checked.add(call.endpoint)
    assert audit_count(town.db) == before, "no refused request was seen or changed anything"
    with town.db.transaction() as session:
        found = session.scalar(
            select(func.count()).select_from(CheckinRound).where(CheckinRound.state != "sent")
        )
        assert found == 0, "no round outcome was recorded"
        enrolment = session.get(WatchEnrolment, town.values["enrolment_id"])
        assert enrolment is not None and enrolment.status == "active", "not paused"
        supporter = session.get(Supporter, town.values["supporter_id"])
        assert supporter is not None and supporter.status == "applied", "not approved"
    assert checked == {endpoint for endpoint, kind in ROUTES.items() if REFUSED[kind]}
    # Another team's staff do not even learn the team's name from the API's list.
    listed = people.ask("kato", Call("api.list_teams", "GET", "/api/v1/teams", {}))
    assert [team["slug"] for team in listed.get_json()["teams"]] == ["kosodate"]

    # The rightful person: never refused. Deleting and signing out go last.
    def last(call: Call) -> tuple[bool, bool]:
        return call.endpoint == "console.sign_out", call.endpoint.endswith("_delete")

    for call in sorted(calls(town), key=last):
        kind = ROUTES[call.endpoint]
        if kind == PUBLIC:
            continue
        answer = people.ask(INSIDER[kind], call)
        if call.method == "GET":
            assert answer.status_code in (200, 302), (call, answer.status_code)
            if answer.status_code == 302:
                assert "/sign-in" not in answer.headers["Location"], call
        else:
            # Input a route refuses (400, 422) is fine here: the person was let in to be told.
            assert answer.status_code not in (401, 403, 404), (call, answer.status_code)
            assert answer.status_code < 500, (call, answer.status_code)


def test_admins_are_let_in_everywhere(town: Town) -> None:
    people = People(town)
    for call in calls(town):
        if call.method != "GET" or ROUTES[call.endpoint] == PUBLIC:
            continue
        answer = people.ask("boss", call)
        assert answer.status_code in (200, 302), (call, answer.status_code)


# ---- Ids a database cannot hold ------------------------------------------------------------------

BAD_IDS = [str(DB_INT_MAX + 1), "9" * 30, "²", "٣", "0", "-1", "1.5"]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_an_id_out_of_range_or_not_ascii_digits_is_a_404_never_a_500(town: Town, bad: str) -> None:
    people = People(town)
    values = {name: bad if name.endswith("_id") else value for name, value in town.values.items()}
    with_ids = {
        rule.endpoint
        for rule in guarded_rules(town.app)
        if any(name.endswith("_id") for name in rule.arguments)
    }
    asked = 0
    for call in calls(town, values):
        if call.endpoint in with_ids:
            answer = people.ask("boss", call)
            assert answer.status_code == 404, (call, answer.status_code)
            asked += 1
    assert asked >= 15
