"""生活応援隊 offers in LINE: a request put to supporters, and what each answer brings.

An offer says what, roughly where (the district, never an address) and when, with no name,
and two buttons: 引き受ける / 今回は無理. The first supporter to accept gets the request,
exactly once (storage.supporters.accept); they are then told the first name and phone of the
person they help and the time, and that person is told the supporter's first name and phone.
Whoever taps later is told, kindly, that it has been taken. Every message goes through the
outbox, in the step's transaction.

Handling the tap belongs in handlers (handlers/supporter_offers.py); this module is the words
and the steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from flows import outgoing
from flows.engine import Turn
from flows.messages import Button, Message, text
from flows.postback import ACCEPT, DECLINE, OfferAnswer
from locales import TOWN_TZ, gettext, supported
from locales.watch_words import clock_time, day_of
from storage import help_visits, supporters
from storage.models import HELP_KINDS, HelpOffer, HelpRequest, Supporter

KIND_LABELS = dict(HELP_KINDS)


def send(
    session: Session,
    request: HelpRequest,
    volunteers: Sequence[Supporter],
    now: datetime,
    wait: timedelta = supporters.OFFER_WAIT,
) -> list[HelpOffer]:
    """Put the request to these supporters, each in their own language; the offers made (none
    for a supporter who is not active or was asked before)."""
    offers = supporters.offer(session, request, volunteers, now, wait)
    for offer in offers:
        outgoing.push(session, offer.supporter.resident, [offer_message(offer)], now)
    return offers


def offer_message(offer: HelpOffer) -> Message:
    request = offer.request
    lang = offer.supporter.resident.language
    district = request.district.name if request.district is not None else "-"
    body = gettext(
        lang,
        "[生活応援隊] Could you help?\n{kind}\nWhere: around {district}\nWhen: {when}",
        kind=kind_name(lang, request.kind),
        district=district,
        when=when_wanted(lang, request),
    )
    return text(
        body,
        [
            Button(gettext(lang, "I'll do it"), OfferAnswer(str(offer.id), ACCEPT)),
            Button(gettext(lang, "Not this time"), OfferAnswer(str(offer.id), DECLINE)),
        ],
    )


def when_wanted(language: str, request: HelpRequest) -> str:
    """5月3日(土) 10:00〜12:00, or from its start if no end is set."""
    start = request.wanted_from
    said = f"{day_of(language, start)} {clock_time(start)}"
    until = request.wanted_until
    if until is None:
        return said
    same_day = until.astimezone(TOWN_TZ).date() == start.astimezone(TOWN_TZ).date()
    end = clock_time(until) if same_day else f"{day_of(language, until)} {clock_time(until)}"
    return gettext(language, "{start} to {end}", start=said, end=end)


def answer(turn: Turn, tapped: OfferAnswer) -> None:
    """A supporter's tap on an offer: accepted, declined, or a kind word why it cannot be."""
    session, now = turn.session, turn.now
    offer = _offer_of(turn, tapped)
    if offer is None:
        turn.say(text(turn._("Sorry, this request is no longer available. Thank you.")))
        return
    if tapped.answer == DECLINE:
        supporters.decline(session, offer, now)
        turn.say(text(turn._("Thank you for letting us know. We will ask you another time.")))
        return
    if tapped.answer != ACCEPT:
        turn.say(text(turn._("Sorry, this request is no longer available. Thank you.")))
        return
    outcome = supporters.accept(session, offer, now)
    if outcome in ("accepted", "yours"):
        turn.say(_for_the_supporter(turn, offer.request))
        if outcome == "accepted":
            _tell_the_person_helped(session, offer, now)
            help_visits.plan_visit(session, offer.request, now)
    elif outcome == "taken":
        turn.say(
            text(
                turn._(
                    "Thank you! Someone else has just taken this one on. We will ask you "
                    "another time."
                )
            )
        )
    elif outcome == "answered":
        turn.say(text(turn._("You have already answered this request. Thank you.")))
    else:
        turn.say(
            text(turn._("Thank you! This request is no longer open. We will ask you another time."))
        )


def _offer_of(turn: Turn, tapped: OfferAnswer) -> HelpOffer | None:
    """The offer tapped, if it was made to this very resident."""
    if not tapped.offer_id.isdigit():
        return None
    offer = supporters.offer_by_id(turn.session, int(tapped.offer_id))
    if offer is None or offer.supporter.resident_id != turn.resident.id:
        return None
    return offer


def _for_the_supporter(turn: Turn, request: HelpRequest) -> Message:
    lang = turn.resident.language
    lines = [
        turn._(
            "Thank you for taking this on!\n{kind}, {when}\nPlease call {name} at {phone} "
            "beforehand.",
            kind=kind_name(lang, request.kind),
            when=when_wanted(lang, request),
            name=named(lang, request.first_name),
            phone=request.phone or "-",
        )
    ]
    if request.note:
        lines.append(turn._("Note: {note}", note=request.note))
    return text("\n".join(lines))


def _tell_the_person_helped(session: Session, offer: HelpOffer, now: datetime) -> None:
    request, supporter = offer.request, offer.supporter
    resident = request.resident
    lang = resident.language
    message = text(
        gettext(
            lang,
            "[生活応援隊] {name} will help you: {kind}, {when}. They will call you "
            "beforehand. Their phone: {phone}",
            name=named(lang, supporter.first_name or ""),
            kind=kind_name(lang, request.kind),
            when=when_wanted(lang, request),
            phone=supporter.phone or "-",
        )
    )
    outgoing.push(session, resident, [message], now)


def kind_name(language: str, kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return gettext(language, label) if label else kind


def named(language: str, first_name: str) -> str:
    if not first_name:
        return gettext(language, "the person")
    return f"{first_name}さん" if supported(language) == "ja" else first_name
