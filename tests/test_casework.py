"""Casework in storage, on SQLite and PostgreSQL: what staff see, take, send, note, hand over, close."""

from __future__ import annotations

from datetime import timedelta

import pytest
from casework_data import (
    NOW,
    Office,
    make_office,
    make_resident,
    make_staff,
    make_ticket,
    staff,
    ticket,
)
from sqlalchemy import func, select

from storage import audit, business_time, casework, outbox
from storage.db import Database
from storage.models import AuditEntry, District, OutboxMessage, Team, Ticket, TicketMessage
from storage.refusals import Conflict, Refused


@pytest.fixture
def office(db: Database) -> Office:
    return make_office(db)


def _actions(db: Database, reference: str) -> list[str]:
    with db.transaction() as session:
        found = ticket(session, reference)
        return [entry.action for entry in casework.history(session, found)]


def _history(db: Database, reference: str) -> list[AuditEntry]:
    with db.transaction() as session:
        entries = casework.history(session, ticket(session, reference))
        session.expunge_all()
        return entries


def _open(db: Database, office: Office, team: str = "marugoto", **kwargs: object) -> str:
    with db.transaction() as session:
        return make_ticket(session, office.teams[team], **kwargs).reference  # type: ignore[arg-type]


# --- who sees what -----------------------------------------------------------------------


def test_staff_see_only_their_teams_tickets_and_admins_see_all(
    db: Database, office: Office
) -> None:
    ours = _open(db, office, "marugoto")
    theirs = _open(db, office, "kourei")
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        boss = staff(session, office.staff["boss"])
        assert casework.get_visible(session, aoki, ours) is not None
        assert casework.get_visible(session, aoki, ours.lower()) is not None
        assert casework.get_visible(session, aoki, theirs) is None
        assert casework.get_visible(session, aoki, "C-2026-999999") is None
        listed = casework.queue(session, aoki, team_id=None, view="open", now=NOW)
        assert [t.reference for t in listed] == [ours]
        assert (
            casework.queue(session, aoki, team_id=office.teams["kourei"], view="open", now=NOW)
            == []
        )
        assert casework.queue_counts(session, aoki, office.teams["kourei"])["open"] == 0
        assert {t.slug for t in casework.teams_of(aoki)} == {"marugoto"}
        assert casework.team_visible(session, aoki, office.teams["kourei"]) is None
        assert casework.get_visible(session, boss, theirs) is not None
        assert len(casework.teams_of(boss)) == 8


def test_no_function_lets_staff_act_on_another_teams_ticket(db: Database, office: Office) -> None:
    theirs = _open(db, office, "kourei")
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        foreign = ticket(session, theirs)
        assert casework.claim(session, aoki, foreign, NOW) is False
        assert casework.claim_next(session, aoki, office.teams["kourei"], NOW) is None
        assert foreign.assignee_id is None
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        assert casework.earlier_tickets(session, aoki, ticket(session, theirs)) == []


def test_a_deactivated_account_sees_nothing(db: Database, office: Office) -> None:
    ours = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        aoki.active = False
        assert casework.get_visible(session, aoki, ours) is None
        assert casework.claim(session, aoki, ticket(session, ours), NOW) is False
        assert casework.teams_of(aoki) == []


# --- queues ------------------------------------------------------------------------------


def test_queue_puts_the_most_urgent_first_then_the_nearest_due(
    db: Database, office: Office
) -> None:
    later = _open(db, office, urgency="soon", due_in=timedelta(hours=9))
    sooner = _open(db, office, urgency="soon", due_in=timedelta(hours=2))
    anytime = _open(db, office, urgency="anytime", due_in=timedelta(hours=1))
    emergency = _open(db, office, urgency="emergency", due_in=timedelta(hours=1))
    today = _open(db, office, urgency="today", due_in=timedelta(hours=3))
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        listed = casework.queue(
            session, aoki, team_id=office.teams["marugoto"], view="new", now=NOW
        )
    assert [t.reference for t in listed] == [emergency, today, sooner, later, anytime]


def test_views_and_their_counts(db: Database, office: Office) -> None:
    new = _open(db, office)
    mine = _open(db, office)
    waiting = _open(db, office)
    baba_s = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        baba = staff(session, office.staff["baba"])
        assert casework.claim(session, aoki, ticket(session, mine), NOW)
        casework.set_status(session, aoki, ticket(session, waiting), "waiting", NOW)
        assert casework.claim(session, baba, ticket(session, baba_s), NOW)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        team = office.teams["marugoto"]

        def refs(view: casework.View) -> set[str]:
            return {
                t.reference for t in casework.queue(session, aoki, team_id=team, view=view, now=NOW)
            }

        assert refs("new") == {new}
        assert refs("mine") == {mine, waiting}
        assert refs("waiting") == {waiting}
        assert refs("open") == {new, mine, waiting, baba_s}
        assert casework.queue_counts(session, aoki, team) == {
            "new": 1,
            "mine": 2,
            "waiting": 1,
            "open": 4,
        }


