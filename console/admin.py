"""Admin screens: staff accounts, teams and routing rules. Admins only; every change audited."""

from __future__ import annotations

import re
from typing import Any

from babel.dates import get_day_names
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import forms, labels
from console.auth import requires
from console.context import client_ip, now, work
from console.forms import FormError
from console.i18n import _, language, local_time, reason
from storage import audit, casework, districts, routing, staff_accounts, starter_replies
from storage.models import URGENCIES, RoutingRule, Staff, Team

TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
SLUG = re.compile(r"[a-z][a-z0-9_-]{1,39}")
# LINE group IDs are "C" and 32 hex digits.
LINE_GROUP = re.compile(r"C[0-9a-f]{32}")


def register(blueprint: Blueprint) -> None:
    rules: list[tuple[str, str, Any, list[str]]] = [
        ("/admin/staff", "staff_list", staff_list, ["GET"]),
        ("/admin/staff/new", "staff_new", staff_new, ["GET", "POST"]),
        ("/admin/staff/<id:staff_id>", "staff_edit", staff_edit, ["GET", "POST"]),
        ("/admin/teams", "team_list", team_list, ["GET"]),
        ("/admin/teams/new", "team_new", team_new, ["POST"]),
        ("/admin/teams/<id:team_id>", "team_edit", team_edit, ["GET", "POST"]),
        ("/admin/routing", "routing_list", routing_list, ["GET", "POST"]),
        ("/admin/routing/<id:rule_id>", "routing_edit", routing_edit, ["GET", "POST"]),
        ("/admin/routing/<id:rule_id>/delete", "routing_delete", routing_delete, ["POST"]),
    ]
    for path, endpoint, view, methods in rules:
        blueprint.add_url_rule(path, endpoint, requires("admin")(view), methods=methods)


def _record(session: Session, admin: Staff, action: str, detail: dict[str, Any]) -> None:
    audit.record(session, action, now(), staff=admin, detail=detail, ip=client_ip())


# ---- Staff accounts ----------------------------------------------------------------------------


def staff_list() -> str:
    with work() as (session, _admin):
        people = [
            {
                "id": person.id,
                "name": person.name,
                "email": person.email,
                "role": labels.label(labels.ROLES, person.role),
                "teams": "、".join(team.name for team in person.teams),
                "active": person.active,
                "available": person.available,
                "last_login": local_time(person.last_login_at),
            }
            for person in staff_accounts.everyone(session)
        ]
    return render_template("console/admin/staff_list.html", people=people)


def _staff_form_context(session: Session) -> dict[str, Any]:
    return {
        "roles": labels.choices(labels.ROLES),
        "teams": [(team.slug, team.name) for team in casework.every_team(session)],
        "min_password": staff_accounts.MIN_PASSWORD_LENGTH,
    }


def staff_new() -> Any:
    with work() as (session, admin):
        context = _staff_form_context(session)
        if request.method == "GET":
            return render_template("console/admin/staff_form.html", person=None, form={}, **context)
        try:
            team_slugs = forms.choices(
                "teams",
                [slug for slug, _name in context["teams"]],
                _("Choose teams from the list."),
            )
            email = forms.text("email", 200, required=_("Enter an email address."))
            if staff_accounts.find_by_email(session, email) is not None:
                raise FormError(_("An account with this email address exists."))
            password = _new_password(required=True)
            with session.begin_nested():
                person = staff_accounts.create_staff(
                    session,
                    email=email,
                    name=forms.text("name", 80, required=_("Enter a name.")),
                    password=password,
                    role=forms.choice("role", labels.ROLES, _("Choose a role.")) or "staff",
                    team_slugs=team_slugs,
                    now=now(),
                )
                _record(
                    session, admin, "staff_create", {"staff_id": person.id, "role": person.role}
                )
        except ValueError as refused:
            html = render_template(
                "console/admin/staff_form.html",
                person=None,
                form=_echo(),
                error=reason(refused),
                **context,
            )
            return html, 400
        name = person.name
    flash(_("Account created for {name}.", name=name), "success")
    return redirect(url_for("console.staff_list"))


