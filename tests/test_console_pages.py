"""The staff console's pages through Flask's test client, on SQLite and PostgreSQL.

What a caseworker sees and does: sign in, the queue and its views, claiming, the ticket page,
replies, notes, hand-overs, closing; what supervisors and admins manage. Japanese first.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from casework_data import NOW, Office, make_office, make_resident, make_ticket, ticket
from console_client import Browser, console_app, give_password
from flask import Flask
from sqlalchemy import select

from storage import casework, outbox, tickets
from storage.db import Database
from storage.models import (
    AuditEntry,
    CannedResponse,
    Consent,
    District,
    OutboxMessage,
    RoutingRule,
    Staff,
    Team,
)


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


@pytest.fixture
def app(db: Database, office: Office) -> Flask:
    return console_app(db, NOW)


def signed_in(app: Flask, db: Database, office: Office, who: str) -> Browser:
    browser = Browser.of(app)
    email = give_password(db, office.staff[who])
    assert browser.sign_in(email).status_code == 302
    return browser


def open_ticket(db: Database, office: Office, team: str = "marugoto", **kwargs: object) -> str:
    with db.transaction() as session:
        return make_ticket(session, office.teams[team], **kwargs).reference  # type: ignore[arg-type]


def audit_actions(db: Database, reference: str) -> list[str]:
    with db.transaction() as session:
        return [entry.action for entry in casework.history(session, ticket(session, reference))]


def text_of(html: str) -> str:
    """The page's words without tags, spaces folded: what a person reads."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---- Sign in, layout, language -----------------------------------------------------------------


def test_sign_in_page_is_japanese_and_a_staff_member_lands_on_their_queue(
    app: Flask, db: Database, office: Office
) -> None:
    browser = Browser.of(app)
    page = browser.get("/console/sign-in")
    assert page.status_code == 200
    assert '<html lang="ja">' in page.text
    assert "職員画面にログイン" in page.text and "メールアドレス" in page.text

    email = give_password(db, office.staff["aoki"])
    wrong = browser.post("/console/sign-in", {"email": email, "password": "not it"})
    assert wrong.status_code == 401
    assert "メールアドレスまたはパスワードが違います" in wrong.text
    assert f'value="{email}"' in wrong.text, "the email stays filled in"

    landed = browser.follow(
        browser.post("/console/sign-in", {"email": email, "password": "correct horse battery"})
    )
    assert landed.status_code == 200
    words = text_of(landed.text)
    assert "福祉まるごと相談" in words and "次の相談を担当する" in words
    assert "高齢・介護" not in words, "only the staff member's own teams are tabs"
    assert "ログアウト" in words
    # The menu for a caseworker: the queue, nothing an admin manages.
    assert "受付一覧" in words and "操作記録" not in words and "振り分け" not in words


def test_the_next_page_after_sign_in_is_kept_but_never_another_site(
    app: Flask, db: Database, office: Office
) -> None:
    reference = open_ticket(db, office)
    browser = Browser.of(app)
    to_sign_in = browser.get(f"/console/tickets/{reference}")
    assert to_sign_in.status_code == 302
    assert "/console/sign-in?next=" in to_sign_in.headers["Location"]
    page = browser.get(to_sign_in.headers["Location"])
    email = give_password(db, office.staff["aoki"])
    back = browser.post(
        "/console/sign-in",
        {
            "email": email,
            "password": "correct horse battery",
            "next": f"/console/tickets/{reference}",
        },
    )
    assert back.headers["Location"] == f"/console/tickets/{reference}"
    assert page.status_code == 200

    for evil in ("https://evil.example/", "//evil.example/console/", "/\\evil.example"):
        other = Browser.of(app, ip="192.0.2.99")
        other.get("/console/sign-in")
        answer = other.post(
            "/console/sign-in",
            {"email": email, "password": "correct horse battery", "next": evil},
        )
        assert answer.headers["Location"] == "/console/queue", evil


def test_english_is_a_switch_away_and_stays_for_the_session(
    app: Flask, db: Database, office: Office
) -> None:
    browser = signed_in(app, db, office, "aoki")
    switched = browser.follow(
        browser.post("/console/language", {"lang": "en", "next": "/console/queue"})
    )
    assert '<html lang="en">' in switched.text
    assert "Take the next consultation" in switched.text
    assert "Take the next consultation" in browser.get("/console/queue").text
    browser.post("/console/language", {"lang": "ja", "next": "/console/queue"})
    assert "次の相談を担当する" in browser.get("/console/queue").text


