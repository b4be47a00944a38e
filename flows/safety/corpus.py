"""The labelled corpus in tests/data/safety: train/ shapes the rules and the model; heldout/
is only ever measured (bench/safety.py and tests/test_safety_corpus.py)."""

from __future__ import annotations

import csv
from dataclasses import dataclass, replace
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2] / "tests" / "data" / "safety"
LABELS = ("emergency", "lookalike", "concern")
HEADER = ["label", "kind", "topic", "lang", "register", "text"]


@dataclass(frozen=True)
class Example:
    label: str
    kind: str
    topic: str
    lang: str
    register: str
    text: str
    source: str


# Files every author's lines are read beside: everyday requests and the maintainers' own
# lines, written by no one author of the corpus.
SHARED = frozenset({"everyday_help_requests.tsv", "ja_everyday.tsv", "maintainers.tsv"})
# One author who wrote several files.
_AUTHOR_OF_FILE = {
    "ja_medical_fire_gas.tsv": "ja_first_author",
    "ja_suicide_violence_abuse.tsv": "ja_first_author",
    "ja_third_author_medical.tsv": "ja_third_author",
    "ja_third_author_people.tsv": "ja_third_author",
    "ja_fifteenth_author.tsv": "mixed_numbers_author",
    "en_thirteenth_author.tsv": "mixed_numbers_author",
}


def author_of(example: Example) -> str | None:
    """Who wrote an example (a file, or the files one author wrote); None for SHARED files."""
    name = example.source.split(":")[0]
    if name in SHARED:
        return None
    return _AUTHOR_OF_FILE.get(name, name.removesuffix(".tsv"))


def load(split: str) -> list[Example]:
    """Every line of tests/data/safety/<split>/*.tsv, in file order."""
    examples = []
    for path in sorted((CORPUS / split).glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as file:
            rows = csv.reader(file, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(rows)
            if header != HEADER:
                raise ValueError(f"{path}: header must be {HEADER}")
            for number, row in enumerate(rows, start=2):
                if not row or row[0].startswith("#"):
                    continue
                if len(row) != len(HEADER) or row[0] not in LABELS:
                    raise ValueError(f"{path}:{number}: not a corpus line")
                examples.append(Example(*row, source=f"{path.name}:{number}"))
    return examples


# The register of a training line's kana copy (with_kana_copies): never a line of its own.
KANA_COPY = "kana_copy"


def with_kana_copies(examples: list[Example]) -> list[Example]:
    """`examples` and, after them, each Japanese line written with kanji again in kana only,
    by the same author: many older residents type only in kana, and a model that met 倒れた
    only in kanji reads たおれた as a stranger. Measured leave-one-author-out on the Japanese
    training authors (December 2026): recall 90.1% → 90.8%, false alarms 6.2% → 5.8%."""
    from flows.text import japanese

    copies = [
        replace(example, text=copied, register=KANA_COPY)
        for example in examples
        if example.lang == "ja" and (copied := japanese.in_kana(example.text)) != example.text
    ]
    return examples + copies


@dataclass
class Tally:
    emergencies: int = 0
    caught: int = 0  # the numbers shown, for the right kind, at once or with the question
    certain: int = 0  # the numbers at once, for the right kind (so never more than caught)
    lookalikes: int = 0
    false_alarms: int = 0  # a look-alike that was shown numbers
    concerns: int = 0
    concerns_alarmed: int = 0  # a concern given the numbers at once

    @property
    def recall(self) -> float:
        return self.caught / self.emergencies if self.emergencies else 1.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.lookalikes if self.lookalikes else 0.0


def caught(example: Example, kind: str | None, kinds: tuple[str, ...], level: str | None) -> bool:
    """Whether the answer given to an emergency shows the numbers its kind needs."""
    if level not in ("emergency", "possible") or kind is None:
        return False
    # A bare cry for help is answered by any alarm: every answer names 119 and 110.
    return example.kind == "distress" or example.kind in kinds


def tally(
    examples: list[Example],
    answers: list[tuple[str | None, tuple[str, ...], str | None]],
) -> dict[tuple[str, str], Tally]:
    """Counts per (kind, language), and per ("all", language) and ("all", "all")."""
    tallies: dict[tuple[str, str], Tally] = {}
    for example, (kind, kinds, level) in zip(examples, answers, strict=True):
        for key in ((example.kind, example.lang), ("all", example.lang), ("all", "all")):
            count = tallies.setdefault(key, Tally())
            if example.label == "emergency":
                count.emergencies += 1
                shown = caught(example, kind, kinds, level)
                count.caught += shown
                count.certain += shown and level == "emergency"
            elif example.label == "lookalike":
                count.lookalikes += 1
                count.false_alarms += level in ("emergency", "possible")
            else:
                count.concerns += 1
                count.concerns_alarmed += level == "emergency"
    return tallies
