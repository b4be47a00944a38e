"""Two-factor sign-in (TOTP) and a person's own sign-in settings; the admin's rule per role.

`/console/account` is the signed-in person's page: their password, and two-factor on or off.
Enrolment shows a QR code (segno, SVG in the page, so nothing leaves the server) and the
secret as text, and turns two-factor on only once a code from the app confirms it; then ten
recovery codes are shown, this once. The secret waits on the staff row while being set up,
never in the cookie. When an admin requires two-factor of a role, a member of it without it
is sent from the password straight to enrolment (auth's "enrol" stage), and finishing it
completes the sign-in. Codes are checked, counted and throttled like passwords; none is logged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import segno
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import labels, throttle
from console.auth import (
    PendingSignIn,
    pending_sign_in,
    requires,
    safe_next,
    start_cookie,
    wait_message,
)
from console.context import Viewer, app_services, client_ip, now, session_now, viewer, work
from console.i18n import _, local_time, reason
from storage import console_sessions, staff_accounts
from storage.models import Staff
from storage.refusals import Refused

CODE_LIMIT = 64
PASSWORD_LIMIT = 1024


def register(blueprint: Blueprint) -> None:
    rules: list[tuple[str, str, Any, list[str]]] = [
        ("/account", "account", account, ["GET"]),
        ("/account/password", "account_password", change_password, ["POST"]),
        ("/account/two-factor", "two_factor_enrol", enrol, ["GET", "POST"]),
        ("/account/two-factor/recovery-codes", "two_factor_codes", renew_codes, ["POST"]),
        ("/account/two-factor/off", "two_factor_off", turn_off, ["POST"]),
    ]
    for path, endpoint, view, methods in rules:
        blueprint.add_url_rule(path, endpoint, view, methods=methods)
    admin_rules: list[tuple[str, str, Any, list[str]]] = [
        ("/admin/two-factor", "two_factor_policy", policy, ["GET", "POST"]),
        ("/admin/two-factor/<id:staff_id>/reset", "two_factor_reset", reset, ["POST"]),
    ]
    for path, endpoint, view, methods in admin_rules:
        blueprint.add_url_rule(path, endpoint, requires("admin")(view), methods=methods)


# ---- The person's own page ---------------------------------------------------------------------


def account() -> str:
    with app_services().db.transaction() as db:
        return _account_page(db, _me(db))


def _account_page(db: Session, staff: Staff, error: str | None = None) -> str:
    return render_template(
        "console/account.html",
        error=error,
        two_factor=staff_accounts.has_two_factor(staff),
        enrolled_at=local_time(staff.totp_enrolled_at),
        codes_left=staff_accounts.recovery_codes_left(db, staff),
        required=staff_accounts.two_factor_required(db, staff.role),
        min_password=staff_accounts.MIN_PASSWORD_LENGTH,
    )


def _me(db: Session) -> Staff:
    staff = staff_accounts.by_id(db, viewer().staff_id)
    if staff is None or not staff.active:
        abort(401)
    return staff


def change_password() -> Any:
    """The person's own password; their other sessions and their API tokens end with the old one."""
    current = request.form.get("current_password", "")[:PASSWORD_LIMIT]
    new = request.form.get("new_password", "")[:PASSWORD_LIMIT]
    repeated = request.form.get("repeat_password", "")[:PASSWORD_LIMIT]
    moment, ip = session_now(), client_ip()
    with app_services().db.transaction() as db:
        staff = _me(db)
        refusal = _check_current_password(db, staff, current, ip, moment)
        if refusal is None and new != repeated:
            refusal = _("The two new passwords are not the same."), 400
        if refusal is None:
            try:
                staff_accounts.set_password(
                    db, staff, new, moment, keep_session_id=viewer().session_id
                )
            except Refused as refused:
                refusal = reason(refused), 400
        if refusal is not None:
            return _account_page(db, staff, refusal[0]), refusal[1]
    flash(_("Password changed. Your other sessions and your API tokens have ended."), "success")
    return redirect(url_for("console.account"))


def _check_current_password(
    db: Session, staff: Staff, password: str, ip: str, moment: datetime
) -> tuple[str, int] | None:
    """Throttled like a sign-in: an open console left on a desk must not become a guessing box."""
    wait = throttle.wait_before_next(db, staff.email, ip, moment)
    if wait is not None:
        return wait_message(wait), 429
    if not staff_accounts.verify_password(staff.password_hash, password):
        throttle.record(db, staff.email, ip, False, moment)
        return _("The current password is not correct."), 400
    return None


# ---- Enrolment ---------------------------------------------------------------------------------


def enrol() -> Any:
    """Set up two-factor: the QR code and secret, then a code from the app to confirm it."""
    current: Viewer | PendingSignIn | None = g.get("viewer") or pending_sign_in()
    if current is None:
        abort(401)
    finishing = isinstance(current, PendingSignIn)
    target = safe_next(request.values.get("next"))
    moment, ip = session_now(), client_ip()
    token: str | None = None
    signed_in: Viewer | None = None
    with app_services().db.transaction() as db:
        staff = staff_accounts.by_id(db, current.staff_id)
        if staff is None or not staff.active:
            abort(401)
        if staff_accounts.has_two_factor(staff):
            return _already_on(db, current, target)
        secret = staff_accounts.pending_totp_secret(staff)
        if request.method == "GET":
            return _enrol_page(staff, secret, target)
        code = request.form.get("code", "")[:CODE_LIMIT]
        codes = staff_accounts.confirm_two_factor(db, staff, code, moment)
        if codes is None:
            error = _("That code is not correct. Check the phone's time and try the next code.")
            return _enrol_page(staff, secret, target, error), 400
        if finishing:
            row = console_sessions.by_id(db, current.session_id)
            if row is None:
                abort(401)
            token = console_sessions.finish(db, row, staff, ip, moment)
            throttle.record(db, staff.email, ip, True, moment)
            signed_in = Viewer(staff.id, staff.name, staff.role, row.id)
    if token is not None and signed_in is not None:
        start_cookie(token)
        # This page is the first of the session: show it with the menu of a signed-in person.
        g.viewer = signed_in
    return _codes_page(codes, target if finishing else url_for("console.account"))