def test_pages_load_only_the_consoles_own_assets(app: Flask, db: Database, office: Office) -> None:
    browser = signed_in(app, db, office, "aoki")
    page = browser.get("/console/queue")
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:css|js))"', page.text)
    assert sorted(assets) == ["/console/static/console.css", "/console/static/console.js"]
    for asset in assets:
        with browser.client.get(asset) as fetched:
            assert fetched.status_code == 200
            body = fetched.get_data(as_text=True)
        assert "http://" not in body and "https://" not in body and "@import" not in body
    assert "http" not in re.sub(
        r"https?://localhost", "", "".join(re.findall(r'(?:src|href|action)="([^"]*)"', page.text))
    )


# ---- The queue --------------------------------------------------------------------------------


def test_queue_puts_emergencies_first_with_a_banner_and_says_the_time_left_in_words(
    app: Flask, db: Database, office: Office
) -> None:
    later = open_ticket(db, office, urgency="anytime", due_in=timedelta(hours=30))
    overdue = open_ticket(db, office, urgency="today", due_in=timedelta(minutes=-30))
    soon = open_ticket(db, office, urgency="today", due_in=timedelta(minutes=45))
    emergency = open_ticket(db, office, urgency="emergency", due_in=timedelta(hours=2))
    open_ticket(db, office, team="kourei")
    browser = signed_in(app, db, office, "aoki")

    page = browser.get("/console/queue")
    html = page.text
    order = [
        html.index(f'data-focus-key="open-{ref}"') for ref in (emergency, overdue, soon, later)
    ]
    assert order == sorted(order), "emergency, then today by due time, then the rest"
    words = text_of(html)
    assert "緊急の相談が1件あります" in words
    assert "期限切れ 30分" in words, "overdue is said in words, not only in red"
    assert "あと45分" in words and "あと2時間" in words and "あと1日6時間" not in words
    assert "対応期限が近い・過ぎた相談が2件あります" in words
    assert re.search(r"新着 4\s*件", words), "the new view counts four"
    assert re.search(r"未完了すべて 4\s*件", words)


def test_views_filters_and_search(app: Flask, db: Database, office: Office) -> None:
    with db.transaction() as session:
        district = session.scalars(select(District).order_by(District.position)).first()
        assert district is not None
        hanako = make_resident(session, "山田 花子")
        hanako.district_id = district.id
        taken = make_ticket(
            session, office.teams["marugoto"], resident=hanako, categories=("money",)
        )
        waiting = make_ticket(
            session,
            office.teams["marugoto"],
            categories=("care",),
            resident=make_resident(session, "佐藤 次郎"),
        )
        new = make_ticket(
            session,
            office.teams["marugoto"],
            categories=("care", "housing"),
            resident=make_resident(session, "鈴木 三郎"),
        )
        district_name, district_id = district.name, district.id
        references = taken.reference, waiting.reference, new.reference
    taken_ref, waiting_ref, new_ref = references
    browser = signed_in(app, db, office, "aoki")
    browser.post(f"/console/tickets/{taken_ref}/claim")
    browser.post(f"/console/tickets/{waiting_ref}/status", {"status": "waiting"})

    def listed(query: str) -> set[str]:
        page = browser.get(f"/console/queue?{query}")
        assert page.status_code == 200, page.text
        return set(re.findall(r'data-focus-key="open-([^"]+)"', page.text))

    assert listed("") == {new_ref}
    assert listed("view=mine") == {taken_ref, waiting_ref}
    assert listed("view=waiting") == {waiting_ref}
    assert listed("view=open") == set(references)
    assert listed("view=open&category=care") == {waiting_ref, new_ref}
    assert listed(f"view=open&district={district_id}") == {taken_ref}
    assert listed("view=open&status=waiting") == {waiting_ref}
    assert listed("view=open&q=花子") == {taken_ref}
    assert listed(f"view=open&q={new_ref[-4:]}") == {new_ref}
    row = browser.get("/console/queue?view=open&q=花子").text
    assert district_name in row and "生活・お金" in text_of(row)
    assert browser.get("/console/queue?view=everything").status_code == 400
    assert browser.get("/console/queue?district=north").status_code == 400
    assert browser.get("/console/queue?category=%22%20OR%201=1").status_code == 400
    assert browser.get("/console/queue?team=kourei").status_code == 404, "not my team"


