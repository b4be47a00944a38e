"""The chat page at /simulator/: local assets only, and a newcomer's chat in a real Chromium.

The browser tests drive Debian's /usr/bin/chromium with Playwright (never `playwright
install`). Without either they skip, except under CI=true, where they fail.
"""

from __future__ import annotations

import re
import signal
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest
import requests
from flask import Flask
from flask import request as flask_request
from rendered import rendered
from stack import serve, serving

from simulator.app import create_app as create_simulator
from simulator.state import SimulatorState

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ARTIFACTS = Path(__file__).parent / "artifacts"
# The bot answers within a second; the page polls every 700 ms.
WAIT_MS = 15_000
# Named but never fetched: the map link a person may click in a location message, and the
# SVG namespace of the icon.
ALLOWED_LINK_HOSTS = {"www.openstreetmap.org", "www.w3.org"}

SECRET = "chat-page-secret"
TOKEN = "chat-page-token"


# ---- Without a browser -----------------------------------------------------------------------


class _References(HTMLParser):
    """Every URL an HTML document makes the browser load or link to."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href", "action", "poster", "srcset") and value:
                self.urls.append((tag, value))


def test_the_page_is_html_that_loads_only_local_assets() -> None:
    state = SimulatorState(webhook_url="http://unset", channel_secret=SECRET, access_token=TOKEN)
    client = create_simulator(state).test_client()

    response = client.get("/simulator/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "connect-src 'self'" in policy
    html = response.get_data(as_text=True)
    assert '<html lang="ja">' in html and "友だち追加 (Follow)" in html
    parser = _References()
    parser.feed(html)
    assets = [url for tag, url in parser.urls if tag in ("script", "link", "img")]
    assert len([url for url in assets if url.endswith(".js")]) == 2, assets
    for _tag, url in parser.urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc, f"not a local reference: {url}"
    for url in assets:
        with client.get(url) as asset:
            assert asset.status_code == 200, url
            text = asset.get_data(as_text=True)
        assert "@import" not in text and not re.search(r"url\(\s*['\"]?(https?:)?//", text), url
        hosts = {urlsplit(found).netloc for found in re.findall(r"https?://[^\s\"'`)]+", text)}
        assert hosts <= ALLOWED_LINK_HOSTS, f"{url} names outside hosts: {hosts}"
    assert client.get("/simulator").status_code in (301, 308), "the bare prefix redirects"


# ---- The browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`madoguchi serve` as the README starts it: no LINE credentials, so the simulator is on.
    Its address and its log."""
    instance = tmp_path_factory.mktemp("serve")
    with serving(instance, ready="/simulator/") as (server, log, port):
        yield f"http://127.0.0.1:{port}", log
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    # What people said, and their names, must not reach the server's log.
    logged = log.read_text()
    leaked = [word for word in ("1行目", "山田花子", "John Smith") if word in logged]
    assert not leaked, f"resident text or names in the server log: {leaked}"


@pytest.fixture(scope="module")
def madoguchi(served: tuple[str, Path]) -> str:
    return served[0]


@pytest.fixture(scope="module")
def demo_admin(served: tuple[str, Path]) -> tuple[str, str]:
    """The demo admin's email and password, as `serve` prints them for the newcomer."""
    deadline = time.monotonic() + 30
    while not (found := re.search(r"login: (\S+@\S+) / (\S+)", served[1].read_text())):
        assert time.monotonic() < deadline, "no demo login printed"
        time.sleep(0.1)
    return found.group(1), found.group(2)


class _Watch:
    """What a page did wrong: script errors and requests leaving the page's own origin."""

    def __init__(self, page: Page, origin: str) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )
        page.on(
            "request",
            lambda request: (
                None if request.url.startswith(origin) else self.outside.append(request.url)
            ),
        )

    def check(self) -> None:
        assert not self.errors, self.errors
        assert not self.outside, f"the page made outside requests: {self.outside}"


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    contexts = []
    watches: list[_Watch] = []

    def _open(
        base: str, width: int = 1200, height: int = 800, timezone_id: str | None = None
    ) -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, locale="ja-JP", timezone_id=timezone_id
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        watches.append(_Watch(page, base))
        page.goto(f"{base}/simulator/")
        page.wait_for_selector("body.ready")
        return page

    yield _open
    for context in contexts:
        context.close()
    for watch in watches:
        watch.check()


