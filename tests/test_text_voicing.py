"""Kana typed without voicing marks or small kana, read with them put back (flows/text/voicing)."""

from __future__ import annotations

import pytest

from flows.text import voicing


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("けむりか すこい", "けむりが すごい"),
        # Two marks that are no word alone: ぜんぶ from せんふ.
        ("くすり せんふ", "くすり ぜんぶ"),
        # A small kana: ほうちょう, もった.
        ("ほうちようを もつた", "ほうちょうを もった"),
        # All in katakana: the dictionary reads it in hiragana.
        ("ケムリカ スコイ", "けむりが すごい"),
    ],
)
def test_the_marks_are_put_back_where_the_dictionary_reads_better(typed: str, meant: str) -> None:
    assert voicing.unmarked(typed)
    assert voicing.restored(typed) == meant


def test_words_that_need_no_marks_are_left_as_typed() -> None:
    assert voicing.restored("しにたい") == "しにたい"
    assert voicing.restored("たすけて") == "たすけて"


@pytest.mark.parametrize(
    "text",
    [
        "けむりが すこい",  # one voiced kana typed: the writer can type them
        "ちょっと けむり",  # a small kana
        "煙 すこい",  # a kanji
        "たすけて help me",  # an English word
        "はい",  # too short to tell
        "けむり " * 60,  # too long to search
    ],
)
def test_only_kana_typed_without_any_mark_is_searched(text: str) -> None:
    assert not voicing.unmarked(text)
