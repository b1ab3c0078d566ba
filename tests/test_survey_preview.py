"""スマホ表示のプレビュー over HTTP: the embedded LINE JSON, both languages, roles, hostile text.

The page's JSON is read back out of the raw HTML and compared with what the chat really sends
a resident (through the fake LINE API), so the preview cannot drift from the chat.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from tests.survey_helpers import NOW, apply_survey, onboard
from tests.test_console import as_role

PREVIEW = """kind: survey
id: preview-2026
title: {ja: プレビューの町アンケート, en: Preview town survey}
opens_at: OPENS
closes_at: 2027-01-31T23:59:59+09:00
anonymous: true
eligibility: ELIGIBILITY
questions:
  - id: livability
    type: single
    text: {ja: まちは住みやすいと思いますか, en: "Is the town a good place to live?"}
    choices:
      - {value: good, label: {ja: 住みやすい, en: Good}}
      - {value: bad, label: {ja: 住みにくい, en: Not good}}
  - id: reasons
    type: multi
    text: {ja: 住みにくいと感じる理由は, en: "Why not?"}
    choices:
      - {value: shops, label: {ja: 買い物が不便, en: Shopping}}
      - value: far
        label:
          ja: 駅やバス停まで遠く、病院や役場へ行くのに時間がかかる
          en: Far from the station, the clinic and the town hall
    max_choices: 2
    show_if: {livability: [bad]}
  - id: happiness
    type: scale
    text: {ja: いま、どのくらい幸せですか, en: "How happy are you now?"}
    required: false
    min: 0
    max: 10
    labels: {0: {ja: とても不幸, en: Very unhappy}, 10: {ja: とても幸せ, en: Very happy}}
  - id: wishes
    type: text
    text: {ja: まちに望むことを自由にお書きください, en: "What do you wish for the town?"}
    max_length: 200
