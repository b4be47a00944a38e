"""What the classifier sees of a message: character n-grams, words with their polarity, pieces
of English words, and the concepts and rules of rules.yaml that the message touches."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from flows.safety import rules
from flows.safety.rules import signature_of
from flows.text import Analysis

_CHAR_NGRAMS = (2, 3)
# A phone number or a family code is not a cry for help because it holds 119 or 110: digits
# are one sign to the model, except the emergency numbers written on their own.
_DIGITS = re.compile(r"\d+")
_NUMBERS_THAT_SPEAK = frozenset({"119", "110", "189", "7119"})
# English words are also read as pieces of themselves, each word on its own with its start and
# end marked: "breathing", "breathe" and "breathin" share <bre, brea, reat, eath; an author's
# spelling, slang or typo still meets the words other authors wrote. (The n-grams of the folded
# clause run across words, which tells more of who wrote it than of what it says.)
_WORD_NGRAMS = (3, 4)
_LATIN_WORD = re.compile(r"[a-z]+")


def features(analysis: Analysis, hits: list[rules.Hit] | None = None) -> set[str]:
    found: set[str] = set()
    for clause in analysis.clauses:
        # Folding joins 119-0000 or 090-0000-7119 into one run of digits: a number speaks only
        # when it stands alone there, and the words the dictionary split it into follow suit.
        speaking = _only(set(_DIGITS.findall(clause.folded)) & _NUMBERS_THAT_SPEAK)
        text = _DIGITS.sub(_digits, clause.folded)
        for n in _CHAR_NGRAMS:
            found.update("c:" + text[i : i + n] for i in range(len(text) - n + 1))
        previous = ""
        for word in clause.words:
            lemma = _DIGITS.sub(speaking, word.lemma)
            token = lemma + signature_of(word) + ("+れる" if word.passive else "")
            found.add("w:" + token)
            found.update(f"g:{group}{signature_of(word)}" for group in word.groups)
            if previous:
                found.add(f"b:{previous}_{token}")
            previous = token
    found.update(_word_pieces(analysis.text))
    found.update("k:" + concept for concept in rules.concepts_in(analysis))
    if hits is None:
        hits = rules.hits(analysis)
    found.update(f"r:{hit.kind}:{hit.tier}" for hit in hits)
    return found


def _word_pieces(text: str) -> set[str]:
    pieces = set()
    for word in _LATIN_WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        marked = f"<{word}>"
        for n in _WORD_NGRAMS:
            pieces.update("e:" + marked[i : i + n] for i in range(len(marked) - n + 1))
    return pieces


def _only(numbers: set[str]) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group() if match.group() in numbers else "0"


def _digits(match: re.Match[str]) -> str:
    return match.group() if match.group() in _NUMBERS_THAT_SPEAK else "0"
