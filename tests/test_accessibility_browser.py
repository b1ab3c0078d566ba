"""Accessibility (JIS X 8341-3:2016 = WCAG 2.1 AA): axe-core on every page, and the keyboard.

The demo is served in demo mode (the simulator on, demo residents, answers and opinions
loaded, like `make run`), and headless Chromium opens every console page for each role, the
simulator and the public pages. axe-core runs the WCAG 2.0/2.1 A and AA rules on each: there
must be no violation. Then the main forms are used with the keyboard alone.
"""

from __future__ import annotations

import re
import shutil
import threading
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from bot import create_app
from bot.config import DEMO_ACCESS_TOKEN, DEMO_CHANNEL_SECRET, Settings
from bot.console.docs import GUIDES
from bot.state import build_state
from db.opinions import Opinion
from tests.test_console import PASSWORD, make_staff
from tests.test_console_browser import browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

DEMO_NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 12:00 JST, the demo surveys are open
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ROLES = ("viewer", "editor", "admin")
SURVEY = "resident-2026"
# GET routes that are files, JSON or redirects, not pages (checked to exist below)
NOT_PAGES = {
    "console.dashboard_slashless",
    "console.static",
    "console.guide_image",
    "console.event_attendees",
    "console.event_door_sheet",
    "console.opinions_export",
    "console.survey_chart",
    "console.survey_export",
    "console.survey_results_workbook",
    "console.survey_workbook",
    "console.survey_workbook_blank",
    "console.announcement_progress",
}


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        """No access log in test output."""


@pytest.fixture
def site(tmp_path, sqlite_template):
    """The demo served on loopback (demo mode, demo data loaded), its app and base URL."""
    db = tmp_path / "demo.db"
    shutil.copy(sqlite_template, db)
    holder: dict = {}
    server = make_server(
        "127.0.0.1",
        0,
        lambda environ, start: holder["app"](environ, start),
        threaded=True,
        request_handler=_Quiet,
    )
    base = f"http://127.0.0.1:{server.server_port}"
    settings = Settings(
        line_channel_secret=DEMO_CHANNEL_SECRET,
        line_channel_access_token=DEMO_ACCESS_TOKEN,
        line_api_base_url=base + "/simulator/line",
        line_data_api_base_url=base + "/simulator/line",
        database_url=f"sqlite:///{db}",
        secret_key="accessibility-test-key",
        simulator_enabled=True,
        demo_mode=True,
        public_base_url=base,
    )
    state = build_state(settings)
    started = datetime.now(UTC)
    state.clock = lambda: DEMO_NOW + (datetime.now(UTC) - started)
    app = create_app(state=state)
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http on loopback
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.daemon = True
    thread.start()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    at = (DEMO_NOW + timedelta(days=3)).isoformat()
    sent = runner.invoke(args=["broadcast", "send", "--text", "防災訓練のお知らせ", "--at", at])
    assert sent.exit_code == 0, sent.output
    published = runner.invoke(args=["surveys", "publish", SURVEY])
    assert published.exit_code == 0, published.output
    for role in ROLES:
        make_staff(app, f"{role}@example.jp", role)
    yield app, base
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
    state.engine.dispose()


def _pages(app) -> list[str]:
    """Every console page (each GET route that is a page), with real ids filled in."""
    from db.broadcasts import Broadcast
    from db.events import Event

    with app.extensions["machikoe"].sessions() as s:
        broadcast_id = s.query(Broadcast.id).order_by(Broadcast.id).first()[0]
        event_id = s.query(Event.id).order_by(Event.starts_at).first()[0]
        opinion_id = s.query(Opinion.id).order_by(Opinion.id).first()[0]
    values = {
        "broadcast_id": broadcast_id,
        "event_id": event_id,
        "opinion_id": opinion_id,
        "survey_id": SURVEY,
        "question_id": "wishes",
    }
    pages = []
    with app.test_request_context():
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if not rule.endpoint.startswith("console.") or "GET" not in rule.methods:
                continue
            if rule.endpoint in NOT_PAGES:
                continue
            if rule.endpoint == "console.guide":
                pages += [url_for(rule.endpoint, name=name) for name in GUIDES]
                continue
            pages.append(url_for(rule.endpoint, **{a: values[a] for a in rule.arguments}))
    return sorted(set(pages))


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def _violations(page, where: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": WCAG_AA}, "resultTypes": ["violations"]}
    results = Axe().run(page, options=options)
    out = []
    for v in results.response["violations"]:
        targets = [", ".join(n["target"]) for n in v["nodes"]][:4]
        out.append(f"{where}: {v['id']} ({v['impact']}) {v['help']} → {targets}")
    return out


def test_every_page_has_no_wcag_aa_violations(site, browser):  # noqa: F811
    app, base = site
    found: list[str] = []
    checked = 0
    pages = _pages(app)
    assert "/admin/digest" in pages and any(p.startswith("/admin/opinions/") for p in pages)
    for role in ROLES:
        context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="ja-JP")
        page = context.new_page()
        _sign_in(page, base, f"{role}@example.jp")
        for url in pages:
            response = page.goto(base + url)
            if response.status == 403:  # not this role's page (an admin opens it below)
                continue
            assert response.status == 200, f"{role} {url}: {response.status}"
            found += _violations(page, f"{role} {url}")
            checked += 1
        context.close()
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    page = context.new_page()
    for url in ("/admin/login", "/simulator", "/results/", f"/results/{SURVEY}", f"/s/{SURVEY}"):
        response = page.goto(base + url)
        assert response.status == 200, f"{url}: {response.status}"
        found += _violations(page, url)
        checked += 1
    # the simulator in use: a resident added, following, a question with quick replies
    page.goto(base + "/simulator")
    page.fill("#new-name", "山田 花子")
    page.get_by_role("button", name="住民を追加").click()
    page.get_by_role("button", name="友だち追加").click()
    page.locator("#quick button").first.wait_for(timeout=20_000)
    found += _violations(page, "/simulator (a conversation)")
    page.locator("#quick button", has_text="同意しない").click()
    page.fill("#text", "ワークショップ")
    page.keyboard.press("Enter")
    page.locator(".fx-bubble").first.wait_for(timeout=20_000)
    found += _violations(page, "/simulator (flex cards)")
    context.close()
    assert checked >= 3 * 20, checked
    assert not found, "\n".join(found)


