"""Reply, push, multicast and the quota: LINE's rules on tokens, retry keys and blocked people."""

from typing import Any

from simulator.api_core import ApiCall, ApiResponse, LineError, invalid_body, ok
from simulator.ids import USER_ID_PATTERN, is_uuid, new_opaque_token
from simulator.message_rules import (
    Detail,
    check_messages,
    check_size,
    check_text,
    detail,
)
from simulator.state import AcceptedRequest, SimulatorState

MAX_MULTICAST_RECIPIENTS = 500
# Only these can be quoted later, so only these get a quote token back.
QUOTABLE_TYPES = frozenset({"text", "sticker", "image"})


def reply(call: ApiCall) -> ApiResponse:
    """Send with a reply token: single use, short-lived, free of quota."""
    body = call.json_object()
    details = check_text(body, "replyToken", "", 1000) + _check_common(body)
    if details:
        raise invalid_body(details)
    state = call.state
    with state.lock:
        user_id = state.take_reply_token(body["replyToken"])
        if user_id is None:
            raise LineError(400, "Invalid reply token")
        sent = deliver(state, user_id, body["messages"], "reply", call.request_id)
    return ok({"sentMessages": sent})


def push(call: ApiCall) -> ApiResponse:
    """Send to one person at any time; counts against the quota if it can be delivered."""
    body = call.json_object()
    retry_key = _retry_key(call)
    details = check_text(body, "to", "", 100) + _check_common(body)
    state = call.state
    with state.lock:
        _refuse_accepted(state, retry_key)
        if details:
            raise invalid_body(details)
        to = body["to"]
        if not USER_ID_PATTERN.match(to):
            raise LineError(400, "The property, 'to', in the request body is invalid")
        persona = state.personas.get(to)
        if persona is None:
            raise LineError(400, "Failed to send messages")
        _charge_quota(state, 1 if persona.receives("push") else 0)
        sent = deliver(state, to, body["messages"], "push", call.request_id)
        _accept(state, retry_key, call.request_id, sent)
    return ok({"sentMessages": sent})


def multicast(call: ApiCall) -> ApiResponse:
    """Send the same messages to up to 500 people; unknown and blocked ones are skipped."""
    body = call.json_object()
    retry_key = _retry_key(call)
    details = _check_recipients(body.get("to")) + _check_common(body)
    state = call.state
    with state.lock:
        _refuse_accepted(state, retry_key)
        if details:
            raise invalid_body(details)
        recipients = [
            state.personas[user_id]
            for user_id in dict.fromkeys(body["to"])
            if user_id in state.personas
        ]
        _charge_quota(state, sum(persona.receives("multicast") for persona in recipients))
        for persona in recipients:
            deliver(
                state,
                persona.user_id,
                body["messages"],
                "multicast",
                call.request_id,
                quote_tokens=False,
            )
        _accept(state, retry_key, call.request_id, [])
    return ok({})


def quota(call: ApiCall) -> ApiResponse:
    """Return the monthly message limit."""
    limit = call.state.quota
    return ok({"type": "none"} if limit is None else {"type": "limited", "value": limit})


def quota_consumption(call: ApiCall) -> ApiResponse:
    """Return the messages counted against the quota this month (pushes and multicasts)."""
    with call.state.lock:
        return ok({"totalUsage": call.state.quota_usage})


def deliver(
    state: SimulatorState,
    user_id: str,
    messages: list[dict[str, Any]],
    via: str,
    request_id: str,
    quote_tokens: bool = True,
) -> list[dict[str, str]]:
    """Put bot messages in a person's transcript and return LINE's `sentMessages`.

    A multicast answers without `sentMessages`, so it makes no quote tokens: 500 of them a
    request would make the simulator, not the bot, the slow part of a check-in benchmark.
    """
    delivered = state.personas[user_id].receives(via)
    sent = []
    for message in messages:
        sent_message = {"id": state.next_message_id()}
        if quote_tokens and message["type"] in QUOTABLE_TYPES:
            sent_message["quoteToken"] = new_opaque_token()
        state.append(
            user_id,
            {
                "from": "bot",
                "kind": "message",
                "via": via,
                "message": message,
                "messageId": sent_message["id"],
                "delivered": delivered,
                "requestId": request_id,
            },
        )
        sent.append(sent_message)
    return sent


def _check_common(body: dict[str, Any]) -> list[Detail]:
    problems = check_messages(body.get("messages"))
    if "notificationDisabled" in body and not isinstance(body["notificationDisabled"], bool):
        problems.append(detail("must be a boolean", "notificationDisabled"))
    return problems


def _check_recipients(to: Any) -> list[Detail]:
    problems = check_size(to, "to", 1, MAX_MULTICAST_RECIPIENTS)
    if problems:
        return problems
    return [
        detail("must be a user ID", f"to[{index}]")
        for index, user_id in enumerate(to)
        if not isinstance(user_id, str) or not USER_ID_PATTERN.match(user_id)
    ]


def _retry_key(call: ApiCall) -> str | None:
    key = call.headers.get("X-Line-Retry-Key")
    if key is not None and not is_uuid(key):
        raise LineError(400, "The value for the 'X-Line-Retry-Key' header is invalid")
    return key.lower() if key else None


def _refuse_accepted(state: SimulatorState, retry_key: str | None) -> None:
    accepted = state.retry_keys.get(retry_key) if retry_key else None
    if accepted is None:
        return
    extra = {"sentMessages": accepted.sent_messages} if accepted.sent_messages else {}
    raise LineError(
        409,
        "The retry key is already accepted",
        headers={"X-Line-Accepted-Request-Id": accepted.request_id},
        extra=extra,
    )


def _accept(
    state: SimulatorState, retry_key: str | None, request_id: str, sent: list[dict[str, str]]
) -> None:
    if retry_key:
        state.retry_keys[retry_key] = AcceptedRequest(request_id, sent)


def _charge_quota(state: SimulatorState, recipients: int) -> None:
    # LINE counts one message per person who can receive it, whatever the number of bubbles.
    if state.quota is not None and state.quota_usage + recipients > state.quota:
        raise LineError(429, "You have reached your monthly limit.")
    state.quota_usage += recipients
