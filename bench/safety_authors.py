"""Leave-one-author-out on the TRAINING split of the safety corpus (never the held-out one).

    .venv/bin/python bench/safety_authors.py [--out misses.json] [--quick MODELS] [--authors a,b]

The tool for tuning rules and features: how the detector does on an author it was not trained
on, measured on the training split alone, so the held-out split stays out of tuning
(bench/safety.py is the held-out figure, to be read once a change is chosen). A full run takes
about 10 minutes on two quiet cores.

For each author (a file, or the files one author wrote), the model is trained as
flows.safety.train.fit trains it on every other training line (the always-in files included),
and the full detector (rules + that model, as flows.safety._check combines them) reads the
held-back author's lines. --save-models keeps each author's model (pickle) so that --quick can
re-run the detector with new rules but the models as they were (an approximation: new
concept/rule features get no weight), to iterate fast; the real figure is a full run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import pickle
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import safety
from flows.safety import corpus, model, train
from flows.safety.corpus import author_of

_EXAMPLES: list[corpus.Example] = []
_ROWS: list[dict[str, float]] = []
_RUNG: list[frozenset[str]] = []


def _use(built: dict) -> None:
    loaded = model._Model(
        classes=tuple(built["classes"]),
        intercept=tuple(built["intercept"]),
        threshold=float(built["threshold"]),
        weights=built["weights"],
        rung_on_lookalikes=frozenset(built["rung_on_lookalikes"]),
    )
    model._model = lambda: loaded  # type: ignore[assignment]
    safety._check.cache_clear()  # readings remembered under another author's model


def _read(examples: list[corpus.Example]) -> list[tuple[str | None, tuple[str, ...], str | None]]:
    answers = []
    for e in examples:
        alarm = safety.check(e.text)
        answers.append((alarm.kind, alarm.kinds, alarm.level) if alarm else (None, (), None))
    return answers


def _written_by(author: str) -> list[corpus.Example]:
    return [e for e in _EXAMPLES if author_of(e) == author and e.register != corpus.KANA_COPY]


def run_author(args: tuple[str, dict | None]) -> tuple[str, dict, list, float]:
    author, given = args
    start = time.time()
    others = [i for i, e in enumerate(_EXAMPLES) if author_of(e) != author]
    if given is None:
        built = train.fit(
            [_EXAMPLES[i] for i in others], [_ROWS[i] for i in others], [_RUNG[i] for i in others]
        )
    else:
        built = given
    if "rung_on_lookalikes" not in built:
        # A model saved before the model knew which rules it may quiet: what the author's
        # model would have learnt of them.
        built = {
            **built,
            "rung_on_lookalikes": sorted(
                train.rung_on_lookalikes([_EXAMPLES[i] for i in others], [_RUNG[i] for i in others])
            ),
        }
    _use(built)
    held = _written_by(author)
    return author, built, _read(held), time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="/tmp/loao.json")
    parser.add_argument("--quick", help="pickle of models from an earlier --save-models run")
    parser.add_argument("--save-models")
    parser.add_argument("--authors")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--overrule", type=float, help="model._OVERRULE, if it exists")
    parser.add_argument("--quiet-certain", type=float, help="model._QUIET_CERTAIN")
    parser.add_argument("--also", type=float, help="model._ALSO")
    parser.add_argument("--beside", type=float, help="model._BESIDE")
    options = parser.parse_args()
    if options.overrule is not None:
        model._OVERRULE = options.overrule
    if options.quiet_certain is not None:
        model._QUIET_CERTAIN = options.quiet_certain
    if options.also is not None:
        model._ALSO = options.also
    if options.beside is not None:
        model._BESIDE = options.beside

    global _EXAMPLES, _ROWS, _RUNG
    # Each author's kana copies train the others' models (as train.build does) and are never
    # read back as lines of their own.
    _EXAMPLES = corpus.with_kana_copies(corpus.load("train"))
    authors = sorted({a for e in _EXAMPLES if (a := author_of(e))})
    if options.authors:
        authors = [a for a in authors if a in options.authors.split(",")]
    models: dict[str, dict] = {}
    t = time.time()
    _RUNG = [train.rung(e.text) for e in _EXAMPLES]
    print(f"rules rung: {time.time() - t:.1f}s", file=sys.stderr)
    if options.quick:
        with open(options.quick, "rb") as file:
            models = pickle.load(file)
    else:
        t = time.time()
        _ROWS = [train.feature_row(e.text) for e in _EXAMPLES]
        print(f"features: {time.time() - t:.1f}s", file=sys.stderr)
    jobs = [(a, models.get(a)) for a in authors]
    results: dict[str, list] = {}
    built_models: dict[str, dict] = {}
    with mp.get_context("fork").Pool(options.workers) as pool:
        for author, built, answers, took in pool.imap_unordered(run_author, jobs):
            print(f"{author}: {took:.0f}s", file=sys.stderr)
            results[author] = answers
            built_models[author] = built
    if options.save_models:
        with open(options.save_models, "wb") as file:
            pickle.dump(built_models, file)

    examples, answers = [], []
    for author in authors:
        held = _written_by(author)
        examples += held
        answers += results[author]
    report(examples, answers, options.out)


def report(examples: list, answers: list, out: str) -> None:
    tallies = corpus.tally(examples, answers)
    print(
        f"{'kind':<12} {'lang':<4} {'recall':>14} {'certain':>7} {'false alarms':>16} {'conc!':>5}"
    )
    for (kind, lang), t in sorted(tallies.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
        print(
            f"{kind:<12} {lang:<4} {t.caught:>5}/{t.emergencies:<5} {t.recall:6.1%} {t.certain:>7}"
            f" {t.false_alarms:>5}/{t.lookalikes:<5} {t.false_alarm_rate:5.1%}"
            f" {t.concerns_alarmed:>5}"
        )
    missed, false_alarms = [], []
    per_author: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for e, (kind, kinds, level) in zip(examples, answers, strict=True):
        a = per_author[author_of(e)]
        if e.label == "emergency":
            a[1] += 1
            if corpus.caught(e, kind, kinds, level):
                a[0] += 1
            else:
                missed.append([e.source, e.kind, e.lang, level, kind, e.text])
        elif e.label == "lookalike":
            a[3] += 1
            if level in ("emergency", "possible"):
                a[2] += 1
                false_alarms.append([e.source, e.kind, e.lang, level, kind, e.text])
    print()
    for author, (c, n, f, m) in sorted(per_author.items()):
        # A file of look-alikes only (everyday replies) has no recall to speak of.
        recall = f"{c / n:6.1%}" if n else "     -"
        print(f"{author:<20} recall {c}/{n} {recall}  false alarms {f}/{m} {f / m:5.1%}")
    with open(out, "w", encoding="utf-8") as file:
        json.dump(
            {
                "tallies": {f"{k}/{lang}": vars(t) for (k, lang), t in sorted(tallies.items())},
                "missed": missed,
                "false_alarms": false_alarms,
                "answers": {e.source: list(a) for e, a in zip(examples, answers, strict=True)},
            },
            file,
            ensure_ascii=False,
            indent=1,
        )
    print(f"\nmissed {len(missed)}, false alarms {len(false_alarms)}; details in {out}")


if __name__ == "__main__":
    main()
