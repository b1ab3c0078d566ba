"""Wording for published results and reports: the public pages, chat cards, the notice."""

JA: dict[str, str] = {
    "pub.site": "{town} 計画づくりの結果・報告",
    "pub.page_title": "{title}｜{town}",
    "pub.lang_switch": "English",
    "pub.lang_switch_label": "Read this page in English",
    "pub.skip": "本文へ移動",
    "pub.index_heading": "アンケート結果とワークショップの報告",
    "pub.index_intro": (
        "総合計画づくりの過程は、原則としてすべて公開しています。"
        "アンケートの結果と、ワークショップ・説明会の報告です（新しい順）。"
    ),
    "pub.index_none": "公開している結果・報告はまだありません。",
    "pub.kind.results": "アンケート結果",
    "pub.kind.report": "報告",
    "pub.published_on": "公開日: {day}",
    "pub.timeline_heading": "計画づくりの流れ",
    "pub.back": "結果・報告の一覧へ",
    "pub.period": "回答期間: {opens}〜{closes}",
    "pub.responses": "回答数: {n}件",
    "pub.responses_few": "回答数: 5人未満",
    "pub.answered_few": "この質問への回答: 5人未満",
    "pub.by_channel": "回答方法ごとの回答数",
    "pub.channel": "回答方法",
    "pub.count": "件数",
    "pub.share": "割合",
    "pub.channel.line": "LINE",
    "pub.channel.web": "ウェブ",
    "pub.channel.paper": "紙",
    "pub.rule": (
        "個人が特定されないよう、5人未満の集まりの数は表示していません（「5人未満」と表示）。"
        "自由記述の回答は、担当者が選んだ抜粋だけを掲載しています。"
    ),
    "pub.small": "5人未満",
    "pub.question": "問{n}. {text}",
    "pub.answered": "この質問への回答: {n}人",
    "pub.chart_point": "{point}（{label}）",  # a scale point and its label, on a chart
    "pub.multi_note": (
        "複数選択の質問です。選択肢ごとに、選んだ人の数と割合（回答者に対する割合）を示しています。"
    ),
    "pub.choice": "選択肢",
    "pub.chart_alt": "{text}の回答の割合のグラフ。数値は下の表のとおりです。",
    "pub.chart_caption": "グラフの数値",
    "pub.mean": "平均: {value}",
    "pub.median": "中央値: {value}",
    "pub.stats_hidden": "回答が5人未満のため、平均と中央値は表示していません。",
    "pub.text_none": "この質問（自由記述）の回答は掲載していません。",
    "pub.excerpts": "寄せられた声（抜粋）",
    "pub.crosstab": "{dim}別",
    "pub.crosstab_caption": "問{n}「{text}」の{dim}別の結果（件数と割合）",
    "pub.group": "区分",
    "pub.group_total": "回答者",
    "pub.group_none": "（未回答）",
    "pub.dim.age_band": "年代",
    "pub.dim.district": "地区",
    "pub.dim.residency": "かかわり",
    "pub.dim.channel": "回答方法",
    "pub.residency.resident": "町内在住",
    "pub.residency.commuter": "町内に通勤・通学",
    "pub.residency.outside": "町外在住",
    "pub.report_when": "日時: {when}",
    "pub.report_venue": "会場: {venue}",
    "pub.attendance": "参加者数",
    "pub.attendance_total": "合計",
    "pub.mode.onsite": "会場",
    "pub.mode.online": "オンライン",
    "pub.attendance_note": "参加者数は当日の受付（チェックイン）の記録から数えています。",
    "pub.image_alt": "{title}の写真 {n}",
    "pub.not_found_heading": "ページが見つかりません",
    "pub.not_found": "このページは公開されていないか、公開を終了しました。",
    "pub.contact": "お問い合わせ: {contact}",
    "pub.static_note": "このページは{day}時点の内容です。",
    # chat: 計画の進捗 → 結果・報告
    "label.pub.results": "結果・報告",
    "pub.chat_intro": "公開しているアンケート結果と報告です（新しい順、{n}件）。",
    "pub.chat_none": "公開しているアンケート結果・報告はまだありません。公開したらお知らせします。",
    "pub.chat_more": "ほかに{n}件あります。一覧: {url}",
    "label.pub.open": "ページを見る",
    # the notice to those who took part
    "pub.notice_results": (
        "「{title}」の結果を公開しました。ご回答いただき、ありがとうございました。\n"
        "回答数: {n}件\n{url}"
    ),
    "pub.notice_results_few": (
        "「{title}」の結果を公開しました。ご回答いただき、ありがとうございました。\n"
        "回答数: 5件未満\n{url}"
    ),
    "pub.notice_report": (
        "「{title}」の報告を公開しました。ご参加いただき、ありがとうございました。\n"
        "{summary}\n{url}"
    ),
    # the announcement's button (handlers/publishing_notice.py names them "@pub.see_…")
    "label.pub.see_results": "結果を見る",
    "label.pub.see_report": "報告を見る",
    # the public results page while the survey is open, and when it was counted
    "pub.as_of": "集計時点: {at}（日本時間）",
    "pub.still_open": (
        "回答を受け付けている途中の結果です（締切: {closes}）。数は集計時点のもので、"
        "町が結果を更新するまで変わりません。"
    ),
}

