"""The survey area's staff-facing words: export sheets, the privacy notes, console messages.

Staff read these in the console, in the CSV / Excel exports and in the digest (Japanese, as
the office works). `word(key, **values)` fills a sentence; the name tables (channels,
residencies, question types, cross-tab dimensions) are plain dicts.
"""

from __future__ import annotations

import re

SUPPRESS_BELOW = 5  # the small-cell rule's threshold, as the sentences state it

CHANNEL_NAMES = {"line": "LINE", "web": "Web", "paper": "紙"}  # 回答方法, as staff read it
RESIDENCY_NAMES = {"resident": "町内在住", "commuter": "町内に通勤・通学", "outside": "町外在住"}
DIM_TITLES = {
    "age_band": "年代",
    "district": "地区",
    "residency": "かかわり",
    "channel": "回答方法",
}
TYPE_NAMES = {"single": "単一選択", "multi": "複数選択", "scale": "段階評価", "text": "自由記述"}
RESIDENCY_SHORT = {"resident": "町内在住", "commuter": "通勤・通学", "outside": "町外在住"}
DOT_JOIN = " ・ "  # a list on one line of the command line
ATTRIBUTE_HIDDEN = "（非表示）"  # an attribute blanked in a row-level export
NO_ANSWER = "未回答"
JOIN = "、"  # multiple choice in one cell
ONE_HOT = re.compile(r"^Q\d+「.*」$")  # a 0/1 column of one choice (the paper import skips it)

WORDS = {
    # the privacy rule (handlers/privacy.py)
    "privacy.note": "匿名のアンケートのため、{below}人未満の人数は「{mark}」と表示します。"
    "「{also}」は、合計から5人未満の人数がわかってしまうため表示していない欄です。",
    "privacy.refused_rows": "匿名のアンケートの回答一覧（1件ずつの回答）は、編集者・管理者だけが"
    "ダウンロードできます。閲覧者の方は「集計表 Excel」をお使いください。",
    "privacy.refused_title": "ダウンロードできません",
    # the export's columns and sheets (handlers/survey_export.py)
    "col.number": "回答番号",
    "col.day": "回答日",
    "col.channel": "回答方法",
    "col.resident": "住民ID",
    "col.question": "Q{n} {text}",
    "col.flag": "Q{n}「{label}」",
    "sheet.rows": "回答",
    "sheet.summary": "集計",
    "sheet.internal": "内部ID",
    # the 集計 sheet
    "sum.survey": "アンケート",
    "sum.version": "版",
    "sum.kind": "種類",
    "sum.anonymous": "匿名",
    "sum.named": "記名",
    "sum.filter": "絞り込み",
    "sum.filter_channel": "回答方法: {channel}のみ",
    "sum.responses": "回答数",
    "sum.period": "受付期間",
    "sum.until": "〜",
    "sum.caution": "注意",
    "sum.caution_anonymous": "匿名のアンケートのため、{below}人未満の人数は空欄にしています"
    "（備考に理由）。",
    "sum.count": "件数",
    "sum.share": "割合(%)",
    "sum.remark": "備考",
    "sum.question": "質問",
    "sum.choice": "選択肢",
    "sum.mean": "平均",
    "sum.median": "中央値",
    "sum.answered": "回答数",
    "sum.word": "頻出語: {word}",
    "sum.words_waiting": "頻出語は数分ごとに集計します。まだ集計されていません。",
    "sum.words_counted_at": "頻出語の集計時点",
    "sum.crosstab": "クロス集計（{title}別）",
    "sum.total": "計",
    "sum.people": "{label}（人）",
    "sum.percent": "{label}（%）",
    "sum.hidden": "{below}人未満",
    "sum.also_hidden": "合計から5人未満の欄がわかるため非表示",
    "sum.hidden_row": "{below}人未満の欄は空欄",
    # the console's survey pages (bot/console/surveys.py)
    "chart.hidden": "（5人未満）",
    "chart.also_hidden": "（非表示）",
    "chart.answered": "回答 {n}人",
    # the command line (bot/cli_surveys.py)
    "cli.questions": "{n:2}問",
    "cli.responses_n": "{n:6}件",
    "cli.title": "{title} ({id}, 版{version}, {kind})",
    "cli.filter": "絞り込み: 回答方法 {channel} のみ",
    "cli.responses": "回答数: {n}",
    "cli.by_channel": "回答方法別: {list}",
    "cli.question": "Q{n} {text}  [{type}, 回答 {answered}]",
    "cli.scale": "  平均 {mean}  中央値 {median}",
    "cli.words": "  頻出語: {words}",
    "cli.crosstab": "== クロス集計: {title}別{note}",
    "cli.crosstab_note": "（5人未満のセルは <5）",
    "cli.named_now": "{id}: 記名アンケートの回答はすぐに書き込まれます（保留なし）",
    "cli.flushed": "{id}: 保留中だった匿名回答 {n}件を書き込みました",
    "cli.held": "{id}: 保留中 {n}件：匿名を守るため、同じ回答方法の回答が"
    "{k}件そろうまで集計に含めません",
    # paper answers (bot/cli_survey_answers.py, bot/console/survey_paper.py)
    "paper.nothing_added": "何も追加していません。",
    "paper.refused": "何も追加していません（問題 {n}件）。",
    "paper.dry_run": "確認のみ: {summary}を追加できます（まだ何も追加していません）。",
    "paper.added": "{summary}を追加しました。",
    "paper.added_from": "{name} から {summary}を追加しました。",
    "paper.sheet_saved": "回答番号 {sheet} を保存しました。",
    "paper.too_big": "ファイルが大きすぎます（50 MB まで）。",
    "paper.checked_file_gone": "確認したファイルが見つかりません。"
    "もう一度アップロードしてください。",
    # invitation letters (bot/console/survey_invitations.py)
    "letters.format": "形式は CSV か PDF を選んでください。",
    "letters.count": "枚数は 1〜{limit:,} の数字で入力してください"
    "（それより多いときは、コマンド surveys invitations をお使いください）。",
    # the builder and the workbook upload (bot/console/survey_builder.py, survey_workbook.py)
    "builder.place": "フォーム",
    "builder.saved": "アンケート「{title}」を保存しました。",
    "builder.unchanged": "アンケート「{title}」を確認しました（変更はありません）。",
    "workbook.done": "アンケート「{key}」を Excel から{verb}しました。",
    "upload.no_file": "ファイルを選んでください。",
    "upload.created": "追加",
    "upload.updated": "更新",
    "upload.unchanged": "確認（変更なし）",
    "upload.done": "アンケート「{key}」を{verb}しました。",
    "period.close_after_now": "締切日時を、いまより後に設定してください。",
    "period.both": "開始と締切の日時を入力してください。",
    "period.order": "締切は開始より後にしてください。",
    "period.opened": "受付を開始しました。",
    "period.closed": "受付を締め切りました。",
    "period.changed": "受付期間を変更しました。",
}


def word(key: str, /, **values: object) -> str:
    """One sentence or label, filled with `values` (the threshold and marks are known)."""
    values = {"below": SUPPRESS_BELOW, "mark": "<5", "also": "※", **values}
    return WORDS[key].format(**values)
