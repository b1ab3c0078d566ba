"""The weekly digest as words: every sentence of it, the e-mail, HTML and the short LINE push.

Staff-facing and Japanese: `say(key, **values)` is the digest's wording (`JA`), used by the
sections in handlers/digest_sections.py and handlers/digest_surveys.py. The rest are pure
functions of a `handlers.digest.Digest`; the HTML comes from a Jinja2 template with
autoescaping, and charts are referenced by Content-ID.
"""

from __future__ import annotations

import base64
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from messages.catalog import t
from messages.common import text
from messages.text import listed as text_listed

# the digest's sentences, by key (staff read them in Japanese; no English digest yet)
JA = {
    "subject": "【{town}】週次ダイジェスト {period}",
    "made": "作成: {when}",
    "made_at": "{year}年{month}月{day}日 {time}",
    "charts_in_html": "（グラフはHTML版のメールをご覧ください）",
    "footer": "このメールは「まちの声」から自動で送信しています。",
    "line_more": "詳しくはメールの週次ダイジェストをご覧ください。",
    "schedule": "毎週{weekday}曜 {hour:02d}:{minute:02d}",
    "period": "{sm}/{sd}〜{em}/{ed}",
    "section_failed": "この項目は集計中にエラーが起きたため省略しました。",
    "day_name": "{weekday}曜日",  # the settings page's choice of day
    "settings_saved": "ダイジェストの設定を保存しました。",
    "bullet": "・{text}",
    # friends
    "friends.title": "友だち",
    "friends.total": "友だち数: {total}人（今週 +{gained}人、ブロック {blocks}人）",
    "friends.active": "今週やりとりのあった方: {active}人",
    "friends.profiles": "プロフィール登録済み: {profiles}人",
    "friends.short": "友だち {total}人（+{gained} / ブロック {blocks}）",
    # representativeness
    "coverage.title": "友だちの構成（代表性）",
    "coverage.friends": "人口に対する友だちの割合",
    "coverage.no_population": (
        "人口データ（kind: population）が未登録のため、代表性は計算できません。"
    ),
    "coverage.axis.age": "年代",
    "coverage.axis.district": "地区",
    "coverage.by.age": "年代別",
    "coverage.by.district": "地区別",
    "coverage.headers": "区分,グループ,人口,人数,率",
    "coverage.overall": "全体: {count}人 / 人口 {population}人（{rate}）",
    "coverage.group_rate": "{group}（{rate}）",
    "coverage.low": "参加が少ないグループ: {names}",
    "coverage.low_hint": "→ これらのグループに向けたお知らせやリマインドをご検討ください。",
    "coverage.none_low": "参加が特に少ないグループはありません。",
    "coverage.unknown": "年代・地区が未登録の方: {n}人（上の率には含みません）",
    "coverage.source": "人口: {source}（{as_of}）",
    "coverage.default_source": "住民基本台帳",
    "coverage.chart": "{title}（{label}）",
    "coverage.hidden": "{group}（非表示）",
    "coverage.short": "参加が少ない: {names}",
    # opinions
    "opinions.title": "ご意見",
    "opinions.week": "ご意見: 今週 {week}件（累計 {total}件）",
    "opinions.comments": "パブリックコメント: 今週 {week}件（累計 {total}件）",
    "opinions.open": "未対応のご意見 {n}件",
    "opinions.short": "ご意見 今週{week}件・未対応{open}件",
    # message quota
    "quota.title": "メッセージ通数",
    "quota.missing": "LINEから今月の通数を取得できませんでした。",
    "quota.unlimited": "今月の送信数: {used}通（上限なし）",
    "quota.used": "今月の送信数: {used}通 / 上限 {limit}通（{rate}）",
    "quota.short": "送信 {used}通",
    # surveys
    "surveys.title": "アンケート",
    "surveys.none": "この週に受付中のアンケートはありません。",
    "surveys.open": "受付中のアンケート: {n}件",
    "surveys.survey": "アンケート「{title}」",
    "surveys.coverage": "「{title}」の回答率",
    "surveys.week": "今週の回答: {finished}件（回答開始 {started}件）",
    "surveys.total": "累計の回答: {total}件",
    "surveys.completion": "　完了率: {rate}%（開始した人のうち最後まで回答）",
    "surveys.channels": "回答方法別: {channels}",
    "surveys.channel": "{name} 今週{week}件（累計{total}件）",
    "surveys.results": "主な結果:",
    "surveys.mean": "{question}: 平均 {mean}（中央値 {median}）",
    "surveys.top": "{question}: 「{label}」{share}%",
    "surveys.differences": "年代・地区による違いが大きいもの:",
    "surveys.difference": (
        "{group}: 「{label}」{share}%（全体 {everyone}%、{gap}ポイント）— {question}"
    ),
    "surveys.words": "よく使われた言葉（{question}）: {words}",
    "surveys.word": "{word}({count})",
    "surveys.answered": "回答 {n}件",
    "surveys.short": "{title} 今週{week}件（累計{total}）",
    # events
    "events.title": "ワークショップ・説明会",
    "events.none": "今後の予定はありません。",
    "events.week_none": "今週の申込 {signups}件、キャンセル {cancelled}件",
    "events.week": "今週の申込: {signups}件　キャンセル: {cancelled}件",
    "events.soon": "{days}日以内の開催: {n}件",
    "events.soon_item": "・{title}（{at}）",
    "events.item_signups": " 今週の申込 {n}件",
    "events.item_cancelled": " キャンセル {n}件",
    "events.waitlist": "キャンセル待ち: 合計 {n}人",
    "events.table": "申込状況",
    "events.headers": "日時,名称,参加方法,申込 / 定員,キャンセル待ち",
    "events.mode.onsite": "会場",
    "events.mode.online": "オンライン",
    "events.short": "申込 今週{signups}件（{days}日以内の開催 {soon}件）",
    # announcements
    "announcements.title": "お知らせ配信",
    "announcements.sent": "配信したお知らせ: {sent}件（届けた人数 のべ {delivered}人）",
    "announcements.short": "お知らせ {n}件",
}