def test_filters_and_search_by_reference_or_name(db: Database, office: Office) -> None:
    with db.transaction() as session:
        hanako = make_resident(session, "山田 花子")
        taro = make_resident(session, "佐藤 太郎")
        percent = make_resident(session, "100% Smith")
        housing = make_ticket(
            session, office.teams["marugoto"], resident=hanako, categories=("housing", "money")
        )
        elderly = make_ticket(
            session, office.teams["marugoto"], resident=taro, categories=("elderly",)
        )
        other = make_ticket(
            session, office.teams["marugoto"], resident=percent, categories=("child",)
        )
        district = session.scalars(select(District).order_by(District.id)).first()
        assert district is not None
        for each in (housing, elderly, other):
            each.district_id = district.id if each is elderly else None
        refs = {
            "housing": housing.reference,
            "elderly": elderly.reference,
            "other": other.reference,
        }
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])

        def found(**filters: object) -> set[str]:
            listed = casework.queue(session, aoki, team_id=None, view="open", now=NOW, **filters)  # type: ignore[arg-type]
            return {t.reference for t in listed}

        assert found(category="housing") == {refs["housing"]}
        assert found(category="money") == {refs["housing"]}
        assert found(district_id=district.id) == {refs["elderly"]}
        assert found(search="花子") == {refs["housing"]}
        assert found(search="佐藤") == {refs["elderly"]}
        assert found(search=refs["other"][-6:]) == {refs["other"]}
        assert found(search="100%") == {refs["other"]}
        assert found(search="%") == {refs["other"]}
        assert found(status="new") == set(refs.values())
        assert found(status="waiting") == set()
        with pytest.raises(Refused):
            found(status="bogus")
        with pytest.raises(Refused):
            found(category="'; drop table tickets; --")
        with pytest.raises(Refused):
            casework.queue(session, aoki, team_id=None, view="everything", now=NOW)  # type: ignore[arg-type]


# --- claiming ----------------------------------------------------------------------------


