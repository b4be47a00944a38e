"""The rich menu: set once as the channel's default, each tile sending the main menu's postback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from line_spec import validate_api_request

from bot import richmenu
from flows import postback
from flows.replies import MENU_ITEMS
from simulator.app import create_app
from simulator.background_server import BackgroundServer
from simulator.state import SimulatorState

TOKEN = "rich-menu-test-token"


@pytest.fixture
def simulator() -> Iterator[str]:
    state = SimulatorState(
        webhook_url="http://127.0.0.1:9/callback", channel_secret="s", access_token=TOKEN
    )
    with BackgroundServer(create_app(state)) as server:
        yield f"{server.url}/simulator"


def _control(base: str, path: str) -> dict:
    response = requests.get(f"{base}/control{path}", timeout=5)
    response.raise_for_status()
    return response.json()


def test_the_menu_is_installed_once_and_taps_start_the_menu_flows(simulator: str) -> None:
    first = richmenu.install(f"{simulator}/line", TOKEN)
    again = richmenu.install(f"{simulator}/line", TOKEN)

    assert first is not None and again == first
    menu = _control(simulator, "/richmenu")["richMenu"]
    assert menu["richMenuId"] == first
    tapped = [postback.parse(area["action"]["data"]) for area in menu["areas"]]
    assert tapped == [postback.MenuChoice(flow) for flow, _ in MENU_ITEMS]
    assert menu["areas"][0]["action"]["displayText"] == "相談する"
    for record in _control(simulator, "/requests")["requests"]:
        validate_api_request(record["method"], record["path"], record["body"], record["headers"])


def test_a_refused_menu_leaves_the_bot_running(simulator: str) -> None:
    assert richmenu.install(f"{simulator}/line", "not-the-token") is None


def test_an_unreachable_api_gives_up_quietly() -> None:
    assert richmenu.install_when_up("http://127.0.0.1:9", TOKEN, tries=2) is None
