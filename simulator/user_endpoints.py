"""Endpoints about one person: profile, loading indicator, read marks, images they sent."""

import base64

from simulator.api_core import ApiCall, ApiResponse, LineError, invalid_body, ok
from simulator.message_rules import detail

# A 1x1 grey PNG: the stand-in for every photo a simulated person sends.
PLACEHOLDER_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mM4c+YMAATMAmUHZ7aAAAAAAElFTkSuQmCC"
)
DEFAULT_LOADING_SECONDS = 20


def profile(call: ApiCall) -> ApiResponse:
    """Return a friend's profile; LINE answers 404 for anyone else, blocked people included."""
    with call.state.lock:
        persona = call.state.personas.get(call.params["user_id"])
        if persona is None or persona.status != "friend":
            raise LineError(404, "Not found")
        return ok(persona.profile())


def start_loading(call: ApiCall) -> ApiResponse:
    """Show the loading indicator for 5..60 seconds (a multiple of 5) in a one-to-one chat."""
    body = call.json_object()
    seconds = body.get("loadingSeconds", DEFAULT_LOADING_SECONDS)
    if (
        isinstance(seconds, bool)
        or not isinstance(seconds, int)
        or not (5 <= seconds <= 60 and seconds % 5 == 0)
    ):
        raise invalid_body([detail("must be a multiple of 5 between 5 and 60", "loadingSeconds")])
    chat_id = body.get("chatId")
    state = call.state
    with state.lock:
        persona = state.personas.get(chat_id) if isinstance(chat_id, str) else None
        if persona is None:
            raise invalid_body([detail("invalid chat ID", "chatId")])
        state.append(
            persona.user_id,
            {
                "from": "bot",
                "kind": "loading",
                "loadingSeconds": seconds,
                # Shown like a reply: to anyone who has not blocked the account.
                "delivered": persona.receives("reply"),
                "requestId": call.request_id,
            },
        )
    return ok(status=202)


def mark_as_read_by_token(call: ApiCall) -> ApiResponse:
    """Mark a person's messages as read up to the message the token came with."""
    token = call.json_object().get("markAsReadToken")
    state = call.state
    with state.lock:
        target = state.mark_as_read_tokens.get(token) if isinstance(token, str) else None
        if target is None:
            raise invalid_body([detail("invalid markAsReadToken", "markAsReadToken")])
        state.mark_read(*target)
    return ok()


def mark_as_read(call: ApiCall) -> ApiResponse:
    """Mark all of a person's messages as read."""
    chat = call.json_object().get("chat")
    user_id = chat.get("userId") if isinstance(chat, dict) else None
    state = call.state
    with state.lock:
        if not isinstance(user_id, str) or user_id not in state.personas:
            raise invalid_body([detail("invalid user ID", "chat.userId")])
        state.mark_read(user_id)
    return ok()


def message_content(call: ApiCall) -> ApiResponse:
    """Return the image a person sent, as a placeholder PNG."""
    with call.state.lock:
        if call.params["message_id"] not in call.state.images:
            raise LineError(404, "Not found")
    return ApiResponse(200, PLACEHOLDER_PNG, content_type="image/png")
