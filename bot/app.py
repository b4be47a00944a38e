"""create_app(): the web side of madoguchi, assembled from settings, database and clock."""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, Response, jsonify, request
from linebot.v3.webhook import SignatureValidator
from werkzeug.exceptions import HTTPException

from bot import webhook
from bot.clock import Clock
from bot.durations import parse_duration
from bot.group_commit import InboxWriter
from bot.services import Services
from bot.settings import Settings
from console import api as staff_api
from console import init_app as init_console
from storage.db import Database

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock | None = None,
    wake: Callable[[], None] | None = None,
    session_clock: Clock | None = None,
) -> Flask:
    """The Flask app; tests pass their own settings, database and clock. Console sign-ins run
    on `session_clock`: real time, or `clock` when a test passes one and no session clock."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = webhook.MAX_BODY
    app.config["SECRET_KEY"] = settings.secret_key or None
    db = db or Database(settings.database_url)
    session_clock = session_clock or clock or Clock()
    # Unless a test passes its own, the clock's offset is the database's, shared by all processes.
    clock = clock or Clock.shared(db)
    app.extensions["madoguchi"] = Services(
        settings=settings,
        db=db,
        clock=clock,
        signature=SignatureValidator(settings.channel_secret),
        inbox_writer=InboxWriter(db, clock.now),
        wake=wake or (lambda: None),
        session_clock=session_clock,
    )
    app.register_blueprint(webhook.blueprint)
    init_console(app)
    app.register_blueprint(staff_api.blueprint)
    if settings.clock_route_enabled:
        _add_clock_route(app, settings)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    return app


def _add_clock_route(app: Flask, settings: Settings) -> None:
    if not settings.simulator_mode:
        log.warning(
            "!!! MADOGUCHI_ALLOW_CLOCK=1 with real LINE credentials: POST /simulator/clock can "
            "move this bot's clock. Never set it in production. !!!"
        )

    @app.post("/simulator/clock")
    def advance_clock() -> Response:
        """Simulator only: move the bot's clock forward, e.g. {"advance": "3h"}."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("advance"), str):
            return _problem(400, 'send {"advance": "3h"} (units s, m, h, d)')
        try:
            by = parse_duration(body["advance"])
        except ValueError as error:
            return _problem(400, str(error))
        services = app.extensions["madoguchi"]
        now = services.clock.advance(by)
        services.wake()
        return jsonify(now=now.isoformat(), offset_seconds=services.clock.offset.total_seconds())


def _problem(status: int, reason: str) -> Response:
    response = jsonify(error=status, reason=reason)
    response.status_code = status
    return response


def _http_error(error: HTTPException) -> Response:
    return _problem(error.code or 500, error.description or error.name)


def _unexpected_error(error: Exception) -> Response:
    # The traceback goes to the log, never to the caller.
    log.exception("unhandled error on %s %s", request.method, request.path)
    return _problem(500, "internal error")
