"""POST /callback: signatures, malformed bodies, redelivery, hostile batches, standby."""

from __future__ import annotations

import copy
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from bot import create_app
from bot.state import build_state
from db.models import Resident, WebhookEvent
from handlers import chat
from tests import line

SAMPLES = Path(__file__).resolve().parents[1] / "vendor" / "line-webhook-samples" / "webhook.json"


def count(app, model) -> int:
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_forged_signature_is_refused_and_nothing_stored(app, client, fake_line):
    body = line.payload(line.follow(line.user_id(1), fake_line.issue_reply_token(line.user_id(1))))
    assert line.post(client, body, secret="not-the-secret").status_code == 400
    assert line.post(client, body, signature="").status_code == 400
    tampered = body.replace(b'"follow"', b'"follow" ')
    assert line.post(client, tampered, signature=line.sign(body)).status_code == 400
    assert count(app, WebhookEvent) == 0 and count(app, Resident) == 0
    assert fake_line.requests == []


def test_header_name_case_does_not_matter(app, client, fake_line):
    body = line.payload()
    response = client.post("/callback", data=body, headers={"X-LINE-SIGNATURE": line.sign(body)})
    assert response.status_code == 200


def test_empty_events_is_a_verification_ping(client, fake_line):
    assert line.post(client, line.payload()).status_code == 200
    assert fake_line.requests == []


@pytest.mark.parametrize("body", [b"{not json", b'"just a string"', b'{"events": 5}', b"\xff\xfe"])
def test_malformed_bodies_are_400(app, client, body):
    assert line.post(client, body).status_code == 400
    assert count(app, WebhookEvent) == 0


def test_body_over_a_megabyte_is_413(client):
    body = b'{"events": [], "pad": "' + b"x" * 1_000_001 + b'"}'
    assert line.post(client, body).status_code == 413


def test_redelivered_and_repeated_events_have_effect_once(app, client, fake_line):
    uid = line.user_id(20)
    fake_line.profiles[uid] = {"userId": uid, "displayName": "x", "language": "ja"}
    event = line.follow(uid, fake_line.issue_reply_token(uid))
    assert line.post(client, line.payload(event)).status_code == 200
    redelivered = copy.deepcopy(event)
    redelivered["deliveryContext"]["isRedelivery"] = True
    assert line.post(client, line.payload(redelivered)).status_code == 200
    assert line.post(client, line.payload(event, event)).status_code == 200
    assert count(app, WebhookEvent) == 1 and count(app, Resident) == 1
    assert fake_line.count("reply") == 1  # the reply token was used once


def test_one_hostile_event_does_not_drop_the_batch(app, client, fake_line):
    good = line.user_id(21)
    fake_line.profiles[good] = {"userId": good, "displayName": "x", "language": "ja"}
    hostile = [
        {"type": "message"},  # no id at all
        {"type": "message", "webhookEventId": "E" * 26, "mode": "weird", "timestamp": "soon"},
        {
            "type": "postback",
            "webhookEventId": "P" * 26,
            "mode": "active",
            "timestamp": 1,
            "deliveryContext": {"isRedelivery": False},
            "source": {"type": "user", "userId": good},
            "replyToken": "nope",
            "postback": {"data": "v=1&a=" + "x" * 400},
        },
        "not even an object",
    ]
    follow = line.follow(good, fake_line.issue_reply_token(good))
    body = json.dumps({"destination": line.BOT_ID, "events": [*hostile, follow]}).encode()
    assert line.post(client, body).status_code == 200
    assert count(app, Resident) == 1
    assert "友だち追加" in "".join(fake_line.texts_for(good))


def test_a_failing_handler_is_contained(app, client, fake_line, resident, monkeypatch, caplog):
    r = resident(22)
    r.follow()
    r.tap("同意しない")

    def boom(ctx, text):
        raise RuntimeError(f"handler bug while reading {text!r}")

    monkeypatch.setitem(chat.KEYWORDS, "ひみつのことば", boom)
    other = resident(23)
    first = line.text(r.id, "ひみつのことば", r.token())
    second = line.follow(other.id, other.token())
    assert line.post(client, line.payload(first, second)).status_code == 200
    assert "問題が起きました" in r.texts(r.news())
    assert "RuntimeError" in caplog.text and "ひみつのことば" not in caplog.text
    assert "友だち追加" in other.texts(other.news())
    with app.extensions["machikoe"].sessions() as s:
        assert (
            s.scalar(
                select(WebhookEvent.status).where(WebhookEvent.event_id == first["webhookEventId"])
            )
            == "failed"
        )


