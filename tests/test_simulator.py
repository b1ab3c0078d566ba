"""The simulator's server side: mounted only when enabled, signed events, refusals shown."""

from __future__ import annotations

import json
import re

import pytest
import requests
from linebot.v3.webhook import SignatureValidator
from sqlalchemy import select

from bot import create_app, logs
from bot.simulator import views
from db.models import WebhookEvent


@pytest.fixture
def settings(settings):
    """The test settings with the simulator enabled."""
    return settings.but(simulator_enabled=True)


@pytest.fixture
def sim(app, fake_line):
    """The app's simulator, using the session's fake LINE (where the gateway points)."""
    return views.install(app, fake_line)


@pytest.fixture
def api(client, sim):
    """POST to /simulator/api/… as the page does (JSON, its session's token, its Origin)."""
    page = client.get("/simulator").get_data(as_text=True)
    token = json.loads(re.search(r'id="sim-config"[^>]*>(.*?)</script>', page).group(1))["csrf"]

    def post(path: str, body: dict, **headers):
        sent = {"X-CSRF-Token": token, "Origin": "http://localhost", **headers}
        return client.post("/simulator/api" + path, json=body, headers=sent)

    return post


def add(api, name="山田 花子", language="ja") -> str:
    response = api("/residents", {"name": name, "language": language})
    assert response.status_code == 200, response.json
    return response.json["resident"]["id"]


def test_absent_when_disabled(state):
    app = create_app(settings=state.settings.but(simulator_enabled=False), state=state)
    client = app.test_client()
    assert client.get("/simulator").status_code == 404
    assert client.get("/simulator/api/residents").status_code == 404
    assert client.get("/simulator/line/v2/bot/info").status_code == 404
    assert "simulator" not in app.extensions


def test_page_renders_in_japanese_with_a_token(client, sim):
    response = client.get("/simulator")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "LINEシミュレーター" in html and "友だち追加" in html
    assert "simulator.js" in html and "https://" not in html.split("<body>")[0]  # no CDN
    assert client.get("/simulator/static/simulator.js").status_code == 200


