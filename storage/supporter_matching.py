"""生活応援隊 matching: for one help request, the supporters who could take it, best first, each
with the reasons a coordinator reads beside the name.

Who is in: approved, active supporters who offer the kind of help asked for; never the person
helped themselves, nor a supporter who already declined this request. The order, one rule
after another (the next decides only between equals):
1. place: the same district; else within the distance they said they would go (district
   centre to district centre, storage/geo.py); else further away (shown, ranked last: the
   coordinator may know better);
2. availability: the request's weekday and part of the day both among theirs, then one (a
   request for a window of several days, as 今週中 or 来週: any day of it, any part of the day);
3. fairness: fewer requests taken in the last 30 days, then longer since the last one (never
   helped comes first), so the work is shared rather than always going to the keenest.

`rank` is pure (rows and counts in, matches out); `ranked` gathers what it needs with the
named queries below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from locales import TOWN_TZ
from storage.geo import distance_m
from storage.models import HelpOffer, HelpRequest, Supporter

# How far back "taken lately" looks.
FAIRNESS_WINDOW = timedelta(days=30)
# Parts of the day by the town's clock (storage.models.TIME_BANDS): from this hour on.
BAND_STARTS: tuple[tuple[int, str], ...] = ((0, "morning"), (12, "afternoon"), (17, "evening"))

# Every reason's code: the place, then the time, then the work taken lately.
REASONS = (
    "same_district",
    "within_reach",
    "outside_area",
    "district_unknown",
    "free",
    "free_day_only",
    "free_band_only",
    "not_free",
    "taken_lately",
)
Place = Literal["same", "near", "far", "unknown"]
_PLACE_RANK: Mapping[Place, int] = {"same": 0, "near": 1, "unknown": 2, "far": 3}


@dataclass(frozen=True)
class Reason:
    """One reason, by code (REASONS); the console puts it in the reader's words with its
    values: `weekday` (Monday = 0) and `band` (a TIME_BANDS value) named in their language."""

    code: str
    weekday: int | None = None
    band: str | None = None
    count: int | None = None
    km: float | None = None


@dataclass(frozen=True)
class Match:
    supporter: Supporter
    place: Place
    # Whether the request's weekday / part of the day is among the supporter's.
    day_ok: bool
    band_ok: bool
    taken_lately: int
    # Already asked about this request (waiting, or too late): they cannot be asked again.
    asked: bool
    reasons: tuple[Reason, ...] = field(default=())


@dataclass(frozen=True)
class Facts:
    """What ranking needs beyond the rows: per supporter id."""

    taken_lately: Mapping[int, int]
    declined: frozenset[int]
    asked: frozenset[int]


def band_of(moment: datetime) -> str:
    """The part of the day `moment` falls in, by the town's clock."""
    hour = moment.astimezone(TOWN_TZ).hour
    return [band for start, band in BAND_STARTS if hour >= start][-1]


def weekday_of(moment: datetime) -> int:
    return moment.astimezone(TOWN_TZ).weekday()


def rank(request: HelpRequest, supporters: Iterable[Supporter], facts: Facts) -> list[Match]:
    """The supporters who could take `request`, best first (see the module's rules)."""
    matches = [
        _match(request, supporter, facts)
        for supporter in supporters
        if _eligible(request, supporter, facts)
    ]
    return sorted(matches, key=_order)


def _eligible(request: HelpRequest, supporter: Supporter, facts: Facts) -> bool:
    return (
        supporter.status == "active"
        and supporter.approved_at is not None
        and request.kind in (supporter.kinds or [])
        and supporter.resident_id != request.resident_id
        and supporter.id not in facts.declined
    )


def _match(request: HelpRequest, supporter: Supporter, facts: Facts) -> Match:
    weekday, band, day_ok, band_ok = _when(request, supporter)
    place, km = place_of(request, supporter)
    taken = facts.taken_lately.get(supporter.id, 0)
    reasons = [_place_reason(place, km)]
    if day_ok and band_ok:
        reasons.append(Reason("free", weekday=weekday, band=band))
    elif day_ok:
        reasons.append(Reason("free_day_only", weekday=weekday, band=band))
    elif band_ok:
        reasons.append(Reason("free_band_only", weekday=weekday, band=band))
    else:
        reasons.append(Reason("not_free", weekday=weekday, band=band))
    reasons.append(Reason("taken_lately", count=taken))
    return Match(
        supporter=supporter,
        place=place,
        day_ok=day_ok,
        band_ok=band_ok,
        taken_lately=taken,
        asked=supporter.id in facts.asked,
        reasons=tuple(reasons),
    )


