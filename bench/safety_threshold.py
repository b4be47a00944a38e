"""Where to set the model's threshold: recall against false alarms on the TRAINING split only.

    .venv/bin/python bench/safety_threshold.py [--thresholds 0.55,0.5] [--quiet 0.9/0.98,0.8/0.95]

The model asks "do you need help right now?" of a message the rules did not flag when its
emergency probability reaches flows.safety.train.THRESHOLD. This reads every training line
once with the probability the model gave it while its author was held back (five folds, each
holding back whole authors: train.author_folds), through the whole detector (rules, then the
model, as flows.safety._check combines them), at each threshold: the trade-off between
recall and false alarms, without retraining per author (bench/safety_authors.py, an hour on
two cores) and without the held-out split, which stays out of tuning. About fifteen minutes;
`--quiet` also sweeps the probabilities from which the model quiets a rule's alarm.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows import safety
from flows.safety import corpus, model, train


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--thresholds", default="0.55,0.5,0.45,0.4,0.35")
    parser.add_argument(
        "--quiet",
        default=f"{model._QUIET}/{model._QUIET_CERTAIN}",
        help="the probabilities of 'nothing' from which the model quiets a rule's possible / "
        "certain alarm (model._QUIET / model._QUIET_CERTAIN), as pairs: '0.9/0.98,0.8/0.95'",
    )
    args = parser.parse_args()
    thresholds = [float(t) for t in args.thresholds.split(",")]
    quiets = [tuple(float(q) for q in pair.split("/")) for pair in args.quiet.split(",")]

    from sklearn.feature_extraction import DictVectorizer
    from sklearn.model_selection import cross_val_predict

    examples = corpus.with_kana_copies(corpus.load("train"))
    labels = train.targets_of(examples)
    matrix = DictVectorizer(sort=True).fit_transform([train.feature_row(e.text) for e in examples])
    folds = train.author_folds(examples, labels)
    held = cross_val_predict(
        train.new_classifier(), matrix, labels, cv=folds, method="predict_proba"
    )
    classes = sorted(set(labels))  # cross_val_predict's columns: the classes, sorted
    # The rules each fold's model may quiet: those that rang on a look-alike it trained on.
    rungs = [train.rung(e.text) for e in examples]
    may_quiet: list[frozenset[str]] = [frozenset()] * len(examples)
    for trained, tested in folds:
        rung = train.rung_on_lookalikes([examples[i] for i in trained], [rungs[i] for i in trained])
        for i in tested:
            may_quiet[i] = rung
    read = [
        (e, row, may_quiet[i])
        for i, (e, row) in enumerate(zip(examples, held, strict=True))
        if e.register != corpus.KANA_COPY
    ]

    print(f"{len(read)} training lines, each read with its author held back\n")
    print(f"{'threshold':>9} {'quiet':>9} {'recall':>7} {'false alarms':>12}")
    for quiet, quiet_certain in quiets:
        model._QUIET, model._QUIET_CERTAIN = quiet, quiet_certain  # type: ignore[misc]
        for threshold in thresholds:
            tally = corpus.tally([e for e, _, _ in read], _answers(read, classes, threshold))
            overall = tally[("all", "all")]
            print(
                f"{threshold:9.2f} {quiet:4.2f}/{quiet_certain:4.2f} {overall.recall:7.1%}"
                f" {overall.false_alarm_rate:12.1%}"
            )


def _answers(read: list, classes: list[str], threshold: float) -> list:
    answers = []
    for example, row, rung in read:
        loaded = model._Model(tuple(classes), (0.0,) * len(classes), threshold, {}, rung)
        model._model = lambda loaded=loaded: loaded  # type: ignore[misc]
        probs = {name: float(p) for name, p in zip(classes, row, strict=True)}
        model.probabilities = lambda _analysis, _hits=None, probs=probs: probs  # type: ignore[assignment]
        alarm = safety._check.__wrapped__(example.text) if example.text.strip() else None
        answers.append((alarm.kind, alarm.kinds, alarm.level) if alarm else (None, (), None))
    return answers


if __name__ == "__main__":
    main()
