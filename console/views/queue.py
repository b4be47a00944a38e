"""The queue: a team's tickets by view, most urgent first, refreshing itself; claim and claim-next.

Above the list, bands of what needs someone now, in the order of the list itself
(storage.casework.queue): emergencies, tickets near or past their due time, then today's
plan — the next steps the contact log set for today or earlier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import labels, params
from console.context import app_services, now, work
from console.i18n import _
from console.views.rows import Row
from storage import casework, tickets
from storage.models import OPEN_STATUSES, Staff, Team

SEARCH_MAX = 80


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/", "home", home)
    blueprint.add_url_rule("/queue", "queue", queue_page)
    blueprint.add_url_rule("/queue/live", "queue_live", queue_live)
    blueprint.add_url_rule("/queue/next", "queue_next", take_next, methods=["POST"])


@dataclass(frozen=True)
class Filters:
    """What the queue page was asked for; every value checked before it reaches a query."""

    team: str | None
    view: casework.View
    category: str | None
    district_id: int | None
    status: str | None
    search: str | None

    @classmethod
    def from_request(cls) -> Filters:
        args = request.args
        view = args.get("view") or "new"
        if view not in casework.VIEWS:
            abort(400, description=f"view must be one of {', '.join(casework.VIEWS)}")
        status = args.get("status") or None
        if status is not None and status not in OPEN_STATUSES:
            abort(400, description="status must be an open status")
        district_id = params.query_id("district")
        category = args.get("category") or None
        if category is not None and category not in labels.CATEGORIES:
            abort(400, description="no such category")
        search = (args.get("q") or "").strip()[:SEARCH_MAX] or None
        return cls(
            team=args.get("team") or None,
            view=view,  # type: ignore[arg-type]
            category=category,
            district_id=district_id,
            status=status,
            search=search,
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        """Query arguments for a link to this queue, with `changes` applied."""
        values: dict[str, Any] = {
            "team": self.team,
            "view": self.view,
            "category": self.category,
            "district": self.district_id,
            "status": self.status,
            "q": self.search,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value not in (None, "")}


def home() -> Response:
    return redirect(url_for("console.queue"))


def queue_page() -> str:
    filters = Filters.from_request()
    with work() as (session, staff):
        context = _queue_context(session, staff, filters)
        context["districts"] = tickets.district_choices(session)
    return render_template("console/queue.html", **context)


def queue_live() -> str:
    """The part of the queue page that refreshes itself: banners, view counts and the list."""
    filters = Filters.from_request()
    with work() as (session, staff):
        context = _queue_context(session, staff, filters)
    return render_template("console/_queue_live.html", **context)


def _queue_context(session: Session, staff: Staff, filters: Filters) -> dict[str, Any]:
    teams = casework.teams_of(staff)
    team = _chosen_team(teams, filters.team)
    moment = now()
    warn_before = app_services().settings.sla_warn_before
    rows: list[Row] = []
    counts: dict[str, int] = {}
    emergencies: list[Row] = []
    due_soon: list[Row] = []
    follow_ups: list[Row] = []
    if team is not None:
        filters = Filters(
            team.slug,
            filters.view,
            filters.category,
            filters.district_id,
            filters.status,
            filters.search,
        )
        found = casework.queue(
            session,
            staff,
            team_id=team.id,
            view=filters.view,
            now=moment,
            category=filters.category,
            district_id=filters.district_id,
            status=filters.status,
            search=filters.search,
        )
        rows = [Row.of(ticket, moment, warn_before) for ticket in found]
        counts = dict(casework.queue_counts(session, staff, team.id))
        every_open = [
            Row.of(ticket, moment, warn_before)
            for ticket in casework.queue(session, staff, team_id=team.id, view="open", now=moment)
        ]
        emergencies = [row for row in every_open if row.urgency == "emergency"]
        due_soon = [row for row in every_open if row.deadline.state in ("soon", "overdue")]
        # Today's plan: the contact log's next steps that came due, mine first, then the
        # team's (someone else's promise may need keeping if they are away today).
        follow_ups = sorted(
            (row for row in every_open if row.follow_up_due),
            key=lambda row: row.assignee != staff.name,
        )
    return {
        "teams": [(each.slug, each.name) for each in teams],
        "team": (team.slug, team.name) if team else None,
        "filters": filters,
        "views": [(view, _view_label(view), counts.get(view, 0)) for view in casework.VIEWS],
        "rows": rows,
        "emergencies": emergencies,
        "due_soon": due_soon,
        "follow_ups": follow_ups,
        "categories": labels.choices(labels.CATEGORIES),
        "statuses": [(code, labels.label(labels.STATUS_NAMES, code)) for code in OPEN_STATUSES],
        "updated_at": moment,
    }


def _chosen_team(teams: list[Team], slug: str | None) -> Team | None:
    if slug is None:
        return teams[0] if teams else None
    for team in teams:
        if team.slug == slug:
            return team
    abort(404)


def _view_label(view: str) -> str:
    names = {
        "new": _("New arrivals"),
        "mine": _("Mine"),
        "waiting": _("Waiting"),
        "open": _("All open"),
    }
    return names.get(view, view)


def take_next() -> Response:
    """次の相談を担当する: the most urgent unassigned ticket of the team, claimed atomically."""
    slug = request.form.get("team", "")
    with work() as (session, staff):
        team = _chosen_team(casework.teams_of(staff), slug or None)
        if team is None:
            abort(404)
        ticket = casework.claim_next(session, staff, team.id, now())
        reference = ticket.reference if ticket else None
    if reference is None:
        flash(_("There is no new consultation waiting."), "info")
        return redirect(url_for("console.queue", team=slug or None))
    flash(_("You have taken {reference}.", reference=reference), "success")
    return redirect(url_for("console.ticket_page", reference=reference))
