"""Issue #15, items 2, 9 and 12: reminders name the right day, late sign-ups get the details at
once, a series sign-up has one receipt number and says the mode, the demo timeline is true."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import yaml
from sqlalchemy import select

from db.events import Signup
from tests.conftest import ROOT
from tests.test_events import URL, event_doc, pb, setup_events, signup_row

DEMO = ROOT / "content" / "demo"
PROMISE = "前日にもご案内します"


def jst(y, mo, d, h, mi=0) -> datetime:
    """A JST wall-clock time as a UTC instant."""
    return datetime(y, mo, d, h, mi, tzinfo=UTC) - timedelta(hours=9)


def remind(runner) -> str:
    result = runner.invoke(args=["jobs", "run", "reminders"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def same_day_doc(event_id="today", **over) -> dict:
    """An event on 12月2日(水) 18:00 JST, open until it starts."""
    doc = dict(
        starts_at="2026-12-02T18:00:00+09:00",
        ends_at="2026-12-02T19:30:00+09:00",
        signup_closes_at=None,
    )
    doc.update(over)
    return event_doc(event_id, **doc)


# --- item 2: the right day, details at once -------------------------------------------------


def test_a_late_reminder_for_a_same_day_event_says_today_not_tomorrow(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, same_day_doc())
    ja, en = resident(300), resident(301, language="en")
    en.follow()
    state.clock.fixed = jst(2026, 12, 1, 9, 0)  # before the reminder time: the promise holds
    got = ja.postback(pb("ev_mode", "today:onsite"))
    assert PROMISE in ja.texts(got)
    en.postback(pb("ev_mode", "today:online"))
    en.news()
    state.clock.fixed = jst(2026, 12, 2, 4, 12)  # the clock was down at 10:00 the day before
    assert remind(runner) == "reminders: 2"
    text = ja.texts(ja.news())
    assert "本日のご案内です。" in text and "明日" not in text
    assert "12月2日(水) 18:00〜19:30" in text and "場所: 役場 2階 会議室" in text
    en_text = en.texts(en.news())
    assert "A reminder for today." in en_text and "tomorrow" not in en_text
    assert f"Join at: {URL}" in en_text
    assert remind(runner) == "reminders: 0"


def test_the_reminder_on_the_day_before_says_tomorrow(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, same_day_doc())
    r = resident(302)
    r.postback(pb("ev_mode", "today:onsite"))
    r.news()
    state.clock.fixed = jst(2026, 12, 1, 10, 0)
    assert remind(runner) == "reminders: 1"
    text = r.texts(r.news())
    assert "明日のご案内です。" in text and "本日" not in text


def test_a_sign_up_after_the_reminder_time_gets_the_details_at_once_and_no_promise(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, same_day_doc())
    r = resident(303)
    state.clock.fixed = jst(2026, 12, 2, 4, 0)  # the same day, early morning
    r.say("イベント")
    r.tap("申し込む")
    got = r.tap("会場で参加")
    text = r.texts(got)
    code = signup_row(app, r.id, "today").attendance_code
    assert "お申し込みを受け付けました" in text and "本日の開催です。" in text
    assert "12月2日(水) 18:00〜19:30" in text and "場所: 役場 2階 会議室" in text
    assert f"受付番号 {code}" in text and "参加方法: 会場" in text
    assert PROMISE not in text and "当日は受付でこの番号をお伝えください。" in text
    state.clock.fixed = jst(2026, 12, 2, 4, 12)
    assert remind(runner) == "reminders: 0"  # nothing more at 4 a.m.: she has it all
    assert fake_line.count("push") == 0


def test_an_online_sign_up_the_afternoon_before_gets_the_link_at_once(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, same_day_doc())
    r, en = resident(304), resident(305, language="en")
    en.follow()
    state.clock.fixed = jst(2026, 12, 1, 15, 0)
    text = r.texts(r.postback(pb("ev_mode", "today:online")))
    assert "明日の開催です。" in text and f"参加URL: {URL}" in text
    assert "参加方法: オンライン" in text and PROMISE not in text
    en_text = en.texts(en.postback(pb("ev_mode", "today:online")))
    assert "This event is tomorrow." in en_text and "You attend: Online" in en_text
    assert "remind you" not in en_text
    assert remind(runner) == "reminders: 0"


def test_a_promotion_after_the_reminder_time_carries_the_place_and_no_reminder_follows(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, same_day_doc(capacity={"onsite": 1, "online": 5}))
    holder, waiting = resident(306), resident(307)
    holder.postback(pb("ev_mode", "today:onsite"))
    waiting.postback(pb("ev_wait", "today:onsite"))
    waiting.news()
    state.clock.fixed = jst(2026, 12, 2, 9, 0)
    assert remind(runner) == "reminders: 1"  # the holder
    holder.postback(pb("ev_cancel_yes", "today"))
    text = waiting.texts(waiting.news())
    assert "席があいたため" in text and "本日の開催です。" in text
    assert "場所: 役場 2階 会議室" in text
    assert remind(runner) == "reminders: 0"
    assert fake_line.count("push") == 2  # the holder's reminder, the promotion


# --- item 9: a series has one receipt number, says the mode, sends the link ----------------


def series_docs(online_full_in: int | None = None) -> list[dict]:
    return [
        event_doc(
            f"s-{n}",
            series="mirai",
            series_title="未来について話そう",
            title=f"未来について話そう 第{n}回",
            starts_at=f"2027-0{n}-10T18:30:00+09:00",
            ends_at=f"2027-0{n}-10T20:30:00+09:00",
            signup_closes_at=None,
            online_url=f"https://example.jp/meet/s-{n}",
            capacity={"onsite": 10, "online": 1 if n == online_full_in else 10},
        )
        for n in (1, 2, 3)
    ]


def codes(app, uid: str) -> list[str]:
    return [signup_row(app, uid, f"s-{n}").attendance_code for n in (1, 2, 3)]


def test_a_series_booked_online_has_one_code_says_the_mode_and_sends_each_link(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, *series_docs(online_full_in=2))
    resident(310).postback(pb("ev_mode", "s-2:online"))  # session 2 online is now full
    r = resident(311)
    r.say("イベント")
    r.tap("全3回まとめて申し込む")
    got = r.tap("オンラインで参加")
    text = r.texts(got)
    [code] = set(codes(app, r.id))  # one receipt number for the whole series
    assert f"受付番号: {code}（全回共通）" in text and text.count(code) == 1
    assert "参加方法: オンライン" in text
    assert "キャンセル待ち 1番目" in text
    assert "参加URLは各回の前日に、このトークでお送りします。" in text
    assert "https://example.jp/meet/" not in text  # links come before each session
    mine = r.texts(r.say("予約の確認"))
    assert mine.count(f"受付番号 {code}") == 2  # the confirmed ones; the waitlisted shows none

    state.clock.fixed = jst(2027, 1, 9, 10, 0)  # the day before session 1
    assert remind(runner) == "reminders: 1"
    first = r.texts(r.news())
    assert "明日のご案内です。" in first and "参加URL: https://example.jp/meet/s-1" in first
    assert f"受付番号: {code}" in first and "meet/s-2" not in first

    state.clock.fixed = jst(2027, 2, 1, 12, 0)  # a seat frees up in session 2
    resident(310).postback(pb("ev_cancel_yes", "s-2"))
    promoted = r.texts(r.news())
    assert f"受付番号: {code}" in promoted and "https://example.jp/meet/s-2" in promoted

    state.clock.fixed = jst(2027, 3, 9, 10, 0)  # the day before session 3
    remind(runner)
    third = r.texts(r.news())
    assert "参加URL: https://example.jp/meet/s-3" in third and f"受付番号: {code}" in third
    checked = runner.invoke(args=["events", "checkin", "s-3", code])
    assert checked.exit_code == 0 and "checked in" in checked.output


def test_a_series_on_site_says_so_and_keeps_the_code_she_already_has(
    app, runner, state, tmp_path, resident
):
    setup_events(app, runner, state, tmp_path, *series_docs())
    r = resident(312)
    got = r.postback(pb("ev_mode", "s-1:onsite"))  # first session alone
    assert "参加方法: 会場" in r.texts(got)
    first = signup_row(app, r.id, "s-1").attendance_code
    got = r.postback(pb("ev_series_mode", "s-1:onsite"))
    text = r.texts(got)
    assert codes(app, r.id) == [first] * 3
    assert f"受付番号: {first}（全回共通）" in text and "参加方法: 会場" in text
    assert "各回の前日にもご案内します" in text
    again = r.texts(r.postback(pb("ev_series_mode", "s-1:onsite")))  # nothing doubles
    assert again.count("申込済み") == 3 and codes(app, r.id) == [first] * 3


def test_a_single_session_of_a_series_reuses_the_series_code(
    app, runner, state, tmp_path, resident
):
    setup_events(app, runner, state, tmp_path, *series_docs())
    r = resident(313)
    r.postback(pb("ev_mode", "s-1:online"))
    r.postback(pb("ev_mode", "s-3:onsite"))
    first = signup_row(app, r.id, "s-1").attendance_code
    assert signup_row(app, r.id, "s-3").attendance_code == first


def test_when_her_code_is_taken_in_another_session_the_series_gets_a_new_shared_one(
    app, runner, state, tmp_path, resident
):
    setup_events(app, runner, state, tmp_path, *series_docs())
    r, other = resident(315), resident(316)
    r.postback(pb("ev_mode", "s-1:onsite"))
    other.postback(pb("ev_mode", "s-2:onsite"))
    mine = signup_row(app, r.id, "s-1").attendance_code
    with app.extensions["machikoe"].sessions() as s, s.begin():  # the other holds her code
        row = s.get(Signup, signup_row(app, other.id, "s-2").id)
        row.attendance_code = mine
    text = r.texts(r.postback(pb("ev_series_mode", "s-2:onsite")))
    got = codes(app, r.id)
    assert got[0] == mine and got[1] == got[2] != mine
    assert f"受付番号: {got[1]}（全回共通）" in text
    assert f"申込済み（会場・受付番号 {mine}）" in text  # the one that differs says so
    with app.extensions["machikoe"].sessions() as s:
        in_s2 = s.scalars(select(Signup.attendance_code).where(Signup.event_id == "s-2")).all()
    assert len(in_s2) == len(set(in_s2))


def test_a_series_whose_first_session_is_today_gives_its_link_at_once(
    app, runner, state, tmp_path, resident, fake_line
):
    setup_events(app, runner, state, tmp_path, *series_docs())
    r = resident(317)
    state.clock.fixed = jst(2027, 1, 10, 8, 0)  # session 1 is tonight
    text = r.texts(r.postback(pb("ev_series_mode", "s-1:online")))
    assert "本日の開催です。参加URL: https://example.jp/meet/s-1" in text
    assert "meet/s-2" not in text and "参加方法: オンライン" in text
    assert remind(runner) == "reminders: 0"  # session 1 already told
    state.clock.fixed = jst(2027, 2, 9, 10, 0)
    assert remind(runner) == "reminders: 1"
    assert "https://example.jp/meet/s-2" in r.texts(r.news())


# --- item 12: the demo content agrees with itself -----------------------------------------


def _months(when: str) -> tuple[date, date | None]:
    """2026年6〜7月 / 2026年12月 / 2026年11月〜2027年1月 / 2026年12月〜 → first and last month."""
    m = re.match(r"(\d{4})年(\d{1,2})", when)
    assert m, when
    start = date(int(m[1]), int(m[2]), 1)
    rest = when[m.end() :].lstrip("月")
    if not rest:
        return start, start
    assert rest.startswith("〜"), when
    rest = rest[1:]
    if not rest:
        return start, None
    full = re.fullmatch(r"(\d{4})年(\d{1,2})月", rest)
    if full:
        return start, date(int(full[1]), int(full[2]), 1)
    short = re.fullmatch(r"(\d{1,2})月", rest)
    assert short, when
    return start, date(start.year, int(short[1]), 1)


def _docs() -> dict[str, dict]:
    return {p.name: yaml.safe_load(p.read_text("utf-8")) for p in DEMO.glob("*.yml")}


def _ja(text) -> str:
    return text if isinstance(text, str) else text["ja"]


def _at(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _month(value) -> date:
    at = _at(value)
    return date(at.year, at.month, 1)


def test_the_demo_timeline_matches_the_demo_files():
    docs = _docs()
    steps = {_ja(s["label"]): s for s in docs["timeline.yml"]["steps"]}
    survey = docs["survey-resident-2026.yml"]
    events = [d for d in docs.values() if d.get("kind") == "event"]
    districts = [e for e in events if e["id"].startswith("district-")]
    series = [e for e in events if e.get("series") == "mirai-2026"]
    comment = docs["consultation.yml"]
    present = min(_at(e["starts_at"]) for e in events)
    spans = {
        "町民アンケート": [survey["opens_at"], survey["closes_at"]],
        "地区懇談会": [e["starts_at"] for e in districts],
        "ワークショップ": [e["starts_at"] for e in series],
        "パブリックコメント": [comment["opens_at"], comment["closes_at"]],
    }
    for word, times in spans.items():
        [step] = [s for label, s in steps.items() if word in label]
        first, last = _months(step["when"])
        months = sorted(_month(x) for x in times)
        assert first <= months[0] and (last is None or months[-1] <= last), (word, step)
        if last is None:
            assert months[0] == first, (word, step)
        # the demo's present is before its first event (they are all offered as upcoming):
        # a step is done only when everything in it is over by then
        if step.get("done"):
            assert max(_at(x) for x in times) < present, step
    assert len(series) == 3 and len(districts) == 4
    assert all(_month(e["starts_at"]) == date(2026, 12, 1) for e in districts)


def test_plan_progress_in_december_ticks_nothing_still_open(app, runner, state, resident):
    state.clock.fixed = jst(2026, 12, 1, 12, 0)
    result = runner.invoke(args=["content", "apply", str(DEMO)])
    assert result.exit_code == 0, result.output
    r = resident(320)
    r.follow()
    r.tap("同意しない")
    text = r.texts(r.say("計画の進捗"))
    assert "・ 2026年11月〜2027年1月 町民アンケート（16歳以上の全町民）" in text
    assert "・ 2026年12月 各行政区での地区懇談会" in text
    assert "✓" not in text
    assert "地区懇談会（大谷地区）" in r.texts(r.say("イベント"))  # the meetings are ahead
    assert "町民アンケート 2026" in r.texts(r.say("アンケート"))  # and the survey is open
