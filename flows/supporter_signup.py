"""生活応援隊 in LINE: sign up as a supporter, or — once registered — pause, change or leave.

Typing 「生活応援隊」, 「応援隊」 or "volunteer" starts it (flows/intents.yaml, and the menu
words in flows/replies.py), as does the link on the council's leaflets and training-session
QR codes (`sign_up_link`), which opens the chat with that word typed in:
https://line.me/R/oaMessage/{LINE ID}/?%E7%94%9F%E6%B4%BB%E5%BF%9C%E6%8F%B4%E9%9A%8A

menu → kinds → area → (district) → days → times → name → phone → consent → confirm → done,
the supporter waiting for a coordinator's approval (applied). No consent, no registration.
A registered supporter's menu offers a break (or starting again), changing what, where and
when, changing their name or phone, and leaving, which deletes their name and phone.
The diagram is supporter_signup.mmd beside this file; what each state asks is in
supporter_questions.
"""

from __future__ import annotations

from datetime import datetime
from functools import cached_property
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session
from transitions import EventData

from flows import districts, engine, outgoing, taps
from flows.engine import Flow, FlowModel
from flows.inputs import UserInput, normalise
from flows.messages import Message, text
from flows.phone_numbers import normalised as normalised_phone
from flows.supporter_questions import (
    ANY_DAY,
    CHECK,
    MAX_FIRST_NAME,
    NAME,
    QUESTIONS,
    supporter_answers,
)
from flows.watch.questions import OA_MESSAGE_URL
from locales import gettext
from storage import supporters
from storage.models import HELP_KINDS, TIME_BANDS, Supporter
from storage.supporters import Registration

# What the council's link types in for the resident.
SIGN_UP_WORD = "生活応援隊"
_YES = {normalise(w) for w in ("はい", "うん", "yes", "ok")}
_NO = {normalise(w) for w in ("いいえ", "いえ", "やめておく", "no")}