def test_the_live_part_is_a_fragment_that_shows_new_tickets(
    app: Flask, db: Database, office: Office
) -> None:
    browser = signed_in(app, db, office, "aoki")
    page = browser.get("/console/queue")
    live = re.search(r'data-live-src="([^"]+)"', page.text)
    assert live is not None
    source = live.group(1).replace("&amp;", "&")
    before = browser.get(source, headers={"X-Requested-With": "fetch"})
    assert before.status_code == 200 and "<html" not in before.text
    assert "この表示に該当する相談はありません" in before.text

    reference = open_ticket(db, office)
    after = browser.get(source, headers={"X-Requested-With": "fetch"})
    assert reference in after.text and "<html" not in after.text
    assert after.headers["Cache-Control"] == "no-store"


def test_take_and_a_lost_race(app: Flask, db: Database, office: Office) -> None:
    reference = open_ticket(db, office)
    aoki = signed_in(app, db, office, "aoki")
    baba = signed_in(app, db, office, "baba")
    baba_queue = baba.get("/console/queue")
    assert f"/console/tickets/{reference}/claim" in baba_queue.text

    taken = aoki.post(f"/console/tickets/{reference}/claim", {"next": "/console/queue"})
    assert taken.headers["Location"] == f"/console/tickets/{reference}"
    assert f"{reference}を担当しました" in aoki.follow(taken).text

    lost = baba.post(f"/console/tickets/{reference}/claim", {"next": "/console/queue"})
    assert lost.headers["Location"] == "/console/queue", "back to a refreshed queue"
    refreshed = baba.follow(lost)
    assert "ほかの方が先に担当しました" in refreshed.text
    assert f"/console/tickets/{reference}/claim" not in refreshed.text
    with db.transaction() as session:
        assert ticket(session, reference).assignee_id == office.staff["aoki"]


def test_take_the_next_consultation(app: Flask, db: Database, office: Office) -> None:
    open_ticket(db, office, urgency="anytime")
    urgent = open_ticket(db, office, urgency="today")
    browser = signed_in(app, db, office, "aoki")
    first = browser.post("/console/queue/next", {"team": "marugoto"})
    assert first.headers["Location"] == f"/console/tickets/{urgent}"
    browser.post("/console/queue/next", {"team": "marugoto"})
    empty = browser.post("/console/queue/next", {"team": "marugoto"})
    assert "担当者を待っている新しい相談はありません" in browser.follow(empty).text
    assert browser.post("/console/queue/next", {"team": "kourei"}).status_code == 404


# ---- The ticket page ---------------------------------------------------------------------------


def test_ticket_page_reads_as_a_summary_with_the_resident_and_the_thread(
    app: Flask, db: Database, office: Office
) -> None:
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
        earlier = make_ticket(
            session, office.teams["marugoto"], resident=resident, now=NOW - timedelta(days=30)
        )
        casework.close(
            session,
            session.get(Staff, office.staff["aoki"]),
            earlier,
            "solved",
            "",
            NOW - timedelta(days=29),
        )
        current = tickets.open_ticket(
            session,
            resident=resident,
            kind="consultation",
            team=session.get(Team, office.teams["marugoto"]),
            now=NOW,
            urgency="today",
            categories=["care", "money"],
            about="family",
            district_id=district.id,
            intake={"about": "family", "categories": ["care", "money"], "when": "morning"},
            contact={"method": "phone", "phone": "0465-00-1234", "when": "morning"},
            sla_due_at=NOW + timedelta(hours=3),
        )
        tickets.add_message(session, current, author="resident", now=NOW, body="母のことで相談です")
        tickets.add_message(session, current, author="bot", now=NOW, body="担当者からご連絡します")
        aoki = session.get(Staff, office.staff["aoki"])
        casework.note(session, aoki, current, "長男から電話あり", NOW)
        reply = casework.reply(session, aoki, current, "明日お電話します", NOW)
        row = session.get(OutboxMessage, reply.outbox_id)
        outbox.settle(row, outbox.SENT, NOW, via="push")
        reference, earlier_ref, district_name = current.reference, earlier.reference, district.name
    browser = signed_in(app, db, office, "aoki")

    page = browser.get(f"/console/tickets/{reference}")
    assert page.status_code == 200
    words = text_of(page.text)
    for shown in (
        "介護・高齢",
        "生活・お金",
        "ご家族",
        district_name,
        "今日中",
        "電話で",
        "0465-00-1234",
        "午前",
        "同意あり",
        "日本語",
        "小田原 一郎",
        "あと3時間",
        "見守り 登録なし",
    ):
        assert shown in words, shown
    assert earlier_ref in words and f'href="/console/tickets/{earlier_ref}"' in page.text
    # The thread: each entry with its kind, author and Tokyo time (NOW is 09:30 JST).
    assert "母のことで相談です" in words and "担当者からご連絡します" in words
    assert re.search(r"entry-note.*?内部メモ.*?aoki.*?09:30.*?長男から電話あり", page.text, re.S)
    assert "相談者には送られません" in words
    assert re.search(
        r"entry-staff.*?職員の返信.*?aoki.*?届きました.*?明日お電話します", page.text, re.S
    )
    assert audit_actions(db, reference)[-1] == "view", "opening the page is audited"


