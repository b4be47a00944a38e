"""Signing in and out, the check in front of every console route, and role checks.

The signed Flask cookie carries a random session token; the `console_sessions` row it points
to must be live on every request, so signing out, an idle day or deactivating an account ends
the session everywhere at once.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
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
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from console import throttle
from console.context import Viewer, app_services, client_ip, session_now, viewer
from console.i18n import LANGUAGES, _
from storage import audit, staff_accounts
from storage.models import ConsoleSession, Staff

# A session unused this long, or older than a long working day, has to sign in again.
IDLE_LIMIT = timedelta(hours=8)
MAX_AGE = timedelta(hours=14)
# last_seen_at is written at most this often, so reading pages does not become writing.
TOUCH_EVERY = timedelta(minutes=1)
KEEP_SESSIONS = timedelta(days=30)
PUBLIC_ENDPOINTS = {"console.sign_in", "console.set_language", "console.static"}

csrf = CSRFProtect()
View = TypeVar("View", bound=Callable[..., Any])


def register(blueprint: Blueprint) -> None:
    blueprint.before_request(_check_request)
    blueprint.add_url_rule("/sign-in", "sign_in", sign_in, methods=["GET", "POST"])
    blueprint.add_url_rule("/sign-out", "sign_out", sign_out, methods=["POST"])
    blueprint.add_url_rule("/language", "set_language", set_language, methods=["POST"])


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


def _check_request() -> Response | None:
    if not current_app.secret_key:
        abort(503, description="the console needs MADOGUCHI_SECRET_KEY to be set")
    found = _signed_in()
    if found is not None:
        g.viewer = found
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


def _signed_in() -> Viewer | None:
    token = session.get("sid")
    if not isinstance(token, str):
        return None
    moment = session_now()
    with app_services().db.transaction() as db:
        row = db.scalar(select(ConsoleSession).where(ConsoleSession.token_hash == _digest(token)))
        if row is None or not _is_live(row, moment):
            return None
        staff = db.get(Staff, row.staff_id)
        if staff is None or not staff.active:
            row.ended_at = moment
            return None
        if moment - row.last_seen_at >= TOUCH_EVERY:
            row.last_seen_at = moment
        return Viewer(staff_id=staff.id, name=staff.name, role=staff.role, session_id=row.id)


def _is_live(row: ConsoleSession, moment: datetime) -> bool:
    return (
        row.ended_at is None
        and moment - row.last_seen_at < IDLE_LIMIT
        and moment - row.created_at < MAX_AGE
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# ---- Sign in, sign out, language ---------------------------------------------------------------


def sign_in() -> Any:
    if g.get("viewer") is not None:
        return redirect(safe_next(request.args.get("next")))
    if request.method == "GET":
        return render_template("console/sign_in.html", email="", next=request.args.get("next"))
    email = staff_accounts.normalise_email(request.form.get("email", ""))[:200]
    password = request.form.get("password", "")[:1024]
    target = safe_next(request.form.get("next"))
    moment, ip = session_now(), client_ip()
    token: str | None = None
    with app_services().db.transaction() as db:
        wait = throttle.wait_before_next(db, email, ip, moment)
        if wait is None:
            staff = staff_accounts.authenticate(db, email, password, moment) if email else None
            throttle.record(db, email, ip, staff is not None, moment)
            if staff is not None:
                token = _start_session(db, staff, ip, moment)
    if wait is not None:
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        error = _("Too many failed attempts. Please try again in {minutes} min.", minutes=minutes)
        return _sign_in_again(email, target, error, 429)
    if token is None:
        return _sign_in_again(email, target, _("The email or password is not correct."), 401)
    language = session.get("lang")
    # A fresh cookie at sign-in: nothing set before (by anyone) carries over into the session.
    session.clear()
    session["sid"] = token
    if language in LANGUAGES:
        session["lang"] = language
    return redirect(target)


def _sign_in_again(email: str, target: str, error: str, status: int) -> tuple[str, int]:
    html = render_template("console/sign_in.html", email=email, next=target, error=error)
    return html, status


def _start_session(db: Session, staff: Staff, ip: str, moment: datetime) -> str:
    # Sessions long over are of no use (logins and logouts are in the audit log): sweep them.
    db.execute(delete(ConsoleSession).where(ConsoleSession.created_at < moment - KEEP_SESSIONS))
    token = secrets.token_urlsafe(32)
    db.add(
        ConsoleSession(
            token_hash=_digest(token),
            staff_id=staff.id,
            created_at=moment,
            last_seen_at=moment,
            ip=ip,
        )
    )
    audit.record(db, "login", moment, staff=staff, ip=ip)
    return token


def sign_out() -> Response:
    current = viewer()
    moment = session_now()
    with app_services().db.transaction() as db:
        row = db.get(ConsoleSession, current.session_id)
        if row is not None and row.ended_at is None:
            row.ended_at = moment
        staff = db.get(Staff, current.staff_id)
        audit.record(db, "logout", moment, staff=staff, ip=client_ip())
    language = session.get("lang")
    session.clear()
    if language in LANGUAGES:
        session["lang"] = language
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