class SupporterModel(FlowModel):
    """Callbacks of the sign-up; `data` holds the answers being given."""

    @cached_property
    def supporter(self) -> Supporter | None:
        return supporters.registered(self.turn.session, self.turn.resident, lock=True)

    # Conditions.

    def is_new(self, event: EventData) -> bool:
        return self.supporter is None

    def is_registered(self, event: EventData) -> bool:
        return self.supporter is not None

    def is_paused(self, event: EventData) -> bool:
        return self.supporter is not None and self.supporter.status == "paused"

    def is_pausable(self, event: EventData) -> bool:
        return self.supporter is not None and self.supporter.status in ("applied", "active")

    def is_kind(self, event: EventData) -> bool:
        return _value(event) in dict(HELP_KINDS)

    def has_kinds(self, event: EventData) -> bool:
        return bool(self.data.get("kinds"))

    def is_area(self, event: EventData) -> bool:
        return _value(event) in districts.areas(self.turn.session)

    def is_district(self, event: EventData) -> bool:
        return districts.by_slug(self.turn.session, _value(event)) is not None

    def is_in_city(self, event: EventData) -> bool:
        return districts.of_location(self.turn.session, event.kwargs.get("location")) is not None

    def is_day(self, event: EventData) -> bool:
        value = _value(event)
        return value == ANY_DAY or value in {str(day) for day in range(7)}

    def has_days(self, event: EventData) -> bool:
        return bool(self.data.get("weekdays"))

    def is_band(self, event: EventData) -> bool:
        return _value(event) in dict(TIME_BANDS)

    def has_bands(self, event: EventData) -> bool:
        return bool(self.data.get("bands"))

    def is_first_name(self, event: EventData) -> bool:
        typed = _value(event).strip()
        return 0 < len(typed) <= MAX_FIRST_NAME and "\n" not in typed

    def is_phone_number(self, event: EventData) -> bool:
        return normalised_phone(_value(event)) is not None

    def knows_contact(self, event: EventData) -> bool:
        """Name and phone given, and consent to share them: what is left is the summary."""
        return bool(self.data.get("consented"))

    # Steps.

    def start_change(self, event: EventData) -> None:
        assert self.supporter is not None
        self.data = {**supporter_answers(self.supporter), "changing": True}

    def not_now(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._("All right. If you would like to help one day, type 生活応援隊 at any time.")
            )
        )

    def toggle_kind(self, event: EventData) -> None:
        self.data["kinds"] = _toggled(self.data.get("kinds", []), _value(event), dict(HELP_KINDS))

    def toggle_day(self, event: EventData) -> None:
        value = _value(event)
        chosen = [int(day) for day in self.data.get("weekdays", [])]
        if value == ANY_DAY:
            self.data["weekdays"] = [] if len(chosen) == 7 else list(range(7))
            return
        day = int(value)
        self.data["weekdays"] = sorted(set(chosen) ^ {day})

    def toggle_band(self, event: EventData) -> None:
        self.data["bands"] = _toggled(self.data.get("bands", []), _value(event), dict(TIME_BANDS))

    def ask_for_one(self, event: EventData) -> None:
        turn = self.turn
        turn.say(text(turn._("Please choose at least one.")))

    def set_area(self, event: EventData) -> None:
        self.data["area"] = _value(event)

    def set_district(self, event: EventData) -> None:
        self.data["district"] = _value(event)

    def set_location(self, event: EventData) -> None:
        district = districts.of_location(self.turn.session, event.kwargs.get("location"))
        assert district is not None  # the is_in_city condition let this transition through
        self.data["district"] = district.slug
        turn = self.turn
        turn.say(text(turn._("Thank you. That is in {district}.", district=district.name)))

    def say_outside_city(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "Thank you. That place seems to be outside the city. Please type the "
                    "district's name, or choose it from the buttons."
                )
            )
        )

    def set_name(self, event: EventData) -> None:
        self.data["name"] = _value(event).strip()

    def say_not_a_name(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "Please type just your first name, in up to {count} characters.",
                    count=MAX_FIRST_NAME,
                )
            )
        )

    def set_phone(self, event: EventData) -> None:
        self.data["phone"] = normalised_phone(_value(event))

    def say_not_a_phone_number(self, event: EventData) -> None:
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "Sorry, we could not read that as a phone number. Please type it with the "
                    "area code, for example 0465-22-1234 or 090-1234-5678."
                )
            )
        )

    def record_consent(self, event: EventData) -> None:
        self.data["consented"] = True

    def refuse(self, event: EventData) -> None:
        # Nothing they typed is kept: the engine forgets the flow's data as it finishes.
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "We understand. Without sharing them we cannot put you in touch, so you are "
                    "not registered. Thank you for wanting to help; type 生活応援隊 any time."
                )
            )
        )

    def save(self, event: EventData) -> None:
        turn, data = self.turn, self.data
        district = districts.by_slug(turn.session, str(data.get("district") or ""))
        given = Registration(
            kinds=[str(kind) for kind in data.get("kinds", [])],
            district_id=district.id if district is not None else None,
            weekdays=[int(day) for day in data.get("weekdays", [])],
            time_bands=[str(band) for band in data.get("bands", [])],
            first_name=str(data.get("name") or "") or None,
            phone=str(data.get("phone") or "") or None,
        )
        if self.supporter is not None:
            supporters.change(turn.session, self.supporter, given, turn.now)
            turn.say(text(turn._("Saved. Thank you.")))
            return
        supporters.register(turn.session, turn.resident, given, turn.now)
        if district is not None and turn.resident.district_id is None:
            turn.resident.district_id = district.id
        turn.say(
            text(
                turn._(
                    "Thank you for registering! A coordinator from the welfare council will "
                    "contact you soon. Once that is done, requests come to you here."
                )
            )
        )

    def do_pause(self, event: EventData) -> None:
        assert self.supporter is not None
        supporters.pause(self.turn.session, self.supporter, self.turn.now)
        turn = self.turn
        turn.say(
            text(turn._("Taking a break: no requests will come. To start again, type 生活応援隊."))
        )

    def do_resume(self, event: EventData) -> None:
        supporter = self.supporter
        assert supporter is not None
        supporters.resume(self.turn.session, supporter, self.turn.now)
        turn = self.turn
        if supporter.status == "active":
            turn.say(text(turn._("Welcome back. Requests can come to you again.")))
        else:
            turn.say(text(turn._("Welcome back. A coordinator will contact you soon.")))

    def do_leave(self, event: EventData) -> None:
        assert self.supporter is not None
        supporters.leave(self.turn.session, self.supporter, self.turn.now)
        turn = self.turn
        turn.say(
            text(
                turn._(
                    "You have left 生活応援隊, and your first name and phone number have been "
                    "deleted. Thank you for all your help."
                )
            )
        )

    def stay(self, event: EventData) -> None:
        turn = self.turn
        turn.say(text(turn._("All right, nothing has changed.")))


def _value(event: EventData) -> str:
    return str(event.kwargs.get("value", ""))


def _toggled(chosen: list[str], value: str, known: dict[str, str]) -> list[str]:
    """`value` added or taken off, kept in the order of the buttons."""
    picked = set(chosen) ^ {value}
    return [item for item in known if item in picked]


def _move(trigger: str, source: str | list[str], dest: str | None, **extra: Any) -> dict[str, Any]:
    return {"trigger": trigger, "source": source, "dest": dest, **extra}


def _onwards(trigger: str, source: str, then: str, **extra: Any) -> list[dict[str, Any]]:
    """An answer after which a supporter who has given name, phone and consent goes straight
    to the summary (changing what they do, or choosing again), and anyone else to `then`."""
    conditions = extra.pop("conditions", [])
    conditions = [conditions] if isinstance(conditions, str) else conditions
    return [
        _move(trigger, source, "confirm", conditions=[*conditions, "knows_contact"], **extra),
        _move(trigger, source, then, conditions=conditions, **extra),
    ]


