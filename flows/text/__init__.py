"""Reading what residents type: words, their dictionary forms and their negations.

Japanese goes through SudachiPy's morphological analysis (its dictionary ships inside the
`sudachidict-core` package), English through a small tokenizer and simplemma's lemmas, so that
rules above can be written over dictionary forms and concepts rather than surface strings.
"""

from flows.text.analysis import Analysis, Clause, Sentence, Word, analyse, fold, to_hiragana

__all__ = ["Analysis", "Clause", "Sentence", "Word", "analyse", "fold", "to_hiragana"]
