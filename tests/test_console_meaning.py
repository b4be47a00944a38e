"""Meaning, not data (issue #16): no console page or export shows a raw key, a code, a Python
value or a UTC timestamp.

The sample town with a ticket of every kind (a consultation, a safety alarm, a watch-over
alert) and a thread holding a sticker, a photo, the bot's answers, a staff reply, a note and a
hand-over between teams. Then every console page the app's URL map has is opened, as an admin
and as ordinary staff, in Japanese and in English, and the words a person reads are checked:
no `something_id`, no ISO or UTC timestamp, no snake_case word outside <code>, no Python repr,
and (in Japanese) none of the codes the database stores (statuses, safety kinds, team slugs…).
The CSV exports are checked the same way.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from builders import make_event
from casework_data import (
    NOW,
    Office,
    enrolled,
    make_office,
    make_resident,
    make_staff,
    make_ticket,
)
from console_client import Browser, StoppedClock, console_app, give_password
from dialogue import Dialogue
from flask import Flask
from sqlalchemy import select
from werkzeug.routing import Rule

import locales
from bot.scheduler import Scheduler
from console import labels
from flows.safety import rules
from flows.watch import checkin, checkin_sweep
from storage import (
    attachments,
    audit,
    casework,
    contacts,
    outbox,
    resident_record,
    routing,
    supporters,
    tickets,
)
from storage.db import Database
from storage.models import (
    HELP_KINDS,
    TIME_BANDS,
    AuditEntry,
    CannedResponse,
    CheckinRound,
    Consent,
    District,
    OutboxMessage,
    Resident,
    RoutingRule,
    Salon,
    Staff,
    Team,
    Ticket,
    TicketAttachment,
)
from storage.sample_town import load_salons

# ---- What must not be on a page ---------------------------------------------------------------

RAW = {
    "a key ending in _id": re.compile(r"\w_id\b"),
    "an ISO timestamp": re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?"),
    "a UTC offset": re.compile(r"[+-]00:00\b|\bUTC\b"),
    "a snake_case word": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "a dotted code": re.compile(r"\b[a-z]+(?:\.[a-z_]+)+\b(?!\.)(?!@)"),
    "a code path": re.compile(r"\b[a-z_]+/[a-z_]+/[a-z_]+\b"),
    "a Python repr": re.compile(r"\[\s*'|\{\s*'|:\s*(?:None|True|False)\b|\[\]|\{\}"),
}
# In Japanese, Python's values on their own too (English uses "None" as a word).
PYTHON_VALUES = re.compile(r"\b(?:None|True|False)\b")
# What the reader does not read: scripts, styles, and code shown as code.
HIDDEN = re.compile(r"<(script|style|code|pre class=\"code\")\b.*?</\1>", re.S | re.I)
# Attributes a person reads or hears.
READ_ATTRIBUTES = re.compile(r'\b(?:title|alt|aria-label|placeholder)="([^"]*)"')
# Things of the form above that are not raw data: an email address, a web address.
NOT_DATA = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|https?://\S+|\b\w+\.(?:csv|css|js|png)\b")


def readable(page: str) -> str:
    """What a person reads on `page`: its text and read attributes, entities decoded; text
    marked as in another language (a canned response in English) is the staff's, not ours."""
    found = re.search(r'<html lang="(\w+)"', page)
    if found:
        other = rf'<(\w+)\b[^>]*\blang="(?!{found.group(1)}")[^"]*"[^>]*>.*?</\1>'
        page = re.sub(other, " ", page, flags=re.S)
    attributes = " ".join(READ_ATTRIBUTES.findall(page))
    body = HIDDEN.sub(" ", page)
    body = re.sub(r"<[^>]+>", " ", body)
    text = html.unescape(f"{body} {html.unescape(attributes)}")
    return re.sub(r"\s+", " ", NOT_DATA.sub(" ", text))