class SupporterFlow(Flow):
    name = NAME
    free_text_states = frozenset({"name", "phone"})
    states = [
        "menu",
        "kinds",
        "area",
        "district",
        "days",
        "times",
        "name",
        "phone",
        "consent",
        "confirm",
        "confirm_leave",
        engine.FINAL,
    ]
    transitions = [
        # A newcomer.
        _move("agree", "menu", "kinds", conditions="is_new"),
        _move("decline", "menu", engine.FINAL, conditions="is_new", after="not_now"),
        # What they can help with: tap to tick, 完了 to go on.
        _move("kind", "kinds", None, conditions="is_kind", after="toggle_kind"),
        _move("next", "kinds", "area", conditions="has_kinds"),
        _move("next", "kinds", None, unless="has_kinds", after="ask_for_one"),
        # Where: an area, then a district in it; a district typed; or a shared location.
        _move("area", ["area", "district"], "district", conditions="is_area", after="set_area"),
        _move(
            "district", ["area", "district"], "days", conditions="is_district", after="set_district"
        ),
        _move(
            "locate", ["area", "district"], "days", conditions="is_in_city", after="set_location"
        ),
        _move("locate", ["area", "district"], None, unless="is_in_city", after="say_outside_city"),
        _move("back", "district", "area"),
        # When: days of the week, then parts of the day.
        _move("day", "days", None, conditions="is_day", after="toggle_day"),
        _move("next", "days", "times", conditions="has_days"),
        _move("next", "days", None, unless="has_days", after="ask_for_one"),
        _move("band", "times", None, conditions="is_band", after="toggle_band"),
        *_onwards("next", "times", "name", conditions="has_bands"),
        _move("next", "times", None, unless="has_bands", after="ask_for_one"),
        # Who: a first name and a phone number, typed.
        _move("give", "name", "phone", conditions="is_first_name", after="set_name"),
        _move("give", "name", None, unless="is_first_name", after="say_not_a_name"),
        *_onwards("give", "phone", "consent", conditions="is_phone_number", after="set_phone"),
        _move("give", "phone", None, unless="is_phone_number", after="say_not_a_phone_number"),
        # Consent to share them: no consent, no registration.
        _move("consent", "consent", "confirm", after="record_consent"),
        _move("refuse", "consent", engine.FINAL, after="refuse"),
        # The summary.
        _move("yes", "confirm", engine.FINAL, after="save"),
        _move("redo", "confirm", "kinds"),
        # A registered supporter.
        _move("pause", "menu", engine.FINAL, conditions="is_pausable", after="do_pause"),
        _move("resume", "menu", engine.FINAL, conditions="is_paused", after="do_resume"),
        _move("change", "menu", "kinds", conditions="is_registered", after="start_change"),
        _move("contact", "menu", "name", conditions="is_registered", after="start_change"),
        _move("leave", "menu", "confirm_leave", conditions="is_registered"),
        _move("yes", "confirm_leave", engine.FINAL, after="do_leave"),
        _move("no", "confirm_leave", engine.FINAL, after="stay"),
    ]
    model_class = SupporterModel

    def interpret(self, model: FlowModel, given: UserInput) -> tuple[str, dict[str, Any]] | None:
        state = model.state
        if given.kind == "postback":
            return taps.flow_event(given, self.name)
        if given.kind == "location" and state in ("area", "district"):
            return "locate", {"location": given.location}
        if given.kind != "text" or not given.normalised:
            return None
        if state in ("name", "phone"):
            return "give", {"value": given.text}
        tapped = taps.typed_button(self.ask(model), given, self.name, tick=CHECK)
        if tapped is not None:
            return tapped
        if state in ("area", "district"):
            # A district is asked by the name residents use; the area buttons only help.
            named = districts.named_in(model.turn.session, given.text)
            return ("district", {"value": named.slug}) if named is not None else None
        return self._typed_yes_no(state, given.normalised)

    @staticmethod
    def _typed_yes_no(state: str, said: str) -> tuple[str, dict[str, Any]] | None:
        answer = "yes" if said in _YES else "no" if said in _NO else None
        if answer is None:
            return None
        if state == "consent":
            return ("consent" if answer == "yes" else "refuse"), {}
        if state == "confirm":
            return ("yes" if answer == "yes" else "redo"), {}
        if state == "confirm_leave":
            return answer, {}
        return None

    def ask(self, model: FlowModel) -> list[Message]:
        assert isinstance(model, SupporterModel)
        return QUESTIONS[model.state](model)


def sign_up_link(basic_id: str) -> str:
    """The link for the council's leaflets and QR codes: it opens the chat with the account
    (after adding it as a friend, if need be) with 生活応援隊 typed in, one tap to send."""
    return OA_MESSAGE_URL.format(
        account=quote(basic_id, safe=""), text=quote(SIGN_UP_WORD, safe="")
    )


def tell_approved(session: Session, supporter: Supporter, now: datetime) -> None:
    """A coordinator approved the supporter: they hear it in LINE, and what comes next."""
    resident = supporter.resident
    words = gettext(
        resident.language,
        "[生活応援隊] Your registration is confirmed. Thank you! When someone nearby needs help "
        "you can give, we will ask you here. To pause, change or leave, send 「{word}」 at any "
        "time.",
        word=SIGN_UP_WORD,
    )
    outgoing.push(session, resident, [text(words)], now)


FLOW = SupporterFlow()
