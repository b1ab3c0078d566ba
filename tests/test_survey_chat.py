"""Surveys answered in chat: scripted dialogues, one per question type and per edge."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from db.anonymous_pool import PendingAnswer
from db.models import Conversation, Resident
from tests.survey_helpers import (
    NOW,
    SurveyCompletion,
    SurveyResponse,
    answers,
    apply_survey,
    count,
    onboard,
)


@pytest.fixture
def survey(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    result = apply_survey(runner, tmp_path)
    assert result.exit_code == 0, result.output
    return "test-2026"


def test_every_question_type_in_one_dialogue(app, resident, survey):
    r = onboard(resident(1))
    got = r.say("アンケート")
    text = r.texts(got)
    assert "町民アンケート（テスト）" in text and "全4問" in text and "12月31日(木) 23:59" in text
    got = r.tap("町民アンケート（テスト）")
    text = r.texts(got)
    assert "匿名" in text and "Q1/4" in text and "住みやすいと思いますか" in text
    assert {"住みやすい", "住みにくい", "中断"} <= set(r.buttons(got))
    assert "スキップ" not in r.buttons(got)  # required

    got = r.tap("住みにくい")
    assert "Q2/4" in r.texts(got) and "選択中: なし" in r.texts(got)
    got = r.tap("買い物が不便")
    assert "✓ 買い物が不便" in r.buttons(got)
    got = r.tap("交通が不便")
    got = r.tap("仕事が少ない")  # a third: over max_choices
    assert "2つまで" in r.texts(got)
    got = r.tap("✓ 買い物が不便")  # untick
    assert "選択中: 交通が不便" in r.texts(got)
    got = r.tap("仕事が少ない")
    got = r.tap("決定")
    text = r.texts(got)
    assert "Q3/4" in text and "0: とても不幸" in text
    assert {str(n) for n in range(11)} <= set(r.buttons(got))

    got = r.tap("7")
    text = r.texts(got)
    assert "Q4/4" in text and "20文字まで" in text and "（任意）" in text
    assert "スキップ" in r.buttons(got)
    got = r.say("公園がもっとほしい")
    assert "ご回答ありがとうございました" in r.texts(got)

    with app.extensions["machikoe"].sessions() as s:  # held, sealed, with the chat's profile
        held = s.scalar(select(PendingAnswer))
        assert (held.age_band, held.district, held.residency) == ("30代", "七ツ森", "resident")
    assert answers(app) == {
        "livability": ["住みにくい"],
        "reasons": ["jobs", "traffic"],
        "happiness": ["7"],
        "wishes": ["公園がもっとほしい"],
    }
    with app.extensions["machikoe"].sessions() as s:
        # the only answer (fewer than 5 in all): still held, sealed, after the close (written
        # alone it would single its resident out); `answers` above opened it with the key
        assert s.scalar(select(SurveyResponse)) is None
        response = s.scalar(select(PendingAnswer))
        assert str(response.pooled_on) == "2026-11-28"
        conv = s.scalar(select(Conversation).where(Conversation.flow == "survey"))
        assert conv.data == {} and conv.history == [] and conv.status == "done"


def test_show_if_hides_question_and_skip_and_typed_answers(app, resident, survey):
    r = onboard(resident(2))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    got = r.say("住みやすい")  # typed label works like a tap; reasons are not asked
    assert "Q2/3" in r.texts(got)  # numbered among the questions this resident is asked
    got = r.say("１０")  # full-width digits
    assert "Q3/3" in r.texts(got)
    got = r.tap("スキップ")
    assert "ご回答ありがとうございました" in r.texts(got)
    assert answers(app) == {"livability": ["住みやすい"], "happiness": ["10"]}


def test_required_cannot_be_skipped_and_nonsense_is_refused(app, resident, survey):
    r = onboard(resident(3))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    got = r.say("スキップ")
    assert "スキップできません" in r.texts(got) and "Q1/4" in r.texts(got)
    got = r.say("ラーメン")
    assert "ボタンから選んで" in r.texts(got) and "Q1/4" in r.texts(got)
    r.tap("住みやすい")
    got = r.say("11")  # out of the scale
    assert "ボタンから選んで" in r.texts(got) and "Q2/3" in r.texts(got)
    assert count(app, SurveyResponse) == 0


def test_back_changes_an_earlier_answer_and_drops_hidden_ones(app, resident, survey):
    r = onboard(resident(4))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みにくい")
    r.tap("交通が不便")
    r.tap("決定")
    got = r.tap("もどる")
    assert "Q2/4" in r.texts(got) and "✓ 交通が不便" in r.buttons(got)
    got = r.tap("もどる")
    assert "Q1/4" in r.texts(got)
    got = r.tap("住みやすい")
    assert "Q2/3" in r.texts(got)
    r.tap("5")
    r.tap("スキップ")
    assert answers(app) == {"livability": ["住みやすい"], "happiness": ["5"]}


def test_pause_and_resume_later(app, resident, survey):
    r = onboard(resident(5))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みやすい")
    got = r.tap("中断")
    assert "中断しました" in r.texts(got)
    got = r.say("アンケート")
    assert "回答の途中" in r.texts(got)
    got = r.tap("続き: 町民アンケート（テスト）")
    assert "Q2/3" in r.texts(got)
    r.tap("8")
    got = r.say("スキップ")
    assert "ありがとうございました" in r.texts(got)
    assert answers(app) == {"livability": ["住みやすい"], "happiness": ["8"]}


def test_stale_button_does_not_write_into_current_question(app, resident, survey):
    r = onboard(resident(6))
    r.say("アンケート")
    first = r.tap("町民アンケート（テスト）")
    r.tap("住みやすい")  # now at Q3 (scale)
    got = r.tap("住みにくい", messages=first)  # an old button still on screen
    assert "以前のもの" in r.texts(got) and "Q2/3" in r.texts(got)
    r.tap("6")
    r.tap("スキップ")
    assert answers(app)["livability"] == ["住みやすい"]


def test_closing_mid_way_refuses_politely(app, resident, survey, state):
    r = onboard(resident(7))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みやすい")
    state.clock.fixed = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)
    got = r.tap("9")
    text = r.texts(got)
    assert "受付は終了しました" in text and "12月31日(木) 23:59" in text
    assert count(app, SurveyResponse) == 0
    got = r.say("アンケート")
    assert "いま回答できるアンケートはありません" in r.texts(got)


def test_second_attempt_is_refused(app, resident, survey):
    r = onboard(resident(8))
    listing = r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みやすい")
    r.tap("3")
    r.tap("スキップ")
    got = r.say("アンケート")
    assert "いま回答できるアンケートはありません" in r.texts(got)
    got = r.tap("町民アンケート（テスト）", messages=listing)  # the old list's button, again
    assert "すでにご回答いただいています" in r.texts(got)
    assert count(app, SurveyResponse) == 1 and count(app, SurveyCompletion) == 1


def test_unknown_age_is_asked_first_and_young_band_is_refused(app, resident, survey):
    r = resident(9)
    r.follow()
    r.tap("同意しない")  # no profile stored
    r.say("アンケート")
    got = r.tap("町民アンケート（テスト）")
    assert "年代を教えてください" in r.texts(got)
    got = r.tap("15歳以下")
    assert "16歳以上の方が対象" in r.texts(got)
    assert count(app, SurveyResponse) == 0
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(Resident.age_band)) is None  # no consent: not stored


def test_residency_ineligible_is_told_why_and_not_listed(app, resident, survey):
    r = onboard(resident(10), residency="町外に住んでいる")
    got = r.say("アンケート")
    assert "いま回答できるアンケートはありません" in r.texts(got)
    got = r.postback("v=1&a=survey_open&x=test-2026")
    assert "町内にお住まいの方が対象" in r.texts(got)


def test_eligible_after_asking_age_and_residency(app, resident, survey):
    r = resident(11)
    r.follow()
    r.tap("同意する")
    r.tap("中断")  # profile left empty
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    got = r.tap("20代")
    assert "かかわり" in r.texts(got)
    got = r.tap("町内に住んでいる")
    assert "Q1/4" in r.texts(got)
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(Resident.age_band)) == "20代"  # consented: kept in the profile


def test_over_long_text_names_the_limit(app, resident, survey):
    r = onboard(resident(12))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みやすい")
    r.tap("4")
    got = r.say("あ" * 21)
    assert "20文字以内" in r.texts(got) and "21文字" in r.texts(got)
    got = r.say("アンケート")  # a menu word is an answer in a free-text question
    assert "ありがとうございました" in r.texts(got)
    assert answers(app)["wishes"] == ["アンケート"]


def test_named_survey_keeps_resident_and_needs_consent(app, resident, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0
    r = resident(13)
    r.follow()
    r.tap("同意しない")
    r.say("アンケート")
    got = r.tap("町民アンケート（テスト）")
    assert "同意が必要" in r.texts(got)
    r2 = onboard(resident(14))
    r2.say("アンケート")
    got = r2.tap("町民アンケート（テスト）")
    assert "記名式" in r2.texts(got)
    r2.tap("住みやすい")
    r2.tap("2")
    r2.tap("スキップ")
    with app.extensions["machikoe"].sessions() as s:
        response = s.scalar(select(SurveyResponse))
        me = s.scalar(select(Resident).where(Resident.line_user_id == r2.id))
        assert response.resident_id == me.id and response.submitted_at is not None


def test_anonymous_leaves_only_the_completion_record(app, resident, survey):
    r = onboard(resident(15))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みにくい")
    r.tap("仕事が少ない")
    r.tap("決定")
    r.tap("1")
    r.say("バスを増やして")
    with app.extensions["machikoe"].sessions() as s:
        me = s.scalar(select(Resident).where(Resident.line_user_id == r.id))
        done = s.scalar(select(SurveyCompletion))
        assert done.resident_id == me.id and str(done.completed_on) == "2026-11-28"
        assert s.scalar(select(SurveyResponse.resident_id)) is None
        conv = s.scalar(select(Conversation).where(Conversation.flow == "survey"))
        assert "バス" not in str(conv.data) and conv.history == [] and conv.state == ""


def test_english_resident(app, resident, survey):
    r = resident(16, language="en")
    r.follow()
    r.tap("Agree")
    r.tap("30s")  # the town file's English labels (stored as 30代, 七ツ森)
    r.tap("Nanatsumori")
    r.tap("I live in town")
    r.tap("Done")
    r.say("Surveys")
    got = r.tap("Test survey")
    assert "anonymous" in r.texts(got) and "Q1/4" in r.texts(got)


def test_concurrent_answers_from_one_resident(app, resident, survey, client):
    import threading

    from tests import line

    r = onboard(resident(17))
    r.say("アンケート")
    got = r.tap("町民アンケート（テスト）")
    data = {label: r.buttons(got)[label]["data"] for label in ("住みやすい", "住みにくい", "中断")}
    results = []

    def tap(label):
        body = line.payload(line.postback(r.id, data[label], r.token()))
        results.append(line.post(client, body).status_code)

    threads = [threading.Thread(target=tap, args=(lb,)) for lb in ("住みやすい", "住みにくい")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert results == [200, 200]
    texts = r.texts(r.news())
    assert texts.count("以前のもの") == 1  # one answer counted, the other is stale
    with app.extensions["machikoe"].sessions() as s:
        conv = s.scalar(select(Conversation).where(Conversation.flow == "survey"))
        chosen = conv.data["answers"]["livability"]
    assert chosen in (["住みやすい"], ["住みにくい"])


LONG = """kind: survey
id: long-2026
title: 長い選択肢のアンケート
opens_at: 2026-11-01T00:00:00+09:00
closes_at: 2026-12-31T23:59:59+09:00
questions:
  - id: transport
    type: single
    text: ふだん町内の移動に使う手段で、いちばん多いものは何ですか
    choices:
      - 自家用車（自分で運転する）
      - 家族や知人の車に乗せてもらう（送迎を含む）
      - 町営バス・デマンド交通
      - 徒歩・自転車
  - id: many
    type: multi
    text: 参加したことのある行事（いくつでも）
    choices: [a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14]
  - id: mood
    type: scale
    text: 今日の気分
    required: false
    min: 0
    max: 10
