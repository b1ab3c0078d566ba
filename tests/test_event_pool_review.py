"""The webhook queue under review: order across webhooks, profile leases, heads, shutdown."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import event, select, text, update
from sqlalchemy.exc import DBAPIError

from bot import inbox
from bot.event_pool import Pool
from bot.state import build_state
from db import webhook_queue
from db.models import Outbox, WebhookEvent
from tests import line
from tests.test_event_pool import ROOT, _done, _env, _wait, rows, talker


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pending(state) -> int:
    with state.engine.connect() as conn:
        return webhook_queue.backlog(conn, state.now()).pending


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_a_senders_later_webhook_waits_for_its_earlier_one_to_commit(state, fake_line, app):
    """Ids are handed out at INSERT: a second store of the sender waits for the first's commit."""
    uid = talker(fake_line, 1)
    first = line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))
    second = line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))
    conn = state.engine.connect()
    trans = conn.begin()
    webhook_queue.insert_pending(conn, [webhook_queue.row(first, state.now())])
    done = threading.Event()
    worker = threading.Thread(target=lambda: (inbox.store(state, [second]), done.set()))
    worker.start()
    try:
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'advisory'"

        def waiting() -> bool:  # a fresh transaction each time: a new pg_stat_activity snapshot
            with state.engine.connect() as probe:
                return probe.execute(text(query)).scalar() > 0

        assert _wait(waiting, 30)
        assert not done.is_set() and inbox.drain(state) == 0  # nothing of the sender visible
    finally:
        trans.commit()
        conn.close()
    worker.join(30)
    assert done.is_set()
    assert [r.event_id for r in rows(state)] == [first["webhookEventId"], second["webhookEventId"]]
    assert inbox.drain(state, limit=1) == 1
    assert [r.status for r in rows(state)] == ["done", "pending"]  # the earlier one first
    assert inbox.drain(state) == 1


def test_n_follows_with_several_drainers_read_n_profiles(app, settings, state, fake_line):
    """An event waiting for its profile is leased: the other drainers pass over it."""
    uids = [talker(fake_line, n) for n in range(100, 108)]
    inbox.store(state, [line.follow(u, fake_line.issue_reply_token(u)) for u in uids])
    workers = [build_state(settings) for _ in range(4)]
    errors: list[BaseException] = []

    def run(w) -> None:
        try:
            while inbox.drain(w) or _pending(state):
                time.sleep(0.01)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for w in workers:
        w.engine.dispose()
    assert errors == []
    assert fake_line.count("profile") == len(uids)
    assert fake_line.count("reply") == len(uids)


def _rows_examined(conn, pick) -> int:
    """Rows the database looked at for one pick (SQLite: VM steps; PostgreSQL: tuples)."""
    if conn.dialect.name == "sqlite":
        steps = [0]
        raw = conn.connection.dbapi_connection

        def step() -> int:
            steps[0] += 1
            return 0

        raw.set_progress_handler(step, 1)
        try:
            pick()
        finally:
            raw.set_progress_handler(None, 1)
        return steps[0] // 20  # about 20 VM steps per row looked at
    stats = text(
        "SELECT coalesce(sum(seq_tup_read), 0) + coalesce(sum(idx_tup_fetch), 0) "
        "FROM pg_stat_xact_user_tables WHERE relname = 'webhook_events'"
    )
    before = conn.execute(stats).scalar()
    pick()
    return int(conn.execute(stats).scalar() - before)


