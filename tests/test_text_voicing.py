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
        "ごはん ぜんぶ",  # each word has its mark
        "けむりが すごい",  # every word that could take a mark has one
        "煙 すこい",  # a kanji
        "たすけて help me",  # an English word
        "はい",  # too short to tell
        "けむり " * 60,  # too long to search
    ],
)
def test_only_kana_with_a_word_typed_without_marks_is_searched(text: str) -> None:
    assert not voicing.unmarked(text)


def test_a_writer_who_types_some_marks_gets_the_others_only_for_a_much_clearer_reading() -> None:
    # ゆきで has its mark; すへって and うこけない do not, and read far better with them.
    typed = "ゆきで すへって うこけない さむい"
    assert voicing.unmarked(typed)
    assert voicing.restored(typed) == "ゆきで すべって うごけない さむい"
    # A question's か could be a が (the dictionary reads ありますが a little better): not for
    # one who typed じゃない, and so could have typed the が.
    assert (
        voicing.restored("にほんご じゃない ことば ありますか")
        == "にほんご じゃない ことば ありますか"
    )
