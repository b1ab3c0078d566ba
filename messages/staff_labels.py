"""Staff-facing labels for the console: audit actions, who acted, detail keys (JA and EN).

Every action code written to the audit log has a label here (tests/test_console_office_language
checks the code base for codes without one). A code with no label falls back to its area's
label and the code itself, so a new action is never shown blank.
"""

from __future__ import annotations

LANGS = ("ja", "en")

# the guides in docs/ the console shows (docs/<name>.md → its title)
GUIDES = {
    "surveys": "アンケート",
    "events": "イベント",
    "announcements": "お知らせ配信",
    "console": "職員コンソール",
    "digest": "週次ダイジェスト",
    "town": "町の設定",
}

ACTIONS: dict[str, dict[str, str]] = {
    "ja": {
        "staff.create": "職員アカウントを作成",
        "staff.login": "ログイン",
        "staff.locked": "ログイン失敗が続いたため一時ロック",
        "staff.role": "職員の権限を変更",
        "staff.enable": "職員アカウントを有効化",
        "staff.disable": "職員アカウントを無効化",
        "staff.password": "職員のパスワードを再設定",
        "staff.password.own": "自分のパスワードを変更",
        "staff.link_code": "LINE 連携コードを発行",
        "staff.line_link": "LINE アカウントを連携",
        "staff.address_locked": "同じ接続元からのログイン失敗が続いたため一時ロック",
        "staff.sessions.revoke": "すべての端末からサインアウト",
        "settings.digest": "週次まとめの設定を変更",
        "broadcast.create": "お知らせを作成（配信・予約）",
        "broadcast.cancel": "お知らせの配信を取り消し",
        "broadcast.resume": "お知らせの配信を再開",
        "broadcast.paused": "お知らせの配信が一時停止",
        "broadcast.done": "お知らせの配信が完了",
        "survey.export": "アンケート回答を書き出し",
        "survey.results_export": "アンケートの集計表を書き出し",
        "survey.open": "アンケートの受付を開始",
        "survey.close": "アンケートの受付を締切",
        "survey.period": "アンケートの受付期間を変更",
        "survey.workbook_download": "アンケートを Excel で書き出し",
        "survey.workbook_upload": "アンケートを Excel から取り込み",
        "survey.paper": "紙の回答を入力",
        "survey.paper_import": "紙の回答をファイルから取り込み",
        "survey.invitations": "回答コード（案内状）を発行",
        "events.checkin": "イベントの受付（チェックイン）",
        "events.export": "参加者一覧を書き出し",
        "events.door_sheet": "受付用の出席表を書き出し",
        "opinions.export": "ご意見を書き出し",
        "opinions.update": "ご意見の対応状況・分類・メモを変更",
        "opinions.reply": "ご意見に LINE で返信",
        "content.town": "町の設定ファイルを反映",
        "content.survey": "アンケートのファイルを反映",
        "content.event": "イベントのファイルを反映",
        "content.kpi": "指標（KPI）のファイルを反映",
        "content.consultation": "意見募集のファイルを反映",
        "content.timeline": "計画の日程ファイルを反映",
        "content.population": "人口のファイルを反映",
        "content.publication": "アンケート結果の公表ファイルを反映",
        "content.report": "イベント報告のファイルを反映",
        "publish.snapshot": "公表するアンケート結果を集計（公開・更新）",
        "publish.announce.results": "公表したアンケート結果をお知らせで案内",
        "publish.announce.report": "公表したイベント報告をお知らせで案内",
    },
    "en": {
        "staff.create": "Staff account created",
        "staff.login": "Signed in",
        "staff.locked": "Locked after repeated failed sign-ins",
        "staff.role": "Staff role changed",
        "staff.enable": "Staff account enabled",
        "staff.disable": "Staff account disabled",
        "staff.password": "Staff password reset",
        "staff.password.own": "Own password changed",
        "staff.link_code": "LINE link code issued",
        "staff.line_link": "LINE account linked",
        "staff.address_locked": "Locked an address after repeated failed sign-ins",
        "staff.sessions.revoke": "Signed out on every device",
        "settings.digest": "Weekly digest settings changed",
        "broadcast.create": "Announcement created (sent or scheduled)",
        "broadcast.cancel": "Announcement cancelled",
        "broadcast.resume": "Announcement resumed",
        "broadcast.paused": "Announcement paused",
        "broadcast.done": "Announcement finished",
        "survey.export": "Survey answers exported",
        "survey.results_export": "Survey results workbook exported",
        "survey.open": "Survey opened",
        "survey.close": "Survey closed",
        "survey.period": "Survey period changed",
        "survey.workbook_download": "Survey downloaded as Excel",
        "survey.workbook_upload": "Survey uploaded from Excel",
        "survey.paper": "Paper answer entered",
        "survey.paper_import": "Paper answers imported from a file",
        "survey.invitations": "Answer codes (letters) issued",
        "events.checkin": "Event check-in",
        "events.export": "Attendee list exported",
        "events.door_sheet": "Door sign-in sheet exported",
        "opinions.export": "Opinions exported",
        "opinions.update": "Opinion status, category or memo changed",
        "opinions.reply": "Opinion answered by LINE",
        "content.town": "Town file applied",
        "content.survey": "Survey file applied",
        "content.event": "Event file applied",
        "content.kpi": "KPI file applied",
        "content.consultation": "Consultation file applied",
        "content.timeline": "Plan timeline file applied",
        "content.population": "Population file applied",
        "content.publication": "Survey results publication file applied",
        "content.report": "Event report file applied",
        "publish.snapshot": "Published survey results counted (published or refreshed)",
        "publish.announce.results": "Published survey results announced",
        "publish.announce.report": "Published event report announced",
    },
}

