"""Issue #16 points 3, 4, 5 and 7: the console speaks the office's language.

The audience shown is the one that really receives (topic, blocks and stops applied), the
segment builder shows names instead of ids, a scheduled announcement repeats its JST time and
its estimated audience, every page warns while the clock has stopped, and the audit log reads
in Japanese (English for an English browser) with filters by person, action and date.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import func, select

from bot.jobs import JOBS
from db.broadcasts import Broadcast
from db.digest import last_beat
from db.session import transaction
from handlers import staff as staff_accounts
from messages import staff_labels
from tests.survey_helpers import NOW, onboard
from tests.test_console import as_role, make_staff
from tests.test_console_announcements import wait_until_finished
from tests.test_resident_topics_mydata import agree_and_skip_profile

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "content" / "demo"
IDS = ("district-bandai", "mirai-2026-1", "resident-2026", "wellbeing-2026")


class VisibleText(HTMLParser):
    """The text a person reads on a page (or inside one element): no attributes, no scripts,
    and not the small grey `secondary` lines."""

    def __init__(self, inside_id: str | None = None) -> None:
        super().__init__()
        self.inside_id, self.depth, self.hidden = inside_id, 0 if inside_id else 1, 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if self.depth:
            self.depth += tag not in {"input", "br", "img", "meta", "link"}
        elif a.get("id") == self.inside_id:
            self.depth = 1
        grey = "secondary" in (a.get("class") or "").split() or tag == "script"
        if (self.depth and grey) or (self.hidden and tag not in {"input", "br", "img"}):
            self.hidden += 1

    def handle_endtag(self, tag):
        if self.hidden:
            self.hidden -= 1
        if self.depth and self.inside_id:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.hidden:
            self.parts.append(data)

    @classmethod
    def of(cls, html: str, inside_id: str | None = None) -> str:
        parser = cls(inside_id)
        parser.feed(html)
        return " ".join("".join(parser.parts).split())


def beat(app, at: datetime) -> None:
    """The clock's heartbeat job, run at a given time."""
    state = app.extensions["machikoe"]
    state.clock.fixed = at
    assert JOBS["heartbeat"].run(state) == "ok"


def topic_town(app, resident) -> dict:
    """Five residents: never chose, chose 子育て, chose only 防災, blocked, stopped all."""
    never = onboard(resident(1))
    child, safety = resident(2), resident(3)
    agree_and_skip_profile(child)
    child.tap("子育て")
    child.tap("決定")
    agree_and_skip_profile(safety)
    safety.tap("防災")
    safety.tap("決定")
    gone = onboard(resident(4))
    gone.unfollow()
    quiet = onboard(resident(5))
    quiet.say("お知らせ設定")
    quiet.tap("すべて停止する")
    quiet.tap("決定")
    return {"never": never, "child": child, "safety": safety, "gone": gone, "quiet": quiet}


# --- point 3: the topic limits the audience, and the real count is shown ----------------------


def test_a_topic_limits_the_audience_and_the_count_is_who_really_receives(
    app, state, resident, fake_line
):
    people = topic_town(app, resident)
    editor = as_role(app, "editor")
    page = editor.get("/admin/announcements").get_data(as_text=True)
    assert 'name="seg_topic"' not in page  # one control for the topic: the 分野 select
    assert "その分野を受け取る設定の人だけに届きます" in page

    form = {"text": "子育て広場のお知らせ", "topic": "子育て", "when": "now"}
    check = editor.post("/admin/announcements/check", form)
    assert check.status_code == 200
    text = VisibleText.of(check.get_data(as_text=True), "check")
    assert "送る相手: 2人（分野「子育て」を受け取る人）" in text
    assert "友だち全員" not in text  # the trap of issue #16
    assert "登録されている人: 5人" in text and "ブロック中で送れない人: 1人" in text
    assert "お知らせを止めている人（緊急のお知らせだけ受け取る）: 1人" in text
    assert "分野「子育て」を外している人: 1人" in text and "実際に届く人: 2人" in text

    sent = editor.post("/admin/announcements", form)
    assert sent.status_code == 302
    st = wait_until_finished(app, int(sent.headers["Location"].rsplit("/", 1)[1]))
    assert st["delivered"] == 2  # the number shown is the number reached
    reached = set(fake_line.recipient_counts("multicast"))
    assert reached == {people["never"].id, people["child"].id}

    urgent = editor.post("/admin/announcements/check", {**form, "text": "断水", "urgent": "1"})
    text = VisibleText.of(urgent.get_data(as_text=True), "check")
    assert "送る相手: 3人" in text  # urgent reaches those who stopped, not those off the topic
    assert "お知らせを止めている人" not in text and "分野「子育て」を外している人: 1人" in text


