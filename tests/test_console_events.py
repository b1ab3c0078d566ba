"""The console's event pages: create and edit, attendees, check-in by code, exports, XSS."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from db.events import Event, Signup
from messages.postback import Postback
from tests.survey_helpers import NOW
from tests.test_console import as_role, audit_rows

XSS = "<script>alert(1)</script>"
FORM = {
    "id": "ws-x",
    "title": f"未来について話そう {XSS}",
    "starts_at": "2026-12-12T18:30",
    "ends_at": "2026-12-12T20:30",
    "venue": "役場 2階 会議室",
    "format": "onsite",
    "capacity_onsite": "1",
    "description": "10年後のまちを考えます。",
}


def join(r, event_id: str):
    return r.postback(Postback(action="ev_join", value=event_id).encode())


def test_create_sign_up_check_in_export(app, state, resident):
    state.clock.fixed = NOW
    editor = as_role(app, "editor")
    bad = editor.post("/admin/events/save", {**FORM, "ends_at": "", "capacity_onsite": "many"})
    assert bad.status_code == 400 and "保存できませんでした" in bad.get_data(as_text=True)
    # in the form's own words, saying what to do
    assert "終了を入力してください。" in bad.get_data(as_text=True)
    assert "会場の定員は数字で入力してください。" in bad.get_data(as_text=True)
    assert "capacity.onsite" not in bad.get_data(as_text=True)
    late = editor.post("/admin/events/save", {**FORM, "ends_at": "2026-12-12T17:00"})
    assert "終了は開始より後の日時にしてください。" in late.get_data(as_text=True)
    online = editor.post("/admin/events/save", {**FORM, "format": "online"})
    page = online.get_data(as_text=True)
    assert "オンラインの定員を入力してください（例: 30）。" in page
    assert "オンライン参加の URL を入力してください。" in page
    saved = editor.post("/admin/events/save", FORM)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/events/ws-x")
    with app.extensions["machikoe"].sessions() as s:
        ev = s.get(Event, "ws-x")
        assert ev.title["ja"] == FORM["title"] and ev.starts_at.isoformat().startswith(
            "2026-12-12T09:30"
        )
    assert [r.actor for r in audit_rows(app, "content.event")] == ["editor@example.jp"]

    first, second = resident(1), resident(2)
    first.follow()
    second.follow()
    join(first, "ws-x")
    join(second, "ws-x")  # full: offered the waitlist
    second.tap("キャンセル待ちに登録")
    with app.extensions["machikoe"].sessions() as s:
        code = s.query(Signup).filter_by(status="confirmed").one().attendance_code

    page = editor.get("/admin/events/ws-x").get_data(as_text=True)
    assert XSS not in page and "&lt;script&gt;" in page
    assert "参加確定" in page and "キャンセル待ち" in page and code in page
    listing = editor.get("/admin/events").get_data(as_text=True)
    assert XSS not in listing and "会場 1/1" in listing
    dashboard = editor.get("/admin/").get_data(as_text=True)
    assert XSS not in dashboard and "&lt;script&gt;" in dashboard

    editor.post("/admin/events/ws-x/checkin", {"code": "0000000"})
    assert "この番号の申込みはありません" in editor.get("/admin/events/ws-x").get_data(as_text=True)
    editor.post("/admin/events/ws-x/checkin", {"code": code})
    assert "受付しました（会場）" in editor.get("/admin/events/ws-x").get_data(as_text=True)
    editor.post("/admin/events/ws-x/checkin", {"code": code})
    assert "すでに受付済み" in editor.get("/admin/events/ws-x").get_data(as_text=True)
    assert len(audit_rows(app, "events.checkin")) == 1

    csv = editor.get("/admin/events/ws-x/attendees.csv")
    assert csv.data.startswith(b"\xef\xbb\xbf") and code in csv.data.decode("utf-8-sig")
    xlsx = editor.get("/admin/events/ws-x/attendees.xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "受付番号" and len(rows) == 3

    edit = editor.get("/admin/events/ws-x/edit").get_data(as_text=True)
    assert 'value="2026-12-12T18:30"' in edit
    editor.post(
        "/admin/events/save",
        {**FORM, "editing": "ws-x", "id": "other", "title": "未来会議", "capacity_onsite": "2"},
    )
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Event, "ws-x").title["ja"] == "未来会議"
        assert s.get(Event, "ws-x").capacity_onsite == 2
        assert s.get(Event, "other") is None


def test_a_viewer_sees_attendees_but_cannot_check_in(app, state):
    state.clock.fixed = NOW
    as_role(app, "editor").post("/admin/events/save", FORM)
    viewer = as_role(app, "viewer")
    page = viewer.get("/admin/events/ws-x").get_data(as_text=True)
    assert "受付には編集者の権限が必要です" in page
    assert viewer.post("/admin/events/ws-x/checkin", {"code": "1"}).status_code == 403
