"""Issue 15, items 3–6: typed words kept as opinions, menu phrasings understood, the finishing
button first and long lists as cards, question numbers without jumps, compact multi-choice.

Scripted dialogues through the signed webhook, against the validating fake LINE API.
"""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from db.models import Conversation
from db.opinions import Opinion
from tests import line
from tests.survey_helpers import NOW, apply_survey, onboard

COMPLAINT = "家の前の道路の除雪が遅いので困っています"


@pytest.fixture
def survey(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    result = apply_survey(runner, tmp_path)
    assert result.exit_code == 0, result.output
    return "test-2026"


def quick_labels(message: dict) -> list[str]:
    """The quick-reply labels of a message, in order."""
    return [i["action"]["label"] for i in (message.get("quickReply") or {}).get("items", [])]


def opinions(app) -> list[Opinion]:
    with app.extensions["machikoe"].sessions() as s:
        return list(s.scalars(select(Opinion).order_by(Opinion.id)))


def conversation(app, flow: str) -> Conversation | None:
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(select(Conversation).where(Conversation.flow == flow))


# --- item 3: typed words are never thrown away ------------------------------------------------


def test_typed_words_become_an_opinion_with_one_tap(app, resident, caplog):
    caplog.set_level(logging.DEBUG)
    r = onboard(resident(1))
    got = r.say(COMPLAINT)
    text = r.texts(got)
    assert "うまく受け取れませんでした" not in text
    assert "「意見」としてお送りできます" in text and COMPLAINT in text
    assert quick_labels(got[-1])[:2] == ["送信する", "送らない"]  # sending comes first
    assert {"アンケート", "ワークショップ", "ヘルプ"} <= set(r.buttons(got))  # and the menu
    for action in line.actions(got[-1]):  # the words wait in the conversation, not in a button
        assert COMPLAINT not in action.get("data", "") and len(action.get("data", "")) <= 300

    got = r.tap("送信する")
    assert "ご意見ありがとうございました。受付番号: OP-" in r.texts(got)
    [opinion] = opinions(app)
    assert opinion.body == COMPLAINT and opinion.receipt_no in r.texts(got)
    assert conversation(app, "opinion").data == {}  # the words live only in the opinion now
    assert "message processed" in caplog.text  # the app's own log lines are captured …
    assert COMPLAINT not in caplog.text  # … and never hold the words, not even at DEBUG


def test_a_long_message_is_kept_whole_and_more_words_are_added(app, resident):
    r = onboard(resident(2))
    long_text = "バスの本数を増やしてほしいです。" * 30  # 480 characters
    got = r.say(long_text)
    assert all(len(a.get("data", "")) <= 300 for a in line.actions(got[-1]))
    got = r.say("朝の便だけでも結構です")
    assert "書き足しました" in r.texts(got) and "送信する" in r.buttons(got)
    r.tap("送信する")
    [opinion] = opinions(app)
    assert opinion.body == long_text + "\n朝の便だけでも結構です"


def test_declining_the_offer_stores_nothing_and_shows_the_menu(app, resident):
    r = onboard(resident(3))
    r.say(COMPLAINT)
    got = r.tap("送らない")
    assert "送信していません" in r.texts(got) and "アンケート" in r.buttons(got)
    assert opinions(app) == []
    assert conversation(app, "opinion").data == {}  # not kept either
    got = r.postback(next(line.actions(r.inbox[-2]))["data"])  # 送信する, tapped after all
    assert "使えなくなりました" in r.texts(got) and opinions(app) == []


def test_the_menu_beside_the_offer_still_works(app, resident, survey):
    r = onboard(resident(4))
    r.say(COMPLAINT)
    got = r.tap("アンケート")
    assert "町民アンケート（テスト）" in r.texts(got)
    assert opinions(app) == []


def test_english_residents_get_the_offer_in_english(app, resident):
    r = resident(5, language="en")
    r.follow()
    r.tap("Decline")
    got = r.say("The snow on my street is never cleared")
    text = r.texts(got)
    assert "as an opinion" in text and "The snow on my street" in text
    assert quick_labels(got[-1])[:2] == ["Send", "Don't send"]
    got = r.tap("Send")
    assert "Receipt number: OP-" in r.texts(got)


def test_an_eight_letter_word_is_offered_too(app, resident):
    r = onboard(resident(6))
    got = r.say("question")  # shaped like an answer code, but a word
    assert "送信する" in r.buttons(got) and "コード" not in r.texts(got)


PHRASINGS = {
    "アンケートに答えたい": "町民アンケート（テスト）",
    "survey": "町民アンケート（テスト）",
    "I want to answer the survey": "町民アンケート（テスト）",
    "ワークショップに申し込みたい": "ワークショップ",
    "sign up for a workshop": "ワークショップ",
    "ありがとうございます": "ご用件を選んでください",  # thanks and greetings: the menu
}


def test_common_phrasings_of_the_menu_are_understood(app, resident, survey):
    r = onboard(resident(7))
    for typed, expected in PHRASINGS.items():
        got = r.say(typed)
        assert expected in r.texts(got) and "送信する" not in r.buttons(got), typed
    assert opinions(app) == []


def test_a_sentence_that_mentions_a_menu_word_is_an_opinion(app, resident, survey):
    r = onboard(resident(8))
    got = r.say("ワークショップの日程が平日ばかりで参加できません")
    assert "送信する" in r.buttons(got) and "申し込める" not in r.texts(got)


# --- item 4: the finishing button first; long lists as a card ---------------------------------


def test_onboarding_long_lists_are_cards_and_skip_comes_first(app, resident):
    r = resident(9)
    r.follow()
    got = r.tap("同意する")
    age = got[-1]
    assert age["type"] == "flex"  # nine age bands: large buttons, no row to swipe
    assert "70代" in {a["label"] for a in line.actions(age["contents"])}
    assert quick_labels(age) == ["スキップ", "もどる", "中断"]
    district = r.tap("70代")[-1]
    assert district["type"] == "flex" and quick_labels(district)[0] == "スキップ"
    residency = r.tap("七ツ森")[-1]  # three choices fit a short row
    assert residency["type"] == "text"
    assert quick_labels(residency)[:2] == ["スキップ", "町内に住んでいる"]
    topics = r.tap("町内に住んでいる")[-1]
    assert topics["type"] == "flex" and quick_labels(topics)[:2] == ["決定", "スキップ"]


MANY = """kind: survey
id: many-2026
title: 選択肢の多いアンケート
opens_at: 2026-11-01T00:00:00+09:00
closes_at: 2026-12-31T23:59:59+09:00
questions:
  - id: place
    type: single
    text: よく行く場所は
    choices: [駅前, 役場, 公民館, 図書館, 公園, 病院]
  - id: wants
    type: multi
    text: ほしいものは（いくつでも）
    choices: [店, 病院, バス, 公園, 図書館, 保育所, 道路, 街灯]
    max_choices: 8
  - id: short
    type: single
    text: 満足していますか
    required: false
    choices: [はい, いいえ, わからない]
"""


def test_survey_done_and_skip_come_first_and_many_choices_are_cards(
    app, resident, runner, tmp_path, state
):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, MANY, name="many.yml").exit_code == 0
    r = onboard(resident(10))
    r.say("アンケート")
    got = r.tap("選択肢の多いアンケート")
    assert got[-1]["type"] == "flex" and quick_labels(got[-1]) == ["中断"]
    got = r.tap("公園")
    assert got[-1]["type"] == "flex"
    assert quick_labels(got[-1]) == ["決定", "もどる", "中断"]  # 決定 first, always in sight
    r.tap("バス")
    got = r.tap("決定")
    assert got[-1]["type"] == "text"
    assert quick_labels(got[-1]) == ["スキップ", "はい", "いいえ", "わからない", "もどる", "中断"]


