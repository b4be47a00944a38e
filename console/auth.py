"""Signing in and out, the check in front of every console route, and role checks.

The signed Flask cookie carries a random session token; the `console_sessions` row it points
to must be live on every request, so signing out, going idle, changing the password or
deactivating an account ends the session everywhere at once.

Sign-in is a password and, for accounts with two-factor, then a code. Between the two the row
is *pending*: it opens only the next step's page (the code, or enrolment when the account's
role requires two-factor and it has none), for a few minutes, and the token is replaced when
the sign-in completes. Sessions run on the session clock (real time; see Services) and end
after `console_idle` without a request from the person (the queue's own refreshes do not
count), or after a long working day whatever happens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from console import throttle
from console.context import Viewer, app_services, client_ip, session_now, viewer
from console.i18n import LANGUAGES, _
from storage import audit, console_sessions, staff_accounts
from storage.models import ConsoleSession, Staff

# However busy, a session ends after a long working day.
MAX_AGE = timedelta(hours=14)
# A half-done sign-in (password given, code or enrolment next) lasts this long.
PENDING_FOR = timedelta(minutes=15)
# Wrong codes on one half-done sign-in before it ends and the password is asked again.
MAX_CODE_TRIES = 5
# last_seen_at is written at most this often, so reading pages does not become writing.
TOUCH_EVERY = timedelta(minutes=1)
PUBLIC_ENDPOINTS = {"console.sign_in", "console.set_language", "console.static"}
# What a half-done sign-in may open besides the public pages and signing out.
PENDING_STEPS = {"code": "console.sign_in_code", "enrol": "console.two_factor_enrol"}

csrf = CSRFProtect()
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class PendingSignIn:
    """A password given, the sign-in not complete: `stage` is "code" or "enrol"."""

    staff_id: int
    session_id: int
    stage: str


def register(blueprint: Blueprint) -> None:
    # The two-factor pages build on this module's helpers, so they are imported here, not above.
    from console import two_factor

    blueprint.before_request(_check_request)
    blueprint.add_url_rule("/sign-in", "sign_in", sign_in, methods=["GET", "POST"])
    blueprint.add_url_rule("/sign-in/code", "sign_in_code", sign_in_code, methods=["GET", "POST"])
    blueprint.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])
    blueprint.add_url_rule("/language", "set_language", set_language, methods=["POST"])
    two_factor.register(blueprint)


def requires(*roles: str) -> Callable[[View], View]:
    """Only these roles may use the view; others get 403."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            if viewer().role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def wants_json() -> bool:
    """The console's own scripts ask with X-Requested-With; API-style callers ask for JSON."""
    if request.headers.get("X-Requested-With"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


# ---- The check in front of every route ---------------------------------------------------------


def idle_limit() -> timedelta:
    """How long a session may go without a request from its person (MADOGUCHI_CONSOLE_IDLE)."""
    return app_services().settings.console_idle


def pending_sign_in() -> PendingSignIn | None:
    return g.get("pending_sign_in")


def _check_request() -> Response | None:
    if not current_app.secret_key:
        abort(503, description="the console needs MADOGUCHI_SECRET_KEY to be set")
    found = signed_in()
    if isinstance(found, Viewer):
        g.viewer = found
    elif isinstance(found, PendingSignIn):
        g.pending_sign_in = found
        allowed = {*PUBLIC_ENDPOINTS, "console.sign_out", PENDING_STEPS[found.stage]}
        if request.endpoint not in allowed:
            return _continue_sign_in(found)
    elif request.endpoint not in PUBLIC_ENDPOINTS:
        return _refuse_anonymous()
    if request.method == "POST":
        csrf.protect()
    return None


def _refuse_anonymous() -> Response:
    if wants_json():
        response = jsonify(error=401, reason="sign in to the console first")
        response.status_code = 401
        return response
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("console.sign_in", next=target))


def _continue_sign_in(pending: PendingSignIn) -> Response:
    if wants_json():
        response = jsonify(error=401, reason="finish signing in to the console first")
        response.status_code = 401
        return response
    return redirect(url_for(PENDING_STEPS[pending.stage]))


def signed_in() -> Viewer | PendingSignIn | None:
    """Who this request's session cookie belongs to: a live sign-in, one still waiting for its
    second factor, or None (no cookie, ended, idle too long, deactivated account)."""
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    moment = session_now()
    with app_services().db.transaction() as db:
        row = console_sessions.by_token(db, token)
        if row is None or not _is_live(row, moment):
            return None
        staff = staff_accounts.by_id(db, row.staff_id)
        if staff is None or not staff.active:
            row.ended_at = moment
            return None
        if row.pending in PENDING_STEPS:
            return PendingSignIn(staff_id=staff.id, session_id=row.id, stage=row.pending)
        if row.pending is not None:
            return None
        if moment - row.last_seen_at >= TOUCH_EVERY and not _refreshing_itself():
            row.last_seen_at = moment
        return Viewer(staff_id=staff.id, name=staff.name, role=staff.role, session_id=row.id)


def _is_live(row: ConsoleSession, moment: datetime) -> bool:
    if row.ended_at is not None:
        return False
    if row.pending is not None:
        return moment - row.created_at < PENDING_FOR
    return moment - row.last_seen_at < idle_limit() and moment - row.created_at < MAX_AGE


def _refreshing_itself() -> bool:
    """The queue's script refreshing the page on its own: not the person, so not activity."""
    return request.method == "GET" and request.headers.get("X-Requested-With") == "fetch"


# ---- Sign in: the password, then the code ------------------------------------------------------


