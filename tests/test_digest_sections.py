"""The digest's sections for surveys, events and coverage, from known responses and sign-ups."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot import digest as digest_job
from db import surveys as store
from db.models import Resident
from db.session import transaction
from handlers import seats
from handlers.digest import Period

ROOT = Path(__file__).resolve().parents[1]
JST = ZoneInfo("Asia/Tokyo")
MONDAY = datetime(2026, 11, 30, 9, 5, tzinfo=JST).astimezone(UTC)
IN_WEEK = datetime(2026, 11, 25, 12, 0, tzinfo=JST).astimezone(UTC)


def answers(stay: str, wish: str | None = None) -> dict:
    out = {"livability": ["住みやすい"], "stay": [stay], "happiness": [7]}
    if wish:
        out["wishes"] = [wish]
    return out


def test_survey_and_event_sections(app, state, runner, fake_line):
    result = runner.invoke(args=["content", "apply", str(ROOT / "content" / "demo")])
    assert result.exit_code == 0, result.output
    with transaction(state.sessions) as s:
        survey = store.get_survey(s, "resident-2026")
        people = []
        for i in range(21):
            band, district = ("20代", "七ツ森") if i < 10 else ("60代", "大谷")
            r = Resident(line_user_id=f"U{i:032x}", consent="agreed", age_band=band,
                         district=district, followed_at=IN_WEEK)  # fmt: skip
            s.add(r)
            people.append((r, band, district))
        s.flush()
        for i, (r, band, district) in enumerate(people[:20]):
            leave = i < 5  # 5 of 10 in their 20s, none in their 60s
            wish = "バスの本数を増やしてほしい" if i % 2 else None
            stay = "町外に移りたい" if leave else "ずっと住み続けたい"
            profile = {"age_band": band, "district": district}
            store.submit(s, survey, r.id, answers(stay, wish), profile, IN_WEEK, tz="Asia/Tokyo")
        store.record_start(s, people[20][0].id, "resident-2026", IN_WEEK)  # started, not finished
        assert seats.join(s, "district-otani", people[0][0].id, "onsite", IN_WEEK).status
    state.clock.fixed = MONDAY
    d = digest_job.compose(state, Period.before(MONDAY, JST))
    counts = d.numbers["survey.resident-2026"]
    assert (counts["started"], counts["finished"], counts["total"]) == (21, 20, 20)
    assert counts["completion_rate"] == round(100 * 20 / 21, 1)
    diffs = d.numbers["survey.resident-2026.differences"]
    assert any(
        x.startswith("20代: 「町外に移りたい」50.0%（全体 25.0%、+25.0ポイント）") for x in diffs
    )
    # 20 respondents of 16+ in a town of 3,075 aged 16+: 七ツ森 and 大谷 answered, 磐梯 did not
    low = d.numbers["coverage-resident-2026.under_covered"]
    assert "磐梯" in low and "更科" in low and "大谷" not in low and "15歳以下" not in low
    text = runner.invoke(args=["digest", "send", "--dry-run"]).output
    assert "アンケート「町民アンケート 2026」" in text
    assert "今週の回答: 20件（回答開始 21件）" in text
    assert "よく使われた言葉（まちに望むことを自由にお書きください）: " in text and "バス" in text
    assert "これからもみらい野町に住み続けたいですか" in text
    assert d.numbers["events.signups_week"] == 1
    assert "12月5日(土) 19:00" in text and "1 / " in text
    assert any(c.cid == "survey-resident-2026@machikoe" for c in d.charts)
