"""Watch-over end to end: the bot and the simulated LINE platform over real HTTP.

A resident, two family members and the watch-over staff: enrolment and the family link by
tapping in LINE, then every branch of the check-in round with the waits shrunk to two
seconds, the bot's clock moved to each check-in with `POST /simulator/clock`, as an admin
signed in to the console.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from line_spec import validate_api_request
from rendered import readable
from sqlalchemy import select
from stack import Stack, running

from flows.watch import checkin
from storage import staff_accounts
from storage.models import CheckinRound, Resident, Ticket, WatchEnrolment, WatchInvitation
from storage.sample_town import load_town
from storage.watch import enrolments, linking
from storage.watch.schedules import Schedule

pytestmark = pytest.mark.slow

WAIT = timedelta(seconds=2)
CHECKIN = "お元気ですか？"
ADMIN, PASSWORD = "clock-admin@example.org", "a long enough test password"
COOKIE = "madoguchi_console"


class ConsoleAdmin:
    """An admin in the console, over real HTTP. Its cookie is Secure (the bot has real
    credentials here), which `requests` keeps off plain http: it is sent by hand, as a browser
    behind the council's TLS proxy would."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookie: str | None = None

    def move_clock(self, **body: Any) -> requests.Response:
        # The stack's sign-ins run on the clock being moved: a session is stale after a move.
        self.cookie = None
        page = self._call("GET", "/console/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text[:500]
        form = {"email": ADMIN, "password": PASSWORD, "csrf_token": token.group(1)}
        signed_in = self._call("POST", "/console/sign-in", data=form)
        assert signed_in.status_code == 302, signed_in.text[:500]
        csrf = self._call("GET", "/simulator/clock").json()["csrf_token"]
        return self._call("POST", "/simulator/clock", json=body, headers={"X-CSRFToken": csrf})

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**kwargs.pop("headers", {}), **({"Cookie": self.cookie} if self.cookie else {})}
        response = requests.request(
            method,
            f"{self.base}{path}",
            headers=headers,
            allow_redirects=False,
            timeout=10,
            **kwargs,
        )
        if COOKIE in response.cookies:
            self.cookie = f"{COOKIE}={response.cookies[COOKIE]}"
        return response


