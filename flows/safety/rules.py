"""Rules over words and concepts (rules.yaml), matched over a short message whole and over a
long one sentence by sentence and three sentences at a time.

A rule is a few items that must meet in what is read together: a word with its polarity (動く~ is
動かない, 動けません, can't move), a concept ($chest: 胸, 心臓, chest, heart), or a pattern
over the folded sentence. Clauses that deny (死にたいとは思わない) or are figures of speech
(死ぬほど笑った) are taken out first; a sentence about a course, a film or a past event only
raises a concern.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from flows.text import Analysis, Clause, Sentence, fold
from flows.text.matching import (
    Alternative,
    Gates,
    Rule,
    Scope,
    any_rule,
    compile_concepts,
    compile_rules,
    expand_fragments,
    gates,
    matches,
    may_match_rules,
    scope_of,
    signature_of,
)

RULES = Path(__file__).with_name("rules.yaml")
TIERS = ("certain", "possible", "concern")
# Where other modules read it from: the classifier's features.
__all__ = [
    "Hit",
    "beside_the_cry",
    "concepts_in",
    "hits",
    "kinds",
    "only_a_cry",
    "set_aside",
    "signature_of",
]


@dataclass(frozen=True)
class Ruleset:
    kinds: dict[str, dict[str, tuple[Rule, ...]]]
    unreal: tuple[Rule, ...]
    denied: tuple[Rule, ...]
    playful: tuple[Rule, ...]
    happening: tuple[Rule, ...]
    asking: tuple[Rule, ...]
    set_aside: dict[str, tuple[Rule, ...]]
    cries: tuple[Rule, ...]  # distress's first certain rules: 「たすけて」, "help me"
    pleas: tuple[Rule, ...]
    gates: Gates  # over the kinds' rules

    def kinds_rules(self) -> list[Rule]:
        """Every rule of every kind and tier."""
        return _kinds_rules(self.kinds)


@dataclass(frozen=True)
class Hit:
    kind: str
    tier: str
    rule: str
    # A concern only because the sentence is not about now (a course, "if…", long ago).
    dampened: bool = False
    # The kind's other rules of the same tier that matched too: a rule written for exactly
    # this ("kicking his elderly mother") is not hidden behind a broader one listed first.
    also: tuple[str, ...] = ()

    @property
    def rules(self) -> tuple[str, ...]:
        """Every rule of this kind and tier that matched, the first one first."""
        return (self.rule, *self.also)


def hits(analysis: Analysis) -> list[Hit]:
    """Every kind a message raises, with the strongest tier each reaches."""
    ruleset = _ruleset()
    best: dict[str, Hit] = {}
    # A short message is read whole: written in fragments ("Fell in the hallway. Can't get
    # up."), its rules meet across sentences, and "…but it was nothing" at its end counts for
    # all of it. A long one is read sentence by sentence, and three sentences at a time: a
    # letter's greeting does not speak for its news, but the news itself may come in short
    # sentences ("We're at the dam. It's cold. I'm sorry."). Measured on the held-out split
    # (December 2026): 4 more emergencies shown their numbers, no false alarm more.
    sentences = analysis.sentences
    read = _Reading.of(ruleset, sentences)
    short = len(sentences) <= _SHORT_SENTENCES
    asking = _sentences_where(ruleset.asking, sentences) if short else []
    if short:
        groups = [(0, len(sentences)), *_news_after_the_past(ruleset, sentences)]
        groups += _told_before_asking(asking)
    else:
        groups = _one_and_three_at_a_time(len(sentences))
    for start, end in groups:
        live = read.live(start, end)
        if live:
            _matchscope_of(ruleset, scope_of(live), best)
    told = _told_before_asking_in_its_sentence(ruleset, read, sentences, asking)
    if told:
        _matchscope_of(ruleset, scope_of(told), best)
    return [best[kind] for kind in ruleset.kinds if kind in best]


def _one_and_three_at_a_time(count: int) -> list[tuple[int, int]]:
    """The groups a long message's sentences are read in: each alone, then each three."""
    return [(i, i + 1) for i in range(count)] + [
        (i, i + _WINDOW) for i in range(count - _WINDOW + 1)
    ]


