"""Announcements: segments, dry run, exactly-once sending under faults, scheduling, settings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, update

from bot import dispatcher
from db.broadcasts import STOP_ALL, Broadcast, BroadcastBatch, NotifyOptOut
from db.models import AuditLog, Resident, ResidentTopic
from db.outbox import retry_key
from db.session import transaction
from handlers import broadcast, segments
from handlers.town import load_town
from messages.limits import utf16_len
from tests import line

FOOTER = "お知らせ設定"


def st(app):
    return app.extensions["machikoe"]


def seed(app, n: int, prefix: str = "r", **fields) -> list[str]:
    """n residents straight into the database; returns their LINE user ids."""
    ids = [line.user_id(f"{prefix}{i}") for i in range(n)]
    now = datetime.now(UTC)
    rows = [
        {"line_user_id": uid, "language": "ja", "consent": "agreed", "created_at": now, **fields}
        for uid in ids
    ]
    with transaction(st(app).sessions) as s:
        s.execute(insert(Resident), rows)
    return ids


def send(runner, *args: str):
    result = runner.invoke(args=["broadcast", "send", "--actor", "tester@town", *args])
    return result


def only_broadcast_id(app) -> int:
    with st(app).sessions() as s:
        return s.scalar(select(func.max(Broadcast.id)))


# --- segments --------------------------------------------------------------------------


def test_grammar_refuses_unknown_fields_and_values_listing_valid_ones(app, runner):
    survey = "content/demo/survey-resident-2026.yml"
    assert runner.invoke(args=["content", "apply", survey]).exit_code == 0
    with st(app).sessions() as s:
        town = load_town(s)
        with pytest.raises(segments.SegmentError, match="valid fields: district, age"):
            segments.conditions(s, town, "ward=1")
        with pytest.raises(segments.SegmentError, match="valid values: 大谷, 磐梯, 更科, 七ツ森"):
            segments.conditions(s, town, "district=渋谷")
        with pytest.raises(segments.SegmentError, match="field=value"):
            segments.conditions(s, town, "district")
        with pytest.raises(segments.SegmentError, match=r"valid values: .*resident-2026"):
            segments.conditions(s, town, "answered=nope")
        got = segments.conditions(
            s, town, " district=七ツ森，磐梯  age=２０代 residency=町内に住んでいる "
        )
        assert [(c.field, c.values) for c in got] == [
            ("district", ("七ツ森", "磐梯")),
            ("age", ("20代",)),
            ("residency", ("resident",)),
        ]


def test_segment_fields_select_the_right_residents(app):
    from db.events import Event, Signup
    from db.surveys import Survey, SurveyCompletion

    a = seed(app, 1, "a", district="七ツ森", age_band="20代", residency="resident")[0]
    b = seed(app, 1, "b", district="磐梯", age_band="30代", residency="outside")[0]
    c = seed(app, 1, "c", district="大谷", age_band="20代", residency="resident")[0]
    now = datetime.now(UTC)
    with transaction(st(app).sessions) as s:
        rid = {r.line_user_id: r.id for r in s.scalars(select(Resident))}
        s.add(ResidentTopic(resident_id=rid[b], topic="子育て"))
        s.add(Survey(id="s1", title="t", opens_at=now, closes_at=now, definition={"questions": []}))
        s.add(
            Event(
                id="e1",
                title={"ja": "ws"},
                format="onsite",
                starts_at=now,
                ends_at=now,
                capacity_onsite=10,
            )
        )
        s.flush()
        s.add(
            SurveyCompletion(
                resident_id=rid[a], survey_id="s1", started_at=now, completed_on=now.date()
            )
        )
        s.add(
            Signup(
                event_id="e1",
                resident_id=rid[c],
                mode="onsite",
                status="confirmed",
                attendance_code="1234",
                attended_at=now,
            )
        )
        s.add(
            Signup(
                event_id="e1",
                resident_id=rid[b],
                mode="onsite",
                status="waitlisted",
                attendance_code="5678",
            )
        )
    expect = {
        "": {a, b, c},
        "district=七ツ森,磐梯": {a, b},
        "district=七ツ森,磐梯 age=20代": {a},
        "residency=outside": {b},
        "topic=子育て": {b},
        "answered=s1": {a},
        "not_answered=s1": {b, c},
        "signed_up=e1": {b, c},
        "attended=e1": {c},
        "age=20代 not_answered=s1 attended=e1": {c},
    }
    with st(app).sessions() as s:
        town = load_town(s)
        for expression, who in expect.items():
            where = segments.recipients_where(s, town, expression, None, False)
            got = set(s.scalars(select(Resident.line_user_id).where(where)))
            assert got == who, expression
            assert segments.count(s, town, expression) == len(who)


# --- dry run and quota ----------------------------------------------------------------------


def test_dry_run_sends_nothing_and_warns_when_over_quota(app, runner, fake_line):
    seed(app, 30, district="更科")
    fake_line.quota_limit = 1000
    fake_line.quota_used = 990
    result = send(runner, "--text", "説明会のお知らせ", "--segment", "district=更科", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "recipients:        30" in result.output
    assert "monthly quota:     1000 (990 used, 10 remaining)" in result.output
    assert "WARNING" in result.output and "would stop part-way" in result.output
    assert fake_line.count("multicast") == 0
    with st(app).sessions() as s:
        assert s.scalar(select(func.count()).select_from(Broadcast)) == 0
        d = broadcast.dry_run(s, st(app).gateway, "x", "district=更科")
        assert (d.recipients, d.messages, d.cost, d.exceeds) == (30, 1, 30, True)
    fake_line.quota_limit = None
    result = send(runner, "--text", "説明会", "--dry-run")
    assert "no limit" in result.output and "WARNING" not in result.output


def test_bad_input_is_refused_with_the_reason(app, runner, fake_line):
    seed(app, 3)
    result = send(runner, "--text", "x", "--segment", "district=渋谷")
    assert result.exit_code == 2 and "valid values: 大谷" in result.output
    result = send(runner, "--text", "x", "--topic", "野球")
    assert result.exit_code == 2 and "valid topics: 計画づくり" in result.output
    result = send(runner, "--text", "x", "--link", "http://example.jp", "--link-label", "見る")
    assert result.exit_code == 2 and "https" in result.output
    result = send(runner, "--text", "あ" * 26000)
    assert result.exit_code == 2 and "LINE allows 5" in result.output
    assert fake_line.count("multicast") == 0


# --- sending -------------------------------------------------------------------------------


def test_send_to_a_segment_with_exclusions_footer_image_and_link(app, runner, fake_line):
    inside = seed(app, 4, "in", district="七ツ森")
    outside = seed(app, 2, "out", district="大谷")
    blocked = seed(app, 1, "blk", district="七ツ森", blocked=True)
    stopped = seed(app, 1, "stop", district="七ツ森")
    with transaction(st(app).sessions) as s:
        rid = s.scalar(select(Resident.id).where(Resident.line_user_id == stopped[0]))
        s.add(NotifyOptOut(resident_id=rid, topic="防災"))
    result = send(
        runner,
        "--text",
        "七ツ森地区の避難訓練は11月8日(土) 9:00からです。",
        "--segment",
        "district=七ツ森",
        "--topic",
        "防災",
        "--image",
        "https://example.jp/drill.png",
        "--link",
        "https://example.jp/drill",
        "--link-label",
        "詳しく見る",
    )
    assert result.exit_code == 0, result.output
    assert "done" in result.output
    counts = fake_line.recipient_counts("multicast")
    assert set(counts) == set(inside) and set(counts.values()) == {1}
    got = fake_line.messages_for(inside[0])
    assert [m["type"] for m in got] == ["text", "image", "template", "text"]
    assert "避難訓練" in got[0]["text"] and FOOTER in got[-1]["text"]
    assert got[2]["template"]["actions"][0] == {
        "type": "uri",
        "label": "詳しく見る",
        "uri": "https://example.jp/drill",
    }
    for uid in [*outside, *blocked, *stopped]:
        assert fake_line.messages_for(uid) == []
    b_id = only_broadcast_id(app)
    with st(app).sessions() as s:
        status = broadcast.broadcast_status(s, b_id)
        assert status["status"] == "done"
        # blocked and opted-out residents are left out when the audience is materialised
        assert (status["recipients"], status["delivered"], status["skipped"]) == (4, 4, 0)
        audit = s.scalars(select(AuditLog).where(AuditLog.target == f"broadcast:{b_id}")).all()
        assert [a.action for a in audit] == ["broadcast.create", "broadcast.done"]
        assert audit[0].actor == "tester@town" and audit[0].detail["segment"] == "district=七ツ森"
        assert audit[1].detail["delivered"] == 4 and audit[1].detail["recipients"] == 4
    result = runner.invoke(args=["broadcast", "status", str(b_id)])
    assert "delivered:  4" in result.output and "progress:   1/1 batches (100%)" in result.output
    result = runner.invoke(args=["broadcast", "list"])
    assert f"{b_id:>4}  done" in result.output and "district=七ツ森 topic=防災" in result.output


def test_long_text_is_split_within_line_limits_and_english_gets_english(app, runner, fake_line):
    ja = seed(app, 1, "ja")[0]
    en = seed(app, 1, "en", language="en")[0]
    text = ("計画づくりの経過報告です。\n" + "あ" * 70 + "\n") * 150  # ~12,600 characters
    result = send(runner, "--text", text)
    assert result.exit_code == 0, result.output
    got = fake_line.messages_for(ja)
    assert len(got) == 3 and all(utf16_len(m["text"]) <= 5000 for m in got)
    assert "".join(m["text"] for m in got).startswith(text.strip())
    assert FOOTER in got[-1]["text"]
    assert "To change what you receive" in fake_line.messages_for(en)[-1]["text"]


def multicasts(fake_line):
    return [r for r in fake_line.requests if r.endpoint == "multicast"]


def test_exactly_once_under_500s_rate_limits_and_timeouts(app, runner, fake_line, settings):
    ids = seed(app, 1700)  # 4 batches
    fake_line.inject("multicast", 500, count=2)
    fake_line.inject("multicast", 429)  # rate limit (not monthly): slow down, retry
    late = settings.line_timeout[1] + 0.5  # longer than the gateway waits for an answer
    fake_line.inject("multicast", timeout=late, deliver=True)  # delivered, answer lost
    result = send(runner, "--text", "町民アンケートへのご協力をお願いします。")
    assert result.exit_code == 0, result.output
    counts = fake_line.recipient_counts("multicast")
    assert len(counts) == 1700 and set(counts.values()) == {1} and set(counts) == set(ids)
    b_id = only_broadcast_id(app)
    keys = [r.headers["x-line-retry-key"] for r in multicasts(fake_line)]
    assert set(keys) == {retry_key("broadcast", b_id, n) for n in range(4)}
    first = retry_key("broadcast", b_id, 0)
    statuses = [r.status for r in multicasts(fake_line) if r.headers["x-line-retry-key"] == first]
    assert statuses[:3] == [500, 500, 429]  # one batch retried under one key
    assert fake_line.count("multicast", 409) == 1  # the timed-out request was accepted
    with st(app).sessions() as s:
        status = broadcast.broadcast_status(s, b_id)
        assert status["status"] == "done" and status["delivered"] == 1700


def test_monthly_limit_pauses_then_resume_finishes_exactly_once(app, runner, fake_line):
    ids = seed(app, 1200)  # 3 batches
    fake_line.quota_limit = 700
    result = send(runner, "--text", "ワークショップのご案内")
    assert "monthly message limit" in result.output
    b_id = only_broadcast_id(app)
    with st(app).sessions() as s:
        status = broadcast.broadcast_status(s, b_id)
    assert status["status"] == "paused" and "monthly message limit" in status["pause_reason"]
    assert status["delivered"] == 500
    result = runner.invoke(args=["broadcast", "status", str(b_id)])
    assert "paused:" in result.output
    assert runner.invoke(args=["jobs", "run", "dispatch"]).output.strip() == "dispatch: 0"
    fake_line.quota_limit = 5000
    result = runner.invoke(args=["broadcast", "resume", str(b_id), "--actor", "tester@town"])
    assert result.exit_code == 0, result.output
    counts = fake_line.recipient_counts("multicast")
    assert set(counts) == set(ids) and set(counts.values()) == {1}
    with st(app).sessions() as s:
        assert broadcast.broadcast_status(s, b_id)["status"] == "done"
        actions = s.scalars(select(AuditLog.action).where(AuditLog.target == f"broadcast:{b_id}"))
        assert list(actions) == [
            "broadcast.create",
            "broadcast.paused",
            "broadcast.resume",
            "broadcast.done",
        ]


def test_the_same_announcement_twice_is_refused_unless_asked(app, runner, fake_line):
    seed(app, 2)
    assert send(runner, "--text", "説明会").exit_code == 0
    result = send(runner, "--text", "説明会")
    assert result.exit_code == 2 and "--again" in result.output
    assert send(runner, "--text", "説明会", "--again").exit_code == 0
    assert set(fake_line.recipient_counts("multicast").values()) == {2}


def test_two_dispatchers_at_once_never_send_a_batch_twice(app, settings, fake_line):
    import threading

    from bot.state import build_state

    ids = seed(app, 3100)  # 7 batches
    with transaction(st(app).sessions) as s:
        b = broadcast.create_broadcast(s, actor="t", text="同時送信", now=datetime.now(UTC))
        b_id = b.id
    states = [build_state(settings) for _ in range(2)]
    reports = []
    threads = [
        threading.Thread(
            target=lambda x=x: reports.append(dispatcher.send(x, b_id, workers=2, group=1))
        )
        for x in states
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for x in states:
        x.engine.dispose()
    keys = [r.headers["x-line-retry-key"] for r in multicasts(fake_line)]
    assert len(keys) == len(set(keys)) == 7  # no batch requested twice
    assert fake_line.count("multicast", 409) == 0
    counts = fake_line.recipient_counts("multicast")
    assert set(counts) == set(ids) and set(counts.values()) == {1}
    assert sum(r.batches_sent for r in reports) == 7


# --- scheduling and cancelling -----------------------------------------------------------------


def test_scheduled_broadcast_waits_for_dispatch_and_cancel_stops_it(app, runner, fake_line):
    ids = seed(app, 3)
    clock = st(app).clock
    clock.fixed = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    result = send(runner, "--text", "説明会は明日です", "--at", "2026-11-01T18:00+09:00")
    assert result.exit_code == 0 and "scheduled for 2026-11-01 18:00 JST" in result.output
    result = send(runner, "--text", "取りやめ予定", "--at", "2026-11-01T18:00")  # town time
    assert result.exit_code == 0, result.output
    first, second = only_broadcast_id(app) - 1, only_broadcast_id(app)
    assert runner.invoke(args=["jobs", "run", "dispatch"]).output.strip() == "dispatch: 0"
    assert fake_line.count("multicast") == 0
    result = runner.invoke(args=["broadcast", "cancel", str(second), "--actor", "boss@town"])
    assert result.exit_code == 0 and "cancelled" in result.output
    clock.fixed = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # 18:00 JST
    assert runner.invoke(args=["jobs", "run", "dispatch"]).output.strip() == "dispatch: 1"
    assert runner.invoke(args=["jobs", "run", "dispatch"]).output.strip() == "dispatch: 0"
    for uid in ids:
        assert [t for t in fake_line.texts_for(uid) if "説明会" in t]
        assert not [t for t in fake_line.texts_for(uid) if "取りやめ" in t]
    with st(app).sessions() as s:
        assert broadcast.broadcast_status(s, first)["status"] == "done"
        assert broadcast.broadcast_status(s, second)["status"] == "cancelled"
        audit = s.scalar(select(AuditLog).where(AuditLog.action == "broadcast.cancel"))
        assert audit.actor == "boss@town" and audit.target == f"broadcast:{second}"
        period = broadcast.sent_in_period(
            s, clock.fixed - timedelta(hours=1), clock.fixed + timedelta(hours=1)
        )
        assert period == {"broadcasts": 1, "delivered": 3}
        rows = broadcast.list_broadcasts(s)
        assert [(r["id"], r["delivered"]) for r in rows] == [(second, 0), (first, 3)]
    result = runner.invoke(args=["broadcast", "cancel", str(first)])
    assert result.exit_code == 2 and "done" in result.output


# --- the resident's side ---------------------------------------------------------------------


def test_notify_settings_toggle_topics_and_stop_all(app, runner, resident, fake_line):
    taro = resident(1)
    taro.follow()
    taro.tap("同意する")
    for _ in range(3):
        taro.tap("スキップ")
    for topic in ("計画づくり", "子育て", "防災"):
        taro.tap(topic)
    taro.tap("決定")
    got = taro.say("お知らせ設定")
    assert "✓ のついた分野" in taro.texts(got)
    assert {"✓ 防災", "✓ 子育て", "イベント", "すべて停止する", "決定"} <= set(taro.buttons(got))
    assert "✓ イベント" not in taro.buttons(got)  # what he chose in onboarding (issue #15)
    got = taro.tap("✓ 子育て")
    assert "「子育て」のお知らせを停止しました" in taro.texts(got)
    assert "子育て" in taro.buttons(got) and "✓ 子育て" not in taro.buttons(got)
    hanako = resident(2)
    hanako.follow()
    hanako.tap("同意しない")
    hanako.say("お知らせ設定")
    got = hanako.tap("すべて停止する")
    assert "緊急のお知らせ以外" in hanako.texts(got) and "受け取りを再開" in hanako.buttons(got)
    got = hanako.tap("決定")
    assert "設定を保存しました" in hanako.texts(got)
    with st(app).sessions() as s:
        off = {
            (uid, topic)
            for uid, topic in s.execute(
                select(Resident.line_user_id, NotifyOptOut.topic).join(
                    Resident, Resident.id == NotifyOptOut.resident_id
                )
            )
        }
        assert off == {
            (taro.id, "子育て"),
            (taro.id, "イベント"),
            (taro.id, "移住・定住"),
            (hanako.id, STOP_ALL),
        }
    before = {u: len(fake_line.messages_for(u)) for u in (taro.id, hanako.id)}
    assert send(runner, "--text", "子育て支援の説明会", "--topic", "子育て").exit_code == 0
    assert send(runner, "--text", "計画づくりの報告", "--topic", "計画づくり").exit_code == 0
    assert send(runner, "--text", "大雨の避難情報", "--topic", "防災", "--urgent").exit_code == 0

    def news(u):
        return [m["text"] for m in fake_line.messages_for(u)[before[u] :]]

    assert [x.split("\n")[0] for x in news(taro.id)] == ["計画づくりの報告", "大雨の避難情報"]
    assert [x.split("\n")[0] for x in news(hanako.id)] == ["大雨の避難情報"]
    assert all(FOOTER in x for x in news(taro.id))


def test_a_resident_who_blocks_mid_broadcast_is_skipped(app, fake_line):
    ids = seed(app, 1100)  # 3 batches; the last resident blocks after the send starts
    state = st(app)
    with transaction(state.sessions) as s:
        b = broadcast.create_broadcast(s, actor="t", text="お知らせ", now=state.now())
        b_id = b.id
    assert dispatcher.start_due(state, b_id, state.now())
    with transaction(state.sessions) as s:
        s.execute(update(Resident).where(Resident.line_user_id == ids[-1]).values(blocked=True))
    report = dispatcher.send(state, b_id)
    assert report.status == "done" and report.recipients_sent == 1099
    assert ids[-1] not in fake_line.recipient_counts("multicast")
    with state.sessions() as s:
        sizes = s.execute(
            select(BroadcastBatch.batch_no, BroadcastBatch.size, BroadcastBatch.recipients)
            .where(BroadcastBatch.broadcast_id == b_id)
            .order_by(BroadcastBatch.batch_no)
        ).all()
    assert [tuple(r) for r in sizes] == [(0, 500, 500), (1, 500, 500), (2, 100, 99)]
    with state.sessions() as s:
        status = broadcast.broadcast_status(s, b_id)
    assert status["skipped_by_reason"] == {"blocked": 1} and status["delivered"] == 1099
