"""Staff-facing wording of the console's event pages: modes, formats, sign-up states, check-in
results and the edit form's notes. JA, then EN. Shown by bot/console/events.py.
"""

JA = {
    "events_staff.mode.onsite": "会場",
    "events_staff.mode.online": "オンライン",
    "events_staff.format.onsite": "会場のみ",
    "events_staff.format.online": "オンラインのみ",
    "events_staff.format.hybrid": "会場とオンライン",
    "events_staff.signup.confirmed": "参加確定",
    "events_staff.signup.waitlisted": "キャンセル待ち",
    "events_staff.signup.cancelled": "キャンセル",
    "events_staff.checkin.checked_in": "受付しました（{mode}）。",
    "events_staff.checkin.already": "この番号はすでに受付済みです（{mode}）。",
    "events_staff.checkin.unknown_code": "この番号の申込みはありません。",
    "events_staff.checkin.not_confirmed": "この番号の申込みは参加確定ではありません（{status}）。",
    "events_staff.checkin.unknown_event": "イベントが見つかりません。",
    "events_staff.form": "フォーム",  # where a problem in the edit form is, as content names it
    "events_staff.saved": "イベントを保存しました。",
    "events_staff.no_file": "ファイルを選んでください。",
}

EN = {
    "events_staff.mode.onsite": "On site",
    "events_staff.mode.online": "Online",
    "events_staff.format.onsite": "On site only",
    "events_staff.format.online": "Online only",
    "events_staff.format.hybrid": "On site and online",
    "events_staff.signup.confirmed": "Confirmed",
    "events_staff.signup.waitlisted": "Waiting list",
    "events_staff.signup.cancelled": "Cancelled",
    "events_staff.checkin.checked_in": "Checked in ({mode}).",
    "events_staff.checkin.already": "This number is already checked in ({mode}).",
    "events_staff.checkin.unknown_code": "No sign-up has this number.",
    "events_staff.checkin.not_confirmed": "This sign-up is not confirmed ({status}).",
    "events_staff.checkin.unknown_event": "The event was not found.",
    "events_staff.form": "form",
    "events_staff.saved": "Event saved.",
    "events_staff.no_file": "Choose a file.",
}
