"""What a regular expression cannot match without: a few strings, one of which must be in any
text it matches. Checking them (`in`, in C) costs a fraction of a regex search, and most of the
rules' patterns find none of theirs in most messages, so most searches need not run.

The needles are read from the standard library's own parse of the pattern, the reading the
regex engine compiles, so they stand for what the engine will match and never for less.
"""

from __future__ import annotations

import re
from re import _constants as sre  # the parse tree's opcodes (a private module since 3.11)
from re import _parser as sre_parse
from typing import Any

# A set of more needles than this costs as much to check as the search it would save.
_MOST_NEEDLES = 64
# A character class of more letters than this says too little to be worth checking.
_MOST_CLASS_LETTERS = 8

Needles = frozenset[str]


def needles(pattern: re.Pattern[str]) -> Needles | None:
    """Strings in lower case, one of which is in any text `pattern` matches, lower-cased; None
    when the pattern promises none (`.*`, a class of many letters, a branch with no needle)."""
    try:
        tree = sre_parse.parse(pattern.pattern, pattern.flags)
    except re.error:  # the parser's reading differs from the engine's: search every time
        return None
    found = _needles_of(list(tree))
    return frozenset(found) if found else None


def may_match(needles: Needles | None, lowered: str) -> bool:
    """Whether a text (lower-cased) holds one of the needles; True when there are none."""
    return needles is None or any(needle in lowered for needle in needles)


def _needles_of(nodes: list[tuple[Any, Any]]) -> set[str] | None:
    """The most telling of the sets a sequence of nodes must contain one of: the runs of
    plain letters, and what each group, branch or repeat of at least once must contain."""
    candidates: list[set[str]] = []
    run: list[str] = []
    for op, value in nodes:
        if op is sre.LITERAL and _plain(chr(value)):
            run.append(chr(value).lower())
            continue
        # Anything else ends the run: shorter runs are still in every match.
        if run:
            candidates.append({"".join(run)})
            run = []
        inner = _needles_of_node(op, value)
        if inner is not None and len(inner) <= _MOST_NEEDLES:
            candidates.append(inner)
    if run:
        candidates.append({"".join(run)})
    if not candidates:
        return None
    # The longest shortest needle is the rarest in a message; then the fewest to check.
    return max(candidates, key=lambda needles: (min(map(len, needles)), -len(needles)))


def _needles_of_node(op: Any, value: Any) -> set[str] | None:
    if op is sre.SUBPATTERN:
        return _needles_of(list(value[3]))
    if op is sre.ATOMIC_GROUP:
        return _needles_of(list(value))
    if op is sre.BRANCH:
        branches = [_needles_of(list(branch)) for branch in value[1]]
        if any(branch is None for branch in branches):
            return None
        return set().union(*branches)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        least, _, body = value
        return _needles_of(list(body)) if least >= 1 else None
    if op is sre.IN:
        letters = [chr(v) for o, v in value if o is sre.LITERAL]
        if len(letters) != len(value) or len(letters) > _MOST_CLASS_LETTERS:
            return None  # a range, a category (\d, \s) or a negation: no needle
        if not all(_plain(letter) for letter in letters):
            return None
        return {letter.lower() for letter in letters}
    return None  # `.`, an anchor, a lookaround, a backreference: nothing to require


def _plain(letter: str) -> bool:
    """A letter whose lower case is itself or one ASCII letter, so a pattern that ignores case
    matches it only where the lower-cased text holds its lower case (kana, kanji, digits,
    ASCII). Other cased letters (Greek final sigma, dotted I) fold in more than one way."""
    return letter.isascii() or letter.lower() == letter.upper()
