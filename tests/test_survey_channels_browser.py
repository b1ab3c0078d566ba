"""The results page's channel filter in headless Chromium, with JavaScript turned off."""

from __future__ import annotations

import pytest

from db import surveys as store
from db.session import transaction
from tests.survey_helpers import NOW, apply_survey, flush, onboard
from tests.test_console import PASSWORD, make_staff
from tests.test_console_browser import browser, live, shot  # noqa: F401 (fixtures)
from tests.test_console_surveys import answer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_channel_filter_works_without_javascript(
    app,
    live,  # noqa: F811
    browser,  # noqa: F811
    state,
    runner,
    resident,
    tmp_path,
    artifacts,
):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    for n in (1, 2):
        answer(onboard(resident(n)), "住みやすい", "8", None)
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for _ in range(5):
            answers = {"livability": ["住みにくい"], "reasons": ["traffic"], "happiness": [2]}
            profile = {"age_band": "40代", "district": "更科"}
            store.write_response(s, survey, answers, profile, NOW, channel="web", tz="Asia/Tokyo")
    flush(app)  # the survey's close: LINE's 2 stay sealed (fewer than 5 of the channel)
    make_staff(app, "etsuran@town.example.jp", "viewer")
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, locale="ja-JP", java_script_enabled=False
    )
    page = context.new_page()
    page.goto(f"{live}/admin/login")
    page.fill("input[name=email]", "etsuran@town.example.jp")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live}/admin/")

    page.goto(f"{live}/admin/surveys/test-2026")
    assert page.inner_text("[data-testid=responses]").startswith("5")
    # anonymous: counts under 5 hidden (the privacy rule, handlers/privacy.py)
    assert page.inner_text("[data-testid=channel-counts]") == "LINE <5件 ・ Web 5件 ・ 紙 <5件"
    nav = page.locator("[data-testid=channel-filter]")
    assert nav.locator("[aria-current=page]").inner_text() == "すべて（5件）"

    nav.locator("a", has_text="Web（5件）").click()
    page.wait_for_url(f"{live}/admin/surveys/test-2026?channel=web#results")
    assert page.inner_text("[data-testid=responses]").startswith("5")
    assert nav.locator("[aria-current=page]").inner_text() == "Web（5件）"
    assert "回答方法「Web」の回答 5件だけを集計しています" in page.inner_text(
        "[data-testid=channel-note]"
    )
    rows = page.locator("#q-livability tbody tr")
    assert rows.nth(3).inner_text().split("\t")[:3] == ["住みにくい", "5", "100.0%"]
    assert rows.nth(0).inner_text().split("\t")[:3] == ["住みやすい", "<5", "—"]
    shot(page, artifacts, "console-survey-channels", docs=True)

    nav.locator("a", has_text="すべて").click()
    page.wait_for_url(f"{live}/admin/surveys/test-2026#results")
    assert page.inner_text("[data-testid=responses]").startswith("5")
    context.close()
