"""Events outside the chat: reminders, check-in, attendee exports, the .ics link, content."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from openpyxl import load_workbook
from sqlalchemy import select

from db import events as db_events
from db.events import Event, Signup
from db.models import Outbox
from handlers.exports import neutralise
from tests.test_events import NOW, URL, apply, event_doc, pb, setup_events, signup_row

DAY_BEFORE_10 = datetime(2026, 12, 11, 1, 0, tzinfo=UTC)  # 12月11日 10:00 JST


def sessions(app):
    return app.extensions["machikoe"].sessions()


# --- reminders ---------------------------------------------------------------------------


def test_reminders_run_twice_send_once_with_url_for_online_only(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    onsite, online, cancelled, blocked, waiting = (resident(n) for n in range(30, 35))
    onsite.postback(pb("ev_mode", "ws-1:onsite"))
    online.postback(pb("ev_mode", "ws-1:online"))
    cancelled.postback(pb("ev_mode", "ws-1:onsite"))
    cancelled.postback(pb("ev_cancel_yes", "ws-1"))
    blocked.postback(pb("ev_mode", "ws-1:online"))
    blocked.unfollow()
    with sessions(app) as s, s.begin():  # someone waiting is not reminded either
        s.get(Event, "ws-1").capacity_onsite = 1
    waiting.postback(pb("ev_wait", "ws-1:onsite"))
    assert signup_row(app, waiting.id, "ws-1").status == "waitlisted"
    for r in (onsite, online, cancelled, blocked, waiting):
        r.news()

    state.clock.fixed = datetime(2026, 12, 11, 0, 59, tzinfo=UTC)  # 09:59 JST: not yet
    result = runner.invoke(args=["jobs", "run", "reminders"])
    assert result.exit_code == 0, result.output
    assert fake_line.count("push") == 0

    state.clock.fixed = DAY_BEFORE_10
    assert runner.invoke(args=["jobs", "run", "reminders"]).output.strip() == "reminders: 2"
    assert runner.invoke(args=["jobs", "run", "reminders"]).output.strip() == "reminders: 0"
    assert fake_line.count("push") == 2
    on_text, online_text = onsite.texts(onsite.news()), online.texts(online.news())
    assert "明日のご案内です" in on_text and "12月12日(土) 18:30〜20:30" in on_text
    assert "場所: 役場 2階 会議室" in on_text and URL not in on_text
    assert f"参加URL: {URL}" in online_text
    code = signup_row(app, online.id, "ws-1").attendance_code
    assert f"受付番号: {code}" in online_text
    assert cancelled.news() == [] and waiting.news() == []
    assert fake_line.messages_for(blocked.id)[-1:] == blocked.inbox[-1:]  # nothing new
    with sessions(app) as s:
        kinds = s.scalars(select(Outbox.kind).where(Outbox.kind == "reminder")).all()
    assert len(kinds) == 2


def test_reminder_never_twice_even_after_cancel_and_re_sign_up(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    r = resident(36)
    r.postback(pb("ev_mode", "ws-1:onsite"))
    state.clock.fixed = DAY_BEFORE_10
    runner.invoke(args=["jobs", "run", "reminders"])
    r.postback(pb("ev_cancel_yes", "ws-1"))
    state.clock.fixed = datetime(2026, 12, 11, 3, 0, tzinfo=UTC)
    r.postback(pb("ev_mode", "ws-1:online"))  # still open until 17:00
    runner.invoke(args=["jobs", "run", "reminders"])
    assert fake_line.count("push") == 1


def test_date_boundary_an_event_at_0030_jst_is_on_the_jst_date(
    app, runner, state, tmp_path, resident, fake_line
):
    doc = event_doc(
        "night",
        starts_at="2026-12-02T00:30:00+09:00",  # 2026-12-01 15:30 UTC
        ends_at="2026-12-02T02:00:00+09:00",
        signup_closes_at=None,
    )
    setup_events(app, runner, state, tmp_path, doc)
    r = resident(37)
    got = r.say("イベント")
    assert "12月2日(水) 00:30〜02:00" in r.texts(got)
    r.postback(pb("ev_mode", "night:onsite"))
    r.news()
    state.clock.fixed = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 11/30 10:00 JST: too early
    runner.invoke(args=["jobs", "run", "reminders"])
    state.clock.fixed = datetime(2026, 12, 1, 0, 59, tzinfo=UTC)  # 12/1 09:59 JST
    runner.invoke(args=["jobs", "run", "reminders"])
    assert fake_line.count("push") == 0
    state.clock.fixed = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 12/1 10:00 JST: the day before
    runner.invoke(args=["jobs", "run", "reminders"])
    assert fake_line.count("push") == 1
    assert "12月2日(水) 00:30" in r.texts(r.news())


def test_an_event_that_ends_after_midnight_shows_both_dates(app, runner, state, tmp_path, resident):
    doc = event_doc(
        "late",
        starts_at="2026-12-31T23:00:00+09:00",
        ends_at="2027-01-01T01:00:00+09:00",
        signup_closes_at=None,
    )
    setup_events(app, runner, state, tmp_path, doc)
    r = resident(38)
    assert "12月31日(木) 23:00〜1月1日(金) 01:00" in r.texts(r.say("イベント"))


# --- check-in, exports, segments ------------------------------------------------------------


def test_checkin_by_code_from_the_cli(app, runner, state, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 5})
    )
    r, w = resident(40), resident(41)
    r.postback(pb("ev_mode", "ws-1:onsite"))
    w.postback(pb("ev_wait", "ws-1:onsite"))
    code = signup_row(app, r.id, "ws-1").attendance_code
    full_width = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    result = runner.invoke(args=["events", "checkin", "ws-1", full_width])
    assert result.exit_code == 0 and "checked in" in result.output
    assert signup_row(app, r.id, "ws-1").attended
    result = runner.invoke(args=["events", "checkin", "ws-1", code])
    assert result.exit_code == 0 and "already" in result.output
    wait_code = signup_row(app, w.id, "ws-1").attendance_code
    result = runner.invoke(args=["events", "checkin", "ws-1", wait_code])
    assert result.exit_code == 1 and "waitlisted" in result.output
    assert not signup_row(app, w.id, "ws-1").attended
    assert runner.invoke(args=["events", "checkin", "ws-1", "0000x"]).exit_code == 1
    assert runner.invoke(args=["events", "checkin", "nope", code]).exit_code == 1
    with sessions(app) as s:
        attended = s.scalars(db_events.attended_residents(["ws-1"])).all()
        signed = s.scalars(db_events.signed_up_residents(["ws-1"])).all()
        counts = db_events.signup_counts(s, ["ws-1"])
    assert attended == [signup_row(app, r.id, "ws-1").resident_id]
    assert len(signed) == 2
    onsite = next(c for c in counts if c.mode == "onsite")
    assert (onsite.capacity, onsite.confirmed, onsite.waitlisted, onsite.attended) == (1, 1, 1, 1)


def test_attendees_export_csv_and_xlsx(app, runner, state, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 5})
    )
    a, b, c, d = (resident(n) for n in range(42, 46))
    a.postback(pb("ev_mode", "ws-1:onsite"))
    b.postback(pb("ev_wait", "ws-1:onsite"))
    c.postback(pb("ev_wait", "ws-1:onsite"))
    d.postback(pb("ev_mode", "ws-1:online"))
    d.postback(pb("ev_cancel_yes", "ws-1"))
    runner.invoke(args=["events", "checkin", "ws-1", signup_row(app, a.id, "ws-1").attendance_code])

    out = tmp_path / "attendees.csv"
    result = runner.invoke(
        args=["events", "attendees", "ws-1", "--format", "csv", "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    got = [(r["参加方法"], r["状態"], r["キャンセル待ち順"], r["出席"]) for r in rows]
    assert got == [
        ("会場", "参加確定", "", "済"),
        ("会場", "キャンセル待ち", "1", ""),
        ("会場", "キャンセル待ち", "2", ""),
        ("オンライン", "取消", "", ""),
    ]
    assert rows[1]["LINEユーザーID"] == b.id  # internal ids: after an empty column

    xlsx = tmp_path / "attendees.xlsx"
    result = runner.invoke(
        args=["events", "attendees", "ws-1", "--format", "xlsx", "--output", str(xlsx)]
    )
    assert result.exit_code == 0, result.output
    sheet = load_workbook(xlsx).active
    values = list(sheet.values)
    assert values[0][:4] == ("受付番号", "参加方法", "状態", "キャンセル待ち順")
    assert len(values) == 5
    bad = runner.invoke(args=["events", "attendees", "nope", "--output", str(out)])
    assert bad.exit_code == 1


def test_exports_neutralise_formulas():
    for value in ('=HYPERLINK("x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(value) == "'" + value
    assert neutralise("受付 1234") == "受付 1234" and neutralise(5) == 5


def test_events_list_cli(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    resident(46).postback(pb("ev_mode", "ws-1:online"))
    result = runner.invoke(args=["events", "list"])
    assert result.exit_code == 0
    assert "ws-1" in result.output and "12月12日(土) 18:30〜20:30" in result.output
    assert "online 1/50" in result.output and "onsite 0/30" in result.output


# --- the calendar link ------------------------------------------------------------------


def test_ics_serves_the_event_without_the_online_url(app, client, runner, state, tmp_path):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1", description="説明; 資料, あり"))
    response = client.get("/events/ws-1.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    body = response.get_data(as_text=True)
    assert "DTSTART:20261212T093000Z\r\n" in body and "DTEND:20261212T113000Z\r\n" in body
    assert "SUMMARY:テスト会 ws-1" in body and "LOCATION:役場 2階 会議室" in body
    assert "説明\\; 資料\\, あり" in body
    assert URL not in body
    assert all(len(line.encode()) <= 75 for line in body.split("\r\n"))
    assert client.get("/events/nope.ics").status_code == 404


# --- content ---------------------------------------------------------------------------


def test_event_content_is_validated_with_file_line_and_field(app, runner, state, tmp_path):
    bad = [
        event_doc("e-1", ends_at="2026-12-12T18:00:00+09:00"),
        event_doc("e-2", capacity={"onsite": 30}),
        event_doc("e-3", format="onsite", capacity={"onsite": 3, "online": 3}),
        event_doc("e-4", online_url=None),
        event_doc("e-5", starts_at="2026-12-12T18:30:00"),
        event_doc("e-6", signup_closes_at="2026-12-13T00:00:00+09:00"),
        event_doc("e-7", format="online", venue=None, capacity={"online": -1}),
    ]
    result = apply(runner, tmp_path, *bad)
    assert result.exit_code == 1
    out = result.output
    assert "e-1.yml:5: ends_at: must be after starts_at" in out
    assert "e-2.yml" in out and "capacity.online" in out
    assert "e-3.yml" in out and "capacity.online: a onsite event has no online seats" in out
    assert "e-4.yml" in out and "online_url: is required for a hybrid event" in out
    assert "e-5.yml:4: starts_at: expected a time with an offset" in out
    assert "e-6.yml" in out and "signup_closes_at: must not be after starts_at" in out
    assert "e-7.yml" in out and "capacity.online" in out
    with sessions(app) as s:
        assert s.scalar(select(Event).limit(1)) is None  # all or nothing


def test_capacity_cannot_drop_below_confirmed_but_can_grow(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 1})
    )
    a, b = resident(47), resident(48)
    a.postback(pb("ev_mode", "ws-1:onsite"))
    b.postback(pb("ev_wait", "ws-1:onsite"))
    result = apply(runner, tmp_path, event_doc("ws-1", capacity={"onsite": 0, "online": 1}))
    assert result.exit_code == 1 and "cannot be lower" in result.output
    result = apply(runner, tmp_path, event_doc("ws-1", format="online", venue=None,
                                               capacity={"online": 1}))  # fmt: skip
    assert result.exit_code == 1 and "keep that mode" in result.output
    state.clock.fixed = None  # content apply uses the real clock; the event is still ahead
    result = apply(runner, tmp_path, event_doc("ws-1", capacity={"onsite": 2, "online": 1}))
    assert result.exit_code == 0, result.output
    assert signup_row(app, b.id, "ws-1").status == "confirmed"
    assert runner.invoke(args=["jobs", "run", "outbox"]).exit_code == 0
    assert "席があいたため" in b.texts(b.news())
    assert fake_line.count("push") == 1


def test_demo_content_applies_and_lists(app, runner, state, resident):
    state.clock.fixed = NOW
    result = runner.invoke(args=["content", "apply", "content/demo/"])
    assert result.exit_code == 0, result.output
    with sessions(app) as s:
        upcoming = db_events.upcoming_events(s, NOW)
        assert len(upcoming) == 7
        assert {e.series for e in upcoming} == {None, "mirai-2026"}
        assert sum(e.format == "hybrid" for e in upcoming if e.series is None) == 1
    r = resident(49)
    got = r.say("イベント")
    assert "地区懇談会（七ツ森地区・オンライン併用）" in r.texts(got)
    assert "全3回まとめて申し込む" in r.buttons(got)
    with sessions(app) as s:
        assert s.scalar(select(Signup).limit(1)) is None
