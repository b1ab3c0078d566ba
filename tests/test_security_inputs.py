"""Hostile inputs (issue #20, points 4 and 6): each attack as it was made, refused cleanly.

YAML alias bombs, recursion, deep nesting and tags (console upload and `content apply`);
Unicode digits in postbacks, console forms and content; over-deep signed JSON webhooks;
full-width formula starts in exports; SMTP passwords without TLS; a follow's reply lost to a
worker that died after its commit; 私のデータ deletion leaving a staff link behind.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot import mailer
from bot.jobs import JOBS
from db.events import Event
from db.models import ContentItem, Outbox, WebhookEvent
from db.staff import Staff
from db.surveys import Survey
from messages.catalog import t
from tests import line
from tests.survey_helpers import NOW, SURVEY, onboard
from tests.test_console import as_role, make_staff
from tests.test_console_surveys import answer, upload

ROOT = Path(__file__).resolve().parents[1]
NAMED = SURVEY.replace("ANON", "false").replace("max_length: 20", "max_length: 200")

# the shape of the 411-byte bomb: each level nine times the one before (kept to 4 levels
# here so that code without the fix answers instead of hanging)
BOMB = "kind: survey\n" + "".join(
    f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}" if i else '"lol"'] * 9) + "]\n" for i in range(4)
)
RECURSIVE = "kind: survey\nid: loop\nquestions: &q [*q]\n"
DEEP = "kind: survey\nid: deep\nquestions: " + "[" * 50_000 + "]" * 50_000 + "\n"


def _count(app, model, *where) -> int:
    with app.extensions["machikoe"].sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def editor(app, state):
    state.clock.fixed = NOW
    return as_role(app, "editor")


# --- 4. YAML: aliases, recursion, nesting, tags, size ------------------------------------


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        (BOMB, "アンカー（&）とエイリアス（*）は使えません。"),
        (RECURSIVE, "アンカー（&）とエイリアス（*）は使えません。"),
        (DEEP, "入れ子が深すぎます（50段まで）。"),
        (
            NAMED + "extra: !!python/object:os.system x\n",
            "タグ（!!python/object:os.system）は使えません。",
        ),
        (NAMED + "extra: !!binary aGVsbG8=\n", "タグ（!!binary）は使えません。"),
        (NAMED + "extra: " + "9" * 5000 + "\n", "読み取れない値があります。"),
        ("kind: kpi\nid: k\ntarget: .inf\n", "読み取れない値があります。"),
        ("kind: survey\nitems: [" + "1," * 12_000 + "]\n", "項目が多すぎます（10,000個まで）。"),
    ],
    ids=[
        "alias-bomb",
        "recursive-alias",
        "50000-deep",
        "python-tag",
        "binary-tag",
        "huge-int",
        "infinity",
        "too-many-values",
    ],
)
def test_hostile_yaml_upload_is_refused_in_plain_words(app, editor, text, sentence):
    before = _count(app, ContentItem)
    response = upload(editor, text, "attack.yml")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "反映しませんでした" in page and str(escape(sentence)) in page
    assert _count(app, ContentItem) == before


def test_a_merge_key_is_an_ordinary_unknown_field(app, editor):
    response = upload(editor, NAMED + "<<: {title: x}\n", "merge.yml")
    assert response.status_code == 400
    assert str(escape("「<<」という項目はありません。")) in response.get_data(as_text=True)


def test_content_apply_refuses_bombs_and_oversized_files_and_stores_nothing(app, runner, tmp_path):
    before = _count(app, ContentItem)
    (tmp_path / "bomb.yml").write_text(BOMB, encoding="utf-8")
    (tmp_path / "deep.yml").write_text(DEEP, encoding="utf-8")
    (tmp_path / "big.yml").write_text(NAMED + "#" * 500_001 + "\n", encoding="utf-8")
    (tmp_path / "good.yml").write_text(NAMED, encoding="utf-8")
    result = runner.invoke(args=["content", "apply", str(tmp_path)])
    assert result.exit_code != 0
    assert "bomb.yml:2: refused (yaml_alias)" in result.output
    assert "deep.yml:3: refused (yaml_deep)" in result.output
    assert "big.yml:1: larger than 500 KB" in result.output
    assert _count(app, ContentItem) == before  # all or nothing: the good file waits too
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Survey, "test-2026") is None


def test_a_unicode_digit_as_a_scale_label_is_a_problem_not_a_crash(app, editor):
    text = NAMED.replace("labels: {0: とても不幸, 10: とても幸せ}", 'labels: {"²": x, "--5": y}')
    response = upload(editor, text, "labels.yml")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "「²」は最小から最大までの数字にしてください。" in page
    assert "「--5」は最小から最大までの数字にしてください。" in page


# --- 6. Unicode digits: postbacks and console forms --------------------------------------


def _with(data: str, **changes: str) -> str:
    fields = dict(parse_qsl(data))
    fields.update(changes)
    return urlencode(fields)


def test_a_unicode_digit_in_postback_data_is_not_ours_and_fails_nothing(app, resident):
    r = resident(1)
    r.follow()
    agree = r.buttons()["同意する"]["data"]
    r.postback(_with(agree, n="²"))  # the step: not a number we wrote
    got = r.tap("同意する")
    age = r.buttons(got)["30代"]["data"]
    got = r.postback(_with(age, x="²"))  # the choice: not one of the buttons
    said = r.texts(got)
    assert t("ja", "fallback.error") not in said and "年代を教えてください" in said  # asked again
    assert _count(app, WebhookEvent, WebhookEvent.status == "failed") == 0


def test_unicode_digits_in_console_numbers_are_refused_cleanly(app, editor):
    form = {
        "id": "ws-digits",
        "title": "未来について話そう",
        "starts_at": "2026-12-12T18:30",
        "ends_at": "2026-12-12T20:30",
        "venue": "役場 2階 会議室",
        "format": "onsite",
        "capacity_onsite": "²",
    }
    saved = editor.post("/admin/events/save", form)
    assert saved.status_code == 400
    assert "会場の定員は数字で入力してください。" in saved.get_data(as_text=True)
    assert _count(app, Event, Event.id == "ws-digits") == 0

    upload(editor, NAMED)
    letters = editor.post("/admin/surveys/test-2026/invitations", {"format": "csv", "count": "²"})
    assert letters.status_code == 302
    page = editor.get("/admin/surveys/test-2026").get_data(as_text=True)
    assert "枚数は 1〜" in page
    assert editor.get("/admin/surveys?page=99999999999999999999").status_code == 200


# --- 6. webhook bodies nested too deeply -------------------------------------------------


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_signed_json_is_400_and_stores_nothing(app, client, fake_line, depth):
    event = line.text(line.user_id(5), "こんにちは", fake_line.issue_reply_token(line.user_id(5)))
    raw = json.dumps({"destination": "U" + "0" * 32, "events": [event]}, ensure_ascii=False)
    body = raw.replace('"こんにちは"', '"こんにちは", "x": ' + "[" * depth + "]" * depth).encode()
    response = line.post(client, body)
    assert response.status_code == 400
    assert response.get_json() == {"error": "JSON nested too deeply"}
    assert _count(app, WebhookEvent) == 0


def test_brackets_inside_strings_do_not_count_as_nesting(app, client, resident):
    r = resident(6)
    r.follow()
    event = line.text(r.id, "[" * 200 + "{" * 200, r.token())
    assert line.post(client, line.payload(event)).status_code == 200


# --- 6. exports: full-width and spaced formula starts ------------------------------------

ATTACKS = ["＝HYPERLINK(1)", "＋SUM(1)", "－SUM(1)", "＠SUM(1)", "＝1＋1 と書きます"]


def test_full_width_and_spaced_formulas_are_neutralised_in_exports(app, editor, resident):
    upload(editor, NAMED)
    for i, words in enumerate(ATTACKS, 1):
        answer(onboard(resident(i)), "住みやすい", "8", words)
    csv = editor.get("/admin/surveys/test-2026/export.csv")
    assert csv.status_code == 200
    body = csv.data.decode("utf-8-sig")
    for words in ATTACKS:
        assert "'" + words in body, words
    xlsx = editor.get("/admin/surveys/test-2026/export.xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    cells = {c.value for row in book.worksheets[0].iter_rows() for c in row}
    assert {"'" + w for w in ATTACKS} <= cells
    assert not cells & set(ATTACKS)


# --- 6. SMTP: the password only over TLS -------------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.logins: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 OK"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append(getattr(auth_data, "password", b"") or b"")
        return AuthResult(success=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def plain_smtp():
    """A real SMTP server on loopback that offers AUTH but not STARTTLS."""
    inbox = _Inbox()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=_free_port(),
        authenticator=inbox.authenticate,
        auth_require_tls=False,
    )
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


def _mail() -> EmailMessage:
    return mailer.build("machikoe@example.jp", ["kikaku@example.jp"], "件名", "本文")


def test_smtp_credentials_are_never_sent_without_tls(plain_smtp, caplog):
    url = f"smtp://kikaku%40example.jp:hunter2-secret@127.0.0.1:{plain_smtp.port}"
    with caplog.at_level(logging.INFO), pytest.raises(mailer.MailError) as refused:
        mailer.send(url, _mail())
    assert "does not offer STARTTLS" in str(refused.value)
    assert plain_smtp.logins == [] and plain_smtp.messages == []
    assert "does not offer STARTTLS" in caplog.text
    assert "hunter2" not in caplog.text and "hunter2" not in str(refused.value)


def test_smtp_without_credentials_still_sends_in_plain(plain_smtp):
    mailer.send(f"smtp://127.0.0.1:{plain_smtp.port}", _mail())
    assert len(plain_smtp.messages) == 1 and plain_smtp.logins == []


# --- 6. a follow's reply is recovered when it could not be sent --------------------------


def _welcome_count(fake, user_id: str) -> int:
    return sum("友だち追加ありがとうございます" in t for t in fake.texts_for(user_id))


def test_a_follow_whose_reply_fails_gets_its_welcome_by_push_once(app, client, fake_line, state):
    uid = line.user_id(40)
    fake_line.profiles[uid] = {"userId": uid, "displayName": "x", "language": "ja"}
    fake_line.inject("reply", 500)
    body = line.payload(line.follow(uid, fake_line.issue_reply_token(uid)))
    assert line.post(client, body).status_code == 200
    assert _welcome_count(fake_line, uid) == 1 and fake_line.count("push") == 1
    state.clock.fixed = state.now() + timedelta(minutes=5)
    JOBS["inbox"].run(state)
    JOBS["outbox"].run(state)
    assert _welcome_count(fake_line, uid) == 1
    assert _count(app, Outbox, Outbox.status == "held") == 0


def test_a_reply_delivered_but_unanswered_is_not_pushed_again(app, client, fake_line, state):
    """LINE delivered the welcome but the answer never came: asking again proves it went."""
    uid = line.user_id(44)
    fake_line.profiles[uid] = {"userId": uid, "displayName": "x", "language": "ja"}
    state.gateway.settings = state.gateway.settings.but(line_timeout=(2.0, 0.5))
    fake_line.inject("reply", timeout=3, deliver=True)
    body = line.payload(line.follow(uid, fake_line.issue_reply_token(uid)))
    assert line.post(client, body).status_code == 200
    assert fake_line.count("reply", 400) == 1  # the second try: the token was used
    assert _welcome_count(fake_line, uid) == 1 and fake_line.count("push") == 0
    assert _count(app, Outbox) == 0


def test_a_follow_that_is_replied_leaves_no_copy_behind(app, resident, fake_line):
    r = resident(41)
    assert "友だち追加ありがとうございます" in r.texts(r.follow())
    assert fake_line.count("push") == 0
    assert _count(app, Outbox) == 0


def _env(settings) -> dict:
    return line.process_env(settings, INBOX_THREADS="1")  # one drainer: events in order


def _wait_for(check, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _up(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
            return True
    except OSError:
        return False


def test_a_follow_in_a_batch_whose_worker_died_after_commit_gets_its_welcome(
    app, settings, state, fake_line
):
    """The worker is killed while sending the first follow's reply, after its commit."""
    first, second = line.user_id(42), line.user_id(43)
    for uid in (first, second):
        fake_line.profiles[uid] = {"userId": uid, "displayName": "x", "language": "ja"}
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "waitress", f"--listen=127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT,
        env=_env(settings),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert _wait_for(lambda: _up(port)), "the app did not start"
        fake_line.inject("reply", timeout=30, deliver=False)  # the reply hangs: kill meanwhile
        events = [line.follow(u, fake_line.issue_reply_token(u)) for u in (first, second)]
        events[1]["timestamp"] = events[0]["timestamp"] + 1
        body = line.payload(*events)
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/callback",
            data=body,
            headers={"Content-Type": "application/json", "x-line-signature": line.sign(body)},
        )

        def post() -> None:
            with contextlib.suppress(OSError):  # the worker dies: no answer
                urllib.request.urlopen(request, timeout=60)

        poster = threading.Thread(target=post, daemon=True)
        poster.start()
        assert _wait_for(lambda: fake_line.count("reply") >= 1), "no reply was attempted"
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=30)
        poster.join(timeout=30)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=30)
    assert _welcome_count(fake_line, first) == 0  # the reply never arrived
    with state.sessions() as s:
        statuses = dict(s.execute(select(WebhookEvent.line_user_id, WebhookEvent.status)).all())
    assert statuses == {first: "done", second: "pending"}  # the first one's effect committed

    state.clock.fixed = state.now() + timedelta(minutes=5)
    JOBS["inbox"].run(state)
    assert _welcome_count(fake_line, first) == 1
    assert _welcome_count(fake_line, second) == 1
    JOBS["inbox"].run(state)
    JOBS["outbox"].run(state)
    assert _welcome_count(fake_line, first) == 1 and _welcome_count(fake_line, second) == 1


# --- 6. 私のデータ deletion clears a staff account's LINE link ----------------------------


def test_deleting_my_data_clears_the_staff_link(app, runner, resident):
    staff_id = make_staff(app, "kikaku@example.jp", "viewer")
    issued = runner.invoke(args=["staff", "link-code", "kikaku@example.jp"])
    assert issued.exit_code == 0, issued.output
    code = re.search(r"STAFF-[A-Z0-9]{4}-[A-Z0-9]{4}", issued.output).group()
    r = resident(50)
    onboard(r)
    r.say(code)
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Staff, staff_id).line_user_id == r.id
    r.say("私のデータ")
    r.tap("削除する")
    r.tap("削除する（確定）")
    with app.extensions["machikoe"].sessions() as s:
        assert s.get(Staff, staff_id).line_user_id is None
        assert s.scalar(select(func.count()).where(Staff.line_user_id == r.id)) == 0
