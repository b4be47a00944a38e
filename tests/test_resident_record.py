"""The resident record (issue #16), on SQLite and PostgreSQL: suggestions from tickets with their
source, staff's values winning and remembering who typed them, contacts from the watch-over
family links and from staff, team rules as for tickets, and an audit entry for every view
and change, never holding what was written."""

from __future__ import annotations

from datetime import timedelta

import pytest
from casework_data import NOW, Office, enrolled, make_office, make_resident, make_ticket, staff
from console_client import Browser, console_app, give_password
from sqlalchemy import select

from storage import erasure, resident_record, tickets
from storage.db import Database
from storage.models import (
    AuditEntry,
    ResidentContact,
    ResidentDetail,
    Team,
    Ticket,
    WatchEnrolment,
)
from storage.refusals import Conflict, Refused

PHONE = "0465-00-1234"
NEW_PHONE = "0465-00-9876"


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


def _consultation(
    db: Database, office: Office, team: str = "marugoto", *, phone: str = PHONE, days_ago: int = 5
) -> tuple[int, str]:
    """A resident's consultation in which they gave a phone number; (resident id, reference)."""
    with db.transaction() as session:
        resident = make_resident(session, "小田原 花子")
        found = session.get(Team, office.teams[team])
        assert found is not None
        ticket = tickets.open_ticket(
            session,
            resident=resident,
            kind="consultation",
            team=found,
            now=NOW - timedelta(days=days_ago),
            urgency="soon",
            categories=["care"],
            contact={"method": "phone", "phone": phone, "when": "morning"},
        )
        return resident.id, ticket.reference


