"""The supporters page through /api/v1, on SQLite and PostgreSQL: the list, filtered by status
and without phones; approving (welcomed in LINE), pausing (waiting offers withdrawn) and
resuming, each audited as the console does and refused with a 409 when the status does not
allow it; anyone outside the coordinating team (and admins) gets 404 for all of it. Every answer
is checked against the OpenAPI document (tests/test_api.py's Api)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from casework_data import NOW, Office, stored
from console_client import signed_in
from coordinating_console import coordinating_app, coordinating_office  # noqa: F401 (office, app)
from flask import Flask
from sqlalchemy import func, select
from supporter_town import messages_to, offered_to
from test_api import Api
from test_supporters_console import four_supporters

from storage import staff_accounts
from storage.db import Database
from storage.models import AuditEntry, HelpOffer, Staff, Supporter

FIELDS = {
    "id",
    "first_name",
    "district",
    "status",
    "kinds",
    "weekdays",
    "time_bands",
    "applied_at",
    "approved_at",
    "last_helped_at",
}


@pytest.fixture
def ids(db: Database, office: Office) -> dict[str, int]:
    """An applicant, an active supporter who has helped, a paused one, and one who left."""
    return four_supporters(db, office)


def api(app: Flask, db: Database, office: Office, who: str) -> Api:
    with db.transaction() as session:
        staff = session.get_one(Staff, office.staff[who])
        return Api(app.test_client(), staff_accounts.issue_token(session, staff, NOW))


def audit_count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def status_of(db: Database, supporter_id: int) -> str:
    with db.transaction() as session:
        return session.get_one(Supporter, supporter_id).status


def line_id(db: Database, supporter_id: int) -> str:
    with db.transaction() as session:
        return str(session.get_one(Supporter, supporter_id).resident.line_user_id)


# --- the list ----------------------------------------------------------------------------


def test_the_list_says_who_what_where_and_when_applicants_first(
    app: Flask, db: Database, office: Office, ids: dict[str, int]
) -> None:
    listed = api(app, db, office, "tanaka").get("/api/v1/supporters")
    assert listed.status_code == 200 and listed.json is not None
    rows = listed.json["supporters"]
    # Applicants first (they wait for the coordinator), then active, then on a break; one who
    # left is not listed.
    assert [row["id"] for row in rows] == [ids["applied"], ids["active"], ids["paused"]]
    assert [row["status"] for row in rows] == ["applied", "active", "paused"]
    applied, active, _paused = rows
    assert set(applied) == FIELDS
    assert applied["first_name"] == "支援1"
    assert applied["kinds"] == ["rubbish", "shopping"]
    assert applied["district"] == {"slug": "hayakawa", "name": "早川"}
    assert applied["weekdays"] == [5] and applied["time_bands"] == ["morning"]
    assert applied["applied_at"] == NOW.isoformat()
    assert applied["approved_at"] is None and applied["last_helped_at"] is None
    assert active["approved_at"] == NOW.isoformat()
    assert active["last_helped_at"] == (NOW - timedelta(days=3)).isoformat()


def test_the_list_is_filtered_by_status_and_an_unknown_status_is_a_400(
    app: Flask, db: Database, office: Office, ids: dict[str, int]
) -> None:
    tanaka = api(app, db, office, "tanaka")
    for status in ("applied", "active", "paused"):
        only = tanaka.get(f"/api/v1/supporters?status={status}").json
        assert only is not None
        assert [row["id"] for row in only["supporters"]] == [ids[status]], status
    limited = tanaka.get("/api/v1/supporters?limit=2").json
    assert limited is not None and len(limited["supporters"]) == 2
    for wrong in ("left", "x", "ACTIVE"):
        refused = tanaka.get(f"/api/v1/supporters?status={wrong}")
        assert refused.status_code == 400 and refused.json is not None, wrong
        assert refused.json["reason"] == "Choose one of: applied, active, paused."
        assert refused.json["message"] != refused.json["reason"], "in Japanese"


def test_the_list_carries_no_phone(
    app: Flask, db: Database, office: Office, ids: dict[str, int]
) -> None:
    listed = api(app, db, office, "tanaka").get("/api/v1/supporters")
    text = listed.get_data(as_text=True)
    assert "phone" not in text and "090-0000" not in text
    with db.transaction() as session:
        phones = [s.phone for s in session.scalars(select(Supporter)) if s.phone]
    assert phones and not any(phone in text for phone in phones)


def test_the_list_is_audited_as_the_console_audits_its_page(
    app: Flask, db: Database, office: Office, ids: dict[str, int]
) -> None:
    browser = signed_in(app, db, office, "tanaka")
    tanaka = api(app, db, office, "tanaka")  # signed in and given a token (both audited) first
    before = audit_count(db)
    assert browser.get("/console/supporters").status_code == 200
    by_console = [(e.action, e.detail) for e in stored(db, AuditEntry)[before:]]
    middle = audit_count(db)
    assert tanaka.get("/api/v1/supporters").status_code == 200
    by_api = [(e.action, e.detail) for e in stored(db, AuditEntry)[middle:]]
    assert by_api == by_console


# --- approving, pausing, resuming ----------------------------------------------------------


def test_approving_makes_them_active_audits_it_and_welcomes_them_in_line(
    app: Flask, db: Database, office: Office, ids: dict[str, int]
) -> None:
    tanaka = api(app, db, office, "tanaka")
    user = line_id(db, ids["applied"])
    approved = tanaka.post(f"/api/v1/supporters/{ids['applied']}/approve")
    assert approved.status_code == 200 and approved.json is not None
    answer = approved.json["supporter"]
    assert answer["id"] == ids["applied"] and answer["status"] == "active"
    assert answer["approved_at"] is not None and "phone" not in answer
    with db.transaction() as session:
        supporter = session.get_one(Supporter, ids["applied"])
        assert supporter.status == "active"
        assert supporter.approved_by_id == office.staff["tanaka"]
    entry = stored(db, AuditEntry)[-1]
    assert entry.action == "supporter.approve" and entry.staff_id == office.staff["tanaka"]
    assert entry.detail == {"supporter": ids["applied"], "from": "applied", "to": "active"}
    # The supporter hears it in LINE, once, with how to pause or leave.
    (welcome,) = [m["text"] for m in messages_to(db, user) if "ご登録を確認しました" in m["text"]]
    assert "「生活応援隊」と送ってください" in welcome
    # Approving twice: 409 with a reason; nothing changes, nothing more is sent or audited.
    count = audit_count(db)
    again = tanaka.post(f"/api/v1/supporters/{ids['applied']}/approve")
    assert again.status_code == 409 and again.json is not None
    assert again.json["error"] == 409
    assert again.json["reason"] == "Only a supporter waiting for approval can be approved."
    assert again.json["message"] != again.json["reason"], "in Japanese"
    assert audit_count(db) == count
    assert len([m for m in messages_to(db, user) if "ご登録を確認しました" in m["text"]]) == 1
    # Nor is one on a break or one who left approved.
    for name in ("paused", "left"):
        assert tanaka.post(f"/api/v1/supporters/{ids[name]}/approve").status_code == 409
        assert status_of(db, ids[name]) == name
    assert audit_count(db) == count


def test_pausing_withdraws_a_waiting_offer_and_resuming_brings_them_back(
    app: Flask, db: Database, office: Office, ids: dict[str, int]
) -> None:
    offered_to(db, ids["active"])
    tanaka = api(app, db, office, "tanaka")
    paused = tanaka.post(f"/api/v1/supporters/{ids['active']}/pause")
    assert paused.status_code == 200 and paused.json is not None
    assert paused.json["supporter"]["status"] == "paused"
    with db.transaction() as session:
        assert session.get_one(Supporter, ids["active"]).status == "paused"
        assert session.scalars(select(HelpOffer.answer)).one() == "declined"
    twice = tanaka.post(f"/api/v1/supporters/{ids['active']}/pause")
    assert twice.status_code == 409 and twice.json is not None
    assert "break" in twice.json["reason"]
    resumed = tanaka.post(f"/api/v1/supporters/{ids['active']}/resume")
    assert resumed.status_code == 200 and resumed.json is not None
    assert resumed.json["supporter"]["status"] == "active"
    # An applicant on a break goes back to waiting for approval.
    assert tanaka.post(f"/api/v1/supporters/{ids['applied']}/pause").status_code == 200
    back = tanaka.post(f"/api/v1/supporters/{ids['applied']}/resume").json
    assert back is not None and back["supporter"]["status"] == "applied"
    # Only one on a break is resumed; one who left stays gone.
    for name in ("active", "left"):
        refused = tanaka.post(f"/api/v1/supporters/{ids[name]}/resume")
        assert refused.status_code == 409, name
    assert tanaka.post(f"/api/v1/supporters/{ids['left']}/pause").status_code == 409
    assert status_of(db, ids["left"]) == "left"
    changes = [
        (e.action, e.detail) for e in stored(db, AuditEntry) if e.action.startswith("supporter.")
    ]
    assert changes == [
        ("supporter.pause", {"supporter": ids["active"], "from": "active", "to": "paused"}),
        ("supporter.resume", {"supporter": ids["active"], "from": "paused", "to": "active"}),
        ("supporter.pause", {"supporter": ids["applied"], "from": "applied", "to": "paused"}),
        ("supporter.resume", {"supporter": ids["applied"], "from": "paused", "to": "applied"}),
    ]


def test_the_console_and_the_api_refuse_the_same_steps(
    app: Flask, db: Database, office: Office, ids: dict[str, int]
) -> None:
    browser = signed_in(app, db, office, "tanaka")
    assert browser.post(f"/console/supporters/{ids['applied']}/approve").status_code == 302
    tanaka = api(app, db, office, "tanaka")
    assert tanaka.post(f"/api/v1/supporters/{ids['applied']}/approve").status_code == 409
    assert tanaka.post(f"/api/v1/supporters/{ids['paused']}/resume").status_code == 200
    assert browser.post(f"/console/supporters/{ids['paused']}/resume").status_code == 409


# --- who may -----------------------------------------------------------------------------


def test_another_team_gets_404_for_all_of_it_and_changes_nothing(
    app: Flask, db: Database, office: Office, ids: dict[str, int]
) -> None:
    offered_to(db, ids["active"])
    aoki, tanaka = api(app, db, office, "aoki"), api(app, db, office, "tanaka")
    before, sent = audit_count(db), messages_to(db, line_id(db, ids["applied"]))
    nowhere = tanaka.post("/api/v1/supporters/999999/approve")
    assert nowhere.status_code == 404
    listed = aoki.get("/api/v1/supporters")
    assert listed.status_code == 404 and listed.json == nowhere.json
    for name, step in (("applied", "approve"), ("active", "pause"), ("paused", "resume")):
        refused = aoki.post(f"/api/v1/supporters/{ids[name]}/{step}")
        assert refused.status_code == 404, step
        # Word for word what a supporter who does not exist gets: nothing gives it away.
        assert refused.json == nowhere.json
        assert status_of(db, ids[name]) == name
    assert audit_count(db) == before
    assert messages_to(db, line_id(db, ids["applied"])) == sent
    with db.transaction() as session:
        assert session.scalars(select(HelpOffer.answer)).one() is None, "the offer still waits"
    # Admins may.
    boss = api(app, db, office, "boss")
    assert boss.get("/api/v1/supporters").status_code == 200
    assert boss.post(f"/api/v1/supporters/{ids['applied']}/approve").status_code == 200


# --- the document ------------------------------------------------------------------------


def test_the_openapi_document_lists_the_supporters_paths(app: Flask) -> None:
    served = Api(app.test_client()).get("/api/v1/openapi.json").json
    assert served is not None
    paths = served["paths"]
    assert set(paths["/api/v1/supporters"]) == {"get"}
    for step in ("approve", "pause", "resume"):
        operation = paths[f"/api/v1/supporters/{{supporter_id}}/{step}"]["post"]
        assert {"200", "401", "404", "409"} <= set(operation["responses"])
    schema = served["components"]["schemas"]["Supporter"]
    documented = {name for part in schema["allOf"] for name in part["properties"]}
    assert documented == FIELDS and "phone" not in documented
