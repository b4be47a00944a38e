"""One supporter's own page and its API (issue #18): their registration, phone and history in
words with totals, the ケアネット residents they look in on (named only to the watch-over
team), every view audited; the coordinating team's and admins', 404 for anyone else. And the
ケアネット API: the console's neighbours page as JSON, linking only with consent, on SQLite and
PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from casework_data import NOW, enrolled, make_office, make_resident, make_staff
from console_client import Browser, console_app, give_password
from flask import Flask
from sqlalchemy import func, select
from supporter_town import make_supporter
from test_api import Api

import locales
from storage import care_net, help_visits, routing, staff_accounts, supporters
from storage.db import Database
from storage.models import AuditEntry, HelpOffer, Resident, Staff, Supporter, WatchEnrolment


@dataclass(frozen=True)
class Place:
    app: Flask
    db: Database
    staff: dict[str, int]
    supporter_id: int
    other_id: int
    enrolment_id: int


def _supporter_of(session: Any, resident: Resident) -> Supporter:
    found = supporters.of_resident(session, resident)
    assert found is not None
    return found


def _offered(session: Any, supporter: Supporter, kind: str, days_ago: int) -> HelpOffer:
    """A request for `kind` offered to the supporter `days_ago` days before NOW."""
    when = NOW - timedelta(days=days_ago)
    helped = make_resident(session, f"依頼 {kind} {days_ago}")
    request = supporters.new_request(session, helped, kind, when + timedelta(days=1), when)
    (offer,) = supporters.offer(session, request, [supporter], when)
    return offer


@pytest.fixture
def place(db: Database) -> Place:
    """tanaka coordinates 生活応援隊; mimura is of the watch-over team. 支援1 was offered four
    requests: one done (40 days ago), one they could not do (10 days ago), one declined, one
    unanswered; they are linked to 山田 花子's ケアネット. 支援2 is linked to nobody."""
    office = make_office(db)
    enrolment_id, _family = enrolled(db, "山田 花子", "山田 太郎")
    with db.transaction() as session:
        tanaka = make_staff(session, "tanaka", [supporters.COORDINATING_TEAM])
        mimura = make_staff(session, "mimura", [routing.WATCH_TEAM])
        boss = session.get_one(Staff, office.staff["boss"])
        supporter = _supporter_of(session, make_supporter(session, 1, boss))
        other = _supporter_of(session, make_supporter(session, 2, boss))
        done = _offered(session, supporter, "rubbish", 40)
        supporters.accept(session, done, done.sent_at + timedelta(minutes=5))
        help_visits.report_done(session, done.request, 60, done.sent_at + timedelta(days=1))
        help_visits.give_feedback(session, done.request, "good", done.sent_at + timedelta(days=1))
        failed = _offered(session, supporter, "shopping", 10)
        supporters.accept(session, failed, failed.sent_at + timedelta(minutes=5))
        help_visits.report_not_done(
            session, failed.request, "away", failed.sent_at + timedelta(days=1)
        )
        declined = _offered(session, supporter, "garden", 5)
        supporters.decline(session, declined, declined.sent_at + timedelta(minutes=5))
        _offered(session, supporter, "light_bulb", 1)
        care_net.link(session, enrolment_id, supporter, boss, NOW, consent=True)
        ids = {**office.staff, "tanaka": tanaka.id, "mimura": mimura.id}
        supporter_id, other_id = supporter.id, other.id
    return Place(
        app=console_app(db, NOW + timedelta(minutes=1)),
        db=db,
        staff=ids,
        supporter_id=supporter_id,
        other_id=other_id,
        enrolment_id=enrolment_id,
    )


def signed_in(place: Place, who: str) -> Browser:
    browser = Browser.of(place.app)
    assert browser.sign_in(give_password(place.db, place.staff[who])).status_code == 302
    return browser


def api(place: Place, who: str) -> Api:
    with place.db.transaction() as session:
        staff = session.get_one(Staff, place.staff[who])
        return Api(place.app.test_client(), staff_accounts.issue_token(session, staff, NOW))


def audited(db: Database, prefix: str) -> list[tuple[str, int | None, dict[str, Any]]]:
    with db.transaction() as session:
        return [
            (entry.action, entry.staff_id, dict(entry.detail or {}))
            for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if entry.action.startswith(prefix)
        ]


def audit_count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(AuditEntry)) or 0


def ja(message: str, **params: object) -> str:
    return locales.gettext("ja", message, **params)


# --- the page ----------------------------------------------------------------------------


