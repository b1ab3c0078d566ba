"""Fan-out benchmark: one announcement to 1,000,000 residents through the fake Messaging API.

    .venv/bin/python bench/fanout.py                       # SQLite and PostgreSQL, 1,000,000
    .venv/bin/python bench/fanout.py --db sqlite --recipients 100000   # a quicker run

For each database: residents are generated in SQL, the demo town applied, a broadcast
created; then we time the materialisation (`start_due`: INSERT … SELECT of the deliveries
and the batch rows) in this process, and the send (`bot.dispatcher.send`) in a fresh
child process so that its own peak memory (ru_maxrss) is what we report. The fake Messaging
API (`bot.simulator.line_api.FakeLineServer`) runs in this process and enforces LINE's
multicast limit of 200 requests/s (a token bucket: faster senders get 429). The floor is
recipients / 500 / 200 seconds (10 s for 1,000,000); the target is 1.2 × the floor, with
the sender's peak memory under 256 MB. `--no-doc` leaves docs/performance.md untouched.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from bot.config import Settings  # noqa: E402
from bot.simulator.line_api import FakeLineServer  # noqa: E402

TOKEN = "bench-access-token"
SECRET = "bench-channel-secret-0123456789abcdef"
TOWN = ROOT / "content" / "demo" / "town.yml"
DOC = ROOT / "docs" / "performance.md"
TARGET = 1.2
MEMORY_MB = 256

SEED = {
    "sqlite": """
        WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < :n)
        INSERT INTO residents (line_user_id, language, consent, blocked, created_at, district)
        SELECT 'U' || printf('%032x', n), CASE WHEN n % 50 = 0 THEN 'en' ELSE 'ja' END,
               'agreed', 0, :now, CASE n % 4 WHEN 0 THEN '大谷' WHEN 1 THEN '磐梯'
               WHEN 2 THEN '更科' ELSE '七ツ森' END
        FROM c""",
    "postgresql": """
        INSERT INTO residents (line_user_id, language, consent, blocked, created_at, district)
        SELECT 'U' || lpad(to_hex(n), 32, '0'), CASE WHEN n % 50 = 0 THEN 'en' ELSE 'ja' END,
               'agreed', false, :now, (ARRAY['大谷', '磐梯', '更科', '七ツ森'])[n % 4 + 1]
        FROM generate_series(1, :n) AS n""",
}


def settings_for(db_url: str, api_url: str) -> Settings:
    """Settings pointed at the fake and the benchmark database."""
    return Settings(
        line_channel_secret=SECRET,
        line_channel_access_token=TOKEN,
        line_api_base_url=api_url,
        line_data_api_base_url=api_url,
        database_url=db_url,
        secret_key="bench",
        demo_mode=False,
        line_timeout=(2.0, 10.0),
    )


def prepare(db_url: str, api_url: str, n: int) -> dict:
    """Fresh schema, n residents, the town, one broadcast; returns timings and its id."""
    from bot import create_app, dispatcher
    from db import migrate
    from db.session import make_engine, transaction
    from handlers import broadcast

    engine = make_engine(db_url)
    if db_url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()
    migrate.upgrade(db_url)
    app = create_app(settings_for(db_url, api_url))
    state = app.extensions["machikoe"]
    assert app.test_cli_runner().invoke(args=["content", "apply", str(TOWN)]).exit_code == 0
    dialect = "postgresql" if db_url.startswith("postgresql") else "sqlite"
    t0 = time.perf_counter()
    with transaction(state.sessions) as s:
        s.execute(text(SEED[dialect]), {"n": n, "now": datetime.now(UTC)})
    seeded = time.perf_counter() - t0
    if dialect == "postgresql":
        with state.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
    with transaction(state.sessions) as s:
        b = broadcast.create_broadcast(
            s, actor="bench", text="【お知らせ】町民アンケートにご協力ください。", now=state.now()
        )
        b_id = b.id
    t0 = time.perf_counter()
    assert dispatcher.start_due(state, b_id, state.now())
    materialised = time.perf_counter() - t0
    with state.sessions() as s:
        from db.broadcasts import BroadcastBatch

        batches = s.scalar(select(func.count()).select_from(BroadcastBatch))
    state.engine.dispose()
    return {"id": b_id, "seed_s": seeded, "materialise_s": materialised, "batches": batches}


def peak_rss_mb() -> float:
    """This process's own peak resident memory (VmHWM).

    Not ru_maxrss: on Linux that survives fork and exec, so a child started by a parent that
    had grown large would report the parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(db_url: str, api_url: str, b_id: int) -> None:
    """The sending process: send broadcast b_id, print timings and peak memory as JSON."""
    from bot import dispatcher
    from bot.state import build_state

    state = build_state(settings_for(db_url, api_url))
    t0 = time.perf_counter()
    workers = int(os.environ.get("FANOUT_WORKERS", dispatcher.WORKERS))
    group = int(os.environ.get("FANOUT_GROUP", dispatcher.GROUP))
    report = dispatcher.send(state, b_id, workers=workers, group=group)
    elapsed = time.perf_counter() - t0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak = peak_rss_mb()
    print(
        json.dumps(
            {
                "send_s": elapsed,
                "status": report.status,
                "batches": report.batches_sent,
                "recipients": report.recipients_sent,
                "peak_mb": peak,
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "errors": report.errors[:5],
            }
        )
    )


