"""Benchmark: survey results and exports at 100,000 responses × 10 questions.

Measures, on SQLite and PostgreSQL (a throwaway server via tests/pg.PgServer, or
MACHIKOE_PG_URL), in the same run and over the same rows:
- `crosstab(session, survey, "age_band")` against one hand-written GROUP BY;
- the whole `survey_results` (counts, scale statistics, three cross-tabs);
- CSV and xlsx exports of 10,000 and of 100,000 responses, each in a child process whose
  peak resident memory shows that memory does not grow with the responses.

    .venv/bin/python bench/survey_results.py [--responses 100000] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from db import migrate  # noqa: E402
from db import surveys as store  # noqa: E402
from db.session import make_engine, make_session_factory, transaction  # noqa: E402
from handlers import survey_report  # noqa: E402
from handlers.survey_export import export  # noqa: E402

AGES = ["16〜19歳", "20代", "30代", "40代", "50代", "60代", "70代", "80歳以上"]
DISTRICTS = ["大谷", "磐梯", "更科", "七ツ森"]
RESIDENCY = ["resident", "resident", "resident", "commuter", "outside"]
SINGLE = {
    "livability": [
        "住みやすい",
        "どちらかといえば住みやすい",
        "どちらかといえば住みにくい",
        "住みにくい",
    ],
    "stay": ["ずっと住み続けたい", "当分は住み続けたい", "町外に移りたい", "わからない"],
    "attachment": ["感じる", "どちらかといえば感じる", "どちらかといえば感じない", "感じない"],
    "health": ["よい", "まあよい", "ふつう", "あまりよくない", "よくない"],
    "compared": ["幸せになった", "変わらない", "幸せでなくなった"],
    "connection": ["感じる", "どちらかといえば感じる", "どちらかといえば感じない", "感じない"],
    "transport": ["車", "バス", "鉄道", "徒歩・自転車", "その他"],
}
MULTI = ["子育て支援", "医療・福祉", "公共交通", "雇用・産業", "観光・交流", "防災", "移住・定住"]
WISHES = [
    "バスの本数を増やしてほしい",
    "子どもが遊べる公園がほしい",
    "雪かきの支援をお願いしたい",
    "若い人が働ける場所が少ない",
    "=1+1 のような入力",
]


def definition() -> dict:
    """Ten questions: seven single, one multiple, one scale, one free text."""
    qs = [
        {
            "id": qid,
            "type": "single",
            "text": {"ja": qid},
            "required": True,
            "choices": [{"value": c, "label": {"ja": c}} for c in choices],
        }
        for qid, choices in SINGLE.items()
    ]
    qs.append(
        {
            "id": "priorities",
            "type": "multi",
            "text": {"ja": "priorities"},
            "required": True,
            "choices": [{"value": c, "label": {"ja": c}} for c in MULTI],
            "max_choices": 3,
        }
    )
    qs.append(
        {
            "id": "happiness",
            "type": "scale",
            "text": {"ja": "happiness"},
            "required": True,
            "min": 0,
            "max": 10,
            "labels": {},
        }
    )
    qs.append(
        {
            "id": "wishes",
            "type": "text",
            "text": {"ja": "wishes"},
            "required": False,
            "max_length": 500,
        }
    )
    return {
        "title": {"ja": "bench"},
        "anonymous": True,
        "minutes": 3,
        "eligibility": {},
        "questions": qs,
    }


def populate(sessions, survey_id: str, n: int, seed: int) -> None:
    """n responses of about 11 answer rows each, inserted in batches."""
    rnd = random.Random(seed)
    with transaction(sessions) as s:
        s.add(
            store.Survey(
                id=survey_id,
                version=1,
                title=survey_id,
                anonymous=True,
                opens_at=datetime(2026, 11, 1, tzinfo=UTC),
                closes_at=datetime(2027, 1, 31, tzinfo=UTC),
                definition=definition(),
            )
        )
    batch_r, batch_a = [], []

    def flush() -> None:
        with transaction(sessions) as s:
            s.execute(insert(store.SurveyResponse), batch_r)
            s.execute(insert(store.SurveyAnswer), batch_a)
        batch_r.clear()
        batch_a.clear()

    for i in range(n):
        rid = rnd.getrandbits(62) + 1
        age = rnd.choice(AGES)
        batch_r.append(
            {
                "id": rid,
                "survey_id": survey_id,
                "survey_version": 1,
                "resident_id": None,
                "submitted_on": date(2026, 11, 1 + i % 28),
                "submitted_at": None,
                "age_band": age,
                "district": rnd.choice(DISTRICTS),
                "residency": rnd.choice(RESIDENCY),
            }
        )

        def answer(qid: str, value, position: int = 0, number=None, rid: int = rid) -> None:
            batch_a.append(
                {
                    "response_id": rid,
                    "question_id": qid,
                    "position": position,
                    "survey_id": survey_id,
                    "value": str(value),
                    "number": number,
                }
            )

        for qid, choices in SINGLE.items():
            answer(qid, rnd.choice(choices))
        for pos, choice in enumerate(rnd.sample(MULTI, rnd.randint(1, 3))):
            answer("priorities", choice, pos)
        happy = rnd.randint(0, 10)
        answer("happiness", happy, number=happy)
        if rnd.random() < 0.2:
            answer("wishes", rnd.choice(WISHES))
        if len(batch_r) >= 5000:
            flush()
    if batch_r:
        flush()


def timed(fn, repeat: int = 3) -> float:
    """Median wall time of fn over `repeat` runs (seconds)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


