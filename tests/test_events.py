"""Workshops and meetings in chat: list, sign up per mode, waitlist, cancel, promotion, series."""

from __future__ import annotations

import itertools
import json
import threading
from datetime import UTC, datetime

import yaml
from sqlalchemy import func, select

from bot import create_app
from bot.state import build_state
from db.events import Event, Signup
from db.models import Outbox, Resident
from messages.postback import Postback
from tests import line

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)  # 12:00 JST
URL = "https://example.jp/meet/secret-room"
_files = itertools.count()


def event_doc(event_id: str = "ws-1", **over) -> dict:
    """An event file's content, hybrid by default; a value None drops the field."""
    doc = {
        "kind": "event",
        "id": event_id,
        "title": f"テスト会 {event_id}",
        "starts_at": "2026-12-12T18:30:00+09:00",
        "ends_at": "2026-12-12T20:30:00+09:00",
        "venue": "役場 2階 会議室",
        "format": "hybrid",
        "capacity": {"onsite": 30, "online": 50},
        "online_url": URL,
        "signup_closes_at": "2026-12-11T17:00:00+09:00",
        "description": "10年後のまちを考えます。",
    }
    doc.update(over)
    return {k: v for k, v in doc.items() if v is not None}


def apply(runner, tmp_path, *docs: dict):
    """Write the documents as YAML files and run `content apply` on them."""
    folder = tmp_path / f"content-{next(_files)}"
    folder.mkdir()
    for doc in docs:
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
        (folder / f"{doc['id']}.yml").write_text(text, encoding="utf-8")
    return runner.invoke(args=["content", "apply", str(folder)])


def setup_events(app, runner, state, tmp_path, *docs: dict) -> None:
    """Fix the clock at NOW and apply the events."""
    state.clock.fixed = NOW
    result = apply(runner, tmp_path, *docs)
    assert result.exit_code == 0, result.output


def pb(action: str, value: str = "") -> str:
    """Postback data for one of the events buttons."""
    return Postback(action=action, value=value).encode()


def signup_row(app, uid: str, event_id: str) -> Signup | None:
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(
            select(Signup)
            .join(Resident, Resident.id == Signup.resident_id)
            .where(Resident.line_user_id == uid, Signup.event_id == event_id)
        )


def confirmed(app, event_id: str, mode: str) -> int:
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(
            select(func.count())
            .select_from(Signup)
            .where(Signup.event_id == event_id, Signup.mode == mode, Signup.status == "confirmed")
        )


def everything(resident) -> str:
    """Every message the resident was sent, as JSON (to look for what must not be there)."""
    resident.news()
    return json.dumps(resident.inbox, ensure_ascii=False)


def bubbles(messages: list[dict]) -> list[dict]:
    flex = [m for m in messages if m.get("type") == "flex"]
    assert flex, messages
    contents = flex[-1]["contents"]
    return contents["contents"] if contents["type"] == "carousel" else [contents]


# --- listing ---------------------------------------------------------------------------


def test_list_shows_cards_in_jst_with_seats_and_buttons(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"), event_doc("od-1", format="onsite",
                 capacity={"onsite": 40}, online_url=None,
                 starts_at="2026-12-05T19:00:00+09:00", ends_at="2026-12-05T20:30:00+09:00",
                 signup_closes_at=None))  # fmt: skip
    r = resident(1)
    got = r.say("ワークショップ")
    text = r.texts(got)
    assert "12月12日(土) 18:30〜20:30" in text
    assert "12月5日(土) 19:00〜20:30" in text
    assert text.index("12月5日") < text.index("12月12日")  # soonest first
    assert "場所: 役場 2階 会議室" in text
    assert "会場 残り30席" in text and "オンライン 残り50席" in text and "会場 残り40席" in text
    assert "締切: 12月11日(金) 17:00" in text
    assert {"申し込む", "詳しく見る", "予約の確認"} <= set(r.buttons(got))
    assert URL not in everything(r)  # the card never shows the online URL
    assert "テスト会" in r.texts(r.say("イベント"))  # the other keyword


def test_no_events_says_so(app, resident):
    r = resident(2)
    assert "ありません" in r.texts(r.say("イベント"))


