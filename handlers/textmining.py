"""Frequent words in free-text answers: SudachiPy (sudachidict-core), nouns and adjectives.

Words are counted once per answer (how many residents mention them), by their normalised
form (子ども and 子供 count together); stop words and single kana are left out.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable

from sqlalchemy.orm import Session

from db.surveys import text_answers

TOP = 20
_STOP = """
    事 物 者 所 為 様 方 時 今 気 感じ 自分 皆 人 私 僕 俺 我々 此れ 其れ 彼れ 何 他 外 中 上 下
    前 後 以上 以下 等 位 辺り 達 点 的 訳 筈 儘 通り 他所 色々 沢山 一番 全て 全部 本当 場合
    思い 考え 意見 特 特に 皆さん 町 まち 町内 無し 有る 無い 良い 宜しい 欲しい 易い 難い 多く
"""
STOP_WORDS = frozenset(_STOP.split())
NOUN_KINDS = {"普通名詞", "固有名詞"}
_local = threading.local()
_dictionary_lock = threading.Lock()
_dictionary = None


def _tokenizer():
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
        keep = (
            (pos[0] == "名詞" and pos[1] in NOUN_KINDS)
            or (pos[0] == "形容詞" and pos[1] == "一般")
            or (pos[0] == "形状詞" and pos[1] == "一般")
        )
        if not keep:
            continue
        word = m.normalized_form()
        if word in STOP_WORDS or m.surface() in STOP_WORDS:
            continue
        if len(word) == 1 and ("\u3040" <= word <= "\u30ff" or word.isascii()):
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
