"""Wording for the topics a resident receives and the full 私のデータ list. 日本語 first."""

JA: dict[str, str] = {
    # topics (handlers/topics.py), shown by onboarding, プロフィール, お知らせ設定, 私のデータ
    "topics.all_stopped": "{topics}（いまは緊急のお知らせ以外を停止中）",
    "topics.default_all": "選ばずに「決定」を押すと、すべての分野のお知らせが届きます。",
    "topics.saved": "受け取る分野: {topics}\n「お知らせ設定」からいつでも変えられます。",
    # 私のデータ: what is stored
    "mydata.topics": "受け取る分野: {topics}",
    "mydata.signups": "ワークショップの申し込み（{n}件）",
    "mydata.signup.confirmed": "・{when} {title}（{mode}・参加番号 {code}）",
    "mydata.signup.waitlisted": "・{when} {title}（{mode}・キャンセル待ち {position}番目）",
    "mydata.signups_past": "これまでの申し込みの記録: {n}件",
    "mydata.opinion.item": "・{date} 受付番号 {receipt}",
    "mydata.opinion.item_plain": "・{date}",
    "mydata.surveys": "回答したアンケート（{n}件）",
    "mydata.survey.anonymous": "・{title}（{date}・匿名のため回答内容は結びつけていません）",
    "mydata.survey.named": "・{title}（{date}・回答内容も保存しています）",
    "mydata.survey.started": "・{title}（回答の途中）",
    "mydata.more": "・ほか{n}件",
    "mydata.change_hint": "変更は下のボタンからできます。",
    "mydata.label.profile_edit": "プロフィールを変更",
    "mydata.label.profile_add": "プロフィールを登録",
    # 私のデータ: what deletion does
    "mydata.confirm.head": "次のものをすべて削除します。元には戻せません。",
    "mydata.confirm.profile": "・プロフィールと、お知らせの設定",
    "mydata.confirm.settings": "・お知らせの設定",
    "mydata.confirm.signups": (
        "・ワークショップの申し込み{n}件（キャンセルになり、席はほかの方に回ります）"
    ),
    "mydata.confirm.waitlist": "・キャンセル待ち{n}件（取り消しになります）",
    "mydata.confirm.opinions": "・お寄せいただいたご意見{n}件と受付番号",
    "mydata.confirm.named": "・記名のアンケートの回答{n}件（集計からも消えます）",
    "mydata.confirm.started": "・回答途中のアンケート{n}件",
    "mydata.confirm.news": "削除のあとは、また話しかけていただくまでお知らせは届きません。",
}

EN: dict[str, str] = {
    "topics.all_stopped": "{topics} (all but urgent news is stopped for now)",
    "topics.default_all": "If you tap “Done” without choosing, you receive news on every topic.",
    "topics.saved": (
        "Topics you receive: {topics}\nYou can change them any time in “Notifications”."
    ),
    "mydata.topics": "Topics you receive: {topics}",
    "mydata.signups": "Workshop sign-ups ({n})",
    "mydata.signup.confirmed": "- {when} {title} ({mode}, code {code})",
    "mydata.signup.waitlisted": "- {when} {title} ({mode}, waitlist no. {position})",
    "mydata.signups_past": "Earlier sign-ups on record: {n}",
    "mydata.opinion.item": "- {date} receipt {receipt}",
    "mydata.opinion.item_plain": "- {date}",
    "mydata.surveys": "Surveys you answered ({n})",
    "mydata.survey.anonymous": "- {title} ({date}, anonymous: your answers are not linked to you)",
    "mydata.survey.named": "- {title} ({date}, your answers are stored too)",
    "mydata.survey.started": "- {title} (not finished)",
    "mydata.more": "- and {n} more",
    "mydata.change_hint": "To change something, tap a button below.",
    "mydata.label.profile_edit": "Change profile",
    "mydata.label.profile_add": "Add a profile",
    "mydata.confirm.head": "This deletes all of the following. It cannot be undone.",
    "mydata.confirm.profile": "- your profile and notification settings",
    "mydata.confirm.settings": "- your notification settings",
    "mydata.confirm.signups": "- {n} workshop sign-up(s): cancelled, your seats go to others",
    "mydata.confirm.waitlist": "- {n} waitlist place(s): withdrawn",
    "mydata.confirm.opinions": "- {n} opinion(s) you sent, with their receipt numbers",
    "mydata.confirm.named": "- {n} named survey answer(s), also removed from the results",
    "mydata.confirm.started": "- {n} survey(s) you had not finished",
    "mydata.confirm.news": "After deleting, you get no announcements until you write to us again.",
}
