"""The clock, staff link codes, the population file and charts that render Japanese."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import scheduler
from bot.jobs import JOBS
from db.session import transaction
from db.staff import AppSetting, Staff
from handlers import charts
from messages.catalog import digest as catalog

JST = ZoneInfo("Asia/Tokyo")
SATURDAY = datetime(2026, 11, 28, 21, 0, tzinfo=JST).astimezone(UTC)


# --- the clock ------------------------------------------------------------------------------


def test_scheduler_holds_every_job_and_follows_the_digest_setting(app, state):
    state.clock.fixed = SATURDAY
    digest = JOBS["digest"]
    assert scheduler.next_run(digest, state) == datetime(2026, 11, 30, 9, 0, tzinfo=JST)
    sched = scheduler.background(state)
    sched.start(paused=True)
    try:
        ids = {j.id for j in sched.get_jobs()}
        assert set(JOBS) | {scheduler.SYNC_ID} == ids
        fields = {f.name: str(f) for f in sched.get_job("digest").trigger.fields}
        assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("mon", "9", "0")
        with transaction(state.sessions) as s:
            s.add(AppSetting(key="digest", value={"day_of_week": "fri", "hour": 17, "minute": 30}))
        current = {"digest": scheduler.trigger_args(digest, state) | {"hour": 9}}
        scheduler._sync(state, sched, current)  # what the clock does every minute
        fields = {f.name: str(f) for f in sched.get_job("digest").trigger.fields}
        assert (fields["day_of_week"], fields["hour"], fields["minute"]) == ("fri", "17", "30")
        assert current["digest"] == {"day_of_week": "fri", "hour": 17, "minute": 30}
    finally:
        sched.shutdown(wait=False)
    assert scheduler.next_run(digest, state) == datetime(2026, 12, 4, 17, 30, tzinfo=JST)


def test_jobs_list_shows_next_runs(runner, state):
    state.clock.fixed = SATURDAY
    out = runner.invoke(args=["jobs", "list"]).output
    assert "digest       next 2026-11-30 09:00 JST  cron(day_of_week=mon, hour=9, minute=0)" in out
    assert "expire       next 2026-11-28 22:00 JST  interval(hours=1)" in out


def test_clock_catches_up_only_a_recent_digest(app, state):
    from bot import digest

    state.clock.fixed = datetime(2026, 11, 30, 10, 0, tzinfo=JST)  # an hour late
    assert "LINE to 0 staff" in digest.run_scheduled(state, catch_up_only=True)
    state.clock.fixed = datetime(2026, 12, 9, 12, 0, tzinfo=JST)  # 12/7's digest is 2 days late
    assert "missed by more than" in digest.run_scheduled(state, catch_up_only=True)


# --- linking staff LINE accounts -----------------------------------------------------------


def make_staff(runner, address: str) -> None:
    result = runner.invoke(
        args=["staff", "create", address, "--role", "viewer", "--password-stdin"],
        input="correct-horse-battery\n",
    )
    assert result.exit_code == 0, result.output


def code_for(runner, address: str) -> str:
    result = runner.invoke(args=["staff", "link-code", address])
    assert result.exit_code == 0, result.output
    return result.output.split(": ")[1].split()[0]


def test_link_code_is_one_time_hashed_and_expires(app, state, runner, resident):
    state.clock.fixed = SATURDAY
    make_staff(runner, "sato@example.jp")
    code = code_for(runner, "sato@example.jp")
    with state.sessions() as s:
        stored = s.scalar(select(Staff.link_code_hash))
    assert stored and code not in stored and code.lower() not in stored

    stranger = resident("stranger")
    stranger.follow()
    got = stranger.say("STAFF-AAAA-BBBB")
    assert catalog.JA["digest.bad_code"] in stranger.texts(got)

    sato = resident("sato")
    sato.follow()
    assert "連携しました" in sato.texts(sato.say(code))
    again = resident("sato-2")
    again.follow()
    assert "正しくないか" in again.texts(again.say(code))  # used up
    with state.sessions() as s:
        assert s.scalar(select(Staff.line_user_id)) == sato.id

    late = code_for(runner, "sato@example.jp")
    state.clock.fixed = SATURDAY + timedelta(hours=24, minutes=1)
    assert "正しくないか" in again.texts(again.say(late))  # expired
    with state.sessions() as s:
        assert s.scalar(select(Staff.line_user_id)) == sato.id


def test_link_code_for_unknown_staff_fails(runner):
    result = runner.invoke(args=["staff", "link-code", "nobody@example.jp"])
    assert result.exit_code == 1 and "no active staff account" in result.output


def test_catalog_wording_in_both_languages():
    assert catalog.JA.keys() == catalog.EN.keys()
    assert all(k.startswith("digest.") for k in catalog.JA)


# --- the population file -------------------------------------------------------------------

GOOD = """kind: population
as_of: 2026-10-01
counts:
  大谷: {band}
  磐梯: {band}
  更科: {band}
  七ツ森: {band}
"""
BANDS = (
    "{15歳以下: 1, 16〜19歳: 1, 20代: 1, 30代: 1, 40代: 1, 50代: 1, 60代: 1, 70代: 1, 80歳以上: 1}"
)


def test_population_checked_against_the_town(runner, tmp_path):
    bad = tmp_path / "population.yml"
    bad.write_text(
        GOOD.format(band=BANDS).replace("七ツ森:", "東区:").replace("20代: 1, ", "", 1),
        encoding="utf-8",
    )
    result = runner.invoke(args=["content", "apply", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:7: counts.東区: unknown district" in result.output
    assert "district '七ツ森' is missing" in result.output
    assert f"{bad}:4: counts.大谷: age band '20代' is missing" in result.output
    good = tmp_path / "ok.yml"
    good.write_text(GOOD.format(band=BANDS), encoding="utf-8")
    result = runner.invoke(args=["content", "apply", str(good)])
    assert result.exit_code == 0, result.output


# --- charts ---------------------------------------------------------------------------------


def test_charts_render_japanese_without_boxes():
    labels = ["15歳以下", "20代", "七ツ森", "町外に移りたい"]
    png = charts.hbar("年代別の回答率（住民基本台帳）", labels, [0.1, 0.2, 0.3, 0.4], note="注記")
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000
    assert charts.FONT == "IPAexGothic"
    # the check is real: a font without Japanese glyphs is refused
    with pytest.raises(charts.MissingGlyph, match="missing from font"):
        charts.hbar("年代別", labels, [0.1, 0.2, 0.3, 0.4], family="DejaVu Sans")
