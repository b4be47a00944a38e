"""Erasing a resident on their request (個人情報の消去): admins only, looked up, confirmed, done.

The admin names the resident by a ticket reference (what the resident quotes on the phone)
or their LINE user ID, sees whom that is, ticks the confirmation and erases
(storage.erasure.erase_resident). The audit log then holds one entry: who, when and an
opaque id, which the last page shows so it can be written on the request form.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlalchemy.orm import Session

from console import forms
from console.auth import requires
from console.context import client_ip, now, work
from console.i18n import _
from locales import DEFAULT_LANGUAGE, gettext
from storage import erasure
from storage.models import Resident
from storage.watch import enrolments

TEMPLATE = "console/admin/erase.html"
# Longer than any reference or LINE user ID: what is past it names nobody.
MAX_WHO = 80


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule(
        "/admin/erase", "erase_form", requires("admin")(erase_form), methods=["GET"]
    )
    blueprint.add_url_rule("/admin/erase", "erase", requires("admin")(erase), methods=["POST"])


def erase_form() -> Any:
    """The look-up form; with `?who=`, whom it names and the confirmation."""
    who = (request.args.get("who") or "").strip()[:MAX_WHO]
    if not who:
        return render_template(TEMPLATE, who="", found=None)
    with work() as (session, _admin):
        resident = erasure.find_resident(session, who)
        if resident is None:
            return _not_found(who)
        found = _summary(session, resident)
    return render_template(TEMPLATE, who=who, found=found)


def erase() -> Any:
    who = str(request.form.get("who") or "").strip()[:MAX_WHO]
    with work() as (session, admin):
        resident = erasure.find_resident(session, who)
        if resident is None:
            return _not_found(who)
        if not forms.checkbox("confirm"):
            error = _("Tick the box to confirm that the resident asked for this.")
            page = render_template(
                TEMPLATE, who=who, found=_summary(session, resident), error=error
            )
            return page, 422
        done = erasure.erase_resident(
            session,
            resident,
            now(),
            staff=admin,
            ip=client_ip(),
            note=gettext(
                DEFAULT_LANGUAGE,
                "The resident's words and attachments in this ticket were erased at their request.",
            ),
        )
    return render_template(TEMPLATE, who="", found=None, done=done)


def _not_found(who: str) -> tuple[str, int]:
    error = _("No resident was found for this ticket reference or LINE user ID.")
    return render_template(TEMPLATE, who=who, found=None, error=error), 404


def _summary(session: Session, resident: Resident) -> dict[str, Any]:
    """Enough to be sure it is the right person, and what erasing will take."""
    reach = erasure.reach_of(session, resident)
    enrolment = enrolments.enrolment_of(session, resident)
    return {
        "name": resident.display_name or _("(no name)"),
        "tickets": reach.references,
        "watched": enrolment is not None and enrolment.is_running,
        "watches": reach.family_links,
    }