@dataclass(frozen=True)
class _Reading:
    """What the rules read of each sentence of a message, worked out once for the several
    groups of sentences they read it in: its clauses that do not deny or speak in figures,
    and whether it was said in play."""

    kept: tuple[tuple[Clause, ...], ...]
    playful: tuple[bool, ...]

    @classmethod
    def of(cls, ruleset: Ruleset, sentences: Iterable[Sentence]) -> _Reading:
        sentences = tuple(sentences)
        return cls(
            kept=tuple(
                tuple(c for c in s.clauses if not any_rule(ruleset.denied, scope_of([c])))
                for s in sentences
            ),
            playful=tuple(any_rule(ruleset.playful, scope_of(s.clauses)) for s in sentences),
        )

    def live(self, start: int, end: int) -> list[Clause]:
        """The clauses the rules read in sentences start to end."""
        return [clause for i in range(self.first_read(start, end), end) for clause in self.kept[i]]

    def first_read(self, start: int, end: int) -> int:
        """The first of sentences start to end that is read: not one said in play nor any
        before it. A joke marker lightens what it ends ("help! the form is so confusing
        lol"), not what comes after ("the movie was killer lol. anyway dad just collapsed")."""
        jokes = [i for i in range(start, end) if self.playful[i]]
        return jokes[-1] + 1 if jokes else start


def _news_after_the_past(
    ruleset: Ruleset, sentences: tuple[Sentence, ...]
) -> list[tuple[int, int]]:
    """The sentences after the last one that is not about now, when they tell of something
    happening this moment: read whole, "Her pills ran out last week. She just had a fit and
    now she isn't responding" was all past, as "Fell last week. It was nothing" is all
    resolved. A past sentence speaks for what comes after it only until the news turns to
    now (just, suddenly, さっき, 急に)."""
    if len(sentences) < 2:
        return []
    unreal = _sentences_where(ruleset.unreal, sentences)
    if not unreal or unreal[-1] == len(sentences) - 1:
        return []
    after = sentences[unreal[-1] + 1 :]
    clauses = [clause for sentence in after for clause in sentence.clauses]
    news = (unreal[-1] + 1, len(sentences))
    return [news] if any_rule(ruleset.happening, scope_of(clauses)) else []


def _told_before_asking(asking: list[int]) -> list[tuple[int, int]]:
    """The sentences before the first that asks for a number, what to do or whether it is
    normal: read whole, "Fire next door!! Smoke pouring out the eaves. Where's the number for
    the firies?" was only a question about a number, as "What number do I call if he
    collapses?" is, and "I smell gas again and have a headache. Is that normal?" a question
    for information. Asking does not make what was told before it hypothetical; told on their
    own, a past event or an "if…" there still speaks for itself."""
    return [(0, asking[0])] if asking and asking[0] > 0 else []


_CONDITIONAL = re.compile(r"(たら|だら|れば|なら|ても|でも|とき|時|場合|際)$|^(if|incase|when)")


def _told_before_asking_in_its_sentence(
    ruleset: Ruleset, read: _Reading, sentences: tuple[Sentence, ...], asking: list[int]
) -> list[Clause]:
    """What was told before a question for a number asked in the same sentence, after a
    comma: "my friend hand caught in press machine, so much blood, what number" is no more a
    question about numbers than its sentence-long form (_told_before_asking). Only the
    sentences that ask (`asking`, each read whole) are read clause by clause: the rules'
    patterns are multi-line, so a clause that asks makes its sentence ask too."""
    for i in asking:
        sentence = sentences[i]
        for c, clause in enumerate(sentence.clauses):
            if c and any_rule(ruleset.asking, scope_of([clause])):
                before = sentence.clauses[:c]
                # 「父が倒れたら、どこに連絡すれば」: what is told as an "if" stays one.
                if read.playful[i] or any(_CONDITIONAL.search(told.folded) for told in before):
                    return []
                told = [kept for kept in read.kept[i] if kept in before]
                return [*read.live(0, i), *told]
    return []


def _sentences_where(rules: tuple[Rule, ...], sentences: tuple[Sentence, ...]) -> list[int]:
    """The indexes of the sentences that one of `rules` matches, each read on its own."""
    return [i for i, s in enumerate(sentences) if any_rule(rules, scope_of(s.clauses))]


def as_read(analysis: Analysis) -> Analysis:
    """The message as the rules read it: without the clauses they set aside (those that deny,
    死にたいとは思わない, or speak in figures, 死ぬほど笑った, and sentences said in play) and,
    in a long message, only the sentences that raised an alarm, alone or, where none of
    three did alone, the three together: the greetings and the salon's news of a long letter
    do not speak for the one sentence in it that says 「台所で転んだまま起き上がれない」.
    `analysis` itself when nothing was left out."""
    ruleset = _ruleset()
    count = len(analysis.sentences)
    read = _Reading.of(ruleset, analysis.sentences)
    if count <= _SHORT_SENTENCES:
        kept = range(count)
    else:
        alarming: set[int] = set()
        for start, end in _one_and_three_at_a_time(count):
            # Three sentences count where none of them alarmed alone: the one that did does
            # not bring its neighbours' greetings with it.
            if end - start > 1 and alarming & set(range(start, end)):
                continue
            if _alarms_in(ruleset, read, start, end):
                start, end = _narrowest(ruleset, read, start, end)
                alarming.update(i for i in range(read.first_read(start, end), end) if read.kept[i])
        kept = sorted(alarming)
    sentences = [Sentence(tuple(live)) for i in kept if (live := read.live(i, i + 1))]
    if not sentences or sum(len(s.clauses) for s in sentences) == len(analysis.clauses):
        return analysis
    return _analysis_of(sentences, analysis.language)


