"""Canned responses per team and language: admins for every team, supervisors for their own."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from console import forms, labels
from console.auth import requires
from console.context import now, work
from console.forms import FormError
from console.i18n import LANGUAGES, _, reason
from storage import casework
from storage.models import CannedResponse, Staff, Team

TITLE_MAX = 80
BODY_MAX = 5000


def register(blueprint: Blueprint) -> None:
    rules: list[tuple[str, str, Any, list[str]]] = [
        ("/canned", "canned_list", canned_list, ["GET"]),
        ("/canned/new", "canned_new", canned_new, ["POST"]),
        ("/canned/<id:canned_id>", "canned_update", canned_update, ["POST"]),
        ("/canned/<id:canned_id>/delete", "canned_delete", canned_delete, ["POST"]),
    ]
    for path, endpoint, view, methods in rules:
        blueprint.add_url_rule(
            path, endpoint, requires("admin", "supervisor")(view), methods=methods
        )


def _team(staff: Staff, slug: str | None) -> Team:
    teams = casework.teams_of(staff)
    if not teams:
        abort(404)
    if not slug:
        return teams[0]
    for team in teams:
        if team.slug == slug:
            return team
    abort(404)


def canned_list() -> str:
    with work() as (session, staff):
        team = _team(staff, request.args.get("team"))
        responses = [
            {"id": canned.id, "language": language, "title": canned.title, "body": canned.body}
            for language in LANGUAGES
            for canned in casework.canned_responses(session, team, language)
        ]
        teams = [(each.slug, each.name) for each in casework.teams_of(staff)]
        return render_template(
            "console/canned.html",
            team=(team.slug, team.name),
            teams=teams,
            responses=responses,
            languages=labels.choices(labels.LANGUAGE_NAMES),
            title_max=TITLE_MAX,
            body_max=BODY_MAX,
        )


def _fields() -> dict[str, str]:
    return {
        "language": forms.choice("language", LANGUAGES, _("Choose a language.")) or "ja",
        "title": forms.text("title", TITLE_MAX, required=_("Enter a title.")),
        "body": forms.text("body", BODY_MAX, required=_("Enter the text.")),
    }


def canned_new() -> Response:
    with work() as (session, staff):
        team = _team(staff, request.form.get("team"))
        try:
            fields = _fields()
            with session.begin_nested():
                casework.add_canned_response(session, staff, team, now=now(), **fields)
        except (FormError, ValueError) as refused:
            flash(reason(refused), "error")
        else:
            flash(_("Canned response added."), "success")
        slug = team.slug
    return redirect(url_for("console.canned_list", team=slug))


def _owned(staff: Staff, canned_id: int, session: Any) -> CannedResponse:
    canned = casework.canned_response(session, canned_id)
    if canned is None or canned.team_id not in {team.id for team in casework.teams_of(staff)}:
        abort(404)
    return canned


def canned_update(canned_id: int) -> Response:
    with work() as (session, staff):
        canned = _owned(staff, canned_id, session)
        try:
            fields = _fields()
            with session.begin_nested():
                casework.update_canned_response(session, staff, canned, now=now(), **fields)
        except (FormError, ValueError) as refused:
            flash(reason(refused), "error")
        else:
            flash(_("Canned response saved."), "success")
        slug = casework.team_of_canned(session, canned).slug
    return redirect(url_for("console.canned_list", team=slug))


def canned_delete(canned_id: int) -> Response:
    with work() as (session, staff):
        canned = _owned(staff, canned_id, session)
        slug = casework.team_of_canned(session, canned).slug
        casework.delete_canned_response(session, staff, canned, now())
    flash(_("Canned response deleted."), "success")
    return redirect(url_for("console.canned_list", team=slug))
