"""Publishing (#18): public results and reports under the public rule, picks of free text,
unpublishing, the static copy, the one announcement to those who took part, 結果・報告 in chat."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from db import surveys as store
from db.broadcasts import STOP_ALL, Broadcast, NotifyOptOut
from db.events import Signup
from db.models import Resident
from db.session import transaction
from handlers import publishing
from handlers.survey_cells import HIDDEN
from tests.survey_helpers import NOW, apply_survey
from tests.test_console import as_role, audit_rows
from tests.test_console_announcements import wait_until_finished

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
SECRET = "田中花子です。電話090-1234-5678"
PEOPLE = [  # (age band, district, livability, reasons, happiness, wishes): 15 responses
    *[("20代", "大谷", "住みにくい", ["jobs"], 3, "若者の働く場所が欲しい")] * 6,
    *[("30代", "大谷", "住みやすい", [], 7, SECRET)] * 3,
    *[("60代", "磐梯", "どちらかといえば住みやすい", [], 8, XSS)] * 5,
    ("70代", "磐梯", "住みにくい", ["traffic", "shops"], 5, "バスの本数が少ない"),
]
EVENT = "content/demo/events-mirai-2026-1.yml"
AFTER = datetime(2026, 12, 12, 10, 0, tzinfo=UTC)  # the workshop has started (19:00 JST)


def st(app):
    return app.extensions["machikoe"]


def fill(app, runner, tmp_path, anonymous: bool = True) -> list[int]:
    """The test survey with 15 responses, written as the chat writes them; resident ids."""
    st(app).clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=anonymous).exit_code == 0
    ids = []
    with transaction(st(app).sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for i, (age, district, liv, reasons, happy, wish) in enumerate(PEOPLE):
            r = Resident(line_user_id=f"U{i + 1:032x}", age_band=age, district=district)
            s.add(r)
            s.flush()
            answers = {"livability": [liv], "happiness": [happy], "wishes": [wish]}
            if reasons:
                answers["reasons"] = reasons
            profile = {"age_band": age, "district": district, "residency": "resident"}
            assert store.submit(s, survey, r.id, answers, profile, NOW, tz="Asia/Tokyo") is not None
            ids.append(r.id)
    with transaction(st(app).sessions) as s:  # as at the survey's close: the pool written
        store.flush_pending(s, force=True, now=NOW, tz="Asia/Tokyo")
    return ids


class Cells(HTMLParser):
    """Every table cell's first line of text, by table caption."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self._cap = self._cell = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "cells": []})
        elif tag == "caption":
            self._cap = ""
        elif tag == "td":
            self._cell = ""
        elif tag == "br" and self._cell is not None:
            self.tables[-1]["cells"].append(self._cell.strip())
            self._cell = None

    def handle_endtag(self, tag):
        if tag == "caption":
            self.tables[-1]["caption"], self._cap = self._cap, None
        elif tag == "td" and self._cell is not None:
            self.tables[-1]["cells"].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cap is not None:
            self._cap += data
        if self._cell is not None:
            self._cell += data


def tables(html: str) -> list[dict]:
    parser = Cells()
    parser.feed(html)
    return parser.tables


def counts_in(html: str) -> list[str]:
    """Every count shown in every table (shares, which end in %, left out)."""
    return [c for t in tables(html) for c in t["cells"] if not c.endswith("%") and c != "—"]


def assert_public_rule(html: str) -> None:
    """No count in any table is between 0 and 4: each is "5人未満"/"fewer than 5" or ≥ 5."""
    shown = counts_in(html)
    assert shown, "no table at all"
    for c in shown:
        if c in ("5人未満", "fewer than 5"):
            continue
        assert int(c.replace(",", "")) >= 5, (c, shown)


