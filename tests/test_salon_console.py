"""Admins keep the salon directory current in the console: list, edit, pause or end a salon."""

from __future__ import annotations

import pytest
from casework_data import NOW, Office, make_office
from console_client import console_app, signed_in
from flask import Flask
from sqlalchemy import select

from storage.db import Database
from storage.models import AuditEntry, Salon
from storage.sample_town import load_salons


@pytest.fixture
def office(db: Database) -> Office:
    office = make_office(db)
    with db.transaction() as session:
        load_salons(session, NOW)
    return office


@pytest.fixture
def app(db: Database, office: Office) -> Flask:
    return console_app(db, NOW)


def first_salon(db: Database) -> Salon:
    with db.transaction() as session:
        return session.scalars(select(Salon).where(Salon.code == "S001")).one()


def form_of(salon: Salon, **changes: str) -> dict[str, str]:
    form = {
        "name": salon.name,
        "kind": "ふれあいサロン",
        "district": "緑",
        "address": salon.address,
        "latitude": str(salon.latitude),
        "longitude": str(salon.longitude),
        "schedule": "第2・第4金曜",
        "start": "13:30",
        "end": "15:30",
        "audiences": "高齢者",
        "skip_holidays": "1",
    }
    return {**form, **changes}


def test_the_list_shows_every_salon_with_status_and_stale_flags(
    app: Flask, db: Database, office: Office
) -> None:
    page = signed_in(app, db, office, "boss").get("/console/admin/salons").get_data(as_text=True)
    assert "ふれあいサロン「ひだまり」" in page
    assert "休止中" in page and "1年以上前" in page
    assert page.count("<tr>") >= 60


def test_only_admins_edit_salons(app: Flask, db: Database, office: Office) -> None:
    browser = signed_in(app, db, office, "aoki")
    assert browser.get("/console/admin/salons").status_code == 403


def test_an_edit_is_checked_like_an_import_and_audited(
    app: Flask, db: Database, office: Office
) -> None:
    browser = signed_in(app, db, office, "boss")
    salon = first_salon(db)
    path = f"/console/admin/salons/{salon.id}"
    assert browser.get(path).status_code == 200
    refused = browser.post(path, form_of(salon, start="25:00"))
    assert refused.status_code == 400
    assert "開始時間" in refused.get_data(as_text=True)
    assert first_salon(db).schedule_text == salon.schedule_text
    saved = browser.post(path, form_of(salon, confirmed_today="1", cancellations="2026-12-11"))
    assert saved.status_code == 302
    after = first_salon(db)
    assert after.schedule_text == "第2・第4金曜" and after.skip_holidays
    assert after.last_confirmed is not None and after.last_confirmed.isoformat() == "2026-12-01"
    with db.transaction() as session:
        assert [c.day.isoformat() for c in session.get(Salon, salon.id).cancellations] == [  # type: ignore[union-attr]
            "2026-12-11"
        ]
        actions = session.scalars(select(AuditEntry.action)).all()
        assert "salon_edit" in actions


def test_a_refused_edit_says_why_in_the_staff_members_language(
    app: Flask, db: Database, office: Office
) -> None:
    browser = signed_in(app, db, office, "boss")
    salon = first_salon(db)
    path = f"/console/admin/salons/{salon.id}"
    refused = browser.post(path, form_of(salon, phone="でんわ", start="25:00"))
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert "電話番号: 「でんわ」は電話番号として読めません（例: 0465-00-1234）" in page
    # A reason from the schedule reader reaches the form in Japanese too.
    assert "開始時間: 25:00 という時刻はありません" in page
    assert "not a phone number" not in page
    browser.post("/console/language", {"lang": "en", "next": path})
    english = browser.post(path, form_of(salon, phone="でんわ")).get_data(as_text=True)
    assert "電話番号: &#39;でんわ&#39; is not a phone number like 0465-00-1234" in english
    assert first_salon(db).phone == salon.phone


def test_pausing_a_salon_takes_it_out_of_line_and_is_audited(
    app: Flask, db: Database, office: Office
) -> None:
    browser = signed_in(app, db, office, "boss")
    salon = first_salon(db)
    done = browser.post(f"/console/admin/salons/{salon.id}/status", {"status": "paused"})
    assert done.status_code == 302
    assert first_salon(db).status == "paused"
    assert (
        browser.post(f"/console/admin/salons/{salon.id}/status", {"status": "gone"}).status_code
        == 400
    )
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "salon_status")).one()
        assert entry.detail["to"] == "paused"
