"""The resident record in a real Chromium (issue #16): a caseworker opens a ticket, follows its
link to the resident's record, finds the phone number the resident gave in an earlier
consultation with where it came from, takes it in, writes the council's case number and
adds an emergency contact, and finds all of it there after a reload. Skips without Debian's
Chromium, except under CI=true (tests/chromium.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from stack import Stack, running

from storage import migrate, staff_accounts, tickets
from storage.models import Resident, Team
from storage.sample_town import load_town

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).parent / "artifacts"
WAIT_MS = 15_000
EMAIL = "aoki@example.org"
PASSWORD = "correct horse battery"
PHONE = "0465-00-1234"


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    url = f"sqlite:///{tmp_path / 'record.db'}"
    migrate.upgrade(url)
    with running(url, worker=False, secret_key="browser-test-key") as the_stack:
        with the_stack.db.transaction() as session:
            load_town(session)
            staff_accounts.create_staff(
                session,
                email=EMAIL,
                name="青木 美咲",
                password=PASSWORD,
                role="staff",
                team_slugs=["marugoto"],
                now=the_stack.clock.now(),
            )
        yield the_stack


def _resident_with_two_tickets(stack: Stack) -> tuple[str, str]:
    """A resident who gave their phone in a consultation last month and wrote again today;
    the references of (the earlier, today's) tickets."""
    now = stack.clock.now()
    with stack.db.transaction() as session:
        team = session.scalars(select(Team).where(Team.slug == "marugoto")).one()
        resident = Resident(
            line_user_id="U" + "7c" * 16,
            display_name="小田原 ハナ",
            language="ja",
            following=True,
            followed_at=now - timedelta(days=40),
            created_at=now - timedelta(days=40),
        )
        session.add(resident)
        session.flush()
        earlier = tickets.open_ticket(
            session,
            resident=resident,
            kind="consultation",
            team=team,
            now=now - timedelta(days=30),
            urgency="soon",
            categories=["care"],
            contact={"method": "phone", "phone": PHONE, "when": "morning"},
        )
        today = tickets.open_ticket(
            session,
            resident=resident,
            kind="staff",
            team=team,
            now=now,
            urgency="today",
        )
        return earlier.reference, today.reference


def test_a_caseworker_keeps_the_resident_record_from_a_ticket(
    stack: Stack, browser: Browser
) -> None:
    earlier, today = _resident_with_two_tickets(stack)
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
        page.get_by_role("heading", name="福祉まるごと相談").wait_for()

        page.goto(f"{stack.bot_url}/console/tickets/{today}")
        page.get_by_role("heading", name=today).wait_for()
        page.get_by_role("link", name="この方の記録").click()
        page.get_by_role("heading", name="小田原 ハナ").wait_for()

        # The phone from the earlier consultation, with where it came from.
        details = page.locator("#details")
        suggestion = details.locator(".suggestion")
        assert PHONE in suggestion.inner_text()
        assert f"相談 {earlier}" in suggestion.inner_text()
        suggestion.get_by_role("button", name="これを使う").click()
        page.get_by_text("電話番号を記録に取り込みました").wait_for()
        kept = page.locator("#details .record-value[data-field=phone]")
        assert kept.inner_text() == PHONE
        assert f"相談 {earlier}" in page.locator("#details").inner_text()
        assert "青木 美咲 が取り込み" in page.locator("#details").inner_text()

        # The council's case number.
        page.get_by_text("基本情報を変更する").click()
        page.get_by_label("ケース番号").fill("K-2026-0042")
        page.get_by_role("button", name="基本情報を保存する").click()
        page.get_by_text("記録を保存しました").wait_for()

        # An emergency contact.
        contacts = page.locator("#contacts")
        contacts.get_by_text("連絡先を追加", exact=True).click()
        contacts.get_by_label("連絡先の氏名").fill("小田原 一郎")
        contacts.get_by_label("続柄・関係（長女、隣人など）").fill("長男")
        contacts.get_by_label("電話番号").fill("090-0000-1111")
        contacts.get_by_role("button", name="連絡先を追加する").click()
        page.get_by_text("連絡先を追加しました").wait_for()

        page.reload()
        page.get_by_role("heading", name="小田原 ハナ").wait_for()
        details_text = page.locator("#details").inner_text()
        assert "K-2026-0042" in details_text and "青木 美咲 が入力" in details_text
        assert page.locator("#details .record-value[data-field=phone]").inner_text() == PHONE
        contact = page.locator("#contacts .record-contact")
        assert "小田原 一郎" in contact.inner_text() and "長男" in contact.inner_text()
        assert "090-0000-1111" in contact.inner_text()
        # Both tickets are listed, each a link to its page.
        page.get_by_role("link", name=earlier).wait_for()
        page.get_by_role("link", name=today).wait_for()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "resident_record.png"), full_page=True)
    finally:
        context.close()
    assert not errors, errors
