"""Wording for what an announcement offers: its action button (申し込む, 回答する, a link)."""

JA: dict[str, str] = {
    "announce.label.event": "申し込む",
    "announce.label.survey": "回答する",
    "announce.label.link": "詳しく見る",
    "announce.event": "{title}\n{when}\nお申し込みは下のボタンからどうぞ。",
    "announce.survey": "{title}\n{closes}まで\nご回答は下のボタンからどうぞ。",
    "announce.link": "詳しくは、下のボタンからご覧ください。",
}

EN: dict[str, str] = {
    "announce.label.event": "Sign up",
    "announce.label.survey": "Answer",
    "announce.label.link": "Details",
    "announce.event": "{title}\n{when}\nTap below to sign up.",
    "announce.survey": "{title}\nOpen until {closes}\nTap below to answer.",
    "announce.link": "For details, tap the button below.",
}
