"""Wording for 意見 (opinions, public comment), 計画の進捗 and 私のデータ."""

from messages.plural import Plural

JA: dict[str, str] = {
    "opinion.ask_kind": (
        "ただいま「{title}」へのパブリックコメントを受け付けています。\n{url}\n"
        "どちらのご意見ですか？"
    ),
    "opinion.label.comment": "素案への意見",
    "opinion.label.general": "その他の意見",
    "opinion.ask_section": "どの章へのご意見ですか？",
    "opinion.ask_write": "ご意見をお書きください（{max}文字まで）。",
    "opinion.type_please": "文字でご入力ください。",
    "opinion.too_long": (
        "{max}文字以内でお願いします（いま{n}文字です）。短くしてもう一度お送りください。"
    ),
    "opinion.confirm": "この内容で送信しますか？\n\n{text}",
    "opinion.label.send": "送信する",
    "opinion.label.rewrite": "書き直す",
    "opinion.label.discard": "送らない",
    "opinion.added": "書き足しました。",
    "opinion.too_long_added": (
        "書き足すと{n}文字になり、{max}文字を超えるため、書き足していません。"
    ),
    "opinion.thanks": (
        "ご意見ありがとうございました。受付番号: {receipt}\n計画づくりの参考にさせていただきます。"
    ),
    "opinion.thanks_comment": (
        "パブリックコメントを受け付けました。受付番号: {receipt}\n"
        "いただいたご意見と町の考え方は、後日まとめて公表します。"
    ),
    "opinion.reply": (
        "ご意見（受付番号 {receipt}）へのお返事です。\n\n{body}\n\n"
        "さらにご意見があるときは、メニューの「意見」からお送りください。\n{contact}"
    ),
    "flow.name.opinion": "ご意見の入力",
    "plan.title": "計画の進捗",
    "plan.intro": "総合計画の目標と、いまの数字です（{n}件）。",
    "plan.intro_short": "計画の進捗は、ホームページでもご覧いただけます。",
    "plan.none": "計画の目標はまだ登録されていません。",
    "plan.baseline": "当初値",
    "plan.current": "現在値",
    "plan.target": "目標値",
    "plan.year": "{year}年",
    "plan.progress": "目標までの進み具合: {pct}%",
    "plan.more": "ほかに{n}件の目標があります。",
    "plan.unit.yen": "円",
    "plan.scale.million": "百万",
    "plan.scale.billion": "十億",
    "plan.scale.trillion": "兆",
    "mydata.header": "保存している内容",
    "mydata.language": "言語: {value}",
    "mydata.consent.agreed": "個人情報の取り扱い: 同意済み",
    "mydata.consent.declined": "個人情報の取り扱い: 同意なし（プロフィールは保存していません）",
    "mydata.consent.pending": "個人情報の取り扱い: 未回答",
    "mydata.opinions": "お寄せいただいたご意見: {n}件",
    "mydata.footer": "匿名のアンケート回答は、あなたと結びつけて保存していません。",
    "mydata.label.delete": "削除する",
    "mydata.confirm": (
        "匿名のアンケートの回答は、だれのものか分からない形で集計に残ります。\n本当に削除しますか？"
    ),
    "mydata.label.confirm": "削除する（確定）",
    "mydata.label.keep": "やめる",
    "mydata.deleted": "削除しました。ご利用ありがとうございました。",
    "mydata.kept": "削除をやめました。",
    "flow.name.mydata": "私のデータ",
}

EN: dict[str, str] = {
    "opinion.ask_kind": (
        "Public comment on “{title}” is open now.\n{url}\nWhat is your opinion about?"
    ),
    "opinion.label.comment": "On the draft",
    "opinion.label.general": "Something else",
    "opinion.ask_section": "Which chapter is it about?",
    "opinion.ask_write": "Please write your opinion (up to {max} characters).",
    "opinion.type_please": "Please type your opinion as text.",
    "opinion.too_long": (
        "Please keep it within {max} characters (now {n}). Shorten it and send again."
    ),
    "opinion.confirm": "Send this?\n\n{text}",
    "opinion.label.send": "Send",
    "opinion.label.rewrite": "Rewrite",
    "opinion.label.discard": "Don't send",
    "opinion.added": "Added to your message.",
    "opinion.too_long_added": (
        "Adding that would make {n} characters, over the limit of {max}, so it was not added."
    ),
    "opinion.thanks": "Thank you for your opinion. Receipt number: {receipt}",
    "opinion.reply": (
        "A reply to your opinion (receipt no. {receipt}):\n\n{body}\n\n"
        "To send another opinion, tap Opinion in the menu.\n{contact}"
    ),
    "opinion.thanks_comment": (
        "Your public comment was received. Receipt number: {receipt}\n"
        "The comments and the town's response will be published later."
    ),
    "flow.name.opinion": "opinion",
    "plan.title": "Plan progress",
    "plan.intro": "The plan's targets and current figures ({n}).",
    "plan.intro_short": "Plan progress is also on the town's website.",
    "plan.none": "No plan targets have been published yet.",
    "plan.baseline": "Baseline",
    "plan.current": "Current",
    "plan.target": "Target",
    "plan.year": "{year}",
    "plan.progress": "Progress towards the target: {pct}%",
    "plan.more": Plural("There are {n} more targets.", one="There is {n} more target."),
    "plan.unit.yen": "yen",
    "plan.scale.million": "million",
    "plan.scale.billion": "billion",
    "plan.scale.trillion": "trillion",
    "mydata.header": "What we store about you",
    "mydata.language": "Language: {value}",
    "mydata.consent.agreed": "Privacy notice: agreed",
    "mydata.consent.declined": "Privacy notice: not agreed (no profile stored)",
    "mydata.consent.pending": "Privacy notice: not answered",
    "mydata.opinions": "Opinions you sent: {n}",
    "mydata.footer": "Anonymous survey answers are not stored with your identity.",
    "mydata.label.delete": "Delete",
    "mydata.confirm": (
        "Anonymous survey answers stay in the totals, linked to no one.\nDelete now?"
    ),
    "mydata.label.confirm": "Delete for good",
    "mydata.label.keep": "Keep",
    "mydata.deleted": "Deleted. Thank you for using Machikoe.",
    "mydata.kept": "Nothing was deleted.",
    "flow.name.mydata": "my data",
}
