"""The watch-over team's console pages: alarms first, a resident's rounds, a visit recorded,
pausing, changing a schedule, enrolling after a home visit; bad input gets a 400."""

from __future__ import annotations

from datetime import timedelta

import pytest
from casework_data import NOW, Office, enrolled, make_office, make_resident, make_staff
from console_client import Browser, StoppedClock, console_app, give_password
from flask import Flask
from sqlalchemy import select

from bot.scheduler import Scheduler
from flows.watch import checkin, checkin_sweep
from locales import town_date
from storage import routing
from storage.db import Database
from storage.models import AuditEntry, CheckinRound, OutboxMessage, Resident, WatchEnrolment

WAIT = timedelta(seconds=2)


@pytest.fixture
def office(db: Database) -> Office:
    found = make_office(db)
    # These pages are the watch-over team's (and admins'): mimura works in it.
    with db.transaction() as session:
        mimura = make_staff(session, "mimura", [routing.WATCH_TEAM])
    return Office(teams=found.teams, staff={**found.staff, "mimura": mimura.id})


def run_rounds(db: Database, until: timedelta) -> None:
    clock = StoppedClock(NOW)
    scheduler = Scheduler(db, clock, handlers=checkin_sweep.handlers(checkin.Timings(WAIT, WAIT)))
    elapsed = timedelta(0)
    while elapsed <= until:
        scheduler.fire_deadlines()
        clock.advance(timedelta(seconds=1))
        elapsed += timedelta(seconds=1)


@pytest.fixture
def app(db: Database, office: Office) -> Flask:
    return console_app(db, NOW + timedelta(minutes=1))


def staff(app: Flask, db: Database, office: Office) -> Browser:
    browser = Browser.of(app)
    assert browser.sign_in(give_password(db, office.staff["mimura"])).status_code == 302
    return browser


def test_raised_alerts_come_first_with_their_time(app: Flask, db: Database, office: Office) -> None:
    calm, _ = enrolled(db, "青木 一郎", "青木 家族")
    enrolled(db, "山田 花子", "山田 太郎")
    run_rounds(db, timedelta(seconds=1))
    with db.transaction() as session:
        row = session.scalars(select(CheckinRound).where(CheckinRound.enrolment_id == calm)).one()
        row.state, row.answer = "answered", "fine"
    run_rounds(db, timedelta(seconds=6))
    page = staff(app, db, office).get("/console/watch").get_data(as_text=True)
    assert page.index("山田 花子") < page.index("青木 一郎")
    assert "家族・担当に通知中" in page
    only = staff(app, db, office).get("/console/watch?today=escalated").get_data(as_text=True)
    assert "山田 花子" in only and "青木 一郎" not in only
    assert staff(app, db, office).get("/console/watch?today=bogus").status_code == 400


def test_recording_a_visit_settles_the_round_and_tells_the_family(
    app: Flask, db: Database, office: Office
) -> None:
    enrolment_id, family = enrolled(db, "山田 花子", "山田 太郎")
    run_rounds(db, timedelta(seconds=6))
    browser = staff(app, db, office)
    detail = browser.get(f"/console/watch/{enrolment_id}").get_data(as_text=True)
    assert "W-2026-" in detail and "山田 太郎" in detail
    with db.transaction() as session:
        round_id = session.scalars(select(CheckinRound)).one().id
    response = browser.post(
        f"/console/watch/rounds/{round_id}/outcome", {"how": "visit", "note": "元気でした"}
    )
    assert response.status_code == 302
    with db.transaction() as session:
        row = session.get(CheckinRound, round_id)
        assert row is not None and (row.state, row.resolution, row.note) == (
            "resolved",
            "visit",
            "元気でした",
        )
        pushed = session.scalars(
            select(OutboxMessage).where(OutboxMessage.to == family).order_by(OutboxMessage.id)
        ).all()
        assert "訪問して" in pushed[-1].messages[0]["body"]
        actions = [entry.action for entry in session.scalars(select(AuditEntry))]
        assert "watch.view" in actions and "watch.outcome" in actions
    bad = browser.post(f"/console/watch/rounds/{round_id}/outcome", {"how": "magic"})
    assert bad.status_code == 400


