"""直す: a coordinator corrects a help request before offering it (console/requests.py `edit`,
PATCH /api/v1/help-requests/{id}): the first name a consultation did not ask, the day and time
agreed with the resident by phone, the note. Only while it is open or returned; audited with the
names of the fields that changed, never their values; 404 for anyone but coordinators."""

from __future__ import annotations

import json
from datetime import datetime

from casework_data import NOW, Office, make_resident
from console_client import signed_in
from coordinating_console import coordinating_app, coordinating_office, tokens  # noqa: F401 (office, app)
from flask import Flask
from sqlalchemy import select
from supporter_town import make_neighbour
from test_api import Api

from locales import TOWN_TZ
from storage import supporters
from storage.db import Database
from storage.districts import by_slug
from storage.models import AuditEntry, HelpRequest, Staff

# A consultation's 来週: the whole of next week, no first name (the consultation asks none),
# the phone it took, a note saying where it came from.
WEEK_FROM = datetime(2026, 12, 7, 0, 0, tzinfo=TOWN_TZ)
WEEK_UNTIL = datetime(2026, 12, 13, 23, 59, tzinfo=TOWN_TZ)
PHONE = "0465-00-2222"
NOTE = "相談 C-2026-000001 から"
# What the coordinator agreed with her by phone.
AGREED = {"first_name": "トメ", "day": "2026-12-09", "start": "10:00", "end": "11:00"}
AGREED_FROM = datetime(2026, 12, 9, 10, 0, tzinfo=TOWN_TZ)
AGREED_UNTIL = datetime(2026, 12, 9, 11, 0, tzinfo=TOWN_TZ)


def consultation_request(db: Database) -> int:
    with db.transaction() as session:
        hayakawa = by_slug(session, "hayakawa")
        assert hayakawa is not None
        made = supporters.new_request(
            session,
            make_resident(session, "小田 トメ"),
            "rubbish",
            WEEK_FROM,
            NOW,
            wanted_until=WEEK_UNTIL,
            district_id=hayakawa.id,
            phone=PHONE,
            note=NOTE,
        )
        return made.id


def offered(db: Database, office: Office, request_id: int) -> None:
    """Put to one neighbour: out to supporters, no longer to be corrected."""
    with db.transaction() as session:
        neighbour = make_neighbour(session, 1, session.get_one(Staff, office.staff["tanaka"]))
        help_request = session.get_one(HelpRequest, request_id)
        assert supporters.offer(session, help_request, [neighbour], NOW)


def as_stored(db: Database, request_id: int) -> tuple[object, ...]:
    with db.transaction() as session:
        found = session.get_one(HelpRequest, request_id)
        return (
            found.kind,
            found.district_id,
            found.wanted_from,
            found.wanted_until,
            found.first_name,
            found.phone,
            found.note,
            found.status,
        )


def changes(db: Database) -> list[dict[str, object]]:
    with db.transaction() as session:
        return [
            dict(entry.detail)
            for entry in session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "help_request.change")
                .order_by(AuditEntry.id)
            )
        ]


def test_a_consultation_request_gets_a_first_name_and_the_agreed_time(
    app: Flask, db: Database, office: Office
) -> None:
    request_id = consultation_request(db)
    browser = signed_in(app, db, office, "tanaka")
    page = browser.get(f"/console/requests/{request_id}").text
    assert f'href="/console/requests/{request_id}/edit"' in page and "直す" in page
    form = browser.get(f"/console/requests/{request_id}/edit")
    assert form.status_code == 200
    # Filled in as it is; the week said above the form, the phone there to correct.
    assert f'value="{PHONE}"' in form.text and NOTE in form.text
    assert 'value="2026-12-07"' in form.text and "いまの希望" in form.text
    typed = {
        "kind": "rubbish",
        "district": str(as_stored(db, request_id)[1]),
        "day": "2026-12-07",
        "start": "00:00",
        "end": "",
        "first_name": "",
        "phone": PHONE,
        "note": NOTE,
    }
    response = browser.post(f"/console/requests/{request_id}/edit", {**typed, **AGREED})
    assert response.status_code == 302, response.text[:300]
    shown = browser.follow(response).text
    assert "依頼を直しました" in shown
    assert "トメ" in shown and "10:00〜11:00" in shown and NOTE in shown
    kind, _district, wanted_from, wanted_until, first_name, phone, note, status = as_stored(
        db, request_id
    )
    assert (wanted_from, wanted_until) == (AGREED_FROM, AGREED_UNTIL)
    assert (kind, first_name, phone, note, status) == ("rubbish", "トメ", PHONE, NOTE, "open")
    # The audit names the fields, never the name, phone or note.
    [entry] = changes(db)
    assert entry == {
        "help_request": request_id,
        "fields": ["wanted_from", "wanted_until", "first_name"],
    }
    written = json.dumps(entry, ensure_ascii=False)
    assert "トメ" not in written and PHONE not in written


