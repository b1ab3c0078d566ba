"""Wording for announcements and お知らせ設定. 日本語 first, then English."""

JA: dict[str, str] = {
    "flow.name.notify": "お知らせ設定",
    "label.notify_stop_all": "すべて停止する",
    "label.notify_resume_all": "受け取りを再開",
    "notify.footer": "配信の設定は「お知らせ設定」と送ると変更できます。",
    "notify.link_intro": "詳しくは、下のボタンからご覧ください。",
    "notify.ask": (
        "お知らせの受け取り設定です。\n"
        "✓ のついた分野のお知らせが届きます。ボタンを押すと切り替わります。\n"
        "終わったら「決定」を押してください。\n{status}"
    ),
    "notify.ask_no_topics": (
        "お知らせの受け取り設定です。\n終わったら「決定」を押してください。\n{status}"
    ),
    "notify.status_on": "いまの設定: お知らせを受け取っています。",
    "notify.status_stopped": "いまの設定: 緊急のお知らせ以外は停止しています。",
    "notify.toggled_on": "「{topic}」のお知らせを受け取ります。",
    "notify.toggled_off": "「{topic}」のお知らせを停止しました。",
    "notify.stopped_all": "緊急のお知らせ以外の配信を停止しました。",
    "notify.resumed_all": "お知らせの配信を再開しました。",
    "notify.saved": "設定を保存しました。\n受け取る分野: {topics}\n{status}",
    "notify.choose": "下のボタンから選んでください。",
}

EN: dict[str, str] = {
    "flow.name.notify": "notification settings",
    "label.notify_stop_all": "Stop all",
    "label.notify_resume_all": "Resume all",
    "notify.footer": "To change what you receive, send “お知らせ設定” (notification settings).",
    "notify.link_intro": "For details, tap the button below.",
    "notify.ask": (
        "Your notification settings.\n"
        "You receive news on topics marked ✓. Tap a topic to switch it.\n"
        "Tap “Done” when finished.\n{status}"
    ),
    "notify.ask_no_topics": "Your notification settings.\nTap “Done” when finished.\n{status}",
    "notify.status_on": "Now: you receive announcements.",
    "notify.status_stopped": "Now: all announcements except urgent ones are stopped.",
    "notify.toggled_on": "You will receive news on “{topic}”.",
    "notify.toggled_off": "News on “{topic}” is stopped.",
    "notify.stopped_all": "All announcements except urgent ones are stopped.",
    "notify.resumed_all": "Announcements are back on.",
    "notify.saved": "Saved.\nTopics you receive: {topics}\n{status}",
    "notify.choose": "Please choose from the buttons below.",
}
