"""Frequent words in free-text answers: SudachiPy (sudachidict-core), nouns and adjectives.

Words are counted once per answer (how many residents mention them), by their normalised
form (子ども and 子供 count together); stop words and single kana are left out.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from db.surveys import text_answers
from messages.typed_words import NOUN_KINDS, POS_KEPT, POS_NOUN, STOP_WORDS

TOP = 20
KANA = (0x3040, 0x30FF)  # Hiragana and Katakana: a single kana is no word
_local = threading.local()
_dictionary_lock = threading.Lock()
_dictionary: Any = None  # a sudachipy Dictionary (sudachipy is untyped here)


def _tokenizer() -> Any:
    """A Sudachi tokenizer for this thread (tokenizers are not shared across threads), made
    from the one dictionary of the process (about 80 MB: one per thread would hold it four
    times in a gunicorn worker with four threads)."""
    global _dictionary
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import Dictionary, SplitMode

        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="core")
            tok = _local.tokenizer = _dictionary.tokenizer(mode=SplitMode.C)
    return tok


def words(text: str) -> list[str]:
    """The content words of one answer: nouns, adjectives and adjectival nouns, normalised."""
    out = []
    for m in _tokenizer().tokenize(text[:5000]):
        pos = m.part_of_speech()
        keep = (pos[0] == POS_NOUN and pos[1] in NOUN_KINDS) or (pos[0], pos[1]) in POS_KEPT
        if not keep:
            continue
        word = m.normalized_form()
        if word in STOP_WORDS or m.surface() in STOP_WORDS:
            continue
        if len(word) == 1 and (KANA[0] <= ord(word) <= KANA[1] or word.isascii()):
            continue
        out.append(word)
    return out


def count_words(texts: Iterable[str], top: int = TOP) -> list[tuple[str, int]]:
    """(word, number of answers that use it), most frequent first."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(set(words(text)))
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]


def frequent_words(
    session: Session, survey_id: str, question_id: str, top: int = TOP
) -> list[tuple[str, int]]:
    """The most frequent words in the answers to one free-text question (for results, digest)."""
    return count_words(text_answers(session, survey_id, question_id), top)
