"""Where a resident lives: the town's districts grouped by area for buttons, a district named
in what they typed, and a shared location placed in the district whose centre is nearest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from flows.inputs import normalise
from flows.text import to_hiragana
from storage import geo

# Re-exported: the flows ask this module about districts, the rows come from storage.
from storage.districts import all_districts as all_districts
from storage.districts import by_slug as by_slug
from storage.models import District

# A point farther than this from every district centre is taken to be outside the city: the
# widest sample district (片浦) reaches about 3 km from its centre.
OUTSIDE_CITY_KM = 4.0


def areas(session: Session) -> list[str]:
    """The community areas, in the order their first district appears."""
    seen: dict[str, None] = {}
    for district in all_districts(session):
        seen.setdefault(district.area, None)
    return list(seen)


def in_area(session: Session, area: str) -> list[District]:
    return [district for district in all_districts(session) if district.area == area]


def named_in(session: Session, typed: str) -> District | None:
    """The district a resident names in what they typed (早川, はやかわ, 早川です), the longest
    name first so 東富水 is not read as 富水; None if none is named."""
    folded = to_hiragana(normalise(typed))
    found = [
        district
        for district in all_districts(session)
        if normalise(district.name) in folded
        or (district.name_kana and to_hiragana(normalise(district.name_kana)) in folded)
    ]
    return max(found, key=lambda district: len(district.name), default=None)


def of_location(session: Session, location: Any) -> District | None:
    """The district of a location a resident shared (LINE's location message), if any."""
    if location is None:
        return None
    return nearest(session, location.latitude, location.longitude)


def nearest(session: Session, latitude: float, longitude: float) -> District | None:
    """The district whose centre is nearest the point; None when the point is outside the city."""
    best: tuple[float, District] | None = None
    for district in all_districts(session):
        km = distance_km(latitude, longitude, district.latitude, district.longitude)
        if best is None or km < best[0]:
            best = (km, district)
    if best is None or best[0] > OUTSIDE_CITY_KM:
        return None
    return best[1]


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return geo.distance_m(lat1, lon1, lat2, lon2) / 1000
