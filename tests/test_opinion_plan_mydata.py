"""意見 (with public comment), 計画の進捗 and 私のデータ, as residents use them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from db.broadcasts import BroadcastDelivery
from db.models import Conversation, Resident, ResidentTopic, WebhookEvent
from db.opinions import Opinion
from tests.conftest import ROOT

DEMO = ROOT / "content" / "demo"
PLAN_FILES = [
    "kpi.yml",
    "kpi-livability.yml",
    "kpi-childcare.yml",
    "timeline.yml",
    "consultation.yml",
]


@pytest.fixture
def plan(app, runner):
    result = runner.invoke(args=["content", "apply", *(str(DEMO / f) for f in PLAN_FILES)])
    assert result.exit_code == 0, result.output
    return app


def opinions(app) -> list[Opinion]:
    with app.extensions["machikoe"].sessions() as s:
        return list(s.scalars(select(Opinion).order_by(Opinion.id)))


def newcomer(resident, n, agree=False):
    r = resident(n)
    r.follow()
    r.tap("同意する" if agree else "同意しない")
    return r


def test_plan_progress_shows_targets_and_timeline(plan, resident, fake_line):
    r = newcomer(resident, 60)
    got = r.say("計画の進捗")
    text = r.texts(got)
    assert "ふるさと納税の額" in text and "10億円" in text and "5億円" in text
    assert "2,400万円" in text and "目標までの進み具合: 49%" in text
    assert "・ 2026年11月〜2027年1月 町民アンケート" in text  # open: not ticked (issue #15)
    flex = next(m for m in got if m["type"] == "flex")
    assert flex["contents"]["type"] == "carousel" and len(flex["contents"]["contents"]) == 3


def test_plan_progress_before_any_targets(app, resident):
    r = newcomer(resident, 61)
    assert "まだ登録されていません" in r.texts(r.say("計画の進捗"))


def test_opinion_with_receipt_and_hostile_text(plan, resident, state):
    state.clock.fixed = datetime(2026, 12, 1, tzinfo=UTC)  # no consultation open
    r = newcomer(resident, 62)
    got = r.say("意見")
    assert "1000文字まで" in r.texts(got)
    hostile = '<script>alert(1)</script> =HYPERLINK("x")\x00\x07 バス停がほしい'
    got = r.say(hostile)
    assert "この内容で送信しますか" in r.texts(got)
    got = r.tap("送信する")
    assert "受付番号: OP-" in r.texts(got)
    [op] = opinions(plan)
    assert op.body == '<script>alert(1)</script> =HYPERLINK("x") バス停がほしい'
    assert op.consultation_id is None and op.receipt_no.startswith("OP-")


def test_overlong_opinion_is_refused_with_the_limit(plan, resident, state):
    state.clock.fixed = datetime(2026, 12, 1, tzinfo=UTC)
    r = newcomer(resident, 63)
    r.say("意見")
    got = r.say("あ" * 1001)
    assert "1000文字以内" in r.texts(got) and "1001文字" in r.texts(got)
    assert opinions(plan) == []
    r.say("短い意見です")
    r.tap("送信する")
    assert [o.body for o in opinions(plan)] == ["短い意見です"]


def test_public_comment_on_a_section_during_the_period(plan, resident, state):
    state.clock.fixed = datetime(2027, 1, 20, 3, 0, tzinfo=UTC)
    r = newcomer(resident, 64)
    got = r.say("意見")
    assert "パブリックコメント" in r.texts(got)
    r.tap("素案への意見")
    r.tap("第3章 幸せの再デザイン")
    r.say("幸福度の目標を上げてほしい")
    got = r.tap("送信する")
    assert "受付番号: PC-" in r.texts(got)
    [op] = opinions(plan)
    assert (op.consultation_id, op.section) == ("draft-plan-2027", "第3章 幸せの再デザイン")


def test_rewrite_goes_back_to_writing(plan, resident, state):
    state.clock.fixed = datetime(2026, 12, 1, tzinfo=UTC)
    r = newcomer(resident, 65)
    r.say("意見")
    r.say("最初の文")
    got = r.tap("書き直す")
    assert "ご意見をお書きください" in r.texts(got)
    r.say("直した文")
    r.tap("送信する")
    assert [o.body for o in opinions(plan)] == ["直した文"]


def test_my_data_shows_and_deletes_everything_after_confirmation(
    plan, resident, state, app, runner
):
    state.clock.fixed = datetime(2026, 12, 1, tzinfo=UTC)
    r = newcomer(resident, 66, agree=True)
    r.tap("30代")
    r.tap("更科")
    r.tap("スキップ")
    r.tap("防災")
    r.tap("決定")
    r.say("意見")
    r.say("道路の雪かきを")
    r.tap("送信する")
    sent = runner.invoke(args=["broadcast", "send", "--text", "防災訓練のお知らせです。"])
    assert sent.exit_code == 0, sent.output
    assert any("防災訓練" in t for t in r.fake.texts_for(r.id))
    got = r.say("私のデータ")
    text = r.texts(got)
    assert "30代" in text and "更科" in text and "防災" in text and "ご意見: 1件" in text
    got = r.tap("削除する")
    assert "元には戻せません" in r.texts(got)
    got = r.tap("やめる")
    assert "削除をやめました" in r.texts(got)
    r.say("私のデータ")
    r.tap("削除する")
    got = r.tap("削除する（確定）")
    assert "削除しました" in r.texts(got)
    with app.extensions["machikoe"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(Resident)) == 0
        assert s.scalar(select(func.count()).select_from(ResidentTopic)) == 0
        assert s.scalar(select(func.count()).select_from(Opinion)) == 0
        assert s.scalar(select(func.count()).select_from(Conversation)) == 0
        assert s.scalar(select(func.count()).select_from(BroadcastDelivery)) == 0
        assert (
            s.scalar(
                select(func.count())
                .select_from(WebhookEvent)
                .where(WebhookEvent.line_user_id == r.id)
            )
            == 0
        )  # event ids are kept for dedupe, unlinked from the resident
    got = r.say("メニュー")  # still a friend: starts afresh
    assert "ご用件" in r.texts(got)


def test_consultation_and_kpi_files_are_validated(app, runner, tmp_path):
    bad = tmp_path / "c.yml"
    bad.write_text(
        "kind: consultation\nid: c1\ntitle: 素案\nopens_at: 2027-02-01T00:00:00+09:00\n"
        "closes_at: 2027-01-01T00:00:00\nsections: [第1章, 第1章]\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["content", "apply", str(bad)])
    assert result.exit_code != 0
    assert f"{bad}:5: closes_at: expected a time with an offset" in result.output
    assert f"{bad}:6: sections.1: section '第1章' appears twice" in result.output
    kpi = tmp_path / "k.yml"
    kpi.write_text(
        "kind: kpi\nid: k\ntitle: x\nunit: 円\nbaseline: {year: 2020, value: 1}\n"
        "target: {year: 2010, value: 2}\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["content", "apply", str(kpi)])
    assert f"{kpi}:6: target.year: is before the baseline year" in result.output
