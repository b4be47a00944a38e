"""A consultation through real HTTP: from follow to a ticket in the right team's queue, and a staff
reply arriving in the resident's LINE. Every request the bot makes is checked against LINE's spec."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from line_spec import validate_api_request
from sqlalchemy import select
from stack import Stack, town_stack

from storage import casework
from storage.models import Staff, Team, Ticket

pytestmark = pytest.mark.slow

MIDORI = {"latitude": 35.2605, "longitude": 139.1555, "title": "自宅", "address": "小田原市"}


@pytest.fixture
def stack(db_url: str) -> Iterator[Stack]:
    with town_stack(db_url) as the_stack:
        yield the_stack
        recorded = the_stack.api_requests()
        assert recorded, "the bot made no API call"
        for record in recorded:
            validate_api_request(
                record["method"], record["path"], record["body"], record["headers"]
            )


class Resident:
    """One persona in the simulator, acting and waiting for the bot's answer."""

    def __init__(self, stack: Stack, name: str) -> None:
        self.stack = stack
        self.user = stack.persona(name)

    def last(self) -> dict:
        return self.stack.bot_messages(self.user)[-1]["message"]

    def expect(self, words: str, after: int = 0) -> str:
        """Wait until the bot's latest message, past the first `after`, says `words`."""

        def arrived() -> bool:
            texts = self.stack.bot_texts(self.user)
            return len(texts) > after and words in texts[-1]

        self.stack.wait_for(arrived)
        return self.stack.bot_texts(self.user)[-1]

    def tap(self, label: str, then: str) -> str:
        items = self.last()["quickReply"]["items"]
        action = {item["action"]["label"]: item["action"] for item in items}[label]
        before = len(self.stack.bot_texts(self.user))
        self.stack.act(
            self.user, "postback", data=action["data"], displayText=action.get("displayText")
        )
        return self.expect(then, after=before)

    def do(self, action: str, then: str, **body: object) -> str:
        before = len(self.stack.bot_texts(self.user))
        self.stack.act(self.user, action, **body)
        return self.expect(then, after=before)


def test_a_consultation_reaches_the_team_and_the_staff_reply_reaches_the_resident(
    stack: Stack,
) -> None:
    hanako = Resident(stack, "山田花子")
    hanako.do("follow", "ボタンを押してください")
    hanako.tap("相談する", "はじめにお知らせです")
    hanako.tap("同意する", "どなたについてのご相談ですか")
    hanako.tap("家族", "どんなことのご相談ですか")
    hanako.tap("子育て", "選んだもの：子育て")
    hanako.tap("次へ", "どちらの地区のことですか")
    area = hanako.last()["quickReply"]["items"]
    assert {"type": "location", "label": "位置情報を送る"} in [item["action"] for item in area]
    hanako.do("location", "どのくらい急ぎますか", **MIDORI)
    assert any("緑地区ですね" in text for text in stack.bot_texts(hanako.user)[-2:])
    hanako.tap("数日以内", "ご自分の言葉で書いてください")
    hanako.do("text", "続きがあれば", text="娘が入院して、孫の世話に困っています。")
    hanako.do("image", "続きがあれば")
    assert "担当者へお渡しします" in stack.bot_texts(hanako.user)[-2]
    hanako.tap("書き終えた", "どの方法がよいですか")
    hanako.tap("LINEで", "連絡がつきやすいのは")
    summary = hanako.tap("いつでも", "ご相談の内容を確かめてください")
    assert "子育て" in summary and "緑" in summary and "写真など：1" in summary
    filed = hanako.tap("送信する", "受付番号：C-")
    assert "担当：子育て支援" in filed and "お返事は、このLINEにお送りします" in filed

    with stack.db.transaction() as session:
        sato = session.scalars(select(Staff)).one()
        kosodate = session.scalars(select(Team).where(Team.slug == "kosodate")).one()
        queue = casework.queue(
            session, sato, team_id=kosodate.id, view="new", now=stack.clock.now()
        )
        assert [ticket.reference for ticket in queue] == [filed.split("受付番号：")[1][:13]]
        ticket = queue[0]
        assert (ticket.about, ticket.categories, ticket.district.name) == (
            "family",
            ["childcare"],
            "緑",
        )
        resident_said = [m for m in ticket.messages if m.author == "resident"]
        assert resident_said[0].body == "娘が入院して、孫の世話に困っています。"
        assert resident_said[1].attachments[0]["type"] == "image"
        casework.reply(
            session,
            sato,
            ticket,
            "子育て支援の佐藤です。明日お電話してもよいですか？",
            stack.clock.now(),
        )
    stack.worker.wake.set()
    hanako.expect("子育て支援の佐藤です")
    assert stack.bot_messages(hanako.user)[-1]["via"] == "push"

    # Her answer goes to the same ticket's thread, acknowledged once.
    hanako.do("text", "受け取りました", text="はい、お願いします。")
    with stack.db.transaction() as session:
        ticket = session.scalars(select(Ticket)).one()
        assert [m.author for m in ticket.messages][-2:] == ["staff", "resident"]
        assert ticket.messages[-1].body == "はい、お願いします。"