AREAS: dict[str, dict[str, str]] = {
    "ja": {
        "staff": "職員",
        "settings": "設定",
        "broadcast": "お知らせ",
        "survey": "アンケート",
        "events": "イベント",
        "opinions": "ご意見",
        "content": "内容ファイル",
        "publish": "公表",
        "other": "その他",
    },
    "en": {
        "staff": "Staff",
        "settings": "Settings",
        "broadcast": "Announcements",
        "survey": "Surveys",
        "events": "Events",
        "opinions": "Opinions",
        "content": "Content files",
        "publish": "Publishing",
        "other": "Other",
    },
}

ACTORS: dict[str, dict[str, str]] = {
    "ja": {
        "cli": "コマンド（CLI）",
        "system:dispatch": "システム（お知らせ配信）",
        "anonymous": "ログインしていない人",
    },
    "en": {
        "cli": "Command line (CLI)",
        "system:dispatch": "System (announcement sender)",
        "anonymous": "Not signed in",
    },
}

DETAILS: dict[str, dict[str, str]] = {
    "ja": {
        "format": "形式",
        "count": "件数",
        "from": "変更前",
        "to": "変更後",
        "role": "権限",
        "minutes": "分",
        "signup": "申込番号",
        "rows": "行数",
        "file": "ファイル",
        "text": "本文",
        "english": "英語の本文",
        "button": "ボタン",
        "segment": "条件",
        "topic": "分野",
        "urgent": "緊急",
        "scheduled_at": "配信予定",
        "estimated_recipients": "対象（見込み）",
        "recipients": "対象",
        "delivered": "配信",
        "failed": "失敗",
        "skipped": "送らなかった",
        "batches_cancelled": "取り消した送信単位",
        "reason": "理由",
        "channels": "回答方法",
        "opens_at": "受付開始",
        "closes_at": "締切",
        "created": "追加",
        "updated": "更新",
        "unchanged": "変更なし",
        "sheet": "用紙番号",
        "sessions": "ログイン中の画面",
        "changed": "変更した項目",
        "status": "状態",
        "category": "分類",
        "length": "文字数",
    },
    "en": {},  # English staff read the keys as they are
}

TEXT: dict[str, dict[str, str]] = {
    "ja": {
        "title": "操作履歴",
        "who": "操作した人",
        "action": "操作",
        "from": "この日から",
        "until": "この日まで",
        "all": "（すべて）",
        "all_of": "{area}のすべて",
        "filter": "絞り込む",
        "clear": "条件を外す",
        "count": "{n} 件",
        "at": "日時（日本時間）",
        "target": "対象",
        "detail": "詳細",
        "none": "条件に合う記録はありません。",
        "bad_date": "日付は カレンダーから選ぶか、2026-11-08 の形で入力してください。",
        "bad_range": "「この日から」は「この日まで」より前の日にしてください。",
        "yes": "はい",
        "no": "いいえ",
        "system": "システム（{name}）",
    },
    "en": {
        "title": "Audit log",
        "who": "Who",
        "action": "Action",
        "from": "From",
        "until": "Until",
        "all": "(all)",
        "all_of": "All: {area}",
        "filter": "Filter",
        "clear": "Clear filters",
        "count": "{n} entries",
        "at": "When (Japan time)",
        "target": "Target",
        "detail": "Detail",
        "none": "No entries match.",
        "bad_date": "Pick a date from the calendar or type it as 2026-11-08.",
        "bad_range": "“From” must be on or before “Until”.",
        "yes": "yes",
        "no": "no",
        "system": "System ({name})",
    },
}


def _lang(lang: str) -> str:
    return lang if lang in LANGS else "ja"


def area_of(code: str) -> str:
    """The area an action code belongs to (its first part)."""
    return code.partition(".")[0]


def action_label(code: str, lang: str = "ja") -> str:
    """An action code in words; an unknown code as its area and the code."""
    lang = _lang(lang)
    known = ACTIONS[lang].get(code)
    if known:
        return known
    area = AREAS[lang].get(area_of(code), AREAS[lang]["other"])
    return f"{area}: {code}"


def area_label(area: str, lang: str = "ja") -> str:
    """An area (staff, survey, …) in words."""
    lang = _lang(lang)
    return AREAS[lang].get(area, area)


def actor_label(actor: str, lang: str = "ja") -> str:
    """Who acted: a staff e-mail as it is, the CLI and the system in words."""
    lang = _lang(lang)
    if actor in ACTORS[lang]:
        return ACTORS[lang][actor]
    if actor.startswith("system:"):
        return TEXT[lang]["system"].format(name=actor.partition(":")[2])
    return actor


def detail_label(key: str, lang: str = "ja") -> str:
    """A detail key in words (the key itself when there is no label)."""
    return DETAILS[_lang(lang)].get(key, key)


def text(lang: str, key: str, **values) -> str:
    """A piece of the audit page's wording."""
    return TEXT[_lang(lang)][key].format(**values)
