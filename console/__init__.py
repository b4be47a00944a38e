"""The staff console under /console: a Flask blueprint of server-rendered pages.

`init_app(app)` wires it into the app: cookie and CSRF settings, the catalog for templates,
the blueprint itself. Pages are plain HTML forms (each POST carries a CSRF token); one small
vendored script refreshes the queue. The JSON API (/api/v1) is a separate blueprint.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from console import (
    admin,
    audit_log,
    auth,
    canned,
    care_net,
    erase,
    params,
    reports,
    requests,
    salons,
    supporters,
    watch,
)
from console.context import services_of
from console.i18n import _, duration, language, local_date, local_time, reason
from console.navigation import entries_for
from console.views import intake, queue, resident, ticket
from storage.refusals import Conflict, Refused

log = logging.getLogger(__name__)

# Console pages carry personal data: never cached, never framed, only our own scripts.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def create_blueprint() -> Blueprint:
    """Every console route, under the prefix the app registers it with (/console)."""
    blueprint = Blueprint(
        "console",
        __name__,
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    # First of all checks: nothing a database refuses reaches a query (a 500 otherwise).
    blueprint.before_request(params.refuse_unstorable_input)
    auth.register(blueprint)
    queue.register(blueprint)
    ticket.register(blueprint)
    intake.register(blueprint)
    resident.register(blueprint)
    admin.register(blueprint)
    canned.register(blueprint)
    audit_log.register(blueprint)
    reports.register(blueprint)
    salons.register(blueprint)
    watch.register(blueprint)
    care_net.register(blueprint)
    supporters.register(blueprint)
    requests.register(blueprint)
    erase.register(blueprint)
    blueprint.after_request(_secure_headers)
    blueprint.register_error_handler(CSRFError, _csrf_refused)
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(Refused, _refused)
    return blueprint


def init_app(app: Flask) -> None:
    """Cookie, CSRF and template settings, then the blueprint at /console."""
    settings = services_of(app).settings
    if not app.secret_key:
        if settings.simulator_mode:
            # A demo on the simulator signs in again after a restart; production must set it.
            app.secret_key = secrets.token_hex(32)
        else:
            log.error("MADOGUCHI_SECRET_KEY is not set: the staff console refuses every page")
    app.config.update(
        SESSION_COOKIE_NAME="madoguchi_console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Over plain http only in the local simulator demo; everywhere else only over https.
        SESSION_COOKIE_SECURE=not settings.simulator_mode,
        # Checked by the console's blueprint only: LINE's webhook and the API carry no token.
        WTF_CSRF_CHECK_DEFAULT=False,
        # A form left open all morning still posts; the token is bound to the session anyway.
        WTF_CSRF_TIME_LIMIT=None,
    )
    auth.csrf.init_app(app)
    app.add_template_global(_, "_")
    app.add_template_global(language, "current_language")
    app.add_template_filter(local_time, "local_time")
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(duration, "duration")
    app.context_processor(_layout_context)
    # `<id:name>` in a route: only a row id the database can hold matches (params.py says why).
    app.url_map.converters["id"] = params.IdConverter
    app.register_blueprint(create_blueprint(), url_prefix="/console")


def _layout_context() -> dict[str, Any]:
    current = g.get("viewer")
    return {
        "viewer": current,
        "nav_entries": entries_for(
            current.role,
            watch_over=watch.may_see(),
            coordinates=supporters.may_coordinate(),
        )
        if current
        else [],
    }


def _secure_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
    return response


def _csrf_refused(error: CSRFError) -> Any:
    message = _("This form has expired. Please reload the page and try again.")
    return _error_page(400, message)


def _http_error(error: HTTPException) -> Any:
    messages = {
        400: _("A value in this request cannot be used. Please go back and check it."),
        403: _("This page is not open to your role."),
        404: _("There is no such page or ticket."),
        405: _("That action is not available here."),
        503: _("The console is not set up yet (MADOGUCHI_SECRET_KEY is missing)."),
    }
    code = error.code or 500
    return _error_page(code, messages.get(code, _("Something went wrong.")))


def _refused(error: Refused) -> Any:
    # A step casework refused that a view did not expect: still the person's input, so a 400.
    return _error_page(409 if isinstance(error, Conflict) else 400, reason(error))


def _error_page(status: int, message: str) -> Any:
    if auth.wants_json() or not current_app.secret_key:
        # Without a key no page can carry a form (CSRF needs it): the reason, plainly.
        return {"error": status, "reason": message}, status
    return render_template("console/error.html", status=status, message=message), status
