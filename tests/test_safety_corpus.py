"""The safety corpus and what the detector achieves on it.

tests/data/safety/train shapes the rules and trains the model; tests/data/safety/heldout is
never used for either, only measured here and in bench/safety.py. The held-out false-alarm
floor is issue #13's goal (at most 1 look-alike in 12 shown numbers); the recall floor is what
the detector reaches today (the goal, 100%, is not reached yet), so no change makes it worse.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from flows import safety
from flows.safety import corpus, model
from flows.text import fold

KINDS = ("suicide", "medical", "fire", "gas", "child_abuse", "violence", "elder_abuse", "distress")
# Today's figures, a little under, as floors (bench/safety.py prints the exact ones). The
# held-out recall floor moved from 0.93 to 0.92 when the seventh fresh author joined the split
# (read at 81-82%, the hardest yet): a harder measure, not a weaker detector (93.9% before);
# to 0.95 in the tenth session, at 95.9%; to 0.96 in the thirteenth, at 97.0%; to 0.97 in
# the fourteenth, at 97.4%.
FLOORS = {
    "heldout": {"recall": 0.97, "false_alarms": 1 / 12},
    "train": {"recall": 0.95, "false_alarms": 0.06},
}


@pytest.fixture(scope="module", params=["train", "heldout"])
def split(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def answers(examples: list[corpus.Example]) -> list[tuple[str | None, tuple[str, ...], str | None]]:
    result = []
    for example in examples:
        alarm = safety.check(example.text)
        result.append((alarm.kind, alarm.kinds, alarm.level) if alarm else (None, (), None))
    return result


def test_the_splits_share_no_message() -> None:
    # As the detector reads them: "help me" and "HELP ME!" are one message to it, and a
    # held-out line trained on would flatter the held-out figure.
    train = {fold(e.text) for e in corpus.load("train")}
    heldout = {fold(e.text): e.source for e in corpus.load("heldout")}
    assert not {heldout[text] for text in train & heldout.keys()}


def test_every_kind_and_language_has_emergencies_and_lookalikes(split: str) -> None:
    examples = corpus.load(split)
    emergencies = Counter((e.kind, e.lang) for e in examples if e.label == "emergency")
    lookalikes = Counter((e.kind, e.lang) for e in examples if e.label == "lookalike")
    for kind in KINDS:
        for lang in ("ja", "en"):
            assert emergencies[(kind, lang)] >= 5, (kind, lang)
            assert lookalikes[(kind, lang)] >= 5, (kind, lang)
    registers = {e.register for e in examples if e.lang == "ja"}
    assert registers >= {"standard", "colloquial", "dialect", "kana", "yasashii"}
    assert set(safety.kinds()) == set(KINDS)


def test_the_detector_keeps_its_floor(split: str) -> None:
    examples = corpus.load(split)
    total = corpus.tally(examples, answers(examples))[("all", "all")]
    assert total.recall >= FLOORS[split]["recall"]
    assert total.false_alarm_rate <= FLOORS[split]["false_alarms"]


def test_a_concern_is_rarely_given_the_numbers_at_once() -> None:
    examples = [e for e in corpus.load("heldout") if e.label == "concern"]
    alarmed = sum(level == "emergency" for _, _, level in answers(examples))
    assert alarmed / len(examples) <= 0.2


@pytest.mark.slow
def test_the_model_is_rebuilt_the_same_from_the_corpus() -> None:
    pytest.importorskip("sklearn")
    from flows.safety import train

    built = train.build()
    shipped = json.loads(model.MODEL.read_text(encoding="utf-8"))
    assert built["classes"] == shipped["classes"]
    assert built["threshold"] == shipped["threshold"]
    # Compared as counts first: pytest's diff of two 170,000-key sets ran past the test's
    # 15-minute timeout, where a stale model should say so at once.
    built_keys, shipped_keys = set(built["weights"]), set(shipped["weights"])  # type: ignore[call-overload]
    added, dropped = built_keys - shipped_keys, shipped_keys - built_keys
    assert not added and not dropped, (
        f"the shipped model is stale ({len(added)} features would be added, {len(dropped)} "
        f"dropped, e.g. {sorted(added | dropped)[:5]}): run make safety-model"
    )
