"""The 生活応援隊 requests board (console/requests.py): the board, a request's page with its
ranked matches and reasons, 声をかける sending the LINE offer to exactly the supporters ticked,
the offers' answers, entering a request; only for coordinators (404 for anyone else), every
view and change audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from casework_data import NOW, Office, make_resident, make_ticket
from console_client import signed_in
from coordinating_console import coordinating_app, coordinating_office, tokens  # noqa: F401 (office, app)
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from supporter_town import make_neighbour, messages_to, new_request
from test_api import Api
from test_api_fuzz import CHECKS, MODES, OPERATIONS

from storage import staff_accounts, supporters
from storage.db import Database
from storage.models import AuditEntry, HelpOffer, HelpRequest, Staff, Supporter


def town(db: Database, office: Office) -> tuple[int, dict[str, int], dict[str, str]]:
    """A ゴミ出し request in 早川 on Saturday morning, and supporters: one in 早川 free then, one
    in 大窪 within reach, one in 国府津 (far), one who only shops; their ids and LINE ids."""
    with db.transaction() as session:
        aoki = session.get_one(Staff, office.staff["aoki"])
        made = {
            "near": make_neighbour(session, 2, aoki, district="okubo", reach_km=2.0),
            "same": make_neighbour(session, 1, aoki),
            "far": make_neighbour(session, 3, aoki, district="kozu"),
            "shops": make_neighbour(session, 4, aoki, kinds=("shopping",)),
        }
        request = new_request(session, make_resident(session, "小田 トメ"))
        ids = {name: supporter.id for name, supporter in made.items()}
        lines = {name: str(s.resident.line_user_id) for name, s in made.items()}
        return request.id, ids, lines


def actions(db: Database) -> list[str]:
    with db.transaction() as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_only_coordinators_and_admins_see_the_board(
    app: Flask, db: Database, office: Office
) -> None:
    request_id, ids, _lines = town(db, office)
    aoki = signed_in(app, db, office, "aoki")
    for path in ("/console/requests", f"/console/requests/{request_id}", "/console/requests/new"):
        assert aoki.get(path).status_code == 404, path
    offer = aoki.post(f"/console/requests/{request_id}/offer", {"supporter": str(ids["same"])})
    assert offer.status_code == 404
    with db.transaction() as session:
        assert session.scalars(select(HelpOffer)).all() == []
    assert 'href="/console/requests"' not in aoki.get("/console/queue").text
    tanaka = signed_in(app, db, office, "tanaka")
    board = tanaka.get("/console/requests")
    assert board.status_code == 200 and 'href="/console/requests"' in board.text
    assert signed_in(app, db, office, "boss").get("/console/requests").status_code == 200
    assert tanaka.get("/console/requests/999999").status_code == 404
    assert tanaka.get("/console/requests?status=done").status_code == 400


def test_the_board_lists_requests_newest_first_with_their_status(
    app: Flask, db: Database, office: Office
) -> None:
    first, ids, _lines = town(db, office)
    with db.transaction() as session:
        later = supporters.new_request(
            session,
            make_resident(session, "大窪 ハナ"),
            "shopping",
            NOW + timedelta(days=3),
            NOW + timedelta(minutes=5),
        )
        supporters.offer(session, later, [session.get_one(Supporter, ids["shops"])], NOW)
        second = later.id
    page = signed_in(app, db, office, "tanaka").get("/console/requests").text
    assert page.index(f'data-request="{second}"') < page.index(f'data-request="{first}"')
    assert "ゴミ出し" in page and "買い物" in page and "早川" in page
    assert "未依頼" in page and "応答待ち" in page
    only = signed_in(app, db, office, "tanaka").get("/console/requests?status=open").text
    assert f'data-request="{first}"' in only and f'data-request="{second}"' not in only
    assert "help_request.board" in actions(db)


def test_the_request_page_ranks_matches_with_reasons(
    app: Flask, db: Database, office: Office
) -> None:
    request_id, ids, _lines = town(db, office)
    page = signed_in(app, db, office, "tanaka").get(f"/console/requests/{request_id}").text
    assert "ゴミ出し" in page and "門の右のバケツ" in page and "早川" in page
    order = [page.index(f'data-supporter="{ids[name]}"') for name in ("same", "near", "far")]
    assert order == sorted(order)
    assert f'data-supporter="{ids["shops"]}"' not in page
    same = page[order[0] : order[1]]
    assert "「同じ地区」" in same and "「土曜・午前に可」" in same and "「この30日で0件」" in same
    assert "行ける範囲" in page[order[1] : order[2]] and "範囲外" in page[order[2] :]
    assert "声をかける" in page
    with db.transaction() as session:
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "help_request.view")
        ).one()
        assert entry.staff_id == office.staff["tanaka"]
        assert entry.detail == {"help_request": request_id}


def test_asking_two_sends_the_offer_to_exactly_those_two(
    app: Flask, db: Database, office: Office
) -> None:
    request_id, ids, lines = town(db, office)
    browser = signed_in(app, db, office, "tanaka")
    browser.get(f"/console/requests/{request_id}")
    response = browser.post(
        f"/console/requests/{request_id}/offer",
        {"supporter": [str(ids["same"]), str(ids["near"])]},
    )
    assert response.status_code == 302
    page = browser.follow(response).text
    assert "2人にLINEで声をかけました" in page
    assert page.count("待っています") == 2
    for name in ("same", "near"):
        sent = messages_to(db, lines[name])
        assert len(sent) == 1 and "生活応援隊" in sent[0]["text"], name
    assert messages_to(db, lines["far"]) == [] and messages_to(db, lines["shops"]) == []
    with db.transaction() as session:
        request = session.get_one(HelpRequest, request_id)
        assert request.status == "offered"
        asked = {offer.supporter_id for offer in supporters.offers_of(session, request)}
        assert asked == {ids["same"], ids["near"]}
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "help_request.offer")
        ).one()
        assert entry.detail == {
            "help_request": request_id,
            "supporters": sorted([ids["same"], ids["near"]]),
        }
    # Asked already: marked, and asking again sends nothing more.
    assert "（依頼済み）" in page
    again = browser.post(f"/console/requests/{request_id}/offer", {"supporter": str(ids["same"])})
    assert "一覧の応援隊員を一人以上選んでください" in browser.follow(again).text
    assert len(messages_to(db, lines["same"])) == 1


def test_answers_show_in_words_and_no_one_outside_the_matches_is_asked(
    app: Flask, db: Database, office: Office
) -> None:
    request_id, ids, lines = town(db, office)
    browser = signed_in(app, db, office, "tanaka")
    browser.get(f"/console/requests/{request_id}")
    # One who does not offer this kind, an unknown id, nothing ticked: refused, nothing sent.
    for chosen in ([str(ids["shops"])], ["999999"], []):
        response = browser.post(f"/console/requests/{request_id}/offer", {"supporter": chosen})
        assert response.status_code == 302
    assert browser.post(f"/console/requests/{request_id}/offer", {"supporter": "x"}).status_code
    assert messages_to(db, lines["shops"]) == []
    browser.post(
        f"/console/requests/{request_id}/offer",
        {"supporter": [str(ids["same"]), str(ids["near"]), str(ids["far"])]},
    )
    with db.transaction() as session:
        offers = {o.supporter_id: o for o in session.scalars(select(HelpOffer))}
        supporters.decline(session, offers[ids["near"]], NOW)
        assert supporters.accept(session, offers[ids["same"]], NOW) == "accepted"
    page = browser.get(f"/console/requests/{request_id}").text
    assert "引き受け" in page and "今回は無理" in page and "期限切れ" in page
    assert "声をかける" not in page, "a taken request is asked of nobody"
    assert (
        browser.post(
            f"/console/requests/{request_id}/offer", {"supporter": str(ids["far"])}
        ).status_code
        == 409
    )
    board = browser.get("/console/requests?status=taken").text
    assert "引き受け済み" in board and "近所1" in board


def test_staff_enter_a_request_for_a_resident_they_may_see(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        resident = make_resident(session, "小田 トメ")
        ticket = make_ticket(session, office.teams[supporters.COORDINATING_TEAM], resident=resident)
        unseen = make_resident(session, "見えない 人")
        reference, resident_id, unseen_id = ticket.reference, resident.id, unseen.id
    browser = signed_in(app, db, office, "tanaka")
    # From the ticket's page, one link: the form with the ticket filled in.
    ticket_page = browser.get(f"/console/tickets/{reference}").text
    assert f'href="/console/requests/new?ticket={reference}"' in ticket_page
    assert "生活応援隊に依頼する" in ticket_page
    new_form = browser.get(f"/console/requests/new?ticket={reference}")
    assert new_form.status_code == 200 and f'value="{reference}"' in new_form.text
    form = {
        "ticket": reference,
        "kind": "light_bulb",
        "district": "",
        "day": "2026-12-08",
        "start": "14:00",
        "end": "15:00",
        "first_name": "トメ",
        "phone": "0465-00-1111",
        "note": "脚立あり",
    }
    response = browser.post("/console/requests/new", form)
    assert response.status_code == 302, response.text[:300]
    page = browser.follow(response).text
    assert "電球の交換" in page and "脚立あり" in page and "14:00〜15:00" in page
    with db.transaction() as session:
        made = session.scalars(select(HelpRequest)).one()
        assert made.resident_id == resident_id and made.ticket_id is not None
        assert made.status == "open" and made.kind == "light_bulb"
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "help_request.create")
        ).one()
        assert entry.detail == {"help_request": made.id, "resident": resident_id}
        made_id = made.id
    # The ticket's page lists the request made from it.
    assert f"依頼 {made_id}</a>: 電球の交換" in browser.get(f"/console/tickets/{reference}").text
    # A resident whose tickets they cannot see is refused; a bad time too; nothing made.
    refused = browser.post("/console/requests/new", {**form, "ticket": "", "resident": unseen_id})
    assert refused.status_code == 200 and "見られる住民はいません" in refused.text
    wrong = browser.post("/console/requests/new", {**form, "end": "13:00"})
    assert "終わりは始まりより後" in wrong.text
    with db.transaction() as session:
        assert len(session.scalars(select(HelpRequest)).all()) == 1
    # An admin may enter one for any resident, by number.
    boss = signed_in(app, db, office, "boss")
    made_by_admin = boss.post(
        "/console/requests/new", {**form, "ticket": "", "resident": str(unseen_id)}
    )
    assert made_by_admin.status_code == 302


# --- the same through /api/v1 (answers checked against the OpenAPI document) --------------


def test_the_api_lists_reads_enters_and_offers(app: Flask, db: Database, office: Office) -> None:
    request_id, ids, lines = town(db, office)
    with db.transaction() as session:
        resident = make_resident(session, "小田 トメ")
        reference = make_ticket(
            session, office.teams[supporters.COORDINATING_TEAM], resident=resident
        ).reference
    given = tokens(db, office)
    api = Api(app.test_client(), given["tanaka"])
    listed = api.get("/api/v1/help-requests").json
    assert listed is not None and [r["id"] for r in listed["help_requests"]] == [request_id]
    read = api.get(f"/api/v1/help-requests/{request_id}").json
    assert read is not None
    matches = read["help_request"]["matches"]
    assert [m["supporter"]["id"] for m in matches] == [ids["same"], ids["near"], ids["far"]]
    assert matches[0]["reasons"][0] == {"code": "same_district"}
    offered = api.post(f"/api/v1/help-requests/{request_id}/offers", {"supporters": [ids["near"]]})
    assert offered.status_code == 201 and offered.json is not None
    assert [o["supporter"]["id"] for o in offered.json["offers"]] == [ids["near"]]
    assert len(messages_to(db, lines["near"])) == 1 and messages_to(db, lines["same"]) == []
    # Not a match, or asked already: 422, nothing sent.
    for chosen in ([ids["shops"]], [ids["near"]], []):
        refused = api.post(f"/api/v1/help-requests/{request_id}/offers", {"supporters": chosen})
        assert refused.status_code == 422, chosen
    assert len(messages_to(db, lines["near"])) == 1
    entered = api.post(
        "/api/v1/help-requests",
        {"resident_of": reference, "kind": "garden", "day": "2026-12-09", "start": "09:30"},
    )
    assert entered.status_code == 201 and entered.json is not None
    assert entered.json["help_request"]["status"] == "open"
    bad = api.post(
        "/api/v1/help-requests",
        {"resident_of": reference, "kind": "garden", "day": "12/09", "start": "09:30"},
    )
    assert bad.status_code == 422
    assert set(actions(db)) >= {"help_request.view", "help_request.offer", "help_request.create"}
    # Anyone else: 404 for all of it.
    other = Api(app.test_client(), given["aoki"])
    assert other.get("/api/v1/help-requests").status_code == 404
    assert other.get(f"/api/v1/help-requests/{request_id}").status_code == 404
    sneaky = other.post(f"/api/v1/help-requests/{request_id}/offers", {"supporters": [ids["far"]]})
    assert sneaky.status_code == 404 and messages_to(db, lines["far"]) == []


# A coordinator's token, so the fuzzing reaches past "not found" (tests/test_api_fuzz.py
# calls as aoki, who is refused every help request).
HELP_OPERATIONS = [op for op in OPERATIONS if "/help-requests" in op.path]


@pytest.mark.parametrize("operation", HELP_OPERATIONS, ids=[op.label for op in HELP_OPERATIONS])
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_fuzzed_by_a_coordinator_no_server_error_nor_undocumented_answer(
    operation: Any, app: Flask, db: Database, office: Office, data: st.DataObject
) -> None:
    with db.transaction() as session:
        known = session.scalars(select(HelpRequest.id)).all()
        token = staff_accounts.issue_token(
            session, session.get_one(Staff, office.staff["tanaka"]), NOW
        )
    if not known:
        town(db, office)
        known = [1]
    case = data.draw(operation.as_strategy(generation_mode=data.draw(st.sampled_from(MODES))))
    if "request_id" in (case.path_parameters or {}) and data.draw(st.booleans()):
        case.path_parameters["request_id"] = known[0]
    case.call_and_validate(app=app, headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
