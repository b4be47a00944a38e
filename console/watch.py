"""The watch-over team's pages: who is enrolled and how each is today, alarms first; one
resident's rounds; enrolling after a home visit, changing a schedule, pausing, and recording a
visit or a phone call as a round's outcome. Every change is audited.

Only the watch-over team (the team every watch-over ticket is filed with) and admins use these
pages, as only a ticket's team opens a ticket: anyone else gets 403 for the list and enrolling,
and 404 for a resident's record or round, exactly as for one that does not exist. The check
runs before a view reads anything, so a form's contents never decide what the answer is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from typing import Any

from babel.dates import get_day_names
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import params
from console.context import app_services, client_ip, now, viewer, work
from console.i18n import _, language, local_time
from locales import N_, gettext, town_date, watch_words
from storage import audit, messages, outbox, residents, staff_accounts
from storage.models import CheckinRound, Resident, WatchEnrolment
from storage.watch import enrolments, linking, rounds, schedules
from storage.watch.schedules import Schedule

# How a resident is today, most worrying first: the list is sorted in this order.
TODAY = {
    "escalated": N_("Alert raised"),
    "reminded": N_("Reminded, no answer yet"),
    "awaiting": N_("Awaiting an answer"),
    "paused": N_("Paused"),
    "answered": N_("Answered today"),
    "quiet": N_("No check-in today"),
}
ROUND_STATES = {
    "due": N_("Due"),
    "sent": N_("Sent"),
    "reminded": N_("Reminded"),
    "escalated": N_("Alert raised"),
    "answered": N_("Answered"),
    "resolved": N_("Settled"),
    "skipped": N_("Not sent"),
    "cancelled": N_("Stopped"),
}
# Why a round was not sent (or was withdrawn before its time).
SKIP_REASONS = {
    "paused": N_("paused"),
    "blocked": N_("blocked the account"),
    "open": N_("the last check-in was still open"),
    "ended": N_("stopped"),
    "moved": N_("schedule changed"),
}
ANSWERS = {
    "fine": N_("I'm fine"),
    "unwell": N_("Not feeling well"),
    "help": N_("I need help"),
    "message": N_("Wrote a message"),
}
OUTCOMES = {"visit": N_("Visited"), "phone": N_("Reached by phone"), "other": N_("Other")}
FREQUENCY_NAMES = dict(watch_words.FREQUENCIES)
MAX_NOTE = 2000
LIST_LIMIT = 500


# What someone outside the watch-over team gets: a closed page, or a record that is not there.
PAGE, RECORD = 403, 404


def register(blueprint: Blueprint) -> None:
    rules: list[tuple[str, str, Any, list[str], int]] = [
        ("/watch", "watch_list", watch_list, ["GET"], PAGE),
        ("/watch/enrol", "watch_enrol", watch_enrol, ["GET", "POST"], PAGE),
        ("/watch/<id:enrolment_id>", "watch_detail", watch_detail, ["GET"], RECORD),
        ("/watch/<id:enrolment_id>/schedule", "watch_schedule", watch_schedule, ["POST"], RECORD),
        ("/watch/<id:enrolment_id>/pause", "watch_pause", watch_pause, ["POST"], RECORD),
        ("/watch/<id:enrolment_id>/resume", "watch_resume", watch_resume, ["POST"], RECORD),
        ("/watch/rounds/<id:round_id>/outcome", "watch_outcome", watch_outcome, ["POST"], RECORD),
    ]
    for path, endpoint, view, methods, refusal in rules:
        blueprint.add_url_rule(path, endpoint, _team_only(view, refusal), methods=methods)


def may_see() -> bool:
    """Whether the signed-in staff member may use these pages (asked once per request)."""
    if "watch_over" not in g:
        with app_services().db.reading() as session:
            staff = staff_accounts.by_id(session, viewer().staff_id)
            g.watch_over = staff is not None and enrolments.staff_may_see(staff)
    return bool(g.watch_over)


def _team_only(view: Callable[..., Any], refusal: int) -> Callable[..., Any]:
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not may_see():
            abort(refusal)
        return view(*args, **kwargs)

    return checked


@dataclass(frozen=True)
class Line:
    """One enrolled resident in the list."""

    enrolment_id: int
    name: str
    today: str
    today_label: str
    schedule: str
    last_sign: str
    open_alarm_since: str


def watch_list() -> str:
    wanted = request.args.get("today", "")
    if wanted and wanted not in TODAY:
        abort(400, description="unknown status")
    with work() as (session, _staff):
        lines = _overview(session, now())
    shown = [line for line in lines if not wanted or line.today == wanted]
    counts = {key: sum(1 for line in lines if line.today == key) for key in TODAY}
    filters = [(key, _(label), counts[key]) for key, label in TODAY.items()]
    return render_template("watch/list.html", lines=shown, filters=filters, wanted=wanted)


def _overview(session: Session, moment: datetime) -> list[Line]:
    watched = enrolments.not_ended(session, LIST_LIMIT)
    ids = [enrolment.id for enrolment in watched]
    latest = rounds.latest_rounds(session, ids)
    alarms = rounds.raised_alarms(session, ids)
    today = town_date(moment)
    lines = [
        _line(enrolment, latest.get(enrolment.id), alarms.get(enrolment.id), today, moment)
        for enrolment in watched
    ]
    order = list(TODAY)
    return sorted(lines, key=lambda line: (order.index(line.today), line.name))


def _line(
    enrolment: WatchEnrolment,
    latest: CheckinRound | None,
    alarm: CheckinRound | None,
    today: date,
    moment: datetime,
) -> Line:
    if alarm is not None:
        state = "escalated"
    elif enrolment.status == "paused":
        state = "paused"
    elif latest is not None and latest.state == "reminded":
        state = "reminded"
    elif latest is not None and latest.state == "sent" and rounds.is_out(latest, moment):
        state = "awaiting"
    elif latest is not None and town_date(latest.due_at) == today:
        state = "answered" if latest.state in ("answered", "resolved") else "quiet"
    else:
        state = "quiet"
    return Line(
        enrolment_id=enrolment.id,
        name=enrolment.resident.display_name or enrolment.resident.line_user_id[:9],
        today=state,
        today_label=_(TODAY[state]),
        schedule=_schedule(enrolment),
        last_sign=_last_sign(enrolment, moment),
        open_alarm_since=local_time(alarm.escalated_at) if alarm is not None else "",
    )


def watch_detail(enrolment_id: int) -> str:
    with work() as (session, staff):
        enrolment = _enrolment(session, enrolment_id)
        moment = now()
        audit.record(
            session,
            "watch.view",
            moment,
            staff=staff,
            detail={"enrolment": enrolment.id},
            ip=client_ip(),
        )
        round_rows = [_round_row(session, row) for row in rounds.rounds_of(session, enrolment)]
        families = [
            watch_words.name_of(link.family, "ja", watch_words.A_FAMILY_MEMBER)
            for link in linking.family_links(session, enrolment)
        ]
        due = enrolments.next_checkin(session, enrolment, moment)
        context = {
            "enrolment": enrolment,
            "name": enrolment.resident.display_name or enrolment.resident.line_user_id[:9],
            "schedule": _schedule(enrolment),
            "status": _(TODAY["paused"]) if enrolment.status == "paused" else "",
            "paused_until": local_time(enrolment.paused_until, "yyyy/MM/dd (E)")
            if enrolment.paused_until
            else "",
            "next_checkin": local_time(due) if due and enrolment.status == "active" else "",
            "last_sign": _last_sign(enrolment, moment),
            "families": families,
            "rounds": round_rows,
            "frequencies": [(code, _(label)) for code, label in watch_words.FREQUENCIES],
            "weekdays": _weekday_names(),
            "outcomes": [(code, _(label)) for code, label in OUTCOMES.items()],
            "enrolled_by_staff": enrolment.enrolled_by == "staff",
        }
    return render_template("watch/detail.html", **context)


def _round_row(session: Session, row: CheckinRound) -> dict[str, Any]:
    ticket = rounds.round_ticket(session, row)
    return {
        "id": row.id,
        "due": local_time(row.due_at),
        "state": row.state,
        "state_label": _(ROUND_STATES.get(row.state, row.state)),
        "answer": _(ANSWERS[row.answer]) if row.answer in ANSWERS else "",
        "answered": local_time(row.answered_at),
        "escalated": local_time(row.escalated_at),
        "unreachable": bool(row.unreachable_at),
        "resolved": local_time(row.resolved_at),
        "resolution": _(watch_words.SIGN_WORDS[row.resolution])
        if row.resolution in watch_words.SIGN_WORDS
        else (row.resolution or ""),
        "skip_reason": _(SKIP_REASONS[row.skip_reason])
        if row.skip_reason in SKIP_REASONS
        else (row.skip_reason or ""),
        "note": row.note or "",
        "ticket": ticket.reference if ticket else "",
        "open": row.state in ("sent", "reminded", "escalated"),
    }


def watch_schedule(enrolment_id: int) -> Response:
    schedule, seconds = _schedule_from_form()
    with work() as (session, staff):
        enrolment = _enrolment(session, enrolment_id)
        moment = now()
        due = app_services().resident_actions.reschedule_watch(
            session, enrolment, schedule, seconds, moment
        )
        _tell(
            session,
            enrolment.resident,
            moment,
            N_("The council's watch-over staff changed your check-ins: {schedule}."),
            schedule=schedules.describe(enrolment.resident.language, schedule),
        )
        audit.record(
            session,
            "watch.schedule",
            moment,
            staff=staff,
            detail={
                "enrolment": enrolment.id,
                "frequency": schedule.frequency,
                "time": schedule.time_of_day,
                "weekdays": list(schedule.weekdays),
            },
            ip=client_ip(),
        )
    flash(_("Saved. The next check-in is {when}.", when=local_time(due)), "success")
    return redirect(url_for("console.watch_detail", enrolment_id=enrolment_id))


def watch_pause(enrolment_id: int) -> Response:
    until = params.day(request.form.get("until", ""))
    if until is None:
        abort(400, description="the day to start again is a date like 2026-12-24")
    with work() as (session, staff):
        enrolment = _enrolment(session, enrolment_id)
        moment = now()
        today = town_date(moment)
        if not today < until <= today + enrolments.MAX_PAUSE:
            abort(400, description="the day to start again is after today and within a year")
        app_services().resident_actions.pause_watch(session, enrolment, until, moment)
        audit.record(
            session,
            "watch.pause",
            moment,
            staff=staff,
            detail={"enrolment": enrolment.id, "until": until.isoformat()},
            ip=client_ip(),
        )
    flash(_("Paused. Check-ins start again on {day}.", day=until.isoformat()), "success")
    return redirect(url_for("console.watch_detail", enrolment_id=enrolment_id))


def watch_resume(enrolment_id: int) -> Response:
    with work() as (session, staff):
        enrolment = _enrolment(session, enrolment_id)
        moment = now()
        if enrolment.status == "paused":
            app_services().resident_actions.resume_watch(session, enrolment, moment)
            audit.record(
                session,
                "watch.resume",
                moment,
                staff=staff,
                detail={"enrolment": enrolment.id},
                ip=client_ip(),
            )
    flash(_("Check-ins have started again."), "success")
    return redirect(url_for("console.watch_detail", enrolment_id=enrolment_id))


def watch_outcome(round_id: int) -> Response:
    how = request.form.get("how", "")
    if how not in OUTCOMES:
        abort(400, description="how is visit, phone or other")
    note = request.form.get("note", "").strip()
    if len(note) > MAX_NOTE:
        abort(400, description=f"the note is over {MAX_NOTE} characters")
    with work() as (session, staff):
        # record_outcome locks the round too; taking the lock here first changes nothing.
        row = rounds.lock_round(session, round_id)
        if row is None:
            abort(404)
        moment = now()
        settled = app_services().resident_actions.settle_round(
            session, row, moment, how=how, staff=staff, note=note
        )
        audit.record(
            session,
            "watch.outcome",
            moment,
            staff=staff,
            detail={"round": round_id, "how": how, "settled": settled},
            ip=client_ip(),
        )
        enrolment_id = row.enrolment_id
    if settled:
        flash(_("Recorded. The family has been told."), "success")
    else:
        flash(_("This round was already settled; nothing changed."), "info")
    return redirect(url_for("console.watch_detail", enrolment_id=enrolment_id))


def watch_enrol() -> Any:
    """Enrol a resident who follows the account, e.g. after a home visit (consent on paper)."""
    if request.method == "POST":
        return _enrol_posted()
    search = (request.args.get("q") or "").strip()[:80]
    with work() as (session, _staff):
        candidates = _candidates(session, search) if search else []
    return render_template(
        "watch/enrol.html",
        search=search,
        candidates=candidates,
        frequencies=[(code, _(label)) for code, label in watch_words.FREQUENCIES],
        weekdays=_weekday_names(),
    )


def _candidates(session: Session, search: str) -> list[dict[str, Any]]:
    found = enrolments.enrollable(session, search)
    return [{"id": r.id, "name": r.display_name, "since": local_time(r.created_at)} for r in found]


def _enrol_posted() -> Response:
    resident_id = params.form_id("resident")
    if resident_id is None:
        abort(400, description="choose a resident")
    if request.form.get("consent") != "yes":
        abort(400, description="the resident's consent must be confirmed")
    schedule, seconds = _schedule_from_form()
    with work() as (session, staff):
        resident = residents.by_id(session, resident_id)
        if resident is None or not resident.following:
            abort(400, description="this resident cannot be reached in LINE")
        moment = now()
        enrolments.record_consent(session, resident, True, moment)
        enrolment = enrolments.enrol(
            session,
            resident,
            schedule,
            moment,
            remind_after_s=seconds,
            escalate_after_s=seconds,
            by="staff",
            staff=staff,
        )
        _tell(
            session,
            resident,
            moment,
            N_(
                "The council's watch-over staff have signed you up for check-ins: {schedule}. "
                "Please tap a button when \u201cHow are you?\u201d arrives. Tap Watch-over in "
                "the menu to see or change this."
            ),
            schedule=schedules.describe(resident.language, schedule),
        )
        audit.record(
            session,
            "watch.enrol",
            moment,
            staff=staff,
            detail={"enrolment": enrolment.id, "consent": "in person"},
            ip=client_ip(),
        )
        enrolment_id = enrolment.id
    flash(_("Enrolled. The resident has been told in LINE."), "success")
    return redirect(url_for("console.watch_detail", enrolment_id=enrolment_id))


def _schedule_from_form() -> tuple[Schedule, int | None]:
    form = request.form
    time_of_day = schedules.parse_time(form.get("time", ""))
    if time_of_day is None:
        abort(400, description="the time is like 8:00, between 5:00 and 22:00")
    picked = [params.number(day, 0, 6) for day in form.getlist("weekdays")]
    weekdays = tuple(day for day in picked if day is not None)
    if len(weekdays) != len(picked):
        abort(400, description="weekdays are numbers from 0 (Monday) to 6 (Sunday)")
    try:
        schedule = Schedule(
            frequency=form.get("frequency", ""), time_of_day=time_of_day, weekdays=weekdays
        )
    except ValueError as error:
        abort(400, description=str(error))
    wait = form.get("wait", "standard")
    if wait not in enrolments.WAIT_SECONDS:
        abort(400, description="the wait is standard, short or long")
    return schedule, enrolments.WAIT_SECONDS[wait]


def _enrolment(session: Session, enrolment_id: int) -> WatchEnrolment:
    enrolment = enrolments.by_id(session, enrolment_id)
    if enrolment is None:
        abort(404)
    return enrolment


def _schedule(enrolment: WatchEnrolment) -> str:
    return schedules.describe(language(), Schedule.of(enrolment))


def _last_sign(enrolment: WatchEnrolment, moment: datetime) -> str:
    return watch_words.last_sign(
        language(), enrolment.last_sign_of_life_at, enrolment.last_sign_of_life, moment
    )


def _weekday_names() -> list[tuple[int, str]]:
    names = get_day_names("abbreviated", locale=language())
    return [(day, names[day]) for day in range(7)]


def _tell(
    session: Session, resident: Resident, moment: datetime, message: str, **params: Any
) -> None:
    words = gettext(resident.language, message, **params)
    outbox.enqueue(session, resident.line_user_id, [messages.text(words)], moment)