@pytest.mark.parametrize("anonymous", [True, False], ids=["anonymous", "named"])
def test_published_results_follow_the_public_rule(app, runner, tmp_path, client, anonymous):
    fill(app, runner, tmp_path, anonymous)
    assert client.get("/results/test-2026").status_code == 404
    assert client.get("/results/test-2026/chart/livability.png").status_code == 404
    result = runner.invoke(
        args=["surveys", "publish", "test-2026", "--crosstab", "age_band", "--crosstab", "channel"]
    )
    assert result.exit_code == 0, result.output
    page = client.get("/results/test-2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "町民アンケート（テスト）" in html and "回答数: 15件" in html
    assert_public_rule(html)
    charts = [t["cells"] for t in tables(html) if t["caption"] == "グラフの数値"]
    # livability: 住みやすい 3 is hidden even in a named survey, and 5 with it (15 − 5 − 7
    # would give the 3 who chose the two hidden answers); 7 is shown
    assert charts[0] == [
        "5人未満", "—", "5人未満", "—", "5人未満", "—", "7", "46.7%"
    ]  # fmt: skip
    # multiple choice counted per option: shops 1 and traffic 1 hidden take jobs 6 with them
    assert charts[1] == ["5人未満", "—", "5人未満", "—", "5人未満", "—"]
    # cross-tab by age: 30代 (3) and 70代 (1) hidden whole; 60代 5 shown (the pool may have
    # written a rare combination's age as unknown: that group is hidden the same way)
    cross = next(t for t in tables(html) if "年代別" in t["caption"])["cells"]
    # (named: 15 − 20代 6 − 60代 5 would give 30代 + 70代 = 4, so 60代 goes too)
    assert "3" not in cross and "1" not in cross and "4" not in cross
    assert "平均: 5.6" in html and "中央値: 7" in html  # (18 + 21 + 40 + 5) / 15
    # free text: nothing unless picked; hostile text never reaches the page
    for text in ("若者の働く場所", "田中花子", "alert", "バスの本数"):
        assert text not in html
    assert "<script" not in html
    chart = client.get("/results/test-2026/chart/livability.png")
    assert chart.status_code == 200 and chart.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert "img-src 'self'" in page.headers["Content-Security-Policy"]
    assert "script-src" not in page.headers["Content-Security-Policy"]  # default-src 'none'
    english = client.get("/results/test-2026?lang=en").get_data(as_text=True)
    assert "Answers: 15" in english and "fewer than 5" in english and 'lang="en"' in english
    assert_public_rule(english)
    assert client.get("/results/", headers={"Accept-Language": "en"}).status_code == 200
    assert "Survey results" in client.get("/results/?lang=en").get_data(as_text=True)


def test_the_public_rule_hides_a_lone_small_count_and_its_partner():
    rows = publishing.protect({"a": {"x": 20, "y": 3}, "b": {"x": 9, "y": 8}})
    assert rows["a"] == {"x": HIDDEN, "y": HIDDEN}  # the row: 3 alone would be worked out
    assert rows["b"]["y"] == HIDDEN  # the column y: 3 alone would be worked out from y's total
    assert publishing.protect({"a": {"x": 0, "y": 9}}) == {"a": {"x": HIDDEN, "y": 9}}


def test_excerpts_only_as_picked_in_the_console_and_escaped(app, runner, tmp_path, client):
    fill(app, runner, tmp_path)
    editor = as_role(app, "editor")
    page = editor.get("/admin/surveys/test-2026/publish").get_data(as_text=True)
    assert "&lt;script&gt;" in page and "<script>alert" not in page  # shown, escaped
    # a pick that is not part of any answer is refused and nothing is stored
    forged = editor.post(
        "/admin/surveys/test-2026/publish",
        {"do": "publish", "excerpt": "wishes:町長は辞めろ"},
    )
    assert forged.status_code == 400
    odd = editor.post("/admin/surveys/test-2026/publish", {"do": "publish", "crosstab": "name"})
    assert odd.status_code == 400
    assert client.get("/results/test-2026").status_code == 404
    with st(app).sessions() as s:
        assert publishing.record(s, "publication", "test-2026") is None
    response = editor.post(
        "/admin/surveys/test-2026/publish",
        {
            "do": "publish",
            "excerpt": ["wishes:" + XSS, "wishes:働く場所"],
            "crosstab": "district",
        },
    )
    assert response.status_code == 302
    html = client.get("/results/test-2026").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html and "<script" not in html
    assert "<img src=x" not in html
    assert "働く場所" in html and "若者の働く場所が欲しい" not in html  # the excerpt only
    assert "田中花子" not in html and "バスの本数" not in html
    assert_public_rule(html)
    assert [r.target for r in audit_rows(app, "content.publication")] == ["test-2026"]
    viewer = as_role(app, "viewer")
    assert viewer.post("/admin/surveys/test-2026/publish", {"do": "unpublish"}).status_code == 403
    assert client.get("/results/test-2026").status_code == 200


def test_unpublish_removes_the_pages(app, runner, tmp_path, client):
    fill(app, runner, tmp_path)
    assert runner.invoke(args=["surveys", "publish", "test-2026"]).exit_code == 0
    assert "町民アンケート（テスト）" in client.get("/results/").get_data(as_text=True)
    result = runner.invoke(args=["surveys", "publish", "test-2026", "--unpublish"])
    assert result.exit_code == 0, result.output
    assert client.get("/results/test-2026").status_code == 404
    assert client.get("/results/test-2026/chart/livability.png").status_code == 404
    assert client.get("/results/test-2026?lang=en").status_code == 404
    assert "町民アンケート（テスト）" not in client.get("/results/").get_data(as_text=True)
    unknown = runner.invoke(args=["surveys", "publish", "no-such-survey"])
    assert unknown.exit_code != 0 and "no-such-survey" in unknown.output


def publish_three_named_answers(app, runner, tmp_path) -> None:
    """A named survey with 3 answers (fewer than 5), published."""
    st(app).clock.fixed = NOW
    assert apply_survey(runner, tmp_path, anonymous=False).exit_code == 0
    with transaction(st(app).sessions) as s:
        survey = store.get_survey(s, "test-2026")
        for i in range(3):
            r = Resident(line_user_id=f"U{i + 1:032x}")
            s.add(r)
            s.flush()
            store.submit(s, survey, r.id, {"livability": ["住みやすい"]}, {}, NOW, tz="Asia/Tokyo")
    assert runner.invoke(args=["surveys", "publish", "test-2026"]).exit_code == 0


def test_few_answers_show_nothing_but_that(app, runner, tmp_path, client):
    publish_three_named_answers(app, runner, tmp_path)
    html = client.get("/results/test-2026").get_data(as_text=True)
    assert "回答数: 5人未満" in html and "回答数: 5人未満件" not in html
    assert "<table" not in html and "<img" not in html and "3件" not in html


def test_static_copy_is_self_contained(app, runner, tmp_path):
    fill(app, runner, tmp_path)
    out = tmp_path / "site"
    result = runner.invoke(
        args=["surveys", "publish", "test-2026", "--static", str(out), "--crosstab", "age_band"]
    )
    assert result.exit_code == 0, result.output
    ja = (out / "test-2026.html").read_text(encoding="utf-8")
    en = (out / "test-2026.en.html").read_text(encoding="utf-8")
    assert 'href="test-2026.en.html"' in ja and 'href="test-2026.html"' in en
    for html in (ja, en):
        assert "data:image/png;base64," in html and "<style>" in html
        assert '"Hiragino Sans"' in html  # the CSS inlined as it is, not escaped
        assert not re.search(r'(src|href)="(https?:)?//', html)
        assert_public_rule(html)


def add_event_with_attendees(app, runner, onsite: int, online: int) -> list[int]:
    """The demo's first workshop with checked-in residents (and one who did not come)."""
    assert runner.invoke(args=["content", "apply", EVENT]).exit_code == 0
    ids = []
    with transaction(st(app).sessions) as s:
        for i in range(onsite + online + 1):
            r = Resident(line_user_id=f"U{100 + i:032x}")
            s.add(r)
            s.flush()
            came = None if i == onsite + online else AFTER
            s.add(
                Signup(
                    event_id="mirai-2026-1",
                    resident_id=r.id,
                    mode="onsite" if i < onsite else "online",
                    status="confirmed",
                    attendance_code=f"{i + 1:04d}",
                    attended_at=came,
                    confirmed_at=NOW,
                )
            )
            ids.append(r.id)
    return ids


def test_report_written_published_and_escaped(app, runner, client):
    st(app).clock.fixed = AFTER
    add_event_with_attendees(app, runner, onsite=12, online=2)
    editor = as_role(app, "editor")
    assert client.get("/reports/mirai-2026-1").status_code == 404
    bad = editor.post(
        "/admin/events/mirai-2026-1/report",
        {"do": "publish", "text": "報告", "images": "http://example.jp/a.jpg"},
    )
    assert bad.status_code == 400
    into_csp = editor.post(
        "/admin/events/mirai-2026-1/report",
        {"do": "publish", "text": "報告", "images": "https://a;script-src/x.jpg"},
    )
    assert into_csp.status_code == 400
    with st(app).sessions() as s:
        assert publishing.record(s, "report", "mirai-2026-1") is None
    text = f"第1回を開きました。\n\n意見: {XSS}"
    ok = editor.post(
        "/admin/events/mirai-2026-1/report",
        {
            "do": "publish",
            "text": text,
            "text_en": "We met.",
            "images": "https://img.example.jp/1.jpg",
        },
    )
    assert ok.status_code == 302
    page = client.get("/reports/mirai-2026-1")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "第1回を開きました。" in html
    assert "<script" not in html and "&lt;script&gt;" in html
    assert "https://img.example.jp" in page.headers["Content-Security-Policy"]
    found = {t["caption"]: t["cells"] for t in tables(html)}
    # online 2 is hidden, and onsite with it (the total 14 would give it away)
    assert found["参加者数"] == ["5人未満", "5人未満", "14"]
    assert "We met." in client.get("/reports/mirai-2026-1?lang=en").get_data(as_text=True)
    index = client.get("/results/").get_data(as_text=True)
    assert "/reports/mirai-2026-1" in index and "計画づくりの流れ" not in index  # no timeline
    assert editor.post("/admin/events/mirai-2026-1/report", {"do": "unpublish"}).status_code == 302
    assert client.get("/reports/mirai-2026-1").status_code == 404
    assert [r.target for r in audit_rows(app, "content.report")] == ["mirai-2026-1"] * 2


def multicast_counts(fake_line):
    return fake_line.recipient_counts("multicast")


def test_participants_are_told_once_after_the_dry_run(app, runner, tmp_path, fake_line):
    ids = fill(app, runner, tmp_path)
    with transaction(st(app).sessions) as s:
        s.add(NotifyOptOut(resident_id=ids[0], topic=STOP_ALL))  # stopped announcements
        s.get(Resident, ids[1]).blocked = True
        s.add(Resident(line_user_id=f"U{999:032x}"))  # did not answer
    editor = as_role(app, "editor")
    early = editor.post("/admin/publish/results/test-2026/check")
    assert early.status_code == 400 and "先に公開" in early.get_data(as_text=True)
    assert editor.post("/admin/surveys/test-2026/publish", {"do": "publish"}).status_code == 302
    # no send without the dry run's token
    blind = editor.post("/admin/publish/results/test-2026/announce", {"checked": "x"})
    assert blind.status_code == 400 and "送信前の確認" in blind.get_data(as_text=True)
    check = editor.post("/admin/publish/results/test-2026/check")
    html = check.get_data(as_text=True)
    assert check.status_code == 200
    assert re.search(r'data-testid="recipients">13<', html), html  # 15 − stopped − blocked
    assert "answered=test-2026" in html and "/results/test-2026" in html
    token = re.search(r'name="checked" value="([^"]+)"', html).group(1)
    sent = editor.post("/admin/publish/results/test-2026/announce", {"checked": token})
    assert sent.status_code == 302
    b_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    assert wait_until_finished(app, b_id)["status"] == "done"
    counts = multicast_counts(fake_line)
    with st(app).sessions() as s:
        users = {r.id: r.line_user_id for r in s.scalars(select(Resident))}
    assert sorted(counts.values()) == [1] * 13
    assert users[ids[0]] not in counts and users[ids[1]] not in counts
    assert f"U{999:032x}" not in counts
    message = fake_line.texts_for(users[ids[2]])[0]
    assert "結果を公開しました" in message and "回答数: 15件" in message
    # exactly once: a second send is refused, even with a fresh dry run
    again = editor.post("/admin/publish/results/test-2026/check")
    assert 'data-testid="announced"' in again.get_data(as_text=True)
    token2 = token
    twice = editor.post("/admin/publish/results/test-2026/announce", {"checked": token2})
    assert twice.status_code == 400 and "すでに知らせています" in twice.get_data(as_text=True)
    with st(app).sessions() as s:
        assert s.scalar(select(func.count()).select_from(Broadcast)) == 1
    assert sorted(multicast_counts(fake_line).values()) == [1] * 13
    assert [r.target for r in audit_rows(app, "publish.announce.results")] == ["test-2026"]
    # saving the page again keeps the record of the announcement
    assert editor.post("/admin/surveys/test-2026/publish", {"do": "save"}).status_code == 302
    with st(app).sessions() as s:
        assert publishing.announced(s, "results", "test-2026").id == b_id


def test_attendees_are_told_of_the_report(app, runner, fake_line):
    st(app).clock.fixed = AFTER
    ids = add_event_with_attendees(app, runner, onsite=4, online=2)
    editor = as_role(app, "editor")
    editor.post("/admin/events/mirai-2026-1/report", {"do": "publish", "text": "報告です。"})
    html = editor.post("/admin/publish/report/mirai-2026-1/check").get_data(as_text=True)
    assert re.search(r'data-testid="recipients">6<', html)  # checked in; not the no-show
    # one announcement per resident, however many bubbles; LINE counts it once each
    assert "1人あたり" not in html and "1回のお知らせ" in html and "吹き出し1つ" in html
    assert "1人1通" in html and re.search(r'data-testid="cost">6通<', html)
    token = re.search(r'name="checked" value="([^"]+)"', html).group(1)
    sent = editor.post("/admin/publish/report/mirai-2026-1/announce", {"checked": token})
    assert sent.status_code == 302
    b_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    assert wait_until_finished(app, b_id)["status"] == "done"
    counts = multicast_counts(fake_line)
    assert len(counts) == 6 and set(counts.values()) == {1}
    with st(app).sessions() as s:
        no_show = s.get(Resident, ids[-1]).line_user_id
    assert no_show not in counts


def test_chat_results_and_reports_newest_first(app, runner, tmp_path, resident, state):
    fill(app, runner, tmp_path)
    r = resident(1)
    r.follow()
    r.tap("同意する")
    none = r.say("結果・報告")
    assert "まだありません" in r.texts(none)
    add_event_with_attendees(app, runner, onsite=5, online=0)
    state.clock.fixed = NOW
    assert runner.invoke(args=["surveys", "publish", "test-2026"]).exit_code == 0
    state.clock.fixed = AFTER
    with transaction(state.sessions) as s:
        publishing.save_report(s, "mirai-2026-1", "test", state.now(), text="報告", published=True)
    progress = r.say("計画の進捗")
    assert "結果・報告" in r.buttons(progress)
    got = r.tap("結果・報告")
    flex = next(m for m in got if m["type"] == "flex")
    bubbles = flex["contents"]["contents"]
    uris = [b["footer"]["contents"][0]["action"]["uri"] for b in bubbles]
    assert uris[0].endswith("/reports/mirai-2026-1?lang=ja")  # newest first
    assert uris[1].endswith("/results/test-2026?lang=ja")
    assert "町民アンケート（テスト）" in r.texts(got)


def test_content_checks_refuse_bad_publication_files(app, runner, tmp_path):
    fill(app, runner, tmp_path)
    bad = tmp_path / "pub.yml"
    bad.write_text(
        "kind: publication\nsurvey: test-2026\npublished: true\n"
        "excerpts: [{question: livability, text: 住みやすい}, {question: wishes, text: 捏造}]\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["content", "apply", str(bad)])
    assert result.exit_code == 1
    assert "excerpts.0.question" in result.output and "excerpts.1.text" in result.output
    with st(app).sessions() as s:
        assert publishing.record(s, "publication", "test-2026") is None


def test_published_at_is_kept_when_saved_again(app, runner, tmp_path):
    fill(app, runner, tmp_path)
    state = st(app)
    with transaction(state.sessions) as s:
        publishing.publish_survey(s, "test-2026", "t", NOW)
    later = datetime(2026, 12, 5, tzinfo=UTC)
    with transaction(state.sessions) as s:
        publishing.publish_survey(s, "test-2026", "t", later, crosstabs=["district"])
        items = publishing.published(s)
    assert items[0]["published_at"] == NOW


def test_a_chart_with_a_character_the_font_lacks_still_draws():
    item = {
        "id": "mood",
        "text": {"ja": "気分は？😀"},
        "answered": 12,
        "choices": [
            {"value": "a", "label": {"ja": "よい😀"}, "count": 8, "share": 66.7},
            {"value": "b", "label": {"ja": "ふつう"}, "count": HIDDEN, "share": None},
        ],
    }
    assert publishing.chart_png(item, "ja")[:4] == b"\x89PNG"
    assert publishing.chart_png({**item, "answered": HIDDEN}, "ja") is None


def test_cli_announces_once_after_showing_the_dry_run(app, runner, tmp_path, fake_line):
    ids = fill(app, runner, tmp_path)
    with transaction(st(app).sessions) as s:
        s.add(NotifyOptOut(resident_id=ids[0], topic=STOP_ALL))
    declined = runner.invoke(args=["surveys", "publish", "test-2026", "--announce"], input="n\n")
    assert declined.exit_code == 0, declined.output
    assert "14 recipient(s)" in declined.output and "not sent" in declined.output
    assert multicast_counts(fake_line) == {}
    sent = runner.invoke(args=["surveys", "publish", "test-2026", "--announce"], input="y\n")
    assert sent.exit_code == 0, sent.output
    assert sorted(multicast_counts(fake_line).values()) == [1] * 14
    again = runner.invoke(args=["surveys", "publish", "test-2026", "--announce"], input="y\n")
    assert again.exit_code != 0 and "already announced" in again.output
    assert sorted(multicast_counts(fake_line).values()) == [1] * 14


def test_cli_publishes_a_report_written_in_the_console(app, runner, client):
    st(app).clock.fixed = AFTER
    add_event_with_attendees(app, runner, onsite=5, online=0)
    missing = runner.invoke(args=["events", "report-publish", "mirai-2026-1"])
    assert missing.exit_code != 0 and "write it first" in missing.output
    with transaction(st(app).sessions) as s:
        publishing.save_report(s, "mirai-2026-1", "test", NOW, text="報告です。")
    assert client.get("/reports/mirai-2026-1").status_code == 404  # saved, not published
    assert runner.invoke(args=["events", "report-publish", "mirai-2026-1"]).exit_code == 0
    assert "報告です。" in client.get("/reports/mirai-2026-1").get_data(as_text=True)
    off = runner.invoke(args=["events", "report-publish", "mirai-2026-1", "--unpublish"])
    assert off.exit_code == 0 and client.get("/reports/mirai-2026-1").status_code == 404


HTTPS = "https://machikoe.example.jp"
NOBODY = "まだお知らせできる相手がいません"


def test_no_one_to_tell_is_refused_and_the_one_announcement_waits(app, runner, fake_line):
    state = st(app)
    state.clock.fixed = AFTER
    state.settings = state.settings.but(public_base_url=HTTPS)
    assert runner.invoke(args=["content", "apply", EVENT]).exit_code == 0
    editor = as_role(app, "editor")
    report = {"do": "publish", "text": "第1回を開きました。交通と子育てについて話しました。"}
    assert editor.post("/admin/events/mirai-2026-1/report", report).status_code == 302
    # published before anyone was checked in: the dry run and the send both refuse, in words
    check = editor.post("/admin/publish/report/mirai-2026-1/check")
    html = check.get_data(as_text=True)
    assert check.status_code == 400 and NOBODY in html and 'name="checked"' not in html
    with state.sessions() as s:
        token = publishing.check_token(s, "report", "mirai-2026-1", HTTPS)
    send = editor.post("/admin/publish/report/mirai-2026-1/announce", {"checked": token})
    assert send.status_code == 400 and NOBODY in send.get_data(as_text=True)
    cli = runner.invoke(
        args=["events", "report-publish", "mirai-2026-1", "--announce"], input="y\n"
    )
    assert cli.exit_code != 0 and NOBODY in cli.output
    with state.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert publishing.announced(s, "report", "mirai-2026-1") is None
    page = editor.get("/admin/events/mirai-2026-1/report").get_data(as_text=True)
    assert 'data-testid="announced"' not in page and 'data-testid="check"' in page
    # check-ins come in later: the one announcement can be sent now
    add_event_with_attendees(app, runner, onsite=3, online=1)
    html = editor.post("/admin/publish/report/mirai-2026-1/check").get_data(as_text=True)
    assert re.search(r'data-testid="recipients">4<', html), html
    bubbles = re.sub(r"<[^>]+>", "", re.search(r'data-testid="bubbles">(.*?)</p>', html).group(1))
    assert "1人あたり" not in html and "1回のお知らせ" in bubbles and "吹き出し3つ" in bubbles
    assert "「報告を見る」のボタン" in bubbles and "1人1通" in bubbles and "4通" in bubbles
    token = re.search(r'name="checked" value="([^"]+)"', html).group(1)
    sent = editor.post("/admin/publish/report/mirai-2026-1/announce", {"checked": token})
    assert sent.status_code == 302
    b_id = int(sent.headers["Location"].rsplit("/", 1)[1])
    assert wait_until_finished(app, b_id)["status"] == "done"
    assert sorted(multicast_counts(fake_line).values()) == [1] * 4


def test_results_with_no_one_to_tell_are_refused(app, runner, tmp_path):
    st(app).clock.fixed = NOW
    assert apply_survey(runner, tmp_path).exit_code == 0
    assert runner.invoke(args=["surveys", "publish", "test-2026"]).exit_code == 0
    check = as_role(app, "editor").post("/admin/publish/results/test-2026/check")
    assert check.status_code == 400 and NOBODY in check.get_data(as_text=True)
    cli = runner.invoke(args=["surveys", "publish", "test-2026", "--announce"], input="y\n")
    assert cli.exit_code != 0 and NOBODY in cli.output
    with st(app).sessions() as s:
        assert s.scalar(select(func.count()).select_from(Broadcast)) == 0


def test_a_report_is_published_only_once_its_event_has_started(app, runner, client):
    st(app).clock.fixed = NOW  # 11月28日; the workshop is on 12月12日 18:30 JST
    assert runner.invoke(args=["content", "apply", EVENT]).exit_code == 0
    editor = as_role(app, "editor")
    page = editor.get("/admin/events/mirai-2026-1/report").get_data(as_text=True)
    assert "まだ始まっていません" in page and 'data-testid="publish"' not in page
    early = editor.post("/admin/events/mirai-2026-1/report", {"do": "publish", "text": "報告"})
    html = early.get_data(as_text=True)
    assert early.status_code == 400 and "まだ始まっていません" in html
    assert re.search(r'data-testid="error">[^<]*2026年12月12日\(.\) 18:30', html), html
    assert editor.post("/admin/events/mirai-2026-1/report", {"text": "報告"}).status_code == 302
    cli = runner.invoke(args=["events", "report-publish", "mirai-2026-1"])
    assert cli.exit_code != 0 and "まだ始まっていません" in cli.output
    assert client.get("/reports/mirai-2026-1").status_code == 404
    st(app).clock.fixed = datetime(2026, 12, 12, 9, 30, tzinfo=UTC)  # 18:30 JST: started
    assert runner.invoke(args=["events", "report-publish", "mirai-2026-1"]).exit_code == 0
    assert client.get("/reports/mirai-2026-1").status_code == 200


def test_publishing_an_open_survey_warns_and_the_page_says_when_it_was_counted(
    app, runner, tmp_path, client
):
    fill(app, runner, tmp_path)  # anonymous, the pool written; open until 12月31日
    with transaction(st(app).sessions) as s:  # one more answer, still held in the pool
        survey = store.get_survey(s, "test-2026")
        r = Resident(line_user_id=f"U{500:032x}", age_band="20代", district="大谷")
        s.add(r)
        s.flush()
        profile = {"age_band": "20代", "district": "大谷", "residency": "resident"}
        store.submit(s, survey, r.id, {"livability": ["住みにくい"]}, profile, NOW, tz="Asia/Tokyo")
    editor = as_role(app, "editor")
    page = editor.get("/admin/surveys/test-2026/publish").get_data(as_text=True)
    assert 'data-testid="still-open"' in page and "まだ回答を受け付けています" in page
    assert "「最新の結果に更新」を押すまで" in page and "保留中の1件" in page
    assert editor.post("/admin/surveys/test-2026/publish", {"do": "publish"}).status_code == 302
    html = client.get("/results/test-2026").get_data(as_text=True)
    assert "回答期間: 2026年11月1日〜2026年12月31日" in html
    assert "集計時点: 2026年11月28日(土) 12:00（日本時間）" in html
    assert 'data-testid="still-open"' in html and "町が結果を更新するまで" in html
    en = client.get("/results/test-2026?lang=en").get_data(as_text=True)
    assert "Counted as of Sat 28 Nov 2026 12:00 (Japan time)" in en and "still open" in en
    st(app).clock.fixed = datetime(2027, 1, 5, tzinfo=UTC)  # closed
    assert 'data-testid="still-open"' not in editor.get(
        "/admin/surveys/test-2026/publish"
    ).get_data(as_text=True)
    closed = client.get("/results/test-2026").get_data(as_text=True)
    assert 'data-testid="still-open"' not in closed
    assert "集計時点: 2026年11月28日(土) 12:00" in closed  # the snapshot, until published again
    assert runner.invoke(args=["surveys", "publish", "test-2026"]).exit_code == 0
    closed = client.get("/results/test-2026").get_data(as_text=True)
    assert "集計時点: 2027年1月5日(火) 09:00" in closed  # published again: counted anew


def test_an_answer_after_publication_shows_only_once_published_again(app, runner, tmp_path, client):
    """Two visits of an open named survey's page must not tell who answered in between."""
    fill(app, runner, tmp_path, anonymous=False)
    publish = ["surveys", "publish", "test-2026"]
    assert runner.invoke(args=[*publish, "--crosstab", "district"]).exit_code == 0
    first = client.get("/results/test-2026").get_data(as_text=True)
    static = tmp_path / "static"
    assert runner.invoke(args=[*publish, "--static", str(static)]).exit_code == 0
    st(app).clock.fixed = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    with transaction(st(app).sessions) as s:  # one more named answer, from 磐梯
        survey = store.get_survey(s, "test-2026")
        r = Resident(line_user_id=f"U{600:032x}", age_band="60代", district="磐梯")
        s.add(r)
        s.flush()
        profile = {"age_band": "60代", "district": "磐梯", "residency": "resident"}
        answers = {"livability": ["住みやすい"], "happiness": [9], "wishes": ["公園"]}
        assert store.submit(s, survey, r.id, answers, profile, NOW, tz="Asia/Tokyo") is not None
    second = client.get("/results/test-2026").get_data(as_text=True)
    assert counts_in(second) == counts_in(first) and "集計時点: 2026年11月28日(土) 12:00" in second
    chart = client.get("/results/test-2026/chart/livability.png")
    assert chart.status_code == 200
    before_static = (static / "test-2026.html").read_text(encoding="utf-8")
    assert counts_in(before_static) == counts_in(first)
    # the console's preview counts now; staff refresh the page by publishing again (audited)
    editor = as_role(app, "editor")
    preview = editor.get("/admin/surveys/test-2026/publish/preview").get_data(as_text=True)
    assert counts_in(preview) != counts_in(first)
    page = editor.get("/admin/surveys/test-2026/publish").get_data(as_text=True)
    assert 'data-testid="refresh"' in page and "最新の結果に更新" in page
    n_audits = len(audit_rows(app, "publish.snapshot"))
    assert (
        editor.post(
            "/admin/surveys/test-2026/publish", {"do": "publish", "crosstab": "district"}
        ).status_code
        == 302
    )
    assert len(audit_rows(app, "publish.snapshot")) == n_audits + 1
    third = client.get("/results/test-2026").get_data(as_text=True)
    assert counts_in(third) == counts_in(preview) != counts_in(first)
    assert "集計時点: 2026年11月29日(日) 12:00" in third
    assert runner.invoke(args=["surveys", "publish", "test-2026", "--unpublish"]).exit_code == 0
    assert client.get("/results/test-2026").status_code == 404


def test_the_results_notice_counts_naturally_and_its_button_speaks_each_language(
    app, runner, tmp_path
):
    from messages.broadcast import announcement

    publish_three_named_answers(app, runner, tmp_path)
    with st(app).sessions() as s:
        n = publishing.notice(s, "results", "test-2026", HTTPS)
    assert "回答数: 5件未満" in n.text and "人未満件" not in n.text and "件件" not in n.text
    assert "Answers: fewer than 5\n" in n.text_en
    for lang, text, label in (("ja", n.text, "結果を見る"), ("en", n.text_en, "See the results")):
        sent = announcement(text, lang, link_url=n.link_url, link_label=n.link_label)
        buttons = [m for m in sent if m["type"] == "template"]
        assert buttons[0]["template"]["actions"][0]["label"] == label


def test_the_report_notice_has_a_short_summary_and_its_own_button(app, runner):
    from messages.broadcast import announcement

    st(app).clock.fixed = AFTER
    add_event_with_attendees(app, runner, onsite=5, online=0)
    text = "第1回を開きました。14人が参加しました。" + "交通について話しました。" * 50
    with transaction(st(app).sessions) as s:
        publishing.save_report(
            s,
            "mirai-2026-1",
            "t",
            AFTER,
            text=text,
            text_en="We met. 14 came. " * 20,
            published=True,
        )
        n = publishing.notice(s, "report", "mirai-2026-1", HTTPS)
    assert "報告を公開しました。ご参加いただき、ありがとうございました。\n" in n.text
    assert "\n第1回を開きました。14人が参加しました。\n" in n.text and "交通" not in n.text
    assert "\nWe met. 14 came.\n" in n.text_en
    for lang, body, label in (("ja", n.text, "報告を見る"), ("en", n.text_en, "See the report")):
        sent = announcement(body, lang, link_url=n.link_url, link_label=n.link_label)
        buttons = [m for m in sent if m["type"] == "template"]
        assert buttons[0]["template"]["actions"][0]["label"] == label
    long = publishing.summary("あ" * 300)
    assert len(long) == publishing.SUMMARY_MAX and long.endswith("…")
