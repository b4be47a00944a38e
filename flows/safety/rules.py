"""Rules over words and concepts (rules.yaml), matched sentence by sentence.

A rule is a few items that must meet in one sentence: a word with its polarity (動く~ is
動かない, 動けません, can't move), a concept ($chest: 胸, 心臓, chest, heart), or a pattern
over the folded sentence. Clauses that deny (死にたいとは思わない) or are figures of speech
(死ぬほど笑った) are taken out first; a sentence about a course, a film or a past event only
raises a concern.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flows.text import Analysis, Clause, Word, analyse, to_hiragana

RULES = Path(__file__).with_name("rules.yaml")
TIERS = ("certain", "possible", "concern")
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


Alternative = WordSpec | Sequence | Phrase


@dataclass(frozen=True)
class Rule:
    items: tuple[tuple[Alternative, ...], ...]
    unless: tuple[Alternative, ...] = ()
    source: str = ""


@dataclass(frozen=True)
class Ruleset:
    kinds: dict[str, dict[str, tuple[Rule, ...]]]
    unreal: tuple[Rule, ...]
    denied: tuple[Rule, ...]
    playful: tuple[Rule, ...]


@dataclass(frozen=True)
class Hit:
    kind: str
    tier: str
    rule: str
    # A concern only because the sentence is not about now (a course, "if…", long ago).
    dampened: bool = False


@dataclass(frozen=True)
class _Scope:
    words: tuple[Word, ...]
    folded: str
    # Every form of every word: a rule's word that is not among them needs no closer look.
    forms: frozenset[str]
    # What each concept came to in this scope; many rules ask about the same one.
    seen: dict[int, bool]


def hits(analysis: Analysis) -> list[Hit]:
    """Every kind a message raises, with the strongest tier each reaches."""
    ruleset = _ruleset()
    best: dict[str, Hit] = {}
    # A short message is read whole: written in fragments ("Fell in the hallway. Can't get
    # up."), its rules meet across sentences, and "…but it was nothing" at its end counts for
    # all of it. A long one is read sentence by sentence.
    whole = len(analysis.sentences) <= _SHORT_SENTENCES
    groups = [analysis.sentences] if whole else [(sentence,) for sentence in analysis.sentences]
    for group in groups:
        live = [
            clause
            for sentence in group
            if not _any_rule(ruleset.playful, _scope(sentence.clauses))
            for clause in sentence.clauses
            if not _any_rule(ruleset.denied, _scope([clause]))
        ]
        if live:
            _match_scope(ruleset, _scope(live), best)
    return [best[kind] for kind in ruleset.kinds if kind in best]


_SHORT_SENTENCES = 4


def _match_scope(ruleset: Ruleset, scope: _Scope, best: dict[str, Hit]) -> None:
    """Record in `best` the strongest tier each kind reaches in this scope."""
    unreal = _any_rule(ruleset.unreal, scope)
    for kind, tiers in ruleset.kinds.items():
        for tier in TIERS:
            rule = next((r for r in tiers[tier] if _matches(r, scope)), None)
            if rule is None:
                continue
            # Not about now (a course, a film, "if…", long ago): staff may look, no more.
            found = Hit(kind, "concern" if unreal else tier, rule.source, dampened=unreal)
            if kind not in best or TIERS.index(found.tier) < TIERS.index(best[kind].tier):
                best[kind] = found
            break


def kinds() -> tuple[str, ...]:
    return tuple(_ruleset().kinds)


def concepts_in(analysis: Analysis) -> list[str]:
    """The concepts a message mentions: features for the classifier beside the rules."""
    found = []
    scope = _scope(analysis.clauses)
    for name, alternatives in _concepts().items():
        if _item_matches(alternatives, scope):
            found.append(name)
    return found


def _scope(clauses: list[Clause] | tuple[Clause, ...]) -> _Scope:
    words = tuple(word for clause in clauses for word in clause.words)
    forms = frozenset(form for word in words for form in word.forms)
    return _Scope(words, "\n".join(clause.folded for clause in clauses), forms, {})


def _any_rule(rules: tuple[Rule, ...], scope: _Scope) -> bool:
    return any(_matches(rule, scope) for rule in rules)


def _matches(rule: Rule, scope: _Scope) -> bool:
    if rule.unless and _item_matches(rule.unless, scope):
        return False
    return all(_item_matches(item, scope) for item in rule.items)


def _item_matches(item: tuple[Alternative, ...], scope: _Scope) -> bool:
    key = id(item)
    found = scope.seen.get(key)
    if found is None:
        forms, words, phrases = _split(item)
        found = any(p.pattern.search(scope.folded) is not None for p in phrases) or (
            not forms.isdisjoint(scope.forms) and any(_alternative_matches(a, scope) for a in words)
        )
        scope.seen[key] = found
    return found


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


def _alternative_matches(alternative: Alternative, scope: _Scope) -> bool:
    if isinstance(alternative, Phrase):
        return alternative.pattern.search(scope.folded) is not None
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


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    return data


@cache
def _concepts() -> dict[str, tuple[Alternative, ...]]:
    raw: dict[str, list[Any]] = _data()["concepts"]
    compiled: dict[str, tuple[Alternative, ...]] = {}
    for name, entries in raw.items():
        alternatives: list[Alternative] = []
        for entry in entries:
            alternatives.extend(_compile_entry(str(entry), compiled, name))
        compiled[name] = tuple(alternatives)
    return compiled


@cache
def _ruleset() -> Ruleset:
    data = _data()
    concepts = _concepts()
    kinds = {
        kind: {tier: _compile_rules(tiers.get(tier) or [], concepts) for tier in TIERS}
        for kind, tiers in data["kinds"].items()
    }
    return Ruleset(
        kinds=kinds,
        unreal=_compile_rules(data.get("unreal") or [], concepts),
        denied=_compile_rules(data.get("denied") or [], concepts),
        playful=_compile_rules(data.get("playful") or [], concepts),
    )


def _compile_rules(
    raw: list[Any], concepts: dict[str, tuple[Alternative, ...]]
) -> tuple[Rule, ...]:
    rules = []
    for entry in raw:
        items, unless = (entry, []) if isinstance(entry, list) else (entry["all"], entry["unless"])
        rules.append(
            Rule(
                items=tuple(_compile_item(str(item), concepts) for item in items),
                unless=tuple(a for item in unless for a in _compile_entry(str(item), concepts, "")),
                source=" + ".join(str(item) for item in items),
            )
        )
    return tuple(rules)


def _compile_item(
    entry: str, concepts: dict[str, tuple[Alternative, ...]]
) -> tuple[Alternative, ...]:
    # A concept stays one shared tuple, so a scope remembers its answer for every rule.
    if entry.startswith("$") and entry[1:] in concepts:
        return concepts[entry[1:]]
    return tuple(_compile_entry(entry, concepts, ""))


def _compile_entry(
    entry: str, concepts: dict[str, tuple[Alternative, ...]], within: str
) -> list[Alternative]:
    if entry.startswith("$"):
        name = entry[1:]
        if name not in concepts:
            raise ValueError(f"rules.yaml: unknown concept ${name} (in {within or 'a rule'})")
        return list(concepts[name])
    if entry.startswith("/"):
        # Multi-line: a sentence's clauses are joined by newlines, and ^ starts each clause.
        return [Phrase(re.compile(_fold_pattern(entry[1:]), re.MULTILINE))]
    match = _SPEC.match(entry)
    if match is None:
        raise ValueError(f"rules.yaml: cannot read {entry!r}")
    mods = match["mods"]
    signature = None if "?" in mods else mods.replace("+れる", "")
    words = analyse(match["lemma"]).words
    if not words:
        # A word the analyser reads as a particle or symbol (ぞ): match it as it is written.
        written = re.escape(match["lemma"].casefold())
        # A number is itself, not part of a phone number or a code: 119, not 090-1110-1190.
        return [Phrase(re.compile(rf"(?<!\d){written}(?!\d)"))]
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
    """A pattern folded as sentences are (NFKC, lower case, hiragana), its syntax left alone."""
    folded = to_hiragana(unicodedata.normalize("NFKC", pattern).casefold())
    return "".join(folded.split())


def _forms_of(written: str, word: Word) -> frozenset[str]:
    from flows.text import japanese

    forms = {word.lemma, to_hiragana(word.lemma), written.casefold(), *word.forms}
    if any("\u4e00" <= c <= "\u9fff" for c in written):
        forms.add(japanese.reading(written))
    return frozenset(form for form in forms if form)
