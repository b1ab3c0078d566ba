"""Answering opinions in the console: status, category, memo, a LINE reply, the digest."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot import digest as digest_job
from db.models import Outbox
from db.opinions import Opinion, OpinionReply
from db.outbox import retry_key
from handlers.digest import Period
from tests.conftest import ROOT
from tests.test_console import as_role, audit_rows

DEMO = ROOT / "content" / "demo"
FILES = ["town.yml", "kpi.yml", "kpi-livability.yml", "kpi-childcare.yml", "consultation.yml"]
NOW = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # no consultation open: plain opinions
TOKEN_RE = re.compile(r'name="reply_token" value="([^"]+)"')


def _setup(runner, state):
    result = runner.invoke(args=["content", "apply", *(str(DEMO / f) for f in FILES)])
    assert result.exit_code == 0, result.output
    state.clock.fixed = NOW


def _send(resident, n: int, words: str):
    r = resident(n)
    r.follow()
    r.tap("同意しない")
    r.say("意見")
    r.say(words)
    r.tap("送信する")
    return r


def _opinion(app, receipt: str | None = None) -> Opinion:
    with app.extensions["machikoe"].sessions() as s:
        query = select(Opinion).order_by(Opinion.id)
        if receipt:
            query = query.where(Opinion.receipt_no == receipt)
        return s.scalars(query).first()


def _pushes(fake, user_id: str) -> list:
    """Push requests (not replies) that reached this resident."""
    return [b for b in fake.batches_for(user_id) if "push" in b.endpoint]


def _count(app, model) -> int:
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_status_category_memo_and_filters(app, runner, state, resident, fake_line):
    _setup(runner, state)
    _send(resident, 80, "駅前の街灯が暗いです")
    _send(resident, 81, "子育て広場を土曜も開けてほしい")
    first, second = _opinion(app), None
    with app.extensions["machikoe"].sessions() as s:
        second = s.scalars(select(Opinion).order_by(Opinion.id.desc())).first()
    assert first.status == "open" and first.category is None
    editor = as_role(app, "editor")

    page = editor.get(f"/admin/opinions/{first.id}").get_data(as_text=True)
    for name in (
        "未対応",
        "対応中",
        "対応済み",
        "幸せの再デザイン",
        "行政経営の再デザイン",
        "子育て",
    ):
        assert name in page
    url = f"/admin/opinions/{first.id}"
    form = {"status": "in_progress", "category": "防災", "memo": "建設課に確認中"}
    saved = editor.post(url, form)
    assert saved.status_code == 302
    row = _opinion(app, first.receipt_no)
    assert (row.status, row.category, row.memo) == ("in_progress", "防災", "建設課に確認中")
    assert row.handled_at == NOW
    [entry] = audit_rows(app, "opinions.update")
    assert entry.target == first.receipt_no and entry.actor == "editor@example.jp"
    assert entry.detail["changed"] == ["status", "category", "memo"]
    assert "建設課" not in str(entry.detail)  # the memo's words stay out of the log

    # bad values: a clear refusal, nothing stored
    for bad in (
        {"status": "closed", "category": "防災"},
        {"status": "done", "category": "宇宙開発"},
        {"status": "done", "category": "", "memo": "長" * 2001},
    ):
        refused = editor.post(url, bad)
        assert refused.status_code == 400
        html = refused.get_data(as_text=True)
        assert "保存・送信できませんでした" in html
        assert bad.get("memo", "") in html  # what was typed is shown again, not lost
    assert _opinion(app, first.receipt_no).status == "in_progress"
    assert len(audit_rows(app, "opinions.update")) == 1
    assert editor.post(url, form).status_code == 302
    assert len(audit_rows(app, "opinions.update")) == 1  # nothing changed, nothing logged

    listed = editor.get("/admin/opinions?status=open").get_data(as_text=True)
    assert second.receipt_no in listed and first.receipt_no not in listed
    by_cat = editor.get("/admin/opinions?category=防災").get_data(as_text=True)
    assert first.receipt_no in by_cat and second.receipt_no not in by_cat
    none = editor.get("/admin/opinions?category=none").get_data(as_text=True)
    assert second.receipt_no in none and first.receipt_no not in none
    assert editor.get("/admin/opinions?status=whatever").status_code == 404
    assert editor.get("/admin/opinions?category=宇宙開発").status_code == 404
    blank = editor.get("/admin/opinions?kind=all&status=&category=")
    assert blank.status_code == 302 and blank.headers["Location"].endswith("?kind=all")

    viewer = as_role(app, "viewer")
    seen = viewer.get(url).get_data(as_text=True)
    assert "建設課に確認中" in seen and 'name="memo"' not in seen and 'name="body"' not in seen
    assert viewer.post(url, {"status": "done"}).status_code == 403
    assert _opinion(app, first.receipt_no).status == "in_progress"
    assert editor.get("/admin/opinions/99999").status_code == 404


def test_reply_is_previewed_then_pushed_once_with_its_retry_key(
    app, runner, state, resident, fake_line
):
    _setup(runner, state)
    r = _send(resident, 82, "バスの本数を増やしてほしい")
    r.news()
    op = _opinion(app)
    editor = as_role(app, "editor")
    page = editor.get(f"/admin/opinions/{op.id}").get_data(as_text=True)
    token = TOKEN_RE.search(page).group(1)
    url = f"/admin/opinions/{op.id}/reply"
    words = "ご意見ありがとうございます。来年度から平日の便を2本増やします。"

    preview = editor.post(url, {"body": words, "reply_token": token, "action": "preview"})
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert f"ご意見（受付番号 {op.receipt_no}）へのお返事です。" in html and words in html
    assert "みらい野町 企画課" in html  # the town's contact closes the message
    assert TOKEN_RE.search(html).group(1) == token  # the same form, the same key
    assert _pushes(fake_line, r.id) == [] and _count(app, Outbox) == 0

    sent = editor.post(url, {"body": words, "reply_token": token, "action": "send"})
    assert sent.status_code == 302
    [push] = _pushes(fake_line, r.id)
    key = retry_key("opinion_reply", op.id, token)
    assert push.retry_key == key
    assert push.messages[0]["text"].startswith(
        f"ご意見（受付番号 {op.receipt_no}）へのお返事です。"
    )
    assert words in push.messages[0]["text"]
    with app.extensions["machikoe"].sessions() as s:
        [reply] = s.scalars(select(OpinionReply))
        outbox = s.get(Outbox, reply.outbox_id)
        assert reply.retry_key == key and reply.staff == "editor@example.jp"
        assert outbox.retry_key == key and outbox.status == "sent" and outbox.attempts == 1
        assert s.get(Opinion, op.id).status == "in_progress"  # answered: no longer 未対応
    [entry] = audit_rows(app, "opinions.reply")
    assert entry.target == op.receipt_no and entry.detail["retry_key"] == key
    assert words not in str(entry.detail)

    again = editor.post(url, {"body": words, "reply_token": token, "action": "send"})
    assert again.status_code == 400 and "すでに送りました" in again.get_data(as_text=True)
    assert len(_pushes(fake_line, r.id)) == 1 and _count(app, OpinionReply) == 1
    shown = editor.get(f"/admin/opinions/{op.id}").get_data(as_text=True)
    assert words in shown and "送った返信" in shown

    for bad in ({"body": "   ", "reply_token": "t2"}, {"body": "あ" * 1001, "reply_token": "t3"}):
        refused = editor.post(url, {**bad, "action": "send"})
        assert refused.status_code == 400
    assert len(_pushes(fake_line, r.id)) == 1 and _count(app, Outbox) == 1
    viewer = as_role(app, "viewer")
    assert (
        viewer.post(url, {"body": words, "reply_token": "v", "action": "send"}).status_code == 403
    )
    assert len(_pushes(fake_line, r.id)) == 1


def test_a_failed_reply_is_retried_under_the_same_key(app, runner, state, resident, fake_line):
    _setup(runner, state)
    r = _send(resident, 83, "公園にベンチを")
    op = _opinion(app)
    editor = as_role(app, "editor")
    fake_line.inject("push", 500, count=state.gateway.attempts)  # every try of this request
    sent = editor.post(
        f"/admin/opinions/{op.id}/reply",
        {"body": "検討します", "reply_token": "k1", "action": "send"},
    )
    assert sent.status_code == 302
    assert _pushes(fake_line, r.id) == []
    result = runner.invoke(args=["jobs", "run", "outbox"])
    assert result.exit_code == 0, result.output
    [push] = _pushes(fake_line, r.id)
    assert push.retry_key == retry_key("opinion_reply", op.id, "k1")


def test_a_resident_who_blocked_or_deleted_is_never_messaged(
    app, runner, state, resident, fake_line
):
    _setup(runner, state)
    r = _send(resident, 84, "図書館の開館時間を延ばして")
    gone = _send(resident, 85, "ゴミ出しの日を増やして")
    op = _opinion(app)
    gone_op = _opinion(app, f"OP-{op.id + 1:06d}")
    r.unfollow()
    editor = as_role(app, "editor")
    page = editor.get(f"/admin/opinions/{op.id}").get_data(as_text=True)
    assert "ブロックしているため、返信できません" in page and 'name="body"' not in page
    refused = editor.post(
        f"/admin/opinions/{op.id}/reply", {"body": "返信", "reply_token": "b1", "action": "send"}
    )
    assert refused.status_code == 400 and "ブロック" in refused.get_data(as_text=True)

    gone.say("私のデータ")
    gone.tap("削除する")
    gone.tap("削除する（確定）")
    assert editor.get(f"/admin/opinions/{gone_op.id}").status_code == 404
    refused = editor.post(
        f"/admin/opinions/{gone_op.id}/reply",
        {"body": "返信", "reply_token": "d1", "action": "send"},
    )
    assert refused.status_code == 404
    assert _pushes(fake_line, r.id) == [] and _count(app, Outbox) == 0
    assert audit_rows(app, "opinions.reply") == []


def test_open_opinions_in_the_digest(app, runner, state, resident, fake_line):
    _setup(runner, state)
    for n in (86, 87, 88):
        _send(resident, n, f"意見その{n}")
    op = _opinion(app)
    editor = as_role(app, "editor")
    editor.post(f"/admin/opinions/{op.id}", {"status": "done", "category": "その他"})
    jst = ZoneInfo("Asia/Tokyo")
    digest = digest_job.compose(state, Period.before(NOW, jst))
    assert digest.numbers["opinions.open"] == 2
    [section] = [s for s in digest.sections if s.key == "opinions"]
    assert "未対応のご意見 2件" in section.lines and "未対応2件" in section.short
    listed = editor.get("/admin/opinions").get_data(as_text=True)
    assert "未対応: 2 件" in listed