def _tab(page: Page, name: str) -> Any:
    return page.get_by_role("tab", name=re.compile(name))


def _bot_bubbles(page: Page) -> Any:
    return page.locator(".row-bot .bubble")


def _chip(page: Page, label: str) -> Any:
    return page.locator("#quick-replies .chip", has_text=label)


@pytest.mark.slow
def test_a_newcomer_follows_changes_language_and_switches_persona(
    madoguchi: str, open_page: Callable[..., Page]
) -> None:
    page = open_page(madoguchi)
    for name in ("山田花子", "山田太郎", "John Smith"):
        _tab(page, name).wait_for()
    assert _tab(page, "山田花子").get_attribute("aria-selected") == "true"
    header = page.locator("#chat-persona")
    assert re.search(r"U[0-9a-f]{32}", header.inner_text()), "the LINE user ID is shown"

    page.get_by_role("button", name="友だち追加 (Follow)").click()
    _bot_bubbles(page).filter(has_text="社会福祉協議会").wait_for()
    assert page.locator(".system", has_text="友だち追加").count() == 1

    _chip(page, "言語 (Language)").click()
    page.locator(".row-user .bubble", has_text="言語 (Language)").wait_for()
    _chip(page, "English").wait_for()
    assert _chip(page, "日本語").is_visible()
    _chip(page, "English").click()
    _bot_bubbles(page).filter(has_text="From now on we will write in English").wait_for()
    assert _chip(page, "Ask for help").is_visible(), "the menu follows in English"

    _tab(page, "John Smith").click()
    assert page.locator(".row").count() == 0, "each persona has its own transcript"
    assert "en" in header.inner_text()
    page.get_by_role("button", name="友だち追加 (Follow)").click()
    _bot_bubbles(page).filter(has_text="welfare council's LINE desk").wait_for()
    page.get_by_role("button", name="ブロック (Block)").wait_for()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat_page.png"))

    _tab(page, "山田花子").click()
    _bot_bubbles(page).filter(has_text="From now on we will write in English").wait_for()


