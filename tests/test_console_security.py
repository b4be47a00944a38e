"""The console's locks: sign-in required everywhere, other teams' tickets invisible, CSRF on every
form, resident text shown as text, sign-in throttling, sign-out that really ends the session.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from casework_data import (
    NOW,
    Office,
    make_office,
    make_resident,
    make_staff,
    make_ticket,
    ticket,
)
from console_client import PASSWORD, Browser, StoppedClock, console_app, give_password
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from locales import town_date
from storage import csv_cells, routing, salon_csv, staff_accounts, tickets
from storage.db import Database
from storage.models import (
    AuditEntry,
    CannedResponse,
    CheckinRound,
    RoutingRule,
    Salon,
    Staff,
    Team,
    WatchEnrolment,
)
from storage.sample_town import load_salons, load_town
from storage.watch import enrolments
from storage.watch.schedules import Schedule

COOKIE = "madoguchi_console"
PUBLIC = {"console.sign_in", "console.set_language", "console.static"}


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


@pytest.fixture
def app(db: Database, office: Office) -> Flask:
    return console_app(db, NOW)


def signed_in(
    app: Flask, db: Database, office: Office, who: str, ip: str = "192.0.2.10"
) -> Browser:
    browser = Browser.of(app, ip=ip)
    assert browser.sign_in(give_password(db, office.staff[who])).status_code == 302
    return browser


def open_ticket(db: Database, office: Office, team: str = "marugoto") -> str:
    with db.transaction() as session:
        return make_ticket(session, office.teams[team]).reference


def console_routes(app: Flask, values: dict[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(method, path, endpoint) of every console route but the public ones, filled in.

    Pages added later (salons, watch-over) are checked too; an argument this file does not
    know is filled with 1, which may name nothing (see `unknown_arguments`).
    """
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/console") or rule.endpoint in PUBLIC:
            continue
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:\w+:)?{name}>", str(values.get(name, 1)), path)
        for method in sorted((rule.methods or set()) & {"GET", "POST"}):
            yield method, path, rule.endpoint


@pytest.fixture
def ids(db: Database, office: Office) -> dict[str, Any]:
    """Real ids for every route argument, so a refusal is never a 404 by accident."""
    reference = open_ticket(db, office)
    with db.transaction() as session:
        canned = CannedResponse(
            team_id=office.teams["marugoto"], language="ja", title="t", body="b"
        )
        session.add(canned)
        session.flush()
        return {
            "reference": reference,
            "staff_id": office.staff["aoki"],
            "team_id": office.teams["marugoto"],
            "rule_id": session.scalar(select(RoutingRule.id).limit(1)),
            "canned_id": canned.id,
            "salon_id": _a_salon(session),
        }


def _a_salon(session: Session) -> int:
    load_salons(session, NOW)
    return session.scalars(select(Salon.id).limit(1)).one()


def unknown_arguments(app: Flask, endpoint: str, values: dict[str, Any]) -> bool:
    return any(
        name not in values for rule in app.url_map.iter_rules(endpoint) for name in rule.arguments
    )


def audit_count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


# ---- Anonymous requests ------------------------------------------------------------------------


def test_every_console_route_refuses_an_anonymous_request(
    app: Flask, db: Database, ids: dict[str, Any]
) -> None:
    routes = list(console_routes(app, ids))
    assert len(routes) >= 30, "the enumeration found the console's routes"
    before = audit_count(db)
    for method, path, endpoint in routes:
        page = app.test_client().open(path, method=method, data={})
        assert page.status_code == 302, (method, path, page.status_code)
        assert page.headers["Location"].startswith("/console/sign-in"), (method, path)

        script = app.test_client().open(
            path, method=method, data={}, headers={"X-Requested-With": "fetch"}
        )
        assert script.status_code == 401, (method, path, script.status_code)
        assert script.get_json()["error"] == 401, endpoint
    assert audit_count(db) == before, "nothing happened on anyone's behalf"
    with db.transaction() as session:
        assert ticket(session, ids["reference"]).assignee_id is None