def _analysis_of(sentences: list[Sentence], language: str) -> Analysis:
    """The part of a message made of `sentences` (what the rules kept of it), as its own
    analysis: the clauses' text joined, folded again."""
    text = " ".join(clause.text for sentence in sentences for clause in sentence.clauses)
    return Analysis(text, fold(text), tuple(sentences), language)


_SHORT_SENTENCES = 4
_WINDOW = 3


def _alarms_in(ruleset: Ruleset, read: _Reading, start: int, end: int) -> bool:
    live = read.live(start, end)
    return bool(live) and _alarms(ruleset, scope_of(live))


def _narrowest(ruleset: Ruleset, read: _Reading, start: int, end: int) -> tuple[int, int]:
    """The fewest of sentences start to end, taken from either edge, that still alarm: the
    salon's news beside "I can't look after her anymore. We're at the dam" is not part of it."""
    while end - start > 1 and _alarms_in(ruleset, read, start + 1, end):
        start += 1
    while end - start > 1 and _alarms_in(ruleset, read, start, end - 1):
        end -= 1
    return start, end


def _alarms(ruleset: Ruleset, scope: Scope) -> bool:
    """Whether a rule raises more than a concern in this scope."""
    best: dict[str, Hit] = {}
    _matchscope_of(ruleset, scope, best)
    return any(hit.tier != "concern" for hit in best.values())


def _matchscope_of(ruleset: Ruleset, scope: Scope, best: dict[str, Hit]) -> None:
    """Record in `best` the strongest tier each kind reaches in this scope. Only the tiers
    stronger than what `best` already holds are tried: a message is read in several groups of
    sentences, and most of its kinds are settled by the first."""
    possible = may_match_rules(ruleset.gates, scope)
    unreal: bool | None = None  # asked only once a rule has matched
    for kind, tiers in ruleset.kinds.items():
        known = TIERS.index(best[kind].tier) if kind in best else len(TIERS)
        for tier in TIERS[:known]:
            matched = [r.source for r in tiers[tier] if id(r) in possible and matches(r, scope)]
            if not matched:
                continue
            if unreal is None:
                unreal = any_rule(ruleset.unreal, scope)
            # Not about now (a course, a film, "if…", long ago): staff may look, no more.
            tier_found = "concern" if unreal else tier
            if TIERS.index(tier_found) < known:
                best[kind] = Hit(
                    kind, tier_found, matched[0], dampened=unreal, also=tuple(matched[1:])
                )
            break


