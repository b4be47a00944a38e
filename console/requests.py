"""The 生活応援隊 requests board: help requests still to be put to someone, waiting for an
answer, back from an offer nobody took, or taken; a request's page with the supporters who
could take it, best first and why (storage.supporter_matching), and 声をかける, which offers it
to the chosen ones in LINE at once; a form for staff to enter a request.

The same people as the supporters page use it (console.supporters.may_coordinate); anyone
else gets 404, the check running before a view reads anything. Every view and change is
audited. A request not yet out to supporters may be corrected (直す): the first name the
supporter will be told, the day and time agreed with the resident, the note. The LINE
offer is flows' own step, handed to the console by the app
(console.context.ResidentActions.offer_help), so the console imports no flows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from functools import wraps
from typing import Any

from babel.dates import get_day_names
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from console import forms, params
from console.context import app_services, client_ip, now, visible_ticket, work
from console.i18n import _, gettext, language, local_time
from console.supporters import may_coordinate
from locales import N_, TOWN_TZ
from storage import audit, districts, resident_record, supporter_matching, supporters
from storage.models import (
    HELP_KINDS,
    TIME_BANDS,
    HelpOffer,
    HelpRequest,
    Resident,
    Staff,
    Supporter,
)
from storage.refusals import Conflict

KIND_NAMES = dict(HELP_KINDS)
BAND_NAMES = dict(TIME_BANDS)
LIST_LIMIT = 500
# A request's status on the board, in words (storage.models.REQUEST_STATUSES).
REQUEST_STATUSES: Mapping[str, str] = {
    "open": N_("Not yet offered"),
    "offered": N_("Waiting for an answer"),
    "returned": N_("Back: nobody took it"),
    "taken": N_("Taken by a supporter"),
    "done": N_("Done"),
    "failed": N_("Could not be done"),
    "cancelled": N_("Cancelled"),
}
# An offer's answer (storage.models.OFFER_ANSWERS; None: still waiting).
OFFER_ANSWERS: Mapping[str | None, str] = {
    None: N_("Waiting for them"),
    "accepted": N_("Taken on"),
    "declined": N_("Not this time"),
    "too_late": N_("Expired"),
}
# Why a supporter is suggested, in words (storage.supporter_matching.REASONS).
REASONS: Mapping[str, str] = {
    "same_district": N_("Same district"),
    "within_reach": N_("Within their reach ({km} km)"),
    "outside_area": N_("Outside their area ({km} km)"),
    "district_unknown": N_("District not known"),
    "free": N_("Free on {day}, {band}"),
    "free_day_only": N_("Free on {day}, not {band}"),
    "free_band_only": N_("Free {band}, not on {day}"),
    "not_free": N_("Not free on {day}, {band}"),
    "taken_lately": N_("{count} in the last 30 days"),
}
# Why a request may not be corrected any more (console and API alike: 409).
NOT_CHANGEABLE = N_("This request is out to supporters already: it can no longer be corrected.")
# Form fields' sizes (the columns of storage.models.HelpRequest).
NAME_LIMIT, PHONE_LIMIT, NOTE_LIMIT = 40, 20, 1000
# What staff type for a request, in the form and the API alike (`entered_from` checks it).
FIELDS = ("kind", "district", "day", "start", "end", "first_name", "phone", "note")
# Of those, the ones that make the time it is wanted.
TIME_FIELDS = ("day", "start", "end")


def register(blueprint: Blueprint) -> None:
    rules: list[tuple[str, str, Any, list[str]]] = [
        ("/requests", "request_board", board, ["GET"]),
        ("/requests/new", "request_new", new, ["GET", "POST"]),
        ("/requests/<id:request_id>", "request_page", page, ["GET"]),
        ("/requests/<id:request_id>/offer", "request_offer", offer, ["POST"]),
        ("/requests/<id:request_id>/edit", "request_edit", edit, ["GET", "POST"]),
    ]
    for path, endpoint, view, methods in rules:
        blueprint.add_url_rule(path, endpoint, _coordinators_only(view), methods=methods)


def _coordinators_only(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if not may_coordinate():
            abort(404)
        return view(*args, **kwargs)

    return checked


# Words shared with the API.


def status_label(status: str) -> str:
    label = REQUEST_STATUSES.get(status)
    return gettext(label) if label else status


def kind_label(kind: str) -> str:
    return gettext(KIND_NAMES[kind]) if kind in KIND_NAMES else "-"


def answer_label(answer: str | None) -> str:
    label = OFFER_ANSWERS.get(answer)
    return gettext(label) if label else str(answer)


def reason_words(reason: supporter_matching.Reason) -> str:
    label = REASONS.get(reason.code)
    if label is None:
        return reason.code
    days = get_day_names("abbreviated", locale=language())
    day = str(days[reason.weekday]) if reason.weekday is not None else ""
    band = gettext(BAND_NAMES[reason.band]) if reason.band in BAND_NAMES else ""
    return gettext(label, day=day, band=band, count=reason.count, km=reason.km)


def when_words(help_request: HelpRequest) -> str:
    start = local_time(help_request.wanted_from)
    until = help_request.wanted_until
    if until is None:
        return start
    same_day = (
        until.astimezone(TOWN_TZ).date() == help_request.wanted_from.astimezone(TOWN_TZ).date()
    )
    return f"{start}〜{local_time(until, 'HH:mm') if same_day else local_time(until)}"


def supporter_name(supporter: Supporter) -> str:
    return supporter.first_name or gettext("(left: name deleted)")


# Steps shared with the API.


def offer_to(
    session: Session, staff: Staff, help_request: HelpRequest, chosen: Sequence[int]
) -> list[HelpOffer]:
    """Offer the request to these supporters, if each is among its matches and not asked
    before; sends the LINE offers, audits, and wakes the sender. ValueError: a supporter
    chosen who may not be asked, or a request nobody may be asked about now."""
    if help_request.status not in supporters.OFFERABLE or help_request.taken_by_id is not None:
        raise ValueError("not offerable")
    open_ids = {
        match.supporter.id
        for match in supporter_matching.ranked(session, help_request, now())
        if not match.asked
    }
    if not chosen or not set(chosen) <= open_ids:
        raise ValueError("not a match")
    offers = app_services().resident_actions.offer_help(
        session, help_request, supporters.supporters_by_ids(session, chosen), now()
    )
    audit.record(
        session,
        "help_request.offer",
        now(),
        staff=staff,
        detail={"help_request": help_request.id, "supporters": sorted(chosen)},
        ip=client_ip(),
    )
    session.flush()
    return offers


def wake_sender() -> None:
    # The offers wait in the outbox; wake the sender instead of letting it poll.
    app_services().wake()


def audit_view(session: Session, staff: Staff, action: str, detail: dict[str, Any]) -> None:
    audit.record(session, action, now(), staff=staff, detail=detail, ip=client_ip())


def may_change(help_request: HelpRequest) -> bool:
    """Whether its details may still be corrected: not yet out to supporters, not taken."""
    return help_request.status in supporters.CHANGEABLE and help_request.taken_by_id is None


# Pages.


@dataclass(frozen=True)
class Line:
    """One request on the board, in the reader's words (no name: the page has it)."""

    id: int
    kind: str
    district: str
    when: str
    status: str
    status_label: str
    taken_by: str
    created: str


