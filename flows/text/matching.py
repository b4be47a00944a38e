"""Rules written over words rather than strings, and matching them against what was typed.

An item is one of:
  倒れる       the word, not negated          動く~       the word, negated (動かない, 動けません)
  死ぬ+たい    wished (死にたい, want to die)   居る~+たい  wished not to (いなくなりたい)
  生きる+たい~ not wished (生きていたくない)     殴る+れる   passive (殴られた, was hit)
  倒れる?      the word, negated or not
  $name        any item of a concept
  /regex       a regular expression over the text folded: one width, hiragana, lower case,
               no spaces or punctuation; `_` is the edge of an English word
Kanji words also match their reading typed in kana (胸 matches むね). A rule is a list of items
that must all be in one scope (a sentence, or a short message whole), or a mapping with `all:`
and `unless:` (none of these in the scope).

The safety rules (flows/safety/rules.yaml) and the intents of typed messages
(flows/intents.yaml) are both written this way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flows.text.analysis import Clause, Word, analyse, to_hiragana
from flows.text.needles import Needles, may_match, needles

_SPEC = re.compile(r"^(?P<lemma>[^~+?]+)(?P<mods>(?:~|\+たい|\+れる|\?)*)$")


@dataclass(frozen=True)
class WordSpec:
    """One word as a rule names it: its forms, the polarity it must have, passive or not."""

    forms: frozenset[str]
    signature: str | None  # None: any polarity
    passive: bool


@dataclass(frozen=True)
class Sequence:
    """Words that must follow one another: 気を失う is 気 then 失う."""

    words: tuple[WordSpec, ...]


@dataclass(frozen=True)
class Phrase:
    pattern: re.Pattern[str]
    # One of these is in any text the pattern matches (None: no such promise).
    needles: Needles | None

    @classmethod
    def of(cls, pattern: str, flags: int = 0) -> Phrase:
        compiled = re.compile(pattern, flags)
        return cls(compiled, needles(compiled))

    def search(self, scope: Scope) -> bool:
        return (
            may_match(self.needles, scope.lowered) and self.pattern.search(scope.folded) is not None
        )


Alternative = WordSpec | Sequence | Phrase


@dataclass(frozen=True)
class Rule:
    items: tuple[tuple[Alternative, ...], ...]
    unless: tuple[Alternative, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Scope:
    words: tuple[Word, ...]
    folded: str
    lowered: str  # folded, lower case: where a pattern's needles are looked for
    # Every form of every word: a rule's word that is not among them needs no closer look.
    forms: frozenset[str]
    # What each concept came to in this scope; many rules ask about the same one.
    seen: dict[int, bool]


def scope_of(clauses: Iterable[Clause]) -> Scope:
    """The words of `clauses` together, as rules are matched against them."""
    clauses = tuple(clauses)
    words = tuple(word for clause in clauses for word in clause.words)
    forms = frozenset(form for word in words for form in word.forms)
    folded = "\n".join(clause.marked for clause in clauses)
    return Scope(words, folded, folded.lower(), forms, {})


def any_rule(rules: tuple[Rule, ...], scope: Scope) -> bool:
    return any(matches(rule, scope) for rule in rules)


def matches(rule: Rule, scope: Scope) -> bool:
    # The items first: most rules fail on one of them, and then the `unless` need not be read.
    return all(item_matches(item, scope) for item in rule.items) and not (
        rule.unless and item_matches(rule.unless, scope)
    )


def item_matches(item: tuple[Alternative, ...], scope: Scope) -> bool:
    key = id(item)
    found = scope.seen.get(key)
    if found is None:
        forms, words, phrases = _split(item)
        found = any(phrase.search(scope) for phrase in phrases) or (
            not forms.isdisjoint(scope.forms) and any(_alternative_matches(a, scope) for a in words)
        )
        scope.seen[key] = found
    return found


@dataclass(frozen=True)
class Gates:
    """Which of many rules a scope may match: each rule is filed under one of its items, by
    the word forms and pattern needles that item cannot match without. A scope holding none
    of them fails that item, so the rule need not be tried (most rules, for most messages)."""

    by_form: dict[str, frozenset[int]]
    by_needle: dict[str, frozenset[int]]
    ungated: frozenset[int]  # rules none of whose items promises a form or a needle


def gates(rules: Iterable[Rule]) -> Gates:
    by_form: dict[str, set[int]] = {}
    by_needle: dict[str, set[int]] = {}
    ungated = set()
    for rule in rules:
        triggers = [t for item in rule.items if (t := _triggers(item)) is not None]
        if not triggers:
            ungated.add(id(rule))
            continue
        forms, needles_ = min(triggers, key=_commonness)
        for form in forms:
            by_form.setdefault(form, set()).add(id(rule))
        for needle in needles_:
            by_needle.setdefault(needle, set()).add(id(rule))
    return Gates(
        {form: frozenset(ids) for form, ids in by_form.items()},
        {needle: frozenset(ids) for needle, ids in by_needle.items()},
        frozenset(ungated),
    )


def may_match_rules(gates: Gates, scope: Scope) -> set[int]:
    """The ids of the rules `scope` may match (a rule not among them does not)."""
    found = set(gates.ungated)
    for form in scope.forms:
        found.update(gates.by_form.get(form, ()))
    for needle, ids in gates.by_needle.items():
        if needle in scope.lowered:
            found.update(ids)
    return found


def _triggers(item: tuple[Alternative, ...]) -> tuple[frozenset[str], frozenset[str]] | None:
    """The word forms and needles of which a scope must hold one for `item` to match; None
    when one of its patterns promises nothing."""
    forms, _, phrases = _split(item)
    needles_: set[str] = set()
    for phrase in phrases:
        if phrase.needles is None:
            return None
        needles_ |= phrase.needles
    return forms, frozenset(needles_)


def _commonness(triggers: tuple[frozenset[str], frozenset[str]]) -> float:
    # A short string is in more messages than a long one: one kana in most, a word in few.
    return sum(1.0 / len(trigger) ** 2 for part in triggers for trigger in part)


_SPLITS: dict[int, tuple[frozenset[str], tuple[Alternative, ...], tuple[Phrase, ...]]] = {}


def _split(
    item: tuple[Alternative, ...],
) -> tuple[frozenset[str], tuple[Alternative, ...], tuple[Phrase, ...]]:
    """An item's patterns apart from its words, and every form its words go by: a scope that
    has none of those forms needs no word compared (most of them, for most items)."""
    split = _SPLITS.get(id(item))
    if split is None:
        phrases = tuple(a for a in item if isinstance(a, Phrase))
        words = tuple(a for a in item if not isinstance(a, Phrase))
        forms = frozenset(
            form
            for a in words
            for form in (a.forms if isinstance(a, WordSpec) else a.words[0].forms)
        )
        # Items live as long as the cached ruleset, so their ids stay theirs.
        split = _SPLITS[id(item)] = (forms, words, phrases)
    return split


def _alternative_matches(alternative: Alternative, scope: Scope) -> bool:
    if isinstance(alternative, Phrase):
        return alternative.search(scope)
    if isinstance(alternative, WordSpec):
        if alternative.forms.isdisjoint(scope.forms):
            return False
        return any(_word_matches(alternative, word) for word in scope.words)
    length = len(alternative.words)
    return any(
        all(
            _word_matches(spec, word)
            for spec, word in zip(alternative.words, scope.words[i : i + length], strict=True)
        )
        for i in range(len(scope.words) - length + 1)
    )


def _word_matches(spec: WordSpec, word: Word) -> bool:
    if spec.forms.isdisjoint(word.forms):
        return False
    if spec.passive and not word.passive:
        return False
    if spec.signature is None:
        return True
    signature = signature_of(word)
    if spec.signature in ("", "~"):
        # A plain word matches its wished form too: 死ぬ in 死にたい; 動く~ in 動けなくなりたい.
        return signature.replace("+たい", "", 1).rstrip("~") == "" and (
            word.negated == (spec.signature == "~")
        )
    return signature == spec.signature


def signature_of(word: Word) -> str:
    """The word's polarity around a wish: "", "~", "+たい", "~+たい", "+たい~"."""
    before, after, wished = 0, 0, False
    for link in word.chain:
        if link == "たい":
            wished = True
        elif link == "ない":
            if wished:
                after += 1
            else:
                before += 1
    signature = "~" if before % 2 else ""
    if wished:
        signature += "+たい" + ("~" if after % 2 else "")
    return signature


