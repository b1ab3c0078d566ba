"""The webhook queue: acknowledged before processing, drained once, in order, after crashes."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, update

from bot import inbox
from bot.event_pool import Pool
from bot.state import build_state
from db import webhook_queue
from db.models import Outbox, WebhookEvent
from tests import line
from tests.test_console import as_role

ROOT = Path(__file__).resolve().parents[1]


def rows(state) -> list[WebhookEvent]:
    with state.sessions() as s:
        return list(s.scalars(select(WebhookEvent).order_by(WebhookEvent.id)))


def raw_post(client, *events):
    """POST like LINE, without draining afterwards (tests.line.post drains)."""
    body = line.payload(*events)
    return client.post(
        "/callback",
        data=body,
        headers={"Content-Type": "application/json", "x-line-signature": line.sign(body)},
    )


def talker(fake_line, n: int) -> str:
    uid = line.user_id(f"pool-{n}")
    fake_line.profiles[uid] = {"userId": uid, "displayName": "x", "language": "ja"}
    return uid


def test_the_webhook_answers_before_the_handler_runs(app, client, fake_line, state):
    uid = talker(fake_line, 1)
    sent = line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))
    assert raw_post(client, sent).status_code == 200
    [row] = rows(state)
    assert (row.status, row.sender, json.loads(row.payload)) == ("pending", uid, sent)
    assert fake_line.count("reply") == 0  # nothing ran inside the request
    assert inbox.drain(state) == 1
    assert fake_line.count("reply") == 1 and "できること" in "".join(fake_line.texts_for(uid))
    [row] = rows(state)
    assert (row.status, row.payload, row.sender) == ("done", None, None)
    assert inbox.drain(state) == 0


def test_a_batch_is_stored_in_one_statement(app, client, fake_line, state):
    uids = [talker(fake_line, n) for n in range(5)]
    events = [line.text(u, "ヘルプ", fake_line.issue_reply_token(u)) for u in uids]
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(state.engine, "before_cursor_execute", seen)
    try:
        assert raw_post(client, *events).status_code == 200
    finally:
        event.remove(state.engine, "before_cursor_execute", seen)
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE"))]
    assert len(writes) == 1 and "webhook_events" in writes[0]
    assert [r.event_id for r in rows(state)] == [e["webhookEventId"] for e in events]
    assert raw_post(client, *events).status_code == 200  # a redelivery stores nothing new
    assert len(rows(state)) == 5


def _race(settings, state, fake_line, drainers: int, residents: int, each: int):
    """Store residents × each messages, then drain them with real threads, one engine each."""
    uids = [talker(fake_line, n) for n in range(residents)]
    events = [
        line.text(u, "ヘルプ", fake_line.issue_reply_token(u)) for _ in range(each) for u in uids
    ]
    for i in range(0, len(events), 7):  # several webhooks, as LINE sends them
        inbox.store(state, events[i : i + 7])
    workers = [build_state(settings) for _ in range(drainers)]
    for w in workers:
        w.clock = state.clock
    counts, errors = [0] * drainers, []
    go = threading.Barrier(drainers)

    def run(i: int) -> None:
        try:
            go.wait()
            while (took := inbox.drain(workers[i])) or webhook_queue_pending(state):
                counts[i] += took
                if not took:  # the rest is another drainer's: a resident's next waits
                    time.sleep(0.01)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(drainers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    for w in workers:
        w.engine.dispose()
    assert errors == []
    return uids, events, counts


def webhook_queue_pending(state) -> int:
    with state.engine.connect() as conn:
        return webhook_queue.backlog(conn, state.now()).pending


def test_two_drainers_keep_each_residents_order(app, settings, state, fake_line):
    uids, events, counts = _race(settings, state, fake_line, drainers=2, residents=3, each=6)
    assert sum(counts) == len(events)
    by_sender = defaultdict(list)
    for row in rows(state):
        assert row.status == "done"
        by_sender[row.line_user_id].append(row)
    for sender in uids:
        done = [r.processed_at for r in sorted(by_sender[sender], key=lambda r: r.id)]
        assert done == sorted(done) and len(set(done)) == len(done)  # strictly in arrival order


def test_several_drainers_never_process_an_event_twice(app, settings, state, fake_line):
    _, events, counts = _race(settings, state, fake_line, drainers=4, residents=6, each=4)
    assert sum(counts) == len(events)  # each drainer counts only what it claimed
    assert fake_line.count("reply") == len(events)
    assert fake_line.count("reply", 400) == 0  # no token used twice
    assert {r.status for r in rows(state)} == {"done"}


def test_late_events_are_answered_by_push_with_a_retry_key(app, runner, state, fake_line):
    from prometheus_client import REGISTRY

    def counted() -> float:
        return REGISTRY.get_sample_value("machikoe_late_reply_pushes_total") or 0.0

    before = counted()
    uid = talker(fake_line, 2)
    inbox.store(state, [line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid))])
    state.clock.fixed = state.now() + timedelta(seconds=55)  # past the reply window
    assert inbox.drain(state) == 1
    assert counted() == before + 1
    assert fake_line.count("reply") == 0 and fake_line.count("push") == 1
    [delivery] = {d.retry_key for d in fake_line.deliveries if d.user_id == uid}
    assert delivery  # a retry key: a retried push is never doubled
    with state.sessions() as s:
        assert s.scalar(select(Outbox.kind)) == "late-reply"
    assert [r.replied_by_push for r in rows(state)] == [True]
    listed = runner.invoke(args=["jobs", "list"])
    assert "this month: 1" in listed.output and "0 pending" in listed.output


def test_healthz_shows_the_backlog_and_warns_once_past_the_window(
    app, client, fake_line, state, caplog
):
    assert client.get("/healthz").json["backlog"] == {"pending": 0, "oldest_seconds": 0}
    uids = [talker(fake_line, n) for n in (3, 4)]
    state.clock.fixed = state.now()
    inbox.store(state, [line.follow(u, fake_line.issue_reply_token(u)) for u in uids])
    state.clock.fixed += timedelta(seconds=12)
    assert client.get("/healthz").json["backlog"] == {"pending": 2, "oldest_seconds": 12.0}
    inbox._warned[0] = 0.0
    state.clock.fixed += timedelta(seconds=60)
    with caplog.at_level(logging.WARNING):
        client.get("/healthz")
        client.get("/healthz")
    warnings = [r for r in caplog.records if "webhook backlog" in r.getMessage()]
    assert len(warnings) == 1 and "2 events pending" in warnings[0].getMessage()
    assert not any(u in caplog.text for u in uids)


def test_the_dashboard_shows_the_backlog(app, client, fake_line, state):
    uid = talker(fake_line, 5)
    inbox.store(state, [line.follow(uid, fake_line.issue_reply_token(uid))])
    page = as_role(app, "viewer").get("/admin/").get_data(as_text=True)
    assert "受信イベントの処理待ち" in page and 'data-testid="webhook-queue"' in page
    tile = page.split('data-testid="webhook-queue"', 1)[1].split("</section>", 1)[0]
    assert "1<small>件" in tile


def test_an_event_without_source_is_acknowledged_without_a_traceback(
    app, client, fake_line, state, caplog
):
    for kind in ("follow", "message", "postback", "unfollow"):
        sent = line.base(kind, None, fake_line.issue_reply_token("nobody"))
        if kind == "message":
            sent["message"] = {"id": "1", "type": "text", "text": "ヘルプ", "quoteToken": "q"}
        if kind == "postback":
            sent["postback"] = {"data": "v=1&a=menu"}
        with caplog.at_level(logging.INFO):
            assert line.post(client, line.payload(sent)).status_code == 200
    assert "Traceback" not in caplog.text and "failed with" not in caplog.text
    assert {r.status for r in rows(state)} == {"done"}


def test_an_unreadable_stored_event_is_failed_and_the_pool_goes_on(app, fake_line, state, caplog):
    uid = talker(fake_line, 6)
    first, second = (line.text(uid, "ヘルプ", fake_line.issue_reply_token(uid)) for _ in "12")
    inbox.store(state, [first, second])
    with state.engine.begin() as conn:  # a payload no one can read (say, cut short)
        conn.execute(
            update(WebhookEvent)
            .where(WebhookEvent.event_id == first["webhookEventId"])
            .values(payload='{"type": "mess')
        )
    assert inbox.drain(state) == 2
    assert [r.status for r in rows(state)] == ["failed", "done"]
    assert fake_line.count("reply") == 1  # the second one, still answered
    assert "marked failed" in caplog.text


def test_a_pool_drains_what_the_webhook_wakes_it_for(app, client, fake_line, state):
    pool = Pool(state, threads=2, poll=0.2)
    try:
        pool.start()
        uids = [talker(fake_line, n) for n in range(10, 14)]
        for u in uids:
            assert (
                raw_post(client, line.text(u, "ヘルプ", fake_line.issue_reply_token(u))).status_code
                == 200
            )
            pool.wake()
        deadline = time.monotonic() + 30
        while fake_line.count("reply") < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake_line.count("reply") == 4
    finally:
        assert pool.stop()


def _env(settings) -> dict:
    return line.process_env(settings, LOG_LEVEL="INFO")


def _worker(settings, threads: int = 2) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--threads", str(threads)],
        cwd=ROOT,
        env=_env(settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(check, seconds: float = 120.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _done(state) -> int:
    with state.sessions() as s:
        return s.scalar(
            select(func.count()).select_from(WebhookEvent).where(WebhookEvent.status == "done")
        )


def test_the_worker_command_drains_and_stops_on_sigterm(app, settings, state, fake_line):
    uids = [talker(fake_line, n) for n in range(20, 24)]
    inbox.store(state, [line.text(u, "ヘルプ", fake_line.issue_reply_token(u)) for u in uids])
    worker = _worker(settings)
    try:
        if not _wait(lambda: fake_line.count("reply") == 4):
            worker.kill()
            raise AssertionError("the worker answered no one:\n" + worker.communicate()[0])
        later = line.text(uids[0], "ヘルプ", fake_line.issue_reply_token(uids[0]))
        inbox.store(state, [later])  # stored by another process: found by polling
        assert _wait(lambda: fake_line.count("reply") == 5)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
    assert worker.returncode == 0, output
    assert "worker stopped" in output and "ヘルプ" not in output
    assert _done(state) == 5


def test_a_worker_killed_half_way_loses_nothing(app, settings, state, fake_line):
    """SIGKILL while draining: its current event rolls back and is taken again, once."""
    uids = [talker(fake_line, n) for n in range(30, 36)]
    events = [
        line.text(u, "ヘルプ", fake_line.issue_reply_token(u)) for _ in range(20) for u in uids
    ]
    inbox.store(state, events)
    worker = _worker(settings, threads=2)
    try:
        assert _wait(lambda: _done(state) >= 6), "the worker processed nothing"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
    left = len(events) - _done(state)
    assert inbox.drain(state) == left
    assert {r.status for r in rows(state)} == {"done"}
    assert fake_line.count("reply", 400) == 0  # nothing answered twice
    assert fake_line.count("reply") >= len(events) - 2  # at most a reply in flight per thread


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # a lock to wait on
def test_a_worker_killed_inside_its_transaction_leaves_the_event_pending(
    app, settings, state, fake_line, resident
):
    """The drainer waits on a resident's row lock after its claim; killed there, nothing stays."""
    from sqlalchemy import text

    r = resident(50)
    r.follow()
    sent = line.text(r.id, "ヘルプ", r.token())
    blocker = state.engine.connect()
    trans = blocker.begin()
    blocker.execute(
        text("SELECT id FROM residents WHERE line_user_id = :u FOR UPDATE"), {"u": r.id}
    )
    inbox.store(state, [sent])
    worker = _worker(settings, threads=1)
    try:

        def waiting() -> bool:
            query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            with state.engine.connect() as conn:
                return conn.execute(text(query)).scalar() > 0

        assert _wait(waiting), "the worker never reached the resident's row"
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(30)
        trans.rollback()
        blocker.close()
    assert [x.status for x in rows(state)][-1] == "pending"
    assert _wait(lambda: inbox.drain(state) == 1, 30)  # once PostgreSQL has rolled it back
    assert "できること" in r.texts(r.news())
    assert fake_line.count("reply", 400) == 0


def test_inbox_threads_is_a_checked_setting():
    from bot.config import SettingsError, load_settings

    assert load_settings({}).inbox_threads == 4
    assert load_settings({"INBOX_THREADS": "0"}).inbox_threads == 0
    for bad in ("-1", "many", "65"):
        with pytest.raises(SettingsError, match="INBOX_THREADS"):
            load_settings({"INBOX_THREADS": bad})