def test_reply_goes_out_through_the_outbox_and_a_refusal_keeps_the_draft(
    app: Flask, db: Database, office: Office
) -> None:
    reference = open_ticket(db, office)
    browser = signed_in(app, db, office, "aoki")
    sent = browser.post(f"/console/tickets/{reference}/reply", {"body": "こんにちは、青木です。"})
    page = browser.follow(sent)
    assert "返信を相談者へ送っています" in page.text
    assert "送信中" in page.text, "not delivered yet: the sender has not run"
    with db.transaction() as session:
        row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert row is not None
        # The resident sees who is writing, and about which ticket, before the words.
        assert row.messages == [
            {"kind": "text", "body": "社協 aokiより（C-2026-000001）\nこんにちは、青木です。"}
        ]
        assert ticket(session, reference).first_response_at == NOW

    with db.transaction() as session:
        ticket(session, reference).resident.following = False
    refused = browser.post(f"/console/tickets/{reference}/reply", {"body": "届きますか"})
    assert refused.status_code == 422
    assert "届きますか</textarea>" in refused.text, "the draft is not lost"
    assert "ブロック" in refused.text


def test_note_status_transfer_refer_and_close_are_recorded(
    app: Flask, db: Database, office: Office
) -> None:
    first = open_ticket(db, office)
    second = open_ticket(db, office)
    browser = signed_in(app, db, office, "aoki")
    browser.post(f"/console/tickets/{first}/claim")

    noted = browser.follow(browser.post(f"/console/tickets/{first}/note", {"body": "家族と相談中"}))
    assert "メモを保存しました" in noted.text and "家族と相談中" in noted.text
    changed = browser.follow(
        browser.post(f"/console/tickets/{first}/status", {"status": "waiting"})
    )
    assert "状態を「返事待ち」に変えました" in changed.text
    assert browser.post(f"/console/tickets/{first}/status", {"status": "closed"}).status_code == 400

    referred = browser.follow(
        browser.post(
            f"/console/tickets/{first}/refer",
            {"agency": "市 生活支援課", "handed_over": "世帯の状況と連絡先"},
        )
    )
    assert "市 生活支援課へのつなぎを記録しました" in referred.text
    assert "世帯の状況と連絡先" in referred.text and "他機関へつなぎ" in referred.text

    no_reason = browser.post(
        f"/console/tickets/{second}/transfer", {"team": "kourei", "reason": ""}
    )
    assert no_reason.status_code == 400
    moved = browser.post(
        f"/console/tickets/{second}/transfer", {"team": "kourei", "reason": "介護保険の相談"}
    )
    assert moved.headers["Location"] == "/console/queue", "no longer ours to open"
    assert "高齢・介護（地域包括支援センター）へ引き継ぎました" in browser.follow(moved).text
    assert browser.get(f"/console/tickets/{second}").status_code == 404

    third = open_ticket(db, office)
    closed = browser.follow(
        browser.post(
            f"/console/tickets/{third}/close", {"outcome": "unreachable", "note": "3回電話"}
        )
    )
    assert "相談を終えました（連絡つかず）" in closed.text
    assert "LINEで送る" not in closed.text, "a closed ticket takes no reply"
    assert (
        browser.post(f"/console/tickets/{third}/close", {"outcome": "vanished"}).status_code == 400
    )

    actions = audit_actions(db, first)
    for action in ("claim", "note", "status", "refer"):
        assert action in actions
    assert "transfer" in audit_actions(db, second) and "close" in audit_actions(db, third)