def test_the_page_shows_the_phone_and_the_history_in_words_with_totals(place: Place) -> None:
    browser = signed_in(place, "tanaka")
    listed = browser.get("/console/supporters").get_data(as_text=True)
    path = f"/console/supporters/{place.supporter_id}"
    assert f'href="{path}"' in listed
    shown = browser.get(path)
    assert shown.status_code == 200
    page = shown.get_data(as_text=True)
    assert "支援1" in page and "090-0000-0001" in page and 'href="tel:090-0000-0001"' in page
    assert ja("Their district only") in page
    history = page[page.index(ja("History")) :]
    # Newest first: unanswered, declined, could not, done.
    answers = [ja("No answer"), ja("Not this time"), ja("Took it on")]
    assert [history.index(answer) for answer in answers] == sorted(
        history.index(answer) for answer in answers
    )
    assert history.index(ja("Changing bulbs")) < history.index(ja("Garden work"))
    assert history.index(ja("Shopping")) < history.index(ja("Taking out rubbish"))
    assert ja("Could not: {reason}", reason=ja("Nobody was home")) in history
    assert ja("Done") in history and ja("About 1 hour") in history
    assert ja("It helped, thank you") in history
    totals = page[page.index(ja("Help given")) : page.index(ja("History"))]
    recent = totals[totals.index(ja("Last 30 days")) : totals.index(ja("In all"))]
    overall = totals[totals.index(ja("In all")) :]
    # In the last 30 days: one taken (could not be done), no hours; in all two, one hour.
    assert [cell for cell in _cells(recent)] == ["1", "0", "0"]
    assert [cell for cell in _cells(overall)] == ["2", "1", "1"]


def _cells(row: str) -> list[str]:
    return [part.split("</td>")[0] for part in row.split("<td>")[1:4]]


def test_the_residents_they_look_in_on_are_named_only_to_the_watch_over_team(
    place: Place,
) -> None:
    path = f"/console/supporters/{place.supporter_id}"
    coordinator = signed_in(place, "tanaka").get(path).get_data(as_text=True)
    assert "山田 花子" not in coordinator
    assert ja(
        "Linked to {count} watch-over residents (the watch-over team sees who).", count=1
    ) in (coordinator)
    admin = signed_in(place, "boss").get(path).get_data(as_text=True)
    assert "山田 花子" in admin
    assert f"/console/watch/{place.enrolment_id}/neighbours" in admin


def test_staff_outside_the_coordinating_team_get_404_and_nothing_is_audited(
    place: Place,
) -> None:
    for who in ("aoki", "mimura"):
        browser = signed_in(place, who)
        before = audit_count(place.db)
        assert browser.get(f"/console/supporters/{place.supporter_id}").status_code == 404
        assert browser.get("/console/supporters/999999").status_code == 404
        assert audit_count(place.db) == before
    assert signed_in(place, "tanaka").get("/console/supporters/999999").status_code == 404


def test_each_view_is_audited(place: Place) -> None:
    browser = signed_in(place, "tanaka")
    browser.get(f"/console/supporters/{place.supporter_id}")
    browser.get(f"/console/supporters/{place.supporter_id}")
    api(place, "tanaka").get(f"/api/v1/supporters/{place.other_id}")
    tanaka = place.staff["tanaka"]
    assert audited(place.db, "supporter.view") == [
        ("supporter.view", tanaka, {"supporter": place.supporter_id}),
        ("supporter.view", tanaka, {"supporter": place.supporter_id}),
        ("supporter.view", tanaka, {"supporter": place.other_id}),
    ]


def test_the_buttons_on_the_page_come_back_to_it(place: Place) -> None:
    browser = signed_in(place, "tanaka")
    path = f"/console/supporters/{place.supporter_id}"
    page = browser.get(path).get_data(as_text=True)
    assert f"{path}/pause" in page
    paused = browser.post(f"{path}/pause", {"back": "page"})
    assert paused.status_code == 302 and paused.headers["Location"].endswith(path)
    assert f"{path}/resume" in browser.get(path).get_data(as_text=True)


# --- the API -----------------------------------------------------------------------------


def test_the_api_returns_what_the_page_shows(place: Place) -> None:
    answer = api(place, "tanaka").get(f"/api/v1/supporters/{place.supporter_id}")
    assert answer.status_code == 200
    found = answer.json["supporter"]
    assert found["first_name"] == "支援1" and found["phone"] == "090-0000-0001"
    assert found["status"] == "active" and found["reach_km"] is None
    assert found["approved_by"]["id"] == place.staff["boss"]
    assert [(p["kind"], p["answer"]) for p in found["history"]] == [
        ("light_bulb", None),
        ("garden", "declined"),
        ("shopping", "accepted"),
        ("rubbish", "accepted"),
    ]
    failed, done = found["history"][2], found["history"][3]
    assert (failed["status"], failed["not_done_reason"]) == ("failed", "away")
    assert (done["status"], done["minutes"], done["feedback"]) == ("done", 60, "good")
    assert found["history"][1]["status"] is None
    assert found["totals"] == {
        "last_30_days": {"taken": 1, "done": 0, "hours": 0},
        "all": {"taken": 2, "done": 1, "hours": 1},
    }
    assert found["care_net"] == {"count": 1, "residents": None}
    admin = api(place, "boss").get(f"/api/v1/supporters/{place.supporter_id}").json
    assert admin["supporter"]["care_net"]["residents"] == [
        {"enrolment_id": place.enrolment_id, "display_name": "山田 花子"}
    ]


