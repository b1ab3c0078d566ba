"""Staff-facing wording for paper answers (CLI import and the console form), in Japanese."""

from __future__ import annotations

JA = {
    "sheet_required": "回答番号を入力してください。",
    "sheet_bad": "回答番号は32文字以内の文字や数字にしてください。",
    "sheet_twice": "回答番号 {sheet} が {row}行目 にもあります。",
    "sheet_entered": "回答番号 {sheet} はすでに入力済みです。",
    "already_entered": "すでに入力済みの回答番号（{count}件）: {sheets}。何も追加していません。",
    "channel_bad": "回答方法は LINE・Web・紙 のどれかを入力してください。",
    "code_malformed": "回答コードの形が正しくありません（例: K7QM-4T2X）。",
    "code_unknown": "この回答コードは発行されていません。",
    "code_other_survey": "別のアンケートの回答コードです。",
    "code_used": "この回答コードはすでに使われています。",
    "code_twice": "同じ回答コードが {row}行目 にもあります。",
    "date_bad": "日付は 2026-11-28 の形で入力してください。",
    "date_future": "回答日が未来の日付です。",
    "resident_id": "住民IDは取り込めません（紙の回答は住民と結びつけません）。空欄にしてください。",
    "age_band_bad": "年代は {choices} のどれかを入力してください。",
    "district_bad": "地区「{value}」はありません（{choices} のどれか）。",
    "district_none": "地区「{value}」はありません（町の設定に地区がありません）。",
    "residency_bad": "かかわりは {choices} のどれかを入力してください。",
    "ineligible_age": "このアンケートは {min_age}歳以上が対象です。",
    "ineligible_residency": "このアンケートの対象外です（対象: {allowed}）。",
    "unknown_choice": "「{value}」は選択肢にありません（{choices} のどれか）。",
    "one_only": "1つだけ選んでください。",
    "too_many": "{max}個まで選べます。",
    "out_of_range": "{min}〜{max} の数字で入力してください。",
    "too_long": "{max}文字以内にしてください（いま {length}文字）。",
    "hidden": "{ref} の回答では答えない質問です。空欄にしてください。",
    "empty_sheet": "回答が1つもありません。",
    "unnamed_column": "見出しのない列に値があります。",
    "header_unknown": "「{name}」という列はありません。",
    "header_twice": "「{name}」の列が2つあります。",
    "header_missing": "「{name}」の列がありません。",
    "header_question": "質問 Q{n} はこのアンケートにありません。",
    "no_rows": "回答の行がありません。",
    "file_empty": "ファイルが空です。",
    "file_kind": "Excel (.xlsx) か CSV のファイルにしてください。",
    "file_unreadable": "ファイルを読めません（{detail}）。",
    "encoding": "文字コードが UTF-8 でも Shift_JIS でもありません。",
    "entered_meanwhile": "同じ回答番号が同時に入力されました。もう一度お試しください。",
    "more": "ほか {count}件の問題があります。",
}


def say(key: str, **values) -> str:
    """The wording for key with values filled in."""
    return JA[key].format(**values) if values else JA[key]
