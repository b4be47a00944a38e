"""The rich menu: four big tiles under the chat (相談する, サロンを探す, 見守り, 言語), set at start-up.

Each tile sends the same postback as the main menu's quick reply, so the handlers need
nothing new. The menu is found again by its name on every start, so restarts don't pile up
menus on the channel; a new design gets a new name (the version suffix).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import urllib3
from linebot.v3.messaging import (
    ApiClient,
    Configuration,
    MessagingApi,
    MessagingApiBlob,
    RichMenuRequest,
)
from linebot.v3.messaging.exceptions import ApiException

import locales
from bot.gateway import LINE_API, LINE_DATA_API
from flows import postback
from flows.replies import MENU_ITEMS

log = logging.getLogger(__name__)

NAME = "madoguchi-main-v1"
IMAGE = Path(__file__).parent / "assets" / "richmenu.png"
WIDTH, HEIGHT = 2500, 1686


def menu_request() -> dict[str, Any]:
    """The menu as LINE's richmenu object: a 2×2 grid, the main menu's items in order."""
    tile_width, tile_height = WIDTH // 2, HEIGHT // 2
    areas = []
    for index, (flow, label) in enumerate(MENU_ITEMS):
        shown = locales.gettext(locales.DEFAULT_LANGUAGE, label)
        areas.append(
            {
                "bounds": {
                    "x": (index % 2) * tile_width,
                    "y": (index // 2) * tile_height,
                    "width": tile_width,
                    "height": tile_height,
                },
                "action": {
                    "type": "postback",
                    "label": shown,
                    "data": postback.encode(postback.MenuChoice(flow)),
                    "displayText": shown,
                },
            }
        )
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": True,
        "name": NAME,
        "chatBarText": locales.gettext(locales.DEFAULT_LANGUAGE, "Menu"),
        "areas": areas,
    }


def install(
    api_base_url: str, access_token: str, timeout: float = 10.0, raise_unreachable: bool = False
) -> str | None:
    """Make our menu the channel's default; returns its id, or None if LINE refused or is down.

    A missing rich menu is a convenience lost, not a failure: the bot runs without it.
    """
    # The data API (image upload) lives on its own host at LINE; an override moves both.
    data_url = LINE_DATA_API if api_base_url.rstrip("/") == LINE_API else api_base_url
    api = MessagingApi(ApiClient(_configuration(api_base_url, access_token)))
    blob = MessagingApiBlob(ApiClient(_configuration(data_url, access_token)))
    try:
        menu_id = _existing(api, timeout)
        if menu_id is None:
            request = RichMenuRequest.from_dict(menu_request())
            menu_id = api.create_rich_menu(request, _request_timeout=timeout).rich_menu_id
            blob.set_rich_menu_image(
                menu_id,
                IMAGE.read_bytes(),
                _headers={"Content-Type": "image/png"},
                _request_timeout=timeout,
            )
        api.set_default_rich_menu(menu_id, _request_timeout=timeout)
    except urllib3.exceptions.HTTPError as error:
        if raise_unreachable:
            raise
        log.warning("rich menu not set: %s", type(error).__name__)
        return None
    except ApiException as error:
        log.warning("rich menu not set: LINE answered %s", error.status)
        return None
    log.info("rich menu %s is the default", menu_id)
    return menu_id


def install_when_up(api_base_url: str, access_token: str, tries: int = 20) -> str | None:
    """`install`, retried while the API is not answering yet (the simulator starts with us)."""
    for _ in range(tries):
        try:
            return install(api_base_url, access_token, raise_unreachable=True)
        except urllib3.exceptions.HTTPError:
            time.sleep(0.5)
    log.warning("rich menu not set: the LINE API did not answer")
    return None


def _existing(api: MessagingApi, timeout: float) -> str | None:
    for menu in api.get_rich_menu_list(_request_timeout=timeout).richmenus:
        if menu.name == NAME:
            return menu.rich_menu_id
    return None


def _configuration(host: str, access_token: str) -> Configuration:
    configuration = Configuration(host=host, access_token=access_token)
    configuration.retries = urllib3.Retry(total=1, redirect=0, raise_on_status=False)
    return configuration