def test_a_single_event_is_stored_with_its_effect_and_without_its_words(app, client, resident):
    r = resident(40)
    r.follow()
    event = line.text(r.id, "駅前の街灯が暗いです", r.token())
    assert line.post(client, line.payload(event)).status_code == 200
    with app.extensions["machikoe"].sessions() as s:
        row = s.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event["webhookEventId"]))
        assert (row.status, row.payload) == ("done", None)
        assert row.processed_at is not None and row.line_user_id == r.id


def test_a_failing_single_event_is_stored_as_failed_and_not_retried(
    app, client, fake_line, resident, monkeypatch
):
    r = resident(41)
    r.follow()
    r.tap("同意しない")
    calls = []

    def boom(ctx, text):
        calls.append(text)
        raise RuntimeError("handler bug")

    monkeypatch.setitem(chat.KEYWORDS, "ひみつのことば", boom)
    event = line.text(r.id, "ひみつのことば", r.token())
    assert line.post(client, line.payload(event)).status_code == 200
    assert "問題が起きました" in r.texts(r.news())
    redelivered = copy.deepcopy(event)
    redelivered["deliveryContext"]["isRedelivery"] = True
    assert line.post(client, line.payload(redelivered)).status_code == 200
    assert len(calls) == 1 and r.news() == []  # a failed event is not tried again
    with app.extensions["machikoe"].sessions() as s:
        row = s.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event["webhookEventId"]))
        assert (row.status, row.payload, row.error) == ("failed", None, "handler error")


def test_a_single_event_already_pending_is_claimed_once(app, client, fake_line, state):
    """Stored as pending by an earlier delivery whose worker died, then redelivered alone."""
    from bot import inbox

    uid = line.user_id(42)
    fake_line.profiles[uid] = {"userId": uid, "displayName": "x", "language": "ja"}
    event = line.follow(uid, fake_line.issue_reply_token(uid))
    assert inbox.store(state, [event]) == [event["webhookEventId"]]
    assert line.post(client, line.payload(event)).status_code == 200
    assert line.post(client, line.payload(event)).status_code == 200
    assert fake_line.count("reply") == 1 and count(app, WebhookEvent) == 1
    assert "友だち追加" in "".join(fake_line.texts_for(uid))


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # a server restart
def test_events_survive_a_database_restart(app, client, resident, db_url, caplog):
    """Pooled connections die with a restart; the event's transaction runs again, once."""
    from sqlalchemy import create_engine

    r = resident(43)
    r.follow()
    engine = app.extensions["machikoe"].engine
    with engine.connect() as conn:  # make sure the pool holds a connection, then kill it
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
    killer = create_engine(db_url)
    with killer.begin() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    killer.dispose()
    event = line.text(r.id, "ヘルプ", r.token())
    with caplog.at_level("WARNING"):
        assert line.post(client, line.payload(event)).status_code == 200
    assert "connection lost" in caplog.text  # the dead connection was really met
    assert "できること" in r.texts(r.news())
    with app.extensions["machikoe"].sessions() as s:
        status = s.scalar(
            select(WebhookEvent.status).where(WebhookEvent.event_id == event["webhookEventId"])
        )
    assert status == "done"


def test_standby_events_send_nothing(app, client, fake_line):
    uid = line.user_id(24)
    event = line.follow(uid, None)
    event["mode"] = "standby"
    assert line.post(client, line.payload(event)).status_code == 200
    assert fake_line.count("reply") == 0 and fake_line.count("push") == 0


def test_unknown_event_type_is_acknowledged(app, client, fake_line):
    event = line.base("somethingNew", line.user_id(25), fake_line.issue_reply_token("x"))
    assert line.post(client, line.payload(event)).status_code == 200
    assert fake_line.count("reply") == 0


def _samples():
    """The LINE SDK's own sample of every webhook event type (vendored, Apache-2.0)."""
    return json.loads(SAMPLES.read_text())["events"]


