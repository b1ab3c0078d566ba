"""Core wording: onboarding, menu, help, the conversation engine. 日本語 first, then English."""

JA = {
    # labels residents tap (interfaces.md)
    "label.agree": "同意する",
    "label.decline": "同意しない",
    "label.skip": "スキップ",
    "label.offer_opinion": "意見として送る",
    "label.back": "もどる",
    "label.pause": "中断",
    "label.done": "決定",
    "label.resume": "続ける",
    "label.restart": "最初から",
    "label.change": "変更する",
    "label.yes": "はい",
    "label.no": "いいえ",
    # menu entries (also typed keywords)
    "menu.survey": "アンケート",
    "menu.events": "ワークショップ",
    "menu.notify": "お知らせ設定",
    "menu.progress": "計画の進捗",
    "menu.opinion": "意見",
    "menu.profile": "プロフィール",
    "menu.help": "ヘルプ",
    "menu.menu": "メニュー",
    "menu.mydata": "私のデータ",
    "menu.language": "English",
    # onboarding
    "onboarding.greeting": (
        "友だち追加ありがとうございます。{town}の「まちの声」です。\n"
        "まちの計画づくりに、LINEから気軽に参加できます。"
    ),
    "onboarding.privacy": (
        "はじめに、個人情報の取り扱いについてご確認ください。\n"
        "・回答は計画づくりのためだけに使います\n"
        "・匿名のアンケートは、あなたと結びつけません\n"
        "・登録内容はいつでも確認・削除できます\n"
        "詳しくは: {privacy_url}\n"
        "同意いただけますか？"
    ),
    "onboarding.declined": (
        "承知しました。プロフィールは保存しません。\n"
        "お知らせや計画の進捗は「メニュー」からご覧いただけます。"
        "気が変わったら「プロフィール」から同意できます。"
    ),
    "onboarding.agreed": (
        "ありがとうございます。よろしければ、かんたんなプロフィールを教えてください"
        "（4問・どれもスキップできます）。"
    ),
    "onboarding.ask_age": "年代を教えてください。",
    "onboarding.ask_district": "お住まいの地区を教えてください。",
    "onboarding.ask_residency": "{town}とのかかわりを教えてください。",
    "onboarding.ask_topics": (
        "お知らせを受け取りたい分野を選んでください（いくつでも）。\n"
        "選び終わったら「決定」を押してください。\n選択中: {chosen}"
    ),
    "onboarding.topics_now": "選択中: {chosen}\n（選び終わったら「決定」）",
    "onboarding.done": (
        "ご登録ありがとうございました。\n「メニュー」から、アンケートやワークショップに参加できます。"
    ),
    "onboarding.welcome_back": "おかえりなさい。またご利用いただきありがとうございます。",
    "onboarding.choose_from_buttons": "下のボタンから選んでください。",
    "residency.resident": "町内に住んでいる",
    "residency.commuter": "町内に通勤・通学",
    "residency.outside": "町外に住んでいる",
    "none": "なし",
    "list_sep": "、",
    "unset": "未登録",
    # profile
    "profile.show": (
        "登録内容\n年代: {age}\n地区: {district}\nかかわり: {residency}\n受け取る分野: {topics}"
    ),
    "profile.no_consent": (
        "プロフィールは保存していません（同意されていないため）。\n"
        "登録する場合は、個人情報の取り扱いに同意してください。"
    ),
    "profile.ask_change": "変更しますか？",
    # menu, help, fallback
    "menu.intro": "ご用件を選んでください。",
    "help.text": (
        "「まちの声」でできること\n"
        "・アンケートに答える\n"
        "・ワークショップに申し込む\n"
        "・お知らせの分野を選ぶ\n"
        "・ご意見を送る\n"
        "下のボタンからどうぞ。\n"
        "お問い合わせ: {contact}"
    ),
    "fallback.unknown": "メッセージありがとうございます。ご用件を下のメニューから選んでください。",
    "fallback.offer": (
        "メッセージありがとうございます。\n"
        "この内容を、町への「意見」としてお送りできます（受付番号をお知らせします）。"
        "ほかのご用件は、下のメニューからどうぞ。"
    ),
    "fallback.offer_long": "メッセージありがとうございます。町へのご意見としてお受けします。",
    "fallback.discarded": (
        "承知しました。送信していません。ご用件を下のメニューから選んでください。"
    ),
    "fallback.not_text": "ありがとうございます。文字かボタンでお知らせください。",
    "fallback.error": (
        "申し訳ありません、処理中に問題が起きました。お手数ですが、もう一度お試しください。"
    ),
    # conversation engine
    "flow.stale_button": "そのボタンは以前のものです。いまの質問はこちらです。",
    "flow.expired_button": "そのボタンは使えなくなりました。メニューからお選びください。",
    "flow.paused": "中断しました。「{keyword}」から、いつでも続きを再開できます。",
    "flow.idle_paused": "前回の「{name}」は中断しています。「{keyword}」から続きを再開できます。",
    "flow.cannot_back": "これより前には戻れません。",
    "flow.name.onboarding": "プロフィール登録",
    "flow.name.profile": "プロフィール変更",
    "group.hello": (
        "グループへの招待ありがとうございます。「まちの声」は1対1のトークでご利用ください。"
    ),
}