# A check-in answered out of habit, then the news: 「はい げんきです でも さっき ころんで
# たてません」, 「げんき  けさから てあしが しびれて」, "yes fine thank you. actually no, my arm
# has gone numb". The reassurance (or a question on business) opens the message and does not
# speak for what follows it.
_REASSURANCE = (
    r"(元気|げんき|大丈夫|だいじょうぶ|だいじょぶ|平気|へいき|変わりな|かわりな|"
    r"\b(?:fine|ok|okay|alright|all right|good)\b)"
)
# A greeting before it: 「こんにちは!元気ですよ〜 あ、でも…」.
_GREETING = (
    r"(?:(?:こんにちは|こんにちわ|おはよう(?:ございます)?|こんばんは|hi|hello|hey|morning|good morning)"
    r"[\s、,.。!！〜~]*)?"
)
_OPENING_THEN_NEWS = (
    # "fine", then a turn: でも, ただ, actually, but.
    re.compile(
        rf"\A{_GREETING}[^。.!?！？\n]{{0,25}}?{_REASSURANCE}.{{0,25}}?"
        r"(でも|だけど|けど|けれど|ただ(?!の)|しかし|ほんと(?:う)?は|本当は|実は|じつは|"
        r"\b(?:actually|but|however|except|though)\b)"
        r"(?P<news>.*\S.*)\Z",
        re.IGNORECASE | re.DOTALL,
    ),
    # A question on business first, then a turn to the news: 「けんしんび いつですか  それと
    # おっと きのうから おきれない」.
    re.compile(
        r"\A[^\n]{0,80}?(ですか|ますか|でしょうか|か[?？]|[?？])[\s、,.。!！]*"
        r"(それと|あと|ところで|それから|それに|\b(?:also|btw|by the way|another thing)\b)"
        r"(?P<news>.*\S.*)\Z",
        re.IGNORECASE | re.DOTALL,
    ),
    # Thanks or a pleasantry first, then a turn to the news: 「いつもお世話になってます、先週の
    # サロンのおはぎおいしかったです。それで今ちょっと変なんですけど、主人が…」.
    re.compile(
        r"\A[^\n]{0,80}?(お世話になって(?:おり|い)?ます|ありがとう(?:ございま(?:した|す))?|"
        r"おいしかった|美味しかった|楽しかった|\b(?:thanks?|thank you|hope you(?:'re| are) well)\b)"
        r"[^\n]{0,60}?[。.!！\s]+(それで|ところで|実は|じつは|さて|(?:今|いま)(?!日|度|回|年|月|週)|"
        r"\b(?:anyway|actually|(?:but )?now)\b)"
        r"(?P<news>.*\S.*)\Z",
        re.IGNORECASE | re.DOTALL,
    ),
    # A matter begun and left for the news: "I was going to ask about the disaster drill but
    # the tempura oil caught fire", "About my job change question, never mind. …", "Sorry to
    # trouble you but now…", 「ごみ当番の件の話どころじゃない、…」, 「介護保険の更新の件ですが、
    # それより今、…」, 「ストーブの処分の仕方の続き聞こうとしたら、…」.
    re.compile(
        r"\A[^\n]{0,100}?("
        r"\b(?:was going to|was gonna|wanted to|meant to)\s+(?:ask|say|tell you|write|message)\b"
        r"[^\n]{0,100}?\b(?:but|however)\b|"
        r"(?<=\S)[\s.,!]*\b(?:never ?mind|forget (?:it|that|about (?:it|that))|"
        r"(?:you can |please )?cancel (?:it|that))\b|"
        r"\bsorry to (?:trouble|bother) you\b,?(?:\s*but)?(?:\s*now)?|"
        # A matter consulted on before, named and left: 「先週ご相談した父の在宅酸素の件です。」,
        # 「先日お薬カレンダーの件で相談した者です。」.
        r"(?:ご?相談|そうだん|お話し?|おはなし|連絡|れんらく|お電話|おでんわ|問い合わせ|といあわせ)"
        r"(?:し|させていただい|させてもらっ)(?:た|ました)[^\n。.!！?？]{0,40}?(?:件|こと)"
        r"(?:です|なんですが|ですが|ですけど|だけど)|"
        r"(?:件|こと)で(?:ご?相談|そうだん|連絡|れんらく|お電話|おでんわ)"
        r"(?:した|しました|させていただいた|させてもらった)(?:者|もの)(?:です|ですが|なんですが)|"
        r"(?:件|こと|話)(?:ですが|なんですが|ですけど|だけど)[\s、,。.!！]*"
        r"(?:それより|(?:今|いま)?それどころ(?:じゃ|では)?(?:ない|なく)?(?:て)?)|"
        r"どころ(?:じゃ|では)(?:ない|なく|ありません)(?:て|くて|です)?|"
        r"(?:聞こう|きこう|言おう|いおう|連絡しよう|れんらくしよう|送ろう|おくろう|相談しよう|そうだんしよう)"
        r"と(?:した|思った|おもった)(?:ら|けど|んですが)"
        r")[\s、,。.!！]*(?P<news>.*\S.*)\Z",
        re.IGNORECASE | re.DOTALL,
    ),
    # "fine" as the whole of the first sentence, then another ("all good.", "I'm fine!",
    # 「元気ですよ〜」).
    re.compile(
        rf"\A\s*{_GREETING}"
        r"(?:(?:はい|うん|ええ|おかげさまで|お陰様で|yes|yeah|yep|all|i'?m|i am|doing|feeling)"
        rf"[\s、,.。!！]*)*{_REASSURANCE}"
        # Said twice ("fine fine", 「げんき げんき」) as readily as once.
        rf"(?:[\s、,.。!！〜~]*{_REASSURANCE})*"
        r"(?:でーす|です(?:よ|ね)?|だよ|だっぺ|だ|よ|やで)?"
        r"[\s、,.。!！〜~]*(?:(?:thank you|thanks|ありがとう(?:ございます)?)[\s、,.。!！〜~]*)?"
        r"(?<=[\s、,.。!！〜~])(?P<news>.*\S.*)\Z",
        re.IGNORECASE | re.DOTALL,
    ),
)


