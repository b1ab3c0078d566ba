"""Staff-facing wording for missing English translations, in Japanese."""

from __future__ import annotations

JA = {
    "prefix": "英語の訳がありません: ",
    "sep": "、",
    "title": "タイトル",
    "description": "説明",
    "series_title": "シリーズ名",
    "venue": "会場",
    "question": "{n}問目「{text}」",
    "choice": "{question}の選択肢「{label}」",
    "scale_label": "{question}の目盛り「{point}」のラベル",
    "district": "地区「{value}」",
    "age_band": "年代「{value}」",
    "topic": "分野「{value}」",
}


def say(key: str, **values) -> str:
    """The staff wording for key, with values filled in."""
    return JA[key].format(**values)
