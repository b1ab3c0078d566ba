"""Tests of the fake LINE Messaging API itself (bot/simulator/line_api.py, line_validate.py)."""

from __future__ import annotations

import copy
import threading
import time
import uuid
from http.client import HTTPConnection

import pytest
import requests
from linebot.v3.messaging import (
    ApiClient,
    ApiException,
    Configuration,
    MessagingApi,
    MulticastRequest,
    PostbackAction,
    PushMessageRequest,
    QuickReply,
    QuickReplyItem,
    ReplyMessageRequest,
    TextMessage,
)

from bot.simulator.line_api import FakeLineApi, FakeLineServer
from bot.simulator.line_validate import (
    get_validator,
    grapheme_len,
    utf16_len,
    validate_body,
    validate_retry_key,
)

USER = "U" + "1" * 32
OTHER = "U" + "2" * 32
HEADERS = {"Authorization": "Bearer test-token"}


@pytest.fixture(scope="module")
def server():
    """One HTTP server for the module; each test swaps in a fresh fake."""
    srv = FakeLineServer()
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def fake(server):
    """A fresh FakeLineApi served by ``server``."""
    server.fake = FakeLineApi()
    yield server.fake
    server.fake.close()


@pytest.fixture
def http(server):
    """A requests session bound to the server's base URL."""
    session = requests.Session()

    def call(method: str, path: str, body=None, headers=None, timeout: float = 5.0, **kw):
        return session.request(
            method,
            server.url + path,
            json=body,
            headers={**HEADERS, **(headers or {})},
            timeout=timeout,
            **kw,
        )

    yield call
    session.close()


def text(words: str = "hello") -> dict:
    return {"type": "text", "text": words}


def postback(label: str = "はい", data: str = "a=1", **extra) -> dict:
    return {"type": "postback", "label": label, "data": data, **extra}


def quick(*actions: dict) -> dict:
    return {
        "type": "text",
        "text": "choose",
        "quickReply": {"items": [{"type": "action", "action": a} for a in actions]},
    }


def bubble(body_contents: list[dict] | None = None) -> dict:
    return {
        "type": "bubble",
        "body": {
            "type": "box",
            "layout": "vertical",
            "contents": body_contents or [{"type": "text", "text": "x"}],
        },
    }


def flex(contents: dict) -> dict:
    return {"type": "flex", "altText": "flex", "contents": contents}


def buttons(n_actions: int = 1, text_: str = "pick", **extra) -> dict:
    return {
        "type": "template",
        "altText": "buttons",
        "template": {
            "type": "buttons",
            "text": text_,
            "actions": [postback(f"b{i}", f"d={i}") for i in range(n_actions)],
            **extra,
        },
    }


def push(http, messages: list[dict], key: str | None = None, to: str = USER, **kw):
    headers = {"X-Line-Retry-Key": key} if key else {}
    return http("POST", "/v2/bot/message/push", {"to": to, "messages": messages}, headers, **kw)


# --- accepted requests -------------------------------------------------------------------


def test_valid_reply_is_accepted_and_recorded(fake, http):
    token = fake.issue_reply_token(USER)
    message = quick(postback("はい", "a=yes", displayText="はい"), postback("いいえ", "a=no"))
    r = http("POST", "/v2/bot/message/reply", {"replyToken": token, "messages": [message]})
    assert r.status_code == 200, r.text
    sent = r.json()["sentMessages"]
    assert len(sent) == 1 and sent[0]["id"] and sent[0]["quoteToken"]
    uuid.UUID(r.headers["X-Line-Request-Id"])
    assert fake.messages_for(USER) == [message]
    assert fake.texts_for(USER) == ["choose"]
    assert fake.deliveries == [(USER, message, "reply", None)]
    assert fake.count("reply") == 1 and fake.count("replyMessage", status=200) == 1
    assert fake.requests[0].headers["authorization"] == "Bearer test-token"
    assert fake.violations == []
    assert fake.quota_used == 0  # replies are free