# ---- Another team's ticket ---------------------------------------------------------------------


def test_another_teams_ticket_is_404_through_every_page_route_like_a_missing_one(
    app: Flask, db: Database, office: Office, ids: dict[str, Any]
) -> None:
    theirs = ids["reference"]  # 福祉まるごと相談; chiba is in 高齢・介護
    chiba = signed_in(app, db, office, "chiba")
    routes = [
        (method, path, endpoint)
        for method, path, endpoint in console_routes(app, ids)
        # Every route about one ticket (not /tickets/new, which opens one).
        if endpoint.startswith("console.ticket") and theirs in path
    ]
    assert {endpoint for _m, _p, endpoint in routes} >= {
        "console.ticket_page",
        "console.ticket_claim",
        "console.ticket_reply",
        "console.ticket_note",
        "console.ticket_status",
        "console.ticket_urgency",
        "console.ticket_transfer",
        "console.ticket_refer",
        "console.ticket_close",
    }
    forms = {
        "console.ticket_reply": {"body": "x"},
        "console.ticket_note": {"body": "x"},
        "console.ticket_status": {"status": "waiting"},
        "console.ticket_urgency": {"urgency": "today"},
        "console.ticket_transfer": {"team": "kourei", "reason": "x"},
        "console.ticket_refer": {"agency": "x", "handed_over": "x"},
        "console.ticket_close": {"outcome": "solved"},
        "console.ticket_assign": {"assignee": str(office.staff["aoki"]), "reason": "x"},
        "console.ticket_contact": {"method": "phone", "outcome": "reached"},
    }
    before = audit_count(db)
    for method, path, endpoint in routes:
        missing_path = path.replace(theirs, "C-2026-999999")
        if method == "GET":
            answer, missing = chiba.get(path), chiba.get(missing_path)
        else:
            answer = chiba.post(path, forms.get(endpoint, {}))
            missing = chiba.post(missing_path, forms.get(endpoint, {}))
        assert answer.status_code == 404, (method, path, answer.status_code)
        # The same page, word for word, once the address it echoes (in the language switch)
        # and the CSRF token (signed with the second it was made) are set aside.
        same = _as_compared(answer.text, theirs) == _as_compared(missing.text, "C-2026-999999")
        assert same, f"{method} {path} differs from a missing ticket"
    assert audit_count(db) == before, "no view or change was recorded"
    with db.transaction() as session:
        found = ticket(session, theirs)
        assert found.assignee_id is None and found.status == "new" and not found.messages
    # Their queue is not a tab, and asking for it is the same 404.
    assert chiba.get("/console/queue?team=marugoto").status_code == 404
    assert theirs not in chiba.get("/console/queue?view=open&q=C-2026").text


def _as_compared(page: str, reference: str) -> str:
    page = page.replace(reference, "REF")
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


# ---- CSRF --------------------------------------------------------------------------------------


def test_a_form_post_without_the_csrf_token_is_refused(
    app: Flask, db: Database, office: Office, ids: dict[str, Any]
) -> None:
    admin = signed_in(app, db, office, "boss")
    posts = [
        (path, endpoint) for method, path, endpoint in console_routes(app, ids) if method == "POST"
    ]
    assert len(posts) >= 15
    before = audit_count(db)
    for path, endpoint in posts:
        for token in (None, "forged-token"):
            data = {"body": "x", "team": "marugoto"}
            if token:
                data["csrf_token"] = token
            refused = admin.post(path, data, csrf=False)
            assert refused.status_code == 400, (path, endpoint, token, refused.status_code)
            assert "このフォームは有効期限が切れました" in refused.text
    assert audit_count(db) == before
    with db.transaction() as session:
        assert ticket(session, ids["reference"]).assignee_id is None

    # Sign-in too: a page of another site cannot sign a browser in to someone's account.
    stranger = Browser.of(app)
    email = give_password(db, office.staff["aoki"])
    refused = stranger.post("/console/sign-in", {"email": email, "password": PASSWORD}, csrf=False)
    assert refused.status_code == 400