def staff_edit(staff_id: int) -> Any:
    with work() as (session, admin):
        person = staff_accounts.by_id(session, staff_id)
        if person is None:
            abort(404)
        context = _staff_form_context(session)
        if request.method == "GET":
            return render_template(
                "console/admin/staff_form.html", person=_person(person), form={}, **context
            )
        try:
            with session.begin_nested():
                changes = _apply_staff_edit(session, admin, person, context)
        except ValueError as refused:
            html = render_template(
                "console/admin/staff_form.html",
                person=_person(person),
                form=_echo(),
                error=reason(refused),
                **context,
            )
            return html, 400
        name = person.name
    if changes:
        flash(_("Saved the account of {name}.", name=name), "success")
    return redirect(url_for("console.staff_list"))


def _person(person: Staff) -> dict[str, Any]:
    return {
        "id": person.id,
        "name": person.name,
        "email": person.email,
        "role": person.role,
        "teams": {team.slug for team in person.teams},
        "active": person.active,
        "available": person.available,
        "line_user_id": person.line_user_id or "",
    }


def _line_user_id() -> str | None:
    """Their own LINE user id (U + 32 hex digits), so a 担当する tap in a team group is theirs."""
    value = forms.optional("line_user_id", 40)
    if value is not None and not re.fullmatch(r"U[0-9a-f]{32}", value):
        raise FormError(_("A LINE user ID is U followed by 32 characters of 0-9 and a-f."))
    return value


def _apply_staff_edit(
    session: Session, admin: Staff, person: Staff, context: dict[str, Any]
) -> dict[str, Any]:
    name = forms.text("name", 80, required=_("Enter a name."))
    role = forms.choice("role", labels.ROLES, _("Choose a role.")) or person.role
    team_slugs = forms.choices(
        "teams", [slug for slug, _n in context["teams"]], _("Choose teams from the list.")
    )
    active = forms.checkbox("active")
    available = forms.checkbox("available")
    line_user_id = _line_user_id()
    password = _new_password(required=False)
    if person.id == admin.id and (role != "admin" or not active):
        # Otherwise the last admin could lock everyone out of these screens.
        raise FormError(_("You cannot remove your own administrator role or deactivate yourself."))
    changes: dict[str, Any] = {}
    for field, value in (
        ("name", name),
        ("role", role),
        ("active", active),
        ("available", available),
        ("line_user_id", line_user_id),
    ):
        if getattr(person, field) != value:
            changes[field] = value
            setattr(person, field, value)
    if sorted(team_slugs) != sorted(team.slug for team in person.teams):
        staff_accounts.set_teams(session, person, team_slugs, now())
        changes["teams"] = sorted(team_slugs)
    if password:
        staff_accounts.set_password(session, person, password, now())
        changes["password"] = "changed"
    if not person.active or "password" in changes:
        staff_accounts.end_sessions(session, person, now())
    if changes:
        # Names are staff data, not resident data; keep the audit entry about what changed.
        detail = {key: value for key, value in changes.items() if key != "name"}
        _record(session, admin, "staff_update", {"staff_id": person.id, **detail})
    return changes


def _new_password(*, required: bool) -> str:
    password = request.form.get("password", "")
    if (password or required) and len(password) < staff_accounts.MIN_PASSWORD_LENGTH:
        minimum = staff_accounts.MIN_PASSWORD_LENGTH
        raise FormError(_("The password needs at least {count} characters.", count=minimum))
    return password


def _echo() -> dict[str, Any]:
    """What was submitted, to fill the form again (never the password)."""
    values: dict[str, Any] = {key: request.form.get(key, "") for key in request.form}
    values.pop("password", None)
    values.pop("csrf_token", None)
    values["teams"] = set(request.form.getlist("teams"))
    return values


# ---- Teams -------------------------------------------------------------------------------------


def _weekdays() -> list[str]:
    names = get_day_names("abbreviated", locale=language())
    return [names[day] for day in range(7)]


def team_list() -> str:
    with work() as (session, _admin):
        teams = [
            {
                "id": team.id,
                "slug": team.slug,
                "name": team.name,
                "members": len(team.members),
                "auto_assign": team.auto_assign,
                "cap": team.max_open_per_staff,
                "line_group": bool(team.line_group_id),
            }
            for team in casework.every_team(session)
        ]
    return render_template("console/admin/team_list.html", teams=teams)


