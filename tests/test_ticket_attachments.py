"""Photos a resident sends into an open ticket: fetched from LINE, kept, and shown to its team."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from casework_data import NOW, make_office, make_resident, make_ticket
from console_client import Browser, console_app, give_password
from fakes import ScriptedGateway
from sqlalchemy import select
from stack import Stack

from bot import attachment_fetch
from bot.clock import Clock
from simulator.user_endpoints import PLACEHOLDER_PNG
from storage import attachments, tickets
from storage.db import Database
from storage.models import AuditEntry, Staff, TicketAttachment, TicketMessage


class SetClock(Clock):
    """A clock the test sets by hand."""

    def __init__(self, at: datetime) -> None:
        super().__init__()
        self.at = at

    def now(self) -> datetime:
        return self.at


@pytest.fixture
def stack(db: Database) -> Iterator[Stack]:
    # The worker is driven by hand, so each step (inbox, fetch) happens when the test says.
    running = Stack(db.url, worker=False)
    yield running
    running.close()


def _photo_in_a_ticket(db: Database, stack: Stack) -> tuple[str, str]:
    """A resident with an open まるごと ticket sends a photo; returns (reference, user id)."""
    office = make_office(db)
    user = stack.persona("山田 花子")
    with db.transaction() as session:
        resident = make_resident(session)
        resident.line_user_id = user
        reference = make_ticket(session, office.teams["marugoto"], resident=resident).reference
    stack.act(user, "image")
    stack.worker.process_inbox()
    return reference, user


def _kept(db: Database) -> list[TicketAttachment]:
    with db.transaction() as session:
        rows = list(session.scalars(select(TicketAttachment).order_by(TicketAttachment.id)))
        for row in rows:
            _ = row.content  # loaded before the session ends
            session.expunge(row)
        return rows


def _browser(db: Database, name: str) -> Browser:
    with db.transaction() as session:
        staff_id = session.scalar(select(Staff.id).where(Staff.name == name))
    assert staff_id is not None
    browser = Browser.of(console_app(db, NOW + timedelta(minutes=5)))
    browser.sign_in(give_password(db, staff_id))
    return browser


def test_a_photo_is_fetched_kept_and_shown_to_the_ticket_team(db: Database, stack: Stack) -> None:
    reference, _user = _photo_in_a_ticket(db, stack)
    [pending] = _kept(db)
    assert pending.status == "pending" and pending.kind == "image"

    assert attachment_fetch.fetch_due(stack.db, stack.worker.gateway, stack.clock) == 1
    [stored] = _kept(db)
    assert stored.status == "stored"
    assert stored.content == PLACEHOLDER_PNG and stored.size == len(PLACEHOLDER_PNG)
    assert stored.content_type == "image/png"
    fetched = [r for r in stack.api_requests() if r["path"].endswith("/content")]
    assert len(fetched) == 1

    aoki = _browser(db, "aoki")
    page = aoki.get(f"/console/tickets/{reference}")
    url = f"/console/tickets/{reference}/attachments/{stored.id}"
    assert f'<img src="{url}" alt="相談者が送った写真"' in page.text
    served = aoki.get(url)
    assert served.status_code == 200 and served.data == PLACEHOLDER_PNG
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["Cache-Control"] == "no-store"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "img-src 'self'" in page.headers["Content-Security-Policy"]
    with db.transaction() as session:
        viewed = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "view_attachment")
        ).all()
    assert viewed == ["view_attachment"]

    # 高齢・介護's staff cannot open this ticket, so not its photo either.
    chiba = _browser(db, "chiba")
    assert chiba.get(url).status_code == 404
    assert aoki.get(f"/console/tickets/{reference}/attachments/{stored.id + 1}").status_code == 404


def test_an_unsent_photo_is_deleted_with_its_bytes(db: Database, stack: Stack) -> None:
    reference, user = _photo_in_a_ticket(db, stack)
    attachment_fetch.fetch_due(stack.db, stack.worker.gateway, stack.clock)
    [stored] = _kept(db)

    stack.act(user, "unsend")
    stack.worker.process_inbox()

    assert _kept(db) == []
    with db.transaction() as session:
        assert (
            session.scalars(select(TicketMessage).where(TicketMessage.author == "resident")).all()
            == []
        )
    aoki = _browser(db, "aoki")
    assert aoki.get(f"/console/tickets/{reference}/attachments/{stored.id}").status_code == 404


def test_a_failing_fetch_is_retried_then_marked_failed_without_holding_up_others(
    db: Database,
) -> None:
    office = make_office(db)
    with db.transaction() as session:
        ticket = make_ticket(session, office.teams["marugoto"])
        photos = [{"type": "image", "message_id": "gone"}, {"type": "file", "message_id": "doc"}]
        tickets.add_message(session, ticket, author="resident", now=NOW, attachments=photos)
        # A sticker carries nothing to fetch.
        tickets.add_message(
            session, ticket, author="resident", now=NOW, attachments=[{"type": "sticker"}]
        )
    gateway = ScriptedGateway(contents={"doc": (b"%PDF-1.4", "application/pdf")})
    clock = SetClock(NOW)

    assert attachment_fetch.fetch_due(db, gateway, clock) == 2
    gone, doc = _kept(db)
    assert (gone.status, gone.attempts) == ("pending", 1)
    assert (doc.status, doc.content) == ("stored", b"%PDF-1.4")

    # Not tried again at once; then again after a wait, and given up after the last try.
    assert attachment_fetch.fetch_due(db, gateway, clock) == 0
    for _ in range(attachments.MAX_ATTEMPTS - 1):
        clock.at += timedelta(minutes=10)
        assert attachment_fetch.fetch_due(db, gateway, clock) == 1
    clock.at += timedelta(minutes=10)
    assert attachment_fetch.fetch_due(db, gateway, clock) == 0
    gone, _doc = _kept(db)
    assert (gone.status, gone.attempts) == ("failed", attachments.MAX_ATTEMPTS)


def test_a_file_is_served_as_a_download(db: Database) -> None:
    office = make_office(db)
    with db.transaction() as session:
        ticket = make_ticket(session, office.teams["marugoto"])
        reference = ticket.reference
        tickets.add_message(
            session,
            ticket,
            author="resident",
            now=NOW,
            attachments=[{"type": "file", "message_id": "doc"}],
        )
    gateway = ScriptedGateway(contents={"doc": (b"<script>alert(1)</script>", "text/html")})
    attachment_fetch.fetch_due(db, gateway, SetClock(NOW))
    [doc] = _kept(db)

    aoki = _browser(db, "aoki")
    page = aoki.get(f"/console/tickets/{reference}")
    assert "相談者が送ったファイルをダウンロード" in page.text
    served = aoki.get(f"/console/tickets/{reference}/attachments/{doc.id}")
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
