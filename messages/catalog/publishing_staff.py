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
    # handlers/publishing_notice.py, publishing_records.py: PublishError.of(code, **values)
    "publish_error.nobody.results": (
        "まだお知らせできる相手がいません（このアンケートに回答した人のうち、お知らせを止めて"
        "いない人は0人です）。何も送っていないので、回答が届いたあとでお知らせできます。"
    ),
    "publish_error.nobody.report": (
        "まだお知らせできる相手がいません（このイベントで受付（チェックイン）済みの人のうち、"
        "お知らせを止めていない人は0人です）。何も送っていないので、受付の記録を入れたあとで"
        "お知らせできます。"
    ),
    "publish_error.report_too_early": (
        "このイベントはまだ始まっていません（開始: {starts}）。報告は保存できますが、"
        "公開できるのは始まってからです。"
    ),
}

EN = {
    "publishing_staff.bad_crosstab": "A cross-tab choice is not valid.",
    "publishing_staff.save": "Saved.",
    "publishing_staff.publish": "Published.",
    "publishing_staff.unpublish": "No longer published.",
    "publishing_staff.announcing": "The announcement to participants has started.",
    "publish_error.nobody.results": (
        "There is no one to tell yet: no one who answered this survey can receive "
        "announcements. Nothing was sent; you can announce it once answers come in."
    ),
    "publish_error.nobody.report": (
        "There is no one to tell yet: no one checked in at this event can receive "
        "announcements. Nothing was sent; you can announce it once check-ins are recorded."
    ),
    "publish_error.report_too_early": (
        "This event has not started yet (it starts {starts}). The report can be saved, "
        "and published once the event has started."
    ),
}