def board() -> str:
    wanted = request.args.get("status", "")
    if wanted and wanted not in supporters.BOARD_STATUSES:
        abort(400, description="unknown status")
    with work() as (session, staff):
        shown = supporters.board(
            session, [wanted] if wanted else supporters.BOARD_STATUSES, LIST_LIMIT
        )
        lines = [_line(help_request) for help_request in shown]
        counts = supporters.board_counts(session)
        audit_view(session, staff, "help_request.board", {})
    filters = [
        (status, status_label(status), counts[status]) for status in supporters.BOARD_STATUSES
    ]
    return render_template(
        "console/requests/board.html", lines=lines, filters=filters, wanted=wanted
    )


def _line(help_request: HelpRequest) -> Line:
    taken_by = help_request.taken_by
    return Line(
        id=help_request.id,
        kind=kind_label(help_request.kind),
        district=help_request.district.name if help_request.district else "",
        when=when_words(help_request),
        status=help_request.status,
        status_label=status_label(help_request.status),
        taken_by=supporter_name(taken_by) if taken_by is not None else "",
        created=local_time(help_request.created_at),
    )


@dataclass(frozen=True)
class Suggestion:
    """One ranked match on the request's page."""

    id: int
    name: str
    district: str
    reasons: list[str]
    asked: bool