# ---- Resident text is text ---------------------------------------------------------------------

HOSTILE_NAME = '<script>alert("name")</script><b>太字</b>'
HOSTILE_BODY = "<img src=x onerror=alert(1)>お願いします</textarea><script>alert(2)</script>"


def test_resident_text_with_script_and_html_is_shown_as_text(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        resident = make_resident(session, HOSTILE_NAME)
        found = make_ticket(
            session, office.teams["marugoto"], resident=resident, urgency="emergency"
        )
        found.intake = {"note": HOSTILE_BODY}
        found.contact = {"method": "phone", "phone": "<i>0465</i>", "when": HOSTILE_BODY}
        tickets.add_message(session, found, author="resident", now=NOW, body=HOSTILE_BODY)
        reference = found.reference
    browser = signed_in(app, db, office, "aoki")
    live = re.search(r'data-live-src="([^"]+)"', browser.get("/console/queue").text)
    assert live is not None
    pages = {
        "queue": browser.get("/console/queue").text,
        "live": browser.get(live.group(1).replace("&amp;", "&")).text,
        "ticket": browser.get(f"/console/tickets/{reference}").text,
    }
    for name, html in pages.items():
        assert "<script>alert" not in html, name
        assert "<b>太字</b>" not in html, name
        assert (
            "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;&lt;b&gt;太字&lt;/b&gt;" in html
        ), name
    ticket_page = pages["ticket"]
    assert "<img src=x" not in ticket_page and "&lt;img src=x onerror=alert(1)&gt;" in ticket_page
    assert "<i>0465</i>" not in ticket_page and "&lt;i&gt;0465&lt;/i&gt;" in ticket_page
    assert ticket_page.count("</textarea>") == ticket_page.count("<textarea"), "no early close"
    # The draft of a refused reply comes back escaped inside the textarea too.
    with db.transaction() as session:
        ticket(session, reference).resident.following = False
    refused = browser.post(f"/console/tickets/{reference}/reply", {"body": HOSTILE_BODY})
    assert refused.status_code == 422
    assert "<script>alert(2)" not in refused.text
    assert refused.text.count("</textarea>") == refused.text.count("<textarea")


# ---- Sign-in throttling ------------------------------------------------------------------------


# Failures per email and address, with growing delays, are tests/test_signin.py's: a lock per
# email let anyone keep a colleague out. An address spraying many emails still waits:


def test_many_failures_from_one_address_lock_that_address(
    app: Flask, db: Database, office: Office
) -> None:
    email = give_password(db, office.staff["aoki"])
    sprayer = Browser.of(app, ip="203.0.113.9")
    sprayer.get("/console/sign-in")
    for number in range(20):
        sprayer.post("/console/sign-in", {"email": f"nobody{number}@example.org", "password": "x"})
    assert sprayer.sign_in(email).status_code == 429, "a real account from that address waits"
    assert Browser.of(app, ip="192.0.2.80").sign_in(email).status_code == 302


# ---- Sessions ----------------------------------------------------------------------------------


def test_sign_out_ends_the_session_even_for_a_copied_cookie(
    app: Flask, db: Database, office: Office
) -> None:
    browser = signed_in(app, db, office, "aoki")
    cookie = browser.client.get_cookie(COOKIE)
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie(COOKIE, cookie.value)
    assert copy.get("/console/queue").status_code == 200

    assert browser.client.get("/console/sign-out").status_code == 405, "only a form signs out"
    out = browser.post("/console/sign-out")
    assert out.headers["Location"] == "/console/sign-in"
    assert "ログアウトしました" in browser.follow(out).text
    assert browser.get("/console/queue").status_code == 302
    replayed = copy.get("/console/queue")
    assert replayed.status_code == 302 and "/console/sign-in" in replayed.headers["Location"]
    with db.transaction() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.staff_id == office.staff["aoki"])
            )
        )
    assert actions[-2:] == ["login", "logout"]


