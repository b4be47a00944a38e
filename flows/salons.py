"""Finding a salon: near me, by district, by weekday or by kind, then maybe one more filter.

サロンを探す → 近くで (share a location) / 地区で (a district typed by the name residents use,
or the area as a help, then its district) / 曜日で / 種類で →
an optional second filter (子育て向け, 曜日で …) or この条件で探す → a carousel of up to ten
salons with the next date, distance, place, fee, a map button, a phone button and 行ってみたい,
which answers how to join (no ticket). Nothing found offers to widen the search.
The cards themselves are drawn by flows/salon_cards.py; the diagram is flows/salons.mmd.
"""

from __future__ import annotations

from typing import Any

from babel.dates import get_day_names
from transitions import EventData

from flows import cards, districts, engine, taps
from flows.engine import Flow, FlowModel, Turn
from flows.inputs import UserInput, normalise
from flows.messages import Button, LocationButton, Message, text
from flows.postback import FlowAnswer
from flows.replies import main_menu
from flows.salon_cards import card, how_to_join
from locales import N_, supported
from locales.salon_kinds import KIND_LABELS
from storage import salons
from storage.models import KINDS, District
from storage.salon_schedule import WEEKDAY_CHARS
from storage.salons import DEFAULT_MAX_WALK_M, SalonQuery

NAME = "salons"
FIRST_FILTERS = ("near", "district", "weekday", "kind")
# "Near me" widens by doubling up to this walk (beyond, a bus or a lift is needed anyway).
MAX_WALK_M = 24_000.0
# A shared location is kept only to about 100 m: plenty for a walking distance, less personal.
LOCATION_DIGITS = 3
# LINE allows 13 quick replies of 20 characters; the district question leaves room for the
# resident's own district and "change the search" beside the areas.
QUICK_LABEL_MAX = 20
MAX_AREA_BUTTONS = 11

# The second-filter buttons for audiences.
AUDIENCE_BUTTONS = {
    "parents": N_("For parents"),
    "elderly": N_("For older people"),
    "disability": N_("Disability-friendly"),
}
BY_LABELS = {
    "near": N_("Near me"),
    "district": N_("By district"),
    "weekday": N_("By weekday"),
    "kind": N_("By kind"),
}


def _ev(event: str, value: str = "") -> FlowAnswer:
    return FlowAnswer(NAME, event, value)