def codes(db: Database) -> set[str]:
    """The codes the database stores, which a Japanese page must show as words."""
    found: set[str] = set()
    for table in (
        labels.URGENCY_NAMES,
        labels.STATUS_NAMES,
        labels.OUTCOME_NAMES,
        labels.ABOUT_NAMES,
        labels.KINDS,
        labels.CATEGORIES,
        labels.CONTACT_METHODS,
        labels.CHANNEL_NAMES,
        labels.CONTACT_KINDS,
        labels.CONTACT_OUTCOMES,
        labels.ROLES,
        labels.SUPPORTER_STATUSES,
        dict(HELP_KINDS),
        dict(TIME_BANDS),
    ):
        found |= set(table)
    found |= set(rules.kinds())
    found |= {"unwell", "help", "no_answer", "blocked", "fine", "escalated", "possible"}
    with db.transaction() as session:
        found |= set(session.scalars(select(Team.slug)))
        found |= set(session.scalars(select(AuditEntry.action).distinct()))
    # Words that are also plain English, which a Japanese page never uses.
    return found


def problems(where: str, text: str, japanese_codes: set[str] | None) -> list[str]:
    found = []
    for name, pattern in RAW.items():
        for match in pattern.finditer(text):
            found.append(
                f"{where}: {name}: …{text[max(0, match.start() - 40) : match.end() + 40]}…"
            )
    if japanese_codes:
        for match in PYTHON_VALUES.finditer(text):
            found.append(
                f"{where}: a Python value: …{text[max(0, match.start() - 40) : match.end() + 40]}…"
            )
        for word in re.findall(r"(?<![\w@./-])[a-z][a-z_]+(?![\w@/-])", text):
            if word in japanese_codes:
                at = text.index(word)
                found.append(f"{where}: the code {word!r}: …{text[max(0, at - 40) : at + 40]}…")
    return found


# ---- The town -----------------------------------------------------------------------------------


@dataclass
class Town:
    app: Flask
    db: Database
    office: Office
    references: dict[str, str]
    values: dict[str, Any]


def _watch_alert(db: Database) -> tuple[int, int]:
    """A resident enrolled, with family, who does not answer: a watch-over ticket."""
    enrolment_id, _family = enrolled(db, "見守 トメ", "見守 一郎")
    clock = StoppedClock(NOW)
    wait = timedelta(seconds=2)
    scheduler = Scheduler(db, clock, handlers=checkin_sweep.handlers(checkin.Timings(wait, wait)))
    for _second in range(8):
        scheduler.fire_deadlines()
        clock.advance(timedelta(seconds=1))
    with db.transaction() as session:
        round_id = session.scalars(
            select(CheckinRound.id).where(CheckinRound.enrolment_id == enrolment_id)
        ).first()
    assert round_id is not None
    return enrolment_id, round_id


def _safety_alarm(db: Database) -> str:
    """A resident writes words of danger through the real handlers; then a sticker and a photo
    in the same thread, a reply and a note from staff."""
    chat = Dialogue(db, StoppedClock(NOW), user="U" + "5a" * 16)
    chat.follow()
    with db.transaction() as session:
        resident = session.scalars(select(Resident).where(Resident.line_user_id == chat.user))
        resident.one().display_name = "危険 花子"
    chat.say("もう死にたい。生きていてもしかたない")
    chat.sticker()
    photo = {"type": "image", "id": "photo-1", "contentProvider": {"type": "line"}}
    chat.send(make_event("message", chat.user, message={**photo, "quoteToken": "q"}))
    with db.transaction() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.kind == "safety")).one()
        for kept in session.scalars(select(TicketAttachment)):
            attachments.store(session, kept.id, b"\x89PNG", "image/png", NOW)
        return ticket.reference


