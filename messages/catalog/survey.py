"""Wording for surveys. 日本語 first, then English."""

from messages.plural import Plural

JA: dict[str, str] = {
    "flow.name.survey": "アンケート",
    "survey.none_open": (
        "いま回答できるアンケートはありません。新しいアンケートが始まったら、お知らせします。"
    ),
    "survey.list_intro": "回答できるアンケートです。下のボタンから選んでください。\n{items}",
    "survey.list_item": "・{title}（全{count}問・約{minutes}分・{closes}まで）",
    "survey.list_item_resume": "・{title}（回答の途中です）",
    "survey.label_resume": "続き: {title}",
    "survey.intro": "「{title}」を始めます。全{count}問、約{minutes}分です。\n{privacy}",
    "survey.anonymous_note": "匿名のアンケートです。回答は、あなたと結びつけずに集計します。",
    "survey.named_note": "記名式のアンケートです。",
    "survey.pause_note": "途中で「中断」して、{days}日以内なら続きを回答できます。",
    "survey.optional": "（任意）",
    "survey.progress": "Q{n}/{total}",
    "survey.ticked": "✓ {label}",
    "survey.scale_end": "{n}: {label}",
    "survey.hint_single": "下のボタンから1つ選んでください。",
    "survey.hint_multi": (
        "当てはまるものを選んで（{max}つまで）、「決定」を押してください。\n選択中: {chosen}"
    ),
    "survey.chosen_now": "選択中: {chosen}\n（{max}つまで。選び終わったら「決定」）",
    "survey.hint_scale": "{min}〜{max}の数字で選んでください。{labels}",
    "survey.hint_text": "メッセージで入力してください（{max}文字まで）。",
    "survey.choose_from_buttons": "下のボタンから選んでください。",
    "survey.choose_or_offer": (
        "この質問は下のボタンから選んでください。"
        "お書きになった内容は「意見として送る」を押すと、ご意見として町に届きます。"
    ),
    "survey.offer_paused": (
        "アンケートは中断しました。あとで「{keyword}」と送ると、続きから再開できます。"
    ),
    "survey.too_many": "選べるのは{max}つまでです。ほかの選択を外してから選んでください。",
    "survey.choose_one": "1つ以上選んでから「決定」を押してください。",
    "survey.too_long": (
        "{max}文字以内でお願いします（いまは{length}文字です）。短くして、もう一度送ってください。"
    ),
    "survey.type_text": "文字で入力して送ってください。",
    "survey.required": "この質問はスキップできません。お答えください。",
    "survey.preview_intro": "【プレビュー】職員向けの確認用です。回答は保存されません。",
    "survey.preview_done": "プレビューはここまでです。回答は保存していません。",
    "survey.thanks": (
        "ご回答ありがとうございました。いただいた声は、まちの計画づくりに活かします。"
    ),
    "survey.closed": (
        "「{title}」の受付は終了しました（{closes}まで）。ご協力ありがとうございました。"
    ),
    "survey.not_open": "「{title}」は{opens}から回答できます。",
    "survey.already": "「{title}」にはすでにご回答いただいています。ありがとうございました。",
    "survey.ineligible_age": (
        "「{title}」は{min_age}歳以上の方が対象のため、ご回答いただけません。"
        "ご関心をお寄せいただき、ありがとうございます。"
    ),
    "survey.ineligible_residency": (
        "「{title}」は{who}が対象のため、ご回答いただけません。"
        "ご関心をお寄せいただき、ありがとうございます。"
    ),
    "survey.ask_age": "このアンケートには対象年齢があります。はじめに年代を教えてください。",
    "survey.ask_residency": "はじめに、{town}とのかかわりを教えてください。",
    "survey.need_consent": (
        "記名式のアンケートのため、個人情報の取り扱いへの同意が必要です。"
        "「プロフィール」から同意できます。"
    ),
    "survey.changed": (
        "アンケートの内容が更新されました。お手数ですが、続きから改めてお答えください。"
    ),
    "survey.gone": "このアンケートは終了しました。メニューからお選びください。",
    "survey.saved_expired": (
        "途中まで回答していたアンケートは、{days}日間操作がなかったため、"
        "保存していた回答を削除しました（回答を長く保管しないためです）。"
        "お手数ですが、もう一度はじめからお答えいただけます。"
    ),
    "survey.list_sep": "、",
    "survey.who.resident": "町内にお住まいの方",
    "survey.who.commuter": "町内に通勤・通学している方",
    "survey.who.outside": "町外にお住まいの方",
    "survey.or": "、または",
    # invitation codes from mailed letters (handlers/survey_code.py)
    "flow.name.survey_code": "回答コード",
    "survey.keyword.code": "回答コード",
    "survey.code.ask": (
        "案内状に書かれた回答コード（英字と数字の8文字。例: K7QM-4T2X）を送ってください。"
    ),
    "survey.code.malformed": (
        "回答コードが正しくないようです。案内状の8文字をお確かめのうえ、もう一度送ってください。"
    ),
    "survey.code.unknown": (
        "この回答コードは見つかりませんでした。案内状の8文字をお確かめのうえ、"
        "もう一度送ってください。"
    ),
    "survey.code.used": "この回答コードは、すでに使われています。ご協力ありがとうございました。",
    "survey.code.already": (
        "「{title}」には、このLINEからすでにご回答いただいています。ありがとうございました。"
        "回答コードは使っていません。"
    ),
    "survey.code.ok": "回答コードを確認しました。",
    "survey.code.used_meanwhile": (
        "申し訳ありません。この回答コードは、ほかの方法ですでに使われたため、"
        "今回の回答は保存できませんでした。"
    ),
}