def test_no_topic_and_no_filter_says_who_and_a_filter_says_it_in_words(app, resident):
    topic_town(app, resident)
    editor = as_role(app, "editor")
    check = editor.post("/admin/announcements/check", {"text": "町民運動会", "when": "now"})
    text = VisibleText.of(check.get_data(as_text=True), "check")
    assert "送る相手: 3人（お知らせを止めていない友だち全員）" in text
    by_district = editor.post(
        "/admin/announcements/check", {"text": "町民運動会", "seg_district": "七ツ森"}
    )
    text = VisibleText.of(by_district.get_data(as_text=True), "check")
    assert "送る相手: 1人（地区: 七ツ森）" in text and "条件に当てはまる人: 3人" in text


def test_a_mistyped_condition_is_refused_in_staff_words_and_nothing_is_stored(app, runner):
    editor = as_role(app, "editor")
    base = {"text": "お知らせ", "when": "now"}
    cases = {
        "age=200代": "年代に「200代」はありません。使える値: 15歳以下、16〜19歳",
        "ward=1": "条件の項目「ward」はありません。使える項目: district（地区）",
        "district": "条件は「項目=値」の形で、空白で区切って書いてください",
        "answered=nope": "回答したアンケートに「nope」はありません。使える値: まだありません",
    }
    for typed, sentence in cases.items():
        for url in ("/admin/announcements/check", "/admin/announcements"):
            got = editor.post(url, {**base, "segment_extra": typed})
            assert got.status_code == 400, (typed, url)
            assert sentence in VisibleText.of(got.get_data(as_text=True)), typed
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Broadcast)) == 0
    assert runner.invoke(args=["content", "apply", str(DEMO)]).exit_code == 0
    got = editor.post("/admin/announcements/check", {**base, "segment_extra": "answered=nope"})
    assert "resident-2026（町民アンケート 2026）" in got.get_data(as_text=True)


# --- point 4: names, not ids ------------------------------------------------------------------


def test_the_segment_builder_shows_titles_and_names_not_ids(app, runner, state):
    state.clock.fixed = NOW
    result = runner.invoke(args=["content", "apply", str(DEMO)])
    assert result.exit_code == 0, result.output
    editor = as_role(app, "editor")
    html = editor.get("/admin/announcements").get_data(as_text=True)
    builder = VisibleText.of(html, "compose")
    for internal in IDS:
        assert internal not in builder, internal
    assert "磐梯" in builder and "町内在住" in builder
    assert re.search(r"\d+月\d+日\([月火水木金土日]\)", builder)  # events by title and date
    for internal in ("district-bandai", "resident-2026"):  # chosen by id, shown only in grey
        assert f'value="{internal}"' in html
        assert f'<small class="secondary" aria-hidden="true">{internal}</small>' in html

    form = {"text": "アンケートのお願い", "seg_not_answered": "resident-2026", "when": "later"}
    check = editor.post("/admin/announcements/check", {**form, "send_at": "2026-12-05T10:00"})
    text = VisibleText.of(check.get_data(as_text=True), "check")
    assert "まだ回答していないアンケート:" in text and "resident-2026" not in text
    made = editor.post("/admin/announcements", {**form, "send_at": "2026-12-05T10:00"})
    detail = VisibleText.of(editor.get(made.headers["Location"]).get_data(as_text=True))
    assert "まだ回答していないアンケート:" in detail and "resident-2026" not in detail
    history = VisibleText.of(editor.get("/admin/announcements").get_data(as_text=True))
    assert "resident-2026" not in history.split("配信の履歴")[1]


# --- point 5: scheduling ----------------------------------------------------------------------