def test_the_api_is_404_for_other_teams_and_audits_nothing(place: Place) -> None:
    callers = {who: api(place, who) for who in ("aoki", "mimura", "tanaka")}
    before = audit_count(place.db)
    for who in ("aoki", "mimura"):
        refused = callers[who].get(f"/api/v1/supporters/{place.supporter_id}")
        assert refused.status_code == 404
    assert callers["tanaka"].get("/api/v1/supporters/999999").status_code == 404
    assert audit_count(place.db) == before


# --- the ケアネット API ------------------------------------------------------------------


def test_the_care_net_api_links_only_with_consent_and_unlinks(place: Place) -> None:
    mimura = api(place, "mimura")
    path = f"/api/v1/watch/{place.enrolment_id}/neighbours"
    listed = mimura.get(path).json
    assert [n["supporter"]["first_name"] for n in listed["neighbours"]] == ["支援1"]
    assert [c["id"] for c in listed["candidates"]] == [place.other_id]
    assert listed["most"] == care_net.MAX_NEIGHBOURS
    missing = mimura.post(path, {"supporter": place.other_id})
    assert missing.status_code == 400
    refused = mimura.post(path, {"supporter": place.other_id, "consent": False})
    assert refused.status_code == 422
    assert refused.json["reason"] == "Linking a neighbour needs the resident's consent."
    assert refused.json["field"] == "consent"
    nobody = mimura.post(path, {"supporter": 999999, "consent": True})
    assert nobody.status_code == 422 and nobody.json["field"] == "supporter"
    made = mimura.post(path, {"supporter": place.other_id, "consent": True})
    assert made.status_code == 201
    neighbour = made.json["neighbour"]
    assert neighbour["position"] == 2 and neighbour["consent_by"]["id"] == place.staff["mimura"]
    again = mimura.post(path, {"supporter": place.other_id, "consent": True})
    assert again.status_code == 409
    assert again.json["reason"] == "This neighbour is linked already."
    gone = mimura.call("DELETE", f"{path}/{neighbour['link_id']}")
    assert gone.status_code == 200
    assert [n["supporter"]["id"] for n in gone.json["neighbours"]] == [place.supporter_id]
    assert mimura.call("DELETE", f"{path}/{neighbour['link_id']}").status_code == 404
    who = place.staff["mimura"]
    steps = [(action, staff) for action, staff, _detail in audited(place.db, "care_net.")]
    assert ("care_net.view", who) in steps
    assert steps[-2:] == [("care_net.link", who), ("care_net.unlink", who)]


def test_the_care_net_api_and_console_share_the_steps(place: Place) -> None:
    """Linked through the API, seen on the console's page; unlinked there, gone from the API."""
    path = f"/api/v1/watch/{place.enrolment_id}/neighbours"
    made = api(place, "mimura").post(path, {"supporter": place.other_id, "consent": True})
    browser = signed_in(place, "mimura")
    page = f"/console/watch/{place.enrolment_id}/neighbours"
    assert "支援2" in browser.get(page).get_data(as_text=True)
    browser.post(f"{page}/unlink", {"link": str(made.json["neighbour"]["link_id"])})
    listed = api(place, "mimura").get(path).json
    assert [n["supporter"]["id"] for n in listed["neighbours"]] == [place.supporter_id]


def test_the_care_net_api_is_404_for_other_teams_and_changes_nothing(place: Place) -> None:
    path = f"/api/v1/watch/{place.enrolment_id}/neighbours"
    with place.db.transaction() as session:
        enrolment = session.get_one(WatchEnrolment, place.enrolment_id)
        (link,) = care_net.links_of(session, enrolment)
        link_id = link.id
    callers = {who: api(place, who) for who in ("aoki", "tanaka", "mimura")}
    before = audit_count(place.db)
    for who in ("aoki", "tanaka"):
        outsider = callers[who]
        assert outsider.get(path).status_code == 404
        linked = outsider.post(path, {"supporter": place.other_id, "consent": True})
        assert linked.status_code == 404
        assert outsider.call("DELETE", f"{path}/{link_id}").status_code == 404
    assert callers["mimura"].get("/api/v1/watch/999999/neighbours").status_code == 404
    assert audit_count(place.db) == before
    with place.db.transaction() as session:
        enrolment = session.get_one(WatchEnrolment, place.enrolment_id)
        assert [n.id for n in care_net.links_of(session, enrolment)] == [link_id]