@pytest.mark.slow
def test_typing_stickers_locations_unsend_block_and_the_clock(
    madoguchi: str, demo_admin: tuple[str, str], open_page: Callable[..., Page]
) -> None:
    page = open_page(madoguchi)
    name = f"佐藤{time.monotonic_ns() % 10_000}"
    page.locator(".add-persona summary").click()
    page.get_by_label("表示名 (Display name)").fill(name)
    page.get_by_role("button", name="追加 (Add)").click()
    _tab(page, name).wait_for()
    assert _tab(page, name).get_attribute("aria-selected") == "true"
    page.get_by_role("button", name="友だち追加 (Follow)").click()
    _bot_bubbles(page).nth(1).wait_for()

    box = page.get_by_label(re.compile("^メッセージ"))
    box.fill("1行目")
    box.press("Shift+Enter")
    box.type("2行目 https://example.org/a")
    assert page.locator(".row-user").count() == 0, "Shift+Enter does not send"
    box.press("Enter")
    sent = page.locator(".row-user .bubble").last
    sent.wait_for()
    assert sent.inner_text().startswith("1行目\n2行目")
    assert sent.locator("a").get_attribute("href") == "https://example.org/a"
    assert box.input_value() == ""

    page.get_by_role("button", name=re.compile("スタンプ")).click()
    page.locator(".row-user .sticker").wait_for()
    _bot_bubbles(page).filter(has_text="スタンプをありがとうございます").wait_for()

    page.get_by_role("button", name=re.compile("位置情報")).click()
    page.get_by_role("button", name=re.compile("小田原市役所")).click()
    page.locator(".row-user .location", has_text="小田原市役所").wait_for()
    page.get_by_role("button", name=re.compile("位置情報")).click()
    page.get_by_label("緯度 (Latitude)").fill("35.2781")
    page.get_by_label("経度 (Longitude)").fill("139.1775")
    page.get_by_role("button", name=re.compile("この座標を送る")).click()
    page.locator(".row-user .location-coords", has_text="35.2781, 139.1775").wait_for()

    page.get_by_role("button", name=re.compile("送信取消")).click()
    page.locator(".system", has_text="送信を取り消しました").wait_for()
    assert page.locator(".row-user .location-coords", has_text="35.2781").count() == 0

    # The clock moves for a console admin only: the newcomer signs in with the printed login.
    console = page.context.new_page()
    console.goto(f"{madoguchi}/console/sign-in")
    console.get_by_label("メールアドレス").fill(demo_admin[0])
    console.get_by_label("パスワード").fill(demo_admin[1])
    console.get_by_role("button", name="ログイン").click()
    console.wait_for_url(re.compile(r"/console/queue"))
    console.close()
    page.get_by_role("button", name=re.compile(r"\+3時間")).click()
    clock = page.locator("#clock-output", has_text="offset_seconds")
    clock.wait_for()
    assert '"offset_seconds": 10800' in clock.inner_text(), "the bot's own answer is shown"
    page.locator("#bot-time-moved", has_text="3時間進めています").wait_for()
    page.get_by_role("button", name=re.compile("元に戻す")).click()
    page.locator("#clock-output", has_text='"offset_seconds": 0').wait_for()

    page.get_by_role("button", name="ブロック (Block)").click()
    page.get_by_role("button", name="ブロック解除 (Unblock)").wait_for()
    assert page.locator("#composer-text").is_disabled()
    assert page.locator(".system.warn", has_text="ブロック").count() == 1


@pytest.mark.slow
def test_unread_badges_and_keyboard_tabs_at_phone_width(
    madoguchi: str, open_page: Callable[..., Page]
) -> None:
    page = open_page(madoguchi, width=390, height=844)
    taro = _tab(page, "山田太郎")
    taro.wait_for()
    _tab(page, "山田花子").focus()
    page.keyboard.press("ArrowRight")
    assert taro.get_attribute("aria-selected") == "true"
    assert taro.evaluate("node => node === document.activeElement")
    user_id = re.search(r"U[0-9a-f]{32}", taro.get_attribute("title") or "")
    assert user_id, "the tab names the LINE user ID"
    page.keyboard.press("ArrowLeft")
    assert _tab(page, "山田花子").get_attribute("aria-selected") == "true"

    # Someone else's phone (here, the control API) makes 太郎 talk while 花子's chat is open.
    requests.post(f"{madoguchi}/simulator/control/users/{user_id[0]}/follow", timeout=10)
    taro.locator(".badge").wait_for()
    taro.click()
    _bot_bubbles(page).nth(1).wait_for()
    assert taro.locator(".badge").count() == 0

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways at phone width ({width}px)"
    small = page.evaluate(
        """() => [...document.querySelectorAll('button, summary, textarea')]
            .filter(node => node.offsetParent !== null)
            .map(node => [node.textContent.trim() || node.getAttribute('aria-label'),
                          node.getBoundingClientRect().height])
            .filter(([, height]) => height < 40)"""
    )
    assert not small, f"tap targets under 40px: {small}"


def _fully_on_screen(page: Page, chip: Any) -> bool:
    """Whether a quick reply shows whole, without scrolling the row (or the page) sideways."""
    box = chip.bounding_box()
    viewport = page.viewport_size
    assert box and viewport
    row_scrolled = page.locator("#quick-replies").evaluate("node => node.scrollLeft")
    return (
        row_scrolled == 0
        and box["x"] >= 0
        and box["x"] + box["width"] <= viewport["width"]
        and box["y"] >= 0
        and box["y"] + box["height"] <= viewport["height"]
    )