@dataclass(frozen=True)
class OfferLine:
    name: str
    sent: str
    answer: str | None
    answer_label: str
    answered: str


def page(request_id: int) -> str:
    with work() as (session, staff):
        help_request = _request_or_404(session, request_id)
        offerable = help_request.status in supporters.OFFERABLE
        suggestions = (
            [_suggestion(m) for m in supporter_matching.ranked(session, help_request, now())]
            if offerable
            else []
        )
        offers = [_offer_line(o) for o in supporters.offers_of(session, help_request)]
        audit_view(session, staff, "help_request.view", {"help_request": help_request.id})
        details = {
            "id": help_request.id,
            "kind": kind_label(help_request.kind),
            "district": help_request.district.name if help_request.district else "",
            "when": when_words(help_request),
            "note": help_request.note,
            "status": help_request.status,
            "status_label": status_label(help_request.status),
            "first_name": help_request.first_name,
            "resident_id": help_request.resident_id,
        }
        changeable = may_change(help_request)
    return render_template(
        "console/requests/page.html",
        details=details,
        suggestions=suggestions,
        offers=offers,
        offerable=offerable,
        changeable=changeable,
    )


def _request_or_404(session: Session, request_id: int, *, lock: bool = False) -> HelpRequest:
    found = supporters.request_by_id(session, request_id, lock=lock)
    if found is None:
        abort(404)
    return found


def _suggestion(match: supporter_matching.Match) -> Suggestion:
    supporter = match.supporter
    return Suggestion(
        id=supporter.id,
        name=supporter_name(supporter),
        district=supporter.district.name if supporter.district else "",
        reasons=[reason_words(reason) for reason in match.reasons],
        asked=match.asked,
    )


def _offer_line(help_offer: HelpOffer) -> OfferLine:
    return OfferLine(
        name=supporter_name(help_offer.supporter),
        sent=local_time(help_offer.sent_at),
        answer=help_offer.answer,
        answer_label=answer_label(help_offer.answer),
        answered=local_time(help_offer.answered_at),
    )


def offer(request_id: int) -> Response:
    read = [params.positive_id(value) for value in request.form.getlist("supporter")]
    chosen = [number for number in read if number is not None]
    if len(chosen) != len(read):
        abort(400)
    with work() as (session, staff):
        help_request = _request_or_404(session, request_id)
        if help_request.status not in supporters.OFFERABLE:
            abort(409, description="this request is not waiting for a supporter")
        try:
            offers = offer_to(session, staff, help_request, chosen)
        except ValueError:
            offers = None
    if offers is None:
        flash(_("Choose at least one of the supporters listed."), "error")
    else:
        wake_sender()
        flash(_("Asked {count} supporters in LINE.", count=len(offers)), "success")
    return redirect(url_for("console.request_page", request_id=request_id))


# Entering a request.