def test_a_flooding_sender_does_not_slow_the_pick_of_others(app, state, fake_line):
    """Only senders' heads are looked at: 3,000 events of one sender cost no more than 3."""
    flood, other = talker(fake_line, 200), talker(fake_line, 201)
    cost = {}
    for size in (3, 3000):
        with state.engine.begin() as conn:
            conn.execute(WebhookEvent.__table__.delete())
            now = state.now()
            batch = [line.text(flood, "x", "t") for _ in range(size)] + [line.text(other, "y", "t")]
            webhook_queue.insert_pending(conn, [webhook_queue.row(e, now) for e in batch])
        with state.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("ANALYZE webhook_events"))
            head = webhook_queue.pick(conn, now)
            webhook_queue.lease(conn, head.id, now + timedelta(minutes=1))  # being worked on
        with state.engine.begin() as conn:
            got: list = []
            cost[size] = _rows_examined(
                conn, lambda c=conn, g=got, at=now: g.append(webhook_queue.pick(c, at))
            )
            assert got[0].sender == other  # not the flood's second event: it is not a head
    assert cost[3000] <= cost[3] + 5, cost


def test_a_sender_without_a_head_is_repaired_by_the_inbox_job(app, state, fake_line):
    uid = talker(fake_line, 210)
    inbox.store(state, [line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))])
    with state.engine.begin() as conn:
        conn.execute(update(WebhookEvent.__table__).values(head=False))
    assert inbox.drain(state) == 0  # no head: not pickable
    assert inbox.recover(state) == 1
    assert fake_line.count("reply") == 1


def test_finishing_an_event_hands_the_head_to_the_senders_next(app, state, fake_line):
    uid = talker(fake_line, 211)
    events = [line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid)) for _ in range(3)]
    inbox.store(state, events[:2])
    inbox.store(state, events[2:])
    assert [r.head for r in rows(state)] == [True, False, False]
    assert inbox.drain(state, limit=1) == 1
    assert [(r.status, r.head) for r in rows(state)] == [
        ("done", False),
        ("pending", True),
        ("pending", False),
    ]
    assert inbox.drain(state) == 2


def test_a_redelivery_20_minutes_after_the_event_is_pushed(app, state, fake_line):
    """A fresh receipt, but LINE's timestamp is 21 minutes old: its token has ended."""
    uid = talker(fake_line, 220)
    sent = line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))
    sent["timestamp"] -= 21 * 60_000
    sent["deliveryContext"] = {"isRedelivery": True}
    inbox.store(state, [sent])
    assert inbox.drain(state) == 1
    assert fake_line.count("reply") == 0 and fake_line.count("push") == 1
    [row] = rows(state)
    assert row.replied_by_push


def test_a_redelivery_within_20_minutes_is_still_replied(app, state, fake_line):
    """LINE renews a redelivered event's token for a minute, up to 20 minutes after it."""
    uid = talker(fake_line, 222)
    sent = line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))
    sent["timestamp"] -= 5 * 60_000
    sent["deliveryContext"] = {"isRedelivery": True}
    inbox.store(state, [sent])
    assert inbox.drain(state) == 1
    assert fake_line.count("reply") == 1 and fake_line.count("push") == 0


def test_an_event_that_took_too_long_is_pushed_not_replied(app, state, fake_line):
    """Checked again after the commit: the window passed while it was processed."""
    uid = talker(fake_line, 221)
    inbox.store(state, [line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))])
    start = state.now()
    state.clock.fixed = start

    def slow(conn) -> None:  # the event's transaction took a minute
        state.clock.fixed = start + timedelta(seconds=61)

    event.listen(state.engine, "commit", slow)
    try:
        assert inbox.drain(state) == 1
    finally:
        event.remove(state.engine, "commit", slow)
    assert fake_line.count("reply") == 0 and fake_line.count("push") == 1
    assert "できること" in "".join(fake_line.texts_for(uid))
    with state.sessions() as s:
        [key] = s.scalars(select(Outbox.retry_key))
    assert inbox.recover(state) == 0 and fake_line.count("push") == 1  # once
    assert key and rows(state)[0].replied_by_push