class SalonModel(FlowModel):
    """Callbacks; the search so far lives in conversation data (`filters` in the order chosen)."""

    # --- conditions -----------------------------------------------------------------------

    def is_second(self, event: EventData) -> bool:
        return len(self.data.get("filters", [])) >= 1

    def has_location(self, event: EventData) -> bool:
        return _coordinates(event.kwargs.get("value")) is not None

    def is_area(self, event: EventData) -> bool:
        areas = dict(salons.districts_by_area(self.turn.session))
        return event.kwargs.get("value") in areas

    def is_district(self, event: EventData) -> bool:
        value = str(event.kwargs.get("value", ""))
        if value == "all":
            return bool(self._districts_of_area())
        return self._district(value) is not None

    def is_weekday(self, event: EventData) -> bool:
        return str(event.kwargs.get("value", "")) in {str(day) for day in range(7)}

    def is_kind(self, event: EventData) -> bool:
        return event.kwargs.get("value") in KINDS

    def is_audience(self, event: EventData) -> bool:
        value = event.kwargs.get("value")
        return value in AUDIENCE_BUTTONS and "audience" not in self.data

    def can_use_location(self, event: EventData) -> bool:
        filters = self.data.get("filters", [])
        return "near" not in filters and "district" not in filters

    def can_use_weekday(self, event: EventData) -> bool:
        return "weekday" not in self.data.get("filters", [])

    def can_use_kind(self, event: EventData) -> bool:
        return "kind" not in self.data.get("filters", [])

    def has_more(self, event: EventData) -> bool:
        return _has_more(self.turn, self.data)

    def can_widen(self, event: EventData) -> bool:
        return event.kwargs.get("value") in _widenings(self.turn, self.data)

    # --- actions --------------------------------------------------------------------------

    def clear(self, event: EventData) -> None:
        self.data.clear()

    def set_location(self, event: EventData) -> None:
        latitude, longitude = _coordinates(event.kwargs["value"]) or (0.0, 0.0)
        self.data["near"] = [round(latitude, LOCATION_DIGITS), round(longitude, LOCATION_DIGITS)]
        self.data["walk"] = DEFAULT_MAX_WALK_M
        self._add("near")

    def set_area(self, event: EventData) -> None:
        self.data["area"] = event.kwargs["value"]

    def set_district(self, event: EventData) -> None:
        value = str(event.kwargs["value"])
        if value == "all":
            self.data["districts"] = [district.id for district in self._districts_of_area()]
            self.data["district_name"] = ""
        else:
            # Any district, typed or tapped: its area is kept to widen to later.
            district = self._district(value)
            assert district is not None  # the is_district condition let this transition through
            self.data["area"] = district.area
            self.data["districts"] = [district.id]
            self.data["district_name"] = district.name
        self._add("district")

    def set_weekday(self, event: EventData) -> None:
        self.data["weekday"] = int(event.kwargs["value"])
        self._add("weekday")

    def set_kind(self, event: EventData) -> None:
        self.data["kind"] = event.kwargs["value"]
        self._add("kind")

    def set_audience(self, event: EventData) -> None:
        self.data["audience"] = event.kwargs["value"]
        self._add("audience")

    def next_page(self, event: EventData) -> None:
        self.data["page"] = int(self.data.get("page", 0)) + 1

    def widen(self, event: EventData) -> None:
        how = event.kwargs["value"]
        data = self.data
        data["page"] = 0
        if how == "walk":
            data["walk"] = min(float(data.get("walk", DEFAULT_MAX_WALK_M)) * 2, MAX_WALK_M)
        elif how == "area":
            data["districts"] = [d.id for d in self._districts_of_area()]
            data["district_name"] = ""
        elif how == "drop":
            dropped = data["filters"].pop()
            for key in _KEYS_OF[dropped]:
                data.pop(key, None)

    def say_goodbye(self, event: EventData) -> None:
        turn = self.turn
        turn.say(main_menu(turn, turn._("Thank you. Is there anything else we can help with?")))

    def remember_join(self, event: EventData) -> None:
        self.data["joining"] = str(event.kwargs.get("value", ""))

    def _add(self, name: str) -> None:
        self.data["page"] = 0
        self.data.setdefault("filters", []).append(name)

    def _districts_of_area(self) -> list[District]:
        areas = dict(salons.districts_by_area(self.turn.session))
        return areas.get(self.data.get("area", ""), [])

    def _district(self, value: str) -> District | None:
        found = [d for d in districts.all_districts(self.turn.session) if str(d.id) == value]
        return found[0] if found else None


# What each filter keeps in conversation data, to drop it again.
_KEYS_OF = {
    "near": ("near", "walk"),
    "district": ("districts", "district_name", "area"),
    "weekday": ("weekday",),
    "kind": ("kind",),
    "audience": ("audience",),
}
_CHOOSERS = ["choosing", "refining"]
_FILTER_STATES = ["choosing", "locating", "refining"]
_SHOWING = ["results", "joining"]


def _filter_chosen(
    trigger: str, source: str | list[str], conditions: list[str], action: str
) -> list[dict[str, Any]]:
    """A filter set from `source`: the second one searches at once, the first asks for more."""
    return [
        {"trigger": trigger, "source": source, "dest": "results",
         "conditions": [*conditions, "is_second"], "before": action},
        {"trigger": trigger, "source": source, "dest": "refining",
         "conditions": conditions, "before": action},
    ]  # fmt: skip


