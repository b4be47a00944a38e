"""The fake Messaging API: routing, authentication, rate limits, faults and request recording.

The bot points `LINE_API_BASE_URL` at `<simulator>/line`; the data API (api-data.line.me)
paths are served from the same base.
"""

import hmac
import json
import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from simulator import richmenu_endpoints, send_endpoints, user_endpoints
from simulator.api_core import ApiCall, ApiResponse, LineError, Operation
from simulator.faults import Fault
from simulator.ids import new_request_id
from simulator.state import SimulatorState

ROUTES: list[tuple[str, str, Operation]] = [
    (
        "POST",
        "/v2/bot/message/reply",
        Operation("replyMessage", send_endpoints.reply, faultable=True),
    ),
    ("POST", "/v2/bot/message/push", Operation("pushMessage", send_endpoints.push, faultable=True)),
    (
        "POST",
        "/v2/bot/message/multicast",
        Operation("multicast", send_endpoints.multicast, faultable=True),
    ),
    (
        "GET",
        "/v2/bot/profile/<user_id>",
        Operation("getProfile", user_endpoints.profile, faultable=True),
    ),
    (
        "POST",
        "/v2/bot/chat/loading/start",
        Operation("showLoadingAnimation", user_endpoints.start_loading, faultable=True),
    ),
    (
        "POST",
        "/v2/bot/chat/markAsRead",
        Operation("markMessagesAsReadByToken", user_endpoints.mark_as_read_by_token),
    ),
    (
        "POST",
        "/v2/bot/message/markAsRead",
        Operation("markMessagesAsRead", user_endpoints.mark_as_read),
    ),
    ("GET", "/v2/bot/message/quota", Operation("getMessageQuota", send_endpoints.quota)),
    (
        "GET",
        "/v2/bot/message/quota/consumption",
        Operation("getMessageQuotaConsumption", send_endpoints.quota_consumption),
    ),
    (
        "GET",
        "/v2/bot/message/<message_id>/content",
        Operation("getMessageContent", user_endpoints.message_content),
    ),
    ("POST", "/v2/bot/richmenu", Operation("createRichMenu", richmenu_endpoints.create)),
    (
        "POST",
        "/v2/bot/richmenu/validate",
        Operation("validateRichMenuObject", richmenu_endpoints.validate),
    ),
    ("GET", "/v2/bot/richmenu/list", Operation("getRichMenuList", richmenu_endpoints.list_all)),
    ("GET", "/v2/bot/richmenu/<rich_menu_id>", Operation("getRichMenu", richmenu_endpoints.get)),
    (
        "DELETE",
        "/v2/bot/richmenu/<rich_menu_id>",
        Operation("deleteRichMenu", richmenu_endpoints.delete),
    ),
    (
        "POST",
        "/v2/bot/richmenu/<rich_menu_id>/content",
        Operation("setRichMenuImage", richmenu_endpoints.upload_image),
    ),
    (
        "GET",
        "/v2/bot/richmenu/<rich_menu_id>/content",
        Operation("getRichMenuImage", richmenu_endpoints.download_image),
    ),
    (
        "POST",
        "/v2/bot/user/all/richmenu/<rich_menu_id>",
        Operation("setDefaultRichMenu", richmenu_endpoints.set_default),
    ),
    (
        "GET",
        "/v2/bot/user/all/richmenu",
        Operation("getDefaultRichMenuId", richmenu_endpoints.get_default),
    ),
    (
        "DELETE",
        "/v2/bot/user/all/richmenu",
        Operation("cancelDefaultRichMenu", richmenu_endpoints.cancel_default),
    ),
]
# Headers worth keeping with a recorded request; never the access token.
RECORDED_HEADERS = ("Content-Type", "X-Line-Retry-Key")