def _consultation(db: Database, office: Office) -> str:
    """A consultation with every intake answer, handed from 高齢・介護 to まるごと相談."""
    with db.transaction() as session:
        district = session.scalars(select(District).order_by(District.position)).first()
        assert district is not None
        resident = make_resident(session, "小田原 一郎")
        resident.district_id = district.id
        session.add(
            Consent(
                resident_id=resident.id, purpose="consultation", version="v1", given=True, at=NOW
            )
        )
        current = tickets.open_ticket(
            session,
            resident=resident,
            kind="consultation",
            team=session.get(Team, office.teams["kourei"]),
            now=NOW,
            urgency="today",
            categories=["care", "money"],
            about="family",
            district_id=district.id,
            intake={
                "about": "family",
                "categories": ["care", "money"],
                "when": "morning",
                "located_by_map": True,
            },
            contact={"method": "phone", "phone": "0465-00-1234", "when": "morning"},
            sla_due_at=NOW + timedelta(hours=3),
        )
        tickets.add_message(session, current, author="resident", now=NOW, body="母のことで相談です")
        tickets.add_message(session, current, author="bot", now=NOW, body="担当者からご連絡します")
        boss = session.get(Staff, office.staff["boss"])
        marugoto = session.get(Team, office.teams["marugoto"])
        assert boss is not None and marugoto is not None
        casework.transfer(session, boss, current, marugoto, "生活費の相談が先", NOW)
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        casework.claim(session, aoki, current, NOW)
        casework.note(session, aoki, current, "長男から電話あり", NOW)
        baba = session.get(Staff, office.staff["baba"])
        assert baba is not None
        casework.assign(session, aoki, current, baba, "地区の担当のため", NOW)
        casework.assign(session, baba, current, aoki, "休暇のため", NOW)
        reply = casework.reply(session, aoki, current, "明日お電話します", NOW)
        row = session.get(OutboxMessage, reply.outbox_id)
        outbox.settle(row, outbox.SENT, NOW, via="push")
        casework.set_status(session, aoki, current, "waiting", NOW)
        closed = make_ticket(
            session, office.teams["marugoto"], resident=resident, now=NOW - timedelta(days=30)
        )
        casework.close(session, aoki, closed, "solved", "", NOW - timedelta(days=29))
        casework.refer(session, aoki, current, "市 生活支援課", "世帯の状況", NOW)
        return current.reference


def _phone_call(db: Database, office: Office) -> str:
    """A ticket staff opened for a 民生委員's referral about someone not on LINE, with a visit
    in its contact log and a next step that is due (so the queue shows it)."""
    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        assert aoki is not None
        ticket = tickets.open_for_channel(
            session,
            aoki,
            channel="minsei",
            now=NOW,
            worry="一人暮らしで最近見かけないと民生委員から",
            categories=["care", "money"],
            about="neighbour",
            urgency="soon",
            name="民生 つなぎ",
            phone="0465-00-3333",
            referrer="民生 花子",
        )
        casework.claim(session, aoki, ticket, NOW)
        contacts.record(
            session,
            aoki,
            ticket,
            method="visit",
            outcome="not_home",
            note="不在。郵便受けに手紙",
            now=NOW,
            next_action_on=locales.town_date(NOW),
        )
        return ticket.reference


@pytest.fixture
def town(db: Database) -> Town:
    office = make_office(db)
    with db.transaction() as session:
        mimura = make_staff(session, "mimura", [routing.WATCH_TEAM])
        suzuki = make_staff(session, "suzuki", ["marugoto"], role="supervisor")
        office = Office(
            teams=office.teams, staff={**office.staff, "mimura": mimura.id, "suzuki": suzuki.id}
        )
    enrolment_id, round_id = _watch_alert(db)
    references = {
        "safety": _safety_alarm(db),
        "consultation": _consultation(db, office),
        "phone": _phone_call(db, office),
    }
    with db.transaction() as session:
        watch_ticket = session.scalars(select(Ticket).where(Ticket.kind == "watch")).first()
        assert watch_ticket is not None, "the unanswered check-in raised a watch-over ticket"
        references["watch"] = watch_ticket.reference
        canned = CannedResponse(
            team_id=office.teams["marugoto"], language="ja", title="受付のお礼", body="ありがとう"
        )
        session.add(canned)
        load_salons(session, NOW)
        session.flush()
        residents = _resident_records(session, office, references, watch_ticket)
        request_id, supporter_id = _supporters(session, session.get(Staff, office.staff["boss"]))
        values = {
            "enrolment_id": enrolment_id,
            "round_id": round_id,
            "canned_id": canned.id,
            "staff_id": office.staff["aoki"],
            "team_id": office.teams["marugoto"],
            "rule_id": session.scalars(select(RoutingRule.id).limit(1)).one(),
            "salon_id": session.scalars(select(Salon.id).limit(1)).one(),
            "attachment_id": session.scalars(select(TicketAttachment.id).limit(1)).one(),
            "resident_ids": residents,
            "request_id": request_id,
            "supporter_id": supporter_id,
        }
    return Town(console_app(db, NOW + timedelta(minutes=5)), db, office, references, values)


