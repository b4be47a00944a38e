"""The resident hears from a person, and hears what happens to their ticket: a staff reply
names who is writing, and a hand-over, a referral or a close is told in plain words."""

from __future__ import annotations

import pytest
from casework_data import NOW, Office, make_office, make_resident, make_ticket, staff, ticket
from sqlalchemy import select

from console import casework_with_words
from storage.db import Database
from storage.models import OutboxMessage, Team


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


def _open(db: Database, office: Office, following: bool = True) -> str:
    with db.transaction() as session:
        resident = make_resident(session, following=following)
        return make_ticket(session, office.teams["marugoto"], resident=resident).reference


def _told(db: Database) -> list[str]:
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [message["body"] for row in rows for message in row.messages]


def test_a_reply_names_the_person_and_the_ticket(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        aoki.name = "青木"
        message = casework_with_words.reply(
            session, aoki, ticket(session, reference), "了解です", NOW
        )
        assert message.body == "了解です"  # the thread keeps what staff wrote
    assert _told(db) == [f"社協 青木より（{reference}）\n了解です"]


def test_a_hand_over_and_a_close_are_told_and_shown_in_the_thread(
    db: Database, office: Office
) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        kourei = session.get(Team, office.teams["kourei"])
        assert kourei is not None
        found = ticket(session, reference)
        casework_with_words.transfer(session, aoki, found, kourei, "介護保険の申請のため", NOW)
        chiba = staff(session, office.staff["chiba"])
        casework_with_words.close(session, chiba, found, "solved", "", NOW)
        thread = [(m.author, m.body) for m in found.messages]
    moved, closed = _told(db)
    assert (
        moved
        == f"ご相談（{reference}）は、{kourei.name}の担当者が引き継ぎました。あらためてご連絡します。"
    )
    # Not the reason written for the receiving team: that is staff's.
    assert "介護保険" not in moved
    assert "いつでもここに書いてください" in closed and reference in closed
    assert thread[-2:] == [("bot", moved), ("bot", closed)]


def test_a_referral_names_the_agency_once(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        found = ticket(session, reference)
        casework_with_words.refer(session, aoki, found, "地域包括支援センター", "経緯を電話で", NOW)
    assert _told(db) == [
        f"ご相談（{reference}）は、地域包括支援センターにおつなぎしました。"
        "地域包括支援センターからご連絡があります。"
    ]


def test_a_resident_who_blocked_the_account_is_not_sent_anything(
    db: Database, office: Office
) -> None:
    reference = _open(db, office, following=False)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        casework_with_words.close(session, aoki, ticket(session, reference), "solved", "", NOW)
    assert _told(db) == []
