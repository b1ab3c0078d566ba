"""The console's announcement pages: segment, dry run, schedule, cancel, send now, progress."""

from __future__ import annotations

import time

from handlers import broadcast
from tests.survey_helpers import NOW, onboard
from tests.test_console import as_role, audit_rows

XSS = "<script>alert(1)</script>"


def wait_until_finished(app, broadcast_id: int) -> dict:
    """The background send runs in a thread: wait for it (not a timing assert)."""
    for _ in range(400):
        with app.extensions["machikoe"].sessions() as s:
            st = broadcast.broadcast_status(s, broadcast_id)
        if st["status"] in {"done", "paused", "cancelled"}:
            return st
        time.sleep(0.05)
    raise AssertionError(f"broadcast {broadcast_id} did not finish: {st}")


def test_compose_check_schedule_and_cancel(app, state, resident, fake_line):
    state.clock.fixed = NOW
    onboard(resident(1), district="七ツ森")
    onboard(resident(2), district="七ツ森", age="20代")
    onboard(resident(3), district="大谷")
    editor = as_role(app, "editor")

    page = editor.get("/admin/announcements").get_data(as_text=True)
    assert "送る相手" in page and 'value="七ツ森"' in page  # values that exist in the town

    form = {"text": f"防災訓練のお知らせ {XSS}", "seg_district": "七ツ森", "when": "later"}
    check = editor.post("/admin/announcements/check", form)
    html = check.get_data(as_text=True)
    assert check.status_code == 200
    assert 'data-testid="recipients">2人<' in html and "district=七ツ森" in html
    assert XSS not in html and "&lt;script&gt;" in html  # the preview escapes it
    assert fake_line.count("multicast") == 0  # a check sends nothing

    bad = editor.post("/admin/announcements/check", {**form, "segment_extra": "age=200代"})
    assert bad.status_code == 400 and "200代" in bad.get_data(as_text=True)
    past = editor.post("/admin/announcements", {**form, "send_at": "2026-11-01T09:00"})
    assert past.status_code == 400 and "いまより後に" in past.get_data(as_text=True)

    scheduled = editor.post("/admin/announcements", {**form, "send_at": "2026-11-30T09:00"})
    assert scheduled.status_code == 302
    detail_url = scheduled.headers["Location"]
    b_id = int(detail_url.rsplit("/", 1)[1])
    detail = editor.get(detail_url).get_data(as_text=True)
    assert "配信を予約しました" in detail and "11月30日(月) 09:00" in detail
    assert XSS not in detail
    dashboard = editor.get("/admin/").get_data(as_text=True)
    assert "予約済み" in dashboard and XSS not in dashboard
    progress = editor.get(f"/admin/announcements/{b_id}/progress").get_json()
    assert progress["status"] == "scheduled" and progress["finished"] is True

    editor.post(f"/admin/announcements/{b_id}/cancel")
    assert "配信を取り消しました" in editor.get(detail_url).get_data(as_text=True)
    [created] = audit_rows(app, "broadcast.create")
    assert created.actor == "editor@example.jp"
    assert [r.actor for r in audit_rows(app, "broadcast.cancel")] == ["editor@example.jp"]
    assert fake_line.count("multicast") == 0


def test_send_now_delivers_and_shows_progress(app, state, resident, fake_line):
    for n in range(1, 4):
        onboard(resident(n))
    blocked = resident(4)
    blocked.follow()
    blocked.unfollow()
    editor = as_role(app, "editor")
    response = editor.post("/admin/announcements", {"text": "本日は町民運動会です", "when": "now"})
    assert response.status_code == 302
    b_id = int(response.headers["Location"].rsplit("/", 1)[1])
    st = wait_until_finished(app, b_id)
    assert st["status"] == "done" and st["delivered"] == 3
    assert fake_line.recipient_counts("multicast")[resident(1).id] == 1
    assert resident(4).id not in fake_line.recipient_counts("multicast")
    progress = editor.get(f"/admin/announcements/{b_id}/progress").get_json()
    assert progress == {**progress, "done": progress["total"], "delivered": 3, "finished": True}
    history = editor.get("/admin/announcements").get_data(as_text=True)
    assert "本日は町民運動会です" in history and "配信済み" in history

    again = editor.post("/admin/announcements", {"text": "本日は町民運動会です", "when": "now"})
    assert again.status_code == 400  # the same announcement within 24 hours
    assert "#" in again.get_data(as_text=True)
