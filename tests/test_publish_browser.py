"""Published results and reports in headless Chromium: staff publish in a few clicks, the
public pages and the static copy have no axe-core violations (WCAG 2.1 AA, i.e. JIS X
8341-3:2016 AA), and the static copy opened from file:// makes no request at all.

Skipped (with the reason) when Chromium or Playwright is missing, unless CI is set.
"""

from __future__ import annotations

import re

import pytest

from db.session import transaction
from handlers import publishing
from tests.survey_helpers import NOW
from tests.test_console import PASSWORD, make_staff
from tests.test_console_browser import browser, live, shot  # noqa: F401
from tests.test_publish_results import AFTER, XSS, add_event_with_attendees, fill

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def _clean(page, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def _charts_loaded(page) -> int:
    page.wait_for_function("() => [...document.images].every(i => i.complete)")
    sizes = page.eval_on_selector_all("img.chart", "els => els.map(e => e.naturalWidth)")
    assert sizes and all(w > 0 for w in sizes), sizes
    return len(sizes)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_staff_publish_and_the_public_pages_pass_axe(
    app,
    runner,
    tmp_path,
    state,
    browser,  # noqa: F811
    live,  # noqa: F811
    artifacts,
):
    fill(app, runner, tmp_path)
    add_event_with_attendees(app, runner, onsite=8, online=6)
    state.clock.fixed = AFTER  # the workshop has started: its report can be published
    make_staff(app, "kikaku@town.example.jp", "editor")
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    page.goto(f"{live}/admin/login")
    page.fill("input[name=email]", "kikaku@town.example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/admin/")

    # the survey: pick a cross-tab and one excerpt (each answer is shown before publishing)
    page.goto(f"{live}/admin/surveys/test-2026")
    page.click("[data-testid=publish-link]")
    page.get_by_label("年代別").check()
    page.locator("label.answer-pick", has_text=XSS).first.locator("input").check()
    page.click("[data-testid=publish]")
    assert "公開中" in page.inner_text("[data-testid=state]")
    shot(page, artifacts, "publish-survey-console", docs=True)

    # the report of the workshop
    page.goto(f"{live}/admin/events/mirai-2026-1")
    page.click("[data-testid=report-link]")
    page.fill(
        "textarea[name=text]", "10年後のまちの姿を話し合いました。\n\n主な意見: 公共交通、子育て。"
    )
    page.fill("textarea[name=text_en]", "We talked about the town in ten years.")
    page.click("[data-testid=publish]")
    assert "公開中" in page.inner_text("[data-testid=state]")
    page.close()

    phone = browser.new_context(viewport=PHONE, locale="ja-JP")
    pub = phone.new_page()
    pub.goto(f"{live}/results/")
    assert "町民アンケート（テスト）" in pub.inner_text("main")
    _clean(pub, "index")
    pub.click("text=町民アンケート（テスト）")
    assert pub.url.startswith(f"{live}/results/test-2026")
    assert XSS in pub.inner_text("main")  # the picked excerpt, as text
    assert _charts_loaded(pub) == 3
    _clean(pub, "results")
    shot(pub, artifacts, "public-results", docs=True)
    pub.click("a.lang")
    assert "Answers: 15" in pub.inner_text("main")
    _clean(pub, "results-en")
    pub.goto(f"{live}/reports/mirai-2026-1")
    assert "話し合いました" in pub.inner_text("main")
    _clean(pub, "report")
    shot(pub, artifacts, "public-report")
    pub.goto(f"{live}/results/no-such-survey")
    _clean(pub, "not-found")
    phone.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_static_copy_opens_from_file_with_no_request(
    app,
    runner,
    tmp_path,
    state,
    browser,  # noqa: F811
    artifacts,
):
    fill(app, runner, tmp_path)
    with transaction(state.sessions) as s:
        excerpt = [{"question": "wishes", "text": "働く場所"}]
        publishing.publish_survey(
            s, "test-2026", "test", NOW, crosstabs=["district"], excerpts=excerpt
        )
    out = tmp_path / "site"
    result = runner.invoke(args=["surveys", "publish", "test-2026", "--static", str(out)])
    assert result.exit_code == 0, result.output

    context = browser.new_context(viewport=PHONE, locale="ja-JP")
    requested: list[str] = []

    def guard(route):
        url = route.request.url
        if url.startswith("file://"):
            route.continue_()
        else:
            requested.append(url)
            route.abort()

    context.route(re.compile(".*"), guard)
    context.on(
        "request",
        lambda r: None if r.url.startswith(("file:", "data:")) else requested.append(r.url),
    )
    page = context.new_page()
    page.goto((out / "test-2026.html").as_uri())
    assert "回答数: 15件" in page.inner_text("main") and "働く場所" in page.inner_text("main")
    assert _charts_loaded(page) == 3
    _clean(page, "static")
    shot(page, artifacts, "public-results-static")
    page.click("a.lang")
    assert page.url.endswith("test-2026.en.html")
    assert "Answers: 15" in page.inner_text("main")
    _charts_loaded(page)
    _clean(page, "static-en")
    context.close()
    assert requested == []