def test_more_than_a_carousel_is_paged(app, runner, state, tmp_path, resident):
    docs = [
        event_doc(
            f"ev-{i:02d}",
            starts_at=f"2026-12-{i + 1:02d}T10:00:00+09:00",
            ends_at=f"2026-12-{i + 1:02d}T11:00:00+09:00",
            signup_closes_at=None,
        )
        for i in range(14)
    ]
    setup_events(app, runner, state, tmp_path, *docs)
    r = resident(3)
    first = bubbles(r.say("イベント"))
    assert len(first) == 11  # 10 events and a "next" card (LINE allows 12)
    assert "ほかにも4件あります" in r.texts(r.news() or r.inbox[-1:])
    got = r.tap("次の4件を見る")
    second = bubbles(got)
    assert len(second) == 4
    assert "テスト会 ev-13" in r.texts(got) and "テスト会 ev-00" not in r.texts(got)


def test_english_resident_sees_english(app, runner, state, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", title={"ja": "話そう", "en": "Talk"})
    )
    r = resident(4, language="en")
    r.follow()
    got = r.say("Workshops")
    text = r.texts(got)
    assert "Sat 12/12 18:30–20:30" in text and "Talk" in text
    assert "On site: 30 seats left" in text
    assert "Sign up" in r.buttons(got)


# --- sign-up -----------------------------------------------------------------------------


def test_hybrid_sign_up_on_site_gets_no_online_url(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    r = resident(5)
    r.say("イベント")
    got = r.tap("申し込む")
    assert "参加方法を選んでください" in r.texts(got)
    assert {"会場で参加", "オンラインで参加"} <= set(r.buttons(got))
    got = r.tap("会場で参加")
    text = r.texts(got)
    assert "お申し込みを受け付けました" in text
    assert "12月12日(土) 18:30〜20:30" in text and "場所: 役場 2階 会議室" in text
    row = signup_row(app, r.id, "ws-1")
    assert (row.mode, row.status) == ("onsite", "confirmed")
    assert f"受付番号 {row.attendance_code}" in text
    calendar = r.buttons(got)["カレンダーに追加"]
    assert calendar["type"] == "uri"
    assert calendar["uri"] == "http://127.0.0.1:5000/events/ws-1.ics"
    r.say("予約の確認")
    assert URL not in everything(r)
    assert confirmed(app, "ws-1", "onsite") == 1


def test_online_sign_up_gets_the_url(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    r = resident(6)
    r.postback(pb("ev_join", "ws-1"))
    got = r.tap("オンラインで参加")
    assert f"参加URL: {URL}" in r.texts(got)
    assert r.buttons(got)["オンライン会場を開く"]["uri"] == URL
    assert signup_row(app, r.id, "ws-1").mode == "online"


def test_single_mode_event_signs_up_in_one_tap(app, runner, state, tmp_path, resident):
    doc = event_doc("od-1", format="onsite", capacity={"onsite": 5}, online_url=None)
    setup_events(app, runner, state, tmp_path, doc)
    r = resident(7)
    got = r.postback(pb("ev_join", "od-1"))
    assert "お申し込みを受け付けました" in r.texts(got)
    got = r.postback(pb("ev_join", "od-1"))  # tapped again
    assert "お申し込み済みです（申込済み（会場））" in r.texts(got)
    assert confirmed(app, "od-1", "onsite") == 1


def test_full_offers_waitlist_and_the_other_mode(app, runner, state, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 2})
    )
    first, second = resident(8), resident(9)
    first.postback(pb("ev_mode", "ws-1:onsite"))
    got = second.postback(pb("ev_join", "ws-1"))
    assert "会場 満席（キャンセル待ち受付中）" in second.texts(got)
    got = second.tap("会場で参加")
    text = second.texts(got)
    assert (
        "会場での参加は満席です" in text
        and "オンラインでの参加なら、まだ席があります（残り2席）" in text
    )
    assert {"キャンセル待ちに登録", "オンラインで参加"} <= set(second.buttons(got))
    got = second.tap("オンラインで参加")
    assert "お申し込みを受け付けました" in second.texts(got)
    assert signup_row(app, second.id, "ws-1").mode == "online"


