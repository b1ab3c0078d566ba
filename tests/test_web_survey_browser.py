"""The web answer page in headless Chromium: a whole answer with JavaScript off, and axe-core
(WCAG 2.1 AA, i.e. JIS X 8341-3:2016 AA) finding nothing on every kind of screen.

Skipped (with the reason) when Chromium or Playwright is missing, unless CI is set.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.survey_helpers import NOW, SurveyResponse, answers, count
from tests.test_console_browser import browser, live, shot  # noqa: F401 (fixtures)
from tests.test_web_survey import SID, codes, drafts, survey  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def artifacts(tmp_path_factory):
    from tests.conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def _next(page):
    page.get_by_role("button", name="次へ").click()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # both databases: test_web_survey
def test_a_whole_answer_with_javascript_off_and_resumed_after_closing(
    app,
    browser,  # noqa: F811
    live,  # noqa: F811
    codes,  # noqa: F811
    artifacts,
):
    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live}/s/{SID}")
    page.get_by_label("回答コード").fill(codes[0].lower())
    page.get_by_role("button", name="はじめる").click()
    page.get_by_label("30代").check()
    _next(page)
    page.get_by_label("町内に住んでいる").check()
    _next(page)
    assert "3 / 5" in page.inner_text("main")
    page.get_by_label("どちらかといえば住みにくい").check()
    _next(page)
    context.close()  # the page is closed half-way

    context = browser.new_context(java_script_enabled=False, viewport=PHONE, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live}/s/{SID}?code={codes[0]}")
    main = page.inner_text("main")
    assert "前回の続きから再開しました" in main and "4 / 6" in main
    page.get_by_label("買い物が不便").check()
    page.get_by_label("仕事が少ない").check()
    _next(page)
    page.get_by_label("8", exact=True).check()
    _next(page)
    page.get_by_label("まちに望むことを自由にお書きください").fill("<b>バスを増やして</b>")
    _next(page)
    assert "<b>バスを増やして</b>" in page.inner_text("main")  # shown as typed, not as markup
    shot(page, artifacts, "web-survey-confirm")
    page.get_by_role("button", name="この内容で送信する").click()
    assert "ご回答ありがとうございました" in page.inner_text("main")
    context.close()
    assert count(app, SurveyResponse, channel="web") == 1 and drafts(app) == []
    assert answers(app) == {
        "happiness": ["8"],
        "livability": ["どちらかといえば住みにくい"],
        "reasons": ["shops", "jobs"],
        "wishes": ["<b>バスを増やして</b>"],
    }


def _clean(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_screen_has_no_axe_violations(
    app,
    state,
    browser,  # noqa: F811
    live,  # noqa: F811
    codes,  # noqa: F811
    artifacts,
):
    context = browser.new_context(viewport=PHONE, locale="ja-JP")
    page = context.new_page()
    page.goto(f"{live}/s/{SID}")
    _clean(page, "code")
    shot(page, artifacts, "web-survey-code", docs=True)
    page.get_by_label("回答コード").fill("AAAA-AAAA")
    page.get_by_role("button", name="はじめる").click()
    assert "お確かめのうえ" in page.inner_text("main")
    _clean(page, "code error")
    page.locator("#code").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"  # focus is visible
    page.get_by_label("回答コード").fill(codes[0])
    page.get_by_role("button", name="はじめる").click()
    _clean(page, "age band")
    page.get_by_label("15歳以下").check()
    _next(page)
    assert "16歳以上の方が対象" in page.inner_text("main")
    _clean(page, "ineligible")
    page.get_by_role("button", name="前へ（回答を直す）").click()
    page.get_by_label("40代").check()
    _next(page)
    _clean(page, "residency")
    page.get_by_label("町内に住んでいる").check()
    _next(page)
    _clean(page, "single")
    shot(page, artifacts, "web-survey-question", docs=True)
    page.get_by_label("住みにくい", exact=True).check()
    _next(page)
    _clean(page, "multi")
    for label in ("買い物が不便", "仕事が少ない", "交通が不便"):
        page.get_by_label(label).check()
    _next(page)
    assert "2つまで" in page.locator(".error").inner_text()
    _clean(page, "multi error")
    page.get_by_label("交通が不便").uncheck()
    _next(page)
    _clean(page, "scale")
    shot(page, artifacts, "web-survey-scale")
    page.get_by_label("3", exact=True).check()
    _next(page)
    _clean(page, "text")
    page.get_by_label("まちに望むことを自由にお書きください").fill("あ" * 20)
    _next(page)
    _clean(page, "confirm")
    page.get_by_role("button", name="この内容で送信する").click()
    _clean(page, "thanks")
    page.goto(f"{live}/s/{SID}?lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    _clean(page, "code in English")
    page.goto(f"{live}/s/no-such-survey")
    _clean(page, "not found")
    state.clock.fixed = NOW + timedelta(days=60)
    page.goto(f"{live}/s/{SID}?lang=ja")
    assert "受付は終了しました" in page.inner_text("main")
    _clean(page, "closed")
    context.close()
