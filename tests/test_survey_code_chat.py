"""A mailed letter's answer code typed in LINE chat: scripted dialogues through the webhook."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from db.anonymous_pool import PendingAnswer
from db.session import transaction
from db.survey_channels import SurveyInvitation
from handlers import invitations
from handlers.survey_code import CODE_PATTERN
from tests.survey_helpers import NOW, SurveyResponse, answers, apply_survey, count, onboard

TITLE = "町民アンケート（テスト）"


@pytest.fixture
def survey(app, runner, tmp_path, state):
    state.clock.fixed = NOW
    result = apply_survey(runner, tmp_path)
    assert result.exit_code == 0, result.output
    return "test-2026"


@pytest.fixture
def codes(app, survey):
    """Three fresh codes of the test survey."""
    with transaction(app.extensions["machikoe"].sessions) as s:
        return invitations.create(s, survey, 3)


def used(app, code: str) -> bool:
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(
            select(SurveyInvitation.used).where(
                SurveyInvitation.code_hash == invitations.code_hash(code)
            )
        )


def answer_all(r) -> list[dict]:
    """Answer the test survey's questions (the first is already shown)."""
    r.tap("住みやすい")
    r.tap("7")
    return r.tap("スキップ")


def full_width(code: str) -> str:
    """How a phone keyboard in 全角 mode types a code: ｋ７ｑｍ－４ｔ２ｘ."""
    return "".join(chr(ord(ch) + 0xFEE0) if ch != "-" else "－" for ch in code.lower())


def test_code_then_answer_in_line_uses_it(app, resident, codes):
    r = onboard(resident(1))
    got = r.say(codes[0])
    text = r.texts(got)
    assert "回答コードを確認しました" in text and TITLE in text and "Q1/4" in text
    assert not used(app, codes[0])  # only used with the response
    got = answer_all(r)
    assert "ご回答ありがとうございました" in r.texts(got)
    assert used(app, codes[0]) and not used(app, codes[1])
    assert answers(app) == {"livability": ["住みやすい"], "happiness": ["7"]}  # (after the close)
    with app.extensions["machikoe"].sessions() as s:  # alone in its channel: still held
        assert s.scalar(select(SurveyResponse)) is None
        response = s.scalar(select(PendingAnswer))
        assert response.channel == "line"


def test_the_keyword_asks_for_the_code_and_a_typo_can_be_retyped(app, resident, codes):
    r = onboard(resident(2))
    got = r.say("回答コード")
    assert "8文字" in r.texts(got)
    assert {"中断", "メニュー"} <= set(r.buttons(got))
    body = codes[0].replace("-", "")
    typo = body[:3] + ("2" if body[3] != "2" else "3") + body[4:]
    got = r.say(typo)
    assert "正しくないようです" in r.texts(got) and "8文字" in r.texts(got)
    got = r.say(full_width(codes[0]))
    assert "Q1/4" in r.texts(got)
    assert "ご回答ありがとうございました" in r.texts(answer_all(r))
    assert used(app, codes[0])


def test_the_code_prompt_offers_the_menu_and_pause(app, resident, codes):
    r = onboard(resident(3))
    r.say("回答コード")
    got = r.tap("メニュー")
    assert "ご用件を選んでください" in r.texts(got)
    got = r.say("こんにちは")  # the prompt is over: not read as a code
    assert "正しくないようです" not in r.texts(got)
    r.say("回答コード")
    got = r.tap("中断")
    assert "中断しました" in r.texts(got) and "回答コード" in r.texts(got)


def test_the_same_code_again_is_refused(app, resident, codes):
    first = onboard(resident(4))
    first.say(codes[0])
    answer_all(first)
    second = onboard(resident(5))
    got = second.say(codes[0])
    assert "すでに使われています" in second.texts(got)
    assert "Q1/4" not in second.texts(got)
    got = first.say(codes[0])  # the one who used it, too
    assert "すでに使われています" in first.texts(got)
    assert count(app, SurveyResponse) == 1


def test_a_resident_who_already_answered_is_refused_and_the_code_stays_unused(app, resident, codes):
    r = onboard(resident(6))
    r.say("アンケート")
    r.tap(TITLE)
    answer_all(r)
    got = r.say(codes[1])
    text = r.texts(got)
    assert "すでにご回答いただいています" in text and "回答コードは使っていません" in text
    assert not used(app, codes[1])
    assert count(app, SurveyResponse) == 1
    other = onboard(resident(7))  # so the household's letter still works for someone else
    assert "Q1/4" in other.texts(other.say(codes[1]))


