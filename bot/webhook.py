"""POST /callback: verify, store in the inbox, commit, answer 200. No LINE call happens here."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, abort, current_app, request

from bot.services import services

MAX_BODY = 1024 * 1024  # 1 MiB; LINE's own bodies are far smaller

blueprint = Blueprint("webhook", __name__)


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
    events = _events(body)
    app_services.inbox_writer.store(events)
    app_services.wake()
    return Response("OK", status=200, mimetype="text/plain")


def _events(body: bytes) -> list[dict[str, Any]]:
    try:
        document = json.loads(body)
    except ValueError:
        abort(400, "the body is not valid JSON")
    if not isinstance(document, dict) or not isinstance(document.get("events"), list):
        abort(400, "the body has no events list")
    events = document["events"]
    if not all(isinstance(event, dict) for event in events):
        abort(400, "every event must be a JSON object")
    return events
