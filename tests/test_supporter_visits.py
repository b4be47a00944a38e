"""生活応援隊 after a request is taken: both sides are reminded the evening before; afterwards the
supporter reports 完了 (and about how long) or できなかった (and why), one tap each; the person
helped is asked, one tap, how it went; the hours go into the council's counts. Each step is a
deadline row, so a restarted process loses none and fires none twice, and only the supporter
who has the request can report on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from builders import postback_event
from casework_data import NOW, make_staff
from console_client import Browser, console_app, give_password
from dialogue import Dialogue, Said
from sqlalchemy import select
from supporter_town import WANTED_FROM, WANTED_UNTIL, People, make_town, messages_to

from bot.clock import Clock
from bot.scheduler import Scheduler
from storage import help_visits
from storage.db import Database
from storage.models import Deadline, HelpRequest, Team


class Hands(Clock):
    """A clock the test sets."""

    def __init__(self, now: datetime) -> None:
        super().__init__()
        self.at = now

    def now(self) -> datetime:
        return self.at


# 12月4日 18:00 in the town: the evening before the help (12月5日 10:00〜12:00).
REMIND_AT = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
GROUP = "C" + "7" * 32


@pytest.fixture
def town(db: Database) -> People:
    people = make_town(db)
    with db.transaction() as session:
        coordinators = session.scalars(select(Team).where(Team.slug == "tasukeai")).one()
        coordinators.line_group_id = GROUP
    return people


def tap(db: Database, at: datetime, user: str, label: str) -> Said:
    """Tap `label` on the last message `user` was sent with buttons."""
    data = buttons(db, user)[label]
    return Dialogue(db, Hands(at), user=user).send(postback_event(data, user))


def buttons(db: Database, user: str) -> dict[str, str]:
    last = [m for m in messages_to(db, user) if m.get("quickReply")][-1]
    return {item["action"]["label"]: item["action"]["data"] for item in last["quickReply"]["items"]}


def texts(db: Database, user: str) -> list[str]:
    return [m["text"] for m in messages_to(db, user)]


def the_request(db: Database, town: People) -> HelpRequest:
    with db.transaction() as session:
        found = session.get_one(HelpRequest, town.request_id)
        session.expunge(found)
        return found


def steps(db: Database, town: People) -> dict[str, tuple[datetime, str]]:
    with db.transaction() as session:
        rows = session.scalars(
            select(Deadline).where(
                Deadline.subject_id == town.request_id,
                Deadline.kind.in_((help_visits.REMIND, help_visits.ASK_REPORT)),
            )
        )
        return {row.kind: (row.due_at, row.status) for row in rows}


def taken(db: Database, town: People) -> str:
    first = town.supporters[0]
    tap(db, NOW + timedelta(minutes=5), first, "引き受ける")
    return first


def test_taking_a_request_plans_the_reminder_and_the_question_afterwards(
    db: Database, town: People
) -> None:
    assert steps(db, town) == {}
    taken(db, town)
    assert steps(db, town) == {
        help_visits.REMIND: (REMIND_AT, "pending"),
        help_visits.ASK_REPORT: (WANTED_UNTIL, "pending"),
    }


def test_both_sides_are_reminded_the_evening_before_once_even_after_a_restart(
    db: Database, town: People
) -> None:
    supporter = taken(db, town)
    before = len(messages_to(db, supporter)), len(messages_to(db, town.helped))
    Scheduler(db, Hands(REMIND_AT - timedelta(minutes=1))).fire_deadlines()
    assert (len(messages_to(db, supporter)), len(messages_to(db, town.helped))) == before

    # A new scheduler is a restarted process: the reminder is a row, found again.
    assert Scheduler(db, Hands(REMIND_AT)).fire_deadlines() == 1
    reminder = texts(db, supporter)[-1]
    assert "明日" in reminder and "10:00〜12:00" in reminder and "0465-00-1111" in reminder
    told = texts(db, town.helped)[-1]
    assert "明日" in told and "支援1さん" in told and "090-0000-0001" in told
    assert Scheduler(db, Hands(REMIND_AT + timedelta(hours=1))).fire_deadlines() == 0
    assert len(messages_to(db, supporter)) == before[0] + 1


def test_done_takes_two_taps_and_the_person_helped_says_how_it_went_in_one(
    db: Database, town: People
) -> None:
    supporter = taken(db, town)
    Scheduler(db, Hands(WANTED_UNTIL)).fire_deadlines()
    assert "いかがでしたか" in texts(db, supporter)[-1]
    assert list(buttons(db, supporter)) == ["完了", "できなかった"]

    after = WANTED_UNTIL + timedelta(minutes=10)
    said = tap(db, after, supporter, "完了")
    assert said.buttons == ["30分くらい", "1時間くらい", "2時間くらい", "3時間以上"]
    assert the_request(db, town).status == "taken"  # nothing kept until the second tap

    said = tap(db, after, supporter, "1時間くらい")
    assert "記録しました" in said.text
    request = the_request(db, town)
    assert (request.status, request.minutes, request.reported_at) == ("done", 60, after)
    assert steps(db, town)[help_visits.ASK_REPORT][1] == "fired"

    assert "支援1さん" in texts(db, town.helped)[-1]
    said = tap(db, after, town.helped, "助かりました")
    assert "ありがとうございます" in said.text
    assert the_request(db, town).feedback == "good"

    # Second taps change nothing and say so kindly.
    said = tap(db, after, town.helped, "いまひとつ")
    assert "すでに" in said.text and the_request(db, town).feedback == "good"
    data = buttons(db, supporter)["1時間くらい"]
    said = Dialogue(db, Hands(after), user=supporter).send(postback_event(data, supporter))
    assert "すでに" in said.text


def test_not_done_asks_why_and_the_coordinators_hear_of_it(db: Database, town: People) -> None:
    supporter = taken(db, town)
    Scheduler(db, Hands(WANTED_UNTIL)).fire_deadlines()
    after = WANTED_UNTIL + timedelta(minutes=10)
    said = tap(db, after, supporter, "できなかった")
    assert "留守でした" in said.buttons
    tap(db, after, supporter, "留守でした")
    request = the_request(db, town)
    assert (request.status, request.not_done_reason) == ("failed", "away")
    [alert] = texts(db, GROUP)
    assert f"#{town.request_id}" in alert and "留守" in alert
    assert "トメ" not in alert  # the group hears which request, not who
    # Nobody is asked how help that did not happen went.
    assert not any("いかがでしたか" in t for t in texts(db, town.helped))


def test_only_the_supporter_who_has_it_can_report_and_only_while_it_is_theirs(
    db: Database, town: People
) -> None:
    supporter = taken(db, town)
    Scheduler(db, Hands(WANTED_UNTIL)).fire_deadlines()
    data: dict[str, Any] = buttons(db, supporter)
    other = town.supporters[1]
    said = Dialogue(db, Hands(WANTED_UNTIL), user=other).send(postback_event(data["完了"], other))
    assert "もう受け付けていません" in said.text and said.buttons == []
    assert the_request(db, town).status == "taken"


def test_the_counts_give_hours_people_and_what_they_said(db: Database, town: People) -> None:
    supporter = taken(db, town)
    Scheduler(db, Hands(WANTED_UNTIL)).fire_deadlines()
    after = WANTED_UNTIL + timedelta(minutes=10)
    tap(db, after, supporter, "完了")
    tap(db, after, supporter, "2時間くらい")
    tap(db, after, town.helped, "助かりました")
    with db.transaction() as session:
        month = help_visits.summary(session, WANTED_FROM - timedelta(days=4), after + timedelta(1))
        before = help_visits.summary(session, NOW - timedelta(days=30), NOW)
    assert (month.done, month.not_done, month.hours) == (1, 0, 2.0)
    assert (month.helped_people, month.supporters) == (1, 1)
    assert month.feedback == {"good": 1, "so_so": 0}
    assert (before.done, before.minutes) == (0, 0)


def test_a_supervisor_sees_the_hours_and_the_thanks_in_the_report(
    db: Database, town: People
) -> None:
    supporter = taken(db, town)
    Scheduler(db, Hands(WANTED_UNTIL)).fire_deadlines()
    after = WANTED_UNTIL + timedelta(minutes=10)
    tap(db, after, supporter, "完了")
    tap(db, after, supporter, "3時間以上")
    tap(db, after, town.helped, "助かりました")
    with db.transaction() as session:
        chief = make_staff(session, "chief", ["tasukeai"], role="supervisor")
    browser = Browser.of(console_app(db, after))
    assert browser.sign_in(give_password(db, chief.id)).status_code == 302
    page = browser.get("/console/reports?from=2026-12-01&to=2026-12-31").get_data(as_text=True)
    help_given = page[page.index("お手伝いの実績") :]
    cells = [cell.split("<")[0] for cell in help_given.split("<td>")[1:8]]
    assert cells == ["1", "0", "3.0", "1", "1", "1", "0"]
