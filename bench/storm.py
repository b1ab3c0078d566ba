"""Tap storms: open-loop load at 1×, 2× and 4× the bot's capacity, beside the echo bot.

    .venv/bin/python bench/storm.py                  # both databases, 30 s per load (~10 min)
    .venv/bin/python bench/storm.py --quick          # short phases, a smoke run
    .venv/bin/python bench/storm.py --only sqlite --seconds 15

A broadcast makes thousands of residents tap at once; LINE then delivers one webhook per
event, on its own schedule, whatever our server is doing (open loop). For each database:

1. **Capacity C**: closed-loop clients as in ``bench/webhook.py``; C is the lower of the
   acknowledged rate and the rate at which events became ``done`` in ``webhook_events``
   (so a server that acknowledges first and processes later is not flattered).
2. **Storm**: events sent on a fixed schedule at 1×, 2× and 4× C for ``--seconds`` each,
   from ``--connections`` keep-alive connections, independent of the responses; each
   event comes from a random one of ``--residents`` residents, a mix of typed keywords,
   taps on the buttons the resident was last sent (postback or message), stale taps and
   a few follows. The echo bot (``bench/echo_bot.py``) gets the same schedule.

Per load we report acknowledgement latency from the scheduled time (p50, p99, max, % within
LINE's 2 s), acknowledgement throughput against the echo bot, whether every event was
handled exactly once (``webhook_events``: all done, none pending after a drain wait, no
reply token used twice, no event answered twice) and the time from each tap to its reply
or push as the fake Messaging API received it (max, p99, % within 60 s). Targets are
printed PASS/FAIL; the JSON result goes to ``bench/results/storm-<time>.json``.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench.webhook import (  # noqa: E402
    KEYWORDS,
    RESULTS,
    SECRET,
    STALE_TAP,
    TAPPABLE,
    TOKEN,
    Target,
    app_env,
    cpu_model,
    drive,
    ours,
    percentile,
    prepare_database,
)
from bot.simulator.line_api import FakeLineApi, FakeLineServer  # noqa: E402
from tests import line  # noqa: E402

LOADS = (1, 2, 4)
ACK_BUDGET = 2.0  # LINE's request_timeout
ANSWER_BUDGET = 60.0  # a reply token is good for about a minute
TARGET_P99 = 0.200


# --- open-loop load -------------------------------------------------------------------------


@dataclass
class Tap:
    """One scheduled event and what became of its webhook."""

    index: int
    uid: str
    kind: str
    token: str
    due: float  # wall clock: when the resident tapped (LINE sends at once)
    ack: float = float("nan")  # seconds from `due` to the response
    status: int = 0
    error: str = ""


class Storm:
    """Send ``rate × seconds`` events on a fixed schedule from many connections."""

    def __init__(self, port: int, fake: FakeLineApi, uids: list[str], rate: float, args) -> None:
        self.port, self.fake, self.uids, self.rate = port, fake, uids, rate
        self.count = max(1, int(rate * args.seconds))
        self.connections, self.seed = args.connections, args.seed
        self.taps: list[Tap] = []
        self._next = itertools.count()
        self._lock = threading.Lock()

    def event(self, i: int) -> tuple[Tap, bytes]:
        """Event i of the schedule: the same resident and kind on every run."""
        rng = random.Random(self.seed * 1_000_003 + i)
        uid = rng.choice(self.uids)
        token = self.fake.issue_reply_token(uid)
        roll = rng.random()
        if roll < 0.05:
            kind, event = "follow", line.follow(uid, token, unblocked=rng.random() < 0.5)
        elif roll < 0.60:
            batches = self.fake.batches_for(uid)
            shown = list(line.actions(batches[-1].messages[-1:], TAPPABLE)) if batches else []
            action = rng.choice(shown) if shown else None
            if action is None:
                kind, event = "stale", line.postback(uid, STALE_TAP, token)
            elif action["type"] == "message":
                kind, event = "tap", line.text(uid, action["text"], token)
            else:
                kind, event = "tap", line.postback(uid, action["data"], token)
        else:
            kind, event = "text", line.text(uid, rng.choice(KEYWORDS), token)
        return Tap(i, uid, kind, token, 0.0), line.payload(event)

    def run(self) -> list[Tap]:
        """Send the whole schedule; returns every tap (acknowledged or not)."""
        start = time.perf_counter() + 0.5
        self.wall0 = time.time() + 0.5
        self.start = start
        threads = [
            threading.Thread(target=self._sender, args=(start,), daemon=True)
            for _ in range(self.connections)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return sorted(self.taps, key=lambda tap: tap.index)

    def _sender(self, start: float) -> None:
        conn = None
        while True:
            with self._lock:
                i = next(self._next)
            if i >= self.count:
                break
            due = start + i / self.rate
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            tap, body = self.event(i)
            tap.due = self.wall0 + i / self.rate
            headers = {
                "Content-Type": "application/json; charset=utf-8",
                "x-line-signature": line.sign(body, SECRET),
            }
            for attempt in range(2):  # a kept-alive connection the server closed: reconnect
                reused = conn is not None
                try:
                    if conn is None:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                    conn.request("POST", "/callback", body=body, headers=headers)
                    response = conn.getresponse()
                    response.read()
                    tap.status = response.status
                    if response.will_close:
                        conn.close()
                        conn = None
                    break
                except (OSError, http.client.HTTPException) as exc:
                    if conn is not None:
                        conn.close()
                    conn = None
                    stale = isinstance(exc, http.client.RemoteDisconnected | ConnectionError)
                    if not (reused and stale and attempt == 0):
                        tap.error = type(exc).__name__
                        break
            tap.ack = time.perf_counter() - due
            with self._lock:
                self.taps.append(tap)
        if conn is not None:
            conn.close()


# --- what the database and the fake LINE saw ------------------------------------------------


def statuses(engine) -> Counter:
    """webhook_events rows by status (nothing for the echo bot)."""
    if engine is None:
        return Counter()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT status, count(*) FROM webhook_events GROUP BY status"))
        return Counter({status: n for status, n in rows})


def drain(engine, fake: FakeLineApi, limit: float) -> float:
    """Wait until no event is pending and the fake has been quiet for a second."""
    began = time.monotonic()
    quiet_since, seen = time.monotonic(), len(fake.requests)
    while time.monotonic() - began < limit:
        time.sleep(0.5)
        now_seen = len(fake.requests)
        if now_seen != seen:
            quiet_since, seen = time.monotonic(), now_seen
        pending = statuses(engine).get("pending", 0)
        if pending == 0 and time.monotonic() - quiet_since >= 1.0:
            break
    return time.monotonic() - began


def answers(taps: list[Tap], fake: FakeLineApi) -> dict:
    """Tap → answer times: replies by their token, pushes by resident in order."""
    replied: dict[str, float] = {}
    pushes: dict[str, list[float]] = defaultdict(list)
    token_reused = 0
    for r in fake.requests:
        body = r.json if isinstance(r.json, dict) else {}
        if r.endpoint == "reply":
            if r.status == 200:
                replied[body.get("replyToken", "")] = r.time
            elif any("already used" in p for p in r.problems):
                token_reused += 1
        elif r.endpoint == "push" and r.status == 200:
            pushes[body.get("to", "")].append(r.time)
    waits, unanswered, by_push = [], 0, 0
    for tap in taps:
        at = replied.pop(tap.token, None)
        if at is None:
            mine = pushes.get(tap.uid, [])
            later = next((t for t in mine if t >= tap.due), None)
            if later is not None:
                mine.remove(later)
                at, by_push = later, by_push + 1
        if at is None:
            unanswered += 1
        else:
            waits.append(at - tap.due)
    return {
        "answered": len(waits),
        "unanswered": unanswered,
        "by_push": by_push,
        "answer_p99": percentile(waits, 0.99),
        "answer_max": max(waits, default=float("nan")),
        "within_60s": sum(w <= ANSWER_BUDGET for w in waits) / max(1, len(taps)),
        "token_reused": token_reused,
        "extra_answers": len(replied) + sum(len(v) for v in pushes.values()),
    }


def phase(target: Target, engine, fake: FakeLineApi, uids, rate: float, load, args) -> dict:
    """One storm against one target, drained and counted."""
    fake.clear()
    before = statuses(engine)
    storm = Storm(target.port, fake, uids, rate, args)
    taps = storm.run()
    sent_for = time.time() - storm.wall0
    waited = drain(engine, fake, args.drain)
    after = statuses(engine)
    new = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    acked = [t for t in taps if t.status == 200]
    lat = [t.ack for t in acked]
    in_window = sum(t.ack + (t.due - storm.wall0) <= args.seconds + ACK_BUDGET for t in acked)
    result = {
        "target": target.name,
        "load": load,
        "offered_rps": rate,
        "events": len(taps),
        "acked": len(acked),
        "not_acked": len(taps) - len(acked),
        "ack_p50": percentile(lat, 0.50),
        "ack_p99": percentile(lat, 0.99),
        "ack_max": max(lat, default=float("nan")),
        "ack_within_2s": sum(x <= ACK_BUDGET for x in lat) / max(1, len(taps)),
        "ack_rps": in_window / args.seconds,
        "sent_for_s": sent_for,
        "drain_s": waited,
        "kinds": dict(Counter(t.kind for t in taps)),
        "errors": dict(Counter(t.error for t in taps if t.error)),
        "stored": dict(new) if engine is not None else None,
        "violations": len(fake.violations),
        **answers(taps, fake),
    }
    if engine is not None:
        result["handled_once"] = (
            new.get("done", 0) == len(taps)  # each event has its own id: one row each
            and after.get("pending", 0) == 0
            and new.get("failed", 0) == 0
            and result["token_reused"] == 0
            and result["extra_answers"] == 0
        )
    return result


def capacity(target: Target, engine, fake: FakeLineApi, args) -> dict:
    """Closed-loop capacity: acknowledged/s, and events done/s until the backlog is gone."""
    before = statuses(engine).get("done", 0)
    began = time.monotonic()
    ns = SimpleNamespace(
        clients=args.clients, residents=args.residents, warmup=0.0, duration=args.capacity_seconds
    )
    run = drive(target, fake, ns, rep=0)
    drain(engine, fake, args.drain)
    done = statuses(engine).get("done", 0) - before
    processed = done / max(1e-9, time.monotonic() - began)
    return {
        "ack_rps": run["rps"],
        "processed_rps": processed,
        "C": min(run["rps"], processed),
        "p99": run["p99"],
    }


# --- report ---------------------------------------------------------------------------------


def verdicts(db: str, runs: list[dict]) -> list[tuple[str, bool]]:
    """The targets for one database, each met or not."""
    ours = {r["load"]: r for r in runs if r["target"] == f"ours-{db}"}
    echo = {r["load"]: r for r in runs if r["target"] == f"echo-{db}"}
    out = []
    if 4 in ours:
        r = ours[4]
        out.append((f"{db} 4×C: 100 % of acks within 2 s", r["ack_within_2s"] >= 1.0))
        out.append((f"{db} 4×C: ack p99 < {TARGET_P99 * 1000:.0f} ms", r["ack_p99"] < TARGET_P99))
    out.append(
        (f"{db}: every event handled exactly once", all(r["handled_once"] for r in ours.values()))
    )
    if 2 in ours:
        r = ours[2]
        ok = r["unanswered"] == 0 and r["answer_max"] <= ANSWER_BUDGET
        out.append((f"{db} 2×C: every resident answered within 60 s", ok))
    for load in sorted(ours):
        if load in echo:
            ok = ours[load]["ack_rps"] >= echo[load]["ack_rps"]
            out.append((f"{db} {load}×C: ack throughput ≥ echo bot's", ok))
    return out


def row(r: dict) -> str:
    """One printed line per phase."""
    return (
        f"{r['target']:11} {r['load']}×C {r['offered_rps']:6.1f}/s  ack p50 "
        f"{r['ack_p50'] * 1000:7.1f} p99 {r['ack_p99'] * 1000:8.1f} "
        f"max {r['ack_max'] * 1000:8.1f} ms"
        f"  ≤2s {r['ack_within_2s'] * 100:5.1f}%  ack {r['ack_rps']:6.1f}/s  answer p99 "
        f"{r['answer_p99']:6.2f} max {r['answer_max']:6.2f} s ≤60s {r['within_60s'] * 100:5.1f}%"
        f"  unanswered {r['unanswered']}  stored {r['stored']}"
        + (f"  errors {r['errors']}" if r["errors"] else "")
    )


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds per load")
    parser.add_argument("--capacity-seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=16, help="closed-loop clients for C")
    parser.add_argument("--connections", type=int, default=64, help="open-loop connections")
    parser.add_argument("--residents", type=int, default=2000)
    parser.add_argument("--drain", type=float, default=180.0, help="max seconds to drain")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--only", choices=["sqlite", "pg"], action="append")
    parser.add_argument("--quick", action="store_true", help="short phases (a smoke run)")
    parser.add_argument(
        "--in-web",
        action="store_true",
        help="process events in the web workers' threads (INBOX_THREADS=4), no worker process",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.seconds, args.capacity_seconds, args.drain = 5.0, 4.0, 60.0
        args.residents, args.connections = 300, 32
    started = datetime.now(UTC)
    load_avg = [os.getloadavg()[0], float("nan")]
    work = Path(tempfile.mkdtemp(prefix="machikoe-storm-"))
    fake = FakeLineApi(access_token=TOKEN)
    server = FakeLineServer(fake).start()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_"))}
    uids = [line.user_id(f"storm-{i}") for i in range(args.residents)]
    for i, uid in enumerate(uids):
        fake.add_user(uid, f"住民{i}", language="en" if i % 10 == 0 else "ja")
    dbs = args.only or ["sqlite", "pg"]
    pg = None
    runs: list[dict] = []
    capacities: dict[str, dict] = {}
    echo = Target("echo", "bench.echo_bot:app", app_env(base, server.url, "sqlite://"),
                  work / "echo.log")  # fmt: skip
    try:
        if "pg" in dbs:
            from tests.pg import PgServer

            try:
                pg = PgServer().start()
            except Exception as exc:
                print(f"PostgreSQL skipped: {exc}", file=sys.stderr)
                dbs = [d for d in dbs if d != "pg"]
        echo.start()
        for db in dbs:
            url = pg.database("storm") if db == "pg" else f"sqlite:///{work / 'storm.db'}"
            env = app_env(base, server.url, url)
            prepare_database(env, ROOT)
            target = ours(f"ours-{db}", env, work / f"ours-{db}.log")
            if args.in_web:  # the pool's threads inside the web workers, no worker process
                target = Target(target.name, "wsgi:app", {**env, "INBOX_THREADS": "4"}, target.log)
            engine = create_engine(url)
            target.start()
            try:
                cap = capacities[db] = capacity(target, engine, fake, args)
                print(
                    f"{db}: capacity C = {cap['C']:.1f} events/s (acknowledged "
                    f"{cap['ack_rps']:.1f}/s, processed {cap['processed_rps']:.1f}/s)",
                    flush=True,
                )
                for load in LOADS:
                    rate = load * cap["C"]
                    mine = phase(target, engine, fake, uids, rate, load, args)
                    runs.append(mine)
                    print(row(mine), flush=True)
                    echo.name = f"echo-{db}"
                    theirs = phase(echo, None, fake, uids, rate, load, args)
                    runs.append(theirs)
                    print(row(theirs), flush=True)
            finally:
                target.stop()
                engine.dispose()
    finally:
        echo.stop()
        server.stop()
        if pg is not None:
            pg.stop()
    load_avg[1] = os.getloadavg()[0]
    checks = [check for db in dbs for check in verdicts(db, runs)]
    print()
    for name, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {name}")
    print(f"load average (1 min): {load_avg[0]:.1f} at start, {load_avg[1]:.1f} at end")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"storm-{started:%Y%m%dT%H%M%SZ}.json"
    machine = f"{os.cpu_count()} cores ({cpu_model()}), Python {platform.python_version()}"
    out.write_text(
        json.dumps(
            {
                "args": vars(args),
                "machine": machine,
                "load_average": load_avg,
                "capacity": capacities,
                "runs": runs,
                "targets": [{"target": name, "met": ok} for name, ok in checks],
            },
            indent=1,
            default=str,
        )
    )
    print(f"written to {out.relative_to(ROOT)}")
    if all(ok for _, ok in checks):
        shutil.rmtree(work, ignore_errors=True)
        return 0
    print(f"the servers' logs are kept in {work}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