def test_waitlist_order_and_promotion_by_push(app, runner, state, tmp_path, resident, fake_line):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 1})
    )
    holder, a, b, c = resident(10), resident(11), resident(12), resident(13)
    holder.postback(pb("ev_mode", "ws-1:onsite"))
    got = a.postback(pb("ev_mode", "ws-1:onsite"))
    got = a.tap("キャンセル待ちに登録")
    assert "キャンセル待ちに登録しました（会場・1番目）" in a.texts(got)
    b.postback(pb("ev_wait", "ws-1:onsite"))
    assert "2番目" in b.texts(b.news() or b.inbox[-1:])
    c.postback(pb("ev_mode", "ws-1:online"))  # the online seat: not part of the onsite queue
    got = b.say("予約の確認")
    assert "キャンセル待ち 2番目（会場）" in b.texts(got)

    got = holder.postback(pb("ev_cancel", "ws-1"))
    assert "キャンセルしますか" in holder.texts(got)
    got = holder.tap("キャンセルする")
    assert "キャンセルしました" in holder.texts(got)
    assert fake_line.count("push") == 1
    pushed = a.news()
    assert "席があいたため" in a.texts(pushed) and "確定しました（会場）" in a.texts(pushed)
    row = signup_row(app, a.id, "ws-1")
    assert row.status == "confirmed" and row.attendance_code in a.texts(pushed)
    assert URL not in everything(a)  # promoted on site: no online URL
    assert signup_row(app, b.id, "ws-1").status == "waitlisted"
    assert "キャンセル待ち 1番目（会場）" in b.texts(b.say("予約の確認"))
    assert confirmed(app, "ws-1", "onsite") == 1  # never over capacity
    with app.extensions["machikoe"].sessions() as s:
        keys = s.scalars(select(Outbox.kind)).all()
    assert keys == ["promotion"]


def test_online_promotion_carries_the_url(app, runner, state, tmp_path, resident, fake_line):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 1})
    )
    holder, waiting = resident(14), resident(15)
    holder.postback(pb("ev_mode", "ws-1:online"))
    waiting.postback(pb("ev_wait", "ws-1:online"))
    holder.postback(pb("ev_cancel_yes", "ws-1"))
    assert URL in waiting.texts(waiting.news())


def test_blocked_person_waiting_is_passed_over(app, runner, state, tmp_path, resident, fake_line):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 1})
    )
    holder, gone, next_ = resident(16), resident(17), resident(18)
    holder.postback(pb("ev_mode", "ws-1:onsite"))
    gone.postback(pb("ev_wait", "ws-1:onsite"))
    next_.postback(pb("ev_wait", "ws-1:onsite"))
    gone.unfollow()
    holder.postback(pb("ev_cancel_yes", "ws-1"))
    assert signup_row(app, next_.id, "ws-1").status == "confirmed"
    assert signup_row(app, gone.id, "ws-1").status == "waitlisted"
    assert fake_line.texts_for(gone.id)[-1:] != fake_line.texts_for(next_.id)[-1:]
    assert fake_line.count("push") == 1


def test_cancel_needs_confirmation_then_re_sign_up(app, runner, state, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 1})
    )
    r = resident(19)
    r.postback(pb("ev_mode", "ws-1:onsite"))
    code = signup_row(app, r.id, "ws-1").attendance_code
    r.say("予約の確認")
    got = r.tap("キャンセル")
    assert "キャンセルしますか" in r.texts(got)
    got = r.tap("やめておく")
    assert "お申し込みはそのままです" in r.texts(got)
    assert signup_row(app, r.id, "ws-1").status == "confirmed"
    r.postback(pb("ev_cancel", "ws-1"))
    r.tap("キャンセルする")
    assert signup_row(app, r.id, "ws-1").status == "cancelled"
    assert confirmed(app, "ws-1", "onsite") == 0
    got = r.postback(pb("ev_cancel_yes", "ws-1"))  # the old button again: nothing to cancel
    assert "キャンセルできるお申し込みはありません" in r.texts(got)
    assert "いまお申し込み中のイベントはありません" in r.texts(r.say("予約の確認"))
    got = r.postback(pb("ev_mode", "ws-1:onsite"))
    assert "お申し込みを受け付けました" in r.texts(got)
    row = signup_row(app, r.id, "ws-1")
    assert row.status == "confirmed" and row.attendance_code == code
    assert confirmed(app, "ws-1", "onsite") == 1


