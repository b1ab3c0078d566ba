"""スマホ表示のプレビュー in headless Chromium: every screen drawn by line_render.js.

Buttons carry the choice labels, the scale grid shows 0–10, hostile text stays text (no dialog
ever opens), buttons are inert, and the page passes axe-core. Screenshots go to artifacts.
"""

from __future__ import annotations

import pytest

from tests.survey_helpers import NOW, apply_survey
from tests.test_console import PASSWORD, make_staff
from tests.test_console_browser import browser, live, shot  # noqa: F401 (fixtures)
from tests.test_survey_preview import HOSTILE, IMG, SCRIPT, UPCOMING, URL

pytestmark = pytest.mark.browser


def _sign_in(browser, live, app):  # noqa: F811 (the browser fixture)
    make_staff(app, "etsuran@town.example.jp", "viewer")
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ja-JP")
    page.goto(f"{live}/admin/login")
    page.fill("input[name=email]", "etsuran@town.example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/admin/")
    return page


def _watch(page) -> tuple[list, list]:
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return dialogs, errors


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_screen_is_drawn_like_line(
    app,
    live,  # noqa: F811
    browser,  # noqa: F811
    state,
    runner,
    tmp_path,
    artifacts,
):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, UPCOMING).exit_code == 0
    page = _sign_in(browser, live, app)
    dialogs, errors = _watch(page)
    page.goto(f"{live}{URL}")
    page.wait_for_selector("body[data-ready]")
    screens = page.locator(".sp-screen")
    assert screens.count() == 7
    for i in range(7):  # every frame has something drawn in it
        assert screens.nth(i).locator(".sp-chat > .sp-row").count() >= 1

    q1 = page.locator("[data-question=livability]")
    assert "Q1. まちは住みやすいと思いますか" in q1.locator("h2").inner_text()
    for label in ("住みやすい", "住みにくい", "もどる", "中断"):
        assert q1.locator(".sp-quick .qr", has_text=label).is_visible()
    q2 = page.locator("[data-question=reasons]")
    assert "表示条件: Q1「まちは住みやすいと思いますか」が「住みにくい」のとき" in q2.inner_text()
    long = "駅やバス停まで遠く、病院や役場へ行くのに時間がかかる"
    assert q2.locator(".fx-button", has_text=long).is_visible()
    assert q2.locator(".fx-button", has_text="買い物が不便").is_visible()
    grid = page.locator("[data-question=happiness] .fx-button")
    assert grid.all_inner_texts() == [str(n) for n in range(11)]
    assert all(grid.nth(n).is_visible() for n in range(11))
    assert "200文字まで" in page.locator("[data-question=wishes] .bubble").inner_text()

    frame = page.locator(".sp-phone").first.bounding_box()
    assert 370 <= frame["width"] - 16 <= 380  # a phone's width inside the bezel
    # buttons are inert: tapping changes nothing and goes nowhere
    before = page.url
    q1.locator(".sp-quick .qr", has_text="住みにくい").dispatch_event("click")
    grid.nth(3).dispatch_event("click")
    assert page.url == before
    assert q1.locator(".sp-quick .qr").first.get_attribute("aria-disabled") == "true"

    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context="main")  # this page's part (the header is shared)
    assert results.violations_count == 0, results.generate_report()
    shot(page, artifacts, "console-survey-preview", docs=True)

    page.click("text=English")
    page.wait_for_selector("body[data-ready]")
    assert "lang=en" in page.url
    q1 = page.locator("[data-question=livability]")
    assert q1.locator(".bubble").inner_text().startswith("Q1/4\nIs the town a good place to live?")
    assert q1.locator(".sp-quick .qr", has_text="Not good").is_visible()
    shot(page, artifacts, "console-survey-preview-en")
    assert dialogs == [] and errors == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_hostile_text_shows_as_text(
    app,
    live,  # noqa: F811
    browser,  # noqa: F811
    state,
    runner,
    tmp_path,
    artifacts,
):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, HOSTILE).exit_code == 0
    page = _sign_in(browser, live, app)
    dialogs, errors = _watch(page)
    for lang in ("ja", "en"):
        page.goto(f"{live}{URL}?lang={lang}")
        page.wait_for_selector("body[data-ready]")
        assert page.locator("main img").count() == 0  # no markup got through
        intro = page.locator("[data-kind=intro] .bubble").inner_text()
        assert (f"{SCRIPT}{IMG}" if lang == "ja" else f"{IMG}{SCRIPT}") in intro
        q1 = page.locator("[data-question=livability]")
        assert f"{SCRIPT}{IMG}" in q1.locator("h2").inner_text()
        assert q1.locator(".fx-button", has_text=IMG if lang == "ja" else SCRIPT).is_visible()
        q1.locator(".fx-button").nth(1).dispatch_event("click")
    shot(page, artifacts, "console-survey-preview-hostile")
    assert dialogs == [] and errors == []
