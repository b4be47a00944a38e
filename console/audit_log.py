"""The audit log viewer: who saw or changed what, filtered, newest first. Admins only.

Entries store codes (actions, team slugs, statuses, safety kinds, ids); the page says each in
the admin's words: an action by its name, a team by its name, a time in the town's time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from babel.dates import get_day_names
from flask import Blueprint, render_template, request, url_for

from console import labels, params
from console.auth import requires
from console.context import work
from console.i18n import _, duration, gettext, language, local_date, local_time
from locales import N_, TOWN_TZ, start_of_town_day
from storage import audit, casework, districts, staff_accounts

PAGE = 100


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/admin/audit", "audit_log", requires("admin")(audit_log))


def audit_log() -> str:
    args = request.args
    staff_id = params.query_id("staff")
    action = (args.get("action") or "").strip()[:40] or None
    reference = (args.get("ticket") or "").strip()[:40] or None
    first, last = params.query_day("from"), params.query_day("to")
    before = params.query_id("before")
    with work() as (session, _admin):
        entries = audit.newest_first(
            session,
            PAGE + 1,
            staff_id=staff_id,
            action=action,
            reference=reference,
            since=start_of_town_day(first) if first else None,
            until=start_of_town_day(last + timedelta(days=1)) if last else None,
            before_id=before,
        )
        people = {person.id: person.name for person in staff_accounts.everyone(session)}
        tickets = audit.ticket_references(
            session, {entry.ticket_id for entry in entries if entry.ticket_id}
        )
        actions = audit.actions_used(session)
        names = Names.of(session, people)
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    rows: list[dict[str, Any]] = [
        {
            "id": entry.id,
            "at": local_time(entry.at, "yyyy/MM/dd HH:mm:ss"),
            "staff": people.get(entry.staff_id, "") if entry.staff_id else "",
            "action": action_name(entry.action),
            "ticket": tickets.get(entry.ticket_id, "") if entry.ticket_id else "",
            "detail": describe(entry.action, entry.detail or {}, names),
            "ip": entry.ip or "",
        }
        for entry in entries
    ]
    filters = {
        "staff": str(staff_id or ""),
        "action": action or "",
        "ticket": reference or "",
        "from": first.isoformat() if first else "",
        "to": last.isoformat() if last else "",
    }
    return render_template(
        "console/admin/audit.html",
        rows=rows,
        filters=filters,
        people=sorted(people.items(), key=lambda item: item[1]),
        actions=sorted(
            ((action, action_name(action)) for action in actions), key=lambda pair: pair[1]
        ),
        older=url_for(
            "console.audit_log",
            before=rows[-1]["id"],
            **{key: value for key, value in filters.items() if value},
        )
        if more and rows
        else None,
    )


# ---- Entries in words ---------------------------------------------------------------------------

ACTIONS: Mapping[str, str] = {
    "open": N_("Ticket opened"),
    "view": N_("Ticket viewed"),
    "view_attachment": N_("Photo or file opened"),
    "claim": N_("Taken"),
    "assign": N_("Assigned to a colleague"),
    "reply": N_("Reply sent"),
    "note": N_("Note written"),
    "status": N_("Status changed"),
    "urgency": N_("Urgency changed"),
    "transfer": N_("Handed to another team"),
    "refer": N_("Referred to an agency"),
    "close": N_("Closed"),
    "contact": N_("Contact logged"),
    "sla_warning": N_("Due-time warning sent"),
    "safety_alarm": N_("Safety alarm"),
    "safety_possible": N_("Possible danger asked about"),
    "safety_repeat": N_("Safety alarm repeated"),
    "safety_concern": N_("Words of worry noted"),
    "canned_create": N_("Canned response added"),
    "canned_update": N_("Canned response changed"),
    "canned_delete": N_("Canned response deleted"),
    "login": N_("Signed in"),
    "logout": N_("Signed out"),
    "password": N_("Password changed"),
    "token_issue": N_("API token issued"),
    "token_revoke": N_("API tokens revoked"),
    "two_factor_on": N_("Two-step sign-in turned on"),
    "two_factor_off": N_("Two-step sign-in turned off"),
    "two_factor_policy": N_("Two-step sign-in rule changed"),
    "recovery_codes": N_("Recovery codes made"),
    "recovery_code_used": N_("Recovery code used"),
    "staff_create": N_("Staff member added"),
    "staff_update": N_("Staff member changed"),
    "staff_teams": N_("Staff member's teams changed"),
    "team_create": N_("Team added"),
    "team_update": N_("Team changed"),
    "routing_create": N_("Routing rule added"),
    "routing_update": N_("Routing rule changed"),
    "routing_delete": N_("Routing rule deleted"),
    "salon_edit": N_("Salon edited"),
    "salon_status": N_("Salon status changed"),
    "export": N_("Report exported"),
    "erase_resident": N_("Resident's data erased"),
    "clock_moved": N_("Clock moved (demo)"),
    "clock_reset": N_("Clock reset (demo)"),
    "watch.view": N_("Watch-over record viewed"),
    "watch.schedule": N_("Check-in schedule changed"),
    "watch.pause": N_("Watch-over paused"),
    "watch.resume": N_("Watch-over resumed"),
    "watch.outcome": N_("Check-in outcome recorded"),
    "watch.enrol": N_("Enrolled in watch-over"),
    "resident.view": N_("Resident record viewed"),
    "resident.edit": N_("Resident record changed"),
    "resident.adopt": N_("Resident record: a ticket's value taken in"),
    "resident.contact_add": N_("Resident record: contact added"),
    "resident.contact_remove": N_("Resident record: contact removed"),
    "supporter.approve": N_("Supporter approved"),
    "supporter.pause": N_("Supporter paused"),
    "supporter.resume": N_("Supporter resumed"),
    "help_request.board": N_("Help requests board viewed"),
    "help_request.view": N_("Help request viewed"),
    "help_request.create": N_("Help request entered"),
    "help_request.offer": N_("Help request put to supporters"),
    "help_request.change": N_("Help request corrected"),
    "supporter.view": N_("Supporter's page viewed"),
    "care_net.view": N_("Care-net neighbours viewed"),
    "care_net.link": N_("Care-net neighbour linked"),
    "care_net.unlink": N_("Care-net neighbour unlinked"),
}
# The fields of a help request a coordinator corrected (never their values).
REQUEST_FIELDS: Mapping[str, str] = {
    "kind": N_("Kind of help"),
    "district": N_("District"),
    "wanted_from": N_("From"),
    "wanted_until": N_("Until"),
    "first_name": N_("First name"),
    "phone": N_("Phone"),
    "note": N_("Note"),
}
# Each detail's name; a key not here is shown as it is (a new one should be added).
KEYS: Mapping[str, str] = {
    "from": N_("Changed from"),
    "to": N_("Changed to"),
    "reason": N_("Reason"),
    "kind": N_("Kind"),
    "kinds": N_("Dangers read"),
    "urgency_was": N_("Urgency before"),
    "urgency": N_("Urgency"),
    "team": N_("Team"),
    "teams": N_("Teams"),
    "team_id": N_("Team"),
    "outcome": N_("Outcome"),
    "method": N_("How"),
    "channel": N_("Came in by"),
    "follow_up": N_("Next step on"),
    "status": N_("Status"),
    "role": N_("Role"),
    "required": N_("Required for"),
    "by": N_("By"),
    "auto": N_("Taken automatically"),
    "due": N_("Due"),
    "until": N_("Until"),
    "parts": N_("LINE messages"),
    "agency": N_("Agency"),
    "staff_id": N_("Staff member"),
    "district_id": N_("District"),
    "category": N_("What it is about"),
    "about": N_("Who it is about"),
    "position": N_("Order"),
    "how": N_("How"),
    "settled": N_("Check-in settled"),
    "consent": N_("Consent"),
    "frequency": N_("How often"),
    "time": N_("Time"),
    "weekdays": N_("Weekdays"),
    "report": N_("Report"),
    "count": N_("Count"),
    "code": N_("Code"),
    "active": N_("Active"),
    "available": N_("Takes new tickets"),
    "password": N_("Password"),
    "line_user_id": N_("LINE account"),
    "fields": N_("Fields"),
    "by_seconds": N_("Moved by"),
    "offset_seconds": N_("Clock ahead by"),
    "was_seconds": N_("Was ahead by"),
    # Records by number: what each one is.
    "message_id": N_("Thread entry"),
    "outbox_id": N_("Outgoing message"),
    "id": N_("Record"),
    "rule_id": N_("Routing rule"),
    "salon_id": N_("Salon"),
    "enrolment": N_("Watch-over enrolment"),
    "round": N_("Check-in"),
    "attachment": N_("Photo or file"),
    "erasure": N_("Erasure"),
    "resident": N_("Record of resident"),
    "contact": N_("Emergency contact"),
    "supporter": N_("Supporter"),
    "help_request": N_("Help request"),
    "supporters": N_("Supporters asked"),
    "link": N_("Care-net link"),
}
PERIOD: Mapping[str, str] = {"from": N_("From"), "to": N_("To")}
# Whose doing, when it was not a staff member's.
BY: Mapping[str, str] = {
    "resident": N_("the resident"),
    "watch-over": N_("watch-over"),
    "console": N_("the console"),
    "cli": N_("the command line"),
}
OTHER_WORDS: Mapping[str, str] = {
    "teams": N_("Team totals"),
    "in person": N_("In person"),
    "changed": N_("Changed"),
}
RECORD_KEYS = {
    "message_id",
    "outbox_id",
    "id",
    "rule_id",
    "salon_id",
    "enrolment",
    "round",
    "attachment",
    "erasure",
    "resident",
    "contact",
    "supporter",
    "help_request",
}
SAFETY_ACTIONS = {"safety_alarm", "safety_possible", "safety_repeat", "safety_concern"}


class Names:
    """Teams, staff and districts by the codes and ids entries keep."""

    def __init__(
        self, teams: dict[str, str], team_ids: dict[int, str], people: dict[int, str], places: dict
    ) -> None:
        self.teams, self.team_ids, self.people, self.places = teams, team_ids, people, places

    @classmethod
    def of(cls, session: Any, people: dict[int, str]) -> Names:
        teams = casework.every_team(session)
        places = {district.id: district.name for district in districts.all_districts(session)}
        return cls(
            {team.slug: team.name for team in teams},
            {team.id: team.name for team in teams},
            people,
            places,
        )


def action_name(action: str) -> str:
    name = ACTIONS.get(action)
    return gettext(name) if name else action


def describe(action: str, detail: Mapping[str, Any], names: Names) -> list[tuple[str, str]]:
    """An entry's details as (name, value) pairs in the reader's words; empty values left out."""
    pairs = []
    for key, value in detail.items():
        if value is None or value == "" or value == []:
            continue
        if key == "kinds" and value == [detail.get("kind")]:
            continue  # one danger read: its kind says it
        words = _value(action, key, value, names)
        if words:
            # An export's from and to are the days it covers, not a change.
            name = PERIOD.get(key) if action == "export" else None
            name = name or KEYS.get(key)
            pairs.append((gettext(name) if name else key, words))
    return pairs


def _value(action: str, key: str, value: Any, names: Names) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in RECORD_KEYS:
        return _("No. {number}", number=value)
    if isinstance(value, list):
        separator = "、" if language() == "ja" else ", "
        return separator.join(_value(action, key, item, names) for item in value)
    text = str(value)
    word = _word(action, key, text, names)
    if word is not None:
        return word
    if key in ("due",):
        return _time(text)
    if key in ("until", "follow_up") or (action == "export" and key in ("from", "to")):
        return _day(text)
    if key.endswith("seconds") and isinstance(value, int | float):
        return duration(timedelta(seconds=abs(value)))
    return text


def _word(action: str, key: str, text: str, names: Names) -> str | None:
    """A code in words, when this key of this action holds one."""
    tables: dict[str, Callable[[str], str | None]] = {
        "team": lambda code: names.teams.get(code, code),
        "teams": lambda code: names.teams.get(code, code),
        "team_id": lambda code: names.team_ids.get(int(code), code),
        "staff_id": lambda code: names.people.get(int(code), code),
        "district_id": lambda code: names.places.get(int(code), code),
        "kinds": lambda code: labels.label(labels.SAFETY_KINDS, code),
        "urgency": lambda code: labels.label(labels.URGENCY_NAMES, code),
        "urgency_was": lambda code: labels.label(labels.URGENCY_NAMES, code),
        "outcome": lambda code: labels.label(labels.OUTCOME_NAMES, code),
        "status": lambda code: labels.label(labels.STATUS_NAMES, code),
        "role": lambda code: labels.label(labels.ROLES, code),
        "required": lambda code: labels.label(labels.ROLES, code),
        "category": lambda code: labels.label(labels.CATEGORIES, code),
        "about": lambda code: labels.label(labels.ABOUT_NAMES, code),
        "by": lambda code: labels.label(BY, code),
    }
    if key == "kind":
        table = labels.SAFETY_KINDS if action in SAFETY_ACTIONS else labels.KINDS
        return labels.label(table, text)
    if key in ("from", "to"):
        moved = {
            "transfer": tables["team"],
            "assign": tables["staff_id"],
            "status": tables["status"],
            "urgency": tables["urgency"],
            "salon_status": lambda code: labels.label(_salon_statuses(), code),
            **dict.fromkeys(
                ("supporter.approve", "supporter.pause", "supporter.resume"),
                lambda code: labels.label(labels.SUPPORTER_STATUSES, code),
            ),
        }.get(action)
        return moved(text) if moved else None
    if action == "contact" and key in ("method", "outcome"):
        table = labels.CONTACT_KINDS if key == "method" else labels.CONTACT_OUTCOMES
        return labels.label(table, text)
    if key == "channel":
        return labels.label(labels.CHANNEL_NAMES, text)
    if key == "fields" and action.startswith("resident."):
        return labels.label(labels.RECORD_FIELDS, text)
    if key == "fields" and action == "help_request.change":
        return labels.label(REQUEST_FIELDS, text)
    if key == "how":
        return labels.label(_watch_outcomes(), text)
    if key in ("report", "consent", "password"):
        return labels.label(OTHER_WORDS, text)
    if key == "weekdays" and text.isdigit() and int(text) < 7:
        return str(get_day_names("abbreviated", locale=language())[int(text)])
    found = tables.get(key)
    if found is None:
        return None
    try:
        return found(text)
    except ValueError:
        return text


def _salon_statuses() -> Mapping[str, str]:
    from console.salons import STATUS_NAMES

    return STATUS_NAMES


def _watch_outcomes() -> Mapping[str, str]:
    from console.watch import OUTCOMES

    return OUTCOMES


def _time(text: str) -> str:
    try:
        return local_time(datetime.fromisoformat(text), "yyyy/MM/dd HH:mm")
    except ValueError:
        return text


def _day(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return local_date(datetime.combine(day, time(12), tzinfo=TOWN_TZ))
