"""ケアネット: neighbours linked to a watch-over resident with their consent, asked to look in
when a check-in goes unanswered (with the reminder, with the family's alert, or never), and
their answers on the watch-over ticket; on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from casework_data import NOW, Office, enrolled, make_office, make_staff
from console_client import Browser, StoppedClock, console_app, give_password
from flask import Flask
from sqlalchemy import select
from supporter_town import make_supporter
from watch_town import WAIT, Person, Town, buttons, texts

from bot.scheduler import Scheduler, sweep_interval
from flows.watch import checkin, checkin_sweep
from storage import care_net, routing
from storage.db import Database
from storage.models import AuditEntry, Resident, Staff, Supporter, WatchEnrolment
from storage.refusals import Conflict, Refused
from storage.watch import schedules

ASK = "【ケアネット】山田花子さんから見守りの返事がありません。お宅の様子を見ていただけますか？"
ASK_BUTTONS = ["見てきます", "今は無理"]


class CareTown(Town):
    """The watch-over town with a staff member of the watch-over team and four supporters;
    the scheduler asks neighbours as `mode` says."""

    def __init__(self, db: Database, mode: str) -> None:
        super().__init__(db, StoppedClock(datetime.now(UTC)))
        self.scheduler = Scheduler(
            db,
            self.clock,
            handlers=checkin_sweep.handlers(checkin.Timings(WAIT, WAIT, mode)),
            batch_sizes=checkin_sweep.BATCH_SIZES,
            ahead={schedules.ROUND: checkin_sweep.make_ahead(sweep_interval(WAIT, WAIT))},
        )
        with db.transaction() as session:
            staff = make_staff(session, "mimura", [routing.WATCH_TEAM])
            self.staff_id = staff.id
            residents = [make_supporter(session, n, staff) for n in range(1, 5)]
            self.neighbours = [
                Person(self, str(resident.line_user_id), str(resident.display_name))
                for resident in residents
            ]
            self.supporter_ids = [self.supporter_of(session, r).id for r in residents]

    @staticmethod
    def supporter_of(session: object, resident: Resident) -> Supporter:
        return session.scalars(  # type: ignore[attr-defined, no-any-return]
            select(Supporter).where(Supporter.resident_id == resident.id)
        ).one()

    def link(self, *numbers: int) -> None:
        """Link these supporters (0-based) to the resident, consent recorded."""
        with self.db.transaction() as session:
            enrolment = session.scalars(select(WatchEnrolment)).one()
            staff = session.get_one(Staff, self.staff_id)
            for number in numbers:
                supporter = session.get_one(Supporter, self.supporter_ids[number])
                care_net.link(
                    session, enrolment.id, supporter, staff, self.clock.now(), consent=True
                )


def make_town(
    db: Database, mode: str = care_net.BESIDE, linked: tuple[int, ...] = (0, 1)
) -> CareTown:
    town = CareTown(db, mode)
    town.enrol()
    town.link(*linked)
    return town


def unanswered(town: CareTown) -> None:
    """The check-in goes out and is never answered: reminded, then escalated."""
    town.until_next_checkin()
    town.wait(2.5)


def reminded(town: CareTown) -> None:
    town.until_next_checkin()
    town.wait(2.5)
    assert [row.state for row in town.rounds()] == ["reminded"]


def escalated(town: CareTown) -> None:
    reminded(town)
    town.wait(2.5)
    assert [row.state for row in town.rounds()] == ["escalated"]


def going(db: Database) -> tuple[CareTown, Person]:
    """Escalated beside the family alert: the first neighbour read the ask and tapped 見てきます."""
    town = make_town(db, care_net.BESIDE)
    escalated(town)
    first = town.neighbours[0]
    first.inbox()
    first.tap("見てきます")
    return town, first


# Storage: who may be linked, and how many.


def test_up_to_three_active_supporters_are_linked_in_order_with_consent(db: Database) -> None:
    town = make_town(db, linked=(2, 0, 1))
    with db.transaction() as session:
        enrolment = session.scalars(select(WatchEnrolment)).one()
        found = care_net.links_to_ask(session, enrolment)
        assert [link.supporter_id for link in found] == [town.supporter_ids[n] for n in (2, 0, 1)]
        staff = session.get_one(Staff, town.staff_id)
        fourth = session.get_one(Supporter, town.supporter_ids[3])
        with pytest.raises(Conflict):
            care_net.link(session, enrolment.id, fourth, staff, town.clock.now(), consent=True)
        linked = care_net.links_of(session, enrolment)
        assert [link.position for link in linked] == [1, 2, 3]
        assert all(link.consent_recorded_by_id == staff.id for link in linked)


def test_consent_is_required_and_the_resident_and_inactive_supporters_are_refused(
    db: Database,
) -> None:
    town = make_town(db, linked=())
    with db.transaction() as session:
        enrolment = session.scalars(select(WatchEnrolment)).one()
        staff = session.get_one(Staff, town.staff_id)
        first = session.get_one(Supporter, town.supporter_ids[0])
        with pytest.raises(Refused, match="consent"):
            care_net.link(session, enrolment.id, first, staff, town.clock.now(), consent=False)
        first.status = "paused"
        with pytest.raises(Refused, match="active"):
            care_net.link(session, enrolment.id, first, staff, town.clock.now(), consent=True)
        own = make_supporter(session, 9, staff)
        own_supporter = town.supporter_of(session, own)
        # The supporter row made for another resident, moved onto the enrolled resident.
        own_supporter.resident_id = enrolment.resident_id
        with pytest.raises(Refused, match="own neighbour"):
            care_net.link(
                session, enrolment.id, own_supporter, staff, town.clock.now(), consent=True
            )
        second = session.get_one(Supporter, town.supporter_ids[1])
        care_net.link(session, enrolment.id, second, staff, town.clock.now(), consent=True)
        with pytest.raises(Conflict):
            care_net.link(session, enrolment.id, second, staff, town.clock.now(), consent=True)
    with db.transaction() as session:
        assert care_net.links_of(session, session.scalars(select(WatchEnrolment)).one())


def test_unlinking_frees_the_place_and_both_steps_are_audited(db: Database) -> None:
    town = make_town(db, linked=(0, 1, 2))
    with db.transaction() as session:
        enrolment = session.scalars(select(WatchEnrolment)).one()
        staff = session.get_one(Staff, town.staff_id)
        middle = care_net.links_of(session, enrolment)[1]
        assert care_net.unlink(session, enrolment.id, middle.id, staff, town.clock.now())
        assert not care_net.unlink(session, enrolment.id, middle.id, staff, town.clock.now())
        fourth = session.get_one(Supporter, town.supporter_ids[3])
        again = care_net.link(session, enrolment.id, fourth, staff, town.clock.now(), consent=True)
        assert again.position == 2
        # A neighbour unlinked may be linked again later.
        care_net.unlink(session, enrolment.id, again.id, staff, town.clock.now())
        back = session.get_one(Supporter, town.supporter_ids[1])
        care_net.link(session, enrolment.id, back, staff, town.clock.now(), consent=True)
    with db.transaction() as session:
        actions = [
            entry.action
            for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if entry.action.startswith("care_net.")
        ]
    assert actions == ["care_net.link"] * 3 + [
        "care_net.unlink",
        "care_net.link",
        "care_net.unlink",
        "care_net.link",
    ]


# The ladder.


def test_beside_asks_the_neighbours_with_the_family_alert(db: Database) -> None:
    town = make_town(db, care_net.BESIDE)
    first, second, unlinked = town.neighbours[0], town.neighbours[1], town.neighbours[2]
    reminded(town)
    assert first.inbox() == [] and second.inbox() == []
    town.wait(2.5)
    for neighbour in (first, second):
        got = neighbour.inbox()
        assert texts(got) == ASK
        assert buttons(got) == ASK_BUTTONS
    assert unlinked.inbox() == []
    assert "お返事がありません" in texts(town.family_a.inbox())
    (ticket,) = town.tickets()
    assert "ケアネットの近所の方に様子見を依頼：2人" in ticket.messages[0].body
    town.wait(60)
    assert first.inbox() == [], "asked once"


def test_before_asks_the_neighbours_with_the_reminder_and_not_again(db: Database) -> None:
    town = make_town(db, care_net.BEFORE)
    first = town.neighbours[0]
    town.until_next_checkin()
    assert first.inbox() == []
    town.wait(2.5)
    assert texts(first.inbox()) == ASK
    assert town.family_a.inbox() == [], "the family hear only at the escalation"
    town.wait(2.5)
    assert "お返事がありません" in texts(town.family_a.inbox())
    assert first.inbox() == []
    town.wait(60)
    assert first.inbox() == []


def test_off_never_asks(db: Database) -> None:
    town = make_town(db, care_net.OFF)
    escalated(town)
    town.wait(60)
    assert all(neighbour.inbox() == [] for neighbour in town.neighbours)


def test_a_paused_or_unfollowing_neighbour_is_not_asked(db: Database) -> None:
    town = make_town(db, care_net.BESIDE, linked=(0, 1, 2))
    with db.transaction() as session:
        session.get_one(Supporter, town.supporter_ids[0]).status = "paused"
        second = session.get_one(Supporter, town.supporter_ids[1])
        second.resident.following = False
    escalated(town)
    assert [texts(n.inbox()) for n in town.neighbours[:3]] == ["", "", ASK]


# Answers.


def test_going_thanks_the_neighbour_and_notes_the_ticket_with_their_first_name(
    db: Database,
) -> None:
    town = make_town(db, care_net.BESIDE)
    escalated(town)
    first = town.neighbours[0]
    first.inbox()
    said = texts(first.tap("見てきます"))
    assert "様子がわかったら、このトークで教えてください" in said
    (ticket,) = town.tickets()
    assert "ケアネットの支援1さんが様子を見に行きます。" in ticket.messages[-1].body
    second = town.neighbours[1]
    second.inbox()
    assert "ありがとうございます" in texts(second.tap("今は無理"))
    (ticket,) = town.tickets()
    assert "ケアネットの支援2さんは今は様子を見に行けません。" in ticket.messages[-1].body


def test_an_answer_before_the_escalation_opens_the_ticket_the_escalation_then_uses(
    db: Database,
) -> None:
    town = make_town(db, care_net.BEFORE)
    reminded(town)
    town.neighbours[0].inbox()
    town.neighbours[0].tap("見てきます")
    (ticket,) = town.tickets()
    assert ticket.kind == "watch" and "支援1さんが様子を見に行きます" in ticket.messages[0].body
    town.wait(2.5)
    (ticket,) = town.tickets()
    assert ticket.urgency == "today"
    assert "返事がありません" in ticket.messages[-1].body
    assert town.rounds()[0].ticket_id == ticket.id


def test_the_resident_answering_after_an_early_neighbour_answer_resolves_its_ticket(
    db: Database,
) -> None:
    town = make_town(db, care_net.BEFORE)
    reminded(town)
    town.neighbours[0].inbox()
    town.neighbours[0].tap("見てきます")
    town.resident.tap("元気です")
    (ticket,) = town.tickets()
    assert (ticket.status, ticket.outcome) == ("resolved", "answered")
    assert "ご本人が見守りに返事をしました" in ticket.messages[-1].body
    town.wait(60)
    assert len(town.tickets()) == 1, "no alarm after the answer"


def test_a_tap_after_the_resident_answered_says_so_and_does_nothing_else(db: Database) -> None:
    town = make_town(db, care_net.BESIDE)
    escalated(town)
    town.resident.tap("元気です")
    (ticket,) = town.tickets()
    notes = len(ticket.messages)
    first = town.neighbours[0]
    first.inbox()
    assert texts(first.tap("見てきます")) == "ご本人から返事がありました。ありがとうございました。"
    (ticket,) = town.tickets()
    assert len(ticket.messages) == notes


def test_only_a_linked_neighbour_may_answer(db: Database) -> None:
    town = make_town(db, care_net.BESIDE)
    escalated(town)
    data = _postback_of(town.neighbours[0], "見てきます")
    stranger = town.neighbours[3]
    assert (
        texts(stranger.postback(data))
        == "ありがとうございます。このお願いはもう必要なくなりました。"
    )
    with db.transaction() as session:
        enrolment = session.scalars(select(WatchEnrolment)).one()
        staff = session.get_one(Staff, town.staff_id)
        link = care_net.links_of(session, enrolment)[0]
        care_net.unlink(session, enrolment.id, link.id, staff, town.clock.now())
    first = town.neighbours[0]
    first.inbox()
    assert "もう必要なくなりました" in texts(first.postback(data))
    (ticket,) = town.tickets()
    assert not any("支援1" in message.body for message in ticket.messages)


def test_tapping_going_twice_notes_the_ticket_once(db: Database) -> None:
    town, first = going(db)
    (ticket,) = town.tickets()
    notes = len(ticket.messages)
    assert texts(first.tap("見てきます")) == "ありがとうございます。お返事はもう伺っています。"
    (ticket,) = town.tickets()
    assert len(ticket.messages) == notes


def test_what_a_going_neighbour_types_reaches_the_ticket(db: Database) -> None:
    town, first = going(db)
    assert texts(first.say("お元気でした。電話の電池が切れていたそうです")) == (
        "ありがとうございます。担当者に伝えました。"
    )
    (ticket,) = town.tickets()
    assert ticket.messages[-1].body == (
        "ケアネットの支援1さんからの報告: お元気でした。電話の電池が切れていたそうです"
    )
    # A second line soon after is more of the same report.
    first.say("明日また寄ってみます")
    (ticket,) = town.tickets()
    assert ticket.messages[-1].body.endswith("明日また寄ってみます")
    # The neighbour who said 今は無理 is not reporting: their message goes the usual way.
    second = town.neighbours[1]
    second.inbox()
    second.tap("今は無理")
    second.say("こんにちは")
    (ticket,) = town.tickets()
    assert not any("こんにちは" in message.body for message in ticket.messages)


def test_a_report_long_after_going_is_an_ordinary_message(db: Database) -> None:
    town, first = going(db)
    town.clock.advance(care_net.REPORT_WINDOW + timedelta(minutes=1))
    assert "担当者に伝えました" not in texts(first.say("こんにちは"))
    (ticket,) = town.tickets()
    assert not any("こんにちは" in message.body for message in ticket.messages)


def test_neighbours_on_their_way_are_told_when_the_resident_answers(db: Database) -> None:
    town = make_town(db, care_net.BEFORE)
    reminded(town)
    first, second = town.neighbours[0], town.neighbours[1]
    first.inbox()
    second.inbox()
    first.tap("見てきます")
    second.tap("今は無理")
    town.resident.tap("元気です")
    told = "【ケアネット】山田花子さんから返事がありました。様子を見に行っていただかなくても大丈夫です。"
    assert told in texts(first.inbox())
    assert told not in texts(second.inbox()), "who said 今は無理 need not hear it"
    # Told once, however the round is settled after.
    town.wait(60)
    assert told not in texts(first.inbox())


def _postback_of(person: Person, label: str) -> str:
    for message in reversed(person.town.messages_to(person.user)):
        for item in (message.get("quickReply") or {}).get("items", []):
            if item["action"]["label"] == label:
                return str(item["action"]["data"])
    raise AssertionError(label)


# The console.


@pytest.fixture
def console(db: Database) -> tuple[Flask, Office, int, list[int]]:
    """The sample office, mimura in the watch-over team, a resident enrolled, three supporters."""
    found = make_office(db)
    with db.transaction() as session:
        mimura = make_staff(session, "mimura", [routing.WATCH_TEAM])
        coordinator = session.get_one(Staff, found.staff["aoki"])
        helpers = [make_supporter(session, n, coordinator) for n in range(1, 4)]
        supporter_ids = [CareTown.supporter_of(session, helper).id for helper in helpers]
    enrolment_id, _ = enrolled(db, "山田 花子", "山田 太郎")
    office = Office(teams=found.teams, staff={**found.staff, "mimura": mimura.id})
    return console_app(db, NOW + timedelta(minutes=1)), office, enrolment_id, supporter_ids


def _signed_in(app: Flask, db: Database, staff_id: int) -> Browser:
    browser = Browser.of(app)
    assert browser.sign_in(give_password(db, staff_id)).status_code == 302
    return browser


def test_the_watch_team_links_a_neighbour_only_with_consent_and_it_is_audited(
    db: Database, console: tuple[Flask, Office, int, list[int]]
) -> None:
    app, office, enrolment_id, supporter_ids = console
    browser = _signed_in(app, db, office.staff["mimura"])
    page = f"/console/watch/{enrolment_id}/neighbours"
    assert page in browser.get(f"/console/watch/{enrolment_id}").get_data(as_text=True)
    shown = browser.get(page)
    assert shown.status_code == 200 and "支援1" in shown.get_data(as_text=True)
    refused = browser.post(f"{page}/link", {"supporter": str(supporter_ids[0])})
    assert refused.status_code == 302
    assert "同意" in browser.follow(refused).get_data(as_text=True)
    with db.transaction() as session:
        enrolment = session.get_one(WatchEnrolment, enrolment_id)
        assert care_net.links_of(session, enrolment) == []
    done = browser.post(f"{page}/link", {"supporter": str(supporter_ids[0]), "consent": "yes"})
    assert done.status_code == 302
    with db.transaction() as session:
        enrolment = session.get_one(WatchEnrolment, enrolment_id)
        (link,) = care_net.links_of(session, enrolment)
        assert link.consent_recorded_by_id == office.staff["mimura"]
        link_id = link.id
    unlink = browser.post(f"{page}/unlink", {"link": str(link_id)})
    assert unlink.status_code == 302
    again = browser.post(f"{page}/unlink", {"link": str(link_id)})
    assert "登録されていません" in browser.follow(again).get_data(as_text=True)
    with db.transaction() as session:
        actions = [
            (entry.action, entry.staff_id, entry.detail.get("enrolment"))
            for entry in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if entry.action.startswith("care_net.")
        ]
    mimura = office.staff["mimura"]
    assert ("care_net.link", mimura, enrolment_id) in actions
    assert ("care_net.unlink", mimura, enrolment_id) in actions
    assert ("care_net.view", mimura, enrolment_id) in actions


def test_staff_outside_the_watch_team_get_404_and_an_admin_may(
    db: Database, console: tuple[Flask, Office, int, list[int]]
) -> None:
    app, office, enrolment_id, supporter_ids = console
    page = f"/console/watch/{enrolment_id}/neighbours"
    outsider = _signed_in(app, db, office.staff["aoki"])
    assert outsider.get(page).status_code == 404
    form = {"supporter": str(supporter_ids[0]), "consent": "yes"}
    assert outsider.post(f"{page}/link", form).status_code == 404
    with db.transaction() as session:
        assert care_net.links_of(session, session.get_one(WatchEnrolment, enrolment_id)) == []
    admin = _signed_in(app, db, office.staff["boss"])
    assert admin.get(page).status_code == 200
    assert admin.post(f"{page}/link", form).status_code == 302
    with db.transaction() as session:
        assert len(care_net.links_of(session, session.get_one(WatchEnrolment, enrolment_id))) == 1