def create_line_api_blueprint(state: SimulatorState) -> Blueprint:
    """Return the fake Messaging API as a blueprint (mounted at `/line` by the app)."""
    operations = {f"{method} {rule}": operation for method, rule, operation in ROUTES}
    routes = Map(
        [Rule(rule, endpoint=f"{method} {rule}", methods=[method]) for method, rule, _ in ROUTES]
    )
    blueprint = Blueprint("line_api", __name__)

    @blueprint.route("/<path:api_path>", methods=["GET", "POST", "PUT", "DELETE"])
    def dispatch(api_path: str) -> Response:
        path = "/" + api_path
        request_id = new_request_id()
        record = _start_record(state, path, request_id)
        try:
            endpoint, params = routes.bind("").match(path, request.method)
            operation = operations[endpoint]
            record["operation"] = operation.name
            answer = _handle(state, operation, params, request_id, record)
        except NotFound:
            answer = LineError(404, "Not found").response()
        except MethodNotAllowed:
            answer = LineError(405, "Method Not Allowed").response()
        except LineError as error:
            answer = error.response()
        with state.lock:
            record["status"] = answer.status
            record["response"] = answer.body if isinstance(answer.body, dict) else None
        return _to_flask(answer, request_id)

    return blueprint


def _handle(
    state: SimulatorState,
    operation: Operation,
    params: dict[str, str],
    request_id: str,
    record: dict[str, Any],
) -> ApiResponse:
    """Run one authenticated call through rate limits and injected faults."""
    expected = f"Bearer {state.access_token}"
    if not hmac.compare_digest(request.headers.get("Authorization", ""), expected):
        raise LineError(
            401,
            "Authentication failed due to the following reason: invalid token. "
            "Confirm that the access token in the authorization header is valid.",
        )
    with state.lock:
        record["authorized"] = True
        fault_config = state.faults.config
        allowed = state.rate_limiter.allow(operation.name, state.rate_limits)
        fault = state.faults.draw() if operation.faultable and allowed else None
        if fault is not None:
            record["fault"] = fault.kind + (" after delivery" if fault.deliver else "")
    if fault_config.latency_ms:
        time.sleep(fault_config.latency_ms / 1000)
    if not allowed:
        raise LineError(429, "The API rate limit has been exceeded. Try again later.")
    if fault is not None and not fault.deliver:
        _fail(fault, fault_config.hang_seconds)
    call = ApiCall(
        state=state,
        params=params,
        body=record["body"],
        raw=request.get_data(cache=True),
        headers=request.headers,
        content_type=request.mimetype,
        request_id=request_id,
    )
    try:
        answer = operation.handler(call)
    except LineError as error:
        answer = error.response()
    if fault is not None:
        # Ambiguous faults: the work above is done, then the answer is lost.
        _fail(fault, fault_config.hang_seconds)
    return answer


def _fail(fault: Fault, hang_seconds: float) -> None:
    """Raise the error a fault stands for, after hanging for a hang fault."""
    if fault.kind == "rate_limit":
        raise LineError(
            429,
            "The API rate limit has been exceeded. Try again later.",
            headers={"Retry-After": "1"},
        )
    if fault.kind == "hang":
        # The client should have given up by now; whatever follows is never read.
        time.sleep(hang_seconds)
    raise LineError(500, "Internal Server Error")


def _start_record(state: SimulatorState, path: str, request_id: str) -> dict[str, Any]:
    """Record a request as it arrives, so even one that hangs shows up."""
    raw = request.get_data(cache=True)
    body: Any = None
    if request.is_json:
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "method": request.method,
        "path": path,
        "query": request.args.to_dict(),
        "headers": {
            name: request.headers[name] for name in RECORDED_HEADERS if name in request.headers
        },
        "authorized": False,
        "body": body,
        "bodySize": len(raw),
        "requestId": request_id,
        "operation": None,
        "fault": None,
        "status": None,
        "response": None,
    }
    with state.lock:
        record["seq"] = state.next_seq()
        state.requests.append(record)
    return record


def _to_flask(answer: ApiResponse, request_id: str) -> Response:
    if isinstance(answer.body, bytes):
        data = answer.body
    else:
        data = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
    response = Response(data, status=answer.status, content_type=answer.content_type)
    response.headers["X-Line-Request-Id"] = request_id
    response.headers.update(answer.headers)
    return response
