"""Data kept only as long as needed: unsend reaches every copy, retention periods per kind of
record, erasure on request (console and CLI), and logs without residents' words."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import postback_event
from casework_data import NOW, make_office, make_staff, make_ticket
from click.testing import CliRunner
from console_client import Browser, StoppedClock, console_app, give_password
from dialogue import Dialogue, Said
from sqlalchemy import func, select, update
from stack import Stack, town_stack
from test_consultation_e2e import Resident as Persona
from test_consultation_flow import ANSWERS, asks, clock_at, walk_to
from watch_town import FAMILY_A, RESIDENT, Town

from bot.cli import main
from bot.scheduler import Scheduler
from bot.settings import Settings
from flows import consultation
from storage import attachments, casework, inbox, outbox, retention
from storage.db import Database
from storage.models import (
    AuditEntry,
    Base,
    CheckinRound,
    Conversation,
    Deadline,
    InboxEvent,
    OutboxMessage,
    OutboxMulticast,
    Resident,
    Staff,
    Ticket,
    TicketAttachment,
    TicketMessage,
    WatchEnrolment,
    WatchFamilyLink,
)
from storage.retention import Retention
from storage.sample_town import load_town

MONDAY_10 = datetime(2026, 12, 7, 0, 59, tzinfo=UTC)
WORRY = "息子が学校に行けなくなって三か月になります。昼夜逆転もしていて心配です。"
PHONE = "0465-00-4321"  # a sample-town number that reaches nobody
# Longer than the 40 characters the worry question quotes of a worry typed at the menu.
PHOTO = b"PHOTO-BYTES-OF-HANAKO"
LONG_WORRY = (
    "生活費が足りなくて、家賃を二か月滞納しています。仕事を探していますが、"
    "体調もよくなくて、どこに相談したらいいのかわかりません。"
)


# ---- Helpers -------------------------------------------------------------------------------


def as_text(value: Any) -> str:
    """A stored value as it could be read back: JSON written out, bytes decoded."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="ignore")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def copies(db: Database, user: str, *words: str) -> list[int]:
    """The outbox rows for `user` that say any of `words`."""
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.to == user))
        return [row.id for row in rows if any(word in as_text(row.messages) for word in words)]


def outbox_rows(db: Database, user: str) -> list[OutboxMessage]:
    with db.transaction() as session:
        rows = list(session.scalars(select(OutboxMessage).where(OutboxMessage.to == user)))
        session.expunge_all()
        return rows


def mark_all_sent(db: Database) -> None:
    with db.transaction() as session:
        session.execute(update(OutboxMessage).values(status=outbox.SENT, sent_at=NOW))


def everywhere(db: Database) -> str:
    """Every value of every row of every table, as text: what a search of the database finds."""
    found = []
    with db.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)):
                found += [as_text(value) for value in row if value is not None]
    return "\n".join(found)


def to_summary(chat: Dialogue) -> tuple[Said, str]:
    """A consultation up to its summary, with WORRY and PHONE; the summary, and the id of the
    message that said the worry."""
    said = walk_to(chat, "worry")
    said = chat.say(WORRY)
    worry_id = chat.last_message_id
    said = chat.tap(said, "書き終えた")
    said = ANSWERS["contact"](chat, said)
    said = chat.say(PHONE)
    said = ANSWERS["when"](chat, said)
    assert asks(said, "summary") and WORRY in said.text and PHONE in said.text
    return said, worry_id


@pytest.fixture
def chat(db: Database) -> Dialogue:
    with db.transaction() as session:
        load_town(session)
    return Dialogue(db, clock_at(MONDAY_10))


# ---- Unsend: every copy --------------------------------------------------------------------


def test_unsending_the_worry_blanks_the_summary_that_repeated_it_and_the_phone(
    chat: Dialogue, db: Database
) -> None:
    _summary, worry_id = to_summary(chat)
    assert copies(db, chat.user, WORRY), "the summary repeats the worry"
    mark_all_sent(db)
    greeting = copies(db, chat.user, "相談する")

    chat.unsend(worry_id)

    assert copies(db, chat.user, WORRY, PHONE) == [], "no sent message repeats them any more"
    assert copies(db, chat.user, "相談する") == greeting, "what did not repeat it is kept"
    assert all(row.status == outbox.SENT for row in outbox_rows(db, chat.user))


