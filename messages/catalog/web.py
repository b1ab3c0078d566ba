"""Wording for the web answer page (reached from a mailed letter's code). 日本語 first."""

JA: dict[str, str] = {
    "web.page_title": "{title}｜回答ページ",
    "web.site": "{town} 回答ページ",
    "web.lang_switch": "English",
    "web.lang_switch_label": "Read this page in English",
    "web.code_heading": "回答コードの入力",
    "web.code_intro": (
        "お手紙に書かれた回答コード（8けた）を入力して、「はじめる」を押してください。"
    ),
    "web.code_label": "回答コード",
    "web.code_hint": "例: K7QM-4T2X（ハイフンはなくても構いません。大文字・小文字は問いません）",
    "web.code_submit": "はじめる",
    "web.code.malformed": (
        "回答コードが正しくないようです。お手紙に書かれたコードをお確かめのうえ、"
        "もう一度入力してください。"
    ),
    "web.code.unknown": (
        "この回答コードは見つかりませんでした。お手紙に書かれたコードをお確かめください。"
    ),
    "web.code.other_survey": (
        "この回答コードは、別のアンケートのものです。"
        "お手紙に書かれたアドレスのページから入力してください。"
    ),
    "web.code.used": (
        "この回答コードでは、すでに回答が送信されています。ご協力ありがとうございました。"
    ),
    "web.dates": "回答期間: {opens}から{closes}まで",
    "web.scale_option": "{value}（{label}）",  # a scale point with its label
    "web.not_open": "「{title}」は、まだ回答を受け付けていません。{opens}から回答できます。",
    "web.closed": "「{title}」の受付は終了しました（{closes}まで）。ご協力ありがとうございました。",
    "web.notice": "お知らせ",
    "web.save_note": (
        "回答は1問ごとに保存されます。ページを閉じても、同じコードを入力すれば続きから回答できます。"
    ),
    "web.resumed": "前回の続きから再開しました。",
    "web.progress": "{n} / {total}",
    "web.progress_label": "全{total}問中{n}問目",
    "web.required_mark": "（必須）",
    "web.optional_mark": "（任意）",
    "web.hint_single": "1つ選んでください。",
    "web.hint_multi": "当てはまるものを選んでください（{max}つまで）。",
    "web.hint_scale": "{min}から{max}の中から1つ選んでください。",
    "web.hint_text": "{max}文字まで入力できます。",
    "web.next": "次へ",
    "web.back": "前へ",
    "web.skip": "スキップ",
    "web.error_title": "入力内容をご確認ください",
    "web.error.required": "この質問はスキップできません。お答えください。",
    "web.error.unknown_choice": "選択肢の中から選んでください。",
    "web.error.one_only": "1つだけ選んでください。",
    "web.error.too_many": "選べるのは{max}つまでです。選択を減らしてください。",
    "web.error.out_of_range": "{min}から{max}の中から選んでください。",
    "web.error.too_long": "{max}文字以内でお願いします（いまは{length}文字です）。",
    "web.error.stale": (
        "ページの表示が古くなっていました。いま表示している質問からお答えください。"
    ),
    "web.error.bad_action": "この操作はできません。表示しているボタンからお選びください。",
    "web.ask_age": "あなたの年代を教えてください。",
    "web.ask_residency": "{town}とのかかわりを教えてください。",
    "web.profile_note": "このアンケートには対象となる方の条件があります。はじめにお尋ねします。",
    "web.confirm_heading": "回答内容の確認",
    "web.confirm_intro": (
        "次の内容で送信します。よろしければ「この内容で送信する」を押してください。"
    ),
    "web.no_answer": "（回答なし）",
    "web.edit": "修正する",
    "web.edit_label": "「{question}」の回答を修正する",
    "web.submit": "この内容で送信する",
    "web.incomplete": "まだお答えいただいていない質問があります。",
    "web.thanks_heading": "ご回答ありがとうございました",
    "web.thanks": (
        "回答を受け付けました。いただいた声は、まちの計画づくりに活かします。"
        "このページは閉じて構いません。"
    ),
    "web.ineligible_heading": "ご回答いただけません",
    "web.ineligible_back": "前へ（回答を直す）",
    "web.code_kept": "回答コードは使われていません。",
    "web.limit_heading": "しばらくお待ちください",
    "web.limit": ("短い時間に何度も入力がありました。1分ほど待ってから、もう一度お試しください。"),
    "web.bad_request_heading": "ページを開き直してください",
    "web.bad_request": (
        "ページの有効期限が切れたか、正しく送信されませんでした。"
        "お手数ですが、ページを開き直してから、もう一度お試しください。"
    ),
    "web.too_large_heading": "送信内容が大きすぎます",
    "web.too_large": "送信された内容が大きすぎます。短くしてから、もう一度お試しください。",
    "web.not_found_heading": "アンケートが見つかりません",
    "web.not_found": (
        "お探しのアンケートは見つかりませんでした。お手紙に書かれたアドレスをお確かめください。"
    ),
    "web.start_over": "回答コードの入力に戻る",
    "web.contact": "お問い合わせ: {contact}",
}