def team_new() -> Response:
    with work() as (session, admin):
        try:
            slug = forms.text("slug", 40, required=_("Enter a short id (letters a-z)."))
            if not SLUG.fullmatch(slug):
                raise FormError(_("The id is lower-case letters a-z, digits, - or _."))
            name = forms.text("name", 80, required=_("Enter a name."))
            if routing.team_by_slug(session, slug) is not None:
                raise FormError(_("A team with this id exists."))
        except FormError as refused:
            flash(str(refused), "error")
            return redirect(url_for("console.team_list"))
        team = routing.new_team(session, slug, name)
        starter_replies.add_to_new_team(session, team)
        _record(session, admin, "team_create", {"team": slug})
        team_id = team.id
    return redirect(url_for("console.team_edit", team_id=team_id))


def team_edit(team_id: int) -> Any:
    with work() as (session, admin):
        team = routing.team_by_id(session, team_id)
        if team is None:
            abort(404)
        if request.method == "POST":
            try:
                changes = _apply_team_edit(team)
            except FormError as refused:
                return _team_form(team, form=_echo(), error=str(refused)), 400
            if changes:
                _record(
                    session, admin, "team_update", {"team": team.slug, "fields": sorted(changes)}
                )
            flash(_("Saved {team}.", team=team.name), "success")
            return redirect(url_for("console.team_list"))
        return _team_form(team, form={})


def _team_form(team: Team, form: dict[str, Any], error: str | None = None) -> str:
    values = {
        "name": team.name,
        "name_en": team.name_en,
        "phone": team.phone,
        "open_on_holidays": team.open_on_holidays,
        "auto_assign": team.auto_assign,
        "max_open_per_staff": team.max_open_per_staff,
        "line_group_id": team.line_group_id or "",
    }
    for day, ranges in enumerate(list(team.hours or [])[:7]):
        values[f"hours_{day}"] = ", ".join(f"{start}-{end}" for start, end in ranges)
    for urgency in URGENCIES:
        values[f"sla_{urgency}"] = (team.sla_hours or {}).get(urgency, "")
    values.update(form)
    return render_template(
        "console/admin/team_form.html",
        team={"id": team.id, "slug": team.slug, "name": team.name},
        values=values,
        weekdays=_weekdays(),
        urgencies=labels.choices(labels.URGENCY_NAMES),
        error=error,
    )


def _apply_team_edit(team: Team) -> dict[str, Any]:
    updates: dict[str, Any] = {
        "name": forms.text("name", 80, required=_("Enter a name.")),
        "name_en": forms.text("name_en", 80),
        "phone": forms.text("phone", 20),
        "open_on_holidays": forms.checkbox("open_on_holidays"),
        "auto_assign": forms.checkbox("auto_assign"),
        "max_open_per_staff": forms.integer(
            "max_open_per_staff", 1, 200, _("The cap is a number from 1 to 200.")
        ),
        "hours": [_hours(request.form.get(f"hours_{day}", "")) for day in range(7)],
        "sla_hours": {
            urgency: hours
            for urgency in URGENCIES
            if (
                hours := forms.optional_integer(
                    f"sla_{urgency}", 1, 1000, _("SLA hours are a number from 1 to 1000.")
                )
            )
            is not None
        },
    }
    group = forms.optional("line_group_id", 64)
    if group is not None and not LINE_GROUP.fullmatch(group):
        raise FormError(_("A LINE group ID is C followed by 32 hex digits."))
    updates["line_group_id"] = group
    changes = {key: value for key, value in updates.items() if getattr(team, key) != value}
    for key, value in changes.items():
        setattr(team, key, value)
    return changes


def _hours(raw: str) -> list[list[str]]:
    """ "08:30-12:00, 13:00-17:15" → [["08:30", "12:00"], ["13:00", "17:15"]]; blank = closed."""
    ranges = []
    for part in re.split(r"[,、\s]+", raw.strip()):
        if not part:
            continue
        start, _sep, end = re.sub(r"[〜~–]", "-", part).partition("-")
        if not (TIME.fullmatch(start) and TIME.fullmatch(end)) or start >= end:
            raise FormError(_("Write opening hours like 08:30-17:15 (blank when closed)."))
        ranges.append([start, end])
    return ranges


# ---- Routing rules -----------------------------------------------------------------------------