def test_staff_pause_change_and_resume(app: Flask, db: Database, office: Office) -> None:
    enrolment_id, _ = enrolled(db, "山田 花子", "山田 太郎")
    browser = staff(app, db, office)
    browser.get(f"/console/watch/{enrolment_id}")
    until = (town_date(NOW) + timedelta(days=10)).isoformat()
    assert browser.post(f"/console/watch/{enrolment_id}/pause", {"until": until}).status_code == 302
    assert (
        browser.post(f"/console/watch/{enrolment_id}/pause", {"until": "soon"}).status_code == 400
    )
    with db.transaction() as session:
        enrolment = session.get(WatchEnrolment, enrolment_id)
        assert enrolment is not None and (enrolment.status, enrolment.paused_by) == (
            "paused",
            "staff",
        )
    assert browser.post(f"/console/watch/{enrolment_id}/resume").status_code == 302
    form = {"frequency": "twice_weekly", "weekdays": ["1", "4"], "time": "10:30", "wait": "long"}
    assert browser.post(f"/console/watch/{enrolment_id}/schedule", form).status_code == 302
    with db.transaction() as session:
        enrolment = session.get(WatchEnrolment, enrolment_id)
        assert enrolment is not None
        assert (enrolment.status, enrolment.weekdays, enrolment.time_of_day) == (
            "active",
            [1, 4],
            "10:30",
        )
    wrong = {"frequency": "twice_weekly", "weekdays": ["1"], "time": "10:30"}
    assert browser.post(f"/console/watch/{enrolment_id}/schedule", wrong).status_code == 400


def test_enrolling_a_resident_after_a_home_visit(app: Flask, db: Database, office: Office) -> None:
    with db.transaction() as session:
        resident = make_resident(session, "鈴木 三郎")
        resident_id, user = resident.id, resident.line_user_id
    browser = staff(app, db, office)
    page = browser.get("/console/watch/enrol?q=鈴木").get_data(as_text=True)
    assert "鈴木 三郎" in page
    form = {"resident": str(resident_id), "frequency": "daily", "time": "9:00", "wait": "standard"}
    assert browser.post("/console/watch/enrol", form).status_code == 400, "consent is required"
    response = browser.post("/console/watch/enrol", {**form, "consent": "yes"})
    assert response.status_code == 302
    with db.transaction() as session:
        enrolment = session.scalars(select(WatchEnrolment)).one()
        assert (enrolment.enrolled_by, enrolment.time_of_day) == ("staff", "09:00")
        told = session.scalars(select(OutboxMessage).where(OutboxMessage.to == user)).one()
        assert "担当者" in told.messages[0]["body"]
        assert session.get(Resident, resident_id) is not None
    again = browser.get("/console/watch/enrol?q=鈴木").get_data(as_text=True)
    assert f'value="{resident_id}"' not in again, "an enrolled resident is not offered again"


def test_a_round_not_sent_says_why_in_words(app: Flask, db: Database, office: Office) -> None:
    enrolment_id, _ = enrolled(db, "山田 花子", "山田 太郎")
    with db.transaction() as session:
        for days, reason in ((2, "paused"), (1, "moved")):
            session.add(
                CheckinRound(
                    enrolment_id=enrolment_id,
                    due_at=NOW - timedelta(days=days),
                    state="skipped",
                    skip_reason=reason,
                    created_at=NOW,
                )
            )
    detail = staff(app, db, office).get(f"/console/watch/{enrolment_id}").get_data(as_text=True)
    assert "送信せず" in detail
    assert "(お休み中)" in detail and "(日時を変更)" in detail
    assert "paused" not in detail