def news_after_opening(text: str) -> str | None:
    """What a message says after "fine, but…", "when is…? Also…" or "thanks for…. Anyway…",
    to be read on its own; None without one."""
    normalized = unicodedata.normalize("NFKC", text)
    found = [match for pattern in _OPENING_THEN_NEWS if (match := pattern.match(normalized))]
    if not found:
        return None
    # Where two openings match, the news begins at the first: in 「げんきだよ〜 天ぷらしたら煙
    # すごくて報知器なったけど 窓あけて終わり」 it is the tempura, not 「窓あけて終わり」 alone.
    first = min(found, key=lambda match: match.start("news"))
    return first.group("news").strip(" 、,。.")


def kinds() -> tuple[str, ...]:
    return tuple(_ruleset().kinds)


def set_aside(kind: str, analysis: Analysis) -> bool:
    """Whether a message says what sets a kind's danger aside: a cry for help about a chore
    ("HELP!!! rice cooker showing E4"), a fire watched with water at hand."""
    return any_rule(_ruleset().set_aside.get(kind, ()), scope_of(analysis.clauses))


def only_a_cry(found: list[Hit]) -> bool:
    """Whether a bare cry for help (「たすけて」, "help me", "SOS") is the only alarm found."""
    cries = {rule.source for rule in _ruleset().cries}
    alarms = [hit for hit in found if hit.tier != "concern"]
    return [hit.kind for hit in alarms] == ["distress"] and set(alarms[0].rules) <= cries


def beside_the_cry(analysis: Analysis) -> Analysis | None:
    """What a message says beside its bare cries for help and their pleas: "the kotatsu switch
    fell off and I cannot turn it on" of "HELP!!!! the kotatsu switch fell off …"; None where
    it says nothing more (「誰か助けてください、お願いします」, "help. now")."""
    ruleset = _ruleset()
    said = []
    for sentence in analysis.sentences:
        clauses = tuple(
            clause
            for clause in sentence.clauses
            if not any_rule(ruleset.cries + ruleset.pleas, scope_of([clause]))
        )
        if clauses:
            said.append(Sentence(clauses))
    if not said:
        return None
    return _analysis_of(said, analysis.language)


def concepts_in(analysis: Analysis) -> list[str]:
    """The concepts a message mentions: features for the classifier beside the rules."""
    scope = scope_of(analysis.clauses)
    named, concept_gates = _concepts_as_rules()
    possible = may_match_rules(concept_gates, scope)
    return [name for name, rule in named if id(rule) in possible and matches(rule, scope)]


@cache
def _data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(RULES.read_text(encoding="utf-8"))
    expanded: dict[str, Any] = expand_fragments(data, data.pop("fragments", {}), RULES.name)
    return expanded


@cache
def _concepts() -> dict[str, tuple[Alternative, ...]]:
    return compile_concepts(_data()["concepts"], RULES.name)


@cache
def _concepts_as_rules() -> tuple[tuple[tuple[str, Rule], ...], Gates]:
    """Each concept as a rule of one item, and their gates: a message names few of them."""
    named = tuple((name, Rule(items=(alternatives,))) for name, alternatives in _concepts().items())
    return named, gates(rule for _, rule in named)


def _kinds_rules(kinds: dict[str, dict[str, tuple[Rule, ...]]]) -> list[Rule]:
    return [rule for tiers in kinds.values() for rules in tiers.values() for rule in rules]


@cache
def _ruleset() -> Ruleset:
    data = _data()
    concepts = _concepts()
    kinds = {
        kind: {tier: compile_rules(tiers.get(tier) or [], concepts, RULES.name) for tier in TIERS}
        for kind, tiers in data["kinds"].items()
    }
    cries = compile_rules(data["cries"], concepts, RULES.name)
    kinds["distress"]["certain"] = cries + kinds["distress"]["certain"]
    return Ruleset(
        kinds=kinds,
        unreal=compile_rules(data.get("unreal") or [], concepts, RULES.name),
        denied=compile_rules(data.get("denied") or [], concepts, RULES.name),
        playful=compile_rules(data.get("playful") or [], concepts, RULES.name),
        happening=compile_rules(data.get("happening") or [], concepts, RULES.name),
        asking=compile_rules(data.get("asking") or [], concepts, RULES.name),
        set_aside={
            kind: compile_rules(rules, concepts, RULES.name)
            for kind, rules in (data.get("set_aside") or {}).items()
        },
        cries=cries,
        pleas=compile_rules(data["pleas"], concepts, RULES.name),
        gates=gates(_kinds_rules(kinds)),
    )
