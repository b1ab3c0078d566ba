"""What the demo's pretend residents are like and what they answer (bot/demo_data.py loads them).

Weights for the profiles (LINE friends a little younger than the register), pretend LINE
display names, the wishes and opinions they type, and the answers they give to the demo
surveys, all drawn from the random generator the caller passes.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta

DISPLAY_NAMES = [  # pretend LINE display names (what a resident set in LINE, not a real name)
    "さとう ゆみ",
    "たかはし",
    "Kenji",
    "山本まさる",
    "ひろこ",
    "すずき家",
    "いとう なおき",
    "Aya",
    "わたなべ",
    "小林 ちはる",
    "まっちゃん",
    "かとう",
    "よしだ たろう",
    "Mika.Y",
    "やまだ花子",
    "佐々木",
    "まつもと",
    "はるか",
    "井上 ただし",
    "きむら",
    "Sho",
    "林 さちこ",
    "しみず",
    "やまぐち けん",
    "もり",
    "あべ ともこ",
    "池田",
    "はしもと",
    "Yuto",
    "石川 みどり",
]

AGE_WEIGHTS = {  # LINE friends: fewer children and very old people than the register
    "15歳以下": 2,
    "16〜19歳": 5,
    "20代": 11,
    "30代": 15,
    "40代": 17,
    "50代": 16,
    "60代": 16,
    "70代": 12,
    "80歳以上": 6,
}
DISTRICT_WEIGHTS = {"大谷": 36, "磐梯": 31, "更科": 20, "七ツ森": 13}
YOUNG = {"16〜19歳", "20代", "30代"}
OLD = {"60代", "70代", "80歳以上"}

WISHES = [
    "バスの本数を増やしてほしい。通院の帰りに1時間以上待つことがあります。",
    "冬の除雪を早い時間にお願いしたいです。",
    "子どもが雨の日にも遊べる屋内の場所がほしいです。",
    "若い人が働ける場所が町内にもっとあるとうれしい。",
    "買い物できるお店が近くにほしい。車がないと生活できません。",
    "町の手続きをスマホでできるようにしてほしい。",
    "移住してきた人と地元の人が話せる場があるといいと思います。",
    "空き家を活用して、若い世帯が住めるようにしてほしい。",
    "高齢者の見守りをもっと充実してほしい。",
    "温泉や自然をいかした観光にもっと力を入れてほしい。",
    "防災無線が聞こえにくい地区があります。",
    "診療所の夜間の対応があると安心です。",
    "地区の集会所が古くなっているので直してほしい。",
    "子育て世帯への支援をもっと知らせてほしい。LINEで届くと助かります。",
    "ワークショップに参加してみて、町の計画が身近になりました。",
]
OPINIONS = [
    "駅前の街灯が少なく、夜は暗くて危ないです。増やしていただけないでしょうか。",
    "子育て広場を土曜日も開けてほしいです。平日は仕事で行けません。",
    "デマンドバスの予約を LINE からできるようにしてほしい。",
    "冬の通学路の除雪が遅く、子どもが車道を歩いています。",
    "町の計画のアンケートに答えました。結果がどう使われるのか知りたいです。",
    "図書館の開館時間を夕方まで延ばしてほしい。",
    "空き家バンクの情報をもっと見やすくしてほしいです。",
    "ふるさと納税の使い道を、町民にもわかるように公表してほしい。",
    "地区の防災訓練に若い人が参加しやすい日程にしてほしい。",
    "公園のトイレが古く、子どもが使いたがりません。",
    "移住相談の窓口が土日も開いているとありがたいです。",
    "高齢の母が役場に行くのが大変です。出張窓口があると助かります。",
    "ワークショップをオンラインでも参加できたのがよかったです。次回も続けてください。",
    "町内で働ける場所を増やす取り組みを計画に入れてほしい。",
    "ゴミの分別の案内を英語でもお願いします。",
    "通院のためのタクシー券の対象を広げてほしい。",
    "観光客向けの案内板が古くなっています。",
    "小学校の跡地の使い道について、住民の意見を聞く場がほしいです。",
    "役場のホームページで手続きの書類が探しにくいです。",
    "雪下ろしの手伝いを頼める仕組みがあると安心です。",
    "地域のお祭りを続けられるよう、担い手づくりを応援してほしい。",
    "LINE でのお知らせは便利です。防災の情報も届けてほしい。",
]


def weighted(rng: random.Random, weights: Mapping[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = max((end - start).total_seconds(), 0)
    return start + timedelta(seconds=int(rng.random() * span))


# --- answers ---------------------------------------------------------------------------


def resident_answers(rng: random.Random, band: str) -> dict[str, list]:
    """Answers to 町民アンケート 2026, a little different by generation."""
    young = band in YOUNG
    livability = weighted(
        rng,
        {
            "住みやすい": 22 if young else 30,
            "どちらかといえば住みやすい": 36,
            "どちらかといえば住みにくい": 26 if young else 20,
            "住みにくい": 12 if young else 8,
        },
    )
    out: dict[str, list] = {"livability": [livability]}
    if livability in ("どちらかといえば住みにくい", "住みにくい"):
        reasons = {"shops": 5, "jobs": 6 if young else 2, "traffic": 6, "care": 2 if young else 5}
        reasons.update({"snow": 4, "leisure": 5 if young else 1, "other": 1})
        out["hard_reasons"] = some(rng, reasons, rng.randint(1, 3))
    stay = weighted(
        rng,
        {
            "ずっと住み続けたい": 25 if young else 55,
            "当分は住み続けたい": 35 if young else 30,
            "町外に移りたい": 22 if young else 5,
            "わからない": 18 if young else 10,
        },
    )
    out["stay"] = [stay]
    if stay == "町外に移りたい":
        leave = {"study_work": 6 if band in ("16〜19歳", "20代") else 1, "jobs": 5, "access": 4}
        leave.update({"family": 3, "housing": 2, "other": 1})
        out["leave_reasons"] = some(rng, leave, rng.randint(1, 3))
    out["happiness"] = [max(0, min(10, round(rng.gauss(6.4 if young else 6.9, 1.8))))]
    priorities = {
        "子育て支援": 8 if young else 3,
        "医療・福祉": 3 if young else 8,
        "公共交通": 5 if young else 7,
        "雇用・産業": 7 if young else 3,
        "観光・交流": 3,
        "防災": 2 if young else 4,
        "行政のデジタル化": 4 if young else 1,
        "移住・定住": 3,
    }
    out["priorities"] = some(rng, priorities, 3)
    out["attachment"] = [
        weighted(
            rng,
            {
                "感じる": 25 if young else 45,
                "どちらかといえば感じる": 40,
                "どちらかといえば感じない": 22 if young else 10,
                "感じない": 13 if young else 5,
            },
        )
    ]
    if rng.random() < 0.3:
        out["wishes"] = [rng.choice(WISHES)]
    return out


def some(rng: random.Random, weights: Mapping[str, float], k: int) -> list[str]:
    """k different values, drawn by weight, in the question's order."""
    pool = dict(weights)
    chosen = []
    for _ in range(min(k, len(pool))):
        pick = weighted(rng, pool)
        chosen.append(pick)
        pool.pop(pick)
    return [v for v in weights if v in chosen]


def wellbeing_answers(rng: random.Random, survey, band: str) -> dict[str, list]:
    """Answers to 町民の幸せにかかるアンケート: every question, choices drawn evenly-ish."""
    out: dict[str, list] = {}
    for q in survey.questions:
        if q.get("show_if"):
            continue
        if q["type"] == "scale":
            centre = (q["min"] + q["max"]) * 0.66
            value = round(rng.gauss(centre, (q["max"] - q["min"]) / 6))
            out[q["id"]] = [max(q["min"], min(q["max"], value))]
        elif q["type"] == "single":
            values = [c["value"] for c in q["choices"]]
            weights = {v: len(values) - i + 1 for i, v in enumerate(values)}
            out[q["id"]] = [weighted(rng, weights)]
        elif q["type"] == "multi":
            each = {c["value"]: 1 for c in q["choices"]}
            out[q["id"]] = some(rng, each, min(q.get("max_choices") or 3, 3))
    return out