def test_an_unsent_worry_leaves_the_outbox_after_the_ticket_is_filed_too(
    chat: Dialogue, db: Database
) -> None:
    summary, worry_id = to_summary(chat)
    filed = chat.tap(summary, "送信する")
    assert "受付番号" in filed.text
    mark_all_sent(db)

    chat.unsend(worry_id)

    assert copies(db, chat.user, WORRY) == []
    # The phone number came in a message of its own, which they did not take back: the
    # answer telling them when we call keeps it.
    assert copies(db, chat.user, PHONE)
    with db.transaction() as session:
        bodies = [entry.body for entry in session.scalars(select(TicketMessage))]
    assert WORRY not in bodies


@pytest.mark.parametrize("filed", [False, True], ids=["in the summary", "after filing"])
def test_unsending_the_phone_number_takes_it_from_the_summary_and_the_ticket(
    chat: Dialogue, db: Database, filed: bool
) -> None:
    said = walk_to(chat, "worry")
    said = chat.tap(chat.say(WORRY), "書き終えた")
    said = ANSWERS["contact"](chat, said)
    said = chat.say(PHONE)
    phone_id = chat.last_message_id
    summary = ANSWERS["when"](chat, said)
    assert PHONE in summary.text
    if filed:
        assert "受付番号" in chat.tap(summary, "送信する").text
    mark_all_sent(db)

    chat.unsend(phone_id)

    assert copies(db, chat.user, PHONE) == [], "no message repeats the number any more"
    with db.transaction() as session:
        contacts = [ticket.contact or {} for ticket in session.scalars(select(Ticket))]
        drafts = [c.data for c in session.scalars(select(Conversation))]
    assert all("phone" not in contact for contact in contacts)
    assert PHONE not in repr(drafts) and PHONE not in repr(contacts)
    if filed:
        with db.transaction() as session:
            bodies = [entry.body for entry in session.scalars(select(TicketMessage))]
        assert WORRY in bodies, "the worry, not taken back, stays in the thread"


def test_a_message_still_waiting_to_go_that_repeats_it_is_dropped(
    chat: Dialogue, db: Database
) -> None:
    _summary, worry_id = to_summary(chat)
    (waiting,) = copies(db, chat.user, WORRY)

    chat.unsend(worry_id)

    with db.transaction() as session:
        row = session.get(OutboxMessage, waiting)
        assert row is not None
        assert (row.status, row.messages) == (outbox.DROPPED, [])


def test_a_worry_typed_at_the_menu_and_quoted_cut_short_is_taken_back_everywhere(
    chat: Dialogue, db: Database
) -> None:
    chat.follow()
    offered = chat.say(LONG_WORRY)
    typed_id = chat.last_message_id
    said = chat.tap(offered, "はい、おねがいします")
    for step in ["consent", "about", "categories", "area", "district", "urgency"]:
        said = ANSWERS[step](chat, said)
    # The worry question quotes the first 39 characters of what they typed, then "…".
    assert LONG_WORRY[:39] + "…" in said.text
    mark_all_sent(db)

    chat.unsend(typed_id)

    assert copies(db, chat.user, LONG_WORRY[:10]) == []


def test_a_draft_forgotten_after_its_week_takes_the_summary_that_repeated_it(
    chat: Dialogue, db: Database
) -> None:
    to_summary(chat)
    mark_all_sent(db)
    chat.clock.advance(consultation.ConsultationFlow.resumable_for - timedelta(hours=1))
    Scheduler(db, chat.clock, conversation_idle=chat.idle_after).housekeeping(chat.clock.now())
    assert copies(db, chat.user, WORRY), "still theirs to go on with"

    chat.clock.advance(timedelta(hours=2))
    Scheduler(db, chat.clock, conversation_idle=chat.idle_after).housekeeping(chat.clock.now())

    assert copies(db, chat.user, WORRY, PHONE) == []