def test_a_scheduled_announcement_repeats_its_jst_time_and_estimates_its_audience(
    app, state, resident
):
    state.clock.fixed = NOW  # 11月28日(土) 12:00 JST
    onboard(resident(1))
    onboard(resident(2))
    editor = as_role(app, "editor")
    form = {"text": "説明会のお知らせ", "when": "later", "send_at": "2026-12-05T18:30"}
    check = editor.post("/admin/announcements/check", form)
    html = check.get_data(as_text=True)
    assert "配信日時: 12月5日(土) 18:30（日本時間・予約）" in VisibleText.of(html, "check")
    assert "12月5日(土) 18:30 に配信を予約する" in html  # the button says it too
    assert "同じ内容を24時間以内に送った相手にも、もう一度送る" in html
    assert "二重送信を防ぐため" in html
    missing = editor.post("/admin/announcements/check", {**form, "send_at": ""})
    assert "配信日時を入力してください" in VisibleText.of(missing.get_data(as_text=True), "check")

    made = editor.post("/admin/announcements", form)
    assert made.status_code == 302
    page = editor.get(made.headers["Location"]).get_data(as_text=True)
    text = VisibleText.of(page)
    assert "12月5日(土) 18:30 に配信を予約しました" in text
    assert "送る相手（見込み）2人" in text and "—人" not in text
    assert "<progress" not in page  # no full bar for something not started
    assert "約2" in VisibleText.of(editor.get("/admin/").get_data(as_text=True))
    assert "約2" in VisibleText.of(editor.get("/admin/announcements").get_data(as_text=True))

    again = editor.post("/admin/announcements", form)
    assert again.status_code == 400
    refusal = VisibleText.of(again.get_data(as_text=True))
    assert "24時間以内に作っています" in refusal and "もう一度送る」を選んでください" in refusal
    assert editor.post("/admin/announcements", {**form, "again": "1"}).status_code == 302


def test_past_its_time_without_a_clock_a_scheduled_one_says_why(app, state, resident):
    state.clock.fixed = NOW
    onboard(resident(1))
    editor = as_role(app, "editor")
    made = editor.post(
        "/admin/announcements",
        {"text": "予約のテスト", "when": "later", "send_at": "2026-11-28T12:30"},
    )
    url = made.headers["Location"]
    assert "止まっているため、このままでは送られません" in editor.get(url).get_data(as_text=True)
    state.clock.fixed = NOW + timedelta(hours=1)
    text = VisibleText.of(editor.get(url).get_data(as_text=True))
    assert "配信時刻（11月28日(土) 12:30）を過ぎましたが、まだ配信が始まっていません" in text
    assert "いまは時計が止まっています" in text
    history = VisibleText.of(editor.get("/admin/announcements").get_data(as_text=True))
    assert "予約済み（配信時刻を過ぎています）" in history
    beat(app, NOW + timedelta(hours=1))
    assert "1分ほどで配信が始まります" in VisibleText.of(editor.get(url).get_data(as_text=True))


def test_the_clock_warning_shows_when_heartbeats_are_stale_and_not_when_fresh(app, state):
    state.clock.fixed = NOW
    admin, viewer = as_role(app, "admin"), as_role(app, "viewer")
    pages = ("/admin/", "/admin/announcements", "/admin/surveys", "/admin/audit")
    for url in pages:
        assert 'data-testid="clock-warning"' in admin.get(url).get_data(as_text=True), url
    never = VisibleText.of(admin.get("/admin/").get_data(as_text=True))
    assert "定時処理（時計）が止まっています。 まだ一度も動いていません。" in never
    assert "flask --app wsgi scheduler" in never
    assert "管理者に連絡してください" in VisibleText.of(
        viewer.get("/admin/").get_data(as_text=True)
    )

    beat(app, NOW)
    with state.sessions() as s:
        assert last_beat(s).astimezone(UTC) == NOW
    for url in pages:
        assert 'data-testid="clock-warning"' not in admin.get(url).get_data(as_text=True), url
    state.clock.fixed = NOW + timedelta(minutes=4)
    assert 'data-testid="clock-warning"' not in admin.get("/admin/").get_data(as_text=True)
    state.clock.fixed = NOW + timedelta(minutes=6)
    late = VisibleText.of(admin.get("/admin/announcements").get_data(as_text=True))
    assert "最後に動いたのは 11月28日(土) 12:00 です" in late
    beat(app, NOW + timedelta(minutes=6))  # twice is fine: one row, touched
    assert 'data-testid="clock-warning"' not in admin.get("/admin/").get_data(as_text=True)


# --- point 7: the audit log -------------------------------------------------------------------


def _entries(app) -> None:
    """Audit rows at known times: 11月7日 23:30 JST and 11月8日 00:10 JST, two people."""
    state = app.extensions["machikoe"]
    late_7th = datetime(2026, 11, 7, 14, 30, tzinfo=UTC)
    early_8th = datetime(2026, 11, 7, 15, 10, tzinfo=UTC)
    with transaction(state.sessions) as s:
        staff_accounts.audit(s, "sato@example.jp", "staff.role", "a@x.jp", {}, at=late_7th)
        staff_accounts.audit(
            s, "sato@example.jp", "survey.export", "resident-2026", {"format": "xlsx"}, at=early_8th
        )
        staff_accounts.audit(
            s, "suzuki@example.jp", "staff.password.own", "suzuki@example.jp", at=early_8th
        )
        staff_accounts.audit(s, "cli", "content.event", "mirai-2026-1", {}, at=early_8th)


