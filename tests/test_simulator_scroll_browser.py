"""Issue #15, item 13: in the simulator the newest message is never hidden behind the
quick-reply row or an open rich menu, and each new message's quick replies start from the
first button. Headless Chromium against the demo served for real (tests/test_simulator_browser).
"""

from __future__ import annotations

import pytest

from tests import test_simulator_browser as sim
from tests.test_simulator_browser import says, type_text

browser, live, page = sim.browser, sim.live, sim.page  # the fixtures, shared

pytestmark = pytest.mark.browser

# where the newest bot message sits against what the chat shows (CSS pixels)
GEOMETRY = """() => {
  const chat = document.querySelector('#chat');
  const rows = chat.querySelectorAll('.row.bot');
  const last = rows[rows.length - 1];
  const box = chat.getBoundingClientRect();
  const msg = last.getBoundingClientRect();
  const quick = document.querySelector('#quick').getBoundingClientRect();
  return {chatTop: box.top, chatBottom: box.bottom, msgTop: msg.top, msgBottom: msg.bottom,
          quickTop: quick.top, quickHeight: quick.height,
          overflow: chat.scrollHeight > chat.clientHeight + 10};
}"""


def newest_in_view(page) -> dict:
    """The newest message lies inside the chat, above the quick-reply row; one taller than
    the chat is shown from its first line."""
    page.wait_for_timeout(0)  # let the resize observer run (no timing assert)
    g = page.evaluate(GEOMETRY)
    bottom = min(g["chatBottom"], g["quickTop"]) if g["quickHeight"] else g["chatBottom"]
    assert g["msgTop"] >= g["chatTop"] - 1, g
    if g["msgBottom"] - g["msgTop"] <= bottom - g["chatTop"]:
        assert g["msgBottom"] <= bottom + 1, g
    else:
        assert g["msgTop"] <= g["chatTop"] + 24, g  # its start, not its middle
    return g


def fill_the_chat(page) -> None:
    page.get_by_role("button", name="友だち追加").click()
    says(page, "同意いただけますか")
    for _ in range(4):
        type_text(page, "メニュー")
        says(page, "ご用件を選んでください")
    assert page.evaluate(GEOMETRY)["overflow"], "the chat must be longer than the screen"


def test_the_newest_message_is_above_the_quick_reply_row(page):
    fill_the_chat(page)
    type_text(page, "メニュー")
    page.locator("#quick .qr").first.wait_for()
    g = newest_in_view(page)
    assert g["quickHeight"] > 0  # the menu's quick replies are shown under it


def test_the_newest_message_stays_in_view_when_the_rich_menu_opens(page):
    fill_the_chat(page)
    if page.locator("#richmenu").is_hidden():
        pytest.skip("no rich menu in this build")
    page.locator("#richmenu-bar").click()
    page.wait_for_function("document.querySelector('#richmenu-img').naturalWidth > 0")
    page.wait_for_function("!document.querySelector('#richmenu-body').hidden")
    newest_in_view(page)
    with page.expect_response("**/simulator/api/send"):
        page.locator("#richmenu-areas").get_by_role("button", name="ヘルプ").click()
    page.wait_for_selector("#busy[hidden]", state="attached")
    says(page, "できること")
    g = newest_in_view(page)
    # item 11: the help fits on the screen even with the rich menu open
    assert g["msgBottom"] <= g["chatBottom"] + 1, g


def test_a_new_message_shows_its_quick_replies_from_the_first(page):
    fill_the_chat(page)
    bar = page.locator("#quick")
    bar.locator(".qr").first.wait_for()
    page.set_viewport_size({"width": 420, "height": 900})  # a phone-wide row that scrolls
    wide = page.evaluate(
        "() => { const b = document.querySelector('#quick');"
        " b.scrollLeft = 10000; return b.scrollLeft; }"
    )
    assert wide > 0, "the quick-reply row must be wider than the phone"
    type_text(page, "メニュー")
    bar.locator(".qr").first.wait_for()
    assert page.evaluate("document.querySelector('#quick').scrollLeft") == 0
    newest_in_view(page)


def test_reading_older_messages_is_not_interrupted_by_a_re_render(page):
    """Scrolling up to read is respected until something new arrives."""
    fill_the_chat(page)
    page.evaluate("document.querySelector('#chat').scrollTop = 0")
    page.evaluate("document.querySelector('#chat').dispatchEvent(new Event('scroll'))")
    page.get_by_role("button", name="山田 花子").click()  # the same resident: drawn again
    assert page.evaluate("document.querySelector('#chat').scrollTop") == 0
    type_text(page, "ヘルプ")
    says(page, "できること")
    newest_in_view(page)
