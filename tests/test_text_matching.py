"""Pattern fragments: a piece several rules share (a list of places) is written once."""

from __future__ import annotations

import pytest

from flows.text.matching import expand_fragments


def test_a_fragment_stands_in_every_pattern_and_may_use_one_before_it() -> None:
    fragments = {"platform": "ほーむ(?!せんたー)", "high_place": "屋上|{{platform}}"}
    raw = {"kinds": {"suicide": {"certain": [["/({{high_place}})に.{0,6}いる", "死ぬ+たい"]]}}}
    expanded = expand_fragments(raw, fragments, "rules.yaml")
    # The quantifier's braces stay a quantifier; a word item is not a pattern, left alone.
    assert expanded["kinds"]["suicide"]["certain"] == [
        ["/(屋上|ほーむ(?!せんたー))に.{0,6}いる", "死ぬ+たい"]
    ]


def test_an_unknown_fragment_names_itself_and_where_it_was() -> None:
    with pytest.raises(ValueError, match=r"rules.yaml: unknown fragment \{\{plaform\}\}"):
        expand_fragments({"concepts": {"means": ["/{{plaform}}"]}}, {}, "rules.yaml")
    with pytest.raises(ValueError, match=r"in fragment high_place"):
        expand_fragments({}, {"high_place": "屋上|{{platform}}"}, "rules.yaml")
