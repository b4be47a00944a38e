"""Posting signed webhook requests to the bot, as the LINE platform does."""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from simulator.events import Event, webhook_body
from simulator.signature import sign
from simulator.state import SimulatorState

log = logging.getLogger(__name__)

# No proxies: the bot is local, and an HTTP_PROXY in the environment must not swallow the post.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class WebhookResult:
    """The bot's HTTP status, or why the request never got one."""

    status: int | None
    error: str | None = None


def encode_body(body: dict[str, Any]) -> bytes:
    """Return the JSON bytes LINE would post (UTF-8, compact)."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def post_events(
    state: SimulatorState, events: list[Event], *, signature: str | None = None
) -> WebhookResult:
    """Sign and post events to `state.webhook_url`; `signature` overrides the real one."""
    with state.lock:
        url, secret = state.webhook_url, state.channel_secret
        destination, timeout = state.bot_user_id, state.webhook_timeout
    body = encode_body(webhook_body(destination, events))
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "X-Line-Signature": signature if signature is not None else sign(secret, body),
            "User-Agent": "LineBotWebhook/2.0",
        },
    )
    result = _send(request, timeout)
    with state.lock:
        state.webhooks["failed" if result.status is None else str(result.status)] += 1
    return result


def _send(request: urllib.request.Request, timeout: float) -> WebhookResult:
    try:
        with _opener.open(request, timeout=timeout) as response:
            return WebhookResult(response.status)
    except urllib.error.HTTPError as error:
        error.close()
        return WebhookResult(error.code)
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        log.warning("webhook delivery to the bot failed: %s", reason)
        return WebhookResult(None, f"webhook delivery failed: {reason}")