@pytest.mark.slow
def test_the_forward_button_of_a_multi_select_shows_without_scrolling_at_390px(
    madoguchi: str, open_page: Callable[..., Page]
) -> None:
    """Issue #15: at 390 px only three or four quick replies show; once something is chosen,
    次へ must be one of them, after every tap (a tick, another, an untick)."""
    page = open_page(madoguchi, width=390, height=844)
    name = f"鈴木{time.monotonic_ns() % 10_000}"
    page.locator(".add-persona summary").click()
    page.get_by_label("表示名 (Display name)").fill(name)
    page.get_by_role("button", name="追加 (Add)").click()
    _tab(page, name).wait_for()
    page.get_by_role("button", name="友だち追加 (Follow)").click()
    _chip(page, "相談する").click()
    _chip(page, "同意する").click()
    _chip(page, "自分").click()
    _bot_bubbles(page).filter(has_text="どんなことのご相談ですか").wait_for()
    taps = [("介護・高齢", "✓介護・高齢"), ("住まい", "✓住まい"), ("✓介護・高齢", "介護・高齢")]
    for label, then in taps:
        exactly = re.compile(f"^{re.escape(then)}$")
        _chip(page, label).click()
        page.locator("#quick-replies .chip", has_text=exactly).wait_for()
        forward = page.locator("#quick-replies .chip", has_text=re.compile("^(次へ|完了)$"))
        assert forward.count() == 1
        chips = page.locator("#quick-replies .chip").all_inner_texts()
        assert _fully_on_screen(page, forward), f"次へ is off screen after {label}: {chips}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat_page_multi_select_390.png"))
    _chip(page, "次へ").click()
    _bot_bubbles(page).filter(has_text="どちらの地区のことですか").wait_for()


@pytest.mark.slow
def test_times_are_the_towns_whatever_the_browsers_time_zone(
    quiet_bot: _QuietBot, open_page: Callable[..., Page]
) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    page = open_page(quiet_bot.base, width=390, height=844, timezone_id="America/New_York")
    user = re.search(r"U[0-9a-f]{32}", _tab(page, "山田花子").get_attribute("title") or "")
    assert user
    page.get_by_role("button", name="友だち追加 (Follow)").click()
    page.get_by_role("button", name="ブロック (Block)").wait_for()
    quiet_bot.push(user[0], {"type": "text", "text": "お元気ですか"})
    _bot_bubbles(page).filter(has_text="お元気ですか").wait_for()

    entries = requests.get(
        f"{quiet_bot.base}/simulator/control/users/{user[0]}/transcript", timeout=10
    ).json()["entries"]
    sent = datetime.fromisoformat(next(e for e in entries if e["from"] == "bot")["time"])
    tokyo = sent.astimezone(ZoneInfo("Asia/Tokyo"))
    shown = page.locator(".row-bot .time").last.inner_text()
    assert shown == tokyo.strftime("%H:%M"), (shown, sent.isoformat())
    separators = page.locator(".date-separator").all_inner_texts()
    assert separators and f"{tokyo.month}月{tokyo.day}日" in separators[-1], separators
    # The bot's own clock, in the town's time zone, beside the buttons that move it.
    bot_time = page.locator("#bot-time")
    assert bot_time.get_attribute("datetime")
    now = datetime.now(ZoneInfo("Asia/Tokyo"))
    assert f"{now.month}月{now.day}日" in bot_time.inner_text() or now.hour == 0