def _when(request: HelpRequest, supporter: Supporter) -> tuple[int, str, bool, bool]:
    """The weekday and part of the day to name in the reasons, and whether each is theirs.

    A request at one time is matched on that time. One for a window of several days (今週中,
    来週: a resident's request from a consultation) is matched on the first day of it the
    supporter is free, at a part of the day they give."""
    weekday, band = weekday_of(request.wanted_from), band_of(request.wanted_from)
    days, bands = supporter.weekdays or [], supporter.time_bands or []
    window = window_weekdays(request)
    if len(window) == 1:
        return weekday, band, weekday in days, band in bands
    day = next((d for d in window if d in days), weekday)
    return day, band if band in bands else next(iter(bands), band), day in days, bool(bands)


def window_weekdays(request: HelpRequest) -> list[int]:
    """The weekdays of the town days the request's window covers, in order (at most seven)."""
    first = request.wanted_from.astimezone(TOWN_TZ).date()
    until = request.wanted_until
    last = until.astimezone(TOWN_TZ).date() if until is not None else first
    return [(first + timedelta(days=n)).weekday() for n in range(min((last - first).days, 6) + 1)]


def place_of(request: HelpRequest, supporter: Supporter) -> tuple[Place, float | None]:
    """How the supporter's district stands to the request's, and the km between centres."""
    there, home = request.district, supporter.district
    if there is None or home is None:
        return "unknown", None
    if there.id == home.id:
        return "same", 0.0
    km = distance_m(there.latitude, there.longitude, home.latitude, home.longitude) / 1000
    if supporter.reach_km is not None and km <= supporter.reach_km:
        return "near", km
    return "far", km


def _place_reason(place: Place, km: float | None) -> Reason:
    if place == "same":
        return Reason("same_district")
    if place == "near":
        return Reason("within_reach", km=round(km or 0.0, 1))
    if place == "far":
        return Reason("outside_area", km=round(km or 0.0, 1))
    return Reason("district_unknown")


def _order(match: Match) -> tuple[int, int, int, datetime, int]:
    # Never helped: before anyone who has.
    never = datetime.min.replace(tzinfo=UTC)
    last = match.supporter.last_helped_at
    return (
        _PLACE_RANK[match.place],
        -(int(match.day_ok) + int(match.band_ok)),
        match.taken_lately,
        last if last is not None else never,
        match.supporter.id,
    )


# Queries.


def ranked(session: Session, request: HelpRequest, now: datetime) -> list[Match]:
    """The ranked matches for `request` as the coordinator sees them `now`."""
    facts = Facts(
        taken_lately=taken_since(session, now - FAIRNESS_WINDOW),
        declined=frozenset(declined_by(session, request)),
        asked=frozenset(asked_about(session, request)),
    )
    return rank(request, active_supporters(session), facts)


def active_supporters(session: Session) -> list[Supporter]:
    """Approved supporters taking offers, with their districts and residents loaded. Their
    kinds are a JSON list, filtered in Python: the same on SQLite and PostgreSQL, and a town
    has hundreds of supporters, not millions."""
    return list(
        session.scalars(
            select(Supporter)
            .options(selectinload(Supporter.district), selectinload(Supporter.resident))
            .where(Supporter.status == "active", Supporter.approved_at.is_not(None))
            .order_by(Supporter.id)
        )
    )


def taken_since(session: Session, since: datetime) -> dict[int, int]:
    """How many requests each supporter accepted since `since` (by their accepted offers: an
    offer keeps its answer when the request later goes back or is done)."""
    rows = session.execute(
        select(HelpOffer.supporter_id, func.count())
        .where(HelpOffer.answer == "accepted", HelpOffer.answered_at >= since)
        .group_by(HelpOffer.supporter_id)
    )
    return {supporter_id: count for supporter_id, count in rows}


def declined_by(session: Session, request: HelpRequest) -> set[int]:
    """Supporters who said 今回は無理 to this request."""
    return set(
        session.scalars(
            select(HelpOffer.supporter_id).where(
                HelpOffer.request_id == request.id, HelpOffer.answer == "declined"
            )
        )
    )


def asked_about(session: Session, request: HelpRequest) -> set[int]:
    """Supporters this request was ever put to, whatever they answered."""
    return set(
        session.scalars(select(HelpOffer.supporter_id).where(HelpOffer.request_id == request.id))
    )
