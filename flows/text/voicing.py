"""Kana typed without voicing marks or small kana, read again with them put back.

Some older residents type kana on a phone without ever reaching the dakuten key or the small
kana (「くすり せんふ のんた」 for 「くすり ぜんぶ のんだ」, 「よめか こはん くれない」 for
「よめが ごはん くれない」): the words the rules know are not there. `restored` puts the marks
back where the dictionary reads the message better with them: one mark or two neighbouring ones
at a time, as long as each change lowers the tokenizer's path cost by more than a change costs.
Some type a mark now and then (「ゆきで すへって うこけない」): their words without one are
searched too, for clearer readings only. It is a guess (「かし」 is both 菓子 and 火事), so a
reading of the restored text is only ever a question to the resident (flows/safety), never
the numbers at once.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator

from flows.text import japanese
from flows.text.analysis import to_hiragana

_PLAIN = "かきくけこさしすせそたちつてとはひふへほ"
_VOICED = "がぎぐげござじずぜぞだぢづでどばびぶべぼ"
_MARKED: dict[str, tuple[str, ...]] = {
    plain: (voiced,) for plain, voiced in zip(_PLAIN, _VOICED, strict=True)
}
for _plain, _half in zip("はひふへほ", "ぱぴぷぺぽ", strict=True):
    _MARKED[_plain] += (_half,)
for _plain, _small in zip("つやゆよ", "っゃゅょ", strict=True):
    _MARKED[_plain] = (*_MARKED.get(_plain, ()), _small)
# The same in katakana (ヨメカ for ヨメガ), which sits 0x60 above hiragana.
_MARKED |= {
    chr(ord(plain) + 0x60): tuple(chr(ord(c) + 0x60) for c in marked)
    for plain, marked in list(_MARKED.items())
}

# Any voiced or small kana (any that _MARKED puts back, or a small vowel), a long-vowel mark or
# a kanji: one who typed one of these can reach the keys, and leaves a mark out less often.
_ANY_MARK = re.compile(
    "["
    + "".join(c for marked in _MARKED.values() for c in marked)
    + "ぁぃぅぇぉァィゥェォヴー\u4e00-\u9fff々]"
)
# A dakuten or handakuten: a word typed with one is left as typed.
_VOICING_MARK = re.compile(
    "["
    + "".join(c for marked in _MARKED.values() for c in marked if c not in "っゃゅょッャュョ")
    + "ヴ]"
)
_KANA = re.compile(r"[ぁ-ゖァ-ヺ]")
_KANJI = re.compile("[\u4e00-\u9fff々]")
_HIRAGANA = re.compile(r"[ぁ-ゖ]")
_LATIN_WORD = re.compile(r"[A-Za-z]{3}")
# What one change costs, in the tokenizer's units: the dictionary must read the message
# clearly better for a mark to go in (500, 1,000 and 1,500 read the corpus' kana-only lines
# alike; the middle one was kept).
_CHANGE_COST = 1000
# One who typed some marks and not others (「ゆきで すへって うこけない」) reached the key: a
# mark they left out must make a much clearer reading (1,000 and 3,000 let 「ありますか」 become
# 「ありますが」 and so false alarms through on the training split; 5,000 none).
_PARTLY_CHANGE_COST = 5000
# Two marks at most this far apart may go in together (ぜんぶ from せんふ: neither alone is a
# word).
_PAIR_SPAN = 3
# Longer messages are not searched, nor longer stretches without a space: the search grows
# with the square of the marks a stretch may take (40 kana: about 10 ms).
_LONGEST = 200
_LONGEST_STRETCH = 40


def unmarked(text: str) -> bool:
    """Whether `text` looks typed by someone who cannot reach the voicing marks, or reaches
    them only now and then: kana only (no kanji, no English word), at least a few, and a
    word in it with none of the marks where some could go."""
    return (
        len(text) <= _LONGEST
        and len(_KANA.findall(text)) >= 4
        and not _KANJI.search(text)
        and not _LATIN_WORD.search(text)
        and any(_markable(part) for part in text.split())
    )


def _markable(stretch: str) -> bool:
    """A word typed without a voicing mark (a small っ is easier to reach) or kanji, with
    kana that could take one."""
    return (
        len(stretch) >= 2
        and not _VOICING_MARK.search(stretch)
        and not _KANJI.search(stretch)
        and any(c in _MARKED for c in stretch)
    )


def restored(text: str) -> str:
    """`text` with the voicing marks and small kana the dictionary reads it best with; a
    message all in katakana comes back in hiragana (the dictionary reads an unknown run of
    katakana as one cheap foreign noun, so it would never look for ゴハン in コハン). Those who
    type this way put a space between words, so each stretch between spaces is searched on
    its own: the search stays short however long the message."""
    # A word typed with a mark is left as typed; and where the writer typed some marks, a
    # mark they left out must make a much clearer reading (_PARTLY_CHANGE_COST).
    partly = bool(_ANY_MARK.search(text))
    if not _HIRAGANA.search(text):
        text = to_hiragana(text)
    return "".join(_restored_stretch(part, partly) for part in re.split(r"(\s+)", text))


def _restored_stretch(text: str, partly: bool) -> str:
    if len(text) > _LONGEST_STRETCH or not _markable(text):
        return text
    change_cost = _PARTLY_CHANGE_COST if partly else _CHANGE_COST
    best, changes = text, 0
    cost = japanese.path_cost(best)
    while True:
        step = min(
            ((japanese.path_cost(c) + (changes + n) * change_cost, c, n) for n, c in _moves(best)),
            default=None,
        )
        if step is None or step[0] >= cost:
            return best
        cost, best, n = step
        changes += n


def _moves(text: str) -> Iterator[tuple[int, str]]:
    """Every text one mark away from `text`, then every text two nearby marks away."""
    places = [(i, marked) for i, c in enumerate(text) for marked in _MARKED.get(c, ())]
    for i, marked in places:
        yield 1, text[:i] + marked + text[i + 1 :]
    for (i, first), (j, second) in itertools.combinations(places, 2):
        if i < j <= i + _PAIR_SPAN:
            yield 2, text[:i] + first + text[i + 1 : j] + second + text[j + 1 :]
