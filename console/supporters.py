"""The 生活応援隊 coordinator's supporters page: who has signed up, what they can do, where and
when, when they last helped; approving an applicant, pausing and resuming. Every change is
audited. One supporter's own page adds their phone, their history (each request offered to
them, their answer, and for those they took how it went) with totals, and the ケアネット
residents they look in on; every view of it is audited.

Only the coordinating team (storage.supporters.COORDINATING_TEAM) and admins use this page:
anyone else gets 403 for the list and 404 for a supporter, exactly as for one that does not
exist. The check runs before a view reads anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

import segno
from babel.dates import get_day_names
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import labels
from console.context import app_services, client_ip, now, viewer, work
from console.i18n import _, gettext, language, local_date
from locales import N_
from storage import audit, help_visits, staff_accounts, supporters
from storage.models import (
    FEEDBACK,
    HELP_KINDS,
    HELP_MINUTES,
    NOT_DONE_REASONS,
    TIME_BANDS,
    CareNetLink,
    HelpOffer,
    Staff,
    Supporter,
)
from storage.refusals import Conflict
from storage.watch import enrolments

KIND_NAMES = dict(HELP_KINDS)
BAND_NAMES = dict(TIME_BANDS)
LIST_LIMIT = 500
# The most offers one supporter's page lists (the totals count them all).
HISTORY_LIMIT = 200
# The recent period of the totals.
RECENT = timedelta(days=30)
# An offer's answer, as the supporter's history says it (storage.models.OFFER_ANSWERS; None:
# they never answered, or the offer still waits).
ANSWERS: dict[str | None, str] = {
    None: N_("No answer"),
    "accepted": N_("Took it on"),
    "declined": N_("Not this time"),
    "too_late": N_("Too late (someone else took it, or the time ran out)"),
}
# What became of a request they took, beside done and could not be done.
TAKEN_STATUSES: dict[str, str] = {
    "taken": N_("Not reported yet"),
    "returned": N_("Back to the coordinator"),
    "cancelled": N_("Cancelled"),
}
MINUTE_NAMES = dict(HELP_MINUTES)
REASON_NAMES = dict(NOT_DONE_REASONS)
FEEDBACK_NAMES = dict(FEEDBACK)
# What someone outside the coordinating team gets: a closed page, or a supporter not there.
PAGE, RECORD = 403, 404


def register(blueprint: Blueprint) -> None:
    rules: list[tuple[str, str, Any, list[str], int]] = [
        ("/supporters", "supporter_list", supporter_list, ["GET"], PAGE),
        ("/supporters/<id:supporter_id>", "supporter_page", supporter_page, ["GET"], RECORD),
        ("/supporters/<id:supporter_id>/approve", "supporter_approve", approve, ["POST"], RECORD),
        ("/supporters/<id:supporter_id>/pause", "supporter_pause", pause, ["POST"], RECORD),
        ("/supporters/<id:supporter_id>/resume", "supporter_resume", resume, ["POST"], RECORD),
    ]
    for path, endpoint, view, methods, refusal in rules:
        blueprint.add_url_rule(path, endpoint, _coordinators_only(view, refusal), methods=methods)


def may_coordinate() -> bool:
    """Whether the signed-in staff member coordinates supporters (asked once per request)."""
    if "coordinates" not in g:
        with app_services().db.reading() as session:
            staff = staff_accounts.by_id(session, viewer().staff_id)
            g.coordinates = staff is not None and supporters.staff_may_coordinate(staff)
    return bool(g.coordinates)


def _coordinators_only(view: Callable[..., Any], refusal: int) -> Callable[..., Any]:
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not may_coordinate():
            abort(refusal)
        return view(*args, **kwargs)

    return checked


@dataclass(frozen=True)
class Line:
    """One supporter in the table, in the reader's words."""

    id: int
    name: str
    status: str
    status_label: str
    kinds: str
    district: str
    when: str
    last_helped: str
    applied: str


def supporter_list() -> str:
    wanted = request.args.get("status", "")
    if wanted and wanted not in labels.SUPPORTER_STATUSES:
        abort(400, description="unknown status")
    with work() as (session, _staff):
        lines = [_line(supporter) for supporter in supporters.listing(session, wanted, LIST_LIMIT)]
        counts = supporters.counts_by_status(session)
    filters = [
        (status, _(label), counts.get(status, 0))
        for status, label in labels.SUPPORTER_STATUSES.items()
    ]
    link = app_services().supporter_sign_up_link
    return render_template(
        "supporters/list.html",
        lines=lines,
        filters=filters,
        wanted=wanted,
        sign_up_link=link,
        sign_up_qr=_qr(link) if link else None,
    )


