"""Admin screens for the salon directory: the list, editing one salon, pausing or ending it.

Edits are checked by the same rules as a CSV import (storage.salon_csv.check_row), so a salon
saved here always exports and imports back. Every change is audited.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console.auth import requires
from console.context import client_ip, now, work
from console.i18n import _
from locales import N_, TOWN_TZ, salon_kinds
from storage import audit, districts, salon_csv, salons
from storage.models import AUDIENCES, KINDS, SALON_STATUSES, Salon, Staff
from storage.salon_schedule import Rule, time_text

STATUS_NAMES = {"active": N_("Running"), "paused": N_("Paused"), "ended": N_("Ended")}
# Form fields and the CSV columns they stand for; the import's checks read the columns.
FIELDS = {
    "name": "名称",
    "name_kana": "名称_カナ",
    "kind": "種類",
    "district": "地区",
    "community_area": "地域",
    "address": "住所",
    "venue": "方書",
    "latitude": "緯度",
    "longitude": "経度",
    "phone": "電話番号",
    "organiser": "主催者",
    "schedule": "日程ルール",
    "start": "開始時間",
    "end": "終了時間",
    "cancellations": "休止日",
    "activities": "内容",
    "fee": "参加費",
    "what_to_bring": "持ち物",
    "how_to_join": "参加方法",
    "accessibility": "バリアフリー",
    "last_confirmed": "最終確認日",
    "notes": "備考",
}


def register(blueprint: Blueprint) -> None:
    rules: list[tuple[str, str, Any, list[str]]] = [
        ("/admin/salons", "salon_list", salon_list, ["GET"]),
        ("/admin/salons/<id:salon_id>", "salon_edit", salon_edit, ["GET", "POST"]),
        ("/admin/salons/<id:salon_id>/status", "salon_status", salon_status, ["POST"]),
    ]
    for path, endpoint, view, methods in rules:
        blueprint.add_url_rule(path, endpoint, requires("admin")(view), methods=methods)


def salon_list() -> str:
    status = request.args.get("status", "")
    with work() as (session, _admin):
        found = salons.directory(session, status if status in SALON_STATUSES else None)
        moment = now()
        rows = [
            {
                "id": salon.id,
                "code": salon.code,
                "name": salon.name,
                "kind": _(salon_kinds.KIND_LABELS[salon.kind]),
                "district": salon.district.name,
                "schedule": _schedule(salon),
                "status": _(STATUS_NAMES[salon.status]),
                "status_code": salon.status,
                "confirmed": salon.last_confirmed.isoformat() if salon.last_confirmed else "",
                "stale": salons.is_stale(salon, moment),
            }
            for salon in found
        ]
    statuses = [("", _("All"))] + [(code, _(STATUS_NAMES[code])) for code in SALON_STATUSES]
    return render_template("salons/list.html", rows=rows, statuses=statuses, status=status)


def salon_edit(salon_id: int) -> Any:
    with work() as (session, admin):
        salon = _salon(session, salon_id)
        context = _form_context(session, salon)
        if request.method == "GET":
            values = _values_of(salon_csv.row_of(salon))
            return render_template("salons/edit.html", values=values, problems=[], **context)
        row = _submitted_row(salon)
        values, cancelled, problems = salon_csv.check_row(session, row)
        if problems:
            html = render_template(
                "salons/edit.html", values=_values_of(row), problems=problems, **context
            )
            return html, 400
        salon_csv.apply(salon, values, cancelled, now())
        _record(session, admin, "salon_edit", {"salon_id": salon.id, "code": salon.code})
        name = salon.name
    flash(_("Saved {name}.", name=name), "success")
    return redirect(url_for("console.salon_edit", salon_id=salon_id))


def salon_status(salon_id: int) -> Response:
    status = request.form.get("status", "")
    if status not in SALON_STATUSES:
        abort(400, _("Choose active, paused or ended."))
    with work() as (session, admin):
        salon = _salon(session, salon_id)
        before, salon.status, salon.updated_at = salon.status, status, now()
        _record(
            session,
            admin,
            "salon_status",
            {"salon_id": salon.id, "code": salon.code, "from": before, "to": status},
        )
        name = salon.name
    flash(_("{name} is now {status}.", name=name, status=_(STATUS_NAMES[status])), "success")
    return redirect(url_for("console.salon_edit", salon_id=salon_id))


def _salon(session: Session, salon_id: int) -> Salon:
    salon = salons.by_id(session, salon_id)
    if salon is None:
        abort(404)
    return salon


def _record(session: Session, admin: Staff, action: str, detail: dict[str, Any]) -> None:
    audit.record(session, action, now(), staff=admin, detail=detail, ip=client_ip())


def _form_context(session: Session, salon: Salon) -> dict[str, Any]:
    return {
        "salon": {"id": salon.id, "code": salon.code, "name": salon.name},
        "status": salon.status,
        "status_name": _(STATUS_NAMES[salon.status]),
        "kinds": [
            (salon_csv.KIND_LABELS[code], _(salon_kinds.KIND_LABELS[code])) for code in KINDS
        ],
        "districts": [(d.name, d.name) for d in districts.all_districts(session)],
        "audiences": [
            (salon_csv.AUDIENCE_LABELS[c], _(salon_kinds.AUDIENCE_LABELS[c])) for c in AUDIENCES
        ],
        "statuses": [(code, _(STATUS_NAMES[code])) for code in SALON_STATUSES],
        "stale": salons.is_stale(salon, now()),
    }


def _values_of(row: dict[str, str]) -> dict[str, Any]:
    """A CSV-style row as the form shows it."""
    values: dict[str, Any] = {field: row.get(column, "") for field, column in FIELDS.items()}
    values["skip_holidays"] = row.get("祝日休み") == "はい"
    values["skip_year_end"] = row.get("年末年始休み") == "はい"
    values["audiences"] = [
        a for a in salon_csv.AUDIENCE_LABELS.values() if a in row.get("対象", "")
    ]
    return values


def _submitted_row(salon: Salon) -> dict[str, str]:
    """The form as the CSV row the import's checks expect; ID and status stay as they were."""
    form = request.form
    row = {column: form.get(field, "")[:2000] for field, column in FIELDS.items()}
    row["ID"] = salon.code
    row["曜日"] = ""  # the rule says the weekdays
    row["祝日休み"] = "はい" if form.get("skip_holidays") else "いいえ"
    row["年末年始休み"] = "はい" if form.get("skip_year_end") else "いいえ"
    row["対象"] = "・".join(form.getlist("audiences"))
    row["状態"] = salon.status
    if form.get("confirmed_today"):
        row["最終確認日"] = now().astimezone(TOWN_TZ).date().isoformat()
    return row


def _schedule(salon: Salon) -> str:
    times = "〜".join(time_text(t) for t in (salon.start_time, salon.end_time) if t is not None)
    return f"{Rule.from_json(salon.schedule).text} {times}".strip()