class SalonFlow(Flow):
    name = NAME
    states = [
        "choosing", "locating", "area", "district", "weekday", "kind", "refining", "results",
        "joining", engine.FINAL,
    ]  # fmt: skip
    transitions = [
        {"trigger": "by_near", "source": _CHOOSERS, "dest": "locating",
         "conditions": "can_use_location"},
        {"trigger": "by_district", "source": [*_CHOOSERS, "locating"], "dest": "area",
         "conditions": "can_use_location"},
        {"trigger": "by_weekday", "source": _CHOOSERS, "dest": "weekday",
         "conditions": "can_use_weekday"},
        {"trigger": "by_kind", "source": _CHOOSERS, "dest": "kind", "conditions": "can_use_kind"},
        *_filter_chosen("located", _FILTER_STATES, ["has_location", "can_use_location"],
                       "set_location"),
        {"trigger": "area_chosen", "source": "area", "dest": "district", "conditions": "is_area",
         "before": "set_area"},
        {"trigger": "back", "source": "district", "dest": "area"},
        # A district typed by name (or the resident's own, tapped) is taken at once; the area
        # buttons are only a help for whoever does not know the name.
        *_filter_chosen("district_chosen", ["area", "district"], ["is_district"],
                        "set_district"),
        *_filter_chosen("weekday_chosen", "weekday", ["is_weekday"], "set_weekday"),
        *_filter_chosen("kind_chosen", "kind", ["is_kind"], "set_kind"),
        {"trigger": "audience_chosen", "source": "refining", "dest": "results",
         "conditions": "is_audience", "before": "set_audience"},
        {"trigger": "search", "source": "refining", "dest": "results"},
        {"trigger": "more", "source": _SHOWING, "dest": "results", "conditions": "has_more",
         "before": "next_page"},
        {"trigger": "widen", "source": _SHOWING, "dest": "results", "conditions": "can_widen",
         "before": "widen"},
        {"trigger": "join", "source": _SHOWING, "dest": "joining", "before": "remember_join"},
        {"trigger": "finish", "source": _SHOWING, "dest": engine.FINAL, "after": "say_goodbye"},
        {"trigger": "restart", "source": "*", "dest": "choosing", "before": "clear"},
    ]  # fmt: skip
    model_class = SalonModel

    def interpret(self, model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
        if given.kind == "location" and given.location is not None:
            where = f"{given.location.latitude},{given.location.longitude}"
            return "located", {"value": where}
        tapped = given.answer_to(self.name)
        if tapped is not None:
            return tapped.event, {"value": tapped.value}
        if given.kind == "text":
            return _typed(model, given)
        return None

    def ask(self, model: FlowModel) -> list[Message]:
        return _ASK[model.state](model.turn, model.data)


# --- what a resident types instead of tapping ----------------------------------------------------


def _typed(model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
    """Typing a button's label works like tapping it; so do 水曜 / 水 for a weekday."""
    said = given.normalised
    if not said:
        return None
    tapped = taps.typed_button(_ASK[model.state](model.turn, model.data), given, NAME)
    if tapped is not None:
        return tapped
    if model.state == "weekday":
        day = said.removesuffix("日").removesuffix("曜")
        if len(day) == 1 and day in WEEKDAY_CHARS:
            return "weekday_chosen", {"value": str(WEEKDAY_CHARS.index(day))}
    if model.state in ("area", "district"):
        # The name residents use (早川, はやかわ, 早川です), whatever area was chosen before.
        named = districts.named_in(model.turn.session, given.text)
        if named is not None:
            return "district_chosen", {"value": str(named.id)}
        areas = [area for area, _ in salons.districts_by_area(model.turn.session)]
        if said in {normalise(area) for area in areas}:
            return "area_chosen", {"value": next(a for a in areas if normalise(a) == said)}
    return None


def _coordinates(value: object) -> tuple[float, float] | None:
    try:
        latitude, longitude = (float(part) for part in str(value).split(","))
    except ValueError:
        return None
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    return latitude, longitude


# --- questions ------------------------------------------------------------------------------------


def _ask_choosing(turn: Turn, data: dict[str, Any]) -> list[Message]:
    buttons = [Button(turn._(BY_LABELS[by]), _ev(f"by_{by}")) for by in FIRST_FILTERS]
    return [text(turn._("Let us find a salon for you. How would you like to search?"), buttons)]


def _ask_locating(turn: Turn, data: dict[str, Any]) -> list[Message]:
    body = turn._(
        'Please tap "Send location" below and send where you are, or a place near your home. '
        "We use it only for this search."
    )
    buttons: list[Button | LocationButton] = [LocationButton(turn._("Send location"))]
    if "district" not in data.get("filters", []):
        buttons.append(Button(turn._(BY_LABELS["district"]), _ev("by_district")))
    buttons.append(Button(turn._("Change the search"), _ev("restart")))
    return [text(body, buttons)]


def _ask_area(turn: Turn, data: dict[str, Any]) -> list[Message]:
    """The district by the name residents use: typed, or their own tapped; the areas, each
    with district names to recognise it by, only help whoever does not know the name."""
    buttons = []
    home = turn.resident.district_id
    for district in districts.all_districts(turn.session):
        if district.id == home:
            label = turn._("{district} (your district)", district=district.name)
            buttons.append(Button(label[:QUICK_LABEL_MAX], _ev("district_chosen", str(home))))
    for area, in_area in salons.districts_by_area(turn.session)[:MAX_AREA_BUTTONS]:
        buttons.append(Button(_area_label(turn, area, in_area), _ev("area_chosen", area)))
    buttons.append(Button(turn._("Change the search"), _ev("restart")))
    body = turn._(
        "Which district shall we look in? Please send its name (for example, 早川).\n"
        "Not sure? Choose an area below."
    )
    return [text(body, buttons)]


def _area_label(turn: Turn, area: str, in_area: list[District]) -> str:
    """中部（緑・新玉…）: an area with as many of its district names as fit a button."""
    names: list[str] = []
    label = area
    for district in in_area:
        more = len(names) + 1 < len(in_area)
        joined = turn._(", ").join([*names, district.name]) + ("…" if more else "")
        candidate = turn._("{area} ({districts})", area=area, districts=joined)
        if len(candidate) > QUICK_LABEL_MAX:
            break
        names.append(district.name)
        label = candidate
    return label[:QUICK_LABEL_MAX]


def _ask_district(turn: Turn, data: dict[str, Any]) -> list[Message]:
    area = data.get("area", "")
    in_area = dict(salons.districts_by_area(turn.session)).get(area, [])
    buttons = [Button(d.name[:20], _ev("district_chosen", str(d.id))) for d in in_area[:11]]
    buttons.append(Button(turn._("All of {area}", area=area)[:20], _ev("district_chosen", "all")))
    buttons.append(Button(turn._("Other areas"), _ev("back")))
    return [text(turn._("Which district?"), buttons)]


def _ask_weekday(turn: Turn, data: dict[str, Any]) -> list[Message]:
    names = get_day_names("wide", locale=supported(turn.resident.language))
    buttons = [Button(names[day], _ev("weekday_chosen", str(day))) for day in range(7)]
    return [text(turn._("Which day of the week suits you?"), buttons)]


def _ask_kind(turn: Turn, data: dict[str, Any]) -> list[Message]:
    buttons = [Button(turn._(KIND_LABELS[kind]), _ev("kind_chosen", kind)) for kind in KINDS]
    return [text(turn._("What kind of gathering are you looking for?"), buttons)]


def _ask_refining(turn: Turn, data: dict[str, Any]) -> list[Message]:
    filters = data.get("filters", [])
    buttons = [Button(turn._("Search now"), _ev("search"))]
    buttons += [
        Button(turn._(label), _ev("audience_chosen", code))
        for code, label in AUDIENCE_BUTTONS.items()
    ]
    if "weekday" not in filters:
        buttons.append(Button(turn._(BY_LABELS["weekday"]), _ev("by_weekday")))
    if "kind" not in filters:
        buttons.append(Button(turn._(BY_LABELS["kind"]), _ev("by_kind")))
    if "near" not in filters and "district" not in filters:
        buttons.append(Button(turn._(BY_LABELS["near"]), _ev("by_near")))
        buttons.append(Button(turn._(BY_LABELS["district"]), _ev("by_district")))
    buttons.append(Button(turn._("Change the search"), _ev("restart")))
    body = turn._(
        "Searching: {conditions}. Would you like to narrow it down further, or search now?",
        conditions=_conditions(turn, data),
    )
    return [text(body, buttons)]


def _ask_results(turn: Turn, data: dict[str, Any]) -> list[Message]:
    page_number = int(data.get("page", 0))
    page = salons.search(turn.session, _query(data), turn.now, page=page_number)
    if not page.hits:
        return [_nothing_found(turn, data, page_number)]
    found = [card(turn, hit, _ev("join", str(hit.salon.id))) for hit in page.hits]
    names = "、".join(hit.salon.name for hit in page.hits)
    alt = turn._("Salons found: {names}", names=names)
    lead = turn._("Nearest first.") if "near" in data else turn._("Here is what we found.")
    lines = [lead, turn._('Tap "I\'d like to go" to see how to join.')]
    if page.has_more:
        lines.append(turn._('Tap "See more" for the next ones.'))
    return [
        cards.carousel(found, alt),
        text("\n".join(lines), _after_results(turn, data, page.has_more)),
    ]


def _ask_joining(turn: Turn, data: dict[str, Any]) -> list[Message]:
    salon = None
    if str(data.get("joining", "")).isdigit():
        salon = salons.find(turn.session, int(data["joining"]))
    buttons = _after_results(turn, data, _has_more(turn, data))
    if salon is None:
        sorry = turn._("Sorry, this salon is not meeting at the moment. Please choose another.")
        return [text(sorry, buttons)]
    return [text(how_to_join(turn, salon), buttons)]


def _ask_done(turn: Turn, data: dict[str, Any]) -> list[Message]:
    return []


_ASK = {
    "choosing": _ask_choosing,
    "locating": _ask_locating,
    "area": _ask_area,
    "district": _ask_district,
    "weekday": _ask_weekday,
    "kind": _ask_kind,
    "refining": _ask_refining,
    "results": _ask_results,
    "joining": _ask_joining,
    engine.FINAL: _ask_done,
}


def _has_more(turn: Turn, data: dict[str, Any]) -> bool:
    """Whether a page follows the one shown (asked again: a question never changes the state)."""
    page = int(data.get("page", 0))
    return salons.search(turn.session, _query(data), turn.now, page=page).has_more


def _after_results(turn: Turn, data: dict[str, Any], has_more: bool) -> list[Button]:
    """See more while there are more; on the last page near me, offer to look further."""
    if has_more:
        buttons = [Button(turn._("See more"), _ev("more"))]
    elif "walk" in _widenings(turn, data):
        buttons = [Button(turn._("Search further away"), _ev("widen", "walk"))]
    else:
        buttons = []
    buttons.append(Button(turn._("Change the search"), _ev("restart")))
    buttons.append(Button(turn._("Main menu"), _ev("finish")))
    return buttons


def _nothing_found(turn: Turn, data: dict[str, Any], page_number: int) -> Message:
    if page_number > 0:
        body = turn._("That was all of them.")
    else:
        body = turn._(
            "Sorry, we could not find a salon that matches {conditions}. "
            "Shall we widen the search?",
            conditions=_conditions(turn, data),
        )
    labels = {
        "walk": turn._("Search further away"),
        "area": turn._("Whole area"),
        "drop": turn._("Remove a condition"),
    }
    buttons = [Button(labels[how], _ev("widen", how)) for how in _widenings(turn, data)]
    buttons.append(Button(turn._("Change the search"), _ev("restart")))
    buttons.append(Button(turn._("Main menu"), _ev("finish")))
    return text(body, buttons)


def _widenings(turn: Turn, data: dict[str, Any]) -> list[str]:
    """Ways to widen the search that would change it."""
    found = []
    if "near" in data and float(data.get("walk", DEFAULT_MAX_WALK_M)) < MAX_WALK_M:
        found.append("walk")
    if data.get("district_name"):
        found.append("area")
    if len(data.get("filters", [])) >= 2:
        found.append("drop")
    return found


def _query(data: dict[str, Any]) -> SalonQuery:
    near = data.get("near")
    return SalonQuery(
        near=(float(near[0]), float(near[1])) if near else None,
        max_walk_m=float(data.get("walk", DEFAULT_MAX_WALK_M)),
        district_ids=tuple(int(i) for i in data.get("districts", [])),
        weekday=data.get("weekday"),
        kind=data.get("kind"),
        audience=data.get("audience"),
    )


def _conditions(turn: Turn, data: dict[str, Any]) -> str:
    """The search so far in words: 近く・水曜日・子育て向け."""
    language = supported(turn.resident.language)
    parts = []
    for name in data.get("filters", []):
        if name == "near":
            parts.append(turn._("near you"))
        elif name == "district":
            parts.append(data.get("district_name") or turn._("All of {area}", area=data["area"]))
        elif name == "weekday":
            parts.append(get_day_names("wide", locale=language)[int(data["weekday"])])
        elif name == "kind":
            parts.append(turn._(KIND_LABELS[data["kind"]]))
        elif name == "audience":
            parts.append(turn._(AUDIENCE_BUTTONS[data["audience"]]))
    return turn._(", ").join(parts)


FLOW = SalonFlow()
