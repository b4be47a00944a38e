"""The 生活応援隊 coordinator's supporters page: the table in words, filtered by status; a
coordinator approves an applicant, who then receives offers; pausing and resuming; every
change audited; other teams' staff are refused as on the watch-over pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from casework_data import NOW, Office, make_resident
from console_client import console_app, signed_in
from coordinating_console import coordinating_app, coordinating_office  # noqa: F401 (office, app)
from flask import Flask
from sqlalchemy import select
from supporter_town import make_supporter, messages_to, new_request, offered_to

from flows import supporter_offers
from storage import supporters
from storage.db import Database
from storage.models import AuditEntry, HelpOffer, Resident, Staff, Supporter


def four_supporters(db: Database, office: Office) -> dict[str, int]:
    """An applicant, an active supporter who has helped, a paused one, and one who left."""
    with db.transaction() as session:
        aoki = session.get_one(Staff, office.staff["aoki"])
        made = {
            "applied": make_supporter(session, 1, aoki, status="applied"),
            "active": make_supporter(session, 2, aoki),
            "paused": make_supporter(session, 3, aoki, status="paused"),
            "left": make_supporter(session, 4, aoki),
        }
        ids = {name: supporter_of(session, resident).id for name, resident in made.items()}
        supporters.leave(session, session.get_one(Supporter, ids["left"]), NOW)
        session.get_one(Supporter, ids["active"]).last_helped_at = NOW - timedelta(days=3)
        return ids


def supporter_of(session: Any, resident: Resident) -> Supporter:
    found = supporters.of_resident(session, resident)
    assert found is not None
    return found


def row_of(page: str, name: str) -> str:
    start = page.index(name)
    return page[page.rfind("<tr>", 0, start) : page.index("</tr>", start)]


def test_the_table_says_who_what_where_and_when_in_words(
    app: Flask, db: Database, office: Office
) -> None:
    four_supporters(db, office)
    page = signed_in(app, db, office, "tanaka").get("/console/supporters").get_data(as_text=True)
    assert page.index("支援1") < page.index("支援2") < page.index("支援3"), "applicants first"
    applied = row_of(page, "支援1")
    assert "承認待ち" in applied and "ゴミ出し" in applied and "買い物" in applied
    assert "早川" in applied and "土" in applied and "午前" in applied
    assert "2026/" in applied and "承認する" in applied
    active = row_of(page, "支援2")
    assert "活動中" in active and "承認する" not in active and "休止する" in active
    assert "再開する" in row_of(page, "支援3")
    assert "支援4" not in page and "退会" not in row_of(page, "支援3")
    only = signed_in(app, db, office, "tanaka").get("/console/supporters?status=paused").text
    assert "支援3" in only and "支援1" not in only and "支援2" not in only
    assert (
        signed_in(app, db, office, "tanaka").get("/console/supporters?status=x").status_code == 400
    )
    # The link is in the coordinator's navigation, not in other teams'.
    assert 'href="/console/supporters"' in page
    queue = signed_in(app, db, office, "aoki").get("/console/queue?team=marugoto").text
    assert 'href="/console/supporters"' not in queue


def test_a_coordinator_approves_an_applicant_who_then_receives_offers(
    app: Flask, db: Database, office: Office
) -> None:
    ids = four_supporters(db, office)
    browser = signed_in(app, db, office, "tanaka")
    browser.get("/console/supporters")
    response = browser.post(f"/console/supporters/{ids['applied']}/approve")
    assert response.status_code == 302
    assert "承認しました" in browser.follow(response).text
    with db.transaction() as session:
        approved = session.get_one(Supporter, ids["applied"])
        assert approved.status == "active" and approved.approved_by_id == office.staff["tanaka"]
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "supporter.approve")
        ).one()
        assert entry.staff_id == office.staff["tanaka"]
        assert entry.detail == {"supporter": ids["applied"], "from": "applied", "to": "active"}
        user = str(approved.resident.line_user_id)
    # The supporter hears it in LINE, once, with how to pause or leave.
    (welcome,) = [m["text"] for m in messages_to(db, user) if "ご登録を確認しました" in m["text"]]
    assert "「生活応援隊」と送ってください" in welcome
    with db.transaction() as session:
        approved = session.get_one(Supporter, ids["applied"])
        request = new_request(session, make_resident(session, "小田 トメ"))
        offers = supporter_offers.send(session, request, [approved], NOW)
        assert [offer.supporter_id for offer in offers] == [ids["applied"]]
    assert any("お手伝い" in m["text"] and "ご登録" not in m["text"] for m in messages_to(db, user))
    # Approving twice is refused, and changes nothing.
    assert browser.post(f"/console/supporters/{ids['applied']}/approve").status_code == 409
    # The audit page says it in words.
    audit = signed_in(app, db, office, "boss").get("/console/admin/audit").text
    assert "応援隊員を承認" in audit and "承認待ち" in audit and "活動中" in audit


def test_pausing_withdraws_waiting_offers_and_resuming_brings_them_back(
    app: Flask, db: Database, office: Office
) -> None:
    ids = four_supporters(db, office)
    offered_to(db, ids["active"])
    browser = signed_in(app, db, office, "tanaka")
    assert browser.post(f"/console/supporters/{ids['active']}/pause").status_code == 302
    with db.transaction() as session:
        assert session.get_one(Supporter, ids["active"]).status == "paused"
        assert session.scalars(select(HelpOffer.answer)).one() == "declined"
    assert browser.post(f"/console/supporters/{ids['active']}/resume").status_code == 302
    assert browser.post(f"/console/supporters/{ids['left']}/resume").status_code == 409
    with db.transaction() as session:
        assert session.get_one(Supporter, ids["active"]).status == "active"
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions[-2:] == ["supporter.pause", "supporter.resume"]


def test_other_teams_staff_are_refused_and_change_nothing(
    app: Flask, db: Database, office: Office
) -> None:
    ids = four_supporters(db, office)
    aoki = signed_in(app, db, office, "aoki")
    assert aoki.get("/console/supporters").status_code == 403
    assert aoki.post(f"/console/supporters/{ids['applied']}/approve").status_code == 404
    assert aoki.post(f"/console/supporters/{ids['active']}/pause").status_code == 404
    with db.transaction() as session:
        assert session.get_one(Supporter, ids["applied"]).status == "applied"
        assert session.get_one(Supporter, ids["active"]).status == "active"
    # Admins may.
    assert signed_in(app, db, office, "boss").get("/console/supporters").status_code == 200


def test_the_page_gives_the_sign_up_link_and_qr_code_for_leaflets(
    db: Database, office: Office
) -> None:
    app = console_app(db, NOW + timedelta(minutes=1), basic_id="@123abcde")
    page = signed_in(app, db, office, "tanaka").get("/console/supporters").text
    link = "https://line.me/R/oaMessage/%40123abcde/?%E7%94%9F%E6%B4%BB%E5%BF%9C%E6%8F%B4%E9%9A%8A"
    assert f'href="{link}"' in page
    assert "<svg" in page and "送信を押すだけで登録が始まります" in page
    # Without the account's LINE ID there is no link to give: the page says what to set.
    bare = signed_in(console_app(db, NOW), db, office, "tanaka").get("/console/supporters").text
    assert "<svg" not in bare and "LINE_BOT_BASIC_ID" in bare