def say(key: str, **values) -> str:
    """One of the digest's sentences, with values filled in."""
    return JA[key].format(**values) if values else JA[key]


def listed(items) -> str:
    """Names or figures in one line: 20代、七ツ森."""
    return text_listed(items, "ja")


def headers(key: str) -> list[str]:
    """A table's column headings."""
    return JA[key].split(",")


LINE_MAX = 2000

TEMPLATES = Path(__file__).resolve().parent / "templates" / "digest"
_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def subject(digest) -> str:
    """e.g. 【みらい野町】週次ダイジェスト 11/24〜11/30."""
    return say("subject", town=digest.town, period=digest.period.label)


def _when(digest, tz) -> str:
    at = digest.generated_at.astimezone(tz)
    return say("made_at", year=at.year, month=at.month, day=at.day, time=f"{at:%H:%M}")


def plain(digest, tz) -> str:
    """The digest as plain text (the e-mail's text part, and `digest send --dry-run`)."""
    out = [subject(digest), say("made", when=_when(digest, tz)), ""]
    for sec in digest.sections:
        out.append(f"■ {sec.title}")
        if sec.missing:
            out.append(f"  {sec.missing}")
        out.extend(f"  {line}" for line in sec.lines)
        for table in sec.tables:
            out.append(f"  [{table.title}]")
            out.append("  " + " | ".join(table.headers))
            out.extend("  " + " | ".join(row) for row in table.rows)
        if sec.charts:
            out.append("  " + say("charts_in_html"))
        out.append("")
    out.append(say("footer"))
    return "\n".join(out)


def html(digest, tz, *, embed: bool = False) -> str:
    """The digest as an HTML page; charts are <img src="cid:…"> (data: URIs when embed)."""
    src = {
        c.cid: ("data:image/png;base64," + base64.b64encode(c.png).decode())
        if embed
        else f"cid:{c.cid}"
        for c in digest.charts
    }
    return _env.get_template("digest.html").render(
        subject=subject(digest), digest=digest, when=_when(digest, tz), src=src
    )


def line_text(digest) -> str:
    """A short summary for staff who linked their LINE account."""
    out = [f"{subject(digest)}", ""]
    out.extend(say("bullet", text=sec.short) for sec in digest.sections if sec.short)
    out.append("")
    out.append(say("line_more"))
    body = "\n".join(out)
    return body if len(body) <= LINE_MAX else body[: LINE_MAX - 1] + "…"


def line_messages(digest) -> list:
    """The LINE push: one text message."""
    return [text(line_text(digest))]


# --- linking a staff member's LINE account (typed one-time code) ------------------------


def staff_text(lang: str, key: str, **values) -> str:
    """Wording for the staff link replies, from the catalog (messages/catalog/digest.py)."""
    return t(lang, f"digest.{key}", **values)