def _supporters(session: Any, boss: Staff) -> tuple[int, int]:
    """生活応援隊: an applicant, one approved who has helped, one paused, one who left; the
    approving and pausing audited as the console does; a request put to the one helping,
    who declined, with the board's audit entries. The request's id."""
    hayakawa = session.scalars(select(District).where(District.slug == "hayakawa")).one()
    made = []
    for number in range(1, 5):
        given = supporters.Registration(
            kinds=["rubbish", "company"],
            district_id=hayakawa.id,
            weekdays=[0, 5],
            time_bands=["morning", "evening"],
            first_name=f"応援{number}",
            phone=f"090-0000-{number:04d}",
        )
        made.append(supporters.register(session, make_resident(session), given, NOW))
    _applied, helping, resting, gone = made
    for supporter in (helping, resting, gone):
        supporters.approve(session, supporter, boss, NOW)
    helping.last_helped_at = NOW - timedelta(days=2)
    supporters.pause(session, resting, NOW)
    supporters.leave(session, gone, NOW)
    for action, was, now_is in (
        ("supporter.approve", "applied", "active"),
        ("supporter.pause", "active", "paused"),
        ("supporter.resume", "paused", "active"),
    ):
        audit.record(
            session,
            action,
            NOW,
            staff=boss,
            detail={"supporter": helping.id, "from": was, "to": now_is},
        )
    request = supporters.new_request(
        session, make_resident(session), "rubbish", NOW, NOW, district_id=hayakawa.id
    )
    (offer,) = supporters.offer(session, request, [helping], NOW)
    supporters.decline(session, offer, NOW)
    for action, detail in (
        ("help_request.board", {}),
        ("help_request.create", {"help_request": request.id, "resident": request.resident_id}),
        ("help_request.view", {"help_request": request.id}),
        ("help_request.offer", {"help_request": request.id, "supporters": [helping.id]}),
        ("help_request.change", {"help_request": request.id, "fields": ["first_name", "note"]}),
        ("supporter.view", {"supporter": helping.id}),
        ("care_net.link", {"enrolment": 1, "supporter": helping.id, "link": 1}),
    ):
        audit.record(session, action, NOW, staff=boss, detail=detail)
    return request.id, helping.id


def _resident_records(
    session: Any, office: Office, references: dict[str, str], watch_ticket: Ticket
) -> list[int]:
    """The resident records the walk opens: the consultation's resident with every field kept
    (one taken from a ticket), a contact and a suggestion; the watch-over resident with family
    on LINE and check-ins; the resident of the phone call, with suggestions only."""
    aoki = session.get(Staff, office.staff["aoki"])
    consulted = session.scalars(
        select(Ticket).where(Ticket.reference == references["consultation"])
    ).one()
    resident = consulted.resident
    resident_record.adopt(session, aoki, resident, "phone", NOW)
    resident_record.save(
        session,
        aoki,
        resident,
        {
            "name": ("", "小田原 一郎"),
            "furigana": ("", "おだわら いちろう"),
            "address": ("", "小田原市早川1-1"),
            "case_number": ("", "K-2026-0001"),
            "household": ("", "長男と二人暮らし"),
        },
        NOW,
    )
    resident_record.add_contact(
        session, aoki, resident, name="小田原 次郎", relation="長男", phone="0465-00-4444", now=NOW
    )
    phoned = session.scalars(select(Ticket).where(Ticket.reference == references["phone"])).one()
    return [resident.id, watch_ticket.resident_id, phoned.resident_id]


def browser_of(town: Town, who: str, language: str) -> Browser:
    browser = Browser.of(town.app)
    assert browser.sign_in(give_password(town.db, town.office.staff[who])).status_code == 302
    browser.post("/console/language", {"lang": language, "next": "/console/queue"})
    return browser


# Pages that take input beyond their path, and the input that shows the most.
QUERIES: dict[str, list[dict[str, str]]] = {
    "console.queue": [
        {"team": team, "view": view}
        for team in ("marugoto", "kourei", routing.WATCH_TEAM)
        for view in ("new", "mine", "waiting", "open")
    ],
    "console.queue_live": [{"team": "marugoto", "view": "open"}],
    "console.audit_log": [{}, {"action": "transfer"}, {"action": "assign"}],
    "console.watch_list": [{}, {"today": "escalated"}],
    "console.watch_enrol": [{}, {"q": "見守"}],
    "console.supporter_list": [{}, {"status": "applied"}, {"status": "paused"}, {"status": "left"}],
    "console.request_board": [{}, {"status": "returned"}],
    "console.erase_form": [{"who": "{safety}"}],
    "console.report": [{}, {"team": "marugoto"}],
    "console.canned_list": [{}, {"team": "marugoto"}],
}
NOT_PAGES = {"console.static", "console.sign_out", "console.ticket_attachment"}