def test_assigning_to_a_colleague_shows_why_on_the_ticket_and_lands_in_their_queue(
    app: Flask, db: Database, office: Office
) -> None:
    reference = open_ticket(db, office)
    browser = signed_in(app, db, office, "aoki")
    page = browser.get(f"/console/tickets/{reference}").text
    # The team's active members, by name; not 高齢・介護's chiba, not the admin.
    assert "同じチームの職員に担当を割り当てる" in page
    picker = re.search(r'<select name="assignee" id="assign-to">(.*?)</select>', page, re.S)
    assert picker is not None
    assert re.findall(r">([^<]+)</option>", picker.group(1)) == ["aoki", "baba"]
    baba = office.staff["baba"]

    assert browser.post(f"/console/tickets/{reference}/assign", {"reason": "x"}).status_code == 400
    outsider = browser.follow(
        browser.post(
            f"/console/tickets/{reference}/assign",
            {"assignee": office.staff["chiba"], "reason": "x", "held_by": ""},
        )
    )
    assert "このチケットのチームの職員を選んでください" in outsider.text
    no_reason = browser.follow(
        browser.post(
            f"/console/tickets/{reference}/assign",
            {"assignee": baba, "reason": " ", "held_by": ""},
        )
    )
    assert "入力してください" in no_reason.text

    assigned = browser.follow(
        browser.post(
            f"/console/tickets/{reference}/assign",
            {"assignee": baba, "reason": "東富水地区の担当のため", "held_by": ""},
        )
    )
    words = text_of(assigned.text)
    assert f"{reference}をbabaさんの担当にしました。" in words
    # Near the top and in the thread (staff only), not only in the audit log.
    assert "担当をbabaさんに割り当て — 東富水地区の担当のため" in words, words
    assert words.index("担当をbabaさんに割り当て") < words.index("やりとり")
    assert words.count("東富水地区の担当のため") == 2
    assert "担当の割り当て" in words
    with db.transaction() as session:
        found = ticket(session, reference)
        assert (found.assignee_id, found.status) == (baba, "assigned")
        [entry] = casework.handovers(session, found)
        assert (entry.action, entry.detail["reason"]) == ("assign", "東富水地区の担当のため")

    # baba finds it in 自分の担当.
    theirs = signed_in(app, db, office, "baba")
    mine = theirs.get("/console/queue?view=mine").text
    assert set(re.findall(r'data-focus-key="open-([^"]+)"', mine)) == {reference}

    # A page that still showed nobody holding it cannot take it from baba unseen.
    stale = browser.follow(
        browser.post(
            f"/console/tickets/{reference}/assign",
            {"assignee": office.staff["aoki"], "reason": "私が", "held_by": ""},
        )
    )
    assert "もう一度確かめてから割り当ててください" in stale.text
    back = browser.follow(
        browser.post(
            f"/console/tickets/{reference}/assign",
            {"assignee": office.staff["aoki"], "reason": "休暇のため", "held_by": baba},
        )
    )
    words = text_of(back.text)
    assert "担当をbabaさんからaokiさんへ変更 — 休暇のため" in words
    with db.transaction() as session:
        assert ticket(session, reference).assignee_id == office.staff["aoki"]


