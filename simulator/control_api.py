"""The control API (JSON) with which tests, the chat page and benchmarks drive the simulator."""

from typing import Any

from flask import Blueprint, Response, jsonify, request

from simulator import user_actions
from simulator.faults import FaultConfig
from simulator.state import SimulatorState
from simulator.user_actions import ActionError, ActionResult


def create_control_blueprint(state: SimulatorState) -> Blueprint:
    """Return the control API as a blueprint (mounted at `/control` by the app)."""
    blueprint = Blueprint("simulator_control", __name__)

    @blueprint.errorhandler(ActionError)
    def action_error(error: ActionError) -> tuple[Response, int]:
        return jsonify({"error": error.message}), error.status

    @blueprint.post("/users")
    def create_user() -> tuple[Response, int]:
        body = _body()
        persona = user_actions.create_persona(
            state,
            body.get("displayName", ""),
            user_id=body.get("userId"),
            language=body.get("language", "ja"),
            picture_url=body.get("pictureUrl"),
            status_message=body.get("statusMessage"),
        )
        return jsonify(persona.to_json()), 201

    @blueprint.get("/users")
    def list_users() -> Response:
        with state.lock:
            return jsonify({"users": [p.to_json() for p in state.personas.values()]})

    @blueprint.get("/users/<user_id>")
    def get_user(user_id: str) -> Response:
        with state.lock:
            return jsonify(user_actions.require_persona(state, user_id).to_json())

    @blueprint.post("/users/<user_id>/follow")
    def follow(user_id: str) -> tuple[Response, int]:
        return _sent(user_actions.follow(state, user_id))

    @blueprint.post("/users/<user_id>/unfollow")
    def unfollow(user_id: str) -> tuple[Response, int]:
        return _sent(user_actions.unfollow(state, user_id))

    @blueprint.post("/users/<user_id>/text")
    def text(user_id: str) -> tuple[Response, int]:
        return _sent(user_actions.send_text(state, user_id, _body().get("text", "")))

    @blueprint.post("/users/<user_id>/sticker")
    def sticker(user_id: str) -> tuple[Response, int]:
        body = _body()
        package_id, sticker_id = user_actions.DEFAULT_STICKER
        return _sent(
            user_actions.send_sticker(
                state,
                user_id,
                str(body.get("packageId", package_id)),
                str(body.get("stickerId", sticker_id)),
            )
        )

    @blueprint.post("/users/<user_id>/image")
    def image(user_id: str) -> tuple[Response, int]:
        return _sent(user_actions.send_image(state, user_id))

    @blueprint.post("/users/<user_id>/location")
    def location(user_id: str) -> tuple[Response, int]:
        body = _body()
        try:
            latitude, longitude = float(body["latitude"]), float(body["longitude"])
        except (KeyError, TypeError, ValueError) as error:
            raise ActionError(400, "latitude and longitude are required numbers") from error
        return _sent(
            user_actions.send_location(
                state,
                user_id,
                str(body.get("title", "")),
                str(body.get("address", "")),
                latitude,
                longitude,
            )
        )

    @blueprint.post("/users/<user_id>/postback")
    def postback(user_id: str) -> tuple[Response, int]:
        body = _body()
        return _sent(
            user_actions.send_postback(
                state,
                user_id,
                body.get("data"),
                body.get("displayText"),
                body.get("params"),
            )
        )

    @blueprint.post("/users/<user_id>/unsend")
    def unsend(user_id: str) -> tuple[Response, int]:
        return _sent(user_actions.unsend(state, user_id, _body().get("messageId")))

    @blueprint.get("/users/<user_id>/transcript")
    def transcript(user_id: str) -> Response:
        after = request.args.get("after", 0, type=int)
        with state.lock:
            persona = user_actions.require_persona(state, user_id)
            return jsonify(
                {"entries": state.transcript(user_id, after), "readUpTo": persona.read_up_to}
            )

    @blueprint.post("/redeliver")
    def redeliver() -> tuple[Response, int]:
        return _sent(user_actions.redeliver(state, str(_body().get("webhookEventId", ""))))

    @blueprint.post("/send")
    def send() -> tuple[Response, int]:
        body = _body()
        result = user_actions.send_raw(state, body.get("events"), signature=body.get("signature"))
        return _sent(result, key="events")

    @blueprint.get("/requests")
    def list_requests() -> Response:
        path = request.args.get("path")
        with state.lock:
            records = [dict(r) for r in state.requests if path is None or r["path"] == path]
        return jsonify({"requests": records})

    @blueprint.delete("/requests")
    def clear_requests() -> Response:
        with state.lock:
            state.requests.clear()
        return jsonify({})

    @blueprint.get("/faults")
    def get_faults() -> Response:
        return jsonify(state.faults.config.to_json())

    @blueprint.post("/faults")
    def set_faults() -> Response:
        try:
            config = FaultConfig.from_json(_body())
        except (TypeError, ValueError) as error:
            raise ActionError(400, str(error)) from error
        with state.lock:
            state.faults.configure(config)
        return jsonify(config.to_json())

    @blueprint.delete("/faults")
    def clear_faults() -> Response:
        with state.lock:
            state.faults.clear()
        return jsonify({})

    @blueprint.get("/rate-limits")
    def get_rate_limits() -> Response:
        with state.lock:
            return jsonify(state.rate_limits)

    @blueprint.post("/rate-limits")
    def set_rate_limits() -> Response:
        limits = _body()
        if not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v > 0
            for v in limits.values()
        ):
            raise ActionError(400, "rate limits must be positive numbers of requests per second")
        with state.lock:
            state.rate_limits.update({key: float(value) for key, value in limits.items()})
            state.rate_limiter.clear()
            return jsonify(state.rate_limits)

    @blueprint.get("/config")
    def get_config() -> Response:
        return jsonify(_config(state))

    @blueprint.post("/config")
    def set_config() -> Response:
        body = _body()
        try:
            with state.lock:
                if "webhookUrl" in body:
                    state.webhook_url = str(body["webhookUrl"])
                if "replyTokenTtl" in body:
                    state.reply_token_ttl = float(body["replyTokenTtl"])
                if "webhookTimeout" in body:
                    state.webhook_timeout = float(body["webhookTimeout"])
                if "quota" in body:
                    state.quota = None if body["quota"] is None else int(body["quota"])
        except (TypeError, ValueError) as error:
            raise ActionError(400, f"invalid setting: {error}") from error
        return jsonify(_config(state))

    @blueprint.post("/reset")
    def reset() -> Response:
        state.reset()
        return jsonify({})

    @blueprint.get("/stats")
    def stats() -> Response:
        return jsonify(state.stats())

    @blueprint.get("/richmenu")
    def default_rich_menu() -> Response:
        menus = state.rich_menus
        with state.lock:
            menu = menus.menus.get(menus.default_id) if menus.default_id else None
            return jsonify(
                {
                    "richMenu": menu,
                    "hasImage": menu is not None and menu["richMenuId"] in menus.images,
                }
            )

    @blueprint.get("/richmenu/image")
    def default_rich_menu_image() -> Response:
        menus = state.rich_menus
        with state.lock:
            image = menus.images.get(menus.default_id) if menus.default_id else None
        if image is None:
            raise ActionError(404, "no default rich menu image")
        return Response(image[1], content_type=image[0])

    return blueprint


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise ActionError(400, "the request body must be a JSON object")
    return body


def _sent(result: ActionResult, key: str = "event") -> tuple[Response, int]:
    """Answer an action: the event(s) and the bot's status, or 502 when the bot was unreachable."""
    payload: dict[str, Any] = {
        key: result.events if key == "events" else result.events[0],
        "status": result.webhook.status,
    }
    if result.webhook.status is None:
        payload["error"] = result.webhook.error
        return jsonify(payload), 502
    return jsonify(payload), 200


def _config(state: SimulatorState) -> dict[str, Any]:
    with state.lock:
        return {
            "webhookUrl": state.webhook_url,
            "botUserId": state.bot_user_id,
            "replyTokenTtl": state.reply_token_ttl,
            "webhookTimeout": state.webhook_timeout,
            "quota": state.quota,
            "rateLimits": state.rate_limits,
            "faults": state.faults.config.to_json(),
        }