"""
UPCOMING = PREVIEW.replace("OPENS", "2027-01-01T00:00:00+09:00").replace(
    "ELIGIBILITY", "{min_age: 16, residency: [resident]}"
)
SCRIPT = "</script><script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
HOSTILE = (
    UPCOMING.replace("プレビューの町アンケート", f'"{SCRIPT}{IMG}"')
    .replace("Preview town survey", f'"{IMG}{SCRIPT}"')
    .replace("まちは住みやすいと思いますか", f'"{SCRIPT}{IMG}"')
    .replace("{ja: 住みにくい, en: Not good}", f"{{ja: '{IMG}', en: '{SCRIPT}'}}")
)
URL = "/admin/surveys/preview-2026/preview"
DATA = re.compile(r'<script id="sp-data" type="application/json">(.*?)</script>', re.S)


@pytest.fixture
def upcoming(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    result = apply_survey(runner, tmp_path, UPCOMING)
    assert result.exit_code == 0, result.output
    return "preview-2026"


def screens_of(page: str) -> list[list[dict]]:
    """The LINE messages embedded in the page, screen by screen."""
    found = DATA.findall(page)
    assert len(found) == 1
    return json.loads(found[0])


def quick(message: dict) -> list[str]:
    return [i["action"]["label"] for i in (message.get("quickReply") or {}).get("items", [])]


def flex_buttons(node) -> list[str]:
    if isinstance(node, dict):
        here = [node["action"]["label"]] if node.get("type") == "button" else []
        return here + [b for k, v in node.items() if k != "action" for b in flex_buttons(v)]
    if isinstance(node, list):
        return [b for v in node for b in flex_buttons(v)]
    return []


def test_every_question_type_in_both_languages(app, upcoming):
    viewer = as_role(app, "viewer")  # the lowest role may look
    response = viewer.get(URL)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    screens = screens_of(page)
    assert len(screens) == 7  # intro, age, residency, four questions
    intro, age, residency, single, multi, scale, text = (s[-1] for s in screens)
    assert intro["type"] == "text"
    assert "「プレビューの町アンケート」を始めます。全4問" in intro["text"]
    # nine age bands: a card of large buttons, not a row to swipe (issue 15)
    assert age["type"] == "flex" and "年代" in age["altText"]
    assert flex_buttons(age["contents"])[:2] == ["15歳以下", "16〜19歳"]
    assert quick(residency) == [
        "町内に住んでいる",
        "町内に通勤・通学",
        "町外に住んでいる",
        "もどる",
        "中断",
    ]
    assert single["text"].startswith("Q1/4\nまちは住みやすいと思いますか")
    assert quick(single) == ["住みやすい", "住みにくい", "もどる", "中断"]
    # a label too long for a quick reply: a Flex list with the full wording
    assert multi["type"] == "flex" and multi["altText"].startswith("Q2/4")
    assert flex_buttons(multi["contents"]) == [
        "買い物が不便",
        "駅やバス停まで遠く、病院や役場へ行くのに時間がかかる",
    ]
    assert quick(multi) == ["決定", "もどる", "中断"]
    # 11 numbers do not fit beside スキップ・もどる・中断: a Flex grid
    assert scale["type"] == "flex"
    assert flex_buttons(scale["contents"]) == [str(n) for n in range(11)]
    assert quick(scale) == ["スキップ", "もどる", "中断"]
    assert text["type"] == "text" and "200文字まで" in text["text"]
    assert quick(text) == ["もどる", "中断"]

    # the page around the frames: numbers, texts, the condition in words, the fallback
    assert "Q1. まちは住みやすいと思いますか" in page
    assert "Q4. まちに望むことを自由にお書きください" in page
    assert "表示条件:\n      Q1「まちは住みやすいと思いますか」が「住みにくい」のとき" in page
    noscript = page[page.index("<noscript>") :]
    assert "下のボタン: 住みやすい ／ 住みにくい ／ もどる ／ 中断" in noscript
    assert "ボタン: 0 ／ 1 ／ 2" in page
    assert 'lang="en"' in page and "English" in page  # the switch

    english = viewer.get(URL + "?lang=en").get_data(as_text=True)
    screens = screens_of(english)
    single, multi, scale = (screens[i][-1] for i in (3, 4, 5))
    assert single["text"].startswith("Q1/4\nIs the town a good place to live?")
    assert quick(single) == ["Good", "Not good", "Back", "Pause"]
    assert flex_buttons(multi["contents"])[0] == "Shopping"
    assert "0: Very unhappy" in scale["altText"]
    assert "Starting “Preview town survey”" in screens[0][0]["text"]
    assert "Is the town a good place to live?" in english  # in the <noscript> words
    assert "Q1. まちは住みやすいと思いますか" in english  # headings stay as staff wrote them


def test_the_preview_is_what_the_chat_sends(app, runner, tmp_path, state, resident):
    """Once open, a resident is sent exactly the preview's messages (bar the step numbers)."""
    state.clock.fixed = NOW
    opened = PREVIEW.replace("OPENS", "2026-11-01T00:00:00+09:00").replace(
        "eligibility: ELIGIBILITY\n", ""
    )
    assert apply_survey(runner, tmp_path, opened).exit_code == 0
    screens = screens_of(as_role(app, "viewer").get(URL).get_data(as_text=True))
    assert len(screens) == 5  # no eligibility: no age or residency screens

    def same(sent: list[dict], shown: list[dict]) -> None:
        strip = re.compile(r'"data": "[^"]*"')
        assert strip.sub("", json.dumps(sent, sort_keys=True)) == strip.sub(
            "", json.dumps(shown, sort_keys=True)
        )

    r = onboard(resident(1))
    r.say("アンケート")
    first = r.tap("プレビューの町アンケート")
    same(first, screens[0] + screens[1])  # the intro comes with Q1
    same(r.tap("住みにくい"), screens[2])
    r.tap("買い物が不便")
    same(r.tap("決定"), screens[3])
    same(r.tap("スキップ"), screens[4])


def test_hostile_text_stays_text(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, HOSTILE).exit_code == 0
    viewer = as_role(app, "viewer")
    for lang in ("ja", "en"):
        page = viewer.get(f"{URL}?lang={lang}").get_data(as_text=True)
        assert "<img" not in page and "onerror=alert(1)>" not in page
        assert page.count("<script") == 4  # console.js, line_render.js, survey_preview.js, data
        assert "alert(1)</script>" not in page
        assert html.escape(IMG, quote=False) in page  # shown as text in the heading
        screens = screens_of(page)
        title = f"{SCRIPT}{IMG}" if lang == "ja" else f"{IMG}{SCRIPT}"
        assert title in screens[0][0]["text"]  # the title, intact, in the JSON
        labels = flex_buttons(screens[3][-1]["contents"])  # too long for a quick reply
        assert labels[1] == (IMG if lang == "ja" else SCRIPT)


def test_refusals(app, upcoming, client):
    viewer = as_role(app, "viewer")
    assert viewer.get("/admin/surveys/no-such-survey/preview").status_code == 404
    assert viewer.get(URL + "?lang=fr").status_code == 400
    assert client.get(URL).status_code == 302  # signed out: to the sign-in page
    survey_page = viewer.get("/admin/surveys/preview-2026").get_data(as_text=True)
    assert f'href="{URL}">スマホ表示でプレビュー</a>' in survey_page