@dataclass(frozen=True)
class Entered:
    """A request as staff typed it, checked. Its fields are named as the keywords of
    storage.supporters.new_request and change_request, so `asdict` hands them all on to
    either (and a field added here reaches both)."""

    kind: str
    district_id: int | None
    wanted_from: datetime
    wanted_until: datetime | None
    first_name: str
    phone: str
    note: str


def new() -> Response | str:
    return _form_page(
        "console/requests/new.html",
        save=_create_from_form,
        saved=N_("Request entered. Choose whom to ask."),
        shown=lambda _session, _staff: request.args,
    )


def edit(request_id: int) -> Response | str:
    """直す: the request's details, while it is not yet out to supporters (409 after)."""
    return _form_page(
        "console/requests/edit.html",
        save=lambda: _change_from_form(request_id),
        saved=N_("Request corrected."),
        shown=lambda session, staff: _shown_for_change(session, staff, request_id),
        request_id=request_id,
    )


def _form_page(
    template: str,
    *,
    save: Callable[[], int],
    saved: str,
    shown: Callable[[Session, Staff], Mapping[str, str]],
    **context: Any,
) -> Response | str:
    """A request's form, entering or correcting: on POST `save` (the request's id, or
    FormError with the reason, shown over the form as typed), then the request's page; else
    the form filled with `shown`."""
    error = None
    if request.method == "POST":
        try:
            request_id = save()
        except forms.FormError as refused:
            error = str(refused)
        else:
            flash(gettext(saved), "success")
            return redirect(url_for("console.request_page", request_id=request_id))
    with work() as (session, staff):
        filled = shown(session, staff)
        places = [(str(d.id), d.name) for d in districts.all_districts(session)]
    kinds = [(code, gettext(label)) for code, label in HELP_KINDS]
    return render_template(
        template,
        error=error,
        places=places,
        kinds=kinds,
        form=request.form if request.method == "POST" else filled,
        shown=filled,
        **context,
    )


def _typed() -> dict[str, str]:
    """The request's fields as posted, trimmed (`entered_from` checks them)."""
    return {name: request.form.get(name, "").strip() for name in FIELDS}


def _create_from_form() -> int:
    with work() as (session, staff):
        resident, ticket_id = _resident_from_form(session, staff)
        entered = entered_from(session=session, **_typed())
        return create(session, staff, resident, entered, ticket_id).id


def _shown_for_change(session: Session, staff: Staff, request_id: int) -> dict[str, str]:
    help_request = _request_or_404(session, request_id)
    if not may_change(help_request):
        raise Conflict(NOT_CHANGEABLE)
    # The form shows the phone, which the request's page does not: a view of its own.
    audit_view(session, staff, "help_request.view", {"help_request": help_request.id})
    typed = typed_now(help_request)
    # A window of several days has no end time on the form: said above it, as it is now.
    several_days = help_request.wanted_until is not None and not typed["end"]
    return {**typed, "when": when_words(help_request) if several_days else ""}


def _change_from_form(request_id: int) -> int:
    with work() as (session, staff):
        help_request = _request_or_404(session, request_id, lock=True)
        change(session, staff, help_request, _typed())
        return help_request.id


def _resident_from_form(session: Session, staff: Staff) -> tuple[Resident, int | None]:
    reference = forms.text("ticket", 20)
    if reference:
        ticket = visible_ticket(session, staff, reference)
        return ticket.resident, ticket.id
    resident_id = forms.optional_integer(
        "resident", 1, 2**31 - 1, _("Give the resident's number or a ticket number.")
    )
    if resident_id is None:
        raise forms.FormError(_("Give the resident's number or a ticket number."))
    resident = resident_record.open_for(session, staff, resident_id)
    if resident is None:
        raise forms.FormError(_("There is no resident with that number you may see."))
    return resident, None