# --- the keyboard alone ----------------------------------------------------------------------


def _tab_to(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching selector has the focus; its focus must show."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            style = page.evaluate(
                "() => { const c = getComputedStyle(document.activeElement);"
                " return [c.outlineStyle, c.outlineWidth, c.boxShadow]; }"
            )
            assert style[0] != "none" or style[2] != "none", f"focus not visible on {selector}"
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_main_forms_work_with_the_keyboard_alone(site, browser):  # noqa: F811
    app, base = site
    with app.extensions["machikoe"].sessions() as s:
        op = s.query(Opinion).filter(Opinion.status == "open").order_by(Opinion.id).first()
        op_id = op.id
    context = browser.new_context(viewport={"width": 1200, "height": 900}, locale="ja-JP")
    page = context.new_page()

    # sign in: Tab to each field, type, Enter
    page.goto(f"{base}/admin/login")
    _tab_to(page, "input[name=email]")
    page.keyboard.type("editor@example.jp")
    _tab_to(page, "input[name=password]")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/admin/")

    # an opinion: status (arrow keys move within the radio group), memo, save
    page.goto(f"{base}/admin/opinions/{op_id}")
    _tab_to(page, "input[name=status]:checked")
    page.keyboard.press("ArrowRight")  # 未対応 → 対応中
    _tab_to(page, "#memo")
    page.keyboard.type("担当課に確認しています")
    _tab_to(page, f"form[action$='/opinions/{op_id}'] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash")
    assert "保存しました" in page.inner_text(".flash")
    with app.extensions["machikoe"].sessions() as s:
        row = s.get(Opinion, op_id)
        assert (row.status, row.memo) == ("in_progress", "担当課に確認しています")

    # the reply: type, preview, send
    _tab_to(page, "#reply-body")
    page.keyboard.type("ご意見ありがとうございます。担当課で検討します。")
    _tab_to(page, "button[value=preview]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#reply-preview")
    assert "へのお返事です" in page.inner_text("#reply-preview")
    _tab_to(page, "button[value=send]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash")
    assert "送りました" in page.inner_text(".flash")

    # an announcement: the text, the check, the send
    page.goto(f"{base}/admin/announcements")
    _tab_to(page, "textarea[name=text]")
    page.keyboard.type("広報みらい野 12月号を配布しました。")
    _tab_to(page, "#compose button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("[data-testid=send]")
    _tab_to(page, "[data-testid=send]")
    page.keyboard.press("Enter")
    # the check page's own URL (…/announcements/check) matches a glob too: wait for the id
    page.wait_for_url(re.compile(r"/admin/announcements/\d+$"))
    assert "配信" in page.inner_text(".flash")

    # check-in at the door: the code field has the focus, Enter records it
    from db.events import Signup

    with app.extensions["machikoe"].sessions() as s:
        signup = s.query(Signup).filter(Signup.status == "confirmed").first()
        event_id, code, signup_id = signup.event_id, signup.attendance_code, signup.id
    page.goto(f"{base}/admin/events/{event_id}")
    assert page.evaluate("document.activeElement.name") == "code"
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_selector(".flash")
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Signup, signup_id).attended_at is not None
    context.close()