class Watch:
    """The people of one test, tapping in LINE, and what each of them has been sent."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.seen: dict[str, int] = {}
        with stack.db.transaction() as session:
            load_town(session)
            staff_accounts.create_staff(
                session,
                email=ADMIN,
                name="時計係",
                password=PASSWORD,
                role="admin",
                team_slugs=[],
                now=stack.clock.now(),
            )
        self.admin = ConsoleAdmin(stack.bot_url)
        stack.control("POST", "/config", quota=None)
        self.resident = self.person("山田花子")
        self.family_a = self.person("山田太郎")
        self.family_b = self.person("佐藤幸子")

    def person(self, name: str) -> str:
        user = self.stack.persona(name)
        self.stack.act(user, "follow")
        self.stack.wait_for_texts(user, 2)
        self.seen[user] = len(self.stack.bot_messages(user))
        return user

    def new(self, user: str, count: int = 1, timeout: float = 15.0) -> list[dict[str, Any]]:
        """Wait for `count` new messages for `user` and return them (and any more already there)."""
        self.stack.wait_for(
            lambda: len(self.stack.bot_messages(user)) >= self.seen[user] + count, timeout
        )
        messages = [entry["message"] for entry in self.stack.bot_messages(user)]
        new, self.seen[user] = messages[self.seen[user] :], len(messages)
        return new

    def nothing_new(self, user: str, within: float = 1.0) -> bool:
        time.sleep(within)
        return len(self.stack.bot_messages(user)) == self.seen[user]

    def say(self, user: str, text: str, count: int = 1) -> list[dict[str, Any]]:
        self.stack.act(user, "text", text=text)
        return self.new(user, count)

    def tap(self, user: str, label: str, count: int = 1) -> list[dict[str, Any]]:
        """Tap the newest quick reply with this label, as the LINE app posts it back."""
        for entry in reversed(self.stack.bot_messages(user)):
            for item in (entry["message"].get("quickReply") or {}).get("items", []):
                action = item["action"]
                if action["label"] == label and action["type"] == "postback":
                    self.stack.act(
                        user, "postback", data=action["data"], displayText=action["displayText"]
                    )
                    return self.new(user, count)
        raise AssertionError(f"no button {label!r} for {user}")

    def advance_to_next_checkin(self) -> None:
        with self.stack.db.transaction() as session:
            enrolment = session.scalars(select(WatchEnrolment)).one()
            due = enrolments.next_checkin(session, enrolment, self.stack.clock.now())
        assert due is not None
        seconds = max(0.0, (due - self.stack.clock.now()).total_seconds()) + 0.5
        response = self.admin.move_clock(advance=f"{seconds:.1f}s")
        assert response.status_code == 200, response.text
        # Until the worker has made that round (sent or skipped): asked again before then,
        # the next check-in would still be this one, and after, the one a day later.
        self.stack.wait_for(lambda: any(row.due_at == due for row in self.rounds()), 15)

    def tickets(self) -> list[Ticket]:
        with self.stack.db.transaction() as session:
            found = list(session.scalars(select(Ticket).order_by(Ticket.id)))
            for ticket in found:
                _ = ([m.body for m in ticket.messages], ticket.team.slug)
            return found

    def rounds(self) -> list[CheckinRound]:
        with self.stack.db.transaction() as session:
            return list(session.scalars(select(CheckinRound).order_by(CheckinRound.due_at)))


def joined(messages: list[dict[str, Any]]) -> str:
    return "\n".join(readable(message) for message in messages)


def labels(messages: list[dict[str, Any]]) -> list[str]:
    items = (messages[-1].get("quickReply") or {}).get("items", [])
    return [item["action"]["label"] for item in items]


@pytest.fixture
def watch(db_url: str) -> Iterator[Watch]:
    with running(
        db_url,
        checkin_remind_after=WAIT,
        checkin_escalate_after=WAIT,
        allow_clock=True,
        secret_key="watch-e2e-key",
    ) as stack:
        yield Watch(stack)
        for record in stack.api_requests():
            validate_api_request(
                record["method"], record["path"], record["body"], record["headers"]
            )


def link(watch: Watch, family: str, summary: str) -> None:
    with watch.stack.db.transaction() as session:
        code = session.scalars(
            select(WatchInvitation).where(WatchInvitation.used_at.is_(None))
        ).first()
        if code is None:
            enrolment = session.scalars(select(WatchEnrolment)).one()
            code = linking.new_invitation(session, enrolment, watch.stack.clock.now())
        digits = code.code
    assert "登録しますか" in joined(watch.say(family, digits))
    watch.tap(family, "はい、登録する")
    assert "登録したい" in joined(watch.new(watch.resident))
    watch.tap(watch.resident, "はい、登録する")
    assert labels(watch.new(family)) == ["毎回", "週1回まとめて", "心配なときだけ"]
    watch.tap(family, summary)


def test_enrol_link_and_a_day_answered_and_a_day_not(watch: Watch) -> None:
    resident, family_a, family_b = watch.resident, watch.family_a, watch.family_b
    assert "ご家族と社協の見守り担当者" in joined(watch.say(resident, "見守り"))
    for label in ("同意して申し込む", "毎日", "朝 8:00", "標準（おすすめ）"):
        watch.tap(resident, label)
    signed_up = watch.tap(resident, "はい、始める")
    assert "申し込みが完了しました" in joined(signed_up) and "ご家族用のコード" in joined(signed_up)
    link(watch, family_a, "毎回")
    link(watch, family_b, "心配なときだけ")

    # Day 1: 元気です. The family who asked for it hears; the other does not.
    watch.advance_to_next_checkin()
    checkin_message = watch.new(resident)
    assert CHECKIN in joined(checkin_message)
    assert labels(checkin_message) == ["元気です", "少し調子が悪い", "助けてほしい"]
    assert "お元気でなによりです" in joined(watch.tap(resident, "元気です"))
    assert "「元気です」と答えました" in joined(watch.new(family_a))
    assert rings(watch, family_a, "「元気です」と答えました") == [False], "all is well: no sound"
    assert watch.nothing_new(family_b, within=5.0), "a reminder or alert after an answer"

    # Day 2: no answer. A reminder after the wait, then the family and the staff.
    watch.advance_to_next_checkin()
    watch.new(resident)
    assert "もう一度お送りしました" in joined(watch.new(resident, timeout=10))
    for family in (family_a, family_b):
        alert = watch.new(family, timeout=10)
        assert "お返事がありません" in joined(alert) and "最終確認：" in joined(alert)
        assert labels(alert) == ["連絡がつきました", "連絡がつきません"]
        assert rings(watch, family, "お返事がありません") == [True], "an alert must ring"
    assert "お知らせしました" in joined(watch.new(resident))
    (ticket,) = watch.tickets()
    assert (ticket.kind, ticket.urgency, ticket.team.slug) == ("watch", "today", "mimamori")

    # The staff see it in their queue; family A reaches her, and everyone is told.
    assert "連絡がついてよかった" in joined(watch.tap(family_a, "連絡がつきました"))
    assert "連絡がとれました" in joined(watch.new(family_b))
    assert "連絡がついた" in watch.tickets()[0].messages[-1].body
    assert [row.state for row in watch.rounds()] == ["answered", "resolved"]


def rings(watch: Watch, user: str, fragment: str) -> list[bool]:
    """For each push to `user` with `fragment` in it: does it ring (LINE's notificationDisabled)?"""
    return [
        not request["body"].get("notificationDisabled", False)
        for request in watch.stack.api_requests()
        if request["path"].endswith("/v2/bot/message/push")
        and request["body"]["to"] == user
        and any(fragment in message.get("text", "") for message in request["body"]["messages"])
    ]


def enrolled(watch: Watch) -> None:
    """Enrol through storage (the flow is covered above), with both family members linked."""
    with watch.stack.db.transaction() as session:
        people = {r.display_name: r for r in session.scalars(select(Resident))}
        enrolment = enrolments.enrol(
            session, people["山田花子"], Schedule(), watch.stack.clock.now()
        )
        for name in ("山田太郎", "佐藤幸子"):
            invitation = linking.new_invitation(session, enrolment, watch.stack.clock.now())
            found = linking.request_link(session, invitation, people[name], watch.stack.clock.now())
            linking.confirm_link(found, watch.stack.clock.now())


def test_not_well_help_and_cannot_reach_with_the_staff_visit(watch: Watch) -> None:
    resident, family_a, family_b = watch.resident, watch.family_a, watch.family_b
    enrolled(watch)

    # 少し調子が悪い: a follow-up, the families told, a ticket that can wait a little.
    watch.advance_to_next_checkin()
    watch.new(resident)
    assert "お電話しましょうか" in joined(watch.tap(resident, "少し調子が悪い"))
    for family in (family_a, family_b):
        assert "「少し調子が悪い」と答えました" in joined(watch.new(family))
    watch.tap(resident, "電話してほしい")
    assert watch.tickets()[-1].urgency == "today"

    # 助けてほしい: the numbers at once, the families alerted, an emergency.
    watch.advance_to_next_checkin()
    watch.new(resident)
    numbers = joined(watch.tap(resident, "助けてほしい"))
    assert "119" in numbers and "110" in numbers and "#7119" in numbers
    for family in (family_a, family_b):
        assert "「助けてほしい」を押しました" in joined(watch.new(family))
    assert watch.tickets()[-1].urgency == "emergency"

    # No answer, and nobody can reach her: the ticket becomes an emergency; staff visit.
    watch.advance_to_next_checkin()
    watch.new(resident)
    watch.new(resident, timeout=10)  # the reminder
    watch.new(family_a, timeout=10)
    watch.new(family_b, timeout=10)
    assert "急いで確かめます" in joined(watch.tap(family_b, "連絡がつきません"))
    assert "連絡がつかない" in joined(watch.new(family_a))
    alarm = watch.tickets()[-1]
    assert alarm.urgency == "emergency"
    with watch.stack.db.transaction() as session:
        row = session.get(CheckinRound, watch.rounds()[-1].id)
        assert row is not None
        assert checkin.record_outcome(session, row, watch.stack.clock.now(), how="visit")
    for family in (family_a, family_b):
        assert "訪問して" in joined(watch.new(family))
    assert [row.answer for row in watch.rounds()] == ["unwell", "help", None]
    assert watch.rounds()[-1].resolution == "visit"


def test_a_pause_across_dates_and_a_block(watch: Watch) -> None:
    resident, family_a = watch.resident, watch.family_a
    enrolled(watch)
    watch.say(resident, "見守り")
    watch.tap(resident, "お休みする")
    assert "お休みにしました" in joined(watch.tap(resident, "3日間"))
    assert "お休みです" in joined(watch.new(family_a))
    while not any(row.state == "sent" for row in watch.rounds()):
        watch.advance_to_next_checkin()
        time.sleep(0.5)
    got = joined(watch.new(resident, count=2))
    assert "再開しました" in got and CHECKIN in got
    assert "再開しました" in joined(watch.new(family_a))
    assert {row.skip_reason for row in watch.rounds()[:-1]} == {"paused"}
    watch.tap(resident, "元気です")

    # Blocking while enrolled: nobody can check on her in LINE any more, so people must know.
    watch.stack.act(resident, "unfollow")
    assert "届かなくなりました" in joined(watch.new(family_a))
    (ticket,) = watch.tickets()
    assert "ブロック" in ticket.messages[0].body