def test_repeats_finds_a_line_cut_short_anywhere_in_a_message() -> None:
    said = [{"type": "text", "text": "・ご相談の内容：まえがき\n息子が学…（200文字）"}]
    assert outbox.repeats(said, ["まえがき\n息子が学校に行けません"])
    assert outbox.repeats([{"type": "flex", "altText": WORRY[:12]}], [WORRY])
    assert not outbox.repeats(said, ["娘のことです"])
    assert not outbox.repeats(said, ["。"]), "a lone character names nothing"


# ---- Retention -----------------------------------------------------------------------------

PERIODS = Retention(
    inbox_events=timedelta(days=7),
    outbox=timedelta(days=30),
    attachments=timedelta(days=365),
    closed_tickets=timedelta(days=1825),
    audit=timedelta(days=1825),
)


def _event(session: Any, key: str, status: str, handled_at: datetime | None) -> int:
    event = InboxEvent(
        webhook_event_id=key,
        source_key=RESIDENT,
        event_type="message",
        payload={},
        event_time=NOW - timedelta(days=400),
        received_at=NOW - timedelta(days=400),
        status=status,
        available_at=NOW,
        handled_at=handled_at,
    )
    session.add(event)
    session.flush()
    return event.id


def _outbox_row(session: Any, status: str, made: datetime) -> int:
    (row,) = outbox.enqueue(session, RESIDENT, [{"type": "text", "text": "x"}], made)
    row.status = status
    return row.id


def _multicast(session: Any, status: str, made: datetime) -> int:
    row = outbox.enqueue_multicast(session, [RESIDENT], [{"type": "text", "text": "x"}], made)
    row.status = status
    session.flush()
    return row.id


def _closed(session: Any, team_id: int, ended: datetime) -> Ticket:
    ticket = make_ticket(session, team_id, now=ended - timedelta(days=3))
    ticket.status, ticket.outcome, ticket.resolved_at = "closed", "solved", ended
    return ticket


def _attachment(session: Any, ticket: Ticket, made: datetime) -> int:
    entry = TicketMessage(
        ticket_id=ticket.id,
        author="resident",
        body="",
        attachments=[{"type": "image", "message_id": "1"}],
        created_at=made,
    )
    session.add(entry)
    session.flush()
    (kept,) = attachments.attach(session, entry, made)
    kept.content, kept.status = b"photo", "stored"
    session.flush()
    return kept.id


def _audit(session: Any, at: datetime, ticket: Ticket | None = None) -> int:
    entry = AuditEntry(at=at, action="view", detail={}, ticket_id=ticket.id if ticket else None)
    session.add(entry)
    session.flush()
    return entry.id


