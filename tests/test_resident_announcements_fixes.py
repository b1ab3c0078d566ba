"""Issue #15, items 8, 10 and 11: announcements lead somewhere (申し込む, 回答する, a link,
and always the menu), English residents get English (announcements, plan figures, the help's
contact) with a staff warning for what lacks it, and replies read well on a phone.

Every dialogue goes through the signed webhook against the validating fake LINE API.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from db.broadcasts import Broadcast
from db.events import Signup
from tests.survey_helpers import NOW, onboard
from tests.test_console import as_role
from tests.test_console_announcements import wait_until_finished

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "content" / "demo"
MENU = {"アンケート", "ワークショップ", "お知らせ設定", "ヘルプ"}


def st(app):
    return app.extensions["machikoe"]


def apply(runner, *names: str) -> None:
    for name in names:
        result = runner.invoke(args=["content", "apply", str(DEMO / name)])
        assert result.exit_code == 0, result.output


def send(runner, *args: str):
    return runner.invoke(args=["broadcast", "send", "--actor", "tester@town", *args])


def quick_labels(message: dict) -> list[str]:
    return [i["action"]["label"] for i in (message.get("quickReply") or {}).get("items", [])]


def broadcasts(app) -> int:
    with st(app).sessions() as s:
        return s.scalar(select(func.count()).select_from(Broadcast))


# --- item 8: an action, and always the menu ----------------------------------------------


def test_an_announcement_without_an_action_still_ends_with_the_menu(app, state, runner, resident):
    state.clock.fixed = NOW
    r = resident(1)
    r.follow()
    result = send(runner, "--text", "12月の広報誌ができました。")
    assert result.exit_code == 0, result.output
    got = r.news()
    assert "広報誌" in got[0]["text"]
    assert set(quick_labels(got[-1])) >= MENU  # not a dead end: the menu is right there
    assert "できること" in r.texts(r.tap("ヘルプ", got[-1:]))


def test_event_action_signs_up_with_one_tap(app, state, runner, resident):
    state.clock.fixed = NOW
    apply(runner, "events-district-otani.yml")
    r = resident(1)
    r.follow()
    result = send(
        runner, "--text", "大谷地区の懇談会を開きます。", "--action", "event:district-otani"
    )
    assert result.exit_code == 0, result.output
    got = r.news()
    card = next(m for m in got if m["type"] == "template")
    assert "地区懇談会（大谷地区）" in card["template"]["text"]
    assert "12月5日" in card["template"]["text"]  # the date in JST
    assert quick_labels(got[-1])[0] == "申し込む"  # the action first, then the menu
    assert set(quick_labels(got[-1])) >= MENU
    reply = r.tap("申し込む", [card])
    assert "お申し込みを受け付けました" in r.texts(reply)
    with st(app).sessions() as s:
        assert s.scalar(select(func.count()).select_from(Signup)) == 1


def test_survey_action_opens_the_survey(app, state, runner, resident):
    state.clock.fixed = NOW
    apply(runner, "survey-wellbeing-2026.yml")
    r = onboard(resident(1))
    result = send(
        runner, "--text", "幸せのアンケートにご協力ください。", "--action", "survey:wellbeing-2026"
    )
    assert result.exit_code == 0, result.output
    got = r.news()
    card = next(m for m in got if m["type"] == "template")
    assert "町民の幸せにかかるアンケート 2026" in card["template"]["text"]
    assert "12月25日" in card["template"]["text"]  # closes, in JST
    reply = r.tap("回答する", [card])
    assert "Q1" in r.texts(reply) or "1問目" in r.texts(reply)


def test_url_action_and_refusals_change_nothing(app, state, runner, resident, fake_line):
    state.clock.fixed = NOW
    apply(runner, "events-district-otani.yml")
    r = resident(1)
    r.follow()
    refused = [
        (["--action", "event:nope"], "no event"),
        (["--action", "survey:nope"], "no survey"),
        (["--action", "url:http://example.jp/map"], "https"),
        (["--action", "call:0242"], "event:ID, survey:ID or url:URL"),
        (["--action", "url:https://example.jp/a", "--link-label", "あ" * 21], "1 to 20"),
        (
            [
                "--action",
                "url:https://example.jp/a",
                "--link",
                "https://example.jp/b",
                "--link-label",
                "見る",
            ],
            "not both",
        ),
    ]
    for args, why in refused:
        result = send(runner, "--text", "お知らせ", *args)
        assert result.exit_code == 2 and why in result.output, (args, result.output)
    state.clock.fixed = NOW.replace(month=12, day=5)  # sign-up for 大谷 closed on 12/4
    result = send(runner, "--text", "お知らせ", "--action", "event:district-otani")
    assert result.exit_code == 2 and "closed" in result.output
    assert broadcasts(app) == 0 and fake_line.count("multicast") == 0

    state.clock.fixed = NOW
    result = send(
        runner,
        "--text",
        "会場の地図です。",
        "--action",
        "url:https://example.jp/map",
        "--link-label",
        "地図を見る",
    )
    assert result.exit_code == 0, result.output
    got = r.news()
    card = next(m for m in got if m["type"] == "template")
    assert card["template"]["actions"] == [
        {"type": "uri", "label": "地図を見る", "uri": "https://example.jp/map"}
    ]
    assert quick_labels(got[-1])[0] == "地図を見る"


# --- item 10: English ----------------------------------------------------------------------


def test_english_residents_get_the_english_text_and_staff_are_warned_without_it(
    app, state, runner, resident
):
    state.clock.fixed = NOW
    apply(runner, "events-district-otani.yml")
    ja, en = resident(1), resident(2, language="en")
    ja.follow()
    en.follow()
    dry = send(runner, "--text", "懇談会のお知らせ", "--dry-run")
    assert dry.exit_code == 0 and "英語の訳がありません: 本文" in dry.output

    result = send(
        runner,
        "--text",
        "大谷地区の懇談会を開きます。",
        "--text-en",
        "A district meeting in Otani.",
        "--action",
        "event:district-otani",
    )
    assert result.exit_code == 0, result.output
    assert "英語の訳がありません" not in result.output  # the event has English too
    got_ja, got_en = ja.news(), en.news()
    assert got_ja[0]["text"] == "大谷地区の懇談会を開きます。"
    assert got_en[0]["text"] == "A district meeting in Otani."
    card = next(m for m in got_en if m["type"] == "template")
    assert "District meeting (Otani)" in card["template"]["text"]
    assert quick_labels(got_en[-1])[0] == "Sign up"
    assert "Help" in quick_labels(got_en[-1])
    assert "District meeting (Otani)" in en.texts(en.tap("Sign up", [card]))


def test_no_warning_when_nobody_reads_english(app, state, runner, resident):
    state.clock.fixed = NOW
    resident(1).follow()
    dry = send(runner, "--text", "懇談会のお知らせ", "--dry-run")
    assert dry.exit_code == 0 and "英語の訳がありません" not in dry.output


def test_console_form_takes_english_text_and_an_action(app, state, runner, resident):
    state.clock.fixed = NOW
    apply(runner, "events-district-otani.yml")
    ja, en = resident(1), resident(2, language="en")
    ja.follow()
    en.follow()
    editor = as_role(app, "editor")
    page = editor.get("/admin/announcements").get_data(as_text=True)
    assert 'name="text_en"' in page and 'value="event:district-otani"' in page

    form = {"text": "懇談会を開きます。", "action": "event:district-otani", "when": "now"}
    check = editor.post("/admin/announcements/check", form).get_data(as_text=True)
    assert 'data-testid="translation-warning"' in check and "本文" in check
    assert "申し込む" in check  # the preview shows the button residents get

    bad = editor.post("/admin/announcements/check", {**form, "action": "event:nope"})
    assert bad.status_code == 400 and "nope" in bad.get_data(as_text=True)

    form["text_en"] = "We hold a district meeting."
    check = editor.post("/admin/announcements/check", form).get_data(as_text=True)
    assert 'data-testid="translation-warning"' not in check
    assert "We hold a district meeting." in check  # the English preview
    response = editor.post("/admin/announcements", form)
    assert response.status_code == 302
    b_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert wait_until_finished(app, b_id)["delivered"] == 2
    got = en.news()
    assert got[0]["text"] == "We hold a district meeting."
    assert quick_labels(got[-1])[0] == "Sign up"
    detail = editor.get(f"/admin/announcements/{b_id}").get_data(as_text=True)
    # staff read the button by the event's title, not its id
    assert "申し込む: 地区懇談会（大谷地区）" in detail and "event:district-otani" not in detail
    assert "We hold a district meeting." in detail


def test_plan_figures_in_english_form(app, runner, resident):
    apply(runner, "kpi.yml")
    en = resident(1, language="en")
    en.follow()
    shown = en.texts(en.say("Plan progress"))
    assert "million yen" in shown and "万円" not in shown and "億円" not in shown
    ja = resident(2)
    ja.follow()
    assert "万円" in ja.texts(ja.say("計画の進捗"))


def test_help_gives_the_contact_in_english(app, resident):
    en = resident(1, language="en")
    en.follow()
    shown = en.texts(en.say("Help"))
    assert "Planning Section" in shown and "企画課" not in shown
    ja = resident(2)
    ja.follow()
    assert "企画課" in ja.texts(ja.say("ヘルプ"))


def test_town_contact_without_english_is_named_for_staff(app, runner, resident, tmp_path):
    resident(1, language="en").follow()
    town = (DEMO / "town.yml").read_text(encoding="utf-8")
    plain = tmp_path / "town.yml"
    lines = [
        "contact: みらい野町 企画課 0242-00-0000" if line.startswith("contact:") else line
        for line in town.splitlines()
    ]
    plain.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(args=["content", "apply", str(plain)])
    assert result.exit_code == 0, result.output
    assert "問い合わせ先" in result.output


def test_contact_field_refuses_a_bad_mapping(runner, tmp_path):
    bad = tmp_path / "town.yml"
    bad.write_text(
        "kind: town\nname: テスト町\ndistricts: [大谷]\ncontact: {fr: Mairie}\n", encoding="utf-8"
    )
    result = runner.invoke(args=["content", "apply", str(bad)])
    assert result.exit_code != 0 and "contact" in result.output


# --- item 11: readable on a phone ----------------------------------------------------------

SMALL = {"xxs", "xs", "sm"}
LINE_WIDTH = 18  # full-width characters on one line of a chat bubble on a phone
SCREEN_LINES = 9  # ~300 px of chat with the rich menu open, 28.8 px a line in the simulator


def small_texts(node) -> list[str]:
    """Flex text (and spans) set smaller than `md`."""
    if isinstance(node, dict):
        found = [node.get("text", "")] if node.get("type") in {"text", "span"} else []
        found = found if node.get("size") in SMALL else []
        return found + [x for v in node.values() for x in small_texts(v)]
    if isinstance(node, list):
        return [x for v in node for x in small_texts(v)]
    return []


def screen_lines(text: str) -> int:
    """Lines a text takes in a phone's chat bubble (half-width characters count half)."""
    from unicodedata import east_asian_width

    total = 0
    for line in text.split("\n"):
        width = sum(1 if east_asian_width(c) in "WF" else 0.5 for c in line)
        total += max(1, -int(-width // LINE_WIDTH))
    return total


def test_flex_text_is_at_least_md_in_cards_confirmations_and_plan(app, state, runner, resident):
    state.clock.fixed = NOW
    apply(runner, "events-district-otani.yml", "events-district-nanatsumori.yml", "kpi.yml")
    r = resident(1)
    r.follow()
    seen = r.say("ワークショップ")
    seen += r.tap("申し込む", seen)
    seen += r.say("計画の進捗")
    flex = [m for m in seen if m["type"] == "flex"]
    assert len(flex) >= 3  # the cards, the confirmation and the targets
    assert [x for m in flex for x in small_texts(m["contents"])] == []


def test_help_fits_one_phone_screen(app, resident):
    ja = resident(1)
    ja.follow()
    [reply] = ja.say("ヘルプ")
    assert screen_lines(reply["text"]) <= SCREEN_LINES, reply["text"]
    assert "アンケート" in reply["text"] and "企画課" in reply["text"]
    assert {"アンケート", "計画の進捗", "私のデータ"} <= set(quick_labels(reply))


def test_series_sign_up_result_fits_one_phone_screen(app, state, runner, resident):
    state.clock.fixed = NOW
    apply(runner, "events-mirai-2026-1.yml", "events-mirai-2026-2.yml", "events-mirai-2026-3.yml")
    r = resident(1)
    r.follow()
    got = r.say("ワークショップ")
    got = r.tap("全3回まとめて申し込む", got)
    if "会場で参加" in r.buttons(got):
        got = r.tap("会場で参加", got)
    text = got[-1]["text"]
    assert "受付番号" in text and text.count("確定") == 3
    assert screen_lines(text) <= SCREEN_LINES, text