def expand_fragments(raw: Any, fragments: Mapping[str, str], source: str) -> Any:
    """`raw` (rules and concepts as loaded) with each `{{name}}` in a /pattern replaced by the
    fragment so named: a piece several patterns share, such as a list of places, is written
    once. A fragment may use those written before it."""
    expanded: dict[str, str] = {}
    for name, fragment in fragments.items():
        expanded[name] = _expand(str(fragment), expanded, f"fragment {name}", source)
    return _expand_all(raw, expanded, source)


def _expand_all(raw: Any, fragments: Mapping[str, str], source: str) -> Any:
    if isinstance(raw, dict):
        return {key: _expand_all(value, fragments, source) for key, value in raw.items()}
    if isinstance(raw, list):
        return [_expand_all(item, fragments, source) for item in raw]
    if isinstance(raw, str) and raw.startswith("/"):
        return _expand(raw, fragments, "a pattern", source)
    return raw


def _expand(pattern: str, fragments: Mapping[str, str], within: str, source: str) -> str:
    def fragment(match: re.Match[str]) -> str:
        if match[1] not in fragments:
            raise ValueError(f"{source}: unknown fragment {{{{{match[1]}}}}} (in {within})")
        return fragments[match[1]]

    return _FRAGMENT.sub(fragment, pattern)