"""


def test_long_labels_and_many_choices_use_flex_with_full_wording(
    app, resident, runner, tmp_path, state
):
    state.clock.fixed = NOW
    path = tmp_path / "long.yml"
    path.write_text(LONG, encoding="utf-8")
    assert runner.invoke(args=["content", "apply", str(path)]).exit_code == 0
    r = onboard(resident(20))
    r.say("アンケート")
    got = r.tap("長い選択肢のアンケート")
    flex = [m for m in got if m["type"] == "flex"]
    full = "家族や知人の車に乗せてもらう（送迎を含む）"  # 21 characters: too long for a quick reply
    assert flex and r.buttons(flex)[full]["label"] == full  # a Flex button shows it whole
    assert "中断" in r.buttons(got)
    got = r.tap("家族や知人の車に乗せてもらう（送迎を含む）")
    assert [m for m in got if m["type"] == "flex"] and "Q2/3" in r.texts(got)
    r.tap("a14")
    got = r.tap("決定")
    assert "Q3/3" in r.texts(got) and "スキップ" in r.buttons(got)
    assert [m for m in got if m["type"] == "flex"]  # 11 numbers + 3 buttons: a grid
    r.tap("10")
    assert answers(app, "long-2026") == {
        "transport": ["家族や知人の車に乗せてもらう（送迎を含む）"],
        "many": ["a14"],
        "mood": ["10"],
    }


def test_starting_another_survey_parks_the_paused_one(app, resident, runner, tmp_path, state):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    path = tmp_path / "long.yml"
    path.write_text(LONG, encoding="utf-8")
    assert runner.invoke(args=["content", "apply", str(path)]).exit_code == 0
    r = onboard(resident(21))
    r.say("アンケート")
    r.tap("町民アンケート（テスト）")
    r.tap("住みやすい")
    r.tap("中断")
    r.say("アンケート")
    r.tap("長い選択肢のアンケート")
    r.tap("徒歩・自転車")
    r.tap("a1")
    r.tap("決定")
    got = r.tap("5")
    assert "ありがとうございました" in r.texts(got)
    got = r.say("アンケート")
    got = r.tap("続き: 町民アンケート（テスト）")
    assert "Q2/3" in r.texts(got)
    r.tap("9")
    r.tap("スキップ")
    assert answers(app) == {"livability": ["住みやすい"], "happiness": ["9"]}
    assert count(app, SurveyResponse) == 2


def test_preview_postback_is_refused_without_the_simulator(app, resident, settings):
    """A forged or replayed preview button does nothing on a real channel."""
    from handlers.survey import preview_signature
    from messages.postback import Postback

    r = resident(990)
    r.follow()
    r.tap("同意しない")
    sig = preview_signature(settings.secret_key, r.id, "wellbeing-2026")
    got = r.postback(Postback(action="survey_preview", value=f"wellbeing-2026.{sig}").encode())
    assert "使えなくなりました" in r.texts(got)