def pages(town: Town) -> Iterator[str]:
    """Every GET page of the console, its path filled in with real records (each ticket)."""
    routes: list[Rule] = sorted(town.app.url_map.iter_rules(), key=lambda rule: rule.rule)
    for rule in routes:
        if not rule.rule.startswith("/console") or "GET" not in (rule.methods or set()):
            continue
        if rule.endpoint in NOT_PAGES:
            continue
        paths = [rule.rule]
        for name in rule.arguments:
            every = {
                "reference": list(town.references.values()),
                "resident_id": [str(number) for number in town.values["resident_ids"]],
            }
            options = every.get(name) or [str(town.values[name])]
            pattern = rf"<(?:\w+(?:\([^)]*\))?:)?{name}>"
            paths = [re.sub(pattern, option, path) for path in paths for option in options]
        for path in paths:
            for query in QUERIES.get(rule.endpoint, [{}]):
                filled = {key: value.format(**town.references) for key, value in query.items()}
                arguments = "&".join(f"{key}={value}" for key, value in filled.items())
                yield f"{path}?{arguments}" if arguments else path


@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_page_shows_a_raw_key_a_code_or_a_utc_time(town: Town, language: str) -> None:
    japanese_codes = codes(town.db) if language == "ja" else None
    found: list[str] = []
    seen = 0
    opened: set[str] = set()
    for who in ("boss", "aoki", "mimura"):
        browser = browser_of(town, who, language)
        for path in pages(town):
            answer = browser.get(path, headers={"X-Requested-With": "fetch"})
            if answer.status_code in (403, 404) or answer.mimetype != "text/html":
                continue
            assert answer.status_code in (200, 302), (who, path, answer.status_code)
            if answer.status_code == 302:
                continue
            seen += 1
            opened.add(path.split("?")[0].rsplit("/", 1)[0])
            opened.add(path.split("?")[0])
            found += problems(f"{who} {path}", readable(answer.text), japanese_codes)
    assert seen >= 40, seen
    assert "/console/residents" in opened, "the resident records were walked"
    assert "/console/supporters" in opened, "the supporters page was walked"
    assert "/console/requests" in opened, "the requests board was walked"
    assert not found, "\n".join(dict.fromkeys(found))


def test_the_ticket_pages_say_what_happened_in_words(town: Town) -> None:
    browser = browser_of(town, "boss", "ja")
    safety = readable(browser.get(f"/console/tickets/{town.references['safety']}").text)
    # The danger in words, in a box of its own at the top, not a grey line among the answers.
    page = browser.get(f"/console/tickets/{town.references['safety']}").text
    assert 'class="danger ' in page and page.index('class="danger ') < page.index("thread-heading")
    assert "自殺" in safety
    assert "スタンプ" in safety, "a sticker is shown as a sticker"
    assert "ボット ボット" not in safety
    watch = readable(browser.get(f"/console/tickets/{town.references['watch']}").text)
    assert "見守り" in watch and "応答" in watch
    audit = readable(browser.get("/console/admin/audit").text)
    assert "高齢・介護" in audit and "福祉まるごと相談" in audit, "teams by name"
    queue = readable(browser.get("/console/queue?team=marugoto&view=open").text)
    assert re.search(r"緊急の言葉[^ ]*自殺", queue), queue
    watch_list = readable(browser.get("/console/watch").text)
    assert "今日中" not in watch_list, "the column says today's state, not an urgency"


def test_exports_are_in_words(town: Town) -> None:
    found: list[str] = []
    for language in ("ja", "en"):
        browser = browser_of(town, "boss", language)
        for path in ("/console/reports.csv", "/console/reports.csv?team=marugoto"):
            answer = browser.get(path)
            assert answer.status_code == 200 and answer.mimetype == "text/csv"
            text = answer.get_data(as_text=True)
            found += problems(
                f"{language} {path}", text, codes(town.db) if language == "ja" else None
            )
    assert not found, "\n".join(found)