def test_the_receiving_team_reads_why_a_ticket_was_handed_to_them(
    app: Flask, db: Database, office: Office
) -> None:
    reference = open_ticket(db, office)
    sender = signed_in(app, db, office, "aoki")
    sender.post(
        f"/console/tickets/{reference}/transfer",
        {"team": "kourei", "reason": "介護保険の申請が中心のため"},
    )
    receiver = signed_in(app, db, office, "chiba")
    words = text_of(receiver.get(f"/console/tickets/{reference}").text)
    # A line near the top, before the conversation, with who handed it over.
    line = "引き継ぎ：福祉まるごと相談より — 介護保険の申請が中心のため"
    assert line in words, words
    assert words.index(line) < words.index("やりとり")
    assert "(aoki," in words
    # And in the thread, as a staff-only entry.
    assert "福祉まるごと相談から高齢・介護（地域包括支援センター）へ引き継ぎ" in words
    assert words.count("介護保険の申請が中心のため") == 2

    english = Browser.of(app)
    email = give_password(db, office.staff["chiba"])
    english.sign_in(email)
    english.post("/console/language", {"lang": "en", "next": "/console/queue"})
    words = text_of(english.get(f"/console/tickets/{reference}").text)
    assert "Handed over from 福祉まるごと相談 — 介護保険の申請が中心のため" in words
    assert "Hand-over" in words


def test_raising_the_urgency_on_the_ticket_page_brings_the_deadline_in(
    app: Flask, db: Database, office: Office
) -> None:
    reference = open_ticket(db, office, urgency="soon", due_in=None)
    browser = signed_in(app, db, office, "aoki")
    before = text_of(browser.get(f"/console/tickets/{reference}").text)
    assert "あと1時間" not in before and "回答期限" in before
    raised = browser.follow(
        browser.post(f"/console/tickets/{reference}/urgency", {"urgency": "emergency"})
    )
    page = text_of(raised.text)
    assert "緊急度を「緊急」に変えました。" in page
    # NOW is Tuesday 09:30 in Tokyo: 緊急 is due at 10:30, and the page says so both ways.
    assert "あと1時間" in page and "12/1 (火) 10:30" in page
    assert (
        browser.post(f"/console/tickets/{reference}/urgency", {"urgency": "x"}).status_code == 400
    )
    with db.transaction() as session:
        found = ticket(session, reference)
        assert found.urgency == "emergency" and found.sla_due_at == NOW + timedelta(hours=1)
    assert "urgency" in audit_actions(db, reference)


def test_canned_responses_in_the_residents_language_insert_into_the_reply(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        session.get(Staff, office.staff["aoki"]).role = "supervisor"
    reference = open_ticket(db, office)
    browser = signed_in(app, db, office, "aoki")
    listed = browser.get("/console/canned")
    assert listed.status_code == 200 and "定型文" in listed.text
    for language, title, body in (
        ("ja", "受付のお礼", "ご相談ありがとうございます。"),
        ("en", "Thanks", "Thank you for your message."),
    ):
        added = browser.post(
            "/console/canned/new",
            {"team": "marugoto", "language": language, "title": title, "body": body},
        )
        assert "定型文を追加しました" in browser.follow(added).text
    page = browser.get(f"/console/tickets/{reference}")
    assert 'data-body="ご相談ありがとうございます。"' in page.text
    assert "Thank you for your message." not in page.text, "the resident reads Japanese"
    assert 'data-insert-canned="canned-pick"' in page.text

    with db.transaction() as session:
        canned_id = session.scalar(
            select(CannedResponse.id).where(CannedResponse.title == "Thanks")
        )
    browser.post(
        f"/console/canned/{canned_id}", {"language": "en", "title": "Thanks!", "body": "Hi"}
    )
    browser.post(f"/console/canned/{canned_id}/delete")
    with db.transaction() as session:
        assert session.get(CannedResponse, canned_id) is None
    assert browser.get("/console/canned?team=kourei").status_code == 404


# ---- Admin, audit, reports ---------------------------------------------------------------------


def test_an_admin_creates_an_account_that_can_then_sign_in(
    app: Flask, db: Database, office: Office
) -> None:
    admin = signed_in(app, db, office, "boss")
    form = admin.get("/console/admin/staff/new")
    assert form.status_code == 200 and "アカウントを作成" in form.text
    short = admin.post(
        "/console/admin/staff/new",
        {
            "email": "new@example.org",
            "name": "新人",
            "password": "short",
            "role": "staff",
            "teams": ["kourei"],
        },
    )
    assert short.status_code == 400 and "パスワードは10文字以上にしてください" in short.text
    assert 'value="new@example.org"' in short.text
    made = admin.post(
        "/console/admin/staff/new",
        {
            "email": "new@example.org",
            "name": "新人",
            "password": "a long enough one",
            "role": "staff",
            "teams": ["kourei"],
        },
    )
    assert "新人さんのアカウントを作成しました" in admin.follow(made).text

    newcomer = Browser.of(app, ip="192.0.2.50")
    assert newcomer.sign_in("new@example.org", "a long enough one").status_code == 302
    assert "高齢・介護" in newcomer.get("/console/queue").text

    with db.transaction() as session:
        new_id = session.scalar(select(Staff.id).where(Staff.email == "new@example.org"))
    off = admin.post(
        f"/console/admin/staff/{new_id}",
        {"name": "新人", "role": "staff", "teams": ["kourei"], "password": ""},
    )
    assert off.status_code == 302
    assert newcomer.get("/console/queue").status_code == 302, "deactivated: signed out at once"
    with db.transaction() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.staff_id == office.staff["boss"])
            )
        )
    assert "staff_create" in actions and "staff_update" in actions

    myself = admin.post(
        f"/console/admin/staff/{office.staff['boss']}", {"name": "boss", "role": "staff"}
    )
    assert myself.status_code == 400 and "自分自身の管理者権限" in myself.text


