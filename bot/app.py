"""create_app(): the web side of madoguchi, assembled from settings, database and clock."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, request
from flask_wtf.csrf import generate_csrf
from linebot.v3.webhook import SignatureValidator
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from bot import webhook
from bot.clock import MAX_MOVE, MAX_OFFSET, Clock, ClockOutOfRange
from bot.durations import parse_duration
from bot.group_commit import InboxWriter
from bot.resident_actions import ResidentActions
from bot.services import Services, services
from bot.settings import Settings
from console import api, auth
from console import init_app as init_console
from console.context import EXTENSION, Viewer, client_ip, session_now
from console.i18n import gettext
from flows import supporter_signup
from locales import N_, fill
from storage import audit
from storage.db import Database
from storage.models import Staff
from storage.spool import spool_for

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
    on `session_clock`: real time, or `clock` when a test passes one and no session clock.

    Without `settings` (a WSGI server's entry) they come from the environment, and the app
    refuses to start without both LINE credentials or on a clock out of range."""
    if settings is None:
        settings = Settings.from_env()
        settings.require_line_credentials()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = webhook.MAX_BODY
    app.config["SECRET_KEY"] = settings.secret_key or None
    owns_db = db is None
    db = db or Database(settings.database_url)
    session_clock = session_clock or clock or Clock()
    if clock is None:
        # The clock's offset is the database's, shared by all processes.
        clock = Clock.shared(db)
        try:
            clock.check()
        except ClockOutOfRange:
            if owns_db:
                db.dispose()
            raise
    app.extensions[EXTENSION] = Services(
        settings=settings,
        db=db,
        clock=clock,
        signature=SignatureValidator(settings.channel_secret),
        inbox_writer=InboxWriter(db, clock.now, spool_for(db)),
        wake=wake or (lambda: None),
        session_clock=session_clock,
        resident_actions=ResidentActions(settings.offer_wait),
        supporter_sign_up_link=(
            supporter_signup.sign_up_link(settings.basic_id) if settings.basic_id else ""
        ),
    )
    if settings.trusted_proxies:
        # Werkzeug's own fix: request.remote_addr becomes the client the proxies name.
        proxies = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    app.register_blueprint(webhook.blueprint)
    init_console(app)
    app.register_blueprint(api.blueprint)
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
    app.add_url_rule("/simulator/clock", "clock_state", _clock_state, methods=["GET"])
    app.add_url_rule("/simulator/clock", "move_clock", _move_clock, methods=["POST"])


def _console_admin(view: Callable[[], Response]) -> Callable[[], Response]:
    """Only for a signed-in console admin: the console's own session check (idle limits,
    deactivated accounts), its CSRF token on POST, always a JSON answer (this is no page)."""

    @wraps(view)
    def checked() -> Response:
        if not current_app.secret_key:
            return _problem(503, "the console needs MADOGUCHI_SECRET_KEY to be set")
        # The console's own check of its session cookie; a sign-in still waiting for its
        # second factor is no sign-in here.
        found = auth.signed_in()
        if not isinstance(found, Viewer):
            return _refusal(401, N_("Sign in to the console as an admin first."))
        g.viewer = found
        if not found.is_admin:
            return _refusal(403, N_("Only an admin may move the bot's clock."))
        if request.method == "POST":
            # A CSRFError is a 400 with its reason, like any other bad request here.
            auth.csrf.protect()
        return view()

    return checked


@_console_admin
def _clock_state() -> Response:
    """Where the clock stands, its bounds, and the CSRF token a move must carry."""
    clock = services(current_app).clock
    return jsonify(
        now=clock.now().isoformat(),
        offset_seconds=clock.offset.total_seconds(),
        max_move_days=MAX_MOVE.days,
        max_offset_days=MAX_OFFSET.days,
        csrf_token=generate_csrf(),
    )


@_console_admin
def _move_clock() -> Response:
    """Move the bot's clock forward, {"advance": "3h"}, or back to real time, {"reset": true}."""
    body = request.get_json(silent=True)
    if isinstance(body, dict) and body.get("reset") is True and "advance" not in body:
        return _moved("clock_reset", lambda clock: clock.reset(), {})
    if not isinstance(body, dict) or not isinstance(body.get("advance"), str) or "reset" in body:
        return _refusal(
            400, N_("Send JSON with advance (such as 3h; units s, m, h, d) or reset: true.")
        )
    text = body["advance"][:40]
    try:
        by = parse_duration(text)
    except (ValueError, OverflowError):
        return _refusal(
            400, N_("{text} is not a duration; write it like 90s, 15m, 3h or 1d."), text=text
        )
    try:
        return _moved(
            "clock_moved", lambda clock: clock.advance(by), {"by_seconds": by.total_seconds()}
        )
    except ClockOutOfRange as error:
        return _refusal(400, error.message, **error.params)


def _moved(action: str, move: Callable[[Clock], Any], detail: dict[str, float]) -> Response:
    """Make the move, record who made it (the audit log names no content), wake the worker."""
    found = services(current_app)
    move(found.clock)
    offset = found.clock.offset.total_seconds()
    with found.db.transaction() as session:
        staff = session.get(Staff, g.viewer.staff_id)
        audit.record(
            session,
            action,
            session_now(),
            staff=staff,
            detail={**detail, "offset_seconds": offset},
            ip=client_ip(),
        )
    found.wake()
    return jsonify(now=found.clock.now().isoformat(), offset_seconds=offset)


def _refusal(status: int, reason: str, **params: object) -> Response:
    """A refusal in English (`reason`, as everywhere here) and in the admin's language."""
    response = jsonify(error=status, reason=fill(reason, params), message=gettext(reason, **params))
    response.status_code = status
    return response


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
