"""Staff-facing wording of the console's ご意見 pages: statuses, why a change or a reply is
refused (handlers/opinion.py: `Refusal.code`), and what happened to a reply. JA, then EN.
"""

JA = {
    "opinion_staff.kind.all": "すべて",
    "opinion_staff.kind.opinion": "ご意見",
    "opinion_staff.kind.comment": "パブリックコメント",
    "opinion_staff.status.open": "未対応",
    "opinion_staff.status.in_progress": "対応中",
    "opinion_staff.status.done": "対応済み",
    "opinion_staff.other_category": "その他",  # also the stored category
    "opinion_staff.bad_status": "対応状況を「未対応」「対応中」「対応済み」から選んでください。",
    "opinion_staff.bad_category": "分類は一覧から選んでください。",
    "opinion_staff.memo_too_long": "メモは{max}文字以内にしてください（いま{length}文字です）。",
    "opinion_staff.deleted": "この方はデータを削除したため、返信できません。",
    "opinion_staff.blocked": "この方は公式アカウントをブロックしているため、返信できません。",
    "opinion_staff.empty_reply": "返信の本文を入力してください。",
    "opinion_staff.reply_too_long": "返信は{max}文字以内にしてください（いま{length}文字です）。",
    "opinion_staff.bad_token": "ページを開き直してから、もう一度お送りください。",
    "opinion_staff.already_sent": "この返信はすでに送りました。",
    "opinion_staff.saved": "対応状況・分類・メモを保存しました。",
    "opinion_staff.reply_sent": "返信を LINE で送りました。",
    "opinion_staff.reply_skipped": (
        "この方が公式アカウントをブロックしたため、返信は送りませんでした。"
    ),
    "opinion_staff.reply_queued": (
        "LINE に届かなかったため送信待ちです。時計の処理が同じ返信を送り直します。"
    ),
}

EN = {
    "opinion_staff.kind.all": "All",
    "opinion_staff.kind.opinion": "Opinions",
    "opinion_staff.kind.comment": "Public comments",
    "opinion_staff.status.open": "Open",
    "opinion_staff.status.in_progress": "In progress",
    "opinion_staff.status.done": "Done",
    "opinion_staff.other_category": "Other",
    "opinion_staff.bad_status": "Choose a status: open, in progress or done.",
    "opinion_staff.bad_category": "Choose a category from the list.",
    "opinion_staff.memo_too_long": (
        "Keep the memo to at most {max} characters (it has {length} now)."
    ),
    "opinion_staff.deleted": "This resident deleted their data, so a reply cannot be sent.",
    "opinion_staff.blocked": "This resident has blocked the account, so a reply cannot be sent.",
    "opinion_staff.empty_reply": "Write the reply first.",
    "opinion_staff.reply_too_long": (
        "Keep the reply to at most {max} characters (it has {length} now)."
    ),
    "opinion_staff.bad_token": "Open the page again, then send once more.",
    "opinion_staff.already_sent": "This reply has already been sent.",
    "opinion_staff.saved": "Status, category and memo saved.",
    "opinion_staff.reply_sent": "The reply was sent by LINE.",
    "opinion_staff.reply_skipped": "This resident has blocked the account; the reply was not sent.",
    "opinion_staff.reply_queued": (
        "LINE did not answer, so the reply is waiting; the clock sends the same reply again."
    ),
}