def sign_in() -> Any:
    if g.get("viewer") is not None:
        return redirect(safe_next(request.args.get("next")))
    if request.method == "GET":
        return render_template("console/sign_in.html", email="", next=request.args.get("next"))
    email = staff_accounts.normalise_email(request.form.get("email", ""))[:200]
    password = request.form.get("password", "")[:1024]
    target = safe_next(request.form.get("next"))
    moment, ip = session_now(), client_ip()
    started: tuple[str, str | None] | None = None
    with app_services().db.transaction() as db:
        wait = throttle.wait_before_next(db, email, ip, moment)
        if wait is None:
            staff = staff_accounts.authenticate(db, email, password, moment) if email else None
            if staff is None:
                throttle.record(db, email, ip, False, moment)
            else:
                started = _after_password(db, staff, ip, moment)
    if wait is not None:
        return _sign_in_again(email, target, wait_message(wait), 429)
    if started is None:
        return _sign_in_again(email, target, _("The email or password is not correct."), 401)
    token, stage = started
    start_cookie(token)
    if stage is None:
        return redirect(target)
    return redirect(url_for(PENDING_STEPS[stage], next=target))


def _after_password(db: Session, staff: Staff, ip: str, moment: datetime) -> tuple[str, str | None]:
    """The session the right password opens: complete, or waiting for a code or an enrolment.

    Only a complete sign-in counts as a success for throttling: otherwise each right password
    would wipe out the count of wrong codes tried after it.
    """
    if staff_accounts.has_two_factor(staff):
        stage: str | None = "code"
    elif staff_accounts.two_factor_required(db, staff.role):
        stage = "enrol"
    else:
        stage = None
        throttle.record(db, staff.email, ip, True, moment)
    return console_sessions.start(db, staff, ip, moment, stage), stage


def sign_in_code() -> Any:
    target = safe_next(request.values.get("next"))
    if g.get("viewer") is not None:
        return redirect(target)
    pending = pending_sign_in()
    if pending is None or pending.stage != "code":
        return redirect(url_for("console.sign_in"))
    if request.method == "GET":
        return render_template("console/sign_in_code.html", next=target)
    code = request.form.get("code", "")[:64]
    moment, ip = session_now(), client_ip()
    token: str | None = None
    ended = False
    with app_services().db.transaction() as db:
        row, staff = _pending_rows(db, pending)
        wait = throttle.wait_before_next(db, staff.email, ip, moment)
        if wait is None:
            right = staff_accounts.check_second_factor(db, staff, code, moment)
            throttle.record(db, staff.email, ip, right, moment)
            if right:
                token = console_sessions.finish(db, row, staff, ip, moment)
            else:
                ended = _count_wrong_code(row, moment)
    if token is not None:
        start_cookie(token)
        return redirect(target)
    if ended:
        forget_cookie()
        flash(_("Too many wrong codes. Please sign in again."), "error")
        return redirect(url_for("console.sign_in"))
    error = wait_message(wait) if wait is not None else _("That code is not correct.")
    html = render_template("console/sign_in_code.html", next=target, error=error)
    return html, 429 if wait is not None else 401


def _pending_rows(db: Session, pending: PendingSignIn) -> tuple[ConsoleSession, Staff]:
    row = console_sessions.by_id(db, pending.session_id)
    staff = staff_accounts.by_id(db, pending.staff_id)
    if row is None or staff is None:
        abort(401)
    return row, staff


def _count_wrong_code(row: ConsoleSession, moment: datetime) -> bool:
    """One more wrong code on this sign-in; True when that ended it."""
    row.failed_codes += 1
    if row.failed_codes >= MAX_CODE_TRIES:
        row.ended_at = moment
        return True
    return False


def wait_message(wait: timedelta) -> str:
    """The "try again in N min" message, N rounded up to a whole minute."""
    minutes = max(1, -(-int(wait.total_seconds()) // 60))
    return _("Too many failed attempts. Please try again in {minutes} min.", minutes=minutes)


def _sign_in_again(email: str, target: str, error: str, status: int) -> tuple[str, int]:
    html = render_template("console/sign_in.html", email=email, next=target, error=error)
    return html, status


def start_cookie(token: str) -> None:
    """A fresh cookie for `token`: nothing set before (by anyone) carries over into it."""
    language = session.get("lang")
    session.clear()
    session["sid"] = token
    if language in LANGUAGES:
        session["lang"] = language


def forget_cookie() -> None:
    language = session.get("lang")
    session.clear()
    if language in LANGUAGES:
        session["lang"] = language


def sign_out() -> Response:
    current = g.get("viewer") or pending_sign_in()
    if current is None:
        abort(401)
    moment = session_now()
    with app_services().db.transaction() as db:
        row = console_sessions.by_id(db, current.session_id)
        if row is not None and row.ended_at is None:
            row.ended_at = moment
        staff = staff_accounts.by_id(db, current.staff_id)
        audit.record(db, "logout", moment, staff=staff, ip=client_ip())
    forget_cookie()
    flash(_("You have signed out."), "info")
    return redirect(url_for("console.sign_in"))


def set_language() -> Response:
    chosen = request.form.get("lang", "")
    if chosen in LANGUAGES:
        session["lang"] = chosen
    return redirect(safe_next(request.form.get("next")))


def safe_next(target: str | None) -> str:
    """Only a path inside the console: never another site, never a scheme-relative //host."""
    fallback = url_for("console.queue")
    if not target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/console/"):
        return fallback
    if target.startswith("//") or "\\" in target:
        return fallback
    return target