def test_each_kind_of_record_goes_after_its_period_and_younger_ones_stay(db: Database) -> None:
    office = make_office(db)
    team = office.teams["marugoto"]
    day = timedelta(days=1)
    with db.transaction() as session:
        events = {
            "old": _event(session, "old", inbox.DONE, NOW - 8 * day),
            "young": _event(session, "young", inbox.DONE, NOW - 6 * day),
            "pending": _event(session, "pending", inbox.PENDING, None),
            "parked": _event(session, "parked", inbox.PARKED, None),
        }
        rows = {
            "old": _outbox_row(session, outbox.SENT, NOW - 31 * day),
            "young": _outbox_row(session, outbox.SENT, NOW - 29 * day),
            "pending": _outbox_row(session, outbox.PENDING, NOW - 31 * day),
            "reply": _outbox_row(session, outbox.SENT, NOW - 31 * day),
        }
        multicasts = {
            "old": _multicast(session, outbox.SENT, NOW - 31 * day),
            "pending": _multicast(session, outbox.PENDING, NOW - 31 * day),
        }
        open_long = make_ticket(session, team, now=NOW - 2000 * day)
        old_ticket = _closed(session, team, NOW - 1826 * day)
        young_ticket = _closed(session, team, NOW - 1824 * day)
        session.add(
            TicketMessage(
                ticket_id=young_ticket.id,
                author="staff",
                body="お電話します",
                outbox_id=rows["reply"],
                created_at=NOW - 31 * day,
            )
        )
        photos = {
            "old": _attachment(session, young_ticket, NOW - 366 * day),
            "young": _attachment(session, young_ticket, NOW - 364 * day),
            "gone_with_ticket": _attachment(session, old_ticket, NOW - 1830 * day),
        }
        audits = {
            "old": _audit(session, NOW - 1826 * day),
            "young": _audit(session, NOW - 1824 * day, old_ticket),
        }
        tickets = {"old": old_ticket.id, "young": young_ticket.id, "open": open_long.id}

    deleted = Scheduler(db, StoppedClock(NOW), retention=PERIODS).expire_records(NOW)

    with db.transaction() as session:

        def present(table: Any, ids: dict[str, int]) -> set[str]:
            return {name for name, id_ in ids.items() if session.get(table, id_) is not None}

        assert present(InboxEvent, events) == {"young", "pending", "parked"}
        assert present(OutboxMessage, rows) == {"young", "pending", "reply"}
        assert present(OutboxMulticast, multicasts) == {"pending"}
        assert present(TicketAttachment, photos) == {"young"}
        assert present(Ticket, tickets) == {"young", "open"}
        assert present(AuditEntry, audits) == {"young"}
        # A staff reply's row keeps its delivered mark, not its copy of the words.
        reply = session.get(OutboxMessage, rows["reply"])
        assert reply is not None and reply.messages == []
        # The younger audit entry outlives the ticket it named.
        young_audit = session.get(AuditEntry, audits["young"])
        assert young_audit is not None and young_audit.ticket_id is None
        assert not session.scalars(
            select(TicketMessage).where(TicketMessage.ticket_id == tickets["old"])
        ).all()
    # (Opening each ticket wrote an audit entry too, as old as the ticket.)
    assert deleted >= 1 + 3 + 2 + 1 + 1


def test_the_sweep_deletes_in_batches_once_a_day(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retention, "BATCH", 2)
    clock = StoppedClock(NOW)
    with db.transaction() as session:
        for _ in range(5):
            _audit(session, NOW - timedelta(days=2000))
    scheduler = Scheduler(db, clock, retention=PERIODS)

    scheduler.sweep()  # at start-up

    def audits() -> int:
        with db.transaction() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry)) or 0

    assert audits() == 0, "five rows went in three batches"
    with db.transaction() as session:
        _audit(session, NOW - timedelta(days=2000))
    clock.advance(timedelta(hours=23))
    scheduler.sweep()
    assert audits() == 1, "not again within the day"
    clock.advance(timedelta(hours=1))
    scheduler.sweep()
    assert audits() == 0


def test_retention_periods_come_from_the_settings_with_stated_defaults() -> None:
    defaults = Settings.from_env({}, dotenv=None).retention
    assert defaults == Retention()
    assert (defaults.inbox_events, defaults.outbox) == (timedelta(days=7), timedelta(days=30))
    assert defaults.attachments == timedelta(days=365)
    assert defaults.closed_tickets == defaults.audit == timedelta(days=1825)
    chosen = Settings.from_env(
        {
            "MADOGUCHI_KEEP_INBOX_EVENTS": "2d",
            "MADOGUCHI_KEEP_OUTBOX": "14d",
            "MADOGUCHI_KEEP_ATTACHMENTS": "90d",
            "MADOGUCHI_KEEP_CLOSED_TICKETS": "3650d",
            "MADOGUCHI_KEEP_AUDIT": "1095d",
        }
    ).retention
    assert chosen == Retention(
        timedelta(days=2),
        timedelta(days=14),
        timedelta(days=90),
        timedelta(days=3650),
        timedelta(days=1095),
    )
    with pytest.raises(ValueError, match="not a duration"):
        Settings.from_env({"MADOGUCHI_KEEP_AUDIT": "five years"})


# ---- Erasure on request --------------------------------------------------------------------