EN: dict[str, str] = {
    "pub.site": "{town}: results and reports of plan-making",
    "pub.page_title": "{title} | {town}",
    "pub.lang_switch": "日本語",
    "pub.lang_switch_label": "このページを日本語で読む",
    "pub.skip": "Skip to the content",
    "pub.index_heading": "Survey results and workshop reports",
    "pub.index_intro": (
        "The making of the comprehensive plan is public as a rule. Here are the survey "
        "results and the reports of workshops and meetings (newest first)."
    ),
    "pub.index_none": "No results or reports have been published yet.",
    "pub.kind.results": "Survey results",
    "pub.kind.report": "Report",
    "pub.published_on": "Published: {day}",
    "pub.timeline_heading": "How the plan is made",
    "pub.back": "All results and reports",
    "pub.period": "Answered from {opens} to {closes}",
    "pub.responses": "Answers: {n}",
    "pub.responses_few": "Answers: fewer than 5",
    "pub.answered_few": "Answered by fewer than 5",
    "pub.by_channel": "Answers by channel",
    "pub.channel": "Channel",
    "pub.count": "Number",
    "pub.share": "Share",
    "pub.channel.line": "LINE",
    "pub.channel.web": "Web",
    "pub.channel.paper": "Paper",
    "pub.rule": (
        "So that no one can be singled out, groups of fewer than 5 people are not shown "
        "(shown as “fewer than 5”). Free-text answers appear only as excerpts chosen by staff."
    ),
    "pub.small": "fewer than 5",
    "pub.question": "Q{n}. {text}",
    "pub.answered": "Answered by {n}",
    "pub.chart_point": "{point} ({label})",
    "pub.multi_note": "Several answers could be chosen: each option shows how many chose it "
    "and their share of those who answered.",
    "pub.choice": "Option",
    "pub.chart_alt": (
        "Chart of the shares of answers to: {text}. The numbers are in the table below."
    ),
    "pub.chart_caption": "The chart's numbers",
    "pub.mean": "Mean: {value}",
    "pub.median": "Median: {value}",
    "pub.stats_hidden": "Fewer than 5 answers: mean and median are not shown.",
    "pub.text_none": "Answers to this free-text question are not published.",
    "pub.excerpts": "What residents wrote (excerpts)",
    "pub.crosstab": "By {dim}",
    "pub.crosstab_caption": "Q{n} “{text}” by {dim} (number and share)",
    "pub.group": "Group",
    "pub.group_total": "Answered",
    "pub.group_none": "(not given)",
    "pub.dim.age_band": "age",
    "pub.dim.district": "district",
    "pub.dim.residency": "connection to the town",
    "pub.dim.channel": "channel",
    "pub.residency.resident": "Lives in the town",
    "pub.residency.commuter": "Works or studies in the town",
    "pub.residency.outside": "Lives elsewhere",
    "pub.report_when": "When: {when}",
    "pub.report_venue": "Venue: {venue}",
    "pub.attendance": "Participants",
    "pub.attendance_total": "Total",
    "pub.mode.onsite": "On site",
    "pub.mode.online": "Online",
    "pub.attendance_note": "Participants are counted from the check-in on the day.",
    "pub.image_alt": "Photo {n} of {title}",
    "pub.not_found_heading": "Page not found",
    "pub.not_found": "This page is not published, or is no longer published.",
    "pub.contact": "Contact: {contact}",
    "pub.static_note": "This page shows the results as of {day}.",
    "label.pub.results": "Results & reports",
    "pub.chat_intro": "Published survey results and reports (newest first, {n}).",
    "pub.chat_none": "No survey results or reports have been published yet. "
    "We will let you know when they are.",
    "pub.chat_more": "{n} more. All of them: {url}",
    "label.pub.open": "Open the page",
    "pub.notice_results": (
        "The results of “{title}” are now public. Thank you for answering.\nAnswers: {n}\n{url}"
    ),
    "pub.notice_results_few": (
        "The results of “{title}” are now public. Thank you for answering.\n"
        "Answers: fewer than 5\n{url}"
    ),
    "pub.notice_report": (
        "The report of “{title}” is now public. Thank you for taking part.\n{summary}\n{url}"
    ),
    "label.pub.see_results": "See the results",
    "label.pub.see_report": "See the report",
    "pub.as_of": "Counted as of {at} (Japan time)",
    "pub.still_open": (
        "The survey is still open (until {closes}): these are the numbers as counted at the"
        " time shown, until the town updates them."
    ),
}
