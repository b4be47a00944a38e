"""Tickets in storage: reference numbers never repeat, a resident's open ticket is found."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from storage import tickets
from storage.db import Database
from storage.models import AuditEntry, Resident, Team

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _resident_and_team(db: Database) -> tuple[int, int]:
    with db.transaction() as session:
        resident = Resident(line_user_id="U" + "1" * 32, language="ja", created_at=NOW)
        team = Team(slug="marugoto", name="福祉まるごと相談", hours=[], sla_hours={})
        session.add_all([resident, team])
        session.flush()
        return resident.id, team.id


def test_references_count_up_per_kind_and_year(db: Database) -> None:
    with db.transaction() as session:
        first = tickets.next_reference(session, "consultation", NOW)
        second = tickets.next_reference(session, "consultation", NOW)
        watch = tickets.next_reference(session, "watch", NOW)
        next_year = tickets.next_reference(session, "consultation", NOW.replace(year=2027))
    assert (first, second) == ("C-2026-000001", "C-2026-000002")
    assert watch == "W-2026-000001"
    assert next_year == "C-2027-000001"


def test_references_taken_at_once_never_repeat(db: Database) -> None:
    taken: list[str] = []

    def take() -> None:
        for _ in range(10):
            with db.transaction() as session:
                taken.append(tickets.next_reference(session, "consultation", NOW))

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == [f"C-2026-{n:06d}" for n in range(1, 41)]


def test_an_opened_ticket_is_the_residents_open_one_and_is_audited(db: Database) -> None:
    resident_id, team_id = _resident_and_team(db)
    with db.transaction() as session:
        resident = session.get(Resident, resident_id)
        team = session.get(Team, team_id)
        assert resident is not None and team is not None
        assert tickets.open_ticket_of(session, resident) is None
        ticket = tickets.open_ticket(
            session, resident=resident, kind="staff", team=team, now=NOW, urgency="today"
        )
        tickets.add_message(session, ticket, author="resident", body="hello", now=NOW)
    with db.transaction() as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None
        found = tickets.open_ticket_of(session, resident)
        assert found is not None and found.reference == "S-2026-000001"
        assert [m.body for m in found.messages] == ["hello"]
        entries = session.query(AuditEntry).filter_by(ticket_id=found.id).all()
        assert [e.action for e in entries] == ["open"]
        found.status = "resolved"
    with db.transaction() as session:
        resident = session.get(Resident, resident_id)
        assert resident is not None
        assert tickets.open_ticket_of(session, resident) is None


def test_the_sample_town_loads_once(db: Database) -> None:
    from sqlalchemy import func, select

    from storage.models import District, RoutingRule
    from storage.sample_town import load_town

    for _ in range(2):
        with db.transaction() as session:
            load_town(session)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(District)) == 25
        assert session.scalar(select(func.count()).select_from(Team)) == 8
        rule = session.scalars(select(RoutingRule).order_by(RoutingRule.position)).first()
        assert rule is not None and rule.team.slug == "kourei"
