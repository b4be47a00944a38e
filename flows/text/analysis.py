"""A message as words: sentences of dictionary forms, each marked negated, wished or passive.

`analyse("母がたおれてうごかない")` gives one sentence whose words are 母, 倒れる and 動く
(negated): conjugation, kana or kanji spelling and width no longer matter to what reads it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from flows.text import english, japanese

# A sentence ends at these; a rule's words must meet inside one sentence.
_SENTENCE_END = re.compile(r"[。．.!?！？\n]+|(?<=[ぁ-んァ-ヶ一-龠])[ 　]{2,}")
# A short quotation is part of the sentence that quotes it: 「熱い！熱い！」って泣き叫んでて
# ends no sentence at its "！" (nor 'calling "dareka... dareka..." weakly' at its dots), or
# the cry and who cried it are read apart.
_QUOTED = re.compile(r"[「『][^「」『』\n]{1,40}[」』]|[\"“][^\"“”\n]{1,40}[\"”]")
_QUOTED_END = re.compile(r"[。．.!?！？]+")
# けど ends a clause after a verb or です (倒れたけど, 大丈夫ですけど), not inside やけど (a burn).
# のに ends a clause (来たのに), but not inside ガスのにおい: cut there, the smell was read as
# おい (a nephew) and 「ガスのにおいがする」 as a fire. じゃなくて ends one too: what it denies
# stops there (「消えたいとかじゃなくて普通に死にたい」 is no denial of the wish to die).
_CLAUSE_END = re.compile(
    r"[、,，;；:：]+|(?<=[たいるすんだ]けど)|(?<=けれど)|(?<=のに)(?!お[いう])|\bbut\b"
    r"|(?<=じゃなくて)|(?<=ではなくて)|(?<=やなくて)"
)
# A long-vowel mark at the end of a word ("たすけてー") says nothing.
_TRAILING_LONG_VOWEL = re.compile("(?<=[ぁ-ゖ])ー+(?![ぁ-ゖ])")
_LATIN_WORD = re.compile(r"[a-z]{2,}")
_KATAKANA_ONLY = re.compile(r"[ァ-ヶー\s]+")
# One English word, its apostrophe inside it: don't is one word, not don and t.
_LATIN_RUN = re.compile(r"[a-z]+(?:['’][a-z]+)*")
# Kana and kanji: what makes a message (or a clause) Japanese as typed.
_JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]+")
# Tears of laughter, rolling on the floor, a skull ("I'm dead"), a laughing cat.
_LAUGHING_EMOJI = re.compile("[\U0001f602\U0001f923\U0001f480\U0001f606\U0001f639]+\ufe0f?")
# A "w" typed after Japanese (言われたw, 草www) is the same laugh, and ends its sentence too:
# left inside it, 「言われたw いつもの」 folds to 言われた笑いつもの, and 笑い is not a laugh.
_JAPANESE_W = re.compile(r"(?<=[ぁ-んァ-ヶ一-龠ー])w+(?![a-z])", re.IGNORECASE)


@dataclass(frozen=True)
class Word:
    """One content word: its dictionary form and what the words after it do to it."""

    lemma: str
    # Other spellings that name the same word: the hiragana of the lemma, its reading.
    forms: frozenset[str]
    pos: str
    # What the auxiliaries after it say, in order: "ない", "たい", "れる", "た"; so that
    # 死にたくない (たい, ない) and いなくなりたい (ない, たい) are told apart.
    chain: tuple[str, ...] = ()
    # The dictionary's synonym groups the word belongs to (Sudachi's: 息 and 呼吸 share one):
    # a meaning the classifier can learn from one author's word and meet in another's.
    groups: tuple[int, ...] = ()

    @property
    def negated(self) -> bool:
        """Whether the word ends up negated (動かない, isn't breathing)."""
        return self.chain.count("ない") % 2 == 1

    @property
    def passive(self) -> bool:
        """Whether it was done to someone (殴られた, was hit)."""
        return "れる" in self.chain


@dataclass(frozen=True)
class Clause:
    """A stretch between commas or a けど: where a negation or a figure of speech reaches."""

    words: tuple[Word, ...]
    folded: str
    # The same with each Latin word's first letter in upper case: folding takes the spaces
    # out, and this is where rules' patterns still see where an English word starts.
    marked: str
    text: str  # as written


@dataclass(frozen=True)
class Sentence:
    clauses: tuple[Clause, ...]

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(word for clause in self.clauses for word in clause.words)


@dataclass(frozen=True)
class Analysis:
    text: str
    # One width, hiragana, lower case, no spaces or symbols: for phrase-level matching.
    folded: str
    sentences: tuple[Sentence, ...]
    language: str  # "ja" or "en": the one most of the message is written in

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(word for sentence in self.sentences for word in sentence.words)

    @property
    def clauses(self) -> tuple[Clause, ...]:
        return tuple(clause for sentence in self.sentences for clause in sentence.clauses)


def analyse(text: str) -> Analysis:
    """The message as sentences of words, in Japanese or English or a mix of both."""
    return _analyse(text[:_MAX_CHARS])


# A resident's 3,000-character message is read whole; beyond that, nothing new is said.
_MAX_CHARS = 5000


@lru_cache(maxsize=256)
def _analyse(text: str) -> Analysis:
    normal = unicodedata.normalize("NFKC", text)
    half_width = any("\uff65" <= c <= "\uff9f" for c in text)
    in_japanese = _has_japanese(normal)
    # Japanese in Latin letters beside a few kana (「ごめんなさい」 nankai mo): the Latin is read
    # as the message's own, apart from its kana and kanji.
    romaji = _in_romaji(_JAPANESE.sub(" ", normal))
    # A laughing emoji is a "lol" that ends its sentence: what comes after it is news of its own.
    normal = _LAUGHING_EMOJI.sub(" 笑。" if in_japanese else " lol. ", normal)
    normal = _JAPANESE_W.sub(" 笑。", normal)
    normal = _QUOTED.sub(lambda quote: _QUOTED_END.sub(" ", quote[0]), normal)
    sentences = []
    for part in _parts(normal, laughter_ends=not romaji):
        clauses = tuple(
            _clause(piece, half_width, romaji) for piece in _CLAUSE_END.split(part) if piece.strip()
        )
        if clauses:
            sentences.append(Sentence(clauses))
    language = "ja" if in_japanese else "en"
    return Analysis(text=text, folded=fold(text), sentences=tuple(sentences), language=language)


# Laughter, however it is typed, becomes one sign (笑) that the rules can see once folded (a
# "w" after Japanese already has, and ended its sentence: _JAPANESE_W).
_LAUGHTER = re.compile(
    r"(?<![a-z])(?:lol+|lmao|rofl|ha(?:ha)+|he(?:he)+|jk|xd)(?![a-z])", re.IGNORECASE
)


def _parts(text: str, laughter_ends: bool) -> list[str]:
    """The text's sentences. A laugh inside one ends it, as a laughing emoji does: "she loves
    the Japanese toilet haha, but now she fell in the bathtub" laughs at the toilet, not the
    fall. A laugh that opens a sentence ("lol my brother got hit by truck-kun in the anime")
    lightens what it opens, and stays. Not in Japanese typed in Latin letters, where "haha"
    is a mother."""
    parts = []
    for part in _SENTENCE_END.split(text):
        start = 0
        for laugh in _LAUGHTER.finditer(part) if laughter_ends else ():
            if part[start : laugh.start()].strip() and _LATIN_WORD.search(
                part[laugh.end() :].casefold()
            ):
                parts.append(part[start : laugh.end()])
                start = laugh.end()
        parts.append(part[start:])
    return parts


def _clause(text: str, half_width: bool, romaji: bool) -> Clause:
    # A message typed all in half-width katakana (ﾊﾊｶﾞ ﾀｵﾚﾀ), as older phones do, reads as
    # the words it spells once in hiragana; ordinary katakana words (ナイフ) stay as they are.
    if half_width and _KATAKANA_ONLY.fullmatch(text):
        text = to_hiragana(text)
    # Japanese typed in Latin letters ("otto ga ugokanai") is read in kana, beside the English
    # words it is often mixed with ("Ojiichan fell down the kaidan, atama kara chi ga").
    has_japanese = _has_japanese(text)
    in_latin = romaji and not has_japanese
    kana, english_part = _romaji_split(text) if in_latin else ("", text)
    words = japanese.words(text) if has_japanese else japanese.words(kana) if kana else ()
    if _LATIN_WORD.search(english_part.casefold()):
        words = (*words, *english.words(english_part))
    # The English words and the Japanese ones are read as two runs, each in its own order:
    # interleaved, "he won't let me out" read as "he へ won't let me め out" and no English
    # phrase matched it, nor a Japanese one "otto ga ... taoreta" around an English word.
    # Read as if typed so ("haha" is a mother there, not a laugh).
    runs = [_LAUGHTER.sub("笑", run) for run in ((english_part, kana) if in_latin else (text,))]
    return Clause(
        tuple(words),
        "\n".join(folded for run in runs if (folded := fold(run))),
        "\n".join(marked for run in runs if (marked := fold(run, mark_words=True))),
        text,
    )


# A word of Hepburn syllables: ka, shi, tsu, kyu, n, and a doubled consonant (itte, kitto).
_ROMAJI_WORD = re.compile(
    r"(?<![a-z])(?:(?:[kgsztdnhbpmrj]y|sh|ch|ts|[kgsztdnhbpmrfwyjv])?[aiueo]|n(?![aiueoy])"
    r"|([kgstdpbcmz])(?=\1))+(?![a-z])",
    re.IGNORECASE,
)
# Words only Japanese typed in Latin letters has: particles and endings no English, Tagalog
# or Portuguese sentence uses.
_ROMAJI_MARKERS = frozenset(
    {"ga", "wo", "desu", "desuka", "masu", "mashita", "masen", "kudasai", "shite", "shita",
     "teru", "teiru", "imasu", "nai", "tte", "kara", "dake", "tasukete", "janai", "dou",
     "hayaku", "onegai"}
)  # fmt: skip


# How a Latin word reads in a message with Japanese in Latin letters (_read_as).
_JA, _EN, _BOTH = "ja", "en", "both"
# Typed in Latin letters beside Japanese words, this is a mother (はは), not a laugh.
_ROMAJI_ONLY = frozenset({"haha"})


def _in_romaji(text: str) -> bool:
    """Whether the Latin letters of a message are, at least in part, Japanese."""
    latin = _LATIN_RUN.findall(text.casefold())
    hepburn = [word for word in latin if _ROMAJI_WORD.fullmatch(word)]
    if _ROMAJI_MARKERS.intersection(latin) and len(hepburn) >= 2:
        return True
    # No particle, but mostly words only Japanese has ("mou ikitakunai. kusuri zenbu nonda").
    only_japanese = [word for word in hepburn if len(word) > 2 and _read_as(word) == _JA]
    if len(only_japanese) >= 3 and 2 * len(only_japanese) >= len(latin):
        return True
    # A word or three, too short to carry a particle ("shinitai", "otto taoreta"): Japanese
    # when every word can be and one is no English word.
    if not 0 < len(latin) <= 3:
        return False
    readings = [_read_as(word) for word in latin]
    return _EN not in readings and any(
        reading == _JA and len(word) > 3 for word, reading in zip(latin, readings, strict=True)
    )


def _romaji_split(text: str) -> tuple[str, str]:
    """A clause in Latin letters as (its Japanese words in kana, its English words). A word
    that can be either ("no", "sake") is read both ways, unless nothing in the clause is only
    English: then it is Japanese throughout."""
    import jaconv

    latin = _LATIN_RUN.findall(text.casefold())
    readings = [_read_as(word) for word in latin]
    if _EN not in readings:
        readings = [_JA] * len(readings)
    read = [
        (word, str(jaconv.alphabet2kana(word)), how)
        for word, how in zip(latin, readings, strict=True)
    ]
    kana = " ".join(k for _, k, how in read if how != _EN)
    english = " ".join(w for w, _, how in read if how != _JA)
    return kana, english


@lru_cache(maxsize=4096)
def _read_as(word: str) -> str:
    """_JA ("taoreta"), _EN ("fire": not Hepburn, or an English word and no Japanese one) or
    _BOTH ("no", "sake")."""
    import jaconv
    import simplemma

    if not _ROMAJI_WORD.fullmatch(word):
        return _EN
    if word in _ROMAJI_ONLY or not simplemma.is_known(word, lang="en"):
        return _JA
    if len(word) <= 2 or japanese.is_word(str(jaconv.alphabet2kana(word))):
        return _BOTH
    return _EN


def fold(text: str, mark_words: bool = False) -> str:
    """Text as phrases are matched: one width, hiragana, lower case, no spaces or symbols;
    with `mark_words`, each Latin word begins in upper case ("he kicked me" is HeKickedMe)."""
    folded = to_hiragana(unicodedata.normalize("NFKC", text).casefold())
    if mark_words:
        folded = _LATIN_RUN.sub(lambda word: word[0].capitalize(), folded)
    kept = "".join(char for char in folded if unicodedata.category(char)[0] not in "ZPSC")
    return _TRAILING_LONG_VOWEL.sub("", kept)


def to_hiragana(text: str) -> str:
    # Katakana ァ..ヶ sit exactly 0x60 above their hiragana.
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _has_japanese(text: str) -> bool:
    return _JAPANESE.search(text) is not None