@pytest.mark.slow
def test_personas_made_on_the_page_are_there_after_a_restart(
    browser: Browser, tmp_path: Path, open_page: Callable[..., Page]
) -> None:
    """`madoguchi serve` stopped and started again: the page shows the same people, by the
    same LINE user ids, and does not make the default ones again."""
    ids: list[dict[str, str]] = []
    for _ in range(2):
        with serving(tmp_path, ready="/simulator/") as (server, _log, port):
            page = open_page(f"http://127.0.0.1:{port}")
            if not ids:
                page.locator(".add-persona summary").click()
                page.get_by_label("表示名 (Display name)").fill("高橋")
                page.get_by_role("button", name="追加 (Add)").click()
                _tab(page, "高橋").wait_for()
                page.get_by_role("button", name="友だち追加 (Follow)").click()
                page.get_by_role("button", name="ブロック (Block)").wait_for()
            else:
                _tab(page, "高橋").wait_for()
            users = requests.get(
                f"http://127.0.0.1:{port}/simulator/control/users", timeout=10
            ).json()["users"]
            ids.append({u["displayName"]: f"{u['userId']} {u['status']}" for u in users})
            page.context.close()
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
    assert ids[0] == ids[1]
    assert sorted(ids[1]) == sorted(["山田花子", "山田太郎", "John Smith", "高橋"])
    assert ids[1]["高橋"].endswith(" friend")


# ---- Everything the bot may send, from a stand-in bot that pushes it --------------------------

FLEX = {
    "type": "flex",
    "altText": "サロンのご案内",
    "contents": {
        "type": "carousel",
        "contents": [
            {
                "type": "bubble",
                "hero": {
                    "type": "image",
                    "url": "https://example.com/salon.jpg",
                    "size": "full",
                    "aspectRatio": "20:13",
                    "aspectMode": "cover",
                },
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "spacing": "sm",
                    "contents": [
                        {
                            "type": "text",
                            "text": "早川ふれあいサロン",
                            "weight": "bold",
                            "size": "xl",
                            "wrap": True,
                        },
                        {
                            "type": "box",
                            "layout": "baseline",
                            "contents": [
                                {"type": "icon", "url": "https://example.com/star.png"},
                                {
                                    "type": "text",
                                    "text": "毎週水曜 10:00",
                                    "size": "sm",
                                    "color": "#999999",
                                    "flex": 0,
                                    "margin": "md",
                                },
                            ],
                        },
                        {"type": "separator", "margin": "md"},
                        {
                            "type": "box",
                            "layout": "horizontal",
                            "contents": [
                                {"type": "text", "text": "場所", "color": "#aaaaaa", "flex": 1},
                                {"type": "text", "text": "早川公民館", "flex": 3, "wrap": True},
                            ],
                        },
                        {"type": "spacer", "size": "sm"},
                        {"type": "filler"},
                    ],
                },
                "footer": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [
                        {
                            "type": "button",
                            "style": "primary",
                            "action": {
                                "type": "postback",
                                "label": "ここに行きたい",
                                "data": "salon=1",
                                "displayText": "早川ふれあいサロンに行きたい",
                            },
                        },
                        {
                            "type": "button",
                            "style": "link",
                            "action": {
                                "type": "uri",
                                "label": "地図",
                                "uri": "https://example.com/map",
                            },
                        },
                    ],
                },
            },
            {
                "type": "bubble",
                "size": "kilo",
                "body": {
                    "type": "box",
                    "layout": "vertical",
                    "contents": [{"type": "text", "text": "下曽我サロン"}],
                },
            },
        ],
    },
}
TEMPLATES = [
    {
        "type": "template",
        "altText": "確認",
        "template": {
            "type": "confirm",
            "text": "この内容で送りますか？",
            "actions": [
                {"type": "message", "label": "はい", "text": "はい"},
                {"type": "message", "label": "いいえ", "text": "いいえ"},
            ],
        },
    },
    {
        "type": "template",
        "altText": "ボタン",
        "template": {
            "type": "buttons",
            "thumbnailImageUrl": "https://example.com/t.jpg",
            "title": "見守り",
            "text": "毎朝のお元気確認",
            "actions": [
                {"type": "postback", "label": "申し込む", "data": "watch=1"},
                {
                    "type": "datetimepicker",
                    "label": "開始日を選ぶ",
                    "data": "start=1",
                    "mode": "date",
                },
            ],
        },
    },
]
OTHERS = [
    {
        "type": "location",
        "title": "小田原市役所",
        "address": "神奈川県小田原市荻窪300",
        "latitude": 35.2645,
        "longitude": 139.1522,
    },
    {"type": "sticker", "packageId": "446", "stickerId": "1988"},
    {
        "type": "image",
        "originalContentUrl": "https://example.com/a.jpg",
        "previewImageUrl": "https://example.com/a-small.jpg",
    },
    {
        "type": "text",
        "text": "詳しくは https://example.com/salons または 0465-00-0000 へ",
        "quickReply": {
            "items": [
                {
                    "type": "action",
                    "action": {"type": "message", "label": "メニュー", "text": "メニュー"},
                },
                {"type": "action", "action": {"type": "location", "label": "位置情報を送る"}},
            ]
        },
    },
]
RICH_MENU = {
    "size": {"width": 2500, "height": 843},
    "selected": True,
    "name": "main",
    "chatBarText": "メニュー",
    "areas": [
        {
            "bounds": {"x": 0, "y": 0, "width": 1250, "height": 843},
            "action": {"type": "message", "label": "相談する", "text": "相談したい"},
        },
        {
            "bounds": {"x": 1250, "y": 0, "width": 1250, "height": 843},
            "action": {
                "type": "postback",
                "label": "サロン",
                "data": "menu=salon",
                "displayText": "サロンを探す",
            },
        },
    ],
}