def entered_from(
    *,
    kind: str,
    district: str,
    day: str,
    start: str,
    end: str,
    first_name: str,
    phone: str,
    note: str,
    session: Session,
) -> Entered:
    """Check what was typed (a form or the API): FormError with a reason staff can act on."""
    if kind not in KIND_NAMES:
        raise forms.FormError(_("Choose the kind of help."))
    for value, limit in ((first_name, NAME_LIMIT), (phone, PHONE_LIMIT), (note, NOTE_LIMIT)):
        if len(value) > limit:
            raise forms.FormError(_("Too long: at most {limit} characters.", limit=limit))
    district_id = None
    if district:
        number = params.positive_id(district)
        found = districts.by_id(session, number) if number is not None else None
        if found is None:
            raise forms.FormError(_("Choose a district from the list."))
        district_id = found.id
    wanted_from = _moment(day, start)
    wanted_until = _moment(day, end) if end else None
    if wanted_from is None or (end and wanted_until is None):
        raise forms.FormError(_("Give the day as YYYY-MM-DD and times as HH:MM."))
    if wanted_until is not None and wanted_until <= wanted_from:
        raise forms.FormError(_("The end comes after the start."))
    return Entered(kind, district_id, wanted_from, wanted_until, first_name, phone, note)


def _moment(day: str, clock: str) -> datetime | None:
    try:
        local = datetime.strptime(f"{day} {clock}", "%Y-%m-%d %H:%M")
    except ValueError:
        return None
    if not 2000 <= local.year <= 2100:
        return None
    return local.replace(tzinfo=TOWN_TZ)


def create(
    session: Session, staff: Staff, resident: Resident, entered: Entered, ticket_id: int | None
) -> HelpRequest:
    """Enter the request for `resident` and audit it (no note or name in the audit)."""
    made = supporters.new_request(
        session, resident, now=now(), ticket_id=ticket_id, **asdict(entered)
    )
    audit.record(
        session,
        "help_request.create",
        now(),
        staff=staff,
        detail={"help_request": made.id, "resident": resident.id},
        ip=client_ip(),
    )
    return made


# Correcting a request.


def typed_now(help_request: HelpRequest) -> dict[str, str]:
    """The request as its form would have it typed (`FIELDS`). A window of several days has
    no end time on its day: the end is left blank."""
    start = help_request.wanted_from.astimezone(TOWN_TZ)
    until = help_request.wanted_until
    end = until.astimezone(TOWN_TZ) if until is not None else None
    return {
        "kind": help_request.kind,
        "district": str(help_request.district_id or ""),
        "day": start.strftime("%Y-%m-%d"),
        "start": start.strftime("%H:%M"),
        "end": end.strftime("%H:%M") if end is not None and end.date() == start.date() else "",
        "first_name": help_request.first_name,
        "phone": help_request.phone,
        "note": help_request.note,
    }


def change(
    session: Session, staff: Staff, help_request: HelpRequest, given: Mapping[str, str]
) -> list[str]:
    """Correct the request with what is given of `FIELDS` (the form gives all; the API those
    it names), checked as when it was entered; the rest stays. The day and times change only
    if one of them does, so a window of several days stays as it was unless they do.

    Audited with the names of the fields that changed, never their values (names and phones
    are personal data). FormError: what was typed; Conflict: the request is out to
    supporters already (another coordinator may have just offered it)."""
    if not may_change(help_request):
        raise Conflict(NOT_CHANGEABLE)
    before = typed_now(help_request)
    typed = {**before, **given}
    entered = entered_from(session=session, **typed)
    if all(typed[name] == before[name] for name in TIME_FIELDS):
        entered = replace(
            entered, wanted_from=help_request.wanted_from, wanted_until=help_request.wanted_until
        )
    changed = supporters.change_request(session, help_request, now(), **asdict(entered))
    if changed is None:
        raise Conflict(NOT_CHANGEABLE)
    if changed:
        audit.record(
            session,
            "help_request.change",
            now(),
            staff=staff,
            detail={"help_request": help_request.id, "fields": changed},
            ip=client_ip(),
        )
    return changed
