"""The LINE gateway against the fake Messaging API: retries, retry keys, limits."""

from __future__ import annotations

import random

import pytest

from bot.line_gateway import LineGateway, pause
from db.outbox import retry_key
from messages import common
from messages.limits import fit, split_text, squeeze, utf16_len
from tests import line

USER = line.user_id("gw")


@pytest.fixture
def gateway(settings, fake_line):
    gw = LineGateway(settings, attempts=4, backoff=0.01, max_backoff=0.02)
    return gw


def test_push_retries_500_under_the_same_key(gateway, fake_line):
    fake_line.inject("push", status=500, count=2)
    result = gateway.push(USER, [common.text("お知らせです")], retry_key("t", 1))
    assert result.status == "sent" and result.attempts == 3
    keys = [
        r["headers"].get("x-line-retry-key")
        for r in fake_line.requests
        if r["path"].endswith("/push")
    ]
    assert len(keys) == 3 and len(set(keys)) == 1
    assert fake_line.texts_for(USER) == ["お知らせです"]


def test_timeout_after_acceptance_is_not_sent_twice(gateway, fake_line, settings):
    late = settings.line_timeout[1] + 0.5  # longer than the gateway waits for an answer
    fake_line.inject("push", timeout=late, count=1, deliver=True)
    result = gateway.push(USER, [common.text("一度だけ")], retry_key("t", 2))
    assert result.ok and result.status == "duplicate"
    assert fake_line.texts_for(USER) == ["一度だけ"]


def test_rate_limited_429_is_retried(gateway, fake_line):
    fake_line.inject("push", status=429, count=1)
    assert gateway.push(USER, [common.text("x")], retry_key("t", 3)).status == "sent"


def test_monthly_limit_is_not_retried(gateway, fake_line):
    fake_line.quota_limit = 0
    result = gateway.push(USER, [common.text("x")], retry_key("t", 4))
    assert result.status == "monthly_limit"
    assert fake_line.count("push") == 1


def test_other_4xx_is_permanent(gateway, fake_line):
    fake_line.inject("push", status=400, count=5)
    result = gateway.push(USER, [common.text("x")], retry_key("t", 5))
    assert result.status == "failed" and fake_line.count("push") == 1


def test_retry_exhausted_after_repeated_500(gateway, fake_line):
    fake_line.inject("push", status=500, count=10)
    assert gateway.push(USER, [common.text("x")], retry_key("t", 6)).status == "retry_exhausted"
    assert fake_line.count("push") == 4


def test_reply_is_sent_once_and_never_retried(gateway, fake_line):
    token = fake_line.issue_reply_token(USER)
    fake_line.inject("reply", status=500, count=1)
    assert gateway.reply(token, [common.text("x")]).status == "failed"
    assert fake_line.count("reply") == 1
    token = fake_line.issue_reply_token(USER)
    assert gateway.reply(token, [common.text("x")]).ok
    assert gateway.reply(token, [common.text("x")]).status == "failed"  # single use


def test_long_text_is_split_and_labels_shortened(gateway, fake_line):
    long = "あ" * 4990 + "\n" + "😀" * 100
    label = "とても長いボタンのラベルで二十文字を超えてしまうもの"
    msg = common.text(long, [common.say(label)])
    msg.quick_reply.items[0].action.label = label  # bypass the builder: the gateway must fix it
    token = fake_line.issue_reply_token(USER)
    assert gateway.reply(token, [msg]).ok
    sent = fake_line.messages_for(USER)
    assert len(sent) == 2 and all(utf16_len(m["text"]) <= 5000 for m in sent)
    assert "".join(m["text"] for m in sent) == long
    action = sent[-1]["quickReply"]["items"][0]["action"]
    assert len(action["label"]) <= 20 and action["text"] == label


def test_more_than_five_messages_in_a_reply_are_merged(gateway, fake_line):
    token = fake_line.issue_reply_token(USER)
    messages = [common.text(f"{i}") for i in range(8)]
    assert gateway.reply(token, messages).ok
    sent = fake_line.messages_for(USER)
    assert len(sent) == 5 and "\n".join(m["text"] for m in sent).count("\n") >= 7


def test_push_of_more_than_five_messages_is_split_into_requests(gateway, fake_line):
    result = gateway.push(USER, [common.text(str(i)) for i in range(7)], retry_key("t", 7))
    assert result.ok and fake_line.count("push") == 2
    assert [m["text"] for m in fake_line.messages_for(USER)] == [str(i) for i in range(7)]


def test_split_text_counts_utf16_units():
    pieces = split_text("😀" * 3000)
    assert [utf16_len(p) for p in pieces] == [5000, 1000]


def test_squeeze_keeps_the_last_message_with_its_quick_reply():
    msgs = fit([common.text(str(i)) for i in range(6)] + [common.text("q", [common.say("a")])])
    out = squeeze(msgs)
    assert len(out) == 5 and out[-1]["text"] == "q" and "quickReply" in out[-1]


def test_profile_language_and_404(gateway, fake_line):
    fake_line.profiles[USER] = {"userId": USER, "displayName": "x", "language": "en"}
    assert gateway.profile_language(USER) == "en"
    assert gateway.profile_language(line.user_id("nobody")) is None


def test_retries_stop_at_the_call_deadline_and_leave_the_rest_to_the_outbox(settings, fake_line):
    slow = LineGateway(settings, attempts=10, backoff=0.2, max_backoff=0.4, deadline=0.5)
    fake_line.inject("push", status=500, count=10)
    result = slow.push(USER, [common.text("x")], retry_key("t", 7))
    assert result.status == "retry_exhausted"
    assert 1 <= fake_line.count("push") < 10 and result.attempts == fake_line.count("push")


def test_waits_are_jittered_so_senders_do_not_retry_in_step():
    rng = random.Random(7)
    waits = [pause(1.0, None, rng) for _ in range(50)]
    assert all(0.5 <= w <= 1.0 for w in waits)
    assert len({round(w, 3) for w in waits}) > 40  # spread, not one value
    after = [pause(1.0, 3.0, rng) for _ in range(20)]
    assert all(3.0 <= w <= 3.3 for w in after)  # LINE's Retry-After is honoured, never cut