class _QuietBot:
    """A simulator whose bot only says 200; the test pushes what the bot would send."""

    def __init__(self) -> None:
        self.state = SimulatorState(
            webhook_url="http://unset", channel_secret=SECRET, access_token=TOKEN
        )
        self.events: list[dict[str, Any]] = []
        app: Flask = create_simulator(self.state)

        def callback() -> str:
            self.events.extend(flask_request.get_json()["events"])
            return ""

        app.add_url_rule("/callback", "callback", callback, methods=["POST"])
        self.server, self.base = serve(app)
        self.state.webhook_url = f"{self.base}/callback"

    def api(self, path: str, body: Any = None, **kwargs: Any) -> requests.Response:
        response = requests.post(
            f"{self.base}/simulator/line/v2/bot{path}",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}", **kwargs.pop("headers", {})},
            timeout=10,
            **kwargs,
        )
        assert response.status_code < 300, response.text
        return response

    def push(self, user_id: str, *messages: dict[str, Any]) -> None:
        self.api("/message/push", {"to": user_id, "messages": list(messages)})

    def texts_from(self, user_id: str) -> list[str]:
        entries = requests.get(
            f"{self.base}/simulator/control/users/{user_id}/transcript", timeout=10
        ).json()["entries"]
        return [
            e["message"].get("text", "")
            for e in entries
            if e["from"] == "user" and e["kind"] == "message"
        ]


@pytest.fixture
def quiet_bot() -> Iterator[_QuietBot]:
    bot = _QuietBot()
    yield bot
    bot.server.shutdown()


