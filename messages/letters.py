"""The invitation letter's wording: Japanese, for residents reading paper (one page each),
and the headings of the codes' CSV. Read by handlers/invitation_letters.py.
"""

from __future__ import annotations

CSV_HEADER = ["通し番号", "アンケート", "回答期間", "回答コード", "回答URL"]

LETTER = {
    "title": "「{title}」ご協力のお願い",
    "body": (
        "日ごろより{town}のまちづくりにご協力いただき、ありがとうございます。"
        "まちの計画づくりのため、アンケートを行っています。"
        "お手数ですが、下のどちらかの方法でご回答をお願いいたします。"
    ),
    "period": "回答期間　{period}",
    "code_label": "回答コード",
    "web_head": "1. スマートフォン・パソコンで回答する",
    "web_body": "右のQRコードを読み取るか、次のアドレスを入力してください。",
    "line_head": "2. LINEで回答する",
    "line_body_qr": (
        "右のQRコードから{town}のLINE公式アカウントを友だち追加し、"
        "トークで回答コードを送ってください。"
    ),
    "line_body": (
        "{town}のLINE公式アカウントを友だち追加し、トークで回答コードを送ってください。"
        "「回答コード」と送ると、ご案内します。"
    ),
    "line_qr": "LINE で友だち追加",
    "web_qr": "回答ページ",
    "note_once": "・回答コードは1回だけ使えます。ご回答は、どちらか一方の方法でお願いします。",
    "note_anonymous": (
        "・匿名のアンケートです。回答コードから、どなたの回答かがわかることはありません。"
    ),
    "contact": "お問い合わせ　{contact}",
    "serial": "No. {serial}",
}
PERIOD_SEP = " 〜 "  # between the first and last moment of the answer period
NO_LINE_START = "、。，．」』）)!?！？ー"  # characters a line may not begin with (kinsoku)
