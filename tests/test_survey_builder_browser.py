"""The survey builder in headless Chromium: a planning officer who has never seen YAML builds a
survey with every question type and a condition, previews it, opens it, and residents answer
it in LINE through the signed webhook.
"""

from __future__ import annotations

import os
import shutil

import pytest

from db.surveys import stored_answers
from tests.survey_helpers import NOW, onboard
from tests.test_console import PASSWORD, make_staff
from tests.test_console_browser import DOCS_IMG, browser, live, shot  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def sign_in(page, live_url: str, email: str) -> None:
    page.goto(f"{live_url}/admin/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_url}/admin/")


def part_shot(locator, artifacts, name: str, clip_height: int | None = None) -> None:
    """A picture of one part of the page; with MACHIKOE_UPDATE_DOC_IMAGES also for docs/."""
    path = artifacts / f"{name}.png"
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    if clip_height and box and box["height"] > clip_height:
        page = locator.page
        page.evaluate("y => window.scrollTo(0, y)", box["y"])
        locator.page.screenshot(
            path=str(path), clip={**box, "y": 0, "height": clip_height}, full_page=False
        )
    else:
        locator.screenshot(path=str(path))
    if os.environ.get("MACHIKOE_UPDATE_DOC_IMAGES"):
        shutil.copy(path, DOCS_IMG / f"{name}.png")


def question(page, n: int):
    return page.locator(f"#q-{n - 1}")


def test_an_officer_builds_previews_and_opens_a_survey(
    app,
    live,  # noqa: F811 (the fixture)
    browser,  # noqa: F811 (the fixture)
    state,
    resident,
    artifacts,
):
    state.clock.fixed = NOW
    make_staff(app, "kikaku@town.example.jp", "editor")
    page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live, "kikaku@town.example.jp")

    page.click("nav >> text=アンケート")
    page.click("text=新しいアンケートを作る")
    page.wait_for_url(f"{live}/admin/surveys/new")
    page.fill("input[name=title]", "町民アンケート 2027")
    page.fill("input[name=title_en]", "Resident survey 2027")
    page.fill("input[name=opens_at]", "2026-12-01T00:00")  # starts later: not shown yet
    page.fill("input[name=closes_at]", "2026-12-31T23:59")
    page.fill("input[name=min_age]", "16")
    page.check("input[name=residency][value=resident]")

    # question 1: single choice (the form starts with one)
    q1 = question(page, 1)
    assert q1.locator("fieldset[data-for='scale']").is_hidden()  # only this type's fields
    q1.locator("textarea[name='q0.text']").fill("まちは住みやすいと思いますか")
    q1.locator("textarea[name='q0.choices']").fill(
        "住みやすい\nどちらかといえば住みやすい\nどちらかといえば住みにくい\n住みにくい"
    )

    # question 2: multiple choice, shown only to those who find it hard to live here
    page.click("button:has-text('＋ 複数選択')")
    q2 = question(page, 2)
    assert q2.is_visible() and page.evaluate("() => document.activeElement.id") == "q-1"
    q2.locator("textarea[name='q1.text']").fill("住みにくいと感じる理由は何ですか（2つまで）")
    q2.locator("textarea[name='q1.choices']").fill("買い物が不便\n交通が不便\n仕事が少ない")
    q2.locator("input[name='q1.max_choices']").fill("2")
    q2.locator("button:has-text('表示条件の選択肢を更新')").click()
    q2 = question(page, 2)
    q2.get_by_label("どちらかといえば住みにくい").check()
    q2.get_by_label("住みにくい", exact=True).check()

    # question 3: a scale; question 4: free text, optional — added by keyboard alone
    page.click("button:has-text('＋ 段階評価')")
    q3 = question(page, 3)
    q3.locator("textarea[name='q2.text']").fill("いま、どのくらい幸せですか")
    q3.locator("input[name='q2.min_label']").fill("とても不幸")
    q3.locator("input[name='q2.max_label']").fill("とても幸せ")
    page.locator("button:has-text('＋ 自由記述')").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#q-3")
    q4 = question(page, 4)
    q4.locator("textarea[name='q3.text']").fill("まちに望むことを自由にお書きください")
    q4.locator("input[name='q3.required']").uncheck()

    # a mistake first: the scale's range is reversed
    q3 = question(page, 3)
    q3.locator("input[name='q2.min']").fill("10")
    q3.locator("input[name='q2.max']").fill("0")
    with page.expect_navigation():
        page.click(".sticky-actions button[value=save]")
    alert = page.inner_text("#problems")
    assert "3問目「いま、どのくらい幸せですか」: 最大は最小より大きくしてください。" in alert
    assert page.evaluate("() => document.activeElement.id") == "problems"
    part_shot(page.locator("main"), artifacts, "survey-builder-error", clip_height=700)
    question(page, 3).locator("input[name='q2.min']").fill("0")
    question(page, 3).locator("input[name='q2.max']").fill("10")
    part_shot(question(page, 2), artifacts, "survey-builder-condition")
    shot(page, artifacts, "survey-builder")

    # save and look at it as a resident's phone shows it
    page.locator("button[value=save-preview]").focus()  # by keyboard
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/preview" in page.url, page.inner_text("main")[:500]
    survey_id = page.url.split("/admin/surveys/")[1].split("/")[0]
    assert survey_id == "survey-20261128"
    body = page.inner_text("main")
    assert "まちは住みやすいと思いますか" in body and "とても幸せ" in body
    shot(page, artifacts, "survey-builder-preview")

    # not open yet: residents do not see it; the officer opens it now
    r1, r2 = onboard(resident(1)), onboard(resident(2))
    assert "町民アンケート 2027" not in r1.texts(r1.say("アンケート"))
    page.goto(f"{live}/admin/surveys/{survey_id}")
    assert "開始前" in page.inner_text("main")
    page.once("dialog", lambda dialog: dialog.accept())  # 「いますぐ受付を開始しますか？」
    with page.expect_navigation():
        page.click("text=いますぐ受付開始")
    assert "受付を開始しました" in page.inner_text(".flash")
    assert not errors, errors
    page.close()

    # residents answer it in LINE
    for r, where in ((r1, "住みやすい"), (r2, "住みにくい")):
        r.say("アンケート")
        got = r.tap("町民アンケート 2027")
        assert "まちは住みやすいと思いますか" in r.texts(got)
        got = r.tap(where)
        if where == "住みにくい":
            assert "住みにくいと感じる理由" in r.texts(got)  # the condition holds
            r.tap("交通が不便")
            got = r.tap("決定")
        assert "いま、どのくらい幸せですか" in r.texts(got)
        got = r.tap("7")
        assert "まちに望むこと" in r.texts(got)
        r.tap("スキップ")
    with state.sessions() as s:
        # anonymous: both held in the pool until 5 of a group are in (or the close)
        assert stored_answers(s, survey_id) == 2