def test_fake_line_api_is_mounted_under_simulator_line(app):
    """In demo mode the gateway talks to /simulator/line: a fake of the Messaging API."""
    client = app.test_client()
    token = app.extensions["machikoe"].settings.line_channel_access_token
    app.extensions["simulator"].fake.access_token = token
    got = client.get("/simulator/line/v2/bot/info", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200 and "userId" in got.json
    assert client.get("/simulator/line/v2/bot/info").status_code == 401


def test_posts_need_the_token_and_the_same_origin(api, client):
    assert client.post("/simulator/api/residents", json={"name": "x"}).status_code == 403
    got = api("/residents", {"name": "x"}, Origin="http://evil.example")
    assert got.status_code == 403
    assert api("/residents", {"name": "x"}, Origin="http://localhost").status_code == 200


def test_send_posts_a_complete_signed_event_that_the_webhook_accepts(app, api, fake_line):
    uid = add(api)
    assert fake_line.profiles[uid]["displayName"] == "山田 花子"

    got = api("/send", {"user": uid, "kind": "follow"})
    assert got.status_code == 200 and got.json["status"] == 200
    event = got.json["event"]
    assert event["type"] == "follow" and event["follow"] == {"isUnblocked": False}
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", event["webhookEventId"])
    assert event["mode"] == "active" and event["deliveryContext"] == {"isRedelivery": False}
    assert event["source"] == {"type": "user", "userId": uid}
    assert isinstance(event["timestamp"], int) and event["replyToken"]
    assert got.json["resident"] == "friend"
    kinds = [(e["side"], e["kind"]) for e in got.json["entries"]]
    assert kinds[0] == ("system", "follow") and ("bot", "message") in kinds
    assert "同意いただけますか" in "".join(fake_line.texts_for(uid))

    with app.extensions["machikoe"].sessions() as s:
        row = s.scalar(select(WebhookEvent).where(WebhookEvent.event_id == event["webhookEventId"]))
    assert row is not None and row.status == "done"

    got = api("/send", {"user": uid, "kind": "text", "text": "ヘルプ"})
    message = got.json["event"]["message"]
    assert message["type"] == "text" and message["text"] == "ヘルプ" and message["quoteToken"]
    assert got.json["entries"][0] == {**got.json["entries"][0], "side": "user", "text": "ヘルプ"}
    assert any(e["side"] == "bot" for e in got.json["entries"])


def test_a_send_keeps_its_own_request_id_and_leaves_none_behind(api):
    """The webhook the simulator calls through WSGI runs inside the send's own request."""
    uid = add(api)
    before = logs.REQUEST_ID.get()
    got = api("/send", {"user": uid, "kind": "follow"}, **{"X-Request-Id": "outer-request-0001"})
    assert got.status_code == 200 and got.json["status"] == 200
    assert got.headers["X-Request-Id"] == "outer-request-0001"
    assert logs.REQUEST_ID.get() == before  # once left set for every later log line


def test_taps_and_blocking_walk_the_onboarding(api, fake_line, sim):
    uid = add(api)
    api("/send", {"user": uid, "kind": "follow"})
    consent = next(
        item["action"]
        for m in fake_line.messages_for(uid)
        for item in (m.get("quickReply") or {}).get("items", [])
        if item["action"]["label"] == "同意する"
    )
    got = api(
        "/send",
        {"user": uid, "kind": "postback", "data": consent["data"], "display": "同意する"},
    )
    assert got.json["status"] == 200
    assert got.json["entries"][0]["text"] == "同意する"  # displayText shown as the user's
    assert "年代" in fake_line.texts_for(uid)[-1]

    got = api("/send", {"user": uid, "kind": "unfollow"})
    assert got.json["resident"] == "blocked" and uid in fake_line.blocked
    got = api("/send", {"user": uid, "kind": "unblock"})
    assert got.json["event"]["follow"] == {"isUnblocked": True}
    assert got.json["resident"] == "friend" and uid not in fake_line.blocked


def test_messages_endpoint_returns_news_after_a_sequence_number(api, client):
    a, b = add(api, "A"), add(api, "B", "en")
    api("/send", {"user": a, "kind": "follow"})
    middle = client.get("/simulator/api/messages?after=0").json["last"]
    api("/send", {"user": b, "kind": "follow"})
    news = client.get(f"/simulator/api/messages?after={middle}").json
    assert news["entries"] and {e["user"] for e in news["entries"]} == {b}
    assert "Thank you" in str(news["entries"])  # B's LINE language is English
    only_a = client.get(f"/simulator/api/messages?after=0&user={a}").json["entries"]
    assert only_a and {e["user"] for e in only_a} == {a}
    residents = client.get("/simulator/api/residents").json["residents"]
    assert {(r["name"], r["language"], r["status"]) for r in residents} == {
        ("A", "ja", "friend"),
        ("B", "en", "friend"),
    }


def test_bad_input_is_refused_clearly(api):
    uid = add(api)
    assert api("/send", {"user": "U" + "0" * 32, "kind": "follow"}).status_code == 400
    assert api("/send", {"user": uid, "kind": "sticker"}).status_code == 400
    assert api("/send", {"user": uid, "kind": "text", "text": " "}).status_code == 400
    assert api("/send", {"user": uid, "kind": "postback", "data": "x" * 301}).status_code == 400
    bad_params = {"user": uid, "kind": "postback", "data": "a", "params": {"evil": "1"}}
    assert api("/send", bad_params).status_code == 400
    assert api("/residents", {"name": "", "language": "ja"}).status_code == 400
    assert api("/residents", {"name": "x", "language": "fr"}).status_code == 400
    assert api("/residents", {"name": "x", "id": "nope"}).status_code == 400


def test_signature_is_lines_hmac():
    body = '{"destination":"U0","events":[]}'
    signature = views.sign(body.encode(), "secret")
    assert SignatureValidator("secret").validate(body, signature)
    assert not SignatureValidator("other").validate(body, signature)
    assert not SignatureValidator("secret").validate(body.replace("[]", "[ ]"), signature)


def test_a_webhook_refusal_is_shown_in_the_chat(api, state):
    uid = add(api)
    state.settings = state.settings.but(max_body_bytes=10)
    got = api("/send", {"user": uid, "kind": "follow"})
    assert got.status_code == 200 and got.json["status"] == 413
    errors = [e for e in got.json["entries"] if e["kind"] == "webhook_error"]
    assert errors and errors[0]["status"] == 413 and "too large" in errors[0]["detail"]


def test_refusals_by_the_fake_are_surfaced(api, client, fake_line, line_server):
    uid = add(api)
    # A bot bug: a push LINE would refuse (a text message without text).
    response = requests.post(
        line_server.url + "/v2/bot/message/push",
        json={"to": uid, "messages": [{"type": "text"}]},
        headers={"Authorization": "Bearer test-token"},
        timeout=5,
    )
    assert response.status_code == 400
    news = client.get("/simulator/api/messages?after=0&refused=0").json
    assert news["refused"] == 1
    refusal = news["refusals"][0]
    assert refusal["status"] == 400 and refusal["path"] == "/v2/bot/message/push"
    assert refusal["users"] == [uid] and any("text" in p for p in refusal["problems"])
    assert any(e["kind"] == "refusal" and e["user"] == uid for e in news["entries"])
    assert client.get("/simulator/api/messages?refused=1").json["refusals"] == []
    fake_line.reset()  # the refusal was made on purpose; the fixture checks for none


def test_jobs_run_now_and_report_what_they_sent(api, client):
    from bot.jobs import JOBS

    got = api("/jobs", {"name": "outbox"})
    assert got.status_code == 200 and got.json["ok"] and got.json["sent"] == []
    assert api("/jobs", {"name": "nope"}).status_code == 400
    html = client.get("/simulator").get_data(as_text=True)
    for name in JOBS:
        assert f'"name": "{name}"' in html or f'"name":"{name}"' in html


def test_survey_preview_is_a_signed_postback(api, sim, runner):
    from handlers import chat
    from messages.postback import decode
    from tests.conftest import ROOT

    survey_file = ROOT / "content" / "demo" / "survey-wellbeing-2026.yml"
    assert runner.invoke(args=["content", "apply", str(survey_file)]).exit_code == 0

    uid = add(api, "プレビュー（職員）")
    data = views.preview_data("key", uid, "wellbeing-2026")
    pb = decode(data)
    assert pb.action == "survey_preview" and pb.value.startswith("wellbeing-2026.")
    assert pb.value.rsplit(".", 1)[1] == views.preview_signature("key", uid, "wellbeing-2026")
    assert views.preview_signature("other", uid, "wellbeing-2026") not in data

    assert "survey_preview" in chat.ACTIONS
    got = api("/preview", {"user": uid, "survey": "wellbeing-2026"})
    assert got.status_code == 200 and got.json["status"] == 200
    assert got.json["resident"] == "friend"
    assert any(e["side"] == "bot" for e in got.json["entries"])
    assert "回答は保存されません" in json.dumps(got.json["entries"], ensure_ascii=False)