EN: dict[str, str] = {
    "flow.name.survey": "survey",
    "survey.none_open": (
        "There is no survey to answer right now. We will let you know when one opens."
    ),
    "survey.list_intro": "Surveys you can answer. Please choose one below.\n{items}",
    "survey.list_item": Plural(
        "- {title} ({count} questions, about {minutes} min, until {closes})",
        one="- {title} ({count} question, about {minutes} min, until {closes})",
        by="count",
    ),
    "survey.list_item_resume": "- {title} (in progress)",
    "survey.label_resume": "Continue: {title}",
    "survey.intro": Plural(
        "Starting “{title}”: {count} questions, about {minutes} min.\n{privacy}",
        one="Starting “{title}”: {count} question, about {minutes} min.\n{privacy}",
        by="count",
    ),
    "survey.anonymous_note": (
        "This survey is anonymous: answers are counted without linking them to you."
    ),
    "survey.named_note": "This survey is not anonymous.",
    "survey.pause_note": "Tap Pause at any time and continue within {days} days.",
    "survey.optional": "(optional)",
    "survey.progress": "Q{n}/{total}",
    "survey.ticked": "✓ {label}",
    "survey.scale_end": "{n}: {label}",
    "survey.hint_single": "Please choose one below.",
    "survey.hint_multi": "Choose all that apply (up to {max}), then tap Done.\nChosen: {chosen}",
    "survey.chosen_now": "Chosen: {chosen}\n(up to {max}; tap Done when finished)",
    "survey.hint_scale": "Choose a number from {min} to {max}. {labels}",
    "survey.hint_text": "Please type your answer (up to {max} characters).",
    "survey.choose_from_buttons": "Please choose one of the buttons below.",
    "survey.choose_or_offer": (
        "Please answer this question with the buttons below. "
        "To send what you wrote to the town as an opinion, tap “Send as opinion”."
    ),
    "survey.offer_paused": (
        "The survey is paused. Send “{keyword}” later to carry on where you left off."
    ),
    "survey.too_many": "You can choose up to {max}. Please untick another one first.",
    "survey.choose_one": "Please choose at least one, then tap Done.",
    "survey.too_long": (
        "Please keep it within {max} characters (yours has {length}). Shorten it and send again."
    ),
    "survey.type_text": "Please type your answer and send it.",
    "survey.required": "This question cannot be skipped. Please answer it.",
    "survey.preview_intro": "[Preview] For staff checking the survey. Answers are not saved.",
    "survey.preview_done": "End of the preview. Nothing was saved.",
    "survey.thanks": "Thank you for your answers. Your voice will help plan the town's future.",
    "survey.closed": "“{title}” has closed (it ran until {closes}). Thank you for your interest.",
    "survey.not_open": "“{title}” opens on {opens}.",
    "survey.already": "You have already answered “{title}”. Thank you.",
    "survey.ineligible_age": (
        "“{title}” is for people aged {min_age} and over, so you cannot answer it. "
        "Thank you for your interest."
    ),
    "survey.ineligible_residency": (
        "“{title}” is for people who {who}, so you cannot answer it. Thank you for your interest."
    ),
    "survey.ask_age": "This survey has an age requirement. First, your age group?",
    "survey.ask_residency": "First, how are you connected to {town}?",
    "survey.need_consent": (
        "This survey is not anonymous, so it needs your agreement to the privacy notice. "
        "You can agree from Profile."
    ),
    "survey.changed": "The survey was updated. Please continue with the question below.",
    "survey.gone": "This survey has ended. Please choose from the menu.",
    "survey.saved_expired": (
        "The answers you had saved part-way through a survey were deleted after {days} days "
        "without activity (we do not keep unfinished answers for long). "
        "You are welcome to start again from the beginning."
    ),
    "survey.list_sep": ", ",
    "survey.who.resident": "live in town",
    "survey.who.commuter": "work or study in town",
    "survey.who.outside": "live outside the town",
    "survey.or": " or ",
    "flow.name.survey_code": "answer code",
    "survey.keyword.code": "Answer code",
    "survey.code.ask": (
        "Please send the answer code from your letter (8 letters and digits, e.g. K7QM-4T2X)."
    ),
    "survey.code.malformed": (
        "That code does not look right. Please check the 8 characters on your letter and "
        "send it again."
    ),
    "survey.code.unknown": (
        "We could not find that code. Please check the 8 characters on your letter and "
        "send it again."
    ),
    "survey.code.used": "This answer code has already been used. Thank you for taking part.",
    "survey.code.already": (
        "You have already answered “{title}” from this LINE account. Thank you. "
        "The answer code was not used."
    ),
    "survey.code.ok": "Answer code accepted.",
    "survey.code.used_meanwhile": (
        "Sorry: this answer code was used another way in the meantime, so these answers "
        "could not be saved."
    ),
}
