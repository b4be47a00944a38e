"""The audit log viewer: who saw or changed what, filtered, newest first. Admins only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, render_template, request, url_for
from sqlalchemy import select

from console import params
from console.auth import requires
from console.context import work
from console.i18n import local_time
from locales import TOWN_TZ
from storage.models import AuditEntry, Staff, Ticket

PAGE = 100


def register(blueprint: Blueprint) -> None:
    blueprint.add_url_rule("/admin/audit", "audit_log", requires("admin")(audit_log))


def day_start(day: date) -> datetime:
    """Midnight in Tokyo of `day`, as the aware datetime the database compares."""
    return datetime.combine(day, time(0), tzinfo=TOWN_TZ)


def audit_log() -> str:
    args = request.args
    staff_id = params.query_id("staff")
    action = (args.get("action") or "").strip()[:40] or None
    reference = (args.get("ticket") or "").strip()[:40] or None
    first, last = params.query_day("from"), params.query_day("to")
    before = params.query_id("before")
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(PAGE + 1)
    if staff_id:
        query = query.where(AuditEntry.staff_id == staff_id)
    if action:
        query = query.where(AuditEntry.action == action)
    if first:
        query = query.where(AuditEntry.at >= day_start(first))
    if last:
        query = query.where(AuditEntry.at < day_start(last + timedelta(days=1)))
    if before:
        query = query.where(AuditEntry.id < before)
    with work() as (session, _admin):
        if reference:
            query = query.join(Ticket, Ticket.id == AuditEntry.ticket_id).where(
                Ticket.reference == reference
            )
        entries = session.scalars(query).all()
        people = {person.id: person.name for person in session.scalars(select(Staff))}
        tickets = _references(session, {entry.ticket_id for entry in entries if entry.ticket_id})
        actions = sorted(session.scalars(select(AuditEntry.action).distinct()))
    more = len(entries) > PAGE
    entries = entries[:PAGE]
    rows: list[dict[str, Any]] = [
        {
            "id": entry.id,
            "at": local_time(entry.at, "yyyy/MM/dd HH:mm:ss"),
            "staff": people.get(entry.staff_id, "") if entry.staff_id else "",
            "action": entry.action,
            "ticket": tickets.get(entry.ticket_id, "") if entry.ticket_id else "",
            "detail": entry.detail or {},
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
        actions=[(action, action) for action in actions],
        older=url_for(
            "console.audit_log",
            before=rows[-1]["id"],
            **{key: value for key, value in filters.items() if value},
        )
        if more and rows
        else None,
    )


def _references(session: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(
        session.execute(select(Ticket.id, Ticket.reference).where(Ticket.id.in_(ids))).all()
    )
