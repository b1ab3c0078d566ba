"""Names on the door list (issue #16): asked once a seat is confirmed; はい puts the LINE
display name (cleaned, formula-neutralised) on the sheet, いいえ or no answer leaves it blank;
foreign and stale taps are refused; cancel and 私のデータ deletion clear it. Signed webhooks
through the app, the fake LINE API serving the profiles, both databases."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import func, select

from db.events import Signup
from tests.test_console import as_role
from tests.test_events import event_doc, pb, setup_events, signup_row

ASK = "受付でお名前を確認するため、LINEの表示名を名簿に載せてもよいですか？"
SAVED = "名簿にLINEの表示名を載せます"
STALE = "このボタンは使えなくなりました"


def seat(resident, n: int, name: str | None = "山田 花子", mode: str = "onsite"):
    """A resident with this display name takes a seat; the question comes with the card."""
    r = resident(n)
    if name is not None:
        r.fake.profiles[r.id]["displayName"] = name
    got = r.postback(pb("ev_mode", f"ws-1:{mode}"))
    assert ASK in r.texts(got)
    assert {"はい", "いいえ"} <= set(r.buttons(got))
    return r


def sheet_names(app) -> list:
    """名前 column of the door sheet, downloaded from the console (one viewer per app)."""
    viewer = app.config.get("door_viewer")
    if viewer is None:
        viewer = app.config["door_viewer"] = as_role(app, "viewer")
    got = viewer.get("/admin/events/ws-1/door.xlsx")
    assert got.status_code == 200
    ws = load_workbook(io.BytesIO(got.data))["受付名簿"]
    return [row[1].value for row in ws.iter_rows(min_row=5)]


def cli_names(runner, tmp_path) -> list:
    """名前 column of the door sheet written by the CLI."""
    out = tmp_path / "door.xlsx"
    result = runner.invoke(args=["events", "door-sheet", "ws-1", "--output", str(out)])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out)["受付名簿"]
    return [row[1].value for row in ws.iter_rows(min_row=5)]


def test_yes_puts_the_display_name_on_the_sheet_and_my_data(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    r = seat(resident, 1)
    got = r.tap("はい")
    assert SAVED in r.texts(got)
    assert signup_row(app, r.id, "ws-1").door_name == "山田 花子"
    assert sheet_names(app) == ["山田 花子"]
    assert cli_names(runner, tmp_path) == ["山田 花子"]
    assert "受付名簿の名前: 山田 花子" in r.texts(r.say("私のデータ"))


def test_no_or_no_answer_leaves_it_blank_and_one_can_change_ones_mind(
    app, runner, state, tmp_path, resident
):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    quiet = seat(resident, 1, "答えない人")  # never answers
    r = seat(resident, 2, "佐藤")
    question = list(r.inbox[-2:])  # the card and the question
    got = r.tap("いいえ")
    assert "名簿には載せません" in r.texts(got)
    assert signup_row(app, r.id, "ws-1").door_name is None
    assert sheet_names(app) == [None, None]
    r.tap("はい", question)  # the same question, answered again: はい
    assert signup_row(app, r.id, "ws-1").door_name == "佐藤"
    r.tap("いいえ", question)
    assert signup_row(app, r.id, "ws-1").door_name is None
    assert signup_row(app, quiet.id, "ws-1").door_name is None
    assert "受付名簿の名前" not in r.texts(r.say("私のデータ"))


def test_waitlisted_and_english(app, runner, state, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 5})
    )
    seat(resident, 1)
    waiting = resident(2)
    got = waiting.postback(pb("ev_wait", "ws-1:onsite"))
    assert ASK not in waiting.texts(got)  # no seat yet: not asked
    en = resident(3, language="en")
    en.follow()  # the language comes from the LINE profile on follow
    en.postback(pb("ev_mode", "ws-1:online"))  # hybrid: online seats are free
    assert "LINE display name on the list at the door" in en.texts(en.inbox)
    got = en.tap("Yes")
    assert "will be on the door list" in en.texts(got)
    assert signup_row(app, en.id, "ws-1").door_name == "テスト"


def test_foreign_and_stale_taps_are_refused_and_change_nothing(
    app, runner, state, tmp_path, resident
):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    owner = seat(resident, 1, "持ち主")
    buttons = owner.buttons()
    yes, no = buttons["はい"]["data"], buttons["いいえ"]["data"]
    other = seat(resident, 2, "他人")
    stranger = resident(3)  # not signed up at all
    for who in (other, stranger):
        got = who.postback(yes)
        assert STALE in who.texts(got)
    assert signup_row(app, owner.id, "ws-1").door_name is None
    assert signup_row(app, other.id, "ws-1").door_name is None
    assert signup_row(app, stranger.id, "ws-1") is None
    own = signup_row(app, owner.id, "ws-1").id
    for value in ("ws-1", "ws-1:", "ws-1:x", f"ws-1:{own + 100}", f"nope:{own}", "", "ws-1:１"):
        got = owner.postback(pb("ev_name_yes", value))
        assert STALE in owner.texts(got), value
    assert signup_row(app, owner.id, "ws-1").door_name is None
    owner.postback(pb("ev_cancel_yes", "ws-1"))
    for data in (yes, no):  # the sign-up was cancelled: the old question is stale
        assert STALE in owner.texts(owner.postback(data))
    assert signup_row(app, owner.id, "ws-1").door_name is None
    assert sheet_names(app) == [None]  # only the other one, who never said はい


def test_hostile_display_name_is_cleaned_cut_and_neutralised(
    app, runner, state, tmp_path, resident
):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    hostile = "=cmd|' /C calc'!A0\x00\x1b[31m\u202e\u200b\r\nＡＢＣ" + "あ" * 200
    r = seat(resident, 1, hostile)
    r.tap("はい")
    stored = signup_row(app, r.id, "ws-1").door_name
    assert len(stored) == 40
    assert stored.startswith("=cmd|' /C calc'!A0[31m ABCあ")  # NFKC; control characters gone
    assert not any(ch in stored for ch in "\x00\x1b\u202e\u200b\r\n")
    assert sheet_names(app) == ["'" + stored]  # shown as text, never run as a formula
    assert cli_names(runner, tmp_path) == ["'" + stored]
    blank = seat(resident, 2, "\x07\u200b  \t")  # nothing left once cleaned: blank
    blank.tap("はい")
    assert signup_row(app, blank.id, "ws-1").door_name is None


def test_cancel_and_my_data_deletion_clear_the_name(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    r = seat(resident, 1, "消える名前")
    r.tap("はい")
    assert signup_row(app, r.id, "ws-1").door_name == "消える名前"
    r.postback(pb("ev_cancel_yes", "ws-1"))
    assert signup_row(app, r.id, "ws-1").door_name is None
    assert sheet_names(app) == []
    got = r.postback(pb("ev_mode", "ws-1:onsite"))  # signed up again: asked again, blank so far
    assert ASK in r.texts(got)
    assert signup_row(app, r.id, "ws-1").door_name is None
    r.tap("はい")
    assert sheet_names(app) == ["消える名前"]
    r.say("私のデータ")
    r.tap("削除する")
    got = r.tap("削除する（確定）")
    assert "削除しました" in r.texts(got)
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Signup)) == 0
        assert s.scalar(select(func.count()).where(Signup.door_name.is_not(None))) == 0
    assert sheet_names(app) == []


def test_profile_unavailable_stores_nothing_and_says_nothing_alarming(
    app, runner, state, tmp_path, resident
):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    r = seat(resident, 1)
    del r.fake.profiles[r.id]  # LINE answers 404 for the profile
    got = r.tap("はい")
    text = r.texts(got)
    assert "今回は名簿に載せられませんでした" in text
    assert "エラー" not in text and "失敗" not in text
    assert signup_row(app, r.id, "ws-1").door_name is None
    assert sheet_names(app) == [None]