def _audit(db: Database, action: str) -> list[AuditEntry]:
    with db.transaction() as session:
        found = list(session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
        session.expunge_all()
        return found


# ---- Storage ------------------------------------------------------------------------------------


def test_a_phone_from_a_consultation_is_suggested_with_its_source(
    db: Database, office: Office
) -> None:
    resident_id, reference = _consultation(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        resident = resident_record.open_for(session, aoki, resident_id)
        assert resident is not None
        fields = {f.field: f for f in resident_record.fields_of(session, aoki, resident)}
        phone = fields["phone"]
        assert phone.kept is None and phone.suggestion is not None
        assert phone.suggestion.value == PHONE
        assert phone.suggestion.reference == reference and phone.suggestion.visible
        assert phone.suggestion.kind == "consultation"
        assert fields["case_number"].suggestion is None

        detail = resident_record.adopt(session, aoki, resident, "phone", NOW)
        assert (detail.value, detail.source, detail.source_reference) == (
            PHONE,
            "ticket",
            reference,
        )
        assert detail.staff_id == aoki.id and detail.updated_at == NOW
        fields = {f.field: f for f in resident_record.fields_of(session, aoki, resident)}
        assert fields["phone"].value == PHONE and fields["phone"].suggestion is None
        with pytest.raises(Conflict):
            resident_record.adopt(session, aoki, resident, "phone", NOW)
    (entry,) = _audit(db, resident_record.ADOPT)
    assert entry.detail == {"resident": resident_id, "fields": ["phone"]}
    assert PHONE not in str(entry.detail)


def test_staff_values_win_remember_who_typed_them_and_a_newer_ticket_is_suggested_again(
    db: Database, office: Office
) -> None:
    resident_id, _reference = _consultation(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        resident = resident_record.open_for(session, aoki, resident_id)
        assert resident is not None
        changed = resident_record.save(
            session,
            aoki,
            resident,
            {"phone": ("", "0465-00-5555"), "case_number": ("", "K-123"), "name": ("", "")},
            NOW,
        )
        assert changed == ["phone", "case_number"]
        fields = {f.field: f for f in resident_record.fields_of(session, aoki, resident)}
        phone = fields["phone"]
        assert phone.value == "0465-00-5555" and phone.suggestion is None, "staff's value wins"
        assert phone.kept is not None and phone.kept.source == "staff"
        assert phone.kept.staff_id == aoki.id and phone.kept.source_reference is None
        assert fields["case_number"].value == "K-123"

        # A form shown before someone else's change does not overwrite it.
        with pytest.raises(Conflict):
            resident_record.save(session, aoki, resident, {"phone": ("", "0465-00-7777")}, NOW)
        with pytest.raises(Refused):
            resident_record.save(
                session, aoki, resident, {"phone": ("0465-00-5555", "call me")}, NOW
            )
        # Clearing a field removes it.
        assert resident_record.save(session, aoki, resident, {"case_number": ("K-123", "")}, NOW)
        fields = {f.field: f for f in resident_record.fields_of(session, aoki, resident)}
        assert fields["case_number"].kept is None

        # A consultation after the kept value, with another number: suggested beside it.
        team = session.get(Team, office.teams["marugoto"])
        assert team is not None
        newer = tickets.open_ticket(
            session,
            resident=resident,
            kind="consultation",
            team=team,
            now=NOW + timedelta(days=1),
            contact={"method": "phone", "phone": NEW_PHONE},
        )
        fields = {f.field: f for f in resident_record.fields_of(session, aoki, resident)}
        assert fields["phone"].value == "0465-00-5555"
        suggestion = fields["phone"].suggestion
        assert suggestion is not None and suggestion.value == NEW_PHONE
        assert suggestion.reference == newer.reference
    edits = _audit(db, resident_record.EDIT)
    assert [entry.detail["fields"] for entry in edits] == [
        ["phone", "case_number"],
        ["case_number"],
    ]
    assert all(
        "0465" not in str(entry.detail) and "K-123" not in str(entry.detail) for entry in edits
    )


def test_a_name_from_a_staff_opened_ticket_is_suggested(db: Database, office: Office) -> None:
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        ticket = tickets.open_for_channel(
            session,
            aoki,
            channel="phone",
            now=NOW,
            worry="電話で相談",
            name="電話 太郎",
            phone="0465-00-2222",
        )
        resident = resident_record.open_for(session, aoki, ticket.resident_id)
        assert resident is not None
        fields = {f.field: f for f in resident_record.fields_of(session, aoki, resident)}
        assert fields["name"].suggestion is not None
        assert fields["name"].suggestion.value == "電話 太郎"
        assert fields["phone"].suggestion is not None
        assert fields["address"].suggestion is None


def test_contacts_come_from_family_links_and_from_staff(db: Database, office: Office) -> None:
    enrolment_id, _family_user = enrolled(db, "見守 トメ", "見守 一郎")
    with db.transaction() as session:
        enrolment = session.get(WatchEnrolment, enrolment_id)
        assert enrolment is not None
        resident = enrolment.resident
        make_ticket(session, office.teams["marugoto"], resident=resident)
        aoki = staff(session, office.staff["aoki"])
        family = resident_record.family_on_line(session, resident)
        assert [member.name for member in family] == ["見守 一郎"]
        contact = resident_record.add_contact(
            session,
            aoki,
            resident,
            name="見守 花子",
            relation="長女",
            phone="090-0000-0000",
            note="平日の夜",
            now=NOW,
        )
        with pytest.raises(Refused):
            resident_record.add_contact(session, aoki, resident, name=" ", now=NOW)
        with pytest.raises(Refused):
            resident_record.add_contact(session, aoki, resident, name="x", phone="call", now=NOW)
        assert [c.name for c in resident_record.contacts_of(session, resident)] == ["見守 花子"]
        contact_id, resident_id = contact.id, resident.id
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        resident = resident_record.open_for(session, aoki, resident_id)
        assert resident is not None
        assert resident_record.remove_contact(session, aoki, resident, contact_id, NOW)
        assert not resident_record.remove_contact(session, aoki, resident, contact_id, NOW)
        assert resident_record.contacts_of(session, resident) == []
    (added,) = _audit(db, resident_record.CONTACT_ADD)
    (removed,) = _audit(db, resident_record.CONTACT_REMOVE)
    assert added.detail == removed.detail == {"resident": resident_id, "contact": contact_id}


def test_team_rules_as_for_tickets(db: Database, office: Office) -> None:
    resident_id, _reference = _consultation(db, office, "kourei")
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        chiba = staff(session, office.staff["chiba"])
        boss = staff(session, office.staff["boss"])
        assert resident_record.open_for(session, aoki, resident_id) is None
        assert resident_record.open_for(session, aoki, 10_000) is None
        seen = resident_record.open_for(session, chiba, resident_id)
        assert seen is not None
        assert resident_record.open_for(session, boss, resident_id) is not None
        # A ticket of 福祉まるごと相談 too: aoki sees the record, and only that ticket on it.
        ours = make_ticket(session, office.teams["marugoto"], resident=seen)
        assert resident_record.open_for(session, aoki, resident_id) is not None
        assert [t.reference for t in resident_record.tickets_of(session, aoki, seen)] == [
            ours.reference
        ]
        # The phone the other team's consultation holds is suggested, but not its reference.
        suggestion = resident_record.suggestions_for(session, aoki, seen)["phone"]
        assert suggestion.value == PHONE and not suggestion.visible


def test_an_erasure_takes_the_record(db: Database, office: Office) -> None:
    resident_id, _reference = _consultation(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        resident = resident_record.open_for(session, aoki, resident_id)
        assert resident is not None
        resident_record.save(session, aoki, resident, {"address": ("", "小田原市早川1-1")}, NOW)
        resident_record.add_contact(session, aoki, resident, name="早川 次郎", now=NOW)
        erasure.erase_resident(session, resident, NOW, staff=aoki)
    with db.transaction() as session:
        assert session.scalars(select(ResidentDetail)).all() == []
        assert session.scalars(select(ResidentContact)).all() == []
    page = _browser(db, office.staff["boss"]).get(f"/console/residents/{resident_id}").text
    assert "相談者のデータを消去しました" in page
    assert "早川1-1" not in page and "早川 次郎" not in page


# ---- The console --------------------------------------------------------------------------------


def _browser(db: Database, staff_id: int) -> Browser:
    browser = Browser.of(console_app(db, NOW))
    assert browser.sign_in(give_password(db, staff_id)).status_code == 302
    return browser


def test_the_page_follows_team_rules_and_every_view_and_change_is_audited(
    db: Database, office: Office
) -> None:
    resident_id, reference = _consultation(db, office)
    path = f"/console/residents/{resident_id}"
    chiba = _browser(db, office.staff["chiba"])
    assert chiba.get(path).status_code == 404, "another team's resident does not exist"
    assert chiba.post(f"{path}/details", {"case_number": "X"}).status_code == 404
    assert chiba.post(f"{path}/contacts", {"name": "X"}).status_code == 404
    assert chiba.post(f"{path}/adopt", {"field": "nonsense"}).status_code == 404
    assert chiba.post(f"{path}/contacts/remove", {}).status_code == 404
    assert chiba.get("/console/residents/99999").status_code == 404

    boss = _browser(db, office.staff["boss"])
    assert boss.get(path).status_code == 200, "an admin sees every record"

    aoki = _browser(db, office.staff["aoki"])
    ticket_page = aoki.get(f"/console/tickets/{reference}").text
    assert f'href="{path}"' in ticket_page, "the ticket page links to the record"
    page = aoki.get(path)
    assert page.status_code == 200
    assert PHONE in page.text and reference in page.text
    assert len(_audit(db, resident_record.VIEW)) == 2

    saved = aoki.post(f"{path}/details", {"case_number": "K-2026-001", "shown_case_number": ""})
    assert saved.status_code == 302
    assert aoki.post(f"{path}/adopt", {"field": "phone"}).status_code == 302
    assert aoki.post(f"{path}/adopt", {"field": "case_number"}).status_code == 400
    added = aoki.post(f"{path}/contacts", {"name": "小田原 次郎", "relation": "長男"})
    assert added.status_code == 302
    without_token = aoki.post(f"{path}/contacts", {"name": "X"}, csrf=False)
    assert without_token.status_code == 400
    page = aoki.follow(added).text
    assert "K-2026-001" in page and "小田原 次郎" in page and "長男" in page
    with db.transaction() as session:
        contact_id = session.scalars(select(ResidentContact.id)).one()
    removed = aoki.post(f"{path}/contacts/remove", {"contact": str(contact_id)})
    assert removed.status_code == 302
    again = aoki.post(f"{path}/contacts/remove", {"contact": str(contact_id)})
    assert again.status_code == 302 and "もう記録にありません" in aoki.follow(again).text

    actions = [entry.action for entry in _audit_all(db) if entry.action.startswith("resident.")]
    assert actions.count(resident_record.VIEW) == 4
    for action in (
        resident_record.EDIT,
        resident_record.ADOPT,
        resident_record.CONTACT_ADD,
        resident_record.CONTACT_REMOVE,
    ):
        assert actions.count(action) == 1, action
    audit_page = boss.get(f"/console/admin/audit?action={resident_record.EDIT}").text
    assert "住民記録を変更" in audit_page and "ケース番号" in audit_page, "the entry in words"


def _audit_all(db: Database) -> list[AuditEntry]:
    with db.transaction() as session:
        found = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        session.expunge_all()
        return found


def test_the_tickets_on_the_record_are_those_the_reader_sees(db: Database, office: Office) -> None:
    resident_id, theirs = _consultation(db, office, "kourei")
    with db.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == theirs)).one()
        ours = make_ticket(session, office.teams["marugoto"], resident=ticket.resident).reference
    page = _browser(db, office.staff["aoki"]).get(f"/console/residents/{resident_id}").text
    assert ours in page and theirs not in page
    assert PHONE in page, "the phone is suggested, its ticket not named"