def test_every_sample_event_type_gets_200_and_a_sensible_answer(app, client, fake_line):
    for raw in _samples():
        event = copy.deepcopy(raw)
        event["webhookEventId"] = line.event_id()
        uid = event.get("source", {}).get("userId")
        if "replyToken" in event:
            event["replyToken"] = fake_line.issue_reply_token(uid or "group")
        before = fake_line.count("reply")
        response = line.post(client, line.payload(event))
        assert response.status_code == 200, (event["type"], response.data)
        replied = fake_line.count("reply") - before
        one_to_one = event.get("source", {}).get("type") == "user"
        if event["type"] in {"message", "postback", "follow"} and one_to_one:
            assert replied == 1, event["type"]
        elif event["type"] in {
            "unfollow",
            "leave",
            "memberLeft",
            "unsend",
            "beacon",
            "videoPlayComplete",
            "accountLink",
            "undefined",
        }:
            assert replied == 0, event["type"]
        elif event["type"] == "message":  # in a group or room: stay quiet
            assert replied == 0


def test_concurrent_events_from_one_resident_under_two_workers(app, settings, fake_line, resident):
    """Two workers (separate engines and gateways) take rapid taps from one resident."""
    r = resident(26)
    r.follow()
    r.tap("同意する")
    for _ in range(3):
        r.tap("スキップ")  # now at the topics question
    workers = [create_app(state=build_state(settings)).test_client() for _ in range(2)]
    topics = ["計画づくり", "子育て", "防災", "イベント", "移住・定住"]
    events = [line.text(r.id, topic, r.token()) for topic in topics]
    errors = []

    def send(i: int) -> None:
        response = line.post(workers[i % 2], line.payload(events[i]))
        if response.status_code != 200:
            errors.append(response.status_code)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(events))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # replies to concurrent events may arrive in any order: tap 決定 on the newest question
    from messages.postback import decode

    asked = [m for m in r.news() if "決定" in r.buttons([m])]
    newest = max(asked, key=lambda m: decode(r.buttons([m])["決定"]["data"]).step)
    got = r.tap("決定", messages=[newest])
    assert "ご登録ありがとうございました" in r.texts(got)
    with app.extensions["machikoe"].sessions() as s:
        res = s.scalar(select(Resident).where(Resident.line_user_id == r.id))
        assert sorted(res.topic_names) == sorted(topics)  # no toggle lost


def test_the_same_event_on_two_workers_at_once_has_effect_once(app, settings, fake_line):
    uid = line.user_id(27)
    fake_line.profiles[uid] = {"userId": uid, "displayName": "x", "language": "ja"}
    event = line.follow(uid, fake_line.issue_reply_token(uid))
    body = line.payload(event)
    workers = [create_app(state=build_state(settings)).test_client() for _ in range(4)]
    codes = []
    threads = [
        threading.Thread(target=lambda w=w: codes.append(line.post(w, body).status_code))
        for w in workers
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 4
    assert fake_line.count("reply") == 1
    assert count(app, Resident) == 1


def test_pending_event_left_by_a_dead_worker_is_recovered(app, client, fake_line, state):
    """Stored but never processed (the worker died): the inbox job finishes it by push."""
    from datetime import timedelta

    from bot import inbox
    from bot.jobs import JOBS

    uid = line.user_id(28)
    fake_line.profiles[uid] = {"userId": uid, "displayName": "x", "language": "ja"}
    inbox.store(state, [line.follow(uid, fake_line.issue_reply_token(uid))])
    assert fake_line.count("reply") == 0
    later = state.now() + timedelta(minutes=2)
    state.clock.fixed = later
    assert JOBS["inbox"].run(state) == 1
    assert "友だち追加" in "".join(fake_line.texts_for(uid))
    assert fake_line.count("push") == 1
    assert JOBS["inbox"].run(state) == 0  # nothing twice


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json["database"] == "ok"


def test_residents_words_never_reach_the_logs(app, resident, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    r = resident(29)
    r.follow()
    r.tap("同意しない")
    r.say("ひみつの相談ごと")
    r.say("意見")
    r.say("役場の前の道がこわいです")
    assert caplog.records, "the webhook should log something (ids, types, request ids)"
    for secret in ("ひみつの相談ごと", "役場の前の道がこわいです"):
        assert secret not in caplog.text


def test_healthz_says_when_the_database_needs_migrating(tmp_path, settings, caplog):
    from bot.state import build_state

    empty = settings.but(database_url=f"sqlite:///{tmp_path / 'empty.db'}")
    client = create_app(state=build_state(empty)).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json["status"] == "error"
    with pytest.raises(Exception, match="no such table"):
        client.application.extensions["machikoe"].sessions().scalar(select(Resident))
    assert "run `flask --app wsgi db upgrade` first" in caplog.text
