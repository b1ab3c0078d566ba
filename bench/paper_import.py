"""Benchmark: importing 100,000 paper answers (`surveys import-answers`) for the demo survey.

Generates valid rows for content/demo/survey-resident-2026.yml (CSV and xlsx, 10,000 and
100,000 rows) and, on SQLite and PostgreSQL (a throwaway server via tests/pg.PgServer, or
MACHIKOE_PG_URL), measures in fresh child processes:
- the baseline: read and check every row (handlers/paper_answers.rows_of + check_sheet),
  writing nothing;
- the import: handlers/paper_answers.import_file in one transaction, then committed;
each as the median wall and CPU time (the child's own, user + system) of a few runs, with
the peak resident memory of the child. On a shared machine the CPU time is the steadier
measure; the database server's own CPU (PostgreSQL) shows only in the wall time.
Flat memory means about the same peak for 10,000 and 100,000 rows.

    .venv/bin/python bench/paper_import.py [--rows 100000] [--runs 3] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from db import anonymous_pool, migrate  # noqa: E402
from db import surveys as store  # noqa: E402
from db.session import make_engine, make_session_factory, transaction  # noqa: E402
from handlers import content, survey_content  # noqa: E402, F401  (survey_content: kind survey)
from handlers import paper_answers as paper  # noqa: E402
from handlers import survey_rules as rules  # noqa: E402

SURVEY_ID = "resident-2026"
DEMO = ROOT / "content" / "demo"
NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
TZ = ZoneInfo("Asia/Tokyo")
WISHES = ["バスの本数を増やしてほしい", "子どもが遊べる公園がほしい", "雪かきの支援を", "=1+1"]


def generate(survey: store.Survey, ages, districts, n: int, seed: int = 1):
    """The header and n valid rows (show_if respected), as `surveys export` writes them."""
    rnd = random.Random(seed)
    qs = survey.questions
    header = ["回答番号", "回答日", "回答方法", "年代", "地区", "かかわり"]
    header += [f"Q{i} {q['text']['ja']}" for i, q in enumerate(qs, 1)]
    yield header
    min_age = (survey.definition.get("eligibility") or {}).get("min_age") or 0
    bands = [b for b in ages if (rules.band_max_age(b) or 999) >= min_age]
    for i in range(1, n + 1):
        answers: dict[str, list] = {}
        cells = []
        for q in qs:
            if not rules.visible(q, answers) or (
                not q.get("required", True) and rnd.random() < 0.7
            ):
                cells.append("")
                continue
            if q["type"] == "single":
                c = rnd.choice(q["choices"])
                answers[q["id"]] = [c["value"]]
                cells.append(c["label"]["ja"])
            elif q["type"] == "multi":
                picked = rnd.sample(q["choices"], rnd.randint(1, q["max_choices"]))
                answers[q["id"]] = [c["value"] for c in picked]
                cells.append("、".join(c["label"]["ja"] for c in picked))
            elif q["type"] == "scale":
                cells.append(rnd.randint(q["min"], q["max"]))
            else:
                cells.append(rnd.choice(WISHES)[: q["max_length"]])
        channel = rnd.choice(["紙", "紙", "紙", "LINE", "Web"])
        day = f"2026-11-{1 + i % 27:02d}"
        yield [i, day, channel, rnd.choice(bands), rnd.choice(districts), "町内在住", *cells]


def write_files(folder: Path, rows: list[list] | None, sessions, n: int) -> dict[str, Path]:
    """CSV (UTF-8 with BOM) and xlsx (write-only) files of n rows."""
    from openpyxl import Workbook

    with sessions() as s:
        survey = store.get_survey(s, SURVEY_ID)
        town = paper.load_town(s)
        out = {"csv": folder / f"answers-{n}.csv", "xlsx": folder / f"answers-{n}.xlsx"}
        with out["csv"].open("w", encoding="utf-8-sig", newline="") as f:
            w = csv.writer(f)
            for row in generate(survey, town.age_bands, town.districts, n):
                w.writerow(row)
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("回答")
        for row in generate(survey, town.age_bands, town.districts, n):
            ws.append(row)
        wb.save(out["xlsx"])
    return out


def child(url: str, mode: str, path: Path) -> dict:
    """One measured run in a fresh child process: seconds, peak RSS, rows."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        anonymous_pool.configure("bench-only-secret")  # the demo survey is anonymous: pooled
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        t0 = time.perf_counter()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu0 = usage.ru_utime + usage.ru_stime
        if mode == "baseline":
            with sessions() as s:
                survey = store.get_survey(s, SURVEY_ID)
                ctx = paper.context(s, survey, NOW, TZ)
                rows = paper.rows_of(path)
                header = next(rows)
                cols = paper._columns(ctx, header, paper.Report())
                done = 0
                for done, row in enumerate(rows, 1):  # noqa: B007
                    raw = {cols[i]: c for i, c in enumerate(row) if i in cols}
                    sheet, problems = paper.check_sheet(ctx, raw)
                    assert sheet is not None, problems
        else:
            with transaction(sessions) as s:
                survey = store.get_survey(s, SURVEY_ID)
                done = paper.import_file(s, survey, path, NOW, TZ).rows
        seconds = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_SELF)
        cpu = usage.ru_utime + usage.ru_stime - cpu0
        result = {"seconds": seconds, "cpu": cpu, "peak": usage.ru_maxrss / 1024, "rows": done}
        os.write(write, json.dumps(result).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def _empty(sessions) -> None:
    with transaction(sessions) as s:
        if s.bind.dialect.name == "postgresql":  # a DELETE's cascade checks run row by row
            s.execute(
                text(
                    "TRUNCATE survey_answers, survey_responses, survey_paper_sheets,"
                    " survey_pending_answers"
                )
            )
            return
        s.execute(text("DELETE FROM survey_pending_answers WHERE survey_id = :s"), {"s": SURVEY_ID})
        s.execute(text("DELETE FROM survey_answers WHERE survey_id = :s"), {"s": SURVEY_ID})
        s.execute(text("DELETE FROM survey_responses WHERE survey_id = :s"), {"s": SURVEY_ID})
        s.execute(text("DELETE FROM survey_paper_sheets WHERE survey_id = :s"), {"s": SURVEY_ID})


def run(url: str, label: str, n: int, runs: int) -> list[str]:
    """Apply the demo content, generate the files, measure; Markdown table rows."""
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with transaction(sessions) as s:
        docs = content.load_documents(
            content.collect([DEMO / "town.yml", DEMO / "survey-resident-2026.yml"]), s
        )
        content.apply(s, docs, "bench")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        files = {size: write_files(Path(tmp), None, sessions, size) for size in (n // 10, n)}
        for fmt in ("csv", "xlsx"):
            for size, paths in files.items():
                base, full = [], []
                for _ in range(runs):
                    _empty(sessions)
                    base.append(child(url, "baseline", paths[fmt]))
                    full.append(child(url, "import", paths[fmt]))
                    assert full[-1]["rows"] == size, full[-1]
                b = statistics.median(r["seconds"] for r in base)
                t = statistics.median(r["seconds"] for r in full)
                cb = statistics.median(r["cpu"] for r in base)
                ct = statistics.median(r["cpu"] for r in full)
                peak_b = max(r["peak"] for r in base)
                peak_t = max(r["peak"] for r in full)
                out.append(
                    f"| {label} | {fmt} {size:,} rows | {t:.1f} s ({ct:.1f} s CPU) | "
                    f"{b:.1f} s ({cb:.1f} s CPU) | {t / b:.2f} ({ct / cb:.2f}) | "
                    f"{peak_t:.0f} MiB | {peak_b:.0f} MiB |"
                )
                print(out[-1], flush=True)
    _empty(sessions)
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    lines = [
        "| database | file | import (median wall, CPU) | read + check only (median) | ratio "
        "| peak RSS import | peak RSS read + check |",
        "|---|---|---|---|---|---|---|",
    ]
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            lines += run(f"sqlite:///{tmp}/bench.db", "SQLite", args.rows, args.runs)
    if args.only in (None, "postgresql"):
        url = os.environ.get("MACHIKOE_PG_URL")
        server = None
        if not url:
            from tests.pg import PgServer

            server = PgServer().start()
            url = server.url
        try:
            lines += run(url, "PostgreSQL", args.rows, args.runs)
        finally:
            if server is not None:
                server.stop()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