EN: dict[str, str] = {
    "web.page_title": "{title} | Answer page",
    "web.site": "{town} answer page",
    "web.lang_switch": "日本語",
    "web.lang_switch_label": "このページを日本語で表示する",
    "web.code_heading": "Enter your answer code",
    "web.code_intro": "Type the 8-character answer code from your letter, then press Start.",
    "web.code_label": "Answer code",
    "web.code_hint": "For example K7QM-4T2X (the hyphen is optional; upper or lower case).",
    "web.code_submit": "Start",
    "web.code.malformed": (
        "This code does not look right. Please check the code you typed against your letter "
        "and try again."
    ),
    "web.code.unknown": "We could not find this code. Please check the code in your letter.",
    "web.code.other_survey": (
        "This code belongs to another survey. Please open the address printed in your letter."
    ),
    "web.code.used": "Answers have already been sent with this code. Thank you for taking part.",
    "web.dates": "Open from {opens} until {closes}",
    "web.scale_option": "{value}（{label}）",
    "web.not_open": "“{title}” is not open yet. You can answer from {opens}.",
    "web.closed": "“{title}” has closed (it ran until {closes}). Thank you for your interest.",
    "web.notice": "Notice",
    "web.save_note": (
        "Each answer is saved as you go. If you close the page, enter the same code to "
        "continue where you stopped."
    ),
    "web.resumed": "Welcome back: you are continuing where you stopped.",
    "web.progress": "{n} / {total}",
    "web.progress_label": "Question {n} of {total}",
    "web.required_mark": "(required)",
    "web.optional_mark": "(optional)",
    "web.hint_single": "Please choose one.",
    "web.hint_multi": "Choose all that apply (up to {max}).",
    "web.hint_scale": "Choose one number from {min} to {max}.",
    "web.hint_text": "Up to {max} characters.",
    "web.next": "Next",
    "web.back": "Back",
    "web.skip": "Skip",
    "web.error_title": "Please check your answer",
    "web.error.required": "This question cannot be skipped. Please answer it.",
    "web.error.unknown_choice": "Please choose one of the options.",
    "web.error.one_only": "Please choose only one.",
    "web.error.too_many": "You can choose up to {max}. Please untick some.",
    "web.error.out_of_range": "Please choose a number from {min} to {max}.",
    "web.error.too_long": "Please keep it within {max} characters (yours has {length}).",
    "web.error.stale": "This page was out of date. Please answer the question shown now.",
    "web.error.bad_action": "That is not possible here. Please use the buttons on the page.",
    "web.ask_age": "What is your age group?",
    "web.ask_residency": "How are you connected to {town}?",
    "web.profile_note": "This survey is for certain people only, so we ask this first.",
    "web.confirm_heading": "Check your answers",
    "web.confirm_intro": "These answers will be sent. If they are right, press Send these answers.",
    "web.no_answer": "(no answer)",
    "web.edit": "Change",
    "web.edit_label": "Change the answer to “{question}”",
    "web.submit": "Send these answers",
    "web.incomplete": "Some questions still need an answer.",
    "web.thanks_heading": "Thank you for your answers",
    "web.thanks": (
        "Your answers have been received and will help plan the town's future. "
        "You may close this page."
    ),
    "web.ineligible_heading": "You cannot answer this survey",
    "web.ineligible_back": "Back (change my answer)",
    "web.code_kept": "Your answer code has not been used.",
    "web.limit_heading": "Please wait a moment",
    "web.limit": "There were many attempts in a short time. Please wait a minute and try again.",
    "web.bad_request_heading": "Please reload the page",
    "web.bad_request": (
        "The page expired or was not sent correctly. Please open the page again and retry."
    ),
    "web.too_large_heading": "Too much was sent",
    "web.too_large": "What you sent is too large. Please shorten it and try again.",
    "web.not_found_heading": "Survey not found",
    "web.not_found": "We could not find this survey. Please check the address in your letter.",
    "web.start_over": "Back to entering the code",
    "web.contact": "Contact: {contact}",
}
