"""Japanese words through SudachiPy: dictionary forms, with the auxiliaries folded into flags.

The dictionary (sudachidict-core) is inside an installed package and is loaded once per
process, on first use; `warm()` loads it ahead, so the first resident does not wait.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache
from typing import TYPE_CHECKING

from flows.text import analysis

if TYPE_CHECKING:
    from sudachipy import Morpheme, Tokenizer

# Auxiliaries and endings that negate what comes before: ない, ぬ/ん/ず (ません), 関西の
# へん/ひん, 東日本の ねえ.
_NEGATIONS = frozenset({"ない", "無い", "ず", "ぬ", "ん", "へん", "ひん", "ねえ", "ねぇ", "まい"})
# 〜たい, and the volitional 〜う/〜よう (死のう, 終わらせよう): a wish or an intent.
_WISHES = frozenset({"たい", "う", "よう"})
_PASSIVES = frozenset({"れる", "られる"})
_PASTS = frozenset({"た", "だ"})
_KANJI = re.compile(r"[\u4e00-\u9fff々]")
# Verbs that only carry aspect after 〜て: 倒れている, 倒れてしまう, 倒れてくる, 倒れとる.
_ASPECT_VERBS = frozenset(
    {"居る", "仕舞う", "来る", "行く", "置く", "御座る", "おる", "ちゃう", "とる", "成る", "見る"}
)
_LINKING_PARTICLES = frozenset({"て", "で", "ちゃ", "じゃ", "ば"})
# A noun takes the verb after it as its own: 息をしていない, 意識がない, 返事がありません.
_LIGHT_VERBS = frozenset({"為る", "有る", "無い", "出来る", "ない"})
_NOUN_PARTICLES = frozenset({"が", "を", "は", "も"})
# 意識なし, 反応無し: the noun なし (none) after a noun negates it, as 無い does after が.
_NONE_NOUNS = frozenset({"なし", "無し", "無"})
_CONTENT = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "代名詞", "感動詞", "連体詞"})

_lock = threading.Lock()


# Kansai's しまった after て/で (食べてもうた, 飲んでもた): the dictionary reads もう + 歌 there.
_SHIMATTA_WEST = re.compile(r"(?<=[てで])(?:もうた|もた)(?=$|[^ぁ-ゖ]|[よねなぞでけか])")


def words(text: str) -> tuple[analysis.Word, ...]:
    """The content words of one Japanese sentence, each with what its auxiliaries say."""
    text = _SHIMATTA_WEST.sub("しまった", text)
    # Older residents typing in kana often put a space between words (いきを して いません);
    # the space separates words for the tokenizer but must not cut a word from its auxiliaries.
    morphemes = [m for m in _tokens(text) if m.part_of_speech()[0] != "空白"]
    result: list[analysis.Word] = []
    index = 0
    while index < len(morphemes):
        morpheme = morphemes[index]
        pos = morpheme.part_of_speech()[0]
        if pos not in _CONTENT:
            index += 1
            continue
        tail_end = _tail_end(morphemes, index + 1)
        chain = _chain(morphemes[index + 1 : tail_end])
        if morpheme.part_of_speech()[5].startswith("意志推量形"):
            chain = ("たい", *chain)  # 死のう: an intent, as 死にたい is a wish
        if pos in ("名詞", "代名詞"):
            chain = chain or _light_verb_chain(morphemes, index + 1)
        if (
            morpheme.surface() == "い"
            and chain[:1] == ("たい",)
            and morpheme.normalized_form() == "居る"
        ):
            # いたい typed in kana is far more often 痛い (it hurts) than 居たい (to wish to stay).
            result.append(_pain(morpheme, chain[1:]))
        else:
            result.append(_word(morpheme, pos, chain))
        # The tail (倒れ|て|いる) belongs to the word; 居る there is not a word of its own.
        index = max(tail_end, index + 1)
    return tuple(result)


def warm() -> None:
    """Load the dictionary now rather than at the first message."""
    _tokenizer()


def in_kana(text: str) -> str:
    """`text` as someone who types only in kana would write it: every word written with kanji
    replaced by its hiragana reading ("母が倒れた" → "ははがたおれた"); kana, digits, Latin
    letters, emoji and punctuation stay as they are."""
    return "".join(
        analysis.to_hiragana(m.reading_form()) if _KANJI.search(m.surface()) else m.surface()
        for m in _tokenize(unicodedata.normalize("NFKC", text))
    )


def reading(text: str) -> str:
    """The hiragana reading of a word, as the dictionary gives it ("胸" → "むね")."""
    return "".join(
        analysis.to_hiragana(m.reading_form())
        for m in _tokenize(unicodedata.normalize("NFKC", text))
    )


def is_word(kana: str) -> bool:
    """Whether `kana` is one word the dictionary knows ("はは", "だめ"), or a verb or adjective
    with its endings ("きて"), not letters it can only cut into pieces ("ふぃれ", "まで")."""
    morphemes = _tokenize(kana)
    if not morphemes or morphemes[0].is_oov():
        return False
    first, *rest = morphemes
    if not rest:
        return True
    return first.part_of_speech()[0] in ("動詞", "形容詞") and all(
        m.part_of_speech()[0] in ("助詞", "助動詞") for m in rest
    )


def _word(morpheme: Morpheme, pos: str, chain: tuple[str, ...]) -> analysis.Word:
    lemma = morpheme.normalized_form()
    forms = {lemma, analysis.to_hiragana(lemma)}
    # A word typed in kana also goes by its reading, so むね finds 胸; a kanji word does not,
    # or 肩 (かた) would be taken for 方 (かた).
    if _is_kana(morpheme.surface()):
        forms.add(analysis.to_hiragana(morpheme.dictionary_form()))
        forms.add(analysis.to_hiragana(morpheme.reading_form()))
    return analysis.Word(
        lemma=lemma,
        forms=frozenset(forms),
        pos=pos,
        chain=chain,
        groups=tuple(morpheme.synonym_group_ids()),
    )


def _pain(morpheme: Morpheme, chain: tuple[str, ...]) -> analysis.Word:
    return analysis.Word(
        lemma="痛い", forms=frozenset({"痛い", "いたい"}), pos="形容詞", chain=chain
    )


def _is_kana(text: str) -> bool:
    return all("\u3040" <= c <= "\u30ff" or c == "ー" for c in text)


def _is_tail(morpheme: Morpheme) -> bool:
    """Whether a word only carries tense, aspect or polarity for the word before it."""
    pos = morpheme.part_of_speech()
    if pos[0] in ("助動詞", "接尾辞"):
        return True
    if pos[0] == "助詞":
        return morpheme.surface() in _LINKING_PARTICLES
    if morpheme.surface() in ("へん", "ひん", "ねえ", "ねぇ", "へんかった", "ん"):
        return True
    if pos[1] == "非自立可能" and pos[0] in ("動詞", "形容詞"):
        return morpheme.normalized_form() in _ASPECT_VERBS | {"無い", "ない", "欲しい"}
    return False


def _tail_end(morphemes: list[Morpheme], start: int) -> int:
    end = start
    while end < len(morphemes) and _is_tail(morphemes[end]):
        end += 1
    return end


def _chain(tail: list[Morpheme]) -> tuple[str, ...]:
    """What the auxiliaries after a word do to it, in order: ない, たい, れる, た."""
    links: list[str] = []
    for morpheme in tail:
        lemma, surface = morpheme.normalized_form(), morpheme.surface()
        if lemma in _NEGATIONS or surface in (
            "へん",
            "ひん",
            "ねえ",
            "ねぇ",
            "なかった",
            "へんかった",
        ):
            links.append("ない")
        elif lemma in _WISHES:
            links.append("たい")
        elif lemma in _PASSIVES:
            links.append("れる")
        elif lemma in _PASTS:
            links.append("た")
    return tuple(links)


def _light_verb_chain(morphemes: list[Morpheme], start: int) -> tuple[str, ...]:
    """息をしていない: the noun 息 takes 為る's negation; 意識がない: 無い is a negation, and
    so is 意識なし."""
    index = start
    if index < len(morphemes) and morphemes[index].normalized_form() in _NONE_NOUNS:
        return ("ない", *_chain(morphemes[index + 1 : _tail_end(morphemes, index + 1)]))
    # 冗談ではありません, 夢でもない: the copula's で before は or も, then the light verb.
    if (
        index + 1 < len(morphemes)
        and morphemes[index].surface() == "で"
        and morphemes[index + 1].surface() in ("は", "も")
    ):
        index += 1
    if index < len(morphemes) and morphemes[index].surface() in _NOUN_PARTICLES:
        index += 1
    if index >= len(morphemes):
        return ()
    verb = morphemes[index]
    lemma = verb.normalized_form()
    if lemma not in _LIGHT_VERBS:
        return ()
    chain = _chain(morphemes[index + 1 : _tail_end(morphemes, index + 1)])
    if lemma in ("無い", "ない"):
        chain = ("ない", *chain)
    return chain or ("",)


# Nouns an older resident types in kana with no particle after them (あたまいたい, のどはれてる,
# かおゆがんでる), where the dictionary cuts them in two (あ|たまい|たい: "may it please"). Looked
# for only where a clause begins (nothing or a space or a stop before), as particle-less typing
# runs: after other letters (市役所のどちら, which) のど is not a word.
_KANA_NOUNS = re.compile(
    r"(?<!\w)(おなか|せなか|いしき|むすこ|むすめ|おっと|あたま|のど|かお|むね|はら|あし|こし|くび|"
    r"うで|ひざ|くち|みみ|はは|ちち|つま|まご)(?=\S)"
)


def _tokens(text: str) -> list[Morpheme]:
    """The morphemes of `text`, read again with a space after each of _KANA_NOUNS the tokenizer
    cut inside; a word that only begins with one (あした, tomorrow) is left whole."""
    morphemes = _tokenize(text)
    found = [match.span() for match in _KANA_NOUNS.finditer(text)]
    if not found:
        return morphemes
    bounds, offset = {0}, 0
    for morpheme in morphemes:
        offset += len(morpheme.surface())
        bounds.add(offset)
    cut_inside = {
        end for start, end in found if start in bounds and any(start < b < end for b in bounds)
    }
    if not cut_inside:
        return morphemes
    for end in sorted(cut_inside, reverse=True):
        text = f"{text[:end]} {text[end:]}"
    return _tokenize(text)


# What an unknown word adds to a path's cost in `path_cost`: the tokenizer prices one cheaply
# (a run of kana it has no word for is one noun), which would let a mistyped word pass.
_UNKNOWN_WORD_COST = 3000


def path_cost(text: str) -> int:
    """How hard the dictionary finds `text` to read: the cost of its best path through the
    lattice, and more for each word it does not know. Lower is more like Japanese."""
    tokenizer = _tokenizer()
    with _lock:
        morphemes = tokenizer.tokenize(text)
        unknown = sum(1 for morpheme in morphemes if morpheme.is_oov())
        return morphemes.get_internal_cost() + unknown * _UNKNOWN_WORD_COST


def _tokenize(text: str) -> list[Morpheme]:
    tokenizer = _tokenizer()
    # Sudachi's tokenizer is not safe to share between threads; the lock costs nothing
    # beside a few tens of microseconds of analysis.
    with _lock:
        return list(tokenizer.tokenize(text))


@cache
def _tokenizer() -> Tokenizer:
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="core").tokenizer(mode=SplitMode.C)
