"""Smoke test of bench/web_answers.py: a tiny load through real gunicorn on SQLite.

Checks the benchmark's own verification (web responses written, codes used, no drafts
left) and that both phases measured webhook acknowledgements; no timing is asserted.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

pytest.importorskip("gunicorn", reason="gunicorn is not installed (the benchmark serves with it)")

from bench import web_answers

TINY = ["--answers", "5", "--web-clients", "2", "--clients", "2", "--residents", "10"]


def test_five_web_answers_beside_the_webhook_are_all_stored_in_both_layouts():
    args = web_answers.options([*TINY, "--warmup", "0.5", "--reps", "1", "--no-pg", "--quiet"])
    results = web_answers.run(args)
    assert [r["layout"] for r in results] == ["shared", "split"]
    assert results[1]["survey_command"].startswith("nice -n 5 gunicorn")
    for result in results:
        [round_] = result["rounds"]
        answers = round_["answers"]
        assert answers["errors"] == 0, answers["error_kinds"]
        assert answers["completed"] == 5
        assert answers["new_web_responses"] == 5 and result["web_responses_total"] == 5
        assert answers["codes_used"] == 5 and answers["drafts_left"] == 0
        assert round_["verified"] and result["verified"]
        assert answers["requests"] >= 5 * 18  # the whole form, screen by screen
        for phase in ("alone", "web"):
            assert round_[phase]["requests"] > 0 and round_[phase]["failed"] == 0
        assert round_["violations"] == 0 and round_["webhook_errors"] == []
    args.load = [0.0, 0.0]
    text = web_answers.markdown(results, args, datetime.now(UTC))
    assert "| sqlite (shared) |" in text and "| sqlite (split) |" in text