def test_moving_the_demo_clock_forward_does_not_sign_staff_out(
    db: Database, office: Office
) -> None:
    real = StoppedClock(NOW)
    app = console_app(db, NOW, session_clock=real)
    browser = signed_in(app, db, office, "aoki")
    # A demo moves the bot's clock a day ahead to show a check-in's reminder and alarm.
    app.extensions["madoguchi"].clock.advance(timedelta(days=1))
    assert browser.get("/console/queue").status_code == 200
    real.advance(timedelta(hours=8, minutes=1))
    assert browser.get("/console/queue").status_code == 302, "eight real hours idle still end it"


def test_an_idle_session_ends_and_a_deactivated_account_is_out_at_once(
    app: Flask, db: Database, office: Office
) -> None:
    browser = signed_in(app, db, office, "aoki")
    app.extensions["madoguchi"].clock.advance(timedelta(minutes=29))
    assert browser.get("/console/queue").status_code == 200
    app.extensions["madoguchi"].clock.advance(timedelta(minutes=30, seconds=1))
    assert browser.get("/console/queue").status_code == 302, "idle for thirty minutes"

    other = signed_in(app, db, office, "baba")
    with db.transaction() as session:
        session.get(Staff, office.staff["baba"]).active = False
    assert other.get("/console/queue").status_code == 302
    assert other.sign_in(give_password(db, office.staff["baba"])).status_code == 401


def test_the_session_cookie_is_http_only_same_site_and_secure_outside_the_simulator(
    db: Database, office: Office
) -> None:
    email = give_password(db, office.staff["aoki"])
    for simulator, secure in ((False, True), (True, False)):
        browser = Browser.of(console_app(db, NOW, simulator=simulator))
        browser.get("/console/sign-in")
        answer = browser.post("/console/sign-in", {"email": email, "password": PASSWORD})
        header = next(v for v in answer.headers.getlist("Set-Cookie") if v.startswith(COOKIE))
        flags = {part.strip().split("=")[0].lower() for part in header.split(";")}
        assert "httponly" in flags and "samesite=lax" in header.lower()
        assert ("secure" in flags) is secure, header


def test_console_pages_are_never_cached_framed_or_scripted_from_elsewhere(
    app: Flask, db: Database, office: Office
) -> None:
    browser = signed_in(app, db, office, "aoki")
    page = browser.get("/console/queue")
    policy = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["X-Content-Type-Options"] == "nosniff"


def test_without_a_secret_key_the_console_refuses_rather_than_signs_with_none(
    db: Database, office: Office
) -> None:
    app = console_app(db, NOW, secret_key="")
    assert app.test_client().get("/console/sign-in").status_code == 503
    assert (
        console_app(db, NOW, secret_key="", simulator=True)
        .test_client()
        .get("/console/sign-in")
        .status_code
        == 200
    ), "the simulator demo makes a key of its own"


