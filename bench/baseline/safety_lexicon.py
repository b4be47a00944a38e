"""Danger words in a resident's message: suicidal thoughts, a collapse, violence, abuse, fire.

The words are data (safety_lexicon.yaml); this module folds a message so that width, kana,
case and spacing do not matter, cuts out figures of speech, and reports the first match.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

LEXICON = Path(__file__).with_name("safety_lexicon.yaml")
EMERGENCY, CONCERN = "emergency", "concern"
Level = Literal["emergency", "concern"]

# A long-vowel mark at the end of a word ("たすけてー", "ストーカー") says nothing.
_TRAILING_LONG_VOWEL = re.compile("(?<=[ぁ-ゖ])ー+(?![ぁ-ゖ])")
# Cut-out figures of speech leave a newline, which `.` in a pattern does not cross, so a
# pattern cannot reach over the gap and join the words on either side.
_GAP = "\n"


@dataclass(frozen=True)
class Alarm:
    """What a message signals: `kind` is the most pressing; `kinds` every kind at this level."""

    kind: str
    level: Level
    kinds: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Figure:
    pattern: re.Pattern[str]
    concern: str | None


@dataclass(frozen=True)
class _Lexicon:
    figures: tuple[_Figure, ...]
    # Kind → level → patterns, kinds in order of priority.
    kinds: dict[str, dict[str, tuple[re.Pattern[str], ...]]]


def check(text: str) -> Alarm | None:
    """The alarm a message raises, or None when it holds no danger words."""
    lexicon = _lexicon()
    folded = fold(text)
    concerns: list[str] = []
    for figure in lexicon.figures:
        folded, cut = figure.pattern.subn(_GAP, folded)
        if cut and figure.concern:
            concerns.append(figure.concern)
    emergencies = [
        kind for kind, levels in lexicon.kinds.items() if _any(levels[EMERGENCY], folded)
    ]
    if emergencies:
        return Alarm(emergencies[0], EMERGENCY, tuple(emergencies))
    concerns += [kind for kind, levels in lexicon.kinds.items() if _any(levels[CONCERN], folded)]
    if concerns:
        ordered = tuple(kind for kind in lexicon.kinds if kind in concerns)
        return Alarm(ordered[0], CONCERN, ordered)
    return None


def fold(text: str) -> str:
    """The message as patterns see it: one width, hiragana, lower case, no spaces or symbols."""
    folded = _to_hiragana(unicodedata.normalize("NFKC", text).casefold())
    kept = "".join(char for char in folded if unicodedata.category(char)[0] not in "ZPSC")
    return _TRAILING_LONG_VOWEL.sub("", kept)


def kinds() -> tuple[str, ...]:
    """Every kind of alarm the lexicon knows, most pressing first."""
    return tuple(_lexicon().kinds)


def _fold_pattern(pattern: str) -> str:
    """A lexicon pattern folded like a message, its regular-expression syntax left alone."""
    if "\\" in pattern:
        raise ValueError(f"lexicon patterns take no backslashes: {pattern!r}")
    folded = _to_hiragana(unicodedata.normalize("NFKC", pattern).casefold())
    return _TRAILING_LONG_VOWEL.sub("", "".join(folded.split()))


def _to_hiragana(text: str) -> str:
    # Katakana ァ..ヶ sit exactly 0x60 above their hiragana.
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _any(patterns: tuple[re.Pattern[str], ...], folded: str) -> bool:
    return any(pattern.search(folded) for pattern in patterns)


@cache
def _lexicon() -> _Lexicon:
    data: dict[str, Any] = yaml.safe_load(LEXICON.read_text(encoding="utf-8"))
    known = data["kinds"]
    figures = []
    for entry in data.get("figures_of_speech") or []:
        concern = entry.get("concern")
        if concern is not None and concern not in known:
            raise ValueError(f"figure of speech names an unknown kind: {concern!r}")
        figures.append(_Figure(re.compile(_fold_pattern(entry["pattern"])), concern))
    kinds = {
        kind: {
            level: tuple(re.compile(_fold_pattern(p)) for p in (levels.get(level) or []))
            for level in (EMERGENCY, CONCERN)
        }
        for kind, levels in known.items()
    }
    return _Lexicon(tuple(figures), kinds)