@pytest.fixture
def town(db: Database) -> Town:
    """山田花子, enrolled in watch-over with two family members, who also files a consultation
    (worry and phone number), sends a photo, is quoted in a staff note and missed a check-in."""
    town = Town(db, clock_at(MONDAY_10))
    town.enrol()
    chat = town.resident.chat
    said = chat.send(postback_event("cmd=start&flow=consultation", chat.user))
    for step in ["consent", "about", "categories", "area", "district", "urgency"]:
        said = ANSWERS[step](chat, said)
    said = chat.tap(chat.say(WORRY), "書き終えた")
    said = ANSWERS["contact"](chat, said)
    said = ANSWERS["when"](chat, chat.say(PHONE))
    assert "受付番号" in chat.tap(said, "送信する").text
    chat.photo("900001")
    with db.transaction() as session:
        session.execute(update(TicketAttachment).values(content=PHOTO, status="stored"))
        consultation_ticket = session.scalars(select(Ticket)).one()
        aoki = make_staff(session, "aoki", ["marugoto"])
        casework.note(session, aoki, consultation_ticket, f"{PHONE} に電話、不在", town.clock.now())
        make_staff(session, "boss", [], role="admin")
    # A check-in nobody answers: the family are told, by name, and a ticket is filed.
    town.until_next_checkin()
    for _ in range(3):
        town.wait(3)
    assert any("山田花子" in as_text(m) for m in town.messages_to(FAMILY_A))
    return town


def staff_id(db: Database, name: str) -> int:
    with db.transaction() as session:
        return session.scalars(select(Staff.id).where(Staff.name == name)).one()


def reference_of(db: Database) -> str:
    with db.transaction() as session:
        return session.scalars(select(Ticket.reference).where(Ticket.kind == "consultation")).one()


def assert_erased(db: Database, erasure_id: str) -> None:
    stored = everywhere(db)
    for word in (WORRY, PHONE, "山田花子", RESIDENT, PHOTO.decode()):
        assert word not in stored, f"{word!r} is still stored"
    with db.transaction() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "erase_resident"))
        assert entry.detail["erasure"] == erasure_id
        assert set(entry.detail) == {"erasure", "by"}, "the entry names no content"
        resident = session.scalars(
            select(Resident).where(Resident.line_user_id == f"erased:{erasure_id}")
        ).one()
        assert resident.display_name is None and not resident.following
        assert session.scalars(select(WatchEnrolment)).all() == []
        assert session.scalars(select(WatchFamilyLink)).all() == []
        assert session.scalars(select(CheckinRound)).all() == []
        assert session.scalars(select(TicketAttachment)).all() == []
        assert not session.scalars(
            select(Deadline).where(Deadline.kind.like("watch.%"), Deadline.status == "pending")
        ).all()
        # The tickets stay, anonymous and closed, saying why they are empty.
        for ticket in session.scalars(select(Ticket)):
            assert ticket.resident_id == resident.id and not ticket.is_open
            assert ticket.contact == {}
            assert "消去しました" in as_text([m.body for m in ticket.messages])
            assert all(m.author != "resident" for m in ticket.messages)
        # The family stay who they are.
        assert session.scalars(select(Resident).where(Resident.line_user_id == FAMILY_A)).one()


def test_staff_are_refused_and_an_admin_erases_a_resident_through_the_console(
    db: Database, town: Town
) -> None:
    app = console_app(db, town.clock.now())
    reference = reference_of(db)
    aoki = Browser.of(app)
    assert aoki.sign_in(give_password(db, staff_id(db, "aoki"))).status_code == 302
    assert aoki.get(f"/console/admin/erase?who={reference}").status_code == 403
    refused = aoki.post("/console/admin/erase", {"who": reference, "confirm": "1"})
    assert refused.status_code == 403
    assert "山田花子" in everywhere(db), "nothing was erased"
    anonymous = app.test_client().post("/console/admin/erase", data={"who": reference})
    assert anonymous.status_code == 302 and "/console/sign-in" in anonymous.headers["Location"]

    boss = Browser.of(app, ip="192.0.2.20")
    assert boss.sign_in(give_password(db, staff_id(db, "boss"))).status_code == 302
    assert boss.get("/console/admin/erase").status_code == 200
    assert boss.get("/console/admin/erase?who=C-2026-999999").status_code == 404
    found = boss.get(f"/console/admin/erase?who={reference}")
    assert found.status_code == 200 and "山田花子" in found.text
    unconfirmed = boss.post("/console/admin/erase", {"who": reference})
    assert unconfirmed.status_code == 422
    assert "山田花子" in everywhere(db)

    done = boss.post("/console/admin/erase", {"who": reference, "confirm": "1"})

    assert done.status_code == 200, done.text[:500]
    boss_id = staff_id(db, "boss")
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "erase_resident"))
        (erased,) = entry.all()
        assert erased.staff_id == boss_id and erased.ip == "192.0.2.20"
        erasure_id = erased.detail["erasure"]
    assert erasure_id in done.text
    assert_erased(db, erasure_id)