def test_an_admin_links_a_staff_members_line_account_for_group_claims(
    app: Flask, db: Database, office: Office
) -> None:
    admin = signed_in(app, db, office, "boss")
    target = office.staff["aoki"]
    base = {"name": "青木 美咲", "role": "staff", "teams": ["marugoto"], "active": "1"}
    wrong = admin.post(f"/console/admin/staff/{target}", {**base, "line_user_id": "aoki"})
    assert wrong.status_code == 400 and "LINEのユーザーID" in wrong.text
    assert 'value="aoki"' in wrong.text
    line_id = "U" + "0123456789abcdef" * 2
    saved = admin.post(f"/console/admin/staff/{target}", {**base, "line_user_id": line_id})
    assert saved.status_code == 302
    with db.transaction() as session:
        assert session.get(Staff, target).line_user_id == line_id
    cleared = admin.post(f"/console/admin/staff/{target}", {**base, "line_user_id": ""})
    assert cleared.status_code == 302
    with db.transaction() as session:
        assert session.get(Staff, target).line_user_id is None


def test_an_admin_edits_team_hours_sla_and_auto_assignment(
    app: Flask, db: Database, office: Office
) -> None:
    admin = signed_in(app, db, office, "boss")
    team_id = office.teams["kosodate"]
    page = admin.get(f"/console/admin/teams/{team_id}")
    assert page.status_code == 200 and 'value="08:30-17:15"' in page.text
    form = {
        "name": "子育て支援",
        "name_en": "Child-rearing support",
        "phone": "0465-00-0003",
        "max_open_per_staff": "5",
        "auto_assign": "1",
        "line_group_id": "C" + "a" * 32,
        "sla_emergency": "1",
        "sla_today": "3",
        "sla_soon": "16",
        "sla_anytime": "40",
        **{f"hours_{day}": "08:30-12:00, 13:00-17:15" for day in range(5)},
    }
    bad = admin.post(f"/console/admin/teams/{team_id}", {**form, "hours_0": "9時から"})
    assert bad.status_code == 400 and "08:30-17:15" in bad.text
    saved = admin.post(f"/console/admin/teams/{team_id}", form)
    assert saved.status_code == 302
    with db.transaction() as session:
        team = session.get(Team, team_id)
        assert team.hours[0] == [["08:30", "12:00"], ["13:00", "17:15"]]
        assert team.hours[5] == [] and team.auto_assign and team.max_open_per_staff == 5
        assert team.sla_hours["today"] == 3 and team.line_group_id == "C" + "a" * 32


def test_an_admin_adds_edits_and_deletes_routing_rules(
    app: Flask, db: Database, office: Office
) -> None:
    admin = signed_in(app, db, office, "boss")
    listed = admin.get("/console/admin/routing")
    assert "振り分けルール" in listed.text and "介護・高齢" in text_of(listed.text)
    added = admin.post(
        "/console/admin/routing",
        {
            "position": "5",
            "category": "mind",
            "district": "",
            "urgency": "today",
            "about": "",
            "team": "kokoro",
        },
    )
    assert added.status_code == 302
    with db.transaction() as session:
        rule = session.scalar(select(RoutingRule).where(RoutingRule.position == 5))
        assert rule is not None and rule.urgency == "today" and rule.district_id is None
        rule_id = rule.id
    bad = admin.post(f"/console/admin/routing/{rule_id}", {"position": "x", "team": "kokoro"})
    assert bad.status_code == 400
    admin.post(
        f"/console/admin/routing/{rule_id}", {"position": "6", "category": "mind", "team": "kokoro"}
    )
    admin.post(f"/console/admin/routing/{rule_id}/delete")
    with db.transaction() as session:
        assert session.get(RoutingRule, rule_id) is None
        actions = set(session.scalars(select(AuditEntry.action)))
    assert {"routing_create", "routing_update", "routing_delete"} <= actions


