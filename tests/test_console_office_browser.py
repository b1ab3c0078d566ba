"""Issue #16 points 3, 4, 5 and 7 in headless Chromium: a planning officer picks a topic and
sees who really receives it, picks a survey by its title, schedules with the time repeated in
JST, sees the clock warning go once the clock beats, and filters the audit log with selects
and date inputs. Screenshots go to test-artifacts/ (office-*.png)."""

from __future__ import annotations

import re

import pytest

from tests.survey_helpers import NOW, onboard
from tests.test_console import PASSWORD, make_staff
from tests.test_console_browser import browser, live, shot  # noqa: F401  (fixtures)
from tests.test_console_office_language import DEMO, beat
from tests.test_resident_topics_mydata import agree_and_skip_profile

pytestmark = pytest.mark.browser


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_office_reads_its_own_language(
    app,
    live,  # noqa: F811
    browser,  # noqa: F811
    state,
    runner,
    resident,
    artifacts,
):
    state.clock.fixed = NOW
    assert runner.invoke(args=["content", "apply", str(DEMO)]).exit_code == 0
    make_staff(app, "kikaku@town.example.jp", "admin")
    onboard(resident(1), district="磐梯")
    chose = resident(2)
    agree_and_skip_profile(chose)
    chose.tap("防災")
    chose.tap("決定")
    onboard(resident(3), district="磐梯").unfollow()

    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live, "kikaku@town.example.jp")
    banner = page.locator("[data-testid=clock-warning]")
    assert "定時処理（時計）が止まっています" in banner.inner_text()
    shot(page, artifacts, "office-dashboard-clock-warning")

    # the topic limits the audience; the check says who and who not
    page.click("nav >> text=お知らせ配信")
    page.fill("textarea[name=text]", "子育て広場を12月に開きます。")
    page.select_option("select[name=topic]", "子育て")
    page.click("summary:has-text('まだ回答していないアンケート')")
    survey_box = page.get_by_label("町民アンケート 2026", exact=False).last
    assert survey_box.get_attribute("value") == "resident-2026"
    survey_box.check()
    page.check("input[name=when][value=later]")
    page.fill("input[name=send_at]", "2026-12-05T18:30")
    page.click("text=送る相手の人数と通数を確認")
    check = page.locator("#check")
    assert page.inner_text("[data-testid=recipients]") == "1人"
    assert "分野「子育て」を外している人: 1人" in check.inner_text()
    assert "ブロック中で送れない人: 1人" in check.inner_text()
    assert "12月5日(土) 18:30" in page.inner_text("[data-testid=send-time]")
    assert "同じ内容を24時間以内に送った相手にも、もう一度送る" in check.inner_text()
    check.scroll_into_view_if_needed()
    shot(page, artifacts, "office-announcement-check")

    page.click("[data-testid=send]")
    page.wait_for_url(re.compile(r"/admin/announcements/\d+$"))  # not …/check
    main = page.inner_text("main")
    assert "12月5日(土) 18:30 に配信を予約しました" in main
    assert "送る相手（見込み）" in main and page.locator("progress").count() == 0
    shot(page, artifacts, "office-announcement-scheduled")

    # the segment builder speaks in titles and names
    page.click("text=← お知らせ配信")
    page.click("summary:has-text('申し込んだイベント')")
    builder = page.inner_text("#compose")
    assert "地区懇談会（磐梯地区）（12月8日(火)）" in builder
    shot(page, artifacts, "office-segment-builder")

    # the clock beats: the banner goes
    beat(app, NOW)
    page.reload()
    assert page.locator("[data-testid=clock-warning]").count() == 0

    # the audit log: selects and dates, labels in Japanese
    page.click("nav >> text=操作履歴")
    page.select_option("select[name=actor]", "kikaku@town.example.jp")
    page.select_option("select[name=action]", "broadcast.create")
    page.fill("input[name=from]", "2026-11-28")
    page.fill("input[name=until]", "2026-11-28")
    page.click("text=絞り込む")
    page.wait_for_url("**/admin/audit?*")
    table = page.inner_text("#audit")
    assert "お知らせを作成（配信・予約）" in table and "11月28日(土) 12:00" in table
    assert "ログイン" not in table
    assert (
        page.locator("#audit a", has_text="broadcast:1")
        .get_attribute("href")
        .endswith("/admin/announcements/1")
    )
    shot(page, artifacts, "office-audit-filtered")
    assert not errors, errors
    page.close()
