"""Reports for supervisors: per team, tickets opened and closed, outcomes, median first response;
and 生活応援隊: help done, hours given, people helped, and what they said of it.

The CSV export is written to the audit log: it carries the team's numbers out of the console.
"""

from __future__ import annotations

import csv
import io
import statistics
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from sqlalchemy.orm import Session

from console import labels, params
from console.auth import requires
from console.context import client_ip, now, work
from console.i18n import _, duration
from locales import TOWN_TZ, start_of_town_day
from storage import audit, casework, csv_cells, help_visits, tickets
from storage.models import CHANNELS, FEEDBACK, OUTCOMES, Team

# Longer ranges make one slow query for little use; a year covers the annual report.
MAX_DAYS = 366


def register(blueprint: Blueprint) -> None:
    allowed = requires("admin", "supervisor")
    blueprint.add_url_rule("/reports", "report", allowed(report_page))
    blueprint.add_url_rule("/reports.csv", "report_csv", allowed(report_csv))


@dataclass
class TeamReport:
    slug: str
    name: str
    opened: int = 0
    closed: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    first_responses: list[float] = field(default_factory=list)
    unanswered: int = 0
    # Opened, by how each came in (LINE, a phone call, the desk …): they add up to `opened`.
    channels: dict[str, int] = field(default_factory=dict)

    @property
    def median_first_response(self) -> timedelta | None:
        if not self.first_responses:
            return None
        return timedelta(seconds=statistics.median(self.first_responses))


def _range() -> tuple[date, date]:
    today = now().astimezone(TOWN_TZ).date()
    first = params.query_day("from") or today.replace(day=1)
    last = params.query_day("to") or today
    if last < first:
        abort(400, description="the range ends before it starts")
    if (last - first).days >= MAX_DAYS:
        abort(400, description=f"a report covers at most {MAX_DAYS} days")
    return first, last


def _teams(staff: Any, slug: str | None) -> list[Team]:
    teams = casework.teams_of(staff)
    if not slug:
        return teams
    chosen = [team for team in teams if team.slug == slug]
    if not chosen:
        abort(404)
    return chosen


def build(session: Session, teams: list[Team], first: date, last: date) -> list[TeamReport]:
    start, end = start_of_town_day(first), start_of_town_day(last + timedelta(days=1))
    reports = {team.id: TeamReport(team.slug, team.name) for team in teams}
    for team_id, count in tickets.opened_by_team(session, list(reports), start, end).items():
        reports[team_id].opened = count
    for team_id, counts in tickets.opened_by_channel(session, list(reports), start, end).items():
        reports[team_id].channels = counts
    for team_id, outcome, count in tickets.closed_by_outcome(session, list(reports), start, end):
        report = reports[team_id]
        report.closed += count
        key = outcome if outcome in OUTCOMES else "none"
        report.outcomes[key] = report.outcomes.get(key, 0) + count
    for team_id, opened_at, answered_at in tickets.first_responses(
        session, list(reports), start, end
    ):
        report = reports[team_id]
        if answered_at is None:
            report.unanswered += 1
        else:
            report.first_responses.append((answered_at - opened_at).total_seconds())
    return list(reports.values())


def _columns() -> list[tuple[str, str]]:
    return [(code, labels.label(labels.OUTCOME_NAMES, code)) for code in OUTCOMES] + [
        ("none", _("No outcome recorded"))
    ]


def _channel_columns() -> list[tuple[str, str]]:
    return [(code, labels.label(labels.CHANNEL_NAMES, code)) for code in CHANNELS]


def report_page() -> str:
    first, last = _range()
    with work() as (session, staff):
        teams = casework.teams_of(staff)
        chosen = _teams(staff, request.args.get("team"))
        reports = build(session, chosen, first, last)
        team_choices = [(team.slug, team.name) for team in teams]
        help_given = help_visits.summary(
            session, start_of_town_day(first), start_of_town_day(last + timedelta(days=1))
        )
    return render_template(
        "console/reports.html",
        reports=reports,
        help_given=help_given,
        feedback_columns=[(code, _(label)) for code, label in FEEDBACK],
        outcome_columns=_columns(),
        channel_columns=_channel_columns(),
        first=first,
        last=last,
        teams=team_choices,
        team=request.args.get("team") or "",
        duration=duration,
    )


def report_csv() -> Response:
    first, last = _range()
    slug = request.args.get("team") or None
    with work() as (session, staff):
        reports = build(session, _teams(staff, slug), first, last)
        audit.record(
            session,
            "export",
            now(),
            staff=staff,
            ip=client_ip(),
            detail={
                "report": "teams",
                "team": slug,
                "from": first.isoformat(),
                "to": last.isoformat(),
            },
        )
    return _csv(reports, first, last)


def _csv(reports: list[TeamReport], first: date, last: date) -> Response:
    columns = _columns()
    channels = _channel_columns()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        csv_cells.row(
            [_("Team"), _("Opened"), _("Closed")]
            + [_("Opened by: {channel}", channel=name) for _code, name in channels]
            + [name for _code, name in columns]
            + [_("Median first response (minutes)"), _("Not yet answered")]
        )
    )
    for report in reports:
        median = report.median_first_response
        # Team names are typed by admins: one starting with = must not run as a formula.
        writer.writerow(
            csv_cells.row(
                [report.name, report.opened, report.closed]
                + [report.channels.get(code, 0) for code, _name in channels]
                + [report.outcomes.get(code, 0) for code, _name in columns]
                + ["" if median is None else round(median.total_seconds() / 60), report.unanswered]
            )
        )
    # A BOM so Excel, which most offices open CSV files with, reads the Japanese as UTF-8.
    body = "\ufeff" + buffer.getvalue()
    filename = f"madoguchi-report-{first.isoformat()}-{last.isoformat()}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