def test_correcting_the_note_keeps_a_window_of_several_days(
    app: Flask, db: Database, office: Office
) -> None:
    request_id = consultation_request(db)
    browser = signed_in(app, db, office, "tanaka")
    before = as_stored(db, request_id)
    typed = {
        "kind": "rubbish",
        "district": str(before[1]),
        "day": "2026-12-07",
        "start": "00:00",
        "end": "",
        "first_name": "",
        "phone": PHONE,
        "note": "門の前",
    }
    assert browser.post(f"/console/requests/{request_id}/edit", typed).status_code == 302
    after = as_stored(db, request_id)
    assert after[2:4] == (WEEK_FROM, WEEK_UNTIL) and after[6] == "門の前"
    assert changes(db) == [{"help_request": request_id, "fields": ["note"]}]
    # What the new-request form refuses is refused here too, and nothing changes.
    wrong = browser.post(
        f"/console/requests/{request_id}/edit", {**typed, **AGREED, "end": "09:00"}
    )
    assert wrong.status_code == 200 and "終わりは始まりより後" in wrong.text
    too_long = browser.post(
        f"/console/requests/{request_id}/edit", {**typed, "first_name": "ト" * 41}
    )
    assert too_long.status_code == 200
    assert as_stored(db, request_id) == after and len(changes(db)) == 1


def test_an_offered_request_is_refused_and_unchanged(
    app: Flask, db: Database, office: Office
) -> None:
    request_id = consultation_request(db)
    offered(db, office, request_id)
    before = as_stored(db, request_id)
    browser = signed_in(app, db, office, "tanaka")
    assert (
        f"/console/requests/{request_id}/edit"
        not in browser.get(f"/console/requests/{request_id}").text
    )
    form = browser.get(f"/console/requests/{request_id}/edit")
    assert form.status_code == 409 and "直すことはできません" in form.text
    refused = browser.post(f"/console/requests/{request_id}/edit", {"kind": "rubbish", **AGREED})
    assert refused.status_code == 409
    assert as_stored(db, request_id) == before and changes(db) == []


def test_other_teams_get_404_and_change_nothing(app: Flask, db: Database, office: Office) -> None:
    request_id = consultation_request(db)
    before = as_stored(db, request_id)
    aoki = signed_in(app, db, office, "aoki")
    assert aoki.get(f"/console/requests/{request_id}/edit").status_code == 404
    posted = aoki.post(f"/console/requests/{request_id}/edit", {"kind": "rubbish", **AGREED})
    assert posted.status_code == 404
    assert as_stored(db, request_id) == before and changes(db) == []


# --- the same through /api/v1 (answers checked against the OpenAPI document) --------------


def test_the_api_corrects_only_the_fields_given(app: Flask, db: Database, office: Office) -> None:
    request_id = consultation_request(db)
    given = tokens(db, office)
    api = Api(app.test_client(), given["tanaka"])
    path = f"/api/v1/help-requests/{request_id}"
    # The note alone: the week stays.
    noted = api.call("PATCH", path, {"note": "門の前"})
    assert noted.status_code == 200 and noted.json is not None
    assert noted.json["changed"] == ["note"]
    assert noted.json["help_request"]["note"] == "門の前"
    assert as_stored(db, request_id)[2:4] == (WEEK_FROM, WEEK_UNTIL)
    # The name and the agreed time.
    agreed = api.call("PATCH", path, AGREED)
    assert agreed.status_code == 200 and agreed.json is not None
    assert agreed.json["changed"] == ["wanted_from", "wanted_until", "first_name"]
    assert agreed.json["help_request"]["first_name"] == "トメ"
    stored = as_stored(db, request_id)
    assert stored[2:5] == (AGREED_FROM, AGREED_UNTIL, "トメ") and stored[5] == PHONE
    assert changes(db) == [
        {"help_request": request_id, "fields": ["note"]},
        {"help_request": request_id, "fields": ["wanted_from", "wanted_until", "first_name"]},
    ]
    # The same again changes nothing, and is not audited.
    again = api.call("PATCH", path, AGREED)
    assert again.status_code == 200 and again.json is not None and again.json["changed"] == []
    # Another district, by its slug, as when entering one.
    moved = api.call("PATCH", path, {"district": "okubo"})
    assert moved.status_code == 200 and moved.json is not None
    assert moved.json["changed"] == ["district"]
    assert moved.json["help_request"]["district"]["slug"] == "okubo"
    stored = as_stored(db, request_id)
    # Refused as the form refuses: nothing changes.
    for wrong in ({"end": "09:00"}, {"day": "12/09"}, {"kind": "taxi"}, {"phone": "0" * 21}):
        assert api.call("PATCH", path, wrong).status_code == 422, wrong
    for malformed in ({"note": 5}, {"district": "nowhere"}):
        assert api.call("PATCH", path, malformed).status_code == 400, malformed
    assert as_stored(db, request_id) == stored and len(changes(db)) == 3
    # Anyone else: 404, nothing changed.
    other = Api(app.test_client(), given["aoki"])
    assert other.call("PATCH", path, {"note": "x"}).status_code == 404
    # Out to supporters: 409, nothing changed.
    offered(db, office, request_id)
    before = as_stored(db, request_id)
    late = api.call("PATCH", path, {"first_name": "ハナ"})
    assert late.status_code == 409 and late.json is not None
    assert as_stored(db, request_id) == before and len(changes(db)) == 3