def test_a_claim_is_taken_once_and_audited(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        assert casework.claim(session, aoki, ticket(session, reference), NOW) is True
    with db.transaction() as session:
        baba = staff(session, office.staff["baba"])
        found = ticket(session, reference)
        assert casework.claim(session, baba, found, NOW) is False
        # The loser sees who has it.
        assert found.assignee_id == office.staff["aoki"] and found.status == "assigned"
    assert _actions(db, reference) == ["open", "claim"]


def test_claim_next_takes_the_most_urgent_unassigned(db: Database, office: Office) -> None:
    _open(db, office, urgency="anytime")
    urgent = _open(db, office, urgency="emergency")
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        taken = casework.claim_next(session, aoki, office.teams["marugoto"], NOW)
        assert taken is not None and taken.reference == urgent
        assert taken.assignee_id == aoki.id
        second = casework.claim_next(session, aoki, office.teams["marugoto"], NOW)
        assert second is not None and second.urgency == "anytime"
        assert casework.claim_next(session, aoki, office.teams["marugoto"], NOW) is None


# --- replies and notes -------------------------------------------------------------------


def test_a_reply_is_pushed_to_the_resident_and_records_the_first_response(
    db: Database, office: Office
) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        found = ticket(session, reference)
        message = casework.reply(
            session, aoki, found, "  ご連絡ありがとうございます。\n明日伺います。 ", NOW
        )
        assert message.author == "staff" and message.staff_id == aoki.id
        assert message.body == "ご連絡ありがとうございます。\n明日伺います。"
        # Unassigned, so the reply took it first (through the one claim path).
        assert found.assignee_id == aoki.id and found.status == "in_progress"
        assert found.first_response_at == NOW
        line_user = found.resident.line_user_id
        message_id = message.id
    with db.transaction() as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert row.to == line_user
        assert row.reply_token is None  # a push: the resident's reply token is long gone
        assert row.messages == [
            {"kind": "text", "body": "ご連絡ありがとうございます。\n明日伺います。"}
        ]
        message = session.get(TicketMessage, message_id)
        assert message is not None and message.outbox_id == row.id
        assert casework.delivery_status(message) == "pending"
        outbox.settle(row, outbox.SENT, NOW, via="push")
    with db.transaction() as session:
        message = session.get(TicketMessage, message_id)
        assert message is not None
        assert casework.delivery_status(message) == "delivered"
        assert casework.delivery_statuses(session, [message]) == {message_id: "delivered"}
        aoki = staff(session, office.staff["aoki"])
        casework.reply(
            session, aoki, ticket(session, reference), "二度目", NOW + timedelta(hours=1)
        )
        # The first response stays the first.
        assert ticket(session, reference).first_response_at == NOW
    assert _actions(db, reference) == ["open", "claim", "reply", "reply"]


def test_a_failed_delivery_shows_as_failed(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        message = casework.reply(
            session, staff(session, office.staff["aoki"]), ticket(session, reference), "hi", NOW
        )
        row = session.get(OutboxMessage, message.outbox_id)
        assert row is not None
        outbox.settle(row, outbox.FAILED, NOW, error="400")
        assert casework.delivery_status(message) == "failed"
        note = casework.note(
            session, staff(session, office.staff["aoki"]), ticket(session, reference), "memo", NOW
        )
        assert casework.delivery_status(note) is None


def test_a_long_reply_goes_out_in_line_sized_parts(db: Database, office: Office) -> None:
    reference = _open(db, office)
    body = ("あ" * 4000 + "\n") * 3
    with db.transaction() as session:
        casework.reply(
            session, staff(session, office.staff["aoki"]), ticket(session, reference), body, NOW
        )
        (row,) = session.scalars(select(OutboxMessage)).all()
        texts = [m["body"] for m in row.messages]
        assert all(len(text) <= 5000 for text in texts)
        assert "".join(texts) == body.strip()
        assert len(texts) == 3
    with db.transaction() as session, pytest.raises(Refused):
        casework.reply(
            session,
            staff(session, office.staff["aoki"]),
            ticket(session, reference),
            "x" * (casework.MAX_REPLY + 1),
            NOW,
        )


@pytest.mark.parametrize("body", ["", "   \n "])
def test_an_empty_reply_is_refused(db: Database, office: Office, body: str) -> None:
    reference = _open(db, office)
    with db.transaction() as session, pytest.raises(Refused) as refused:
        casework.reply(
            session, staff(session, office.staff["aoki"]), ticket(session, reference), body, NOW
        )
    assert refused.value.field == "reply"


def test_no_reply_to_a_resident_who_blocked_the_account_or_to_a_closed_ticket(
    db: Database, office: Office
) -> None:
    with db.transaction() as session:
        blocked = make_ticket(
            session, office.teams["marugoto"], resident=make_resident(session, following=False)
        ).reference
    closed = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        casework.close(session, aoki, ticket(session, closed), "solved", "", NOW)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        with pytest.raises(Refused, match="blocked"):
            casework.reply(session, aoki, ticket(session, blocked), "hello", NOW)
        with pytest.raises(Refused, match="closed"):
            casework.reply(session, aoki, ticket(session, closed), "hello", NOW)
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_notes_never_reach_the_resident(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        note = casework.note(session, aoki, ticket(session, reference), "家族に確認中", NOW)
        assert note.author == "note" and note.outbox_id is None
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        found = ticket(session, reference)
        assert [m.author for m in found.messages] == ["note"]
        assert found.first_response_at is None and found.status == "new"
    assert _actions(db, reference) == ["open", "note"]


# --- status, transfer, referral, closing -------------------------------------------------


def test_status_changes_are_audited_and_new_puts_it_back_in_the_queue(
    db: Database, office: Office
) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        found = ticket(session, reference)
        casework.set_status(session, aoki, found, "waiting", NOW)
        assert found.assignee_id == aoki.id  # moved on, so taken by whoever moved it
        casework.set_status(session, aoki, found, "in_progress", NOW)
        casework.set_status(session, aoki, found, "new", NOW)
        assert found.assignee_id is None and found.status == "new"
        with pytest.raises(Refused):
            casework.set_status(session, aoki, found, "closed", NOW)
    assert _actions(db, reference) == ["open", "claim", "status", "status", "status"]
    with db.transaction() as session:
        details = [
            e.detail
            for e in casework.history(session, ticket(session, reference))
            if e.action == "status"
        ]
    assert details == [
        {"from": "new", "to": "waiting"},
        {"from": "waiting", "to": "in_progress"},
        {"from": "in_progress", "to": "new"},
    ]


def test_set_status_on_an_unassigned_ticket_that_was_taken_meanwhile(
    db: Database, office: Office
) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        found = ticket(session, reference)
        # The row changes under the session (as another transaction would), unseen by it.
        session.execute(
            Ticket.__table__.update()
            .where(Ticket.id == found.id)
            .values(assignee_id=office.staff["baba"], status="in_progress")
        )
        found.assignee_id = None  # what the page showed
        with pytest.raises(Conflict):
            casework.set_status(session, aoki, found, "waiting", NOW)


def test_transfer_sends_it_unassigned_to_the_other_queue_with_a_new_sla(
    db: Database, office: Office
) -> None:
    reference = _open(db, office, urgency="today")
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        found = ticket(session, reference)
        casework.claim(session, aoki, found, NOW)
        found.sla_warned_at = NOW
        later = NOW + timedelta(hours=2)
        kourei = session.get(Team, office.teams["kourei"])
        assert kourei is not None
        casework.transfer(session, aoki, found, kourei, "介護保険の申請が中心のため", later)
        assert found.team_id == kourei.id and found.assignee_id is None and found.status == "new"
        assert found.sla_warned_at is None
        assert found.sla_due_at is not None and found.sla_due_at > later
        with pytest.raises(Refused):
            casework.transfer(session, aoki, found, kourei, "again", later)
    with db.transaction() as session:
        # Now it is kourei's: aoki no longer sees it, chiba does.
        assert (
            casework.get_visible(session, staff(session, office.staff["aoki"]), reference) is None
        )
        assert casework.get_visible(session, staff(session, office.staff["chiba"]), reference)
        entry = casework.history(session, ticket(session, reference))[-1]
        assert entry.action == "transfer"
        assert entry.detail == {
            "from": "marugoto",
            "to": "kourei",
            "reason": "介護保険の申請が中心のため",
        }


# --- assigning to a named colleague ----------------------------------------------------


def test_assign_gives_the_ticket_to_a_colleague_with_a_reason_and_it_is_in_their_queue(
    db: Database, office: Office
) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        baba = staff(session, office.staff["baba"])
        found = ticket(session, reference)
        assert [m.name for m in casework.team_members(session, found)] == ["aoki", "baba"]
        casework.assign(session, aoki, found, baba, "地区の担当のため", NOW)
        assert (found.assignee_id, found.status) == (baba.id, "assigned")
        mine = casework.queue(session, baba, team_id=None, view="mine", now=NOW)
        assert [t.reference for t in mine] == [reference]
        assert casework.queue(session, aoki, team_id=None, view="mine", now=NOW) == []
        assert casework.queue_counts(session, baba, office.teams["marugoto"])["mine"] == 1
    with db.transaction() as session:
        [entry] = casework.handovers(session, ticket(session, reference))
        assert (entry.action, entry.staff_id) == ("assign", office.staff["aoki"])
        assert entry.detail == {
            "from": None,
            "to": office.staff["baba"],
            "reason": "地区の担当のため",
        }


def test_reassigning_keeps_the_work_going_and_needs_the_holder_the_caller_saw(
    db: Database, office: Office
) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        baba = staff(session, office.staff["baba"])
        found = ticket(session, reference)
        assert casework.claim(session, baba, found, NOW)
        casework.set_status(session, baba, found, "in_progress", NOW)
        casework.assign(session, baba, found, aoki, "来週から休暇のため", NOW)
        # Being worked on, it stays in progress, now aoki's.
        assert (found.assignee_id, found.status) == (aoki.id, "in_progress")
        # Someone who still sees baba as the holder cannot take it from aoki unseen.
        with pytest.raises(Conflict):
            casework.assign(session, aoki, found, baba, "戻します", NOW, held_by=baba.id)
        assert found.assignee_id == aoki.id
        with pytest.raises(Refused, match="already"):
            casework.assign(session, baba, found, aoki, "again", NOW)
    with db.transaction() as session:
        entries = casework.handovers(session, ticket(session, reference))
        assert [(e.detail["from"], e.detail["to"]) for e in entries] == [
            (office.staff["baba"], office.staff["aoki"])
        ]
    assert _actions(db, reference).count("claim") == 1


def test_an_assignment_made_on_a_stale_page_loses_to_a_claim(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        baba = staff(session, office.staff["baba"])
        found = ticket(session, reference)
        assert casework.claim(session, baba, found, NOW)
        # aoki's page showed nobody holding it.
        with pytest.raises(Conflict):
            casework.assign(session, aoki, found, aoki, "私が対応します", NOW, held_by=None)
        assert found.assignee_id == baba.id
    assert "assign" not in _actions(db, reference)


def test_only_an_active_member_of_the_ticket_s_team_can_be_assigned(
    db: Database, office: Office
) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        baba = staff(session, office.staff["baba"])
        chiba = staff(session, office.staff["chiba"])  # 高齢・介護
        boss = staff(session, office.staff["boss"])  # an admin, in no team
        found = ticket(session, reference)
        for outsider in (chiba, boss):
            with pytest.raises(Refused) as refused:
                casework.assign(session, aoki, found, outsider, "x", NOW)
            assert refused.value.field == "assignee"
        with pytest.raises(Refused) as refused:
            casework.assign(session, aoki, found, baba, "  ", NOW)
        assert refused.value.field == "reason"
        baba.active = False
        session.flush()
        assert [m.name for m in casework.team_members(session, found)] == ["aoki"]
        with pytest.raises(Refused):
            casework.assign(session, aoki, found, baba, "x", NOW)
        # An admin may hand it to a member, though not be handed it.
        casework.assign(session, boss, found, aoki, "地区の担当", NOW)
        assert found.assignee_id == aoki.id
        casework.close(session, aoki, found, "solved", "", NOW)
        baba.active = True
        with pytest.raises(Refused, match="closed"):
            casework.assign(session, aoki, found, baba, "x", NOW)
    # Nobody outside the team can even find it to assign.
    with db.transaction() as session:
        assert (
            casework.get_visible(session, staff(session, office.staff["chiba"]), reference) is None
        )


def test_a_transfer_needs_a_reason(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        kourei = session.get(Team, office.teams["kourei"])
        assert kourei is not None
        with pytest.raises(Refused):
            casework.transfer(
                session,
                staff(session, office.staff["aoki"]),
                ticket(session, reference),
                kourei,
                " ",
                NOW,
            )


def test_referral_to_an_outside_agency(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        found = ticket(session, reference)
        casework.refer(session, aoki, found, "小田原市 生活支援課", "相談内容の要約と連絡先", NOW)
        assert found.status == "referred" and found.outcome == "referred"
        assert found.referral["agency"] == "小田原市 生活支援課"
        assert found.referral["handed_over"] == "相談内容の要約と連絡先"
        assert found.resolved_at == NOW and not found.is_open
        with pytest.raises(Refused):
            casework.refer(session, aoki, found, "again", "again", NOW)
    assert _actions(db, reference) == ["open", "refer"]


# --- urgency and its deadline -------------------------------------------------------------


def test_raising_the_urgency_brings_the_due_time_in_from_the_teams_sla(
    db: Database, office: Office
) -> None:
    reference = _open(db, office, urgency="soon", due_in=None)
    later = NOW + timedelta(minutes=20)
    with db.transaction() as session:
        found = ticket(session, reference)
        team = found.team
        assert found.sla_due_at == business_time.sla_due(team, "soon", NOW)
        found.sla_warned_at = NOW
        aoki = staff(session, office.staff["aoki"])
        assert casework.set_urgency(session, found, "emergency", later, staff=aoki)
        # 緊急: an hour from when it was raised, not the two days "soon" allowed.
        assert found.urgency == "emergency"
        assert found.sla_due_at == later + timedelta(hours=1)
        assert found.sla_warned_at is None, "the warning is armed again for the new time"
        assert casework.time_left(found, later) == timedelta(hours=1)
        assert casework.set_urgency(session, found, "emergency", later, staff=aoki) is False
    entry = _history(db, reference)[-1]
    assert (entry.action, entry.detail) == ("urgency", {"from": "soon", "to": "emergency"})
    assert entry.staff_id == office.staff["aoki"]


def test_raising_never_gives_more_time_and_lowering_never_less(
    db: Database, office: Office
) -> None:
    # Due in 30 minutes already: raising to 今日中 (4 business hours) keeps the 30 minutes.
    reference = _open(db, office, urgency="soon", due_in=timedelta(minutes=30))
    with db.transaction() as session:
        found = ticket(session, reference)
        casework.set_urgency(session, found, "today", NOW)
        assert found.sla_due_at == NOW + timedelta(minutes=30)
        # Lowered, it is due as if filed at that urgency: 40 business hours from filing.
        casework.set_urgency(session, found, "anytime", NOW + timedelta(minutes=10))
        assert found.sla_due_at == business_time.sla_due(found.team, "anytime", NOW)
        # And lowering a ticket due later already (a hand-over, say) keeps the later time.
        found.sla_due_at = NOW + timedelta(days=30)
        found.urgency = "emergency"
        casework.set_urgency(session, found, "soon", NOW + timedelta(minutes=20))
        assert found.sla_due_at == NOW + timedelta(days=30)


def test_an_urgency_must_be_known_and_the_ticket_open(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        found = ticket(session, reference)
        with pytest.raises(Refused):
            casework.set_urgency(session, found, "yesterday", NOW)
        casework.close(session, staff(session, office.staff["aoki"]), found, "solved", "", NOW)
        with pytest.raises(Refused):
            casework.set_urgency(session, found, "emergency", NOW)


def test_a_watch_ticket_whose_resident_answered_is_resolved_by_the_answer(
    db: Database, office: Office
) -> None:
    watch = _open(db, office, "mimamori", urgency="emergency", kind="watch")
    consultation = _open(db, office, "mimamori", urgency="emergency")
    alarmed = _open(db, office, "mimamori", urgency="emergency", kind="watch")
    later = NOW + timedelta(hours=5)
    with db.transaction() as session:
        boss = staff(session, office.staff["boss"])
        audit.record(session, "safety_alarm", NOW, ticket=ticket(session, alarmed))
        found = ticket(session, watch)
        assert casework.resolve_by_answer(session, found, "本人から連絡がありました。", later)
        assert (found.status, found.outcome, found.resolved_at) == ("resolved", "answered", later)
        assert not casework.is_overdue(found, later + timedelta(days=3)), "never 期限切れ"
        assert found.messages[-1].author == "system"
        assert found.messages[-1].body == "本人から連絡がありました。"
        # Only a watch-over ticket, and not one where danger words were read.
        assert not casework.resolve_by_answer(session, ticket(session, consultation), "x", later)
        assert not casework.resolve_by_answer(session, ticket(session, alarmed), "x", later)
        assert not casework.resolve_by_answer(session, found, "again", later)
        queue = casework.queue(
            session, boss, team_id=office.teams["mimamori"], view="open", now=later
        )
        assert [t.reference for t in queue] == [consultation, alarmed], "out of the urgent band"
    entry = _history(db, watch)[-1]
    assert (entry.action, entry.detail) == (
        "close",
        {"outcome": "answered", "status": "resolved", "by": "resident"},
    )


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("solved", "resolved"),
        ("watching", "closed"),
        ("unreachable", "closed"),
        ("other", "closed"),
        ("answered", "resolved"),
    ],
)
def test_closing_with_an_outcome(db: Database, office: Office, outcome: str, status: str) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        found = ticket(session, reference)
        casework.close(session, aoki, found, outcome, "電話で確認", NOW)
        assert (found.status, found.outcome, found.outcome_note) == (status, outcome, "電話で確認")
        with pytest.raises(Refused):
            casework.close(session, aoki, found, outcome, "", NOW)
    assert _actions(db, reference) == ["open", "close"]


def test_closing_needs_a_known_outcome(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session, pytest.raises(Refused):
        casework.close(
            session,
            staff(session, office.staff["aoki"]),
            ticket(session, reference),
            "gone",
            "",
            NOW,
        )


def test_a_view_is_audited_with_who_and_when(db: Database, office: Office) -> None:
    reference = _open(db, office)
    with db.transaction() as session:
        casework.mark_viewed(
            session,
            staff(session, office.staff["aoki"]),
            ticket(session, reference),
            NOW,
            ip="10.0.0.1",
        )
    with db.transaction() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "view")).one()
        assert (entry.staff_id, entry.at, entry.ip) == (office.staff["aoki"], NOW, "10.0.0.1")


# --- SLA ---------------------------------------------------------------------------------


def test_an_sla_warning_fires_once(db: Database, office: Office) -> None:
    near = _open(db, office, due_in=timedelta(minutes=30))
    _open(db, office, due_in=timedelta(hours=5))
    closed = _open(db, office, due_in=timedelta(minutes=10))
    with db.transaction() as session:
        casework.close(
            session,
            staff(session, office.staff["aoki"]),
            ticket(session, closed),
            "solved",
            "",
            NOW,
        )
    with db.transaction() as session:
        warned = casework.sla_warnings(session, NOW, timedelta(hours=1))
        assert [t.reference for t in warned] == [near]
    with db.transaction() as session:
        assert casework.sla_warnings(session, NOW + timedelta(minutes=5), timedelta(hours=1)) == []
        assert ticket(session, near).sla_warned_at == NOW
    assert _actions(db, near) == ["open", "sla_warning"]


# --- auto-assignment ---------------------------------------------------------------------


def test_auto_assign_goes_round_robin_among_available_members_under_the_cap(
    db: Database, office: Office
) -> None:
    with db.transaction() as session:
        team = session.get(Team, office.teams["mimamori"])
        assert team is not None
        team.max_open_per_staff = 2
        ito = make_staff(session, "ito", ["mimamori"], available=True)
        ueda = make_staff(session, "ueda", ["mimamori"], available=True)
        make_staff(session, "away", ["mimamori"], available=False)
        for _ in range(5):
            make_ticket(session, team.id, kind="watch")
        ids = {"ito": ito.id, "ueda": ueda.id}
    with db.transaction() as session:
        assigned = casework.auto_assign_all(session, NOW)
        holders = [t.assignee_id for t in assigned]
    # Alternating, two each (the cap), the fifth left in the queue; "away" gets none.
    assert holders == [ids["ito"], ids["ueda"], ids["ito"], ids["ueda"]]
    with db.transaction() as session:
        left = session.scalars(select(Ticket).where(Ticket.status == "new")).all()
        assert len(left) == 1
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "claim")).all()
        assert len(entries) == 4 and all(e.detail == {"auto": True} for e in entries)
        # ueda closes one: room for one more, and it goes to ueda.
        done = next(t for t in assigned if t.assignee_id == ids["ueda"])
        casework.close(
            session, staff(session, ids["ueda"]), ticket(session, done.reference), "solved", "", NOW
        )
    with db.transaction() as session:
        assert [t.assignee_id for t in casework.auto_assign_all(session, NOW)] == [ids["ueda"]]


def test_auto_assign_takes_turns_with_the_least_recently_assigned_first(
    db: Database, office: Office
) -> None:
    with db.transaction() as session:
        team = session.get(Team, office.teams["mimamori"])
        assert team is not None
        first = make_staff(session, "first", ["mimamori"], available=True)
        second = make_staff(session, "second", ["mimamori"], available=True)
        taken = make_ticket(session, team.id, kind="watch")
        # "first" took one by hand a moment ago: the next automatic one goes to "second".
        assert casework.claim(session, first, taken, NOW)
        make_ticket(session, team.id, kind="watch")
        expected = second.id
    with db.transaction() as session:
        assert [t.assignee_id for t in casework.auto_assign_all(session, NOW)] == [expected]


def test_teams_without_auto_assign_are_left_alone(db: Database, office: Office) -> None:
    with db.transaction() as session:
        make_staff(session, "eager", ["marugoto"], available=True)
        make_ticket(session, office.teams["marugoto"])
    with db.transaction() as session:
        assert casework.auto_assign_all(session, NOW) == []


# --- canned responses --------------------------------------------------------------------


def test_canned_responses_per_team_and_language(db: Database, office: Office) -> None:
    with db.transaction() as session:
        aoki = staff(session, office.staff["aoki"])
        chiba = staff(session, office.staff["chiba"])
        team = session.get(Team, office.teams["marugoto"])
        assert team is not None
        # The sample town's starters (tests/test_starter_replies.py) are not what this is about.
        for starter in casework.canned_responses(session, team, "ja"):
            session.delete(starter)
        for starter in casework.canned_responses(session, team, "en"):
            session.delete(starter)
        session.flush()
        greeting = casework.add_canned_response(
            session,
            aoki,
            team,
            language="ja",
            title="受付",
            body="ご相談ありがとうございます。",
            now=NOW,
        )
        casework.add_canned_response(
            session,
            aoki,
            team,
            language="en",
            title="Thanks",
            body="Thank you for asking.",
            now=NOW,
        )
        assert [c.title for c in casework.canned_responses(session, team, "ja")] == ["受付"]
        casework.update_canned_response(
            session,
            aoki,
            greeting,
            title="受付",
            body="お問い合わせありがとうございます。",
            now=NOW,
        )
        assert (
            casework.canned_responses(session, team, "ja")[0].body
            == "お問い合わせありがとうございます。"
        )
        with pytest.raises(Refused):
            casework.update_canned_response(session, chiba, greeting, title="x", body="x", now=NOW)
        with pytest.raises(Refused):
            casework.add_canned_response(
                session, aoki, team, language="ja", title="", body="x", now=NOW
            )
        casework.delete_canned_response(session, aoki, greeting, NOW)
        session.flush()
        assert casework.canned_responses(session, team, "ja") == []
        actions = [e.action for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions[-4:] == ["canned_create", "canned_create", "canned_update", "canned_delete"]


def test_split_for_line_keeps_every_character() -> None:
    assert casework.split_for_line("short") == ["short"]
    text = "a" * 12_345
    parts = casework.split_for_line(text)
    assert [len(p) for p in parts] == [5000, 5000, 2345]
    lines = "line\n" * 3000
    assert "".join(casework.split_for_line(lines)) == lines
    assert all(p.endswith("\n") for p in casework.split_for_line(lines)[:-1])


# --- the scheduler's casework round ------------------------------------------------------


def test_the_team_group_hears_once_about_a_ticket_nearing_its_sla(
    db: Database, office: Office
) -> None:
    from bot import casework_sweep
    from flows import postback

    near = _open(db, office, due_in=timedelta(minutes=45))
    taken = _open(db, office, due_in=timedelta(minutes=30))
    late = _open(db, office, "kourei", due_in=timedelta(minutes=-20))
    with db.transaction() as session:
        team = session.get(Team, office.teams["marugoto"])
        assert team is not None
        team.line_group_id = "C" + "1" * 32
        casework.claim(session, staff(session, office.staff["aoki"]), ticket(session, taken), NOW)
    with db.transaction() as session:
        assert casework_sweep.sweep(session, NOW, timedelta(hours=1)) == 3
    with db.transaction() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        # kourei has no group: its overdue ticket gets the console banner only.
        assert [row.to for row in rows] == ["C" + "1" * 32] * 2
        assert all(row.reply_token is None for row in rows)
        texts = {row.messages[0]["body"]: row.messages[0] for row in rows}
        assert set(texts) == {
            f"{taken}（福祉まるごと相談）の対応期限まであと30分です。",
            f"{near}（福祉まるごと相談）の対応期限まであと45分です。",
        }
        # The unassigned one carries a 担当する button that claims it; the taken one none.
        (button,) = texts[f"{near}（福祉まるごと相談）の対応期限まであと45分です。"]["buttons"]
        assert button["label"] == "担当する"
        assert postback.parse(button["postback"]) == postback.ClaimTicket(near)
        assert "buttons" not in texts[f"{taken}（福祉まるごと相談）の対応期限まであと30分です。"]
        assert ticket(session, late).sla_warned_at == NOW
    with db.transaction() as session:
        assert casework_sweep.sweep(session, NOW + timedelta(minutes=1), timedelta(hours=1)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 2


def test_an_overdue_alert_says_how_late() -> None:
    from bot import casework_sweep

    team = Team(slug="t", name="見守り", line_group_id="C1")
    late = Ticket(reference="W-2026-000001", team=team, sla_due_at=NOW - timedelta(minutes=90))
    message = casework_sweep.alert(late, NOW)
    assert message["body"] == "W-2026-000001（見守り）は対応期限を90分過ぎています。"
    english = casework_sweep.alert(late, NOW, "en")
    assert english["body"] == "W-2026-000001 (見守り) is 90 minutes past its due time."


def test_the_schedulers_sweep_warns_and_auto_assigns(db: Database, office: Office) -> None:
    from datetime import UTC, datetime

    from bot.clock import Clock
    from bot.scheduler import Scheduler

    near = _open(db, office, due_in=timedelta(minutes=20))
    with db.transaction() as session:
        make_staff(session, "watcher", ["mimamori"], available=True)
        watch = make_ticket(session, office.teams["mimamori"], kind="watch").reference
    clock = Clock(offset=NOW - datetime.now(UTC))
    Scheduler(db, clock, sla_warn_before=timedelta(minutes=30)).sweep()
    with db.transaction() as session:
        assert ticket(session, near).sla_warned_at is not None
        assert ticket(session, watch).assignee is not None
        assert ticket(session, watch).assignee.name == "watcher"  # type: ignore[union-attr]


def test_taking_a_ticket_from_the_staff_group(db: Database, office: Office) -> None:
    from builders import make_event

    from flows import postback
    from handlers import events

    group = "C" + "2" * 32
    reference = _open(db, office)
    with db.transaction() as session:
        team = session.get(Team, office.teams["marugoto"])
        assert team is not None
        team.line_group_id = group
        staff(session, office.staff["aoki"]).line_user_id = "U" + "a1" * 16
        staff(session, office.staff["baba"]).line_user_id = "U" + "b2" * 16
        staff(session, office.staff["chiba"]).line_user_id = "U" + "c3" * 16

    def tap(user: str, in_group: str = group) -> list[str]:
        event = make_event(
            "postback",
            source={"type": "group", "groupId": in_group, "userId": user},
            postback={"data": postback.encode(postback.ClaimTicket(reference))},
        )
        with db.transaction() as session:
            before = session.scalar(select(func.max(OutboxMessage.id))) or 0
            context = events.Context(
                session=session, now=NOW, idle_after=timedelta(hours=1), reply_until=NOW
            )
            events.handle(context, event)
            rows = session.scalars(select(OutboxMessage).where(OutboxMessage.id > before)).all()
            assert all(row.to == in_group for row in rows)
            return [m["body"] for row in rows for m in row.messages]

    assert tap("U" + "a1" * 16, in_group="C" + "9" * 32) == []  # not the team's group
    assert tap("U" + "f" * 32) == [
        "このLINEアカウントはまだ職員アカウントと結びついていません。"
        "管理者に依頼するか、コンソールで担当してください。"
    ]
    # Another team's member: the ticket is not theirs to see, nor to take.
    assert tap("U" + "c3" * 16) == ["所属チームにその相談はありません。"]
    assert tap("U" + "a1" * 16) == [f"aoki さんが {reference} を担当します。"]
    assert tap("U" + "b2" * 16) == [f"{reference} は aoki さんが担当しています。"]
    assert tap("U" + "a1" * 16) == [f"{reference} はすでにあなたの担当です。"]
    with db.transaction() as session:
        assert ticket(session, reference).assignee_id == office.staff["aoki"]
    assert _actions(db, reference) == ["open", "claim"]
