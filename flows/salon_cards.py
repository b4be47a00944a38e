"""A salon as residents see it in LINE: the card in the results carousel and how to join.

The words are plain and warm, in the resident's language; the next date reads like
次回: 12月2日(水) 10:00〜 and the distance like 約600m・徒歩8分.
"""

from __future__ import annotations

from babel.dates import format_date, get_day_names

from flows import cards
from flows.engine import Turn
from flows.messages import Button, LinkButton
from flows.postback import FlowAnswer
from locales import supported
from locales.salon_kinds import AUDIENCE_LABELS, KIND_LABELS
from storage import salons
from storage.messages import CardData
from storage.models import Salon
from storage.salon_schedule import Occurrence, Rule, time_text
from storage.salons import Hit


def card(turn: Turn, hit: Hit, join: FlowAnswer) -> CardData:
    """One salon's card; 行ってみたい posts `join` back."""
    salon = hit.salon
    kind = turn._(KIND_LABELS[salon.kind])
    lines = [
        cards.line(salon.name, "title"),
        cards.line(kind, "tag"),
        cards.line(next_date(turn, hit.next), "strong"),
        cards.line(schedule_words(turn, salon), "muted"),
        cards.rule(),
    ]
    if hit.walk_m is not None:
        lines.append(cards.labelled(turn._("Distance"), walk_words(turn, hit)))
    lines.append(cards.labelled(turn._("Place"), _place(salon)))
    if salon.fee:
        lines.append(cards.labelled(turn._("Fee"), salon.fee))
    audiences = turn._(", ").join(turn._(AUDIENCE_LABELS[code]) for code in salon.audiences)
    lines.append(cards.labelled(turn._("For"), audiences))
    if salon.accessibility:
        lines.append(cards.labelled(turn._("Access"), salon.accessibility))
    if hit.stale:
        lines.append(cards.line(_stale_note(turn), "warning"))
    buttons = [
        cards.button(Button(turn._("I'd like to go"), join), primary=True),
        cards.button(LinkButton(turn._("Map"), map_url(salon))),
    ]
    if salon.phone:
        buttons.append(cards.button(LinkButton(turn._("Call"), f"tel:{salon.phone}")))
    return cards.card(lines, buttons)


def next_date(turn: Turn, occurrence: Occurrence | None) -> str:
    """次回: 12月2日(水) 10:00〜 — or, for an irregular salon, ask for the dates."""
    if occurrence is None:
        return turn._("Next: please ask for the dates")
    language = supported(turn.resident.language)
    # The date pattern is translated too: "EEE d MMM" in English, "M月d日(E)" in Japanese.
    day = format_date(occurrence.day, turn._("EEE d MMM"), locale=language)
    if occurrence.start is None:
        return turn._("Next: {date}", date=day)
    return turn._("Next: {date} from {time}", date=day, time=time_text(occurrence.start))


def schedule_words(turn: Turn, salon: Salon) -> str:
    """The rule and times: 毎週水曜 10:00〜12:00 (in Japanese the organisers' own words)."""
    rule = Rule.from_json(salon.schedule)
    words = rule.text if supported(turn.resident.language) == "ja" else _rule_in_english(rule)
    if rule.kind != "irregular" and salon.start_time is not None:
        times = time_text(salon.start_time)
        if salon.end_time is not None:
            times = turn._("{start} to {end}", start=times, end=time_text(salon.end_time))
        words = f"{words} {times}"
    return words


def _rule_in_english(rule: Rule) -> str:
    days = "/".join(get_day_names("abbreviated", locale="en")[day] for day in rule.weekdays)
    if rule.kind == "weekly":
        return f"Every {days}"
    if rule.kind == "nth_weekday":
        weeks = "/".join("last" if n == -1 else _ordinal(n) for n in rule.nths)
        return f"{weeks} {days} of the month"
    if rule.kind == "monthly_day":
        return "Day " + "/".join(str(day) for day in rule.monthdays) + " of the month"
    return f"Irregular ({rule.note})"


def _ordinal(number: int) -> str:
    return f"{number}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(number, 'th') }"


def walk_words(turn: Turn, hit: Hit) -> str:
    """約600m・徒歩8分."""
    metres = hit.walk_m or 0.0
    # Under a kilometre to the nearest 10 m (約600m), beyond in tenths (約1.2km).
    distance = f"{max(10, round(metres, -1)):.0f}m" if metres < 1000 else f"{metres / 1000:.1f}km"
    return turn._(
        "About {distance}, {minutes} min on foot", distance=distance, minutes=hit.walk_minutes
    )


def map_url(salon: Salon) -> str:
    return (
        "https://www.google.com/maps/search/?api=1"
        f"&query={salon.latitude:.6f},{salon.longitude:.6f}"
    )


def _place(salon: Salon) -> str:
    return "\n".join(part for part in (salon.venue, salon.address) if part) or "-"


def _stale_note(turn: Turn) -> str:
    return turn._(
        "These details have not been confirmed for over a year. Please call before you go."
    )


def how_to_join(turn: Turn, salon: Salon) -> str:
    occurrence = salons.schedule_of(salon).next(turn.now)
    lines = [turn._("How to join {name}:", name=salon.name)]
    if salon.how_to_join:
        lines.append(salon.how_to_join)
    lines.append(next_date(turn, occurrence))
    if salon.organiser:
        lines.append(turn._("Organiser: {organiser}", organiser=salon.organiser))
    if salon.phone:
        lines.append(turn._("Phone: {phone}", phone=salon.phone))
    if salon.what_to_bring:
        lines.append(turn._("What to bring: {items}", items=salon.what_to_bring))
    if salons.is_stale(salon, turn.now):
        lines.append(_stale_note(turn))
    lines.append(
        turn._(
            "You do not need to sign up in LINE. "
            "If you have any questions, please feel free to call the organiser."
        )
    )
    return "\n".join(lines)