def audit_table(console, query: str = "", **kw) -> tuple[int, str]:
    response = console.get(f"/admin/audit{query}", **kw)
    return response.status_code, VisibleText.of(response.get_data(as_text=True), "audit")


def test_the_audit_log_reads_in_japanese_and_filters_by_person_action_and_date(app, state):
    state.clock.fixed = NOW
    make_staff(app, "sato@example.jp", "editor")
    make_staff(app, "suzuki@example.jp", "viewer")
    _entries(app)
    admin = as_role(app, "admin")
    html = admin.get("/admin/audit").get_data(as_text=True)
    assert '<select name="actor">' in html and '<option value="sato@example.jp"' in html
    assert '<option value="area:staff"' in html and ">職員の権限を変更</option>" in html
    assert 'type="date" name="from"' in html and 'type="date" name="until"' in html
    _, everything = audit_table(admin)
    assert "11月7日(土) 23:30" in everything and "11月8日(日) 00:10" in everything
    assert "職員の権限を変更" in everything and "アンケート回答を書き出し" in everything
    assert "コマンド（CLI）" in everything and "形式: xlsx" in everything

    _, sato = audit_table(admin, "?actor=sato@example.jp")
    assert "職員の権限を変更" in sato and "アンケート回答を書き出し" in sato
    assert "自分のパスワードを変更" not in sato and "イベントのファイルを反映" not in sato

    _, one = audit_table(admin, "?action=staff.role")
    assert "職員の権限を変更" in one and "自分のパスワードを変更" not in one
    _, area = audit_table(admin, "?action=area:staff")
    assert "職員の権限を変更" in area and "自分のパスワードを変更" in area
    assert "アンケート回答を書き出し" not in area and "イベントのファイルを反映" not in area

    _, seventh = audit_table(admin, "?from=2026-11-07&until=2026-11-07")  # JST days
    assert "職員の権限を変更" in seventh and "アンケート回答を書き出し" not in seventh
    _, eighth = audit_table(admin, "?from=2026-11-08&until=2026-11-08")
    assert "職員の権限を変更" not in eighth and "アンケート回答を書き出し" in eighth
    _, both = audit_table(admin, "?actor=sato@example.jp&action=area:survey&from=2026-11-08")
    assert "アンケート回答を書き出し" in both and "職員の権限を変更" not in both

    status, _ = audit_table(admin, "?from=2026-13-01")
    page = admin.get("/admin/audit?from=2026-13-01").get_data(as_text=True)
    assert status == 400 and "2026-11-08 の形で入力してください" in page
    wrong_way = admin.get("/admin/audit?from=2026-11-09&until=2026-11-08")
    assert wrong_way.status_code == 400
    assert "「この日から」は「この日まで」より前の日に" in wrong_way.get_data(as_text=True)


def test_the_audit_log_in_english_for_an_english_browser(app, state):
    state.clock.fixed = NOW
    _entries(app)
    admin = as_role(app, "admin")
    english = {"Accept-Language": "en-US,en;q=0.9"}
    status, table = audit_table(admin, headers=english)
    assert status == 200
    assert "Staff role changed" in table and "Survey answers exported" in table
    assert "Command line (CLI)" in table and "職員の権限を変更" not in table
    page = admin.get("/admin/audit", headers=english).get_data(as_text=True)
    assert '<div lang="en">' in page and ">Who" in page


def test_every_audit_action_in_the_code_has_a_label():
    """Codes written by audit(...), AuditLog(...) and send_export(...) calls, and the ones built
    from parts (content kinds, survey period changes), all have a Japanese and English label."""
    from handlers.content import KINDS

    codes = {f"content.{name}" for name in KINDS} | {"survey.open", "survey.close", "survey.period"}
    call = re.compile(r"(?:\baudit\(|AuditLog\(|send_export\()")
    literal = re.compile(r"""["']([a-z_]+\.[a-z_]+(?:\.[a-z_]+)?)["']""")
    for folder in ("bot", "handlers", "db"):
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text(encoding="utf-8")
            for found in call.finditer(source):
                window = source[found.end() : found.end() + 400]
                match = literal.search(window.split("\n\n")[0])
                if match and not match.group(1).startswith(("console.", "os.", "self.")):
                    codes.add(match.group(1))
    assert {"broadcast.create", "staff.role", "events.export"} <= codes  # the scan finds them
    for lang in staff_labels.LANGS:
        missing = sorted(c for c in codes if c not in staff_labels.ACTIONS[lang])
        assert not missing, f"add labels to messages/staff_labels.py ACTIONS[{lang!r}]: {missing}"
