"""English words: contractions opened, lemmas from simplemma, negation and wishes marked.

"He isn't breathing" gives breathe (negated); "I don't want to live" gives live (wished, then
negated): the same flags Japanese words carry, so one set of rules reads both.
"""

from __future__ import annotations

import re
from functools import cache

from flows.text import analysis

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+")
_CONTRACTIONS = {
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not",
    "wont": "will not", "shan't": "shall not", "ain't": "is not", "dont": "do not",
    "doesnt": "does not", "didnt": "did not", "isnt": "is not", "arent": "are not",
    "wasnt": "was not", "werent": "were not", "couldnt": "could not", "wouldnt": "would not",
    "shouldnt": "should not", "havent": "have not", "hasnt": "has not", "hadnt": "had not",
    "im": "i am", "ive": "i have", "wanna": "want to", "gonna": "going to", "gotta": "got to",
    "idk": "i do not know", "pls": "please", "plz": "please", "u": "you", "ur": "your",
    # Texted without apostrophes: "hes not breathing", "shes not moving", "rn" for right now.
    "hes": "he is", "shes": "she is", "theyre": "they are", "youre": "you are",
    "thats": "that is", "whats": "what is", "theres": "there is", "aint": "is not",
    "mustnt": "must not", "neednt": "need not", "rn": "right now",
    # "Unable to grip his fork" is "not able to": grip, negated.
    "unable": "not able",
}  # fmt: skip
_SUFFIXES = {"n't": " not", "'m": " am", "'re": " are", "'ve": " have", "'ll": " will",
             "'d": " would", "'s": ""}  # fmt: skip
_NEGATORS = frozenset({"not", "no", "never", "nobody", "nothing", "none", "nor", "without"})
# Words a negation reaches over to the word it negates: "is not even breathing".
_GLUE = frozenset({
    "be", "am", "is", "are", "was", "were", "been", "being", "do", "does", "did", "have", "has",
    "had", "can", "could", "will", "would", "shall", "should", "may", "might", "must", "to",
    "even", "really", "just", "still", "yet", "able", "a", "an", "the", "any", "longer",
    "seem", "seems", "at", "all", "anymore", "properly", "quite",
})  # fmt: skip
_WISH_VERBS = frozenset({"want", "wish", "need", "plan", "going", "try", "decide", "like"})
_PASSIVE_AUX = frozenset({"be", "get"})


def words(text: str) -> tuple[analysis.Word, ...]:
    """The words of an English sentence, with negation, wishes and the passive marked."""
    tokens = _tokens(text)
    lemmas = [_phrasal(tokens, index, _lemma(token)) for index, token in enumerate(tokens)]
    chains: list[list[str]] = [[] for _ in tokens]
    pending_negation = False
    wish_from: int | None = None
    for index, (token, lemma) in enumerate(zip(tokens, lemmas, strict=True)):
        if token in _NEGATORS:
            pending_negation = True
            continue
        if lemma in _GLUE or token in _GLUE:
            continue
        if wish_from is not None:
            # "want to die": die is wished; "don't want to live": live's wish is negated.
            chains[index] += ["たい", *chains[wish_from]]
            wish_from = None
        if pending_negation:
            chains[index].append("ない")
            pending_negation = False
        if lemma in _WISH_VERBS and index + 1 < len(tokens) and tokens[index + 1] == "to":
            wish_from = index
        if index and lemmas[index - 1] in _PASSIVE_AUX and token.endswith(("ed", "en")):
            chains[index].insert(0, "れる")
    return tuple(
        analysis.Word(
            lemma=lemma,
            forms=frozenset({lemma, token}),
            pos="en",
            chain=tuple(chain),
        )
        for token, lemma, chain in zip(tokens, lemmas, chains, strict=True)
        if token not in _NEGATORS
    )


# "Threw up" is no throw: a verb and its particle read as one.
_PHRASAL = {("throw", "up"): "vomit", ("puke", "up"): "vomit", ("chuck", "up"): "vomit"}


def _phrasal(tokens: list[str], index: int, lemma: str) -> str:
    following = tokens[index + 1] if index + 1 < len(tokens) else ""
    return _PHRASAL.get((lemma, following), lemma)


def _tokens(text: str) -> list[str]:
    lowered = text.casefold().replace("’", "'").replace("‘", "'")
    tokens: list[str] = []
    for raw in _TOKEN.findall(lowered):
        opened = _CONTRACTIONS.get(raw)
        if opened is None:
            opened = raw
            for suffix, replacement in _SUFFIXES.items():
                if raw.endswith(suffix) and len(raw) > len(suffix):
                    opened = raw[: -len(suffix)] + replacement
                    break
        tokens.extend(opened.split())
    return tokens


@cache
def _lemma(token: str) -> str:
    import simplemma

    return str(simplemma.lemmatize(token, lang="en")).casefold()