def test_malformed_and_unknown_codes(app, resident, codes):
    r = onboard(resident(8))
    body = codes[0].replace("-", "")
    swapped = body[:2] + body[3] + body[2] + body[4:]
    if swapped == body:  # two equal neighbours: swap another pair
        swapped = body[:5] + body[6] + body[5] + body[7:]
    for typed in (swapped, codes[0][:-1] + "O"):
        got = r.say(typed)
        assert "正しくないようです" in r.texts(got), typed
    stranger = invitations.make_code()  # well formed, never issued
    got = r.say(stranger)
    assert "見つかりませんでした" in r.texts(got)
    assert count(app, SurveyResponse) == 0
    assert not any(used(app, c) for c in codes)


def test_a_code_for_a_closed_survey(app, resident, codes, state):
    r = onboard(resident(9))
    state.clock.fixed = NOW + timedelta(days=60)  # after 12月31日
    got = r.say(codes[0])
    text = r.texts(got)
    assert "受付は終了しました" in text and "Q1/4" not in text
    assert not used(app, codes[0])


def test_a_code_used_on_the_web_meanwhile_refuses_the_chat_answer(app, resident, codes):
    r = onboard(resident(10))
    r.say(codes[2])
    r.tap("住みやすい")
    with transaction(app.extensions["machikoe"].sessions) as s:  # the web page used it
        s.execute(
            update(SurveyInvitation)
            .where(SurveyInvitation.code_hash == invitations.code_hash(codes[2]))
            .values(used=True)
        )
    r.tap("7")
    got = r.tap("スキップ")
    assert "保存できませんでした" in r.texts(got)
    assert count(app, SurveyResponse) == 0 and answers(app) == {}
    got = r.say("アンケート")  # not recorded as answered: the survey is still offered
    assert TITLE in r.texts(got)


def test_a_code_is_carried_when_the_survey_is_parked_and_resumed(
    app, resident, codes, runner, tmp_path
):
    other = apply_survey(
        runner,
        tmp_path,
        text=open_second_survey(),
        name="other.yml",
    )
    assert other.exit_code == 0, other.output
    r = onboard(resident(11))
    r.say(codes[0])
    r.tap("住みやすい")
    r.say("アンケート")
    r.tap("別のアンケート")  # parks the first one
    got = r.say("アンケート")
    r.tap(f"続き: {TITLE}", got)
    r.tap("7")
    r.tap("スキップ")
    assert used(app, codes[0])


def open_second_survey() -> str:
    return """kind: survey
id: other-2026
title: 別のアンケート
opens_at: 2026-11-01T00:00:00+09:00
closes_at: 2026-12-31T23:59:59+09:00
anonymous: true
questions:
  - id: one
    type: single
    text: ひとつ選んでください
    choices: [はい, いいえ]
"""


def test_an_answer_that_merely_looks_like_a_code_stays_an_answer(app, resident, codes):
    r = onboard(resident(12))
    r.say("アンケート")
    r.tap(TITLE)
    got = r.say("ABCDEFGH")  # shaped like a code, fails its check: the question asks again
    text = r.texts(got)
    assert "ボタンから選んで" in text and "Q1/4" in text


def test_the_pattern_matches_what_looks_like_code_accepts():
    import re

    rx = re.compile(CODE_PATTERN)
    for typed in ("K7QM-4T2X", "k7qm4t2x", "K7QM 4T2X", " k7qm - 4t2x ", full_width("K7QM-4T2X")):
        norm = unicodedata.normalize("NFKC", typed).strip().lower()
        assert invitations.looks_like_code(typed) and rx.fullmatch(norm), typed
    for typed in ("K7QM-4T2", "K7QM--4T2X", "STAFF-K7QM-4T2X", "アンケート", "K7QM-4T2XY"):
        norm = unicodedata.normalize("NFKC", typed).strip().lower()
        assert not invitations.looks_like_code(typed) and not rx.fullmatch(norm), typed


def test_english_residents_type_answer_code(app, resident, codes):
    r = resident(13, language="en")
    r.follow()
    got = r.say("Answer code")
    assert "answer code from your letter" in r.texts(got)
    assert {"Pause", "Menu"} <= set(r.buttons(got))
    got = r.say("ZZZZ-ZZZZ")
    assert "does not look right" in r.texts(got)


def test_an_eight_letter_word_is_not_taken_for_a_code(app, resident, codes):
    r = onboard(resident(1))
    text = r.texts(r.say("workshop"))  # understood as the menu entry (issue 15)
    assert "ワークショップ" in text and "コード" not in text
    mistyped = codes[0][:-1] + ("2" if codes[0][-1] != "2" else "3")
    assert "コード" in r.texts(r.say(mistyped))  # a digit or hyphen: a mistyped code
    # every code has a digit, so a word of eight letters is never one
    assert all(any(ch.isdigit() for ch in invitations.make_code()) for _ in range(2000))
