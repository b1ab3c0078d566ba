"""The console's remaining forms with the keyboard alone, in headless Chromium (JIS X 8341-3 /
WCAG 2.1.1): the survey builder (add a question, save), a paper sheet, the event form, a new
staff account and the digest settings. Only Tab, Shift+Tab, Space, Enter and typing are used
(and, inside a select or a radio group, the arrow keys, which is how a keyboard moves
between its options); every
control reached must show its focus. Each test then reads what was stored.

The sign-in, live-server and browser setup are those of tests/test_console_office_browser.py.
"""

from __future__ import annotations

import pytest

from db import events as db_events
from db import surveys as store
from db.staff import Staff
from db.surveys import SurveyAnswer
from handlers import staff as staff_accounts
from tests.conftest import ROOT
from tests.survey_helpers import NOW, SurveyResponse, apply_survey, count
from tests.test_console import PASSWORD, make_staff
from tests.test_console_browser import browser, live, shot  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

EVENT = ROOT / "content" / "demo" / "events-district-otani.yml"


def focus_is(page, selector: str) -> bool:
    return page.evaluate("s => document.activeElement.matches(s)", selector)


def _focus_shows(page, selector: str) -> None:
    style = page.evaluate(
        "() => { const c = getComputedStyle(document.activeElement);"
        " return [c.outlineStyle, c.outlineWidth, c.boxShadow]; }"
    )
    assert style[0] != "none" or style[2] != "none", f"focus not visible on {selector}"