def _routing_choices(session: Session) -> dict[str, Any]:
    return {
        "categories": labels.choices(labels.CATEGORIES),
        "districts": [
            (str(district.id), district.name) for district in districts.all_districts(session)
        ],
        "urgencies": labels.choices(labels.URGENCY_NAMES),
        "abouts": labels.choices(labels.ABOUT_NAMES),
        "teams": [(team.slug, team.name) for team in casework.every_team(session)],
    }


def routing_list() -> Any:
    with work() as (session, admin):
        choices = _routing_choices(session)
        error = None
        if request.method == "POST":
            rule = RoutingRule()
            try:
                _fill_rule(session, rule, choices)
            except FormError as refused:
                error = str(refused)
            else:
                routing.add_rule(session, rule)
                _record(session, admin, "routing_create", _rule_detail(rule))
                flash(_("Rule added."), "success")
                return redirect(url_for("console.routing_list"))
        rules = [
            {
                "id": rule.id,
                "position": rule.position,
                "category": labels.label(labels.CATEGORIES, rule.category),
                "district": rule_district(session, rule),
                "urgency": labels.label(labels.URGENCY_NAMES, rule.urgency),
                "about": labels.label(labels.ABOUT_NAMES, rule.about),
                "team": rule.team.name,
            }
            for rule in routing.rules(session)
        ]
        html = render_template(
            "console/admin/routing_list.html",
            rules=rules,
            error=error,
            form=_echo() if error else {},
            **choices,
        )
    return (html, 400) if error else html


def rule_district(session: Session, rule: RoutingRule) -> str:
    if rule.district_id is None:
        return ""
    district = districts.by_id(session, rule.district_id)
    return district.name if district else ""


def _fill_rule(session: Session, rule: RoutingRule, choices: dict[str, Any]) -> None:
    def codes(name: str) -> list[str]:
        return [code for code, _label in choices[name]]

    any_or = _("Choose from the list.")
    rule.position = forms.integer("position", 0, 100_000, _("Order is a number from 0."))
    rule.category = forms.choice("category", codes("categories"), any_or, blank=True)
    district = forms.choice("district", codes("districts"), any_or, blank=True)
    rule.district_id = int(district) if district else None
    rule.urgency = forms.choice("urgency", codes("urgencies"), any_or, blank=True)
    rule.about = forms.choice("about", codes("abouts"), any_or, blank=True)
    slug = forms.choice("team", codes("teams"), _("Choose the team."))
    team = routing.team_by_slug(session, slug)
    rule.team_id = team.id if team else None


def _rule_detail(rule: RoutingRule) -> dict[str, Any]:
    return {
        "rule_id": rule.id,
        "position": rule.position,
        "category": rule.category,
        "district_id": rule.district_id,
        "urgency": rule.urgency,
        "about": rule.about,
        "team_id": rule.team_id,
    }


def routing_edit(rule_id: int) -> Any:
    with work() as (session, admin):
        rule = routing.rule_by_id(session, rule_id)
        if rule is None:
            abort(404)
        choices = _routing_choices(session)
        error = None
        if request.method == "POST":
            try:
                with session.begin_nested():
                    _fill_rule(session, rule, choices)
            except FormError as refused:
                error = str(refused)
                session.refresh(rule)
            else:
                _record(session, admin, "routing_update", _rule_detail(rule))
                flash(_("Rule saved."), "success")
                return redirect(url_for("console.routing_list"))
        team = routing.team_by_id(session, rule.team_id)
        values = {
            "position": rule.position,
            "category": rule.category or "",
            "district": str(rule.district_id or ""),
            "urgency": rule.urgency or "",
            "about": rule.about or "",
            "team": team.slug if team else "",
        }
        if error:
            values.update(_echo())
        html = render_template(
            "console/admin/routing_form.html",
            rule_id=rule.id,
            values=values,
            error=error,
            **choices,
        )
    return (html, 400) if error else html


def routing_delete(rule_id: int) -> Response:
    with work() as (session, admin):
        rule = routing.rule_by_id(session, rule_id)
        if rule is None:
            abort(404)
        detail = _rule_detail(rule)
        routing.delete_rule(session, rule)
        _record(session, admin, "routing_delete", detail)
    flash(_("Rule deleted."), "success")
    return redirect(url_for("console.routing_list"))