HAND_WRITTEN = """
SELECT r.age_band, a.question_id, a.value, count(*)
FROM survey_answers a JOIN survey_responses r ON r.id = a.response_id
WHERE a.survey_id = :s AND a.question_id IN ({ids})
GROUP BY r.age_band, a.question_id, a.value
"""


def export_peak(url: str, survey_id: str, fmt: str) -> tuple[float, float, int]:
    """(seconds, peak RSS MiB, bytes written) of one export, run in a fresh child process.

    The child starts small (fork of the parent, own engine), so its peak resident memory is
    what the export itself needed; flat memory means the same peak for 10k and 100k rows.
    """
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read)
        engine = make_engine(url)
        with tempfile.TemporaryFile() as f, make_session_factory(engine)() as s:
            t0 = time.perf_counter()
            export(s, survey_id, fmt, f)
            seconds = time.perf_counter() - t0
            size = f.tell()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        os.write(write, json.dumps([seconds, peak, size]).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    seconds, peak, size = json.loads(data)
    return seconds, peak, size


def run(url: str, label: str, n: int) -> list[str]:
    """Populate, measure, and return result lines (Markdown table rows)."""
    migrate.upgrade(url)
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    with transaction(sessions) as s:
        s.execute(text("DELETE FROM survey_answers"))
        s.execute(text("DELETE FROM survey_responses"))
        s.execute(text("DELETE FROM surveys WHERE id LIKE 'bench-%'"))
    t0 = time.perf_counter()
    populate(sessions, "bench-big", n, 1)
    populate(sessions, "bench-small", n // 10, 2)
    if engine.dialect.name == "postgresql":
        with engine.connect() as c:
            c.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
    print(f"[{label}] populated in {time.perf_counter() - t0:.1f}s", flush=True)
    with sessions() as s:
        survey = store.get_survey(s, "bench-big")
        rows = s.scalar(text("SELECT count(*) FROM survey_answers WHERE survey_id = 'bench-big'"))
        ids = [q["id"] for q in survey.questions if q["type"] != "text"]
        sql = text(HAND_WRITTEN.format(ids=", ".join(f"'{i}'" for i in ids)))
        hand = timed(lambda: s.execute(sql, {"s": "bench-big"}).all())
        ours = timed(lambda: survey_report.crosstab(s, survey, "age_band"))
        full = timed(lambda: survey_report.results(s, "bench-big"), repeat=1)
    out = [
        f"| {label} | cross-tab by age band ({n:,} responses, {rows:,} answers) | "
        f"{ours:.2f} s | hand-written GROUP BY {hand:.2f} s (ratio {ours / hand:.2f}) |",
        f"| {label} | all results (counts, scale, 3 cross-tabs) | {full:.2f} s | |",
    ]
    for fmt in ("csv", "xlsx"):
        for sid, count in (("bench-small", n // 10), ("bench-big", n)):
            seconds, peak, size = export_peak(url, sid, fmt)
            out.append(
                f"| {label} | export {fmt} {count:,} responses | {seconds:.1f} s | "
                f"peak RSS {peak:.0f} MiB, file {size / 2**20:.1f} MiB |"
            )
            print(out[-1], flush=True)
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    lines = ["| database | measure | time | notes |", "|---|---|---|---|"]
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            lines += run(f"sqlite:///{tmp}/bench.db", "SQLite", args.responses)
    if args.only in (None, "postgresql"):
        url = os.environ.get("MACHIKOE_PG_URL")
        server = None
        if not url:
            from tests.pg import PgServer

            server = PgServer().start()
            url = server.url
        try:
            lines += run(url, "PostgreSQL", args.responses)
        finally:
            if server is not None:
                server.stop()
    print("\n".join(lines))


if __name__ == "__main__":
    main()
