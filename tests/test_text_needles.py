"""A rule's pattern is searched only where one of its needles is in the text, and a rule is
tried only where its gate lets it: neither may ever hide a match."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flows import intents, safety
from flows.safety import corpus, rules
from flows.text import analyse, matching
from flows.text.matching import Phrase, Rule
from flows.text.needles import may_match, needles


def needles_of(pattern: str, flags: int = 0) -> frozenset[str] | None:
    return needles(re.compile(pattern, flags))


def test_a_pattern_needs_one_of_its_plainest_strings() -> None:
    # The longest run of plain letters; a branch needs one of its branches' strings.
    assert needles_of("(?:胸|むね)が.{0,4}いたい") == {"いたい"}
    assert needles_of("(救急車|きゅうきゅうしゃ)を?(呼|よ)") == {"救急車", "きゅうきゅうしゃ"}
    # Ignoring case, it is looked for in the text lower-cased.
    assert needles_of("(?:HELP|SOS)!", re.IGNORECASE) == {"help", "sos"}
    assert needles_of("[火炎]が出") == {"が出"}
    assert needles_of("(?:火|炎)+") == {"火", "炎"}


def test_a_pattern_that_promises_nothing_is_always_searched() -> None:
    for pattern in (r".*", r"(?:死ぬ)?", r"\d{3}", r"[^ぁ-ん]+", r"(死ぬ|.)", r"\w+"):
        assert needles_of(pattern) is None, pattern
        assert may_match(needles_of(pattern), "nothing in common")


def _phrases() -> list[Phrase]:
    """Every pattern the safety rules, their concepts and the intents hold."""
    ruleset = rules._ruleset()
    every_rule: list[Rule] = ruleset.kinds_rules()
    for name in ("unreal", "denied", "playful", "happening", "asking"):
        every_rule.extend(getattr(ruleset, name))
    book = intents._book()
    for table in (book.intents, book.categories):
        every_rule.extend(rule for group in table.values() for rule in group)
    items = [item for rule in every_rule for item in (*rule.items, rule.unless)]
    items.extend(rules._concepts().values())
    found = {id(a): a for item in items for a in item if isinstance(a, Phrase)}
    return sorted(found.values(), key=lambda phrase: phrase.pattern.pattern)


PHRASES = _phrases()


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_no_text_a_rule_pattern_matches_lacks_its_needles(data: st.DataObject) -> None:
    phrase = data.draw(st.sampled_from(PHRASES))
    text = data.draw(st.from_regex(phrase.pattern))
    assert phrase.pattern.search(text)
    assert may_match(phrase.needles, text.lower()), (phrase.pattern.pattern, text)


@pytest.fixture(scope="module")
def messages() -> list[str]:
    # Every tenth line of both splits: residents' words in every kind, language and register.
    return [e.text for split in ("train", "heldout") for e in corpus.load(split)][::10]


def test_the_gates_hide_no_alarm(messages: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    gated = [rules.hits(analyse(text)) for text in messages]
    everyone = rules._ruleset().gates

    def every_rule(gates: matching.Gates, scope: matching.Scope) -> set[int]:
        assert gates is everyone
        return set(every_id)

    every_id = {id(rule) for rule in rules._ruleset().kinds_rules()}
    monkeypatch.setattr(rules, "may_match_rules", every_rule)
    ungated = [rules.hits(analyse(text)) for text in messages]
    assert gated == ungated
    assert sum(map(bool, gated)) > len(messages) / 3  # alarms were raised, not only silence


def test_the_gates_pass_over_most_rules_for_an_everyday_message() -> None:
    ruleset = rules._ruleset()
    count = len(ruleset.kinds_rules())
    scope = matching.scope_of(analyse("明日のサロンは何時からですか？母と二人で行きます").clauses)
    assert len(matching.may_match_rules(ruleset.gates, scope)) < count / 10
    assert safety.check("明日のサロンは何時からですか？母と二人で行きます") is None


def test_the_concepts_gates_hide_no_concept(messages: list[str]) -> None:
    # The classifier's features: every concept a message names, gated or tried one by one.
    for text in messages[::4]:
        analysis = analyse(text)
        scope = matching.scope_of(analysis.clauses)
        every = [
            name
            for name, alternatives in rules._concepts().items()
            if matching.item_matches(alternatives, scope)
        ]
        assert rules.concepts_in(analysis) == every, text