def test_closing_time_is_respected(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    r = resident(20)
    r.say("イベント")
    old_button = r.buttons()["申し込む"]["data"]
    state.clock.fixed = datetime(2026, 12, 11, 8, 0, tzinfo=UTC)  # 17:00 JST: closed
    got = r.say("イベント")
    assert "受付は終了しました" in r.texts(got)
    assert "申し込む" not in r.buttons(got)
    got = r.postback(old_button)
    assert "締め切りました" in r.texts(got)
    got = r.postback(pb("ev_mode", "ws-1:online"))
    assert "締め切りました" in r.texts(got)
    assert signup_row(app, r.id, "ws-1") is None
    state.clock.fixed = datetime(2026, 12, 11, 7, 59, tzinfo=UTC)  # a minute before
    assert "受け付けました" in r.texts(r.postback(pb("ev_mode", "ws-1:online")))


def test_series_sign_up_keeps_each_capacity(app, runner, state, tmp_path, resident):
    docs = [
        event_doc(
            f"s-{n}",
            series="mirai",
            series_title="未来について話そう",
            starts_at=f"2027-0{n}-10T18:30:00+09:00",
            ends_at=f"2027-0{n}-10T20:30:00+09:00",
            signup_closes_at=None,
            capacity={"onsite": 1 if n == 2 else 10, "online": 10},
        )
        for n in (1, 2, 3)
    ]
    setup_events(app, runner, state, tmp_path, *docs)
    resident(21).postback(pb("ev_mode", "s-2:onsite"))  # session 2 is now full on site
    r = resident(22)
    got = r.say("イベント")
    assert "全3回シリーズ" in r.texts(got)
    got = r.tap("全3回まとめて申し込む")
    assert "「未来について話そう」全3回" in r.texts(got)
    got = r.tap("会場で参加")
    text = r.texts(got)
    assert "確定（会場）" in text and "キャンセル待ち 1番目" in text
    assert [signup_row(app, r.id, f"s-{n}").status for n in (1, 2, 3)] == [
        "confirmed",
        "waitlisted",
        "confirmed",
    ]
    assert confirmed(app, "s-2", "onsite") == 1
    got = r.postback(pb("ev_series_mode", "s-1:onsite"))  # again: nothing doubles
    assert r.texts(got).count("申込済み") == 3


def test_my_sign_ups_show_the_attendance_code(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"), event_doc("ws-2"))
    r = resident(23)
    r.postback(pb("ev_mode", "ws-2:online"))
    got = r.say("予約の確認")
    code = signup_row(app, r.id, "ws-2").attendance_code
    assert len(bubbles(got)) == 1
    assert f"受付番号 {code}" in r.texts(got) and "申込済み（オンライン）" in r.texts(got)
    assert "キャンセル" in r.buttons(got)


def test_details_and_unknown_event(app, runner, state, tmp_path, resident):
    setup_events(app, runner, state, tmp_path, event_doc("ws-1"))
    r = resident(24)
    got = r.postback(pb("ev_info", "ws-1"))
    assert "10年後のまちを考えます。" in r.texts(got) and "申し込む" in r.buttons(got)
    got = r.postback(pb("ev_join", "no-such"))
    assert "見つかりませんでした" in r.texts(got)
    got = r.postback(pb("ev_mode", "ws-1:teleport"))
    assert "見つかりませんでした" in r.texts(got)


def test_the_word_event_is_an_answer_inside_a_conversation(app, resident):
    """イベント is also a topic: in the topics question it toggles the topic."""
    r = resident(25)
    r.follow()
    r.tap("同意する")
    for _ in range(3):
        r.tap("スキップ")
    got = r.say("イベント")
    assert "選択中: イベント" in r.texts(got)


# --- concurrency -------------------------------------------------------------------------


def test_capacity_race_exactly_one_gets_the_last_seat(
    app, runner, state, settings, tmp_path, resident
):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 1, "online": 5})
    )
    people = [resident(100 + i) for i in range(6)]
    workers = []
    for _ in range(3):
        st = build_state(settings)
        st.clock = state.clock
        workers.append(create_app(state=st).test_client())
    events = [line.postback(p.id, pb("ev_mode", "ws-1:onsite"), p.token()) for p in people]
    codes: list[int] = []
    barrier = threading.Barrier(len(events))

    def send(i: int) -> None:
        barrier.wait()
        codes.append(line.post(workers[i % 3], line.payload(events[i])).status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(events))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * len(events)
    assert confirmed(app, "ws-1", "onsite") == 1
    replies = [p.texts(p.news()) for p in people]
    assert sum("受け付けました" in text for text in replies) == 1
    assert sum("満席です" in text for text in replies) == len(people) - 1


def test_waitlist_race_gives_distinct_positions(app, runner, state, settings, tmp_path, resident):
    setup_events(
        app, runner, state, tmp_path, event_doc("ws-1", capacity={"onsite": 0, "online": 5})
    )
    people = [resident(200 + i) for i in range(5)]
    workers = []
    for _ in range(2):
        st = build_state(settings)
        st.clock = state.clock
        workers.append(create_app(state=st).test_client())
    events = [line.postback(p.id, pb("ev_wait", "ws-1:onsite"), p.token()) for p in people]
    barrier = threading.Barrier(len(events))

    def send(i: int) -> None:
        barrier.wait()
        line.post(workers[i % 2], line.payload(events[i]))

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(events))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with app.extensions["machikoe"].sessions() as s:
        seqs = s.scalars(select(Signup.waitlist_seq).where(Signup.event_id == "ws-1")).all()
    assert sorted(seqs) == [1, 2, 3, 4, 5]
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 1
