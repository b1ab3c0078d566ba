"""Common phrasings of the menu entries: 「アンケートに答えたい」, "survey", "join a workshop".

A short message asks for a menu entry when it holds one of the entry's words and nothing
around it but particles, wishes and politeness. Anything more (「ワークショップの日程が平日
ばかりで困る」) is not a request for the entry: those are words to keep (handlers/chat.py
offers to send them as an opinion). Pure functions; nothing typed is logged or stored here.
"""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 40  # longer messages are never taken for a menu request

TERMS: dict[str, tuple[str, ...]] = {
    "menu.survey": ("アンケート", "調査", "survey", "surveys", "questionnaire"),
    "menu.events": (
        "ワークショップ",
        "説明会",
        "イベント",
        "講座",
        "workshop",
        "workshops",
        "event",
        "events",
        "meeting",
        "meetings",
    ),
    "menu.notify": (
        "お知らせ設定",
        "通知設定",
        "お知らせ",
        "通知",
        "notifications",
        "notification",
    ),
    "menu.progress": ("計画の進捗", "進捗", "計画", "plan progress", "progress", "plan"),
    "menu.opinion": ("ご意見", "意見", "要望", "opinion", "opinions", "feedback"),
    "menu.profile": ("プロフィール", "登録内容", "profile"),
    "menu.mydata": ("私のデータ", "わたしのデータ", "個人情報", "データ", "my data", "data"),
    "menu.help": ("ヘルプ", "使い方", "つかいかた", "help"),
    "menu.menu": (
        "メニュー",
        "menu",
        "ありがとうございます",
        "ありがとう",
        "こんにちは",
        "こんばんは",
        "おはようございます",
        "おはよう",
        "thank you",
        "thanks",
        "hello",
        "hi",
    ),
}

# Longest first, so 「答えたい」 goes before 「たい」.
JA_FILLER = sorted(
    [
        "!",
        ",",
        ".",
        "?",
        "…",
        "、",
        "。",
        "〜",
        "あります",
        "ありますか",
        "ある",
        "いたします",
        "いま",
        "おしえて",
        "おねがい",
        "おねがいします",
        "お願い",
        "お願いします",
        "か",
        "が",
        "ください",
        "こたえたい",
        "したい",
        "します",
        "する",
        "たい",
        "たいです",
        "って",
        "で",
        "できますか",
        "できる",
        "です",
        "ですか",
        "と",
        "どうやって",
        "どこ",
        "な",
        "に",
        "ね",
        "の",
        "は",
        "へ",
        "ます",
        "みたい",
        "も",
        "もうしこみたい",
        "やりたい",
        "やります",
        "やり方",
        "やる",
        "よ",
        "を",
        "・",
        "下さい",
        "予約",
        "予約したい",
        "今",
        "伝えたい",
        "停止",
        "出したい",
        "削除",
        "削除したい",
        "協力",
        "協力したい",
        "参加",
        "参加したい",
        "参加します",
        "参加する",
        "受けたい",
        "回答",
        "回答したい",
        "回答します",
        "回答する",
        "変えたい",
        "変更",
        "変更したい",
        "教えて",
        "方法",
        "書きたい",
        "止めたい",
        "止める",
        "消したい",
        "申し込み",
        "申し込みたい",
        "申し込みます",
        "申し込む",
        "申込",
        "申込み",
        "申込みたい",
        "登録",
        "登録したい",
        "知りたい",
        "確認",
        "確認したい",
        "答え",
        "答えたい",
        "答えます",
        "答える",
        "表示",
        "見せて",
        "見たい",
        "見ます",
        "見る",
        "言いたい",
        "設定",
        "設定したい",
        "送りたい",
        "送ります",
        "送る",
        "開いて",
        "！",
        "？",
        "～",
    ],
    key=len,
    reverse=True,
)
EN_FILLER = frozenset(
    [
        "a",
        "about",
        "an",
        "answer",
        "any",
        "are",
        "book",
        "can",
        "change",
        "check",
        "could",
        "current",
        "do",
        "fill",
        "for",
        "give",
        "go",
        "how",
        "i",
        "i'd",
        "i'm",
        "id",
        "in",
        "is",
        "join",
        "latest",
        "let",
        "let's",
        "lets",
        "like",
        "me",
        "my",
        "need",
        "new",
        "of",
        "on",
        "open",
        "out",
        "please",
        "register",
        "see",
        "send",
        "set",
        "settings",
        "show",
        "sign",
        "some",
        "start",
        "take",
        "tell",
        "the",
        "there",
        "this",
        "to",
        "up",
        "use",
        "wanna",
        "want",
        "what",
        "where",
        "would",
        "write",
        "you",
        "your",
    ]
)


def normalise(text: str) -> str:
    """NFKC, trimmed, lower case (as handlers/chat.py compares keywords)."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def menu_entry(text: str) -> str | None:
    """The menu entry (its catalog key, `menu.survey`) a short typed request asks for, or None."""
    norm = normalise(text)
    if not norm or len(norm) > MAX_LENGTH:
        return None
    found = None
    for key, terms in TERMS.items():
        term = next((w for w in terms if w in norm and only_filler(norm.replace(w, " ", 1))), None)
        if term is None:
            continue
        if found is not None:
            return None  # two entries asked for at once: neither
        found = key
    return found


def only_filler(rest: str) -> bool:
    """True when what is left holds nothing but filler words, particles and punctuation."""
    words = [w for w in re.split(r"(\W+)", rest) if w.strip() and w not in EN_FILLER]
    left = "".join(words)
    for filler in JA_FILLER:
        left = left.replace(filler, "")
    return not left.strip()
