"""POST /callback: verify, store in the inbox, commit, answer 200. No LINE call happens here.

A body is refused whole (4xx) only when nothing in it can be taken as events: unsigned, not
JSON, no events list, nested past MAX_DEPTH or holding more than MAX_EVENTS. Otherwise each
event is judged on its own (`bot/event_check.py`): a bad one is stored as refused, without
its content, and the rest are stored and handled as usual, so LINE gets its 200.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from bot.event_check import unfit
from bot.services import services
from storage.inbox import RefusedEvent

MAX_BODY = 1024 * 1024  # 1 MiB; LINE's own bodies are far smaller
# LINE puts the events it has for the bot at one moment in one body: a handful. 100 is far
# above that, and a body of 100 still fits one quick commit; 85,000 events in one body once
# held every other request's commit for 4 s.
MAX_EVENTS = 100
# LINE's deepest body today (body, events, event, message, mention, mentionees, mentionee)
# nests 7 levels. 32 leaves LINE room to grow and keeps every later step that recurses
# (the JSON encoder on the way into the database, the handlers) far from Python's limit.
MAX_DEPTH = 32

blueprint = Blueprint("webhook", __name__)
log = logging.getLogger(__name__)


@blueprint.post("/callback")
def callback() -> Response:
    app_services = services(current_app)
    if request.content_length is not None and request.content_length > MAX_BODY:
        abort(413, "the body is over 1 MiB")
    body = request.get_data(cache=False)  # MAX_CONTENT_LENGTH also stops an unlabelled stream
    signature = request.headers.get("X-Line-Signature", "")
    if not signature:
        abort(400, "X-Line-Signature is missing")
    if not app_services.signature.validate(body.decode("utf-8", "replace"), signature):
        abort(400, "X-Line-Signature does not match the body")
    events = [_judged(event) for event in _events(body)]
    app_services.inbox_writer.store(events)
    app_services.wake()
    return Response("OK", status=200, mimetype="text/plain")


def _events(body: bytes) -> list[Any]:
    """The body's events, each still to be judged; a body that has none to give is a 4xx.
    `destination` goes unchecked: the signature already says the body is for this bot."""
    try:
        document = json.loads(body)
    except RecursionError:  # json's C parser recurses once per level
        abort(400, f"the body nests deeper than {MAX_DEPTH} levels")
    except ValueError:
        abort(400, "the body is not valid JSON")
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        abort(400, "the body has no events list")
    events = document["events"]
    if len(events) > MAX_EVENTS:
        abort(413, f"the body holds more than {MAX_EVENTS} events; LINE sends a few at a time")
    if _deeper_than(body, document, MAX_DEPTH):
        abort(400, f"the body nests deeper than {MAX_DEPTH} levels")
    return events


def _judged(event: Any) -> dict[str, Any]:
    """The event as it came, or, when it breaks LINE's schema, what the inbox keeps of a
    refused one. The log names the rule, never the content."""
    reason = unfit(event)
    if reason is None:
        return event
    refused = RefusedEvent(event, reason)
    log.warning("webhook event %s refused: %s", refused.event_id, reason)
    return refused


def _deeper_than(body: bytes, document: Any, limit: int) -> bool:
    # Fewer brackets in the whole body than the limit cannot nest that deep: a typical body
    # (a few dozen) is counted in C, and only a larger one is walked.
    if body.count(b"{") + body.count(b"[") <= limit:
        return False
    stack = [(document, 1)]
    while stack:  # a loop, not recursion: the depth is what is in question
        container, depth = stack.pop()
        if depth > limit:
            return True
        items = container.values() if isinstance(container, dict) else container
        stack.extend((item, depth + 1) for item in items if isinstance(item, dict | list))
    return False
