"""A watch-over resident's ケアネット: the two or three neighbours (生活応援隊 supporters) asked to
look in when a check-in goes unanswered. Staff link one, with the resident's consent (a box
they tick to record it), or unlink one. Every view and change is audited.

Like the watch-over pages (console/watch.py) these are the watch-over team's and admins':
anyone else gets 404, as for a resident who is not enrolled, before a view reads anything.
The API (console/api.py) does the same through the steps at the end of this module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import labels
from console.context import client_ip, now, work
from console.i18n import _, local_date, reason
from console.watch import may_see
from locales import N_
from storage import audit, care_net, supporters
from storage.models import CareNetLink, Staff, Supporter, WatchEnrolment
from storage.refusals import Refused
from storage.watch import enrolments


def register(blueprint: Blueprint) -> None:
    rules: list[tuple[str, str, Any, list[str]]] = [
        ("/watch/<id:enrolment_id>/neighbours", "care_net_page", care_net_page, ["GET"]),
        ("/watch/<id:enrolment_id>/neighbours/link", "care_net_link", care_net_link, ["POST"]),
        (
            "/watch/<id:enrolment_id>/neighbours/unlink",
            "care_net_unlink",
            care_net_unlink,
            ["POST"],
        ),
    ]
    for path, endpoint, view, methods in rules:
        blueprint.add_url_rule(path, endpoint, _team_only(view), methods=methods)


def _team_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not may_see():
            abort(404)
        return view(*args, **kwargs)

    return checked


@dataclass(frozen=True)
class Neighbour:
    """One linked neighbour, in the reader's words."""

    link_id: int
    position: int
    name: str
    status: str
    district: str
    linked: str
    consent_by: str


def care_net_page(enrolment_id: int) -> str:
    with work() as (session, staff):
        enrolment = _enrolment(session, enrolment_id)
        links, candidates = view_neighbours(session, staff, enrolment, now())
        linked = [_neighbour(link) for link in links]
        choices = [(supporter.id, _choice(supporter)) for supporter in candidates]
        context = {
            "enrolment": enrolment,
            "name": enrolment.resident.display_name or _("(no name)"),
            "neighbours": linked,
            "choices": choices,
            "full": len(linked) >= care_net.MAX_NEIGHBOURS,
            "most": care_net.MAX_NEIGHBOURS,
        }
    return render_template("watch/neighbours.html", **context)


def care_net_link(enrolment_id: int) -> Response:
    chosen = request.form.get("supporter", "")
    consent = request.form.get("consent") == "yes"
    try:
        with work() as (session, staff):
            _enrolment(session, enrolment_id)
            supporter_id = int(chosen) if chosen.isdigit() and len(chosen) < 10 else None
            link_neighbour(session, staff, enrolment_id, supporter_id, now(), consent=consent)
    except Refused as refused:
        flash(reason(refused), "error")
    else:
        flash(
            _("Linked. They will be asked to look in when a check-in goes unanswered."), "success"
        )
    return redirect(url_for("console.care_net_page", enrolment_id=enrolment_id))


def care_net_unlink(enrolment_id: int) -> Response:
    """Unlink the neighbour of form field `link`; one unlinked already (a second click) is
    said so, not an error page."""
    chosen = request.form.get("link", "")
    link_id = int(chosen) if chosen.isdigit() and len(chosen) < 10 else 0
    with work() as (session, staff):
        _enrolment(session, enrolment_id)
        done = unlink_neighbour(session, staff, enrolment_id, link_id, now())
    if done:
        flash(_("Unlinked. They will no longer be asked."), "success")
    else:
        flash(_("This neighbour is not linked any more."), "error")
    return redirect(url_for("console.care_net_page", enrolment_id=enrolment_id))


def _enrolment(session: Session, enrolment_id: int) -> WatchEnrolment:
    enrolment = enrolments.by_id(session, enrolment_id)
    if enrolment is None:
        abort(404)
    return enrolment


def _neighbour(link: CareNetLink) -> Neighbour:
    supporter = link.supporter
    return Neighbour(
        link_id=link.id,
        position=link.position,
        name=supporter.first_name or _("(left: name deleted)"),
        status=labels.label(labels.SUPPORTER_STATUSES, supporter.status),
        district=supporter.district.name if supporter.district is not None else "",
        linked=local_date(link.created_at),
        consent_by=link.consent_recorded_by.name,
    )


def _choice(supporter: Supporter) -> str:
    district = supporter.district.name if supporter.district is not None else ""
    name = supporter.first_name or "-"
    return f"{name} ({district})" if district else name


# Steps shared with the API (console/api.py). The caller has checked that `staff` may use
# the watch-over pages, and found the enrolment.


def view_neighbours(
    session: Session, staff: Staff, enrolment: WatchEnrolment, when: datetime
) -> tuple[list[CareNetLink], list[Supporter]]:
    """The neighbours linked to the resident, in order, and the supporters who could be
    linked; the view audited in the same transaction."""
    audit.record(
        session,
        "care_net.view",
        when,
        staff=staff,
        detail={"enrolment": enrolment.id},
        ip=client_ip(),
    )
    return care_net.links_of(session, enrolment), care_net.candidates(session, enrolment)


def link_neighbour(
    session: Session,
    staff: Staff,
    enrolment_id: int,
    supporter_id: int | None,
    when: datetime,
    *,
    consent: bool,
) -> CareNetLink:
    """Link the supporter (None: none chosen) with the resident's consent, audited.
    Refused: no such supporter, no consent, not active, the resident; Conflict: linked
    already, or the resident has as many neighbours as they may (storage.care_net.link)."""
    supporter = (
        supporters.supporter_by_id(session, supporter_id, lock=True)
        if supporter_id is not None
        else None
    )
    if supporter is None:
        raise Refused(N_("Choose a supporter to link."), field="supporter")
    return care_net.link(
        session, enrolment_id, supporter, staff, when, consent=consent, ip=client_ip()
    )


def unlink_neighbour(
    session: Session, staff: Staff, enrolment_id: int, link_id: int, when: datetime
) -> bool:
    """End the link, audited; False if it is not one of this resident's links in force."""
    return care_net.unlink(session, enrolment_id, link_id, staff, when, ip=client_ip())
