"""The console in a real browser (headless Chromium through Playwright).

A planning officer signs in, uploads a survey with a mistake and then the fix, reads the
results after residents answered in LINE, and composes and schedules an announcement.
Skipped (with the reason) when Chromium or Playwright is missing, unless CI is set.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from bot.jobs import count_words
from tests.survey_helpers import NOW, flush, onboard
from tests.test_console import PASSWORD, make_staff
from tests.test_console_surveys import BROKEN, GOOD, XSS, answer

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DOCS_IMG = Path(__file__).resolve().parents[1] / "docs" / "img"

pytestmark = pytest.mark.browser


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -r requirements-dev.txt)"
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        return f"{CHROMIUM} is missing (apt-get install -y chromium fonts-noto-cjk)"
    return None


@pytest.fixture
def browser():
    reason = _missing()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def live(app):
    """The app served for real on a free loopback port, in a thread."""
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http on loopback in this test only
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def shot(page, artifacts, name: str, docs: bool = False) -> None:
    path = artifacts / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("MACHIKOE_UPDATE_DOC_IMAGES"):  # refresh docs/img on request
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_IMG / f"{name}.png")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_planning_officer_works_in_the_browser(
    app, live, browser, state, resident, tmp_path, artifacts
):
    state.clock.fixed = NOW
    make_staff(app, "kikaku@town.example.jp", "editor")
    for n, district in ((1, "七ツ森"), (2, "七ツ森"), (3, "大谷"), (4, "大谷"), (5, "大谷")):
        onboard(resident(n), district=district)

    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # sign in (a wrong password first)
    page.goto(f"{live}/admin/")
    assert "/admin/login" in page.url
    page.fill("input[name=email]", "kikaku@town.example.jp")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "パスワードが違います" in page.inner_text("main")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/admin/")
    assert "ダッシュボード" in page.inner_text("h1")
    assert page.inner_text("[data-testid=friends]").startswith("5")

    # a survey file with a mistake, then the fix
    broken, fixed = tmp_path / "町民アンケート.yml", tmp_path / "fixed" / "町民アンケート.yml"
    fixed.parent.mkdir()
    broken.write_text(BROKEN, encoding="utf-8")
    fixed.write_text(GOOD, encoding="utf-8")
    page.click("nav >> text=アンケート")
    page.set_input_files("input[type=file]", str(broken))
    page.click("text=アップロードして反映")
    alert = page.inner_text(".errors")
    assert "反映しませんでした" in alert
    assert "3問目「いま、どのくらい幸せですか」: 種類「slider」は使えません" in alert
    page.click("text=ファイルの場所（技術的な詳細）")
    assert "町民アンケート.yml:23: questions.2.type" in page.inner_text(".errors")
    shot(page, artifacts, "console-survey-error", docs=True)
    page.set_input_files("input[type=file]", str(fixed))
    page.click("text=アップロードして反映")
    page.wait_for_url(f"{live}/admin/surveys/test-2026")
    assert "を追加しました" in page.inner_text(".flash")

    # residents answer in LINE; the officer reads the results
    answer(resident(1), "住みやすい", "8", XSS)
    answer(resident(2), "住みにくい", "4", "バスを増やしてほしい")
    answer(resident(3), "住みやすい", "9", "バスの本数が少ない")
    answer(resident(4), "住みやすい", "7", None)
    answer(resident(5), "住みやすい", "6", None)
    page.reload()
    assert page.inner_text("[data-testid=pending]").startswith("保留中 5件")  # anonymous
    flush(app)  # the survey's close: the five held answers (at least 5) go in together
    count_words(app.extensions["machikoe"])  # the clock's `words` job: the page reads them
    page.reload()
    assert page.inner_text("[data-testid=responses]").startswith("5")
    assert XSS in page.inner_text("#q-wishes")  # shown as text, not run
    assert page.evaluate("() => window.__xss === undefined")
    chart = page.locator("#q-livability img.chart")
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=chart.element_handle()
    )
    assert "バス" in page.inner_text("#q-wishes .words")
    assert "<5" in page.inner_text("table.crosstab")
    shot(page, artifacts, "console-survey-results", docs=True)

    # compose an announcement for one district and schedule it
    page.click("nav >> text=お知らせ配信")
    page.fill(
        "textarea[name=text]", "12月の防災訓練は12月7日(日) 9時から、七ツ森公民館で行います。"
    )
    assert "防災訓練" in page.inner_text("#preview-text")  # the live preview
    page.click("summary:has-text('地区')")
    page.check("input[name=seg_district][value=七ツ森]")
    page.check("input[name=when][value=later]")
    page.fill("input[name=send_at]", "2026-11-30T09:00")
    page.click("text=送る相手の人数と通数を確認")
    assert page.inner_text("[data-testid=recipients]") == "2人"
    assert "防災訓練" in page.inner_text(".phone")
    shot(page, artifacts, "console-announcement-check", docs=True)
    page.click("[data-testid=send]")
    page.wait_for_url(re.compile(r"/admin/announcements/\d+$"))  # not …/check
    assert "配信を予約しました" in page.inner_text(".flash")
    assert "11月30日(月) 09:00" in page.inner_text("main")
    page.click("nav >> text=ダッシュボード")
    assert "予約済み" in page.inner_text("main")
    shot(page, artifacts, "console-dashboard", docs=True)

    page.click("nav >> text=ご意見")
    page.wait_for_url(f"{live}/admin/opinions")
    assert "ご意見・パブリックコメント" in page.inner_text("main h1")
    page.select_option("select[name=kind]", "comment")
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{live}/admin/opinions?kind=comment")

    page.click("text=ログアウト")
    page.wait_for_url(f"{live}/admin/login")
    assert not errors, errors
    page.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_viewer_sees_no_forms_in_the_browser(app, live, browser):
    make_staff(app, "viewer@town.example.jp", "viewer")
    page = browser.new_page(locale="ja-JP")
    page.goto(f"{live}/admin/login")
    page.fill("input[name=email]", "viewer@town.example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/admin/")
    assert "閲覧者の権限" in page.inner_text("main")
    page.goto(f"{live}/admin/announcements")
    assert page.locator("textarea[name=text]").count() == 0
    page.goto(f"{live}/admin/staff")
    assert "権限がありません" in page.inner_text("main")

    page.click("text=viewer@town.example.jp")  # their own account: any role may change it
    page.wait_for_url(f"{live}/admin/account")
    page.fill("input[name=current_password]", PASSWORD)
    page.fill("input[name=new_password]", "a-new-and-longer-secret")
    page.fill("input[name=confirm_password]", "a-new-and-longer-secret")
    page.click("main button[type=submit]")
    assert "パスワードを変更しました" in page.locator("p.flash.ok").inner_text()
    page.close()