def _qr(link: str) -> Markup:
    # segno writes only paths and attributes (as for two-factor enrolment): safe as it is, and
    # drawn here, so nothing about the council's account goes to a QR service.
    return Markup(segno.make(link, error="m").svg_inline(scale=5, light="#fff"))


def _line(supporter: Supporter) -> Line:
    separator = "、" if language() == "ja" else ", "
    days = get_day_names("abbreviated", locale=language())
    when = [separator.join(str(days[day]) for day in supporter.weekdays if 0 <= day < 7)]
    when.append(separator.join(_named(BAND_NAMES, band) for band in supporter.time_bands))
    return Line(
        id=supporter.id,
        name=supporter.first_name or _("(left: name deleted)"),
        status=supporter.status,
        status_label=labels.label(labels.SUPPORTER_STATUSES, supporter.status),
        kinds=separator.join(_named(KIND_NAMES, kind) for kind in supporter.kinds),
        district=supporter.district.name if supporter.district is not None else "",
        when=" / ".join(part for part in when if part),
        last_helped=local_date(supporter.last_helped_at) or _("Not yet"),
        applied=local_date(supporter.consent_at or supporter.created_at),
    )


def _named(table: dict[Any, str], code: Any) -> str:
    # A code no table knows (written by a newer version) is shown as a dash, not as itself.
    return gettext(table[code]) if code in table else "-"


@dataclass(frozen=True)
class Past:
    """One request offered to the supporter, in the reader's words."""

    offered: str
    kind: str
    answer: str
    took: bool
    outcome: str
    minutes: str
    feedback: str


@dataclass(frozen=True)
class Total:
    """Requests taken, of them done, and hours given, in a period."""

    period: str
    taken: int
    done: int
    hours: str


@dataclass(frozen=True)
class Watched:
    """A ケアネット resident the supporter looks in on (shown to the watch-over team only)."""

    enrolment_id: int
    name: str


def supporter_page(supporter_id: int) -> str:
    with work() as (session, staff):
        record = supporter_record(session, staff, supporter_id, now())
        if record is None:
            abort(404)
        found = record.supporter
        line = _line(found)
        context = {
            "line": line,
            "phone": found.phone or "",
            "reach": _reach(found),
            "approved": _approved(record),
            "history": [_past(offer) for offer in record.offers],
            "more": len(record.offers) >= HISTORY_LIMIT,
            "totals": [
                Total(
                    _("Last 30 days"),
                    record.recent.taken,
                    record.recent.done,
                    _hours(record.recent),
                ),
                Total(
                    _("In all"), record.overall.taken, record.overall.done, _hours(record.overall)
                ),
            ],
            "watched": [
                Watched(link.enrolment_id, link.enrolment.resident.display_name or _("(no name)"))
                for link in record.links
            ]
            if record.residents_shown
            else [],
            "watched_count": len(record.links),
            "residents_shown": record.residents_shown,
        }
    return render_template("supporters/page.html", **context)


def _reach(supporter: Supporter) -> str:
    if supporter.reach_km is None:
        return _("Their district only")
    km = format(supporter.reach_km, "g")
    return _("Up to {km} km from their district", km=km)


def _approved(record: Record) -> str:
    when = record.supporter.approved_at
    if when is None:
        return _("Not yet")
    if record.approved_by is None:
        return local_date(when)
    return _("{date}, by {name}", date=local_date(when), name=record.approved_by.name)


def _hours(helped: help_visits.Helped) -> str:
    return f"{helped.hours:g}"


def _past(offer: HelpOffer) -> Past:
    asked = offer.request
    took = offer.answer == "accepted"
    outcome = minutes = feedback = ""
    if took:
        if asked.status == "done":
            outcome = _("Done")
            minutes = _named(MINUTE_NAMES, asked.minutes) if asked.minutes else ""
            feedback = _named(FEEDBACK_NAMES, asked.feedback) if asked.feedback else ""
        elif asked.status == "failed":
            why = asked.not_done_reason
            outcome = _("Could not: {reason}", reason=_named(REASON_NAMES, why) if why else "-")
        else:
            outcome = _named(TAKEN_STATUSES, asked.status)
    return Past(
        offered=local_date(offer.sent_at),
        kind=_named(KIND_NAMES, asked.kind),
        answer=gettext(ANSWERS[offer.answer]) if offer.answer in ANSWERS else "-",
        took=took,
        outcome=outcome,
        minutes=minutes,
        feedback=feedback,
    )