def test_a_short_multiple_choice_row_starts_with_done(app, resident, survey):
    r = onboard(resident(11))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    got = r.tap("住みにくい")
    assert quick_labels(got[-1])[0] == "決定"


# --- item 5: question numbers count only the questions asked -----------------------------------


def test_numbers_do_not_jump_when_a_condition_skips_a_question(app, resident, survey):
    r = onboard(resident(12))
    r.say("アンケート")
    assert "Q1/4" in r.texts(r.tap("町民アンケート（テスト）"))  # Q2 may still be asked
    got = r.tap("住みやすい")  # Q2 (reasons) is not asked
    assert "Q2/3" in r.texts(got) and "Q3/4" not in r.texts(got)
    assert "Q3/3" in r.texts(r.tap("7"))


def test_numbers_count_a_question_that_is_shown(app, resident, survey):
    r = onboard(resident(13))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    assert "Q2/4" in r.texts(r.tap("住みにくい"))
    r.tap("交通が不便")
    assert "Q3/4" in r.texts(r.tap("決定"))


# --- item 6: multiple choice shows the question once ----------------------------------------


def test_each_tap_answers_with_the_selection_not_the_whole_question(app, resident, survey):
    r = onboard(resident(14))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    got = r.tap("住みにくい")
    assert "住みにくいと感じる理由は" in r.texts(got)
    got = r.tap("交通が不便")
    text = r.texts(got)
    assert "選択中: 交通が不便" in text and "住みにくいと感じる理由は" not in text
    assert "Q2/4" not in text and "✓ 交通が不便" in r.buttons(got)
    got = r.tap("仕事が少ない")
    assert "選択中: 交通が不便、仕事が少ない" in r.texts(got)
    got = r.tap("買い物が不便")  # a third is one too many: still short
    assert "2つまで" in r.texts(got) and "住みにくいと感じる理由は" not in r.texts(got)
    r.tap("中断")
    r.say("アンケート")
    got = r.tap("続き: 町民アンケート（テスト）")  # after a pause: the whole question again
    assert "住みにくいと感じる理由は" in r.texts(got) and "✓ 交通が不便" in r.buttons(got)
    got = r.tap("決定")
    assert "いま、どのくらい幸せですか" in r.texts(got)


