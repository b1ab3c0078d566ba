"""Staff-facing wording of the console's publishing pages (results and event reports). JA, EN.

Shown by bot/console/publishing.py; why a publication is refused is `publish_error.*`
(messages/catalog/console_staff.py).
"""

JA = {
    "publishing_staff.bad_crosstab": "クロス集計の項目が正しくありません。",
    "publishing_staff.save": "保存しました。",
    "publishing_staff.publish": "公開しました。",
    "publishing_staff.unpublish": "公開をやめました。",
    "publishing_staff.announcing": "参加した方へのお知らせを始めました。",
}

EN = {
    "publishing_staff.bad_crosstab": "A cross-tab choice is not valid.",
    "publishing_staff.save": "Saved.",
    "publishing_staff.publish": "Published.",
    "publishing_staff.unpublish": "No longer published.",
    "publishing_staff.announcing": "The announcement to participants has started.",
}