def tab_to(page, selector: str, back: bool = False, limit: int = 400) -> None:
    """Press Tab (Shift+Tab with back) until the element matching selector has the focus."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        if focus_is(page, selector):
            _focus_shows(page, selector)
            return
    raise AssertionError(f"{key} never reached {selector}")


def sign_in(page, base: str, email: str) -> None:
    """Sign in with the keyboard: Tab to each field, type, Enter."""
    page.goto(f"{base}/admin/login")
    tab_to(page, "input[name=email]")
    page.keyboard.type(email)
    tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/admin/")


def new_page(browser, errors: list[str]):  # noqa: F811
    page = browser.new_page(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def test_the_survey_builder_adds_a_question_and_saves_by_keyboard(
    app,
    live,  # noqa: F811
    browser,  # noqa: F811
    state,
    runner,
    tmp_path,
    artifacts,
):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=True).exit_code == 0
    make_staff(app, "kikaku@town.example.jp", "editor")
    errors: list[str] = []
    page = new_page(browser, errors)
    sign_in(page, live, "kikaku@town.example.jp")
    page.goto(f"{live}/admin/surveys/test-2026/edit")

    # ＋ 自由記述: the page comes back with the new question, which has the focus
    tab_to(page, "button[value='add:text']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#q-4")
    assert focus_is(page, "#q-4")
    tab_to(page, "textarea[name='q4.text']")
    page.keyboard.type("地域の行事で困っていることをお書きください")
    tab_to(page, "input[name='q4.required']")
    page.keyboard.press("Space")  # 必須 off: a free-text question may be skipped
    assert not page.is_checked("input[name='q4.required']")
    tab_to(page, "input[name='q4.max_length']", back=True)  # past it: back with Shift+Tab
    tab_to(page, "input[name='q4.required']", back=True)
    shot(page, artifacts, "keyboard-builder")
    tab_to(page, ".sticky-actions button[value=save]")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live}/admin/surveys/test-2026")
    with state.sessions() as s:
        survey = store.get_survey(s, "test-2026")
        assert survey is not None and len(survey.questions) == 5
        added = survey.questions[-1]
        assert added["type"] == "text"
        assert added["text"]["ja"] == "地域の行事で困っていることをお書きください"
        assert added.get("required") is False
    assert not errors, errors
    page.close()


def test_a_paper_sheet_by_tab_space_and_typing(
    app,
    live,  # noqa: F811
    browser,  # noqa: F811
    state,
    runner,
    tmp_path,
):
    state.clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0  # stored at once
    make_staff(app, "kikaku@town.example.jp", "editor")
    errors: list[str] = []
    page = new_page(browser, errors)
    sign_in(page, live, "kikaku@town.example.jp")
    page.goto(f"{live}/admin/surveys/test-2026/paper")
    assert focus_is(page, "#sheet") and page.input_value("#sheet") == "1"

    # Tab into each group of choices, Space picks the focused one (its first); the age band
    # moves on one with the arrow key, as in any radio group (15歳以下 may not answer)
    for name in ("age_band", "district", "residency", "q_livability"):
        tab_to(page, f"input[name={name}]")
        page.keyboard.press("Space")
        assert page.is_checked(f"input[name={name}] >> nth=0"), name
        if name == "age_band":
            page.keyboard.press("ArrowRight")
            assert page.is_checked("input[name=age_band] >> nth=1")
    tab_to(page, "input[name=q_happiness]")
    page.keyboard.type("8")
    tab_to(page, "textarea[name=q_wishes]")
    page.keyboard.type("バスを増やしてほしい")
    tab_to(page, "#save")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=回答番号 1 を保存しました。")
    assert page.inner_text("[data-testid=entered]") == "1"
    assert count(app, SurveyResponse, channel="paper") == 1
    with state.sessions() as s:
        [row] = s.query(SurveyResponse).filter(SurveyResponse.channel == "paper").all()
        assert row.age_band == "16〜19歳" and row.district and row.residency == "resident"
        got = {
            a.question_id: a.value
            for a in s.query(SurveyAnswer).filter(SurveyAnswer.response_id == row.id)
        }
    assert got == {"livability": "住みやすい", "happiness": "8", "wishes": "バスを増やしてほしい"}
    assert not errors, errors
    page.close()


def test_the_event_form_by_keyboard(
    app,
    live,  # noqa: F811
    browser,  # noqa: F811
    state,
    runner,
):
    state.clock.fixed = NOW
    assert runner.invoke(args=["content", "apply", str(EVENT)]).exit_code == 0
    make_staff(app, "kikaku@town.example.jp", "editor")
    errors: list[str] = []
    page = new_page(browser, errors)
    sign_in(page, live, "kikaku@town.example.jp")
    page.goto(f"{live}/admin/events/district-otani/edit")
    # Tab selects a text field's words, so typing replaces them
    tab_to(page, "input[name=title]")
    page.keyboard.type("地区懇談会（大谷地区）【会場変更】")
    tab_to(page, "input[name=capacity_onsite]")
    page.keyboard.type("60")
    tab_to(page, "input[name=venue]", back=True)  # back up to the venue with Shift+Tab
    page.keyboard.type("大谷公民館 2階")
    tab_to(page, "main form.stack button.primary")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live}/admin/events/district-otani")
    with state.sessions() as s:
        event = db_events.get_event(s, "district-otani")
        assert event is not None
        assert event.title["ja"] == "地区懇談会（大谷地区）【会場変更】"
        assert event.capacity_onsite == 60
        assert event.venue["ja"] == "大谷公民館 2階"
        assert event.title.get("en") == "District meeting (Otani)"  # kept: not on the form
    assert not errors, errors
    page.close()


def test_a_new_staff_account_and_the_digest_settings_by_keyboard(
    app,
    live,  # noqa: F811
    browser,  # noqa: F811
    state,
):
    state.clock.fixed = NOW
    make_staff(app, "kikaku@town.example.jp", "admin")
    errors: list[str] = []
    page = new_page(browser, errors)
    sign_in(page, live, "kikaku@town.example.jp")

    # 職員を追加: address, first password, the role (the select's arrow key), Enter
    page.goto(f"{live}/admin/staff")
    tab_to(page, "form[action$='/admin/staff'] input[name=email]")
    page.keyboard.type("hoken@town.example.jp")
    tab_to(page, "form[action$='/admin/staff'] input[name=password]")
    page.keyboard.type("hoken-first-password")
    tab_to(page, "form[action$='/admin/staff'] select[name=role]")
    page.keyboard.press("ArrowDown")  # 閲覧者 → 編集者
    tab_to(page, "form[action$='/admin/staff'] button.primary")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash")
    with state.sessions() as s:
        added = s.query(Staff).filter(Staff.email == "hoken@town.example.jp").one()
        assert added.role == "editor" and added.active

    # 設定: recipients, the day, the time; Shift+Tab back to the day to change it again
    page.goto(f"{live}/admin/settings")
    tab_to(page, "textarea[name=emails]")
    page.keyboard.type("kikaku@town.example.jp\nsoumu@town.example.jp")
    tab_to(page, "select[name=day_of_week]")
    page.keyboard.press("ArrowDown")  # 月 → 火
    tab_to(page, "input[name=time]")
    page.keyboard.type("0730")
    tab_to(page, "select[name=day_of_week]", back=True)
    page.keyboard.press("ArrowDown")  # 火 → 水
    tab_to(page, "main form.stack button.primary")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash")
    with state.sessions() as s:
        saved = staff_accounts.digest_settings(s)
    assert saved["emails"] == ["kikaku@town.example.jp", "soumu@town.example.jp"]
    assert (saved["day_of_week"], saved["hour"], saved["minute"]) == ("wed", 7, 30)
    assert not errors, errors
    page.close()