def run(db: str, db_url: str, n: int, server: FakeLineServer) -> dict:
    """One configuration: prepare, then send in a child process; check exactly-once."""
    server.fake.reset()
    server.fake.access_token = TOKEN
    print(f"[{db}] seeding {n:,} residents and materialising …", flush=True)
    prep = prepare(db_url, server.url, n)
    print(f"[{db}] sending {prep['batches']:,} batches …", flush=True)
    out = subprocess.run(
        [sys.executable, __file__, "--child", db_url, server.url, str(prep["id"])],
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    fake = server.fake
    multicasts = fake.count("multicast")
    ok = fake.count("multicast", 200)
    result.update(prep)
    result.update(
        db=db,
        recipients_total=n,
        requests=multicasts,
        requests_429=fake.count("multicast", 429),
        delivered=sum(len(b.recipients) for b in fake.batches),
        accepted=ok,
        violations=len(fake.violations),
    )
    floor = n / 500 / 200
    result["floor_s"] = floor
    result["ratio"] = result["send_s"] / floor
    print(json.dumps(result, ensure_ascii=False, indent=1), flush=True)
    return result


def write_doc(results: list[dict]) -> None:
    """Replace the `## Fan-out` section of docs/performance.md (create the file if absent)."""
    cpu = os.cpu_count()
    lines = [
        "## Fan-out",
        "",
        "`bench/fanout.py`: one announcement to every resident through the fake Messaging API",
        "(`bot/simulator/line_api.py`, enforcing 200 multicast requests/s), sent by",
        "`bot.dispatcher.send` in its own process (8 concurrent requests, paced to 200/s).",
        f"Machine: {cpu} cores, Python {platform.python_version()}, "
        f"run {datetime.now(UTC):%Y-%m-%d}, load average {os.getloadavg()[0]:.1f} at the end.",
        "",
        "| database | recipients | materialise (INSERT … SELECT) | send | floor | send / floor "
        "| sender CPU | sender peak memory | requests (429s) | delivered once |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['db']} | {r['recipients_total']:,} | {r['materialise_s']:.1f} s "
            f"| {r['send_s']:.1f} s | {r['floor_s']:.1f} s | {r['ratio']:.2f} "
            f"| {r['cpu_s']:.1f} s | {r['peak_mb']:.0f} MB "
            f"| {r['requests']:,} ({r['requests_429']}) "
            f"| {'yes' if r['delivered'] == r['recipients_total'] else 'NO'} |"
        )
    lines += [
        "",
        f"Targets: send within {TARGET} × the floor (recipients / 500 / 200 s), sender peak "
        f"memory under {MEMORY_MB} MB, materialisation in a few seconds. Seeding the residents "
        "is not timed. Re-run: `.venv/bin/python bench/fanout.py`.",
        "",
    ]
    section = "\n".join(lines)
    doc = DOC.read_text() if DOC.exists() else "# Performance\n\n"
    start = doc.find("## Fan-out")
    if start >= 0:
        end = doc.find("\n## ", start + 1)
        doc = doc[:start] + section + (doc[end + 1 :] if end >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + section
    DOC.write_text(doc)


def main() -> None:
    """Parse arguments and run the configurations."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--child", nargs=3, metavar=("DB_URL", "API_URL", "ID"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    import tempfile

    results = []
    with FakeLineServer() as server:
        if args.db in ("sqlite", "both"):
            path = Path(tempfile.mkdtemp(prefix="machikoe-fanout-")) / "fanout.db"
            results.append(run("SQLite", f"sqlite:///{path}", args.recipients, server))
        if args.db in ("postgresql", "both"):
            url = os.environ.get("MACHIKOE_PG_URL")
            pg = None
            if not url:
                from tests.pg import PgServer

                pg = PgServer().start()
                url = pg.url
            try:
                results.append(run("PostgreSQL", url, args.recipients, server))
            finally:
                if pg is not None:
                    pg.stop()
    if not args.no_doc:
        write_doc(results)


if __name__ == "__main__":
    main()
