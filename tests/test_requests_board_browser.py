"""The 生活応援隊 requests board in a real Chromium (issue #18): a coordinator opens a request
from the board, ticks two of the supporters suggested, presses 声をかける, and sees both
offers waiting. Skips without Debian's Chromium, except under CI=true (tests/chromium.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from stack import Stack, running

from storage import districts, migrate, staff_accounts, supporters
from storage.models import OutboxMessage, Resident, Staff
from storage.sample_town import load_town

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
WAIT_MS = 15_000
EMAIL = "tanaka@example.org"
PASSWORD = "correct horse battery"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite:///{tmp_path / 'board.db'}"
    migrate.upgrade(url)
    with running(url, worker=False, secret_key="browser-test-key") as the_stack:
        with the_stack.db.transaction() as session:
            load_town(session)
            staff_accounts.create_staff(
                session,
                email=EMAIL,
                name="田中 悠",
                password=PASSWORD,
                role="staff",
                team_slugs=[supporters.COORDINATING_TEAM],
                now=the_stack.clock.now(),
            )
        yield the_stack


def _person(session: Session, number: int, now: datetime) -> Resident:
    resident = Resident(
        line_user_id=f"U{number:032x}",
        display_name=f"住民 {number}",
        language="ja",
        following=True,
        created_at=now,
    )
    session.add(resident)
    return resident


def _a_request_and_three_supporters(stack: Stack) -> int:
    """ゴミ出し in 早川 in two days' time, and three approved supporters there."""
    now = stack.clock.now()
    with stack.db.transaction() as session:
        hayakawa = districts.by_slug(session, "hayakawa")
        assert hayakawa is not None
        coordinator = session.scalars(select(Staff).where(Staff.email == EMAIL)).one()
        for number in (1, 2, 3):
            supporter = supporters.register(
                session,
                _person(session, 100 + number, now),
                supporters.Registration(
                    kinds=["rubbish"],
                    district_id=hayakawa.id,
                    weekdays=list(range(7)),
                    time_bands=["morning", "afternoon", "evening"],
                    first_name=f"近所{number}",
                    phone=f"090-1111-000{number}",
                ),
                now,
            )
            supporters.approve(session, supporter, coordinator, now)
        helped = _person(session, 200, now)
        session.flush()
        request = supporters.new_request(
            session, helped, "rubbish", now + timedelta(days=2), now, district_id=hayakawa.id
        )
        return request.id


def test_a_coordinator_asks_two_supporters_from_the_board(stack: Stack, browser: Browser) -> None:
    request_id = _a_request_and_three_supporters(stack)
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    context.set_default_timeout(WAIT_MS)
    errors: list[str] = []
    try:
        page: Page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{stack.bot_url}/console/")
        page.get_by_label("メールアドレス").fill(EMAIL)
        page.get_by_label("パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.get_by_role("link", name="お手伝いの依頼").click()
        page.get_by_role("heading", name="お手伝いの依頼").wait_for()

        page.locator(f"tr[data-request='{request_id}']").get_by_role(
            "link", name="ゴミ出し"
        ).click()
        page.get_by_role("heading", name=f"依頼 {request_id}: ゴミ出し").wait_for()
        assert "「同じ地区」" in page.locator("tr[data-supporter]").first.inner_text()
        page.get_by_label("近所1").check()
        page.get_by_label("近所3").check()
        page.get_by_role("button", name="声をかける").click()
        page.get_by_text("2人にLINEで声をかけました").wait_for()

        offers = page.locator("#offers tbody tr")
        assert offers.count() == 2
        for row in range(2):
            assert "待っています" in offers.nth(row).inner_text()
        names = page.locator("#offers").inner_text()
        assert "近所1" in names and "近所3" in names and "近所2" not in names
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "requests_board.png"), full_page=True)
    finally:
        context.close()
    assert not errors, errors
    # The LINE offers wait in the outbox for exactly those two.
    with stack.db.transaction() as session:
        sent_to = set(session.scalars(select(OutboxMessage.to)))
    assert sent_to == {f"U{101:032x}", f"U{103:032x}"}
