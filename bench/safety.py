"""Safety detection on the held-out corpus, the way a resident meets it: did the answer show
the numbers their emergency needs, and was a look-alike left alone?

    .venv/bin/python bench/safety.py [--split heldout|train] [--files GLOB]

Prints recall (the kind's numbers shown, at once or with the question "do you need help
now?"), "at once" (the right kind's numbers without the question) and the false-alarm rate (a
look-alike shown numbers) per kind and language, beside the lexicon the detector replaced
(bench/baseline/safety_lexicon.py), measured in the same run; then the analysis time per
message (p50 / p99), the first message (dictionary and model loading) apart. The held-out
split is never used to train, only read here and in tests/test_safety_corpus.py; a fresh
author's first reading (before any rule is written for their misses) is the measure.
Goal (issue #13): recall 100%, false alarms <= 1 in 12.
"""

from __future__ import annotations

import argparse
import sys
import time
from fnmatch import fnmatch
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import safety_lexicon

from flows import safety
from flows.safety import corpus

# The old lexicon's kinds, in today's names.
_RENAMED = {"collapse": "medical"}
Answer = tuple[str | None, tuple[str, ...], str | None]


def answer(text: str) -> Answer:
    alarm = safety.check(text)
    return (alarm.kind, alarm.kinds, alarm.level) if alarm else (None, (), None)


def baseline_answer(text: str) -> Answer:
    alarm = safety_lexicon.check(text)
    if alarm is None:
        return (None, (), None)
    kinds = tuple(_RENAMED.get(kind, kind) for kind in alarm.kinds)
    return (kinds[0], kinds, "emergency" if alarm.level == "emergency" else "concern")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="heldout", choices=("heldout", "train"))
    parser.add_argument(
        "--files", default="*", help="only the split's files matching this, e.g. '*fresh*'"
    )
    args = parser.parse_args()
    examples = [e for e in corpus.load(args.split) if fnmatch(e.source.split(":")[0], args.files)]

    started = time.perf_counter()
    safety.warm()
    first = time.perf_counter() - started
    timings: list[float] = []
    answers = []
    for example in examples:
        began = time.perf_counter()
        answers.append(answer(example.text))
        timings.append(time.perf_counter() - began)
    ours = corpus.tally(examples, answers)
    theirs = corpus.tally(examples, [baseline_answer(e.text) for e in examples])

    print(f"safety detection on the {args.split} split ({args.files}): {len(examples)} messages")
    print(
        f"{'kind':12} {'lang':4} {'emerg':>5} {'recall':>7} {'at once':>7} {'lexicon':>7}"
        f" {'looks':>5} {'false':>6} {'lexicon':>7}"
    )
    for key in sorted(ours, key=lambda k: (k[0] != "all", k)):
        mine, old = ours[key], theirs[key]
        print(
            f"{key[0]:12} {key[1]:4} {mine.emergencies:5} {mine.recall:7.1%}"
            f" {mine.certain / max(mine.emergencies, 1):7.1%} {old.recall:7.1%}"
            f" {mine.lookalikes:5} {mine.false_alarm_rate:6.1%} {old.false_alarm_rate:7.1%}"
        )
    total, old_total = ours[("all", "all")], theirs[("all", "all")]
    print(
        f"recall {total.recall:.1%} (lexicon {old_total.recall:.1%}, "
        f"ratio {total.recall / max(old_total.recall, 1e-9):.1f}x); "
        f"false alarms {total.false_alarm_rate:.1%} (lexicon {old_total.false_alarm_rate:.1%});"
        f" goal: recall 100%, false alarms <= {1 / 12:.1%}"
    )
    timings.sort()
    p50, p99 = timings[len(timings) // 2], timings[int(len(timings) * 0.99)]
    print(
        f"analysis per message: p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms "
        f"(first message, loading the dictionary and model: {first * 1000:.0f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
