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
    "announcement_text": "本文（英語の本文がないため、英語の方にも日本語で届きます）",
    "event_item": "イベントの{item}",
    "survey_title": "アンケートのタイトル",
    "contact": "問い合わせ先",
}


def say(key: str, **values) -> str:
    """The staff wording for key, with values filled in."""
    return JA[key].format(**values)
