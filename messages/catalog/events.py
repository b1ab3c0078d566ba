"""Wording for events (workshops, district meetings). 日本語 first, then English."""

from messages.plural import Plural

JA: dict[str, str] = {
    # words typed or tapped
    "events.keyword.mine": "予約の確認",
    "events.label.join": "申し込む",
    "events.label.cancel": "キャンセル",
    "events.label.details": "詳しく見る",
    "events.label.series": "全{n}回まとめて申し込む",
    "events.label.onsite": "会場で参加",
    "events.label.online": "オンラインで参加",
    "events.label.waitlist": "キャンセル待ちに登録",
    "events.label.cancel_yes": "キャンセルする",
    "events.label.cancel_no": "やめておく",
    "events.label.calendar": "カレンダーに追加",
    "events.label.open_online": "オンライン会場を開く",
    "events.label.more": "次の{n}件を見る",
    # dates (JST): 11月8日(土) 18:30〜20:30
    "events.weekdays": "月,火,水,木,金,土,日",
    "events.date": "{month}月{day}日({weekday})",
    "events.range": "{start}〜{end}",
    "events.day.today": "本日",
    "events.day.tomorrow": "明日",
    # formats and modes
    "events.format.onsite": "会場",
    "events.format.online": "オンライン",
    "events.format.hybrid": "会場・オンライン",
    "events.mode.onsite": "会場",
    "events.mode.online": "オンライン",
    # the cards
    "events.list.intro": "これからのワークショップ・説明会です。",
    "events.list.none": (
        "いま申し込めるワークショップ・説明会はありません。決まりしだいお知らせします。"
    ),
    "events.list.more_title": "ほかにも{n}件あります",
    "events.card.venue": "場所: {venue}",
    "events.card.format": "参加方法: {format}",
    "events.card.seats": "{mode} 残り{n}席",
    "events.card.full": "{mode} 満席（キャンセル待ち受付中）",
    "events.card.closes": "締切: {when}",
    "events.card.closed": "受付は終了しました",
    "events.card.series": "全{n}回シリーズ",
    "events.status.confirmed": "申込済み（{mode}）",
    "events.status.waitlisted": "キャンセル待ち {position}番目（{mode}）",
    "events.code": "受付番号 {code}",
    "events.details": "{title}\n{when}\n場所: {venue}\n参加方法: {format}\n\n{description}",
    "events.place.online": "オンライン",
    # sign-up
    "events.ask_mode": "「{title}」\n{when}\n参加方法を選んでください。",
    "events.ask_mode_series": "「{series}」全{n}回\n参加方法を選んでください。",
    "events.confirmed.header": "お申し込みを受け付けました",
    "events.confirmed.place": "場所: {place}",
    "events.confirmed.mode": "参加方法: {mode}",
    "events.confirmed.soon": "{day}の開催です。",
    "events.confirmed.url": "参加URL: {url}",
    "events.confirmed.note_onsite": "当日は受付でこの番号をお伝えください。前日にもご案内します。",
    "events.confirmed.note_online": (
        "時間になったら参加URLからお入りください。前日にもご案内します。"
    ),
    "events.confirmed.note_onsite_soon": "当日は受付でこの番号をお伝えください。",
    "events.confirmed.note_online_soon": "時間になったら参加URLからお入りください。",
    "events.waitlisted": (
        "キャンセル待ちに登録しました（{mode}・{position}番目）。\n「{title}」{when}\n"
        "席があきしだい、このトークでお知らせします。"
    ),
    "events.full": "「{title}」の{mode}での参加は満席です。キャンセル待ちに登録できます。",
    "events.full_other": "{mode}での参加なら、まだ席があります（残り{n}席）。",
    "events.closed": "「{title}」のお申し込みは締め切りました。",
    "events.already": "「{title}」はお申し込み済みです（{status}）。",
    "events.unknown": "このイベントは見つかりませんでした。「イベント」から探してください。",
    "events.series.done": "「{series}」のお申し込み結果です。",
    "events.series.line": "・{when} {result}",
    "events.series.confirmed": "確定（{mode}）",
    "events.series.waitlisted": "キャンセル待ち {position}番目",
    "events.series.already": "申込済み",
    "events.series.already_other": "申込済み（{mode}・受付番号 {code}）",
    "events.series.code": "受付番号: {code}（全回共通）",
    "events.series.now_place": "　{day}の開催です。場所: {place}",
    "events.series.now_url": "　{day}の開催です。参加URL: {url}",
    "events.series.note_onsite": (
        "当日は受付でこの番号をお伝えください。各回の前日にもご案内します。"
    ),
    "events.series.note_online": "参加URLは各回の前日に、このトークでお送りします。",
    "events.series.closed": "受付終了",
    "events.series.none": "このシリーズで、これから申し込める回はありません。",
    # cancel
    "events.cancel.ask": "「{title}」\n{when}\nのお申し込みをキャンセルしますか？",
    "events.cancel.done": "キャンセルしました。ご連絡ありがとうございます。",
    "events.cancel.kept": "キャンセルしませんでした。お申し込みはそのままです。",
    "events.cancel.none": "キャンセルできるお申し込みはありません。",
    "events.cancel.started": "開始後のため、キャンセルはできません。",
    # my sign-ups
    "events.mine.none": "いまお申し込み中のイベントはありません。「イベント」から探せます。",
    "events.mine.intro": "お申し込み中のイベントです。",
    # pushes
    "events.promoted": (
        "キャンセル待ちのお知らせです。\n「{title}」{when}\nに席があいたため、"
        "お申し込みを確定しました（{mode}）。\n受付番号: {code}\n"
        "ご都合が悪くなったときは「予約の確認」からキャンセルしてください。"
    ),
    "events.reminder": "{day}のご案内です。\n「{title}」\n{when}\n場所: {place}\n受付番号: {code}",
    "events.reminder.online": "参加方法: オンライン\n参加URL: {url}",
    "events.reminder.cancel": "ご都合が悪くなったときは「予約の確認」からキャンセルしてください。",
    # the name on the door list (asked once a seat is confirmed)
    "events.door_name.ask": "受付でお名前を確認するため、LINEの表示名を名簿に載せてもよいですか？",
    "events.label.door_name_yes": "はい",
    "events.label.door_name_no": "いいえ",
    "events.door_name.saved": (
        "ありがとうございます。受付の名簿にLINEの表示名を載せます。"
        "キャンセルすると名簿からも消えます。"
    ),
    "events.door_name.declined": (
        "承知しました。名簿には載せません。受付で受付番号をお伝えください。"
    ),
    "events.door_name.unavailable": (
        "承知しました。今回は名簿に載せられませんでした。受付で受付番号をお伝えください。"
    ),
    "events.door_name.stale": (
        "このボタンは使えなくなりました。お申し込みは「予約の確認」からご覧いただけます。"
    ),
    "events.door_name.mine": "（受付名簿の名前: {name}）",
}

