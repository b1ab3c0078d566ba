"""Column titles and names in the sign-up and opinion exports (CSV / Excel), as staff read them.

Written by handlers/exports.py; the survey exports' words are messages/survey_staff.py.
"""

from __future__ import annotations

INTERNAL_SHEET = "内部ID"
LIST_SHEET = "一覧"
MODE_NAMES = {"onsite": "会場", "online": "オンライン"}
STATUS_NAMES = {"confirmed": "参加確定", "waitlisted": "キャンセル待ち", "cancelled": "取消"}
ATTENDED = "済"

ATTENDEE_SHEET = "申込者"
ATTENDEE_HEADER = (
    "受付番号",
    "参加方法",
    "状態",
    "キャンセル待ち順",
    "出席",
    "出席確認日時",
    "申込日時",
    "取消日時",
)
ATTENDEE_INTERNAL = ("申込番号", "LINEユーザーID")

OPINION_SHEET = "ご意見"
OPINION_HEADER = ("受付番号", "受付日時", "種類", "章・節", "内容", "対応状況", "分類", "職員メモ")
OPINION_INTERNAL = ("意見募集ID",)
KIND_NAMES = {"opinion": "ご意見", "comment": "パブリックコメント"}
OPINION_STATUS = {"open": "未対応", "in_progress": "対応中", "done": "対応済み"}

# the door sheet (handlers/attendee_sheet.py): one printed list per event, ticked at the door
DOOR_SHEET = "受付名簿"
DOOR_TITLE = "{title}\u3000受付名簿"
DOOR_HEADER = ("受付番号", "名前", "参加方法", "出席")
DOOR_NAME_NOTE = (
    "名前欄: LINE の表示名の掲載に同意した方だけ載せています（本人確認ではありません）。"
    "空欄の方は受付で記入してください。"
)
