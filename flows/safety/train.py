"""Train the classifier on tests/data/safety/train and write model.json beside this file.

    .venv/bin/madoguchi safety train      (or: python -m flows.safety.train)

Reproducible: the same corpus and rules give the same model.json, byte for byte; a test
rebuilds it and compares. Needs scikit-learn (the `train` extra, part of `test`); running the
bot does not: model.py reads the weights with plain Python.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from flows.safety import corpus, model
from flows.safety.features import features
from flows.text import analyse

NONE = "none"
# How much a look-alike counts against the model, beside an emergency: a missed emergency
# costs far more than a gentle question asked for nothing.
_REGULARISATION = 4.0
_PRUNE_BELOW = 0.02
# The highest probability a look-alike may get in cross-validation and still be quiet.
_TARGET_FALSE_ALARMS = 0.05


def build(examples: list[corpus.Example] | None = None) -> dict[str, object]:
    """The model trained on `examples` (by default, the whole training split)."""
    if examples is None:
        examples = corpus.load("train")
    return fit(examples, [feature_row(e.text) for e in examples])


def feature_row(text: str) -> dict[str, float]:
    """One example as the classifier is trained on it."""
    return dict.fromkeys(sorted(features(analyse(text))), 1.0)


def fit(examples: list[corpus.Example], rows: list[dict[str, float]]) -> dict[str, object]:
    """The model over feature rows already read (one per example, in the same order)."""
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    targets = [e.kind if e.label == "emergency" else NONE for e in examples]
    vectorizer = DictVectorizer(sort=True)
    matrix = vectorizer.fit_transform(rows)
    classifier = LogisticRegression(C=_REGULARISATION, max_iter=5000, class_weight="balanced")
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=13)
    held = cross_val_predict(classifier, matrix, targets, cv=folds, method="predict_proba")
    classifier.fit(matrix, targets)
    classes = [str(c) for c in classifier.classes_]
    threshold = _threshold(held, classes, [e.label for e in examples])
    names = vectorizer.get_feature_names_out()
    weights: dict[str, list[float]] = {}
    for column, name in enumerate(names):
        row = [round(float(classifier.coef_[k][column]), 3) for k in range(len(classes))]
        if max(abs(w) for w in row) >= _PRUNE_BELOW:
            weights[str(name)] = row
    return {
        "classes": classes,
        "intercept": [round(float(b), 4) for b in classifier.intercept_],
        "threshold": threshold,
        "weights": weights,
    }


def _threshold(probabilities: object, classes: list[str], labels: list[str]) -> float:
    """The lowest emergency probability that keeps cross-validated look-alikes quiet enough."""
    none = classes.index(NONE)
    lookalike_scores = sorted(
        (
            1.0 - float(row[none])
            for row, label in zip(probabilities, labels, strict=True)
            if label == "lookalike"
        ),  # type: ignore[call-overload]
        reverse=True,
    )
    allowed = int(len(lookalike_scores) * _TARGET_FALSE_ALARMS)
    return round(max(0.5, lookalike_scores[allowed]) + 1e-4, 4)


def main(argv: list[str] | None = None) -> int:
    built = build()
    text = json.dumps(built, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    Path(model.MODEL).write_text(text + "\n", encoding="utf-8")
    print(
        f"wrote {model.MODEL}: {len(built['weights'])} features, "  # type: ignore[arg-type]
        f"threshold {built['threshold']}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