# `{{name}}`: never a regex of its own (a quantifier's braces hold digits).
_FRAGMENT = re.compile(r"\{\{(\w+)\}\}")


def compile_concepts(raw: dict[str, list[Any]], source: str) -> dict[str, tuple[Alternative, ...]]:
    """Concepts by name; a concept may use those written before it."""
    compiled: dict[str, tuple[Alternative, ...]] = {}
    for name, entries in raw.items():
        alternatives: list[Alternative] = []
        for entry in entries:
            alternatives.extend(_compile_entry(str(entry), compiled, name, source))
        compiled[name] = tuple(alternatives)
    return compiled


def compile_rules(
    raw: list[Any], concepts: dict[str, tuple[Alternative, ...]], source: str = "rules"
) -> tuple[Rule, ...]:
    rules = []
    for entry in raw:
        items, unless = (entry, []) if isinstance(entry, list) else (entry["all"], entry["unless"])
        rules.append(
            Rule(
                items=tuple(_compile_item(str(item), concepts, source) for item in items),
                unless=tuple(
                    a for item in unless for a in _compile_entry(str(item), concepts, "", source)
                ),
                source=" + ".join(str(item) for item in items),
            )
        )
    return tuple(rules)


def _compile_item(
    entry: str, concepts: dict[str, tuple[Alternative, ...]], source: str
) -> tuple[Alternative, ...]:
    # A concept stays one shared tuple, so a scope remembers its answer for every rule.
    if entry.startswith("$") and entry[1:] in concepts:
        return concepts[entry[1:]]
    return tuple(_compile_entry(entry, concepts, "", source))


def _compile_entry(
    entry: str, concepts: dict[str, tuple[Alternative, ...]], within: str, source: str
) -> list[Alternative]:
    if entry.startswith("$"):
        name = entry[1:]
        if name not in concepts:
            raise ValueError(f"{source}: unknown concept ${name} (in {within or 'a rule'})")
        return list(concepts[name])
    if entry.startswith("/"):
        # Multi-line: a sentence's clauses are joined by newlines, and ^ starts each clause.
        return [Phrase.of(_word_bounds(_fold_pattern(entry[1:])), _PHRASE_FLAGS)]
    match = _SPEC.match(entry)
    if match is None:
        raise ValueError(f"{source}: cannot read {entry!r}")
    mods = match["mods"]
    signature = None if "?" in mods else mods.replace("+れる", "")
    words = analyse(match["lemma"]).words
    if not words:
        # A word the analyser reads as a particle or symbol (ぞ): match it as it is written.
        written = re.escape(match["lemma"].casefold())
        # A number is itself, not part of a phone number or a code: 119, not 090-1110-1190.
        return [Phrase.of(rf"(?<!\d){written}(?!\d)", _PHRASE_FLAGS)]
    specs = [
        WordSpec(
            forms=_forms_of(match["lemma"], word),
            signature=signature if len(words) == 1 else signature_of(word),
            passive="+れる" in mods and len(words) == 1,
        )
        for word in words
    ]
    return [specs[0]] if len(specs) == 1 else [Sequence(tuple(specs))]


def _fold_pattern(pattern: str) -> str:
    """A pattern folded as sentences are (NFKC, lower case, hiragana), its syntax left alone:
    an escape keeps its case (\\A is the start of the text, \\S not a space; lower-cased, they
    were a bell character and a space)."""
    parts = _ESCAPE.split(unicodedata.normalize("NFKC", pattern))
    folded = "".join(
        part if part.startswith("\\") else to_hiragana(part.casefold()) for part in parts
    )
    return "".join(folded.split())


_ESCAPE = re.compile(r"(\\.)")

# Patterns are written in lower case and a scope's text marks where each English word starts
# with a capital (analysis.Clause.marked), so they match it in either case; ^ starts a clause.
_PHRASE_FLAGS = re.MULTILINE | re.IGNORECASE
# `_` in a pattern is the edge of an English word (folding keeps no underscore, so it stands
# for nothing else): `me_in_` finds "kicked me in the stomach". Where the next word begins,
# its capital stands; elsewhere, no letter does. "(?![a-z])" keeps its old, stricter sense:
# no letter at all, as at the end of a clause.
_WORD_EDGE = "(?:(?<![a-z])|(?![a-z])|(?-i:(?=[A-Z])))"


def _word_bounds(pattern: str) -> str:
    return pattern.replace("_", _WORD_EDGE)


def _forms_of(written: str, word: Word) -> frozenset[str]:
    from flows.text import japanese

    forms = {word.lemma, to_hiragana(word.lemma), written.casefold(), *word.forms}
    if any("\u4e00" <= c <= "\u9fff" for c in written):
        forms.add(japanese.reading(written))
    return frozenset(form for form in forms if form)