def _cli(db_url: str, args: list[str], given: str = "") -> Any:
    return CliRunner().invoke(main, args, input=given, env={"DATABASE_URL": db_url})


def test_the_cli_erases_a_resident_by_line_user_id(db_url: str, db: Database, town: Town) -> None:
    declined = _cli(db_url, ["residents", "erase", RESIDENT], "n\n")
    assert declined.exit_code == 1 and "山田花子" in everywhere(db)
    unknown = _cli(db_url, ["residents", "erase", "U" + "0" * 32, "--yes"])
    assert unknown.exit_code == 1 and "no resident" in unknown.output

    result = _cli(db_url, ["residents", "erase", RESIDENT], "y\n")

    assert result.exit_code == 0, result.output
    erasure_id = result.output.split("erasure id ")[1].split(",")[0]
    assert_erased(db, erasure_id)
    with db.transaction() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "erase_resident"))
        assert entry.staff_id is None and entry.detail["by"] == "cli"


# ---- Logs ----------------------------------------------------------------------------------

NAME = "山田花子"
TYPED_PHONE = "０４６５ー００ー４３２１"  # as a phone keyboard may write it


@pytest.fixture
def stack(db_url: str) -> Iterator[Stack]:
    with town_stack(db_url) as the_stack:
        yield the_stack


@pytest.mark.slow
def test_a_whole_consultation_logs_no_words_name_or_number_of_the_resident(
    stack: Stack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    hanako = Persona(stack, NAME)
    user = hanako.user
    hanako.do("follow", "ボタンを押してください")
    hanako.tap("相談する", "はじめにお知らせです")
    hanako.tap("同意する", "どなたについてのご相談ですか")
    hanako.tap("自分", "どんなことのご相談ですか")
    hanako.tap("子育て", "選んだもの：子育て")
    hanako.tap("次へ", "どちらの地区のことですか")
    hanako.tap("中部", "の、どの地区ですか")
    hanako.tap("緑", "どのくらい急ぎますか")
    hanako.tap("今日中に", "ご自分の言葉で書いてください")
    before = len(stack.bot_texts(user))
    worry = stack.act(user, "text", text=WORRY)["event"]["message"]["id"]
    hanako.expect("続きがあれば", after=before)
    hanako.tap("書き終えた", "どの方法がよいですか")
    hanako.tap("電話で", "お電話番号を入力してください")
    hanako.do("text", "連絡がつきやすいのは", text=TYPED_PHONE)
    summary = hanako.tap("午前", "ご相談の内容を確かめてください")
    assert WORRY in summary and PHONE in summary
    hanako.tap("送信する", "受付番号：C-")
    stack.act(user, "unsend", messageId=worry)

    def taken_back() -> bool:
        with stack.db.transaction() as session:
            bodies = session.scalars(select(TicketMessage.body)).all()
        return WORRY not in bodies

    stack.wait_for(taken_back)
    assert copies(stack.db, user, WORRY) == [], "the outbox forgot the worry too"

    logged = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in caplog.records
        # The simulator stands in for LINE in this test; it is not part of the product.
        if not record.name.startswith("simulator")
    )
    assert len(caplog.records) > 20, "the session was logged"
    for secret in (WORRY[:8], PHONE, TYPED_PHONE, "0465004321", NAME):
        assert secret not in logged, f"{secret!r} was logged"