def test_the_audit_log_filters_by_staff_action_ticket_and_date(
    app: Flask, db: Database, office: Office
) -> None:
    reference = open_ticket(db, office)
    aoki = signed_in(app, db, office, "aoki")
    aoki.get(f"/console/tickets/{reference}")
    aoki.post(f"/console/tickets/{reference}/note", {"body": "メモ"})
    admin = signed_in(app, db, office, "boss")

    page = admin.get(f"/console/admin/audit?staff={office.staff['aoki']}&action=note")
    rows = re.findall(r"<tr>.*?</tr>", page.text, re.S)[1:]
    assert len(rows) == 1 and reference in rows[0] and "aoki" in rows[0]
    by_ticket = text_of(admin.get(f"/console/admin/audit?ticket={reference}").text)
    # Actions by name, in the admin's language (issue #16): 閲覧 (view), メモを記入 (note), 受付 (open).
    assert "閲覧" in by_ticket and "メモを記入" in by_ticket and "受付" in by_ticket
    today = "2026-12-01"
    assert reference in admin.get(f"/console/admin/audit?from={today}&to={today}").text
    assert (
        "該当する記録はありません"
        in admin.get("/console/admin/audit?from=2026-11-01&to=2026-11-02").text
    )
    assert admin.get("/console/admin/audit?from=yesterday").status_code == 400
    assert aoki.get("/console/admin/audit").status_code == 403


def test_supervisor_report_counts_outcomes_and_median_first_response_and_exports_csv(
    app: Flask, db: Database, office: Office
) -> None:
    with db.transaction() as session:
        aoki = session.get(Staff, office.staff["aoki"])
        aoki.role = "supervisor"
        for minutes, outcome in ((30, "solved"), (90, "referred"), (150, None)):
            opened = make_ticket(session, office.teams["marugoto"])
            casework.claim(session, aoki, opened, NOW)
            casework.reply(session, aoki, opened, "はい", NOW + timedelta(minutes=minutes))
            if outcome:
                casework.close(session, aoki, opened, outcome, "", NOW + timedelta(hours=3))
        make_ticket(session, office.teams["marugoto"])
    browser = signed_in(app, db, office, "aoki")
    page = browser.get("/console/reports?from=2026-12-01&to=2026-12-01&team=marugoto")
    assert page.status_code == 200
    row = text_of(re.search(r"<tbody>.*?</tbody>", page.text, re.S).group(0))
    # opened 4, closed 2 (解決 1, つなぎ 1), median of 30/90/150 minutes, one not answered.
    assert re.search(r"福祉まるごと相談 4 2 1 1 0 0 0 0 0 1時間30分 1", row), row

    exported = browser.get("/console/reports.csv?from=2026-12-01&to=2026-12-01&team=marugoto")
    assert exported.mimetype == "text/csv"
    assert "attachment" in exported.headers["Content-Disposition"]
    body = exported.get_data(as_text=True)
    assert body.startswith("\ufeff"), "Excel reads the Japanese as UTF-8"
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert table[0][0] == "チーム" and table[1][:3] == ["福祉まるごと相談", "4", "2"]
    assert table[1][-2:] == ["90", "1"]
    with db.transaction() as session:
        export = session.scalar(select(AuditEntry).where(AuditEntry.action == "export"))
        assert export is not None and export.staff_id == office.staff["aoki"]
        assert export.detail["from"] == "2026-12-01"

    assert browser.get("/console/reports?from=2026-12-02&to=2026-12-01").status_code == 400
    assert browser.get("/console/reports?team=kourei").status_code == 404
    staff_member = signed_in(app, db, office, "baba")
    assert staff_member.get("/console/reports").status_code == 403
