"""What a typed message asks for, read as words (flows/intents.yaml), for when no flow waits for it.

A resident at the menu who writes 「足が悪くて買い物に行けません」 is asking for help, one who
writes 「近くのサロン」 is looking for a salon. The message is analysed as the safety check
analyses it (flows/text), so 行けません, 行けない and "can't go" are one word with its negation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flows.text import analyse
from flows.text.matching import Rule, any_rule, compile_concepts, compile_rules, scope_of

INTENTS = Path(__file__).with_name("intents.yaml")


@dataclass(frozen=True)
class Intent:
    flow: str | None  # the flow it asks for: consultation, salons, watch, language; None
    categories: tuple[str, ...] = ()  # for a consultation: what it seems to be about


@dataclass(frozen=True)
class _Book:
    intents: dict[str, tuple[Rule, ...]]
    categories: dict[str, tuple[Rule, ...]]


NOTHING = Intent(None)


def read(text: str) -> Intent:
    """The flow a typed message asks for, and for a consultation the categories it names."""
    analysis = analyse(text)
    if not analysis.words:
        return NOTHING
    scope = scope_of(analysis.clauses)
    book = _book()
    flow = next(
        (name for name, rules in book.intents.items() if any_rule(rules, scope)),
        None,
    )
    if flow != "consultation":
        return Intent(flow)
    categories = tuple(name for name, rules in book.categories.items() if any_rule(rules, scope))
    return Intent(flow, categories)


@cache
def _book() -> _Book:
    data: dict[str, Any] = yaml.safe_load(INTENTS.read_text(encoding="utf-8"))
    concepts = compile_concepts(data["concepts"], INTENTS.name)
    return _Book(
        intents={
            name: compile_rules(rules, concepts, INTENTS.name)
            for name, rules in data["intents"].items()
        },
        categories={
            name: compile_rules(rules, concepts, INTENTS.name)
            for name, rules in data["categories"].items()
        },
    )