def test_after_a_burst_the_pool_does_not_pick_once_per_wake_up(app, state, fake_line):
    uids = [talker(fake_line, n) for n in range(230, 260)]
    picks = [0]

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM webhook_events" in statement and "ORDER BY webhook_events.id" in statement:
            picks[0] += 1

    pool = Pool(state, 1, poll=3600)
    event.listen(state.engine, "before_cursor_execute", seen)
    try:
        for u in uids:
            inbox.store(state, [line.text(u, "ヘルプ", fake_line.issue_reply_token(u))])
        for _ in uids:  # a burst of webhooks: a wake-up each
            pool.wake()
        assert _wait(lambda: _done(state) == len(uids), 60)
        assert _wait(lambda: pool.idle() == 1, 30)
    finally:
        event.remove(state.engine, "before_cursor_execute", seen)
        assert pool.stop()
    drains = picks[0] - len(uids)  # each drain ends with one empty pick
    assert 1 <= drains <= 3, picks[0]


def test_a_failing_statement_logs_no_words(app, state, caplog):
    caplog.set_level(logging.DEBUG)
    bad = {"event_id": "e-1", "event_type": None, "payload": "ひみつの相談", "sender": "Usecret"}
    with pytest.raises(DBAPIError) as failed, state.engine.begin() as conn:
        conn.execute(WebhookEvent.__table__.insert().values(**bad, status="pending"))
    assert "ひみつ" not in str(failed.value) and "Usecret" not in str(failed.value)
    assert "ひみつ" not in caplog.text and "Usecret" not in caplog.text
    with pytest.raises(DBAPIError) as twice, state.engine.begin() as conn:  # a key's value
        rows_ = [webhook_queue.row(line.text("Usecret", "x", "t"), state.now())] * 2
        conn.execute(WebhookEvent.__table__.insert(), [dict(r, event_id="ひみつ") for r in rows_])
    assert "ひみつ" not in str(twice.value) and "Usecret" not in str(twice.value)


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
def test_postgresql_sessions_give_up_idle_transactions_and_keep_alive(state):
    with state.engine.connect() as conn:
        assert conn.execute(text("SHOW idle_in_transaction_session_timeout")).scalar() == "1min"
        dsn = conn.connection.dbapi_connection.get_dsn_parameters()
        assert (dsn["keepalives"], dsn["keepalives_idle"]) == ("1", "30")


def test_gunicorn_lets_the_pool_finish_on_sigterm(app, settings, state, fake_line, free_port):
    """SIGTERM right after the webhooks: every event is replied to, or still pending; never lost."""
    uids = [talker(fake_line, n) for n in range(300, 312)]
    env = _env(settings) | {"INBOX_THREADS": "2", "ACCESS_LOG": ""}
    web = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{free_port}", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{free_port}/callback"
    try:

        def post(*events) -> int:
            body = line.payload(*events)
            request = urllib.request.Request(url, data=body, method="POST")
            request.add_header("Content-Type", "application/json")
            request.add_header("x-line-signature", line.sign(body))
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:
                    return answer.status
            except OSError:
                return 0

        assert _wait(lambda: post() == 200, 60), "gunicorn did not start"
        for i in range(0, len(uids), 3):
            events = [
                line.text(u, "ヘルプ", fake_line.issue_reply_token(u)) for u in uids[i : i + 3]
            ]
            assert post(*events) == 200
        web.send_signal(signal.SIGTERM)
        output, _ = web.communicate(timeout=60)
    finally:
        if web.poll() is None:
            web.kill()
            web.wait(30)
    assert "inbox pool stopped: its events finished" in output  # worker_exit ran, waited
    assert "ヘルプ" not in output
    finished = _done(state)
    assert fake_line.count("reply") == finished  # a committed event's reply went out
    assert inbox.drain(state) == len(uids) - finished  # the rest waited, pending
    assert _done(state) == len(uids) and fake_line.count("reply") == len(uids)


def test_a_timestamp_from_the_future_is_not_trusted(app, state, fake_line):
    uid = talker(fake_line, 320)
    sent = line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))
    sent["timestamp"] += 10 * 86_400_000
    inbox.store(state, [sent])
    [row] = rows(state)
    assert row.occurred_at == row.received_at
    assert inbox.drain(state) == 1 and fake_line.count("reply") == 1