EN: dict[str, str] = {
    "events.keyword.mine": "My sign-ups",
    "events.label.join": "Sign up",
    "events.label.cancel": "Cancel",
    "events.label.details": "Details",
    "events.label.series": Plural("Join all {n} sessions", one="Join the {n} session"),
    "events.label.onsite": "Attend on site",
    "events.label.online": "Attend online",
    "events.label.waitlist": "Join the waitlist",
    "events.label.cancel_yes": "Yes, cancel",
    "events.label.cancel_no": "Keep it",
    "events.label.calendar": "Add to calendar",
    "events.label.open_online": "Open online room",
    "events.label.more": "Next {n}",
    "events.weekdays": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    "events.date": "{weekday} {month}/{day}",
    "events.range": "{start}–{end}",
    "events.day.today": "today",
    "events.day.tomorrow": "tomorrow",
    "events.format.onsite": "On site",
    "events.format.online": "Online",
    "events.format.hybrid": "On site or online",
    "events.mode.onsite": "On site",
    "events.mode.online": "Online",
    "events.list.intro": "Upcoming workshops and meetings.",
    "events.list.none": (
        "There are no workshops or meetings open for sign-up now. We will let you know."
    ),
    "events.list.more_title": "{n} more",
    "events.card.venue": "Place: {venue}",
    "events.card.format": "How: {format}",
    "events.card.seats": Plural("{mode}: {n} seats left", one="{mode}: {n} seat left"),
    "events.card.full": "{mode}: full (waitlist open)",
    "events.card.closes": "Closes: {when}",
    "events.card.closed": "Sign-up has closed",
    "events.card.series": "Series of {n}",
    "events.status.confirmed": "Signed up ({mode})",
    "events.status.waitlisted": "Waitlist no. {position} ({mode})",
    "events.code": "Code {code}",
    "events.details": "{title}\n{when}\nPlace: {venue}\nHow: {format}\n\n{description}",
    "events.place.online": "Online",
    "events.ask_mode": "“{title}”\n{when}\nHow will you attend?",
    "events.ask_mode_series": Plural(
        "“{series}”, {n} sessions\nHow will you attend?",
        one="“{series}”, {n} session\nHow will you attend?",
    ),
    "events.confirmed.header": "You are signed up",
    "events.confirmed.place": "Place: {place}",
    "events.confirmed.mode": "You attend: {mode}",
    "events.confirmed.soon": "This event is {day}.",
    "events.confirmed.url": "Join at: {url}",
    "events.confirmed.note_onsite": (
        "Please give this code at the reception. We will remind you the day before."
    ),
    "events.confirmed.note_online": (
        "Join from the link at the start time. We will remind you the day before."
    ),
    "events.confirmed.note_onsite_soon": "Please give this code at the reception.",
    "events.confirmed.note_online_soon": "Join from the link at the start time.",
    "events.waitlisted": (
        "You are on the waitlist ({mode}, no. {position}).\n“{title}” {when}\n"
        "We will tell you here as soon as a seat is free."
    ),
    "events.full": "“{title}” is full for {mode}. You can join the waitlist.",
    "events.full_other": "Seats are still free for {mode} ({n} left).",
    "events.closed": "Sign-up for “{title}” has closed.",
    "events.already": "You have already signed up for “{title}” ({status}).",
    "events.unknown": "We could not find this event. Please look again from Workshops.",
    "events.series.done": "Your sign-up for “{series}”:",
    "events.series.line": "- {when}: {result}",
    "events.series.confirmed": "confirmed ({mode})",
    "events.series.waitlisted": "waitlist no. {position}",
    "events.series.already": "already signed up",
    "events.series.already_other": "already signed up ({mode}, code {code})",
    "events.series.code": "Code: {code} (the same for every session)",
    "events.series.now_place": "  This session is {day}. Place: {place}",
    "events.series.now_url": "  This session is {day}. Join at: {url}",
    "events.series.note_onsite": (
        "Please give this code at the reception. We will remind you the day before each session."
    ),
    "events.series.note_online": "We will send the join link here the day before each session.",
    "events.series.closed": "closed",
    "events.series.none": "No session of this series is open for sign-up any more.",
    "events.cancel.ask": "Cancel your sign-up for\n“{title}”\n{when}?",
    "events.cancel.done": "Cancelled. Thank you for letting us know.",
    "events.cancel.kept": "Not cancelled. Your sign-up stays as it is.",
    "events.cancel.none": "You have no sign-up to cancel.",
    "events.cancel.started": "The event has started; it can no longer be cancelled.",
    "events.mine.none": "You have no sign-ups now. Find events under Workshops.",
    "events.mine.intro": "Your sign-ups.",
    "events.promoted": (
        "Good news from the waitlist.\nA seat is free for “{title}” {when}, "
        "so your sign-up is now confirmed ({mode}).\nCode: {code}\n"
        "If you cannot come, please cancel from My sign-ups."
    ),
    "events.reminder": "A reminder for {day}.\n“{title}”\n{when}\nPlace: {place}\nCode: {code}",
    "events.reminder.online": "How: online\nJoin at: {url}",
    "events.reminder.cancel": "If you cannot come, please cancel from My sign-ups.",
    "events.door_name.ask": (
        "May we put your LINE display name on the list at the door, so we can greet you?"
    ),
    "events.label.door_name_yes": "Yes",
    "events.label.door_name_no": "No",
    "events.door_name.saved": (
        "Thank you. Your LINE display name will be on the door list. "
        "If you cancel, it is removed too."
    ),
    "events.door_name.declined": (
        "Understood. It will not be on the list; please give your code at the door."
    ),
    "events.door_name.unavailable": (
        "Understood. We could not add it this time; please give your code at the door."
    ),
    "events.door_name.stale": (
        "This button is no longer valid. See your sign-ups under My sign-ups."
    ),
    "events.door_name.mine": "(name on the door list: {name})",
}