# ---- Roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "admin_pages", "reports"),
    [("staff", 403, 403), ("supervisor", 403, 200), ("admin", 200, 200)],
)
def test_roles(
    app: Flask,
    db: Database,
    office: Office,
    ids: dict[str, Any],
    role: str,
    admin_pages: int,
    reports: int,
) -> None:
    with db.transaction() as session:
        session.get(Staff, office.staff["aoki"]).role = role
    browser = signed_in(app, db, office, "aoki")
    for method, path, endpoint in console_routes(app, ids):
        if method != "GET":
            continue
        answer = browser.get(path)
        if "/admin/" in path:
            allowed = {admin_pages}
            if admin_pages == 200 and unknown_arguments(app, endpoint, ids):
                allowed.add(404)  # another page's id this test did not make
            assert answer.status_code in allowed, (role, path, answer.status_code)
        elif endpoint.startswith(("console.report", "console.canned")):
            assert answer.status_code == reports, (role, path)
        elif endpoint.startswith("console.watch") and role != "admin":
            # Watch-over is its team's (aoki is in 福祉まるごと相談): the list is closed, a
            # resident's record is not there (tests/test_route_access.py checks every route).
            closed = endpoint in ("console.watch_list", "console.watch_enrol")
            assert answer.status_code == (403 if closed else 404), (role, path)
        elif endpoint == "console.supporter_list" and role != "admin":
            # 生活応援隊's coordinating team's page (tests/test_supporters_console.py).
            assert answer.status_code == 403, (role, path)
        elif endpoint.startswith("console.request_") and role != "admin":
            # The requests board: the coordinators', not there for anyone else
            # (tests/test_requests_board.py).
            assert answer.status_code == 404, (role, path)
        else:
            allowed = {200, 302}
            if unknown_arguments(app, endpoint, ids):
                allowed.add(404)  # another page's id this test did not make
            assert answer.status_code in allowed, (role, path, answer.status_code)
    if admin_pages == 403:
        refused = browser.post(f"/console/admin/teams/{ids['team_id']}", {"name": "乗っ取り"})
        assert refused.status_code == 403
        with db.transaction() as session:
            assert session.get(Team, ids["team_id"]).name == "福祉まるごと相談"


# ---- Watch-over is its team's (issue #17, finding 1) -------------------------------------------