def test_boundary_values_are_accepted(fake, http):
    messages = [
        text("🍎" * 2500),  # exactly 5000 UTF-16 code units
        quick(*(postback("あ" * 20, f"n={i}") for i in range(13))),
        buttons(4, "t" * 60, title="T" * 40),
        flex({"type": "carousel", "contents": [bubble() for _ in range(12)]}),
        {"type": "template", "altText": "a" * 1500, "template": {
            "type": "confirm", "text": "ok?", "actions": [postback("y", "y"), postback("n", "n")],
        }},
    ]  # fmt: skip
    r = push(http, messages, str(uuid.uuid4()))
    assert r.status_code == 200, r.text
    assert len(fake.messages_for(USER)) == 5
    assert fake.violations == []


# --- refused message objects -------------------------------------------------------------

BAD_MESSAGES = [
    ("unknown type", [{"type": "txt", "text": "x"}], "messages[0].type", "unknown Message type"),
    ("missing text", [{"type": "text"}], "messages[0].text", "must be specified"),
    ("typo property", [{"type": "text", "text": "x", "qucikReply": {}}], "messages[0].qucikReply",
     "unknown property"),
    ("too long text", [text("🍎" * 2500 + "a")], "messages[0].text", "5000"),
    ("six messages", [text()] * 6, "messages", "at most 5"),
    ("14 quick replies", [quick(*(postback(f"{i}", f"{i}") for i in range(14)))],
     "messages[0].quickReply.items", "at most 13"),
    ("quick reply label", [quick(postback("あ" * 21))],
     "messages[0].quickReply.items[0].action.label", "at most 20"),
    ("quick reply no label", [quick({"type": "postback", "data": "x"})],
     "messages[0].quickReply.items[0].action.label", "must be specified"),
    ("postback data", [quick(postback(data="d" * 301))],
     "messages[0].quickReply.items[0].action.data", "at most 300"),
    ("displayText", [quick(postback(displayText="x" * 301))],
     "messages[0].quickReply.items[0].action.displayText", "at most 300"),
    ("unknown action", [quick({"type": "tap", "label": "x"})],
     "messages[0].quickReply.items[0].action.type", "unknown Action type"),
    ("alt text", [{**buttons(), "altText": "a" * 1501}], "messages[0].altText", "1500"),
    ("buttons 5 actions", [buttons(5)], "messages[0].template.actions", "1 to 4"),
    ("buttons text with title", [buttons(1, "t" * 61, title="T")], "messages[0].template.text",
     "at most 60"),
    ("buttons text", [buttons(1, "t" * 161)], "messages[0].template.text", "at most 160"),
    ("buttons title", [buttons(1, title="T" * 41)], "messages[0].template.title", "at most 40"),
    ("template label", [{**buttons(), "template": {**buttons()["template"],
                                                   "actions": [postback("x" * 21)]}}],
     "messages[0].template.actions[0].label", "at most 20"),
    ("confirm 3 actions", [{"type": "template", "altText": "c", "template": {
        "type": "confirm", "text": "?", "actions": [postback("a"), postback("b"), postback("c")]}}],
     "messages[0].template.actions", "exactly 2"),
    ("carousel 11 columns", [{"type": "template", "altText": "c", "template": {
        "type": "carousel",
        "columns": [{"text": "c", "actions": [postback()]} for _ in range(11)]}}],
     "messages[0].template.columns", "1 to 10"),
    ("flex 13 bubbles", [flex({"type": "carousel", "contents": [bubble() for _ in range(13)]})],
     "messages[0].contents.contents", "1 to 12"),
    ("flex bubble 30KB", [flex(bubble([{"type": "text", "text": "x" * 31_000}]))],
     "messages[0].contents", "30 KB"),
    ("flex carousel 50KB", [flex({"type": "carousel", "contents": [
        bubble([{"type": "text", "text": "x" * 9_000}]) for _ in range(6)]})],
     "messages[0].contents", "50 KB"),
    ("flex button label", [flex(bubble([{"type": "button", "action": postback("x" * 41)}]))],
     "messages[0].contents.body.contents[0].action.label", "at most 40"),
    ("flex unknown component", [flex(bubble([{"type": "paragraph", "text": "x"}]))],
     "messages[0].contents.body.contents[0].type", "unknown FlexComponent type"),
    ("http image", [{"type": "image", "originalContentUrl": "http://x.jp/a.png",
                     "previewImageUrl": "https://x.jp/a.png"}],
     "messages[0].originalContentUrl", "HTTPS"),
    ("camera outside quick reply", [buttons(1) | {"template": {
        "type": "buttons", "text": "t", "actions": [{"type": "camera", "label": "cam"}]}}],
     "messages[0].template.actions[0].type", "quick reply"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("messages", "prop", "words"),
    [case[1:] for case in BAD_MESSAGES],
    ids=[case[0] for case in BAD_MESSAGES],
)
def test_invalid_message_objects_are_refused(fake, http, messages, prop, words):
    r = push(http, messages, str(uuid.uuid4()))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["message"].startswith("The request body has")
    details = {d["property"]: d["message"] for d in body["details"]}
    assert prop in details, details
    assert words in details[prop], details
    assert fake.messages_for(USER) == []
    assert len(fake.violations) == 1
    assert any(prop in p and words in p for p in fake.violations[0].problems)
    assert fake.quota_used == 0


def test_refused_retry_key_is_not_remembered(fake, http):
    key = str(uuid.uuid4())
    assert push(http, [text("")], key).status_code == 400
    assert push(http, [text("fixed")], key).status_code == 200
    assert fake.texts_for(USER) == ["fixed"]


def test_body_over_2mb_is_refused_with_413(fake, http):
    r = http(
        "POST",
        "/v2/bot/message/push",
        data=b'{"to":"' + b"x" * (2 * 1024 * 1024) + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert fake.violations and fake.violations[0].status == 413


def test_multicast_recipient_limits(fake, http):
    many = [f"U{i:032x}" for i in range(501)]
    r = http("POST", "/v2/bot/message/multicast", {"to": many, "messages": [text()]})
    assert r.status_code == 400
    assert any(d["property"] == "to" and "500" in d["message"] for d in r.json()["details"])
    r = http("POST", "/v2/bot/message/multicast", {"to": [], "messages": [text()]})
    assert r.status_code == 400
    group = "C" + "0" * 32
    r = http("POST", "/v2/bot/message/multicast", {"to": [USER, group], "messages": [text()]})
    assert r.status_code == 400 and r.json()["details"][0]["property"] == "to[1]"
    assert fake.batches == []


# --- reply tokens --------------------------------------------------------------------------


def test_reply_token_is_single_use(fake, http):
    token = fake.issue_reply_token(USER)
    body = {"replyToken": token, "messages": [text("one")]}
    assert http("POST", "/v2/bot/message/reply", body).status_code == 200
    again = http("POST", "/v2/bot/message/reply", {**body, "messages": [text("two")]})
    assert again.status_code == 400
    assert again.json() == {"message": "Invalid reply token"}
    assert fake.texts_for(USER) == ["one"]
    assert "already used" in fake.requests[-1].problems[0]
    assert fake.violations == []  # a protocol answer, not a malformed request


def test_unknown_reply_token_is_refused(fake, http):
    r = http("POST", "/v2/bot/message/reply", {"replyToken": "nope", "messages": [text()]})
    assert r.status_code == 400
    assert r.json()["message"] == "Invalid reply token"
    assert fake.deliveries == []


def test_expired_reply_token(fake, http):
    fake.reply_token_ttl = 0.05
    token = fake.issue_reply_token(USER)
    time.sleep(0.1)
    r = http("POST", "/v2/bot/message/reply", {"replyToken": token, "messages": [text()]})
    assert r.status_code == 400 and r.json()["message"] == "Invalid reply token"


def test_retry_key_is_refused_on_reply(fake, http):
    token = fake.issue_reply_token(USER)
    r = http(
        "POST",
        "/v2/bot/message/reply",
        {"replyToken": token, "messages": [text()]},
        {"X-Line-Retry-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 400
    assert "X-Line-Retry-Key" in r.json()["message"]
    assert fake.deliveries == [] and len(fake.violations) == 1


def test_retry_key_must_be_a_uuid(fake, http):
    r = push(http, [text()], "batch-1")
    assert r.status_code == 400
    assert "UUID" in r.json()["message"]


# --- retry keys ----------------------------------------------------------------------------


def test_retry_key_reuse_gets_409_with_accepted_request_id(fake, http):
    key = str(uuid.uuid4())
    first = push(http, [text("お知らせ")], key)
    assert first.status_code == 200
    second = push(http, [text("お知らせ")], key)
    assert second.status_code == 409
    assert second.json()["message"] == "The retry key is already accepted"
    assert second.json()["sentMessages"] == first.json()["sentMessages"]
    assert second.headers["x-line-accepted-request-id"] == first.headers["x-line-request-id"]
    assert second.headers["x-line-request-id"] != first.headers["x-line-request-id"]
    assert fake.texts_for(USER) == ["お知らせ"]
    assert fake.accepted_request_id(key) == first.headers["x-line-request-id"]
    assert fake.violations == []


def test_multicast_retry_key_reuse_delivers_once(fake, http):
    key = str(uuid.uuid4())
    body = {"to": [USER, OTHER], "messages": [text("x")]}
    headers = {"X-Line-Retry-Key": key}
    assert http("POST", "/v2/bot/message/multicast", body, headers).status_code == 200
    r = http("POST", "/v2/bot/message/multicast", body, headers)
    assert r.status_code == 409 and r.json() == {"message": "The retry key is already accepted"}
    assert fake.recipient_counts() == {USER: 1, OTHER: 1}
    assert fake.quota_used == 2


def test_retry_with_a_different_body_is_a_violation(fake, http):
    key = str(uuid.uuid4())
    assert push(http, [text("v1")], key).status_code == 200
    assert push(http, [text("v2")], key).status_code == 409
    assert len(fake.violations) == 1
    assert "repeat the original request" in fake.violations[0].problems[0]


# --- fault injection -----------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 429, 503])
def test_injected_status_fails_without_delivering(fake, http, status):
    fake.inject("push", status=status)
    key = str(uuid.uuid4())
    r = push(http, [text()], key)
    assert r.status_code == status
    assert "message" in r.json()
    assert fake.deliveries == []
    assert fake.accepted_request_id(key) is None
    retry = push(http, [text()], key)
    assert retry.status_code == 200  # the key was not accepted by the failed call
    assert fake.texts_for(USER) == ["hello"]
    assert fake.violations == []


def test_injected_fault_counts_and_custom_body(fake, http):
    fake.inject("multicast", status=500, count=2, body={"message": "boom"})
    body = {"to": [USER], "messages": [text()]}
    results = [http("POST", "/v2/bot/message/multicast", body) for _ in range(3)]
    assert [r.status_code for r in results] == [500, 500, 200]
    assert results[0].json() == {"message": "boom"}
    assert fake.delivery_count(USER) == 1


def test_injected_reply_failure_keeps_the_token(fake, http):
    fake.inject("reply", status=500)
    token = fake.issue_reply_token(USER)
    body = {"replyToken": token, "messages": [text()]}
    assert http("POST", "/v2/bot/message/reply", body).status_code == 500
    assert http("POST", "/v2/bot/message/reply", body).status_code == 200


def test_timeout_after_delivery_then_retry_gets_409(fake, http):
    fake.inject("push", timeout=1.0, deliver=True)
    key = str(uuid.uuid4())
    with pytest.raises(requests.exceptions.ReadTimeout):
        push(http, [text("late")], key, timeout=0.3)
    retry = push(http, [text("late")], key)
    assert retry.status_code == 409
    assert retry.headers["x-line-accepted-request-id"] == fake.accepted_request_id(key)
    assert fake.texts_for(USER) == ["late"]


def test_timeout_without_delivery_then_retry_delivers_once(fake, http):
    fake.inject("push", timeout=1.0, deliver=False)
    key = str(uuid.uuid4())
    with pytest.raises(requests.exceptions.ReadTimeout):
        push(http, [text("again")], key, timeout=0.3)
    assert fake.deliveries == []
    assert push(http, [text("again")], key).status_code == 200
    assert fake.texts_for(USER) == ["again"]


def test_inject_unknown_endpoint_is_an_error(fake):
    with pytest.raises(ValueError, match="unknown endpoint"):
        fake.inject("pusj", status=500)


# --- rate limits and quota -----------------------------------------------------------------


def test_multicast_rate_limit(fake, http):
    fake.rate_limits["multicast"] = 3
    body = {"to": [USER], "messages": [text()]}
    statuses = [http("POST", "/v2/bot/message/multicast", body).status_code for _ in range(8)]
    assert statuses[:3] == [200, 200, 200]
    assert statuses.count(429) >= 4
    limited = next(r for r in fake.requests if r.status == 429)
    assert limited.response == {"message": "Too Many Requests"}
    assert fake.delivery_count(USER) == statuses.count(200)
    assert fake.count("multicast", status=429) == statuses.count(429)
    time.sleep(0.4)  # the bucket refills at 3 per second
    assert http("POST", "/v2/bot/message/multicast", body).status_code == 200


def test_default_multicast_rate_is_200_per_second(fake):
    assert fake.rate_limits["multicast"] == 200
    assert fake.rate_limits.get("push", fake.default_rate) == 2000


def test_quota_endpoints_and_monthly_limit(fake, http):
    r = http("GET", "/v2/bot/message/quota")
    assert r.json() == {"type": "none"}
    fake.quota_limit = 3
    fake.blocked.add("U" + "b" * 32)
    assert http("GET", "/v2/bot/message/quota").json() == {"type": "limited", "value": 3}
    body = {"to": [USER, OTHER, "U" + "b" * 32], "messages": [text(), text()]}
    assert http("POST", "/v2/bot/message/multicast", body).status_code == 200
    assert http("GET", "/v2/bot/message/quota/consumption").json() == {"totalUsage": 2}
    token = fake.issue_reply_token(USER)
    reply = {"replyToken": token, "messages": [text()]}
    assert http("POST", "/v2/bot/message/reply", reply).status_code == 200
    assert http("GET", "/v2/bot/message/quota/consumption").json() == {"totalUsage": 2}
    assert push(http, [text()]).status_code == 200
    over = push(http, [text("over")])
    assert over.status_code == 429
    assert over.json() == {"message": "You have reached your monthly limit."}
    assert "over" not in fake.texts_for(USER)
    assert fake.quota_used == 3


# --- profiles, blocked users, other endpoints ----------------------------------------------


def test_profile_found_missing_and_blocked(fake, http):
    fake.add_user(USER, "町田 太郎", language="ja", pictureUrl="https://x.jp/p.png")
    r = http("GET", f"/v2/bot/profile/{USER}")
    assert r.status_code == 200
    assert r.json() == {
        "userId": USER,
        "displayName": "町田 太郎",
        "language": "ja",
        "pictureUrl": "https://x.jp/p.png",
    }
    missing = http("GET", f"/v2/bot/profile/{OTHER}")
    assert missing.status_code == 404 and missing.json() == {"message": "Not found"}
    fake.blocked.add(USER)
    assert http("GET", f"/v2/bot/profile/{USER}").status_code == 404


def test_blocked_users_get_nothing_but_sends_succeed(fake, http):
    fake.blocked.add(USER)
    assert push(http, [text()]).status_code == 200
    body = {"to": [USER, OTHER], "messages": [text("m")]}
    assert http("POST", "/v2/bot/message/multicast", body).status_code == 200
    assert fake.messages_for(USER) == []
    assert fake.texts_for(OTHER) == ["m"]
    assert fake.quota_used == 1


def test_broadcast_reaches_friends(fake, http):
    fake.add_user(USER)
    fake.add_user(OTHER)
    fake.blocked.add(OTHER)
    r = http("POST", "/v2/bot/message/broadcast", {"messages": [text("all")]})
    assert r.status_code == 200 and r.json() == {}
    assert fake.texts_for(USER) == ["all"] and fake.texts_for(OTHER) == []


def test_narrowcast_is_accepted_with_202(fake, http):
    r = http("POST", "/v2/bot/message/narrowcast", {"messages": [text()]})
    assert r.status_code == 202
    progress = http(
        "GET", f"/v2/bot/message/progress/narrowcast?requestId={r.headers['x-line-request-id']}"
    )
    assert progress.json()["phase"] == "succeeded"


def test_loading_animation(fake, http):
    ok = http("POST", "/v2/bot/chat/loading/start", {"chatId": USER, "loadingSeconds": 10})
    assert ok.status_code == 202 and ok.json() == {}
    bad = http("POST", "/v2/bot/chat/loading/start", {"chatId": USER, "loadingSeconds": 7})
    assert bad.status_code == 400
    assert bad.json()["details"][0]["property"] == "loadingSeconds"
    too_long = http("POST", "/v2/bot/chat/loading/start", {"chatId": USER, "loadingSeconds": 65})
    assert too_long.status_code == 400


def test_validate_endpoints_answer_without_recording_violations(fake, http):
    ok = http("POST", "/v2/bot/message/validate/push", {"messages": [text()]})
    assert ok.status_code == 200
    bad = http("POST", "/v2/bot/message/validate/reply", {"messages": [{"type": "text"}]})
    assert bad.status_code == 400
    assert bad.json()["details"] == [
        {"message": "must be specified", "property": "messages[0].text"}
    ]
    assert fake.violations == [] and fake.deliveries == []


def test_auth_required_and_request_id_everywhere(fake, http, server):
    r = requests.post(server.url + "/v2/bot/message/push", json={}, timeout=5)
    assert r.status_code == 401
    uuid.UUID(r.headers["X-Line-Request-Id"])
    fake.access_token = "right"
    assert push(http, [text()]).status_code == 401
    body = {"to": USER, "messages": [text()]}
    ok = http("POST", "/v2/bot/message/push", body, {"Authorization": "Bearer right"})
    assert ok.status_code == 200


def test_connections_are_kept_alive_like_line(fake, server):
    """Like api.line.me, one connection carries many requests (clients pool them)."""
    host, port = server.url.removeprefix("http://").split(":")
    conn = HTTPConnection(host, int(port), timeout=5)
    try:
        sockets = []
        for _ in range(3):
            conn.request("GET", "/v2/bot/info", headers=HEADERS)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            assert response.getheader("Connection", "").lower() != "close"
            sockets.append(conn.sock)
        assert sockets[0] is not None and sockets.count(sockets[0]) == 3
    finally:
        conn.close()


def test_a_stopped_server_frees_its_port_and_can_start_again():
    srv = FakeLineServer().start()
    first = srv.url
    assert requests.get(first + "/v2/bot/info", headers=HEADERS, timeout=5).status_code == 200
    srv.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(first + "/v2/bot/info", headers=HEADERS, timeout=5)
    with srv:
        assert requests.get(srv.url + "/v2/bot/info", headers=HEADERS, timeout=5).ok


def test_unknown_paths_and_methods(fake, http):
    r = http("GET", "/v2/bot/nothing")
    assert r.status_code == 404
    assert "not a Messaging API endpoint" in r.json()["message"]
    uuid.UUID(r.headers["X-Line-Request-Id"])
    assert http("DELETE", "/v2/bot/message/push").status_code == 405
    assert len(fake.violations) == 2


def test_json_content_type_required(fake, http):
    r = http("POST", "/v2/bot/message/push", data="{}", headers={"Content-Type": "text/plain"})
    assert r.status_code == 415


def test_rich_menu_lifecycle(fake, http):
    menu = {
        "size": {"width": 2500, "height": 843},
        "selected": True,
        "name": "main",
        "chatBarText": "メニュー",
        "areas": [
            {"bounds": {"x": 0, "y": 0, "width": 1250, "height": 843}, "action": postback()},
        ],
    }
    r = http("POST", "/v2/bot/richmenu", menu)
    assert r.status_code == 200
    menu_id = r.json()["richMenuId"]
    assert http("POST", f"/v2/bot/user/all/richmenu/{menu_id}").status_code == 400  # no image
    image = http(
        "POST",
        f"/v2/bot/richmenu/{menu_id}/content",
        data=b"\x89PNG fake",
        headers={"Content-Type": "image/png"},
    )
    assert image.status_code == 200
    assert http("POST", f"/v2/bot/user/all/richmenu/{menu_id}").status_code == 200
    assert http("GET", "/v2/bot/user/all/richmenu").json() == {"richMenuId": menu_id}
    alias = {"richMenuAliasId": "main-tab", "richMenuId": menu_id}
    assert http("POST", "/v2/bot/richmenu/alias", alias).status_code == 200
    assert http("GET", "/v2/bot/richmenu/alias/list").json() == {"aliases": [alias]}
    assert http("GET", "/v2/bot/richmenu/list").json()["richmenus"][0]["name"] == "main"
    bad = http("POST", "/v2/bot/richmenu", {**menu, "chatBarText": "x" * 15})
    assert bad.status_code == 400


def test_on_delivery_callback(fake, http):
    seen = []

    def record(user: str, message: dict, endpoint: str) -> None:
        seen.append((user, message["text"], endpoint))

    fake.on_delivery = record
    body = {"to": [USER, OTHER], "messages": [text("a"), text("b")]}
    assert http("POST", "/v2/bot/message/multicast", body).status_code == 200
    assert seen == [(USER, "a", "multicast"), (USER, "b", "multicast"),
                    (OTHER, "a", "multicast"), (OTHER, "b", "multicast")]  # fmt: skip


def test_wait_for_messages(fake, http):
    def later() -> None:
        time.sleep(0.2)
        push(http, [text("late news")])

    worker = threading.Thread(target=later)
    worker.start()
    assert fake.texts_for(USER) == []
    got = fake.wait_for_messages(USER, 1, timeout=5)
    worker.join()
    assert [m["text"] for m in got] == ["late news"]
    with pytest.raises(TimeoutError, match="received 1 of 2"):
        fake.wait_for_messages(USER, 2, timeout=0.1)


def test_clear_and_reset(fake, http):
    fake.add_user(USER)
    fake.quota_limit = 10
    assert push(http, [text()]).status_code == 200
    fake.clear()
    assert fake.requests == [] and fake.deliveries == [] and fake.quota_used == 0
    assert USER in fake.profiles and fake.quota_limit == 10
    fake.reset()
    assert fake.profiles == {} and fake.quota_limit is None


def test_concurrent_multicasts_are_all_recorded(fake, server):
    def worker(offset: int) -> None:
        with requests.Session() as session:
            for batch in range(10):
                ids = [f"U{offset * 10_000 + batch * 100 + i:032x}" for i in range(100)]
                r = session.post(
                    server.url + "/v2/bot/message/multicast",
                    json={"to": ids, "messages": [text()]},
                    headers={**HEADERS, "X-Line-Retry-Key": str(uuid.uuid4())},
                    timeout=10,
                )
                assert r.status_code == 200, r.text

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts = fake.recipient_counts()
    assert len(counts) == 4000 and set(counts.values()) == {1}
    assert fake.quota_used == 4000
    assert len(fake.batches) == 40


# --- the SDK against the fake --------------------------------------------------------------


def test_line_bot_sdk_v3_against_the_fake(fake, server):
    fake.add_user(USER, "花子")
    token = fake.issue_reply_token(USER)
    config = Configuration(host=server.url, access_token="x")
    with ApiClient(config) as client:
        api = MessagingApi(client)
        item = QuickReplyItem(action=PostbackAction(label="はい", data="a=1", display_text="はい"))
        reply = api.reply_message(
            ReplyMessageRequest(
                reply_token=token,
                messages=[TextMessage(text="ようこそ", quick_reply=QuickReply(items=[item]))],
            )
        )
        assert reply.sent_messages[0].id
        key = str(uuid.uuid4())
        sent = api.push_message_with_http_info(
            PushMessageRequest(to=USER, messages=[TextMessage(text="push")]), x_line_retry_key=key
        )
        assert sent.status_code == 200 and sent.headers["x-line-request-id"]
        with pytest.raises(ApiException) as conflict:
            api.push_message(
                PushMessageRequest(to=USER, messages=[TextMessage(text="push")]),
                x_line_retry_key=key,
            )
        assert conflict.value.status == 409
        accepted = conflict.value.headers["x-line-accepted-request-id"]
        assert accepted == sent.headers["x-line-request-id"]
        api.multicast(MulticastRequest(to=[USER, OTHER], messages=[TextMessage(text="mc")]))
        profile = api.get_profile(USER)
        assert profile.display_name == "花子" and profile.user_id == USER
        with pytest.raises(ApiException) as missing:
            api.get_profile(OTHER)
        assert missing.value.status == 404
        assert api.get_message_quota_consumption().total_usage == 3
    assert fake.texts_for(USER) == ["ようこそ", "push", "mc"]
    assert fake.texts_for(OTHER) == ["mc"]
    assert fake.violations == []


# --- the validator directly ----------------------------------------------------------------


def test_character_counting():
    assert utf16_len("abc") == 3
    assert utf16_len("🍎") == 2
    assert utf16_len("まち") == 2
    assert grapheme_len("👨‍👩‍👧") == 1
    assert grapheme_len("🇯🇵") == 1
    assert grapheme_len("が") == 1  # か + combining dakuten
    assert grapheme_len("まちの声") == 4


def test_validator_discriminator_and_formats():
    assert validate_body("PushMessageRequest", {"to": USER, "messages": [text()]}) == []
    problems = validate_body(
        "PushMessageRequest",
        {"to": USER, "messages": [flex({"type": "bubble", "body": {"type": "box"}})]},
    )
    assert "messages[0].contents.body.layout: must be specified" in problems
    assert "messages[0].contents.body.contents: must be specified" in problems
    uri = quick({"type": "uri", "label": "web", "uri": "not a uri"})
    problems = validate_body("PushMessageRequest", {"to": USER, "messages": [uri]})
    assert any("action.uri" in p for p in problems), problems


def test_retry_key_rules():
    key = str(uuid.uuid4())
    assert validate_retry_key("push", key) == []
    assert validate_retry_key("multicast", None) == []
    assert validate_retry_key("reply", key)
    assert validate_retry_key("push", "not-a-uuid")


def test_validation_is_fast():
    validator = get_validator()
    body = {
        "to": USER,
        "messages": [
            flex({"type": "carousel", "contents": [
                bubble([{"type": "text", "text": f"line {i}"} for i in range(8)]
                       + [{"type": "button", "action": postback(f"b{i}")}])
                for i in range(10)
            ]}),
            quick(*(postback(f"q{i}", f"q={i}") for i in range(13))),
        ],
    }  # fmt: skip
    validator.validate("PushMessageRequest", copy.deepcopy(body))
    start = time.perf_counter()
    for _ in range(20):
        assert validator.validate("PushMessageRequest", body) == []
    per_call = (time.perf_counter() - start) / 20
    assert per_call < 0.05, f"{per_call * 1000:.1f} ms per validation"


def test_the_demo_fake_keeps_only_its_recent_requests(server, http):
    """The simulator's fake runs for days in the demo: its request log must not grow forever."""
    server.fake = FakeLineApi(keep_requests=3)
    try:
        for n in range(5):
            assert push(http, [text(f"お知らせ{n}")], key=str(uuid.uuid4())).status_code == 200
        kept = [r.json["messages"][0]["text"] for r in server.fake.requests]
        assert kept == ["お知らせ2", "お知らせ3", "お知らせ4"]
        assert server.fake.texts_for(USER)[-1] == "お知らせ4"  # what was delivered stays
        assert server.fake.count("push") == 5  # counts are kept whole
    finally:
        server.fake.close()


def test_the_server_keeps_serving_past_1024_open_descriptors():
    """A long test session holds many descriptors; select() refuses those above 1,024, and the
    fake once stopped answering there, so every later test timed out against it."""
    import os
    import resource

    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 1200:
        pytest.skip(f"needs at least 1,200 open files (the limit here is {soft})")
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        with FakeLineServer() as server:
            for _ in range(3):
                resp = requests.get(f"{server.url}/v2/bot/info", timeout=5)
                assert resp.status_code == 401  # answered: no access token was sent
            assert server.serving
    finally:
        for fd in held:
            os.close(fd)