def approve(supporter_id: int) -> Response:
    done = _change(supporter_id, "approve", _("Approved: offers can now go to them."))
    app_services().wake()  # the supporter's welcome waits in the outbox
    return done


def pause(supporter_id: int) -> Response:
    return _change(supporter_id, "pause", _("Paused: no offers until resumed."))


def resume(supporter_id: int) -> Response:
    return _change(supporter_id, "resume", _("Resumed."))


def _change(supporter_id: int, step: str, done: str) -> Response:
    with work() as (session, staff):
        if change_supporter(session, staff, supporter_id, step, now()) is None:
            abort(404)
    flash(done, "success")
    if request.form.get("back") == "page":
        return redirect(url_for("console.supporter_page", supporter_id=supporter_id))
    return redirect(url_for("console.supporter_list", status=request.args.get("status") or None))


# Steps shared with the API (console/api.py).


@dataclass(frozen=True)
class Change:
    """Approving, pausing or resuming: the statuses it is allowed from, and why not otherwise."""

    action: str
    allowed_from: tuple[str, ...]
    refusal: str


CHANGES: dict[str, Change] = {
    "approve": Change(
        "supporter.approve",
        ("applied",),
        N_("Only a supporter waiting for approval can be approved."),
    ),
    "pause": Change(
        "supporter.pause",
        ("applied", "active"),
        N_("Only a supporter waiting for approval or taking offers can be put on a break."),
    ),
    "resume": Change(
        "supporter.resume",
        ("paused",),
        N_("Only a supporter on a break can be resumed."),
    ),
}


def change_supporter(
    session: Session, staff: Staff, supporter_id: int, step: str, when: datetime
) -> Supporter | None:
    """Lock the supporter, approve, pause or resume them (a key of CHANGES), and audit it in
    the same transaction; approving welcomes them in LINE (the caller wakes the sender).
    None: no such supporter. Conflict: their status does not allow the step (nothing done)."""
    rule = CHANGES[step]
    supporter = supporters.supporter_by_id(session, supporter_id, lock=True)
    if supporter is None:
        return None
    was = supporter.status
    if was not in rule.allowed_from:
        raise Conflict(rule.refusal)
    if step == "approve":
        supporters.approve(session, supporter, staff, when)
        app_services().resident_actions.welcome_supporter(session, supporter, when)
    elif step == "pause":
        # Offers waiting for their answer are declined for them.
        supporters.pause(session, supporter, when)
    else:
        supporters.resume(session, supporter, when)
    audit.record(
        session,
        rule.action,
        when,
        staff=staff,
        detail={"supporter": supporter.id, "from": was, "to": supporter.status},
        ip=client_ip(),
    )
    return supporter


@dataclass(frozen=True)
class Record:
    """One supporter as their page and the API show them: who approved them, the requests
    offered to them (newest first), what they took on lately and in all, and their ケアネット
    links; whether the viewer may see the residents of those links (the watch-over team's)."""

    supporter: Supporter
    approved_by: Staff | None
    offers: list[HelpOffer]
    recent: help_visits.Helped
    overall: help_visits.Helped
    links: list[CareNetLink]
    residents_shown: bool


def supporter_record(
    session: Session, staff: Staff, supporter_id: int, when: datetime
) -> Record | None:
    """The supporter's record, the view audited in the same transaction; None: no such
    supporter (nothing audited). The caller has checked that `staff` coordinates."""
    supporter = supporters.supporter_by_id(session, supporter_id)
    if supporter is None:
        return None
    audit.record(
        session,
        "supporter.view",
        when,
        staff=staff,
        detail={"supporter": supporter.id},
        ip=client_ip(),
    )
    approver = supporter.approved_by_id
    return Record(
        supporter=supporter,
        approved_by=staff_accounts.by_id(session, approver) if approver is not None else None,
        offers=help_visits.offers_to(session, supporter.id, HISTORY_LIMIT),
        recent=help_visits.helped_by(session, supporter.id, when - RECENT),
        overall=help_visits.helped_by(session, supporter.id),
        links=supporters.care_net_links(session, supporter.id),
        residents_shown=enrolments.staff_may_see(staff),
    )
