"""生活応援隊 after a supporter has taken a request: the reminder the evening before, the
question afterwards (完了 / できなかった, then how long or why, each one tap), and the person
helped's one-tap word on it.

The reminder and the question are deadlines (storage/help_visits.py), fired by the
scheduler through `HANDLERS`; the taps come through handlers/supporter_offers.py. A report
of help not done goes to the coordinators' LINE group too, as they follow it up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from flows import outgoing
from flows.engine import Turn
from flows.messages import Button, Message, text
from flows.postback import DONE, NOT_DONE, HelpFeedback, HelpReport
from flows.supporter_offers import kind_name, named, when_wanted
from locales import gettext
from storage import deadlines, help_visits, outbox, routing
from storage.models import FEEDBACK, HELP_MINUTES, NOT_DONE_REASONS, HelpRequest, Resident
from storage.supporters import COORDINATING_TEAM


def remind(session: Session, due: Sequence[deadlines.Due], now: datetime) -> None:
    """The evening before: both sides are reminded of tomorrow, with how to reach each other."""
    for deadline in due:
        request = help_visits.still_taken(session, deadline.subject_id)
        if request is None or request.taken_by is None:
            continue  # done early, returned or cancelled meanwhile: nothing to remind of
        supporter = request.taken_by
        lang = supporter.resident.language
        _tell(
            session,
            supporter.resident,
            gettext(
                lang,
                "[生活応援隊] A reminder for tomorrow: {kind}, {when}. {name}'s phone: {phone}",
                kind=kind_name(lang, request.kind),
                when=when_wanted(lang, request),
                name=named(lang, request.first_name),
                phone=request.phone or "-",
            ),
            now,
        )
        lang = request.resident.language
        _tell(
            session,
            request.resident,
            gettext(
                lang,
                "[生活応援隊] Tomorrow {name} comes to help: {kind}, {when}. Their phone: {phone}",
                name=named(lang, supporter.first_name or ""),
                kind=kind_name(lang, request.kind),
                when=when_wanted(lang, request),
                phone=supporter.phone or "-",
            ),
            now,
        )


def ask_report(session: Session, due: Sequence[deadlines.Due], now: datetime) -> None:
    """Afterwards, the supporter is asked how it went: 完了 / できなかった."""
    for deadline in due:
        request = help_visits.still_taken(session, deadline.subject_id)
        if request is None or request.taken_by is None:
            continue
        resident = request.taken_by.resident
        lang = resident.language
        message = text(
            gettext(
                lang,
                "[生活応援隊] How did it go? {kind}, {when}",
                kind=kind_name(lang, request.kind),
                when=when_wanted(lang, request),
            ),
            [
                Button(gettext(lang, "Done"), HelpReport(str(request.id), DONE)),
                Button(gettext(lang, "Could not do it"), HelpReport(str(request.id), NOT_DONE)),
            ],
        )
        outgoing.push(session, resident, [message], now)


# How a tap finds its request: the supporter's (taken by them) or the person helped's.
Finder = Callable[[Session, int, Resident], HelpRequest | None]

HANDLERS = {help_visits.REMIND: remind, help_visits.ASK_REPORT: ask_report}


def report(turn: Turn, tapped: HelpReport) -> None:
    """A supporter's tap on the question: first 完了 or できなかった, then how long or why."""
    request = _request(turn, tapped.request_id, help_visits.taken_by_resident)
    if request is None or tapped.outcome not in (DONE, NOT_DONE):
        turn.say(text(turn._("Sorry, this request is no longer available. Thank you.")))
        return
    if not tapped.detail:
        turn.say(_second_question(turn, request, tapped.outcome))
        return
    session, now = turn.session, turn.now
    try:
        if tapped.outcome == DONE:
            outcome = help_visits.report_done(session, request, int(tapped.detail), now)
        else:
            outcome = help_visits.report_not_done(session, request, tapped.detail, now)
    except ValueError:
        turn.say(_second_question(turn, request, tapped.outcome))
        return
    if outcome == "already":
        turn.say(text(turn._("You have already told us about this one. Thank you.")))
    elif outcome == "not_yours":
        turn.say(text(turn._("Sorry, this request is no longer available. Thank you.")))
    elif tapped.outcome == DONE:
        turn.say(text(turn._("Thank you so much! It is recorded.")))
        _ask_feedback(session, request, now)
    else:
        turn.say(text(turn._("Thank you for letting us know. The coordinator may call you.")))
        _tell_coordinators(session, request, now)


def feedback(turn: Turn, tapped: HelpFeedback) -> None:
    """The person helped's one tap on how it went."""
    request = _request(turn, tapped.request_id, help_visits.helped_resident)
    if request is None or tapped.answer not in dict(FEEDBACK):
        turn.say(text(turn._("Sorry, this request is no longer available. Thank you.")))
        return
    if help_visits.give_feedback(turn.session, request, tapped.answer, turn.now):
        turn.say(text(turn._("Thank you for telling us.")))
    else:
        turn.say(text(turn._("We have your answer already. Thank you.")))


def _second_question(turn: Turn, request: HelpRequest, outcome: str) -> Message:
    rid = str(request.id)
    if outcome == DONE:
        return text(
            turn._("Thank you! About how long did it take?"),
            [Button(turn._(label), HelpReport(rid, DONE, str(m))) for m, label in HELP_MINUTES],
        )
    return text(
        turn._("Thank you for telling us. What happened?"),
        [
            Button(turn._(label), HelpReport(rid, NOT_DONE, code))
            for code, label in NOT_DONE_REASONS
        ],
    )


def _ask_feedback(session: Session, request: HelpRequest, now: datetime) -> None:
    resident, supporter = request.resident, request.taken_by
    lang = resident.language
    message = text(
        gettext(
            lang,
            "[生活応援隊] How was the help from {name}? ({kind})",
            name=named(lang, supporter.first_name or "" if supporter else ""),
            kind=kind_name(lang, request.kind),
        ),
        [
            Button(gettext(lang, label), HelpFeedback(str(request.id), code))
            for code, label in FEEDBACK
        ],
    )
    outgoing.push(session, resident, [message], now)


def _tell_coordinators(session: Session, request: HelpRequest, now: datetime) -> None:
    team = routing.team_by_slug(session, COORDINATING_TEAM)
    if team is None:
        return
    reason = dict(NOT_DONE_REASONS).get(request.not_done_reason or "", "")
    body = gettext(
        "ja",
        "[生活応援隊] Request #{number} could not be done ({reason}). Please follow it up.",
        number=request.id,
        reason=gettext("ja", reason) if reason else "-",
    )
    outbox.alert_team(session, team, [text(body)], now)


def _request(turn: Turn, request_id: str, find: Finder) -> HelpRequest | None:
    if not request_id.isdigit():
        return None
    return find(turn.session, int(request_id), turn.resident)


def _tell(session: Session, resident: Resident, words: str, now: datetime) -> None:
    outgoing.push(session, resident, [text(words)], now)