@pytest.mark.slow
def test_flex_templates_media_loading_and_the_rich_menu(
    quiet_bot: _QuietBot, open_page: Callable[..., Page]
) -> None:
    menu_id = quiet_bot.api("/richmenu", RICH_MENU).json()["richMenuId"]
    quiet_bot.api(
        f"/richmenu/{menu_id}/content", data=b"\x89PNG fake", headers={"Content-Type": "image/png"}
    )
    quiet_bot.api(f"/user/all/richmenu/{menu_id}")
    page = open_page(quiet_bot.base, width=390, height=844)
    hanako = re.search(r"U[0-9a-f]{32}", _tab(page, "山田花子").get_attribute("title") or "")
    assert hanako
    user = hanako[0]
    page.get_by_role("button", name="友だち追加 (Follow)").click()
    page.get_by_role("button", name="ブロック (Block)").wait_for()

    quiet_bot.api("/chat/loading/start", {"chatId": user, "loadingSeconds": 10})
    page.locator("#loading").wait_for()
    quiet_bot.push(user, FLEX, *TEMPLATES)
    quiet_bot.push(user, *OTHERS)
    page.locator("#loading").wait_for(state="hidden")

    page.locator(".fx-bubble", has_text="早川ふれあいサロン").wait_for()
    assert page.locator(".fx-bubble", has_text="下曽我サロン").count() == 1
    assert page.locator(".fx-bubble .picture-placeholder").count() == 1, "outside images stay out"
    page.locator(".row-bot .location", has_text="小田原市役所").wait_for()
    assert page.locator(".row-bot .sticker").count() == 1
    assert page.locator(".row-bot .media").count() == 1
    last = _bot_bubbles(page).last
    assert last.locator("a[href='tel:0465000000']").count() == 1
    assert last.locator("a[href='https://example.com/salons']").count() == 1
    assert _chip(page, "メニュー").is_visible() and _chip(page, "位置情報を送る").is_visible()

    page.get_by_role("button", name="ここに行きたい").click()
    page.locator(".row-user .bubble", has_text="早川ふれあいサロンに行きたい").wait_for()
    assert page.locator("#quick-replies").is_hidden(), "quick replies go once the person acts"
    page.locator(".tpl-confirm").get_by_role("button", name="はい").click()
    page.locator(".row-user .bubble", has_text="はい").wait_for()
    page.get_by_role("button", name="開始日を選ぶ").click()
    page.get_by_label("日付 (date)").fill("2025-04-01")
    page.get_by_role("button", name="送る (Send)").click()
    page.locator(".system", has_text="postback").wait_for()
    postbacks = [e["postback"] for e in quiet_bot.events if e["type"] == "postback"]
    assert postbacks[-1] == {"data": "start=1", "params": {"date": "2025-04-01"}}

    page.locator(".rich-area", has_text="相談する").click()
    page.locator(".row-user .bubble", has_text="相談したい").wait_for()
    page.locator(".rich-area", has_text="サロン").click()
    page.locator(".row-user .bubble", has_text="サロンを探す").wait_for()
    page.locator("#rich-menu-toggle").click()
    assert page.locator("#rich-menu-areas").is_hidden(), "the chat bar folds the menu"

    assert postbacks[0] == {"data": "salon=1"}, "displayText is shown, not sent"
    assert quiet_bot.texts_from(user) == [
        "早川ふれあいサロンに行きたい",
        "はい",
        "相談したい",
        "サロンを探す",
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat_page_rich.png"), full_page=True)


@pytest.mark.slow
def test_call_buttons_are_links_that_dial(
    quiet_bot: _QuietBot, open_page: Callable[..., Page]
) -> None:
    from flows import safety_words

    page = open_page(quiet_bot.base, width=390, height=844)
    hanako = re.search(r"U[0-9a-f]{32}", _tab(page, "山田花子").get_attribute("title") or "")
    assert hanako
    page.get_by_role("button", name="友だち追加 (Follow)").click()
    page.get_by_role("button", name="ブロック (Block)").wait_for()
    card = safety_words.emergency("ja", ["medical"], "スタッフにもすぐに伝えました。")
    quiet_bot.push(hanako[0], *rendered([card, *safety_words.possible("ja", ("suicide",))]))

    dial = page.get_by_role("link", name="119番に電話").first
    dial.wait_for()
    assert dial.get_attribute("href") == "tel:119"
    assert page.locator("a[href='tel:%237119']", has_text="#7119に電話").count() == 1
    assert page.locator("a[href='tel:0570783556']").count() == 1
    assert dial.get_attribute("target") is None, "a call opens the dialler, not a tab"
    assert dial.bounding_box()["height"] >= 40
    assert _chip(page, "いいえ、大丈夫").is_visible()