EN = {
    "label.agree": "Agree",
    "label.decline": "Decline",
    "label.skip": "Skip",
    "label.offer_opinion": "Send as opinion",
    "label.back": "Back",
    "label.pause": "Pause",
    "label.done": "Done",
    "label.resume": "Continue",
    "label.restart": "Start over",
    "label.change": "Change",
    "label.yes": "Yes",
    "label.no": "No",
    "menu.survey": "Surveys",
    "menu.events": "Workshops",
    "menu.notify": "Notifications",
    "menu.progress": "Plan progress",
    "menu.opinion": "Opinion",
    "menu.profile": "Profile",
    "menu.help": "Help",
    "menu.menu": "Menu",
    "menu.mydata": "My data",
    "menu.language": "日本語",
    "onboarding.greeting": (
        "Thank you for adding us. This is Machikoe, the voice of {town}.\n"
        "Take part in planning the town's future, right here in LINE."
    ),
    "onboarding.privacy": (
        "First, please check how we handle your data.\n"
        "- Answers are used only for town planning\n"
        "- Anonymous surveys are never linked to you\n"
        "- You can view or delete what we store at any time\n"
        "Details: {privacy_url}\n"
        "Do you agree?"
    ),
    "onboarding.declined": (
        "Understood. We will not store a profile.\n"
        "You can still read announcements and plan progress from the Menu, "
        "and agree later from Profile."
    ),
    "onboarding.agreed": (
        "Thank you. If you like, tell us a little about yourself (4 questions, all skippable)."
    ),
    "onboarding.ask_age": "Your age group?",
    "onboarding.ask_district": "Which district do you live in?",
    "onboarding.ask_residency": "How are you connected to {town}?",
    "onboarding.ask_topics": (
        "Choose the topics you want news about (any number), then tap Done.\nChosen: {chosen}"
    ),
    "onboarding.topics_now": "Chosen: {chosen}\n(tap Done when finished)",
    "onboarding.done": (
        "Thank you for registering. Use the Menu to answer surveys or join workshops."
    ),
    "onboarding.welcome_back": "Welcome back, and thank you for using Machikoe again.",
    "onboarding.choose_from_buttons": "Please choose one of the buttons below.",
    "residency.resident": "I live in town",
    "residency.commuter": "I work/study here",
    "residency.outside": "I live elsewhere",
    "none": "none",
    "list_sep": ", ",
    "unset": "not set",
    "profile.show": (
        "Your profile\nAge group: {age}\nDistrict: {district}\nConnection: {residency}\n"
        "Topics you receive: {topics}"
    ),
    "profile.no_consent": (
        "We store no profile for you (you have not agreed to the privacy notice).\n"
        "To register, please agree first."
    ),
    "profile.ask_change": "Would you like to change it?",
    "menu.intro": "What would you like to do?",
    "help.text": (
        "What you can do\n"
        "- Answer surveys\n"
        "- Sign up for workshops\n"
        "- Choose your news topics\n"
        "- Send your opinion\n"
        "Tap a button below.\n"
        "Contact: {contact}"
    ),
    "fallback.unknown": "Thank you for your message. Please choose from the menu below.",
    "fallback.offer": (
        "Thank you for your message.\n"
        "We can pass it on to the town as an opinion (you will get a receipt number). "
        "For anything else, please use the menu below."
    ),
    "fallback.offer_long": "Thank you for your message. We can take it as an opinion.",
    "fallback.discarded": "Understood: nothing was sent. Please choose from the menu below.",
    "fallback.not_text": "Thank you. Please send text or use the buttons.",
    "fallback.error": "Sorry, something went wrong. Please try again.",
    "flow.stale_button": "That button is from an earlier message. Here is the current question.",
    "flow.expired_button": "That button no longer works. Please choose from the menu.",
    "flow.paused": "Paused. Send “{keyword}” any time to continue where you left off.",
    "flow.idle_paused": "Your “{name}” is paused. Send “{keyword}” to continue.",
    "flow.cannot_back": "This is the first question.",
    "flow.name.onboarding": "registration",
    "flow.name.profile": "profile change",
    "group.hello": "Thank you for the invitation. Please use Machikoe in a one-to-one chat.",
}
