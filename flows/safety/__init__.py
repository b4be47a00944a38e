"""Does a message speak of an emergency, and of which kind, however the resident writes it?

Three readers, strongest first:
- rules over words and concepts (rules.yaml, read by rules.py), on the morphological analysis
  of flows/text: "certain" gives the numbers at once, "possible" asks, "concern" notes;
- a linear classifier (model.py) over character n-grams, dictionary forms and concepts,
  trained on the corpus in tests/data/safety/train (train.py): where the rules say nothing
  or only note a concern, a confident classifier makes the message a "possible" emergency
  (where they saw the danger as a course, a question or the past, only an all but certain
  one);
  where they raise an alarm, it may add a kind they missed, or, near certain the message
  is a look-alike, quiet it into a note for staff (only the alarms of rules that rang on a
  look-alike in training; the others it softens into the question at most). A cry for help
  about a chore ("HELP!!! rice cooker showing E4", 「誰か助けて〜 数学の課題終わらん」), or a fire
  watched with water at hand, where no rule but a bare cry rang and the model guesses only
  that kind, is a note for staff, not the question (rules.yaml, set_aside); a bare cry beside
  words the model is near sure speak of nothing dangerous is the question, not the numbers at
  once (rules.yaml, cries and pleas).

A message that opens with "fine" (a check-in answered out of habit), a business question or
thanks, then turns to news (でも, ただ, それと, それで, but, also, anyway), is also read from the
turn on its own; one in kana typed without voicing marks (くすり せんふ のんた), or with some of
them, is also read with them put back.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from flows.safety import model, rules
from flows.text import Analysis, analyse, voicing

EMERGENCY, POSSIBLE, CONCERN = "emergency", "possible", "concern"
Level = Literal["emergency", "possible", "concern"]
_LEVEL_OF_TIER: dict[str, Level] = {"certain": EMERGENCY, "possible": POSSIBLE, "concern": CONCERN}
_ORDER = (EMERGENCY, POSSIBLE, CONCERN)


@dataclass(frozen=True)
class Alarm:
    """What a message signals: `kind` is the most pressing; `kinds` every kind at this level."""

    kind: str
    level: Level
    kinds: tuple[str, ...] = ()


def check(text: str) -> Alarm | None:
    """The alarm a message raises, or None when it speaks of no danger."""
    if not text or not text.strip():
        return None
    alarm = _check(text)
    news = rules.news_after_opening(text)
    if news:
        # Read on its own, the news may say more than the whole, where "fine" spoke for it:
        # the rules' certain alarm, or anything more than the note "fine" made of it. Not the
        # model's guess alone on a short plain sentence (「いま から こうえん で ラジオたいそう」).
        alone = _check(news)
        if _rank(alone) < _rank(alarm) and (alarm is not None or _rank(alone) == 0):
            return alone
    if (alarm is None or alarm.level == CONCERN) and voicing.unmarked(text):
        # Kana typed without dakuten or small kana (「くすり せんふ のんた」), or with them only
        # now and then (「ゆきで すへって うこけない」): read again with the marks put back.
        # The marks are a guess, so what it finds is at most the question.
        again = _check(voicing.restored(text))
        if _rank(again) < _rank(alarm):
            return again if again.level == CONCERN else Alarm(again.kind, POSSIBLE, again.kinds)
    return alarm


def _rank(alarm: Alarm | None) -> int:
    return _ORDER.index(alarm.level) if alarm else len(_ORDER)


# Remembered by text: the worker reads a chat's waiting messages before it takes SQLite's one
# write lock (bot/worker.py), so the reading is not done while webhooks wait for that lock.
@lru_cache(maxsize=1024)
def _check(text: str) -> Alarm | None:
    analysis = analyse(text)
    found = rules.hits(analysis)
    probs = model.probabilities(analysis, found)
    level = min((_LEVEL_OF_TIER[hit.tier] for hit in found), key=_ORDER.index, default=None)
    # The model speaks where the rules found nothing, or only a concern of their own; not
    # where they saw a danger spoken of as a course, a question or the past.
    if level is None or (level == CONCERN and not any(hit.dampened for hit in found)):
        guess = model.classify(probs)
        if guess is not None:
            guessed = model.guesses(probs, guess)
            if level is None and guessed == (guess,) and rules.set_aside(guess, analysis):
                # A cry for help with a chore ("someone help pls, my cat ran away, where to
                # report"), a bonfire with water at hand: no rule heard a danger, and the
                # model's guess is of the one kind the message sets aside.
                return Alarm(guess, CONCERN, guessed)
            return Alarm(guess, POSSIBLE, guessed)
    elif level == CONCERN:
        # Where they did, the model may still hold it an emergency all but surely ("he is
        # unconscious, what number?", "a 9-year-old showed me marks … last night"): asked.
        guess = model.overrules(probs)
        if guess is not None:
            return Alarm(guess, POSSIBLE, model.guesses(probs, guess))
    if level is None:
        return None
    alarming = [hit for hit in found if _LEVEL_OF_TIER[hit.tier] == level]
    kinds_found = tuple(hit.kind for hit in alarming)
    if level == CONCERN:
        return Alarm(kinds_found[0], level, kinds_found)
    cry = rules.only_a_cry(found)
    if cry and rules.set_aside("distress", analysis):
        # 「誰か助けて〜 数学の課題終わらん」, "HELP!!! rice cooker showing E4": a chore.
        return Alarm("distress", CONCERN, ("distress",))
    read = _as_the_rules_read(analysis, found, probs)
    if model.surely_nothing(read):
        # The rules matched words the model has seen, in training, mostly in look-alikes (a
        # joke, a course, a past event the rules did not recognise): a possible alarm becomes
        # a note for staff; a certain one too only when the model is all but sure, else it is
        # softened into the question. Rules that never rang on a look-alike are only ever
        # softened.
        sure = model.surely_nothing(read, strict=True)
        quiet = model.may_quiet(alarming) and (level == POSSIBLE or sure)
        softer: Level = CONCERN if quiet else POSSIBLE
        return Alarm(kinds_found[0], softer, kinds_found)
    if cry and _nothing_beside_the_cry(analysis):
        return Alarm("distress", POSSIBLE, ("distress",))
    # Gas beside a collapse, abuse beside a blow: the model may name a kind the rules did not,
    # and its numbers are added.
    also = model.likely_kind(probs)
    if also is not None and also not in kinds_found:
        kinds_found = (*kinds_found, also)
    return Alarm(kinds_found[0], level, kinds_found)


def _nothing_beside_the_cry(analysis: Analysis) -> bool:
    """Whether the model is near sure that what a message says beside its bare cry for help
    speaks of nothing dangerous ("HELP!!!! the kotatsu switch fell off", 「たすけてー、庭の柿が
    多すぎて取りきれん」): the question, then, not the numbers at once. What no rule and no
    learned word places is still asked about ("ice break. friend in lake. help"); a cry with
    only its pleas (「誰か助けてください、お願いします」) keeps its numbers at once."""
    beside = rules.beside_the_cry(analysis)
    return beside is not None and model.surely_nothing(
        model.probabilities(beside, rules.hits(beside))
    )


def _as_the_rules_read(
    analysis: Analysis, found: list[rules.Hit], probs: dict[str, float]
) -> dict[str, float]:
    """The model's reading of the message without the clauses the rules set aside as a figure
    of speech or a denial, which do not speak for the rest (「死ぬほど笑ったけど、今は死にたい」
    is no joke for beginning with one); `probs` when it would not quiet them anyway."""
    if not model.surely_nothing(probs):
        return probs
    read = rules.as_read(analysis)
    return probs if read is analysis else model.probabilities(read, found)


def kinds() -> tuple[str, ...]:
    """Every kind of alarm, most pressing first."""
    return rules.kinds()


def warm() -> None:
    """Load the dictionary, the rules and the model now, not at the first resident's message."""
    check("胸が苦しい")