def test_staff_outside_the_watch_over_team_cannot_list_enrol_pause_or_settle(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        kato = make_staff(session, "kato", ["kosodate"])  # 子育て支援
        mimura = make_staff(session, "mimura", [routing.WATCH_TEAM])
        enrolment = enrolments.enrol(
            session, make_resident(session, "見守り 花子"), Schedule(), NOW
        )
        checkin = CheckinRound(
            enrolment_id=enrolment.id, due_at=NOW, state="escalated", created_at=NOW
        )
        session.add(checkin)
        newcomer = make_resident(session, "新規 太郎")
        session.flush()
        ids = {"kato": kato.id, "mimura": mimura.id}
        enrolment_id, round_id, newcomer_id = enrolment.id, checkin.id, newcomer.id
    kosodate = Browser.of(app)
    assert kosodate.sign_in(give_password(db, ids["kato"])).status_code == 302
    before = audit_count(db)
    until = (town_date(NOW) + timedelta(days=7)).isoformat()
    schedule = {"frequency": "daily", "time": "9:00", "wait": "standard"}

    listed = kosodate.get("/console/watch")
    assert listed.status_code == 403 and "見守り 花子" not in listed.text
    assert "このページはあなたの権限では開けません" in listed.text
    assert kosodate.get("/console/watch/enrol?q=新規").status_code == 403
    enrol = {"resident": str(newcomer_id), "consent": "yes", **schedule}
    assert kosodate.post("/console/watch/enrol", enrol).status_code == 403
    # A resident's record is as absent as one that never existed.
    for path, form in (
        (f"/console/watch/{enrolment_id}/pause", {"until": until}),
        (f"/console/watch/{enrolment_id}/resume", {}),
        (f"/console/watch/{enrolment_id}/schedule", schedule),
        (f"/console/watch/rounds/{round_id}/outcome", {"how": "visit", "note": "訪問済み"}),
    ):
        assert kosodate.post(path, form).status_code == 404, path
    assert kosodate.get(f"/console/watch/{enrolment_id}").status_code == 404
    assert kosodate.get("/console/watch/999999").status_code == 404
    assert 'href="/console/watch"' not in kosodate.get("/console/queue").text, "no menu entry"
    assert audit_count(db) == before
    with db.transaction() as session:
        found = session.get(WatchEnrolment, enrolment_id)
        assert found is not None and found.status == "active"
        assert session.get(CheckinRound, round_id).state == "escalated"
        assert session.scalar(select(func.count()).select_from(WatchEnrolment)) == 1

    # The watch-over team (and admins) do all of it.
    watcher = Browser.of(app)
    assert watcher.sign_in(give_password(db, ids["mimura"])).status_code == 302
    assert 'href="/console/watch"' in watcher.get("/console/queue").text
    assert "見守り 花子" in watcher.get("/console/watch").text
    assert watcher.post(f"/console/watch/{enrolment_id}/pause", {"until": until}).status_code == 302
    admin = signed_in(app, db, office, "boss")
    assert admin.get(f"/console/watch/{enrolment_id}").status_code == 200
    with db.transaction() as session:
        assert session.get(WatchEnrolment, enrolment_id).status == "paused"


# ---- Transferring to its own team (issue #17, finding 6) ---------------------------------------


def test_transferring_a_ticket_to_its_own_team_says_so_instead_of_failing(
    app: Flask, db: Database, office: Office
) -> None:
    reference = open_ticket(db, office)
    aoki = signed_in(app, db, office, "aoki")
    answer = aoki.post(
        f"/console/tickets/{reference}/transfer", {"team": "marugoto", "reason": "念のため"}
    )
    assert answer.status_code == 302
    assert "この相談はすでにこのチームにあります" in aoki.follow(answer).text
    with db.transaction() as session:
        assert ticket(session, reference).team_id == office.teams["marugoto"]


# ---- Ids and dates from links and forms (issue #17, finding 6) ---------------------------------

BAD_QUERIES = [
    "/console/queue?district=²",
    "/console/queue?district=٣",
    "/console/queue?district=99999999999999999999",
    "/console/queue/live?district=2147483648",
    "/console/admin/audit?staff=²",
    "/console/admin/audit?staff=99999999999999999999",
    "/console/admin/audit?before=99999999999999999999",
    "/console/admin/audit?from=0001-01-01",
    "/console/admin/audit?to=9999-12-31",
    "/console/admin/audit?to=2026-02-30",
    "/console/reports?from=9999-12-01&to=9999-12-31",
    "/console/reports?from=0001-01-01&to=0001-01-02",
    "/console/reports.csv?from=2026-1-1",
]


def test_bad_ids_and_dates_in_links_are_a_400_never_a_500(
    app: Flask, db: Database, office: Office
) -> None:
    admin = signed_in(app, db, office, "boss")
    for path in BAD_QUERIES:
        answer = admin.get(path)
        assert answer.status_code == 400, (path, answer.status_code)
        assert "この要求の値は使えません" in answer.text, path
    # Sane ones still work.
    assert admin.get("/console/admin/audit?from=2026-11-01&to=2026-12-01").status_code == 200
    assert admin.get("/console/reports?from=2026-11-01&to=2026-12-01").status_code == 200


def test_bad_ids_days_and_weekdays_in_watch_over_forms_are_a_400_never_a_500(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        enrolment = enrolments.enrol(session, make_resident(session), Schedule(), NOW)
        session.flush()
        enrolment_id = enrolment.id
    admin = signed_in(app, db, office, "boss")
    schedule = {"frequency": "weekly", "time": "9:00", "wait": "standard"}
    for form in (
        {"resident": "²", "consent": "yes", **schedule, "weekdays": "1"},
        {"resident": "99999999999999999999", "consent": "yes", **schedule, "weekdays": "1"},
        {"resident": "1", "consent": "yes", **schedule, "weekdays": "²"},
        {"resident": "1", "consent": "yes", **schedule, "weekdays": "٣"},
    ):
        answer = admin.post("/console/watch/enrol", form)
        assert answer.status_code == 400, (form, answer.status_code)
    for until in ("9999-12-31", "0001-01-01", "²", "2026-13-01"):
        answer = admin.post(f"/console/watch/{enrolment_id}/pause", {"until": until})
        assert answer.status_code == 400, (until, answer.status_code)


def test_a_limit_in_other_digits_is_a_400_from_the_api(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        token = staff_accounts.issue_token(session, session.get(Staff, office.staff["aoki"]), NOW)
    client = app.test_client()
    for limit in ("²", "٣", "99999999999999999999"):
        answer = client.get(
            "/api/v1/tickets",
            query_string={"limit": limit},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert answer.status_code == 400, (limit, answer.status_code)
        assert answer.get_json()["error"] == 400


# ---- CSV exports (issue #17, finding 6) --------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://example.org")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"]


def test_a_nul_or_a_lone_surrogate_is_a_400_not_a_database_error(
    app: Flask, db: Database, office: Office
) -> None:
    # Found by the API fuzzing: PostgreSQL's text refuses NUL, and JSON can spell a lone
    # surrogate that no driver can encode. Each was a 500 on the way into a row or a query.
    reference = open_ticket(db, office)
    aoki = signed_in(app, db, office, "aoki")
    assert aoki.get("/console/queue?q=a%00b").status_code == 400
    answer = aoki.post(f"/console/tickets/{reference}/note", {"body": "memo\x00"})
    assert answer.status_code == 400
    with db.transaction() as session:
        token = staff_accounts.issue_token(session, session.get(Staff, office.staff["aoki"]), NOW)
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body in ('{"body": "memo\\u0000"}', '{"body": "memo \\udb79"}'):
        answer = client.post(f"/api/v1/tickets/{reference}/note", data=body, headers=bearer)
        assert answer.status_code == 400, body
        assert "body" in answer.json["reason"]
    assert client.get("/api/v1/tickets?q=a%00b", headers=bearer).status_code == 400
    # The same note in plain text is taken.
    answer = client.post(f"/api/v1/tickets/{reference}/note", json={"body": "memo"}, headers=bearer)
    assert answer.status_code == 201


def test_csv_cells_that_would_run_as_formulas_are_quoted(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        session.get(Team, office.teams["marugoto"]).name = FORMULAS[0]
    admin = signed_in(app, db, office, "boss")
    exported = admin.get("/console/reports.csv?team=marugoto")
    assert exported.status_code == 200
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff"))))
    assert rows[1][0] == "'" + FORMULAS[0]
    assert all(cell[:1] not in "=+-@\t\r" for row in rows for cell in row if cell)


def test_every_formula_start_is_quoted_and_read_back() -> None:
    for formula in FORMULAS:
        assert csv_cells.cell(formula) == "'" + formula
        assert csv_cells.read(csv_cells.cell(formula)) == formula
    for plain in ("山田", "0465-00-0001", "'quoted", 12, None, ""):
        assert csv_cells.cell(plain) == plain
    assert csv_cells.read("'quoted") == "'quoted"


def test_the_salon_export_quotes_formulas_and_imports_back_unchanged(db: Database) -> None:
    # The import trims tabs and line ends from a cell, so those starts do not come back.
    formulas = FORMULAS[:4]
    with db.transaction() as session:
        load_town(session)
        load_salons(session, NOW)
        salons = list(session.scalars(select(Salon).order_by(Salon.code).limit(len(formulas))))
        for salon, formula in zip(salons, formulas, strict=True):
            salon.organiser = formula
            salon.notes = formula
        exported = salon_csv.export_csv(session)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [row["主催者"] for row in rows[: len(formulas)]] == ["'" + f for f in formulas]
    assert all(cell[:1] not in "=+-@\t\r" for row in rows for cell in row.values() if cell)
    with db.transaction() as session:
        salon_csv.import_csv(session, exported.encode("utf-8"), NOW)
        assert salon_csv.export_csv(session) == exported, "the apostrophe is taken off on import"
