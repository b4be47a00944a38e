"""What the classifier sees of a message: character n-grams, words with their polarity, and
the concepts and rules of rules.yaml that the message touches."""

from __future__ import annotations

from flows.safety import rules
from flows.safety.rules import signature_of
from flows.text import Analysis

_CHAR_NGRAMS = (2, 3)


def features(analysis: Analysis, hits: list[rules.Hit] | None = None) -> set[str]:
    found: set[str] = set()
    for clause in analysis.clauses:
        text = clause.folded
        for n in _CHAR_NGRAMS:
            found.update("c:" + text[i : i + n] for i in range(len(text) - n + 1))
        previous = ""
        for word in clause.words:
            token = word.lemma + signature_of(word) + ("+れる" if word.passive else "")
            found.add("w:" + token)
            if previous:
                found.add(f"b:{previous}_{token}")
            previous = token
    found.update("k:" + concept for concept in rules.concepts_in(analysis))
    if hits is None:
        hits = rules.hits(analysis)
    found.update(f"r:{hit.kind}:{hit.tier}" for hit in hits)
    return found
