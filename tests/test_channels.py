"""Every channel is a ticket (issue #16): staff open one for a phone call, a visit to the desk,
a home visit or a 民生委員's referral, routed and timed like a LINE consultation; a contact log
whose next-action date brings the ticket back to the assignee's queue on that day; and a
printable 支援経過 record. Runs on SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from casework_data import NOW, Office, make_office, make_ticket
from console_client import Browser, console_app, give_password
from flask import Flask
from sqlalchemy import func, select

import console
import locales
from storage import business_time, casework, contacts, outbox, tickets
from storage.db import Database
from storage.models import AuditEntry, OutboxMessage, Resident, Staff, Team, Ticket
from storage.refusals import Refused


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


@pytest.fixture
def app(db: Database, office: Office) -> Flask:
    return console_app(db, NOW)


def signed_in(app: Flask, db: Database, office: Office, who: str) -> Browser:
    browser = Browser.of(app)
    assert browser.sign_in(give_password(db, office.staff[who])).status_code == 302
    return browser


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def outbox_count(db: Database) -> int:
    with db.transaction() as session:
        return session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


# ---- Storage -----------------------------------------------------------------------------------


def test_a_phone_call_is_routed_and_timed_like_a_line_consultation_for_someone_not_on_line(
    db: Database, office: Office
) -> None:
    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        ticket = tickets.open_for_channel(
            session,
            aoki,
            channel="phone",
            now=NOW,
            worry="母の介護のことで電話がありました",
            categories=["care"],
            about="family",
            urgency="today",
            name="小田原 次郎",
            phone="0465-00-1111",
        )
        kourei = session.scalars(select(Team).where(Team.slug == "kourei")).one()
        # The same routing rules (介護 → 高齢・介護) and the same SLA as a LINE consultation.
        assert ticket.team_id == kourei.id
        assert ticket.sla_due_at == business_time.sla_due(kourei, "today", NOW)
        assert (ticket.kind, ticket.channel, ticket.status) == ("consultation", "phone", "new")
        assert ticket.contact == {"method": "phone", "phone": "0465-00-1111", "name": "小田原 次郎"}
        resident = session.get(Resident, ticket.resident_id)
        assert resident is not None and resident.line_user_id is None
        assert resident.display_name == "小田原 次郎" and not resident.following
        [first] = ticket.messages
        assert (first.author, first.staff_id, first.body) == (
            "note",
            aoki.id,
            "母の介護のことで電話がありました",
        )
        opened = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "open", AuditEntry.ticket_id == ticket.id)
        ).one()
        assert opened.staff_id == aoki.id and opened.detail["channel"] == "phone"

        # Nothing is ever sent to someone not on LINE: a reply is refused with what to do,
        # a notice to the resident is skipped, and the outbox itself takes no message to nobody.
        chiba = session.get(Staff, office.staff["chiba"])
        assert chiba is not None
        with pytest.raises(Refused, match="not on LINE"):
            casework.reply(session, chiba, ticket, "お電話します", NOW)
        assert casework.tell_resident(session, ticket, "担当が変わりました", NOW) is False
        with pytest.raises(ValueError):
            outbox.enqueue(session, None, [{"type": "text", "text": "x"}], NOW)  # type: ignore[arg-type]
    assert outbox_count(db) == 0


def test_staff_intake_refuses_what_a_person_must_fix(db: Database, office: Office) -> None:
    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        for wrong in (
            {"channel": "line"},
            {"worry": "  "},
            {"name": ""},
            {"urgency": "now"},
            {"phone": "電話して"},
            {"district_id": 999_999},
        ):
            given = {"channel": "desk", "worry": "相談", "name": "来所 太郎", **wrong}
            with pytest.raises(Refused):
                tickets.open_for_channel(session, aoki, now=NOW, **given)  # type: ignore[arg-type]
        # A resident known from LINE keeps their record; the ticket is theirs.
        known = make_ticket(session, office.teams["marugoto"])
        ticket = tickets.open_for_channel(
            session,
            aoki,
            channel="minsei",
            now=NOW,
            worry="独居で心配",
            referrer="民生 花子",
            resident=known.resident,
        )
        assert ticket.resident_id == known.resident_id
        assert ticket.intake["referrer"] == "民生 花子"


def test_the_contact_log_sets_the_next_step_and_the_first_response(
    db: Database, office: Office
) -> None:
    day = locales.town_date(NOW) + timedelta(days=2)
    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        ticket = make_ticket(session, office.teams["marugoto"])
        with pytest.raises(Refused):
            contacts.record(
                session,
                aoki,
                ticket,
                method="phone",
                outcome="reached",
                now=NOW,
                next_action_on=locales.town_date(NOW) - timedelta(days=1),
            )
        contacts.record(
            session,
            aoki,
            ticket,
            method="phone",
            outcome="no_answer",
            now=NOW,
            note="留守電に伝言",
            next_action_on=day,
        )
        assert ticket.first_response_at == NOW
        assert ticket.follow_up_at == locales.start_of_town_day(day)
        # Due from the first moment of that day in the town, not before.
        assert not contacts.follow_up_due(
            ticket, locales.start_of_town_day(day) - timedelta(seconds=1)
        )
        assert contacts.follow_up_due(ticket, locales.start_of_town_day(day))
        later = NOW + timedelta(hours=1)
        contacts.record(session, aoki, ticket, method="visit", outcome="reached", now=later)
        assert ticket.follow_up_at is None, "the step that was due was done"
        assert ticket.first_response_at == NOW
        assert [entry.method for entry in contacts.of_ticket(session, ticket)] == ["phone", "visit"]
        logged = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "contact").order_by(AuditEntry.id)
        ).all()
        assert [entry.detail["follow_up"] for entry in logged] == [day.isoformat(), None]


def test_a_next_step_due_comes_after_emergencies_and_overdue_and_before_the_rest(
    db: Database, office: Office
) -> None:
    """The queue's order as of a moment: emergencies and overdue tickets, then the tickets
    whose next-action day has come, then the rest (each band by urgency, then due time)."""
    tomorrow = locales.town_date(NOW) + timedelta(days=1)
    team = office.teams["marugoto"]
    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        emergency = make_ticket(session, team, urgency="emergency", due_in=timedelta(hours=1))
        overdue = make_ticket(session, team, urgency="anytime", due_in=timedelta(hours=-1))
        # Due later today, then overdue by tomorrow morning.
        within_the_day = make_ticket(session, team, urgency="today", due_in=timedelta(hours=5))
        # More urgent than the callback by its label, but not due for a long time.
        far = make_ticket(session, team, urgency="soon", due_in=timedelta(days=10))
        callback = make_ticket(session, team, urgency="anytime", due_in=timedelta(days=10))
        casework.claim(session, aoki, callback, NOW)
        contacts.record(
            session,
            aoki,
            callback,
            method="phone",
            outcome="no_answer",
            now=NOW,
            next_action_on=tomorrow,
        )
        names = {
            emergency.reference: "emergency",
            overdue.reference: "overdue",
            within_the_day.reference: "within the day",
            far.reference: "far",
            callback.reference: "callback",
        }

        def order(moment: datetime) -> list[str]:
            queue = casework.queue(session, aoki, team_id=team, view="open", now=moment)
            return [names[ticket.reference] for ticket in queue]

        # Today: the callback is tomorrow's, so it waits at the bottom, by its urgency.
        assert not contacts.follow_up_due(callback, NOW)
        assert order(NOW) == ["emergency", "overdue", "within the day", "far", "callback"]
        # Tomorrow at 09:00 in the town: the ticket due yesterday joins the overdue band,
        # ranked by urgency within it, and the callback comes next, above the one not due.
        morning = locales.start_of_town_day(tomorrow) + timedelta(hours=9)
        assert contacts.follow_up_due(callback, morning)
        assert order(morning) == ["emergency", "within the day", "overdue", "callback", "far"]
        # From the first moment of that day, not the evening before.
        assert order(locales.start_of_town_day(tomorrow) - timedelta(seconds=1))[-1] == "callback"
        assert order(locales.start_of_town_day(tomorrow))[-2:] == ["callback", "far"]
        # The step that was due done, the ticket drops back to its place among the rest.
        contacts.record(session, aoki, callback, method="phone", outcome="reached", now=morning)
        assert order(morning)[-1] == "callback"


# ---- The console -------------------------------------------------------------------------------


def test_a_phone_call_ticket_with_a_next_action_date_comes_back_to_the_queue_that_day(
    app: Flask, db: Database, office: Office
) -> None:
    aoki = signed_in(app, db, office, "aoki")
    form = aoki.get("/console/tickets/new")
    assert form.status_code == 200 and "相談を受け付ける" in form.text
    opened = aoki.post(
        "/console/tickets/new",
        {
            "channel": "phone",
            "name": "電話 一郎",
            "phone": "0465-00-2222",
            "about": "self",
            "urgency": "anytime",
            "worry": "ゴミ出しが難しくなってきた",
            "take": "1",
        },
    )
    assert opened.status_code == 302, opened.text[:2000]
    page = aoki.follow(opened)
    reference = re.search(r"/console/tickets/([A-Z]-\d{4}-\d{6})", opened.headers["Location"])
    assert reference is not None
    reference = reference.group(1)
    words = text_of(page.text)
    assert "電話 一郎" in words and "0465-00-2222" in words and "受付経路 電話" in words
    assert "LINE未利用" in words and "ゴミ出しが難しくなってきた" in words
    with db.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        assert ticket.assignee_id == office.staff["aoki"], "taken through the one claim path"
        assert ticket.channel == "phone"

    # The next step in three days; the form refuses nonsense without a 500.
    day = locales.town_date(NOW) + timedelta(days=3)
    assert (
        aoki.post(f"/console/tickets/{reference}/contact", {"method": "fax", "outcome": "x"})
    ).status_code == 400
    logged = aoki.post(
        f"/console/tickets/{reference}/contact",
        {
            "method": "phone",
            "outcome": "no_answer",
            "note": "不在。三日後にかけ直す",
            "next_action_on": day.isoformat(),
        },
    )
    assert logged.status_code == 302
    words = text_of(aoki.follow(logged).text)
    assert (
        "対応を記録しました" in words and "応答なし" in words and "不在。三日後にかけ直す" in words
    )

    # Another of aoki's tickets: more urgent by its label, but not due for a long time.
    with db.transaction() as session:
        other = make_ticket(
            session, office.teams["marugoto"], urgency="today", due_in=timedelta(days=10)
        )
        taken = session.get(Staff, office.staff["aoki"])
        assert taken is not None and casework.claim(session, taken, other, NOW)
        other_reference = other.reference

    def rows_of(page: str) -> list[str]:
        return re.findall(r'data-focus-key="open-([^"]+)"', page)

    queue = "/console/queue?team=marugoto&view=mine"
    assert "次の対応日が来た相談" not in text_of(aoki.get(queue).text)
    assert rows_of(aoki.get(queue).text) == [other_reference, reference]
    clock = app.extensions["madoguchi"].clock
    # The evening before (town time): not yet.
    clock.advance(locales.start_of_town_day(day) - NOW - timedelta(minutes=1))
    aoki = signed_in(app, db, office, "aoki")
    assert "次の対応日が来た相談" not in text_of(aoki.get(queue).text)
    # That day: back in the assignee's queue, flagged as due today (signed in that morning).
    clock.advance(timedelta(hours=9))
    aoki = signed_in(app, db, office, "aoki")
    page = aoki.get(queue).text
    mine = text_of(page)
    assert "今日の予定 — 次の対応日が来た相談：1件" in mine and "今日が次の対応日" in mine
    # In the list too, the callback due today comes first, above the one not yet due.
    assert rows_of(page) == [reference, other_reference]
    live = text_of(aoki.get("/console/queue/live?team=marugoto&view=mine").text)
    assert "今日が次の対応日" in live

    # Logging the call that was due clears it.
    aoki.post(f"/console/tickets/{reference}/contact", {"method": "phone", "outcome": "reached"})
    assert "次の対応日が来た相談" not in text_of(aoki.get(queue).text)


def test_the_intake_form_keeps_what_was_typed_when_refused(
    app: Flask, db: Database, office: Office
) -> None:
    aoki = signed_in(app, db, office, "aoki")
    refused = aoki.post(
        "/console/tickets/new",
        {"channel": "desk", "name": "来所 花子", "urgency": "anytime", "worry": ""},
    )
    assert refused.status_code == 422
    assert "相談内容を書いてください" in refused.text and "来所 花子" in refused.text
    unknown = aoki.post(
        "/console/tickets/new",
        {
            "channel": "desk",
            "worry": "x",
            "urgency": "anytime",
            "resident_of": "C-2026-999999",
        },
    )
    assert unknown.status_code == 422 and "その受付番号" in unknown.text


def test_the_support_record_prints_intake_contacts_and_thread_in_time_order(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        ticket = tickets.open_for_channel(
            session,
            aoki,
            channel="home_visit",
            now=NOW,
            worry="訪問で食事がとれていない様子",
            name="訪問 トメ",
            urgency="today",
        )
        casework.claim(session, aoki, ticket, NOW)
        contacts.record(
            session,
            aoki,
            ticket,
            method="visit",
            outcome="reached",
            now=NOW + timedelta(hours=2),
            note="配食サービスを案内",
        )
        casework.note(session, aoki, ticket, "ケアマネに連絡済み", NOW + timedelta(hours=3))
        # It changes hands: to baba, then to 高齢・介護, where chiba takes it.
        baba = session.get(Staff, office.staff["baba"])
        chiba = session.get(Staff, office.staff["chiba"])
        kourei = session.get(Team, office.teams["kourei"])
        assert baba is not None and chiba is not None and kourei is not None
        later = NOW + timedelta(hours=3, minutes=30)
        casework.assign(session, aoki, ticket, baba, "地区の担当のため", later)
        casework.transfer(session, baba, ticket, kourei, "介護保険の申請", NOW + timedelta(hours=4))
        assert casework.claim(session, chiba, ticket, NOW + timedelta(hours=5))
        reference = ticket.reference
    # chiba of the receiving team reads the whole course, from before it came to them.
    browser = signed_in(app, db, office, "chiba")
    ticket_page = browser.get(f"/console/tickets/{reference}").text
    assert f"/console/tickets/{reference}/record" in ticket_page, "linked from the ticket"
    page = browser.get(f"/console/tickets/{reference}/record")
    assert page.status_code == 200
    assert "record.css" in page.text
    words = text_of(page.text)
    assert "支援経過記録" in words and reference in words and "訪問 トメ" in words
    assert "受付経路 訪問" in words
    order = [
        words.index("訪問で食事がとれていない様子"),
        words.index("12/01 09:30 担当の割り当て aoki aokiさんが担当"),
        words.index("配食サービスを案内"),
        words.index("ケアマネに連絡済み"),
        words.index(
            "12/01 13:00 担当の割り当て aoki 担当をaokiさんからbabaさんへ変更 地区の担当のため"
        ),
        words.index(
            "12/01 13:30 引き継ぎ baba 福祉まるごと相談から高齢・介護（地域包括支援センター）へ"
            "引き継ぎ 介護保険の申請"
        ),
        words.index("12/01 14:30 担当の割り当て chiba chibaさんが担当"),
    ]
    assert order == sorted(order), "the worry, taken, the visit, the note, then the hand-overs"
    # Town time, no raw keys, no ISO or UTC times.
    assert "12/01 09:30" in words and "12/01 11:30" in words
    assert not re.search(r"\d{4}-\d{2}-\d{2}T|\+00:00|\bUTC\b|\w_id\b|home_visit", words)
    style = (Path(console.__file__).parent / "static" / "record.css").read_text()
    assert "size: A4" in style and "@media print" in style
    with db.transaction() as session:
        viewed = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "view")
        )
        assert viewed and viewed >= 2, "reading the record is audited like opening the ticket"


def test_reports_count_tickets_of_every_channel(app: Flask, db: Database, office: Office) -> None:
    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        aoki.role = "supervisor"
        make_ticket(session, office.teams["marugoto"])
        for channel in ("phone", "desk", "minsei"):
            tickets.open_for_channel(
                session, aoki, channel=channel, now=NOW, worry="相談", name="名前"
            )
    browser = signed_in(app, db, office, "aoki")
    page = browser.get("/console/reports?from=2026-12-01&to=2026-12-01&team=marugoto")
    tables = re.findall(r"<tbody>.*?</tbody>", page.text, re.S)
    assert re.search(r"福祉まるごと相談 4 ", text_of(tables[0])), "every channel is counted"
    # LINE, phone, desk, home visit, 民生委員, then the total.
    assert re.search(r"福祉まるごと相談 1 1 1 0 1 4", text_of(tables[1])), text_of(tables[1])
    exported = browser.get("/console/reports.csv?from=2026-12-01&to=2026-12-01&team=marugoto")
    body = exported.get_data(as_text=True)
    assert "受付（電話）" in body and "受付（民生委員からのつなぎ）" in body


def test_erasing_someone_not_on_line_forgets_their_name_in_notes_and_the_contact_log(
    db: Database, office: Office
) -> None:
    from storage import erasure

    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        ticket = tickets.open_for_channel(
            session,
            aoki,
            channel="desk",
            now=NOW,
            worry="来所 次郎さん本人が来所",
            name="来所 次郎",
            phone="0465-00-4444",
        )
        contacts.record(
            session,
            aoki,
            ticket,
            method="phone",
            outcome="reached",
            now=NOW,
            note="0465-00-4444 に折り返し",
        )
        resident = session.get(Resident, ticket.resident_id)
        assert resident is not None
        erasure.erase_resident(session, resident, NOW, staff=aoki)
        session.flush()
        [logged] = contacts.of_ticket(session, ticket)
        assert "0465-00-4444" not in logged.note
        assert all("来所 次郎" not in entry.body for entry in ticket.messages)
        assert ticket.contact == {} and ticket.status == "closed"
    assert outbox_count(db) == 0