def _already_on(db: Session, current: Viewer | PendingSignIn, target: str) -> Response:
    if isinstance(current, PendingSignIn):
        # Set up meanwhile in another window: this sign-in now asks for a code instead.
        row = console_sessions.by_id(db, current.session_id)
        if row is not None:
            row.pending = "code"
        return redirect(url_for("console.sign_in_code", next=target))
    flash(_("Two-factor sign-in is already on."), "info")
    return redirect(url_for("console.account"))


def _enrol_page(staff: Staff, secret: str, target: str, error: str | None = None) -> str:
    uri = staff_accounts.totp_uri(staff, secret)
    # segno writes only paths and attributes, so the markup is safe to put in the page as is.
    qr = Markup(segno.make(uri, error="m").svg_inline(scale=4, light="#fff"))
    grouped = " ".join(secret[start : start + 4] for start in range(0, len(secret), 4))
    return render_template(
        "console/two_factor_enrol.html", qr=qr, secret=grouped, next=target, error=error
    )


def _codes_page(codes: list[str], onward: str) -> str:
    return render_template("console/recovery_codes.html", codes=codes, onward=onward)


# ---- With two-factor on: new recovery codes, turning it off -------------------------------------


def renew_codes() -> Any:
    """Ten new recovery codes (the old ones stop working), for a current code."""
    moment, ip = session_now(), client_ip()
    with app_services().db.transaction() as db:
        staff = _me(db)
        refusal = _check_code(db, staff, ip, moment)
        if refusal is not None:
            return _account_page(db, staff, refusal[0]), refusal[1]
        codes = staff_accounts.new_recovery_codes(db, staff, moment)
    return _codes_page(codes, url_for("console.account"))


def turn_off() -> Any:
    """Two-factor off, for a current code, unless the person's role requires it."""
    moment, ip = session_now(), client_ip()
    with app_services().db.transaction() as db:
        staff = _me(db)
        if staff_accounts.two_factor_required(db, staff.role):
            message = _("Your role requires two-factor sign-in; an administrator can reset it.")
            return _account_page(db, staff, message), 400
        refusal = _check_code(db, staff, ip, moment)
        if refusal is not None:
            return _account_page(db, staff, refusal[0]), refusal[1]
        staff_accounts.turn_off_two_factor(db, staff, moment)
    flash(_("Two-factor sign-in is off."), "success")
    return redirect(url_for("console.account"))


def _check_code(db: Session, staff: Staff, ip: str, moment: datetime) -> tuple[str, int] | None:
    if not staff_accounts.has_two_factor(staff):
        return _("Two-factor sign-in is not on."), 400
    wait = throttle.wait_before_next(db, staff.email, ip, moment)
    if wait is not None:
        return wait_message(wait), 429
    code = request.form.get("code", "")[:CODE_LIMIT]
    right = staff_accounts.check_second_factor(db, staff, code, moment)
    throttle.record(db, staff.email, ip, right, moment)
    return None if right else (_("That code is not correct."), 400)


# ---- Admins: which roles require it; a reset for a lost phone ----------------------------------


def policy() -> Any:
    with work() as (db, admin):
        if request.method == "POST":
            try:
                staff_accounts.require_two_factor(
                    db, request.form.getlist("roles"), now(), by=admin
                )
            except Refused as refused:
                return _policy_page(db, reason(refused)), 400
            flash(_("Saved the sign-in rules."), "success")
            return redirect(url_for("console.two_factor_policy"))
        return _policy_page(db)


def _policy_page(db: Session, error: str | None = None) -> str:
    required = staff_accounts.roles_requiring_two_factor(db)
    people = [
        {
            "id": person.id,
            "name": person.name,
            "email": person.email,
            "role": labels.label(labels.ROLES, person.role),
            "two_factor": staff_accounts.has_two_factor(person),
            "missing": person.role in required and not staff_accounts.has_two_factor(person),
        }
        for person in staff_accounts.active_by_role(db)
    ]
    roles = [(code, name, code in required) for code, name in labels.choices(labels.ROLES)]
    return render_template(
        "console/admin/two_factor_policy.html", roles=roles, people=people, error=error
    )


def reset(staff_id: int) -> Response:
    """Remove someone's authenticator (a lost phone); they set it up again at next sign-in."""
    with work() as (db, admin):
        person = staff_accounts.by_id(db, staff_id)
        if person is None:
            abort(404)
        staff_accounts.turn_off_two_factor(db, person, now(), by=admin)
        name = person.name
    flash(_("Two-factor sign-in of {name} is reset.", name=name), "success")
    return redirect(url_for("console.two_factor_policy"))
