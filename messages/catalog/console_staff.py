# ruff: noqa: E501  (sentences stay whole, one per line)
"""Staff-facing wording of the console's shared parts: why a staff account, a publication or
a request cannot go ahead (by error code), and the role names. Raised as codes in
handlers/staff.py (`StaffError.of`), handlers/publishing_records.py (`PublishError.of`);
shown by bot/console/base.py and base_display.py.
"""

from messages.plural import Plural

JA = {
    # handlers/staff.py: StaffError.of(code, **values)
    "staff_error.password_short": "パスワードは{n}文字以上にしてください",
    "staff_error.role": "権限は {roles} のいずれかです",
    "staff_error.email_format": "メールアドレスの形式が正しくありません",
    "staff_error.email_format_value": "メールアドレスの形式が正しくありません: {value}",
    "staff_error.email_taken": "{email} はすでに登録されています",
    "staff_error.last_admin": "最後の管理者の権限は外せません",
    "staff_error.same_password": "新しいパスワードは、今のパスワードと違うものにしてください",
    "staff_error.no_account": "その職員アカウントはありません",
    "staff_error.weekday": "曜日を選んでください",
    "staff_error.time_number": "時刻は数字で入力してください",
    "staff_error.time_range": "時刻は 0:00〜23:59 で入力してください",
    # handlers/publishing_records.py: PublishError.of(code, **values)
    "publish_error.no_survey": "アンケート「{id}」はありません。",
    "publish_error.no_event": "イベント「{id}」はありません。",
    "publish_error.report_empty": "報告の本文を書いてください。",
    "publish_error.no_report": "イベント「{id}」の報告はありません。",
    "publish_error.not_published": "公開していない結果・報告はお知らせできません。先に公開してください。",
    "publish_error.announced": "この結果・報告は、お知らせ #{id} ですでに知らせています。",
    "publish_error.not_checked": "送信の前に「送信前の確認」を押して、相手と件数を確かめてください。",
    # bot/console/base.py: the error page (title, what to do)
    "console_error.400.title": "リクエストを受け付けられません",
    "console_error.400.body": "ページを開き直してから、もう一度お試しください。",
    "console_error.401.title": "ログインが必要です",
    "console_error.401.body": "ログインしてからお試しください。",
    "console_error.403.title": "権限がありません",
    "console_error.403.body": "この操作には編集者または管理者の権限が必要です。",
    "console_error.404.title": "見つかりません",
    "console_error.404.body": "ページまたはデータが見つかりません。",
    "console_error.413.title": "送信された内容が大きすぎます",
    "console_error.413.body": "ファイルを小さくしてから、もう一度お試しください。",
    "console_error.503.title": "データベースに接続し直しました",
    "console_error.503.body": "変更が保存されていない可能性があります。ページを開き直して確かめてください。",
    "console_error.other.title": "エラー",
    "console_error.other.body": "もう一度お試しください。",
    # bot/console/base_display.py: ROLE_NAMES
    "role.viewer": "閲覧者",
    "role.editor": "編集者",
    "role.admin": "管理者",
    # bot/console/base_display.py: demo_notice(), the banner while demo data is loaded
    "demo_notice.title": "デモ用のデータです（実在の住民ではありません）",
    "demo_notice.body": "ここに表示している住民・回答・申し込み・ご意見は、説明や練習のために作った架空のものです。実際の運用を始める前に、サーバーで flask --app wsgi demo --remove を実行して削除してください。",
}

EN = {
    "staff_error.password_short": Plural(
        "Use a password of at least {n} characters", one="Use a password of at least {n} character"
    ),
    "staff_error.role": "The role is one of {roles}",
    "staff_error.email_format": "That is not an e-mail address",
    "staff_error.email_format_value": "That is not an e-mail address: {value}",
    "staff_error.email_taken": "{email} is already registered",
    "staff_error.last_admin": "The last administrator keeps the role",
    "staff_error.same_password": "Choose a new password different from the current one",
    "staff_error.no_account": "There is no such staff account",
    "staff_error.weekday": "Choose a day of the week",
    "staff_error.time_number": "Type the time in numbers",
    "staff_error.time_range": "Type a time from 0:00 to 23:59",
    "publish_error.no_survey": "There is no survey “{id}”.",
    "publish_error.no_event": "There is no event “{id}”.",
    "publish_error.report_empty": "Write the report's text.",
    "publish_error.no_report": "Event “{id}” has no report.",
    "publish_error.not_published": "Results or a report that is not published cannot be announced. Publish it first.",
    "publish_error.announced": "These results or this report were already announced (announcement #{id}).",
    "publish_error.not_checked": "Press “Check before sending” first, to see who receives it and how many.",
    "console_error.400.title": "The request cannot be accepted",
    "console_error.400.body": "Open the page again, then try once more.",
    "console_error.401.title": "Sign-in needed",
    "console_error.401.body": "Sign in, then try again.",
    "console_error.403.title": "Not allowed",
    "console_error.403.body": "This needs the editor or administrator role.",
    "console_error.404.title": "Not found",
    "console_error.404.body": "The page or the data was not found.",
    "console_error.413.title": "What was sent is too large",
    "console_error.413.body": "Make the file smaller, then try again.",
    "console_error.503.title": "Reconnected to the database",
    "console_error.503.body": "The change may not have been saved. Open the page again to check.",
    "console_error.other.title": "Error",
    "console_error.other.body": "Please try again.",
    "role.viewer": "Viewer",
    "role.editor": "Editor",
    "role.admin": "Administrator",
    "demo_notice.title": "Demo data (these are not real residents)",
    "demo_notice.body": "The residents, answers, sign-ups and opinions shown here were made up for demonstration and practice. Before real use, remove them by running flask --app wsgi demo --remove on the server.",
}