def test_onboarding_topics_answer_each_tap_compactly(app, resident):
    r = resident(15)
    r.follow()
    r.tap("同意する")
    for _ in range(3):
        r.tap("スキップ")
    got = r.tap("防災")
    text = r.texts(got)
    assert "選択中: 防災" in text and "お知らせを受け取りたい分野" not in text
    assert "✓ 防災" in r.buttons(got)
    got = r.tap("決定")
    assert "ご登録ありがとうございました" in r.texts(got)


def test_words_typed_instead_of_a_choice_can_be_sent_as_an_opinion(app, resident, survey):
    """Inside a survey's button step too, typed words are offered as an opinion, not lost."""
    r = onboard(resident(1))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    words = COMPLAINT
    got = r.say(words)
    assert "意見として送る" in r.buttons(got) and "下のボタンから選んでください" in r.texts(got)
    assert "住みやすい" in r.buttons(got)  # the question is still there
    got = r.tap("意見として送る")
    text = r.texts(got)
    assert "アンケートは中断しました" in text and words in text
    got = r.tap("送信する")
    assert "OP-" in r.texts(got)
    with app.extensions["machikoe"].sessions() as s:
        assert [o.body for o in s.query(Opinion)] == [words]
    # the survey carries on where it stopped; a short mistyped word gets no offer
    r.say("アンケート")
    got = r.tap("続き: 町民アンケート（テスト）")
    assert "まちは住みやすいと思いますか" in r.texts(got)
    got = r.say("すみやすい")
    assert "意見として送る" not in r.buttons(got)
