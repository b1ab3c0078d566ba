"""Webhook benchmark: our app beside the simplest echo bot, same gunicorn, same run.

    .venv/bin/python bench/webhook.py            # ~3 minutes; rewrites docs/performance.md
    .venv/bin/python bench/webhook.py --quick    # a short smoke run, docs untouched

For each configuration — ``ours-sqlite`` (``wsgi:app`` on a fresh migrated SQLite file with
the demo town), ``ours-pg`` (the same on a throwaway PostgreSQL, when its binaries are
installed), ``floor-sqlite`` and ``floor-pg`` (``bench/floor_bot.py``: only the
webhook's guarantees — the event's id stored with its effect, the resident's row locked —
and a reply with the menu, no handlers) and ``echo`` (``bench/echo_bot.py``: verify, parse,
reply) — gunicorn is started
with the same settings (``--workers 2 --threads 4``, loopback, free port); ours runs as the
Procfile has it, the web role acknowledging and the ``worker`` role processing (``bench/
procfile.py`` reads both lines, so the benchmark follows any change there). All of them talk
to one fake Messaging API (``bot.simulator.line_api``) that validates every request and
issues the reply tokens. The fake is served from *this* process, and the load generator
runs here too, so it can issue reply tokens and read replies directly.

Load: ``--clients`` closed-loop clients (keep-alive HTTP/1.1), each owning its share of
``--residents`` residents, post signed single-event webhooks: a few follows (with a LINE
profile), typed keywords (メニュー, ヘルプ, プロフィール…), free text, and taps on the
buttons of the reply the resident just got (a stale postback when there is none). A run
is ``--warmup`` seconds (discarded) then ``--duration`` seconds measured; configurations
alternate in rotating order for ``--reps`` rounds. We report medians over rounds of
throughput (acknowledged requests/s) and of each round's p50/p99 acknowledgement latency,
and the ratio to echo. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import procfile  # noqa: E402
from bot.simulator.line_api import FakeLineApi, FakeLineServer  # noqa: E402
from tests import line  # noqa: E402

SECRET = "bench-channel-secret-0123456789abcdef"
TOKEN = "bench-access-token"
# the Procfile's web process
GUNICORN = ["--workers", "2", "--threads", "4", "--reuse-port", "--timeout", "30"]
TOWN = ROOT / "content" / "demo" / "town.yml"
DOC = ROOT / "docs" / "performance.md"
RESULTS = ROOT / "bench" / "results"
CONFIGURATIONS = ["ours-sqlite", "ours-pg", "floor-sqlite", "floor-pg", "echo"]
TARGET_RATIO = 0.7
TARGET_P99 = 1.0

KEYWORDS = ["メニュー", "ヘルプ", "プロフィール", "アンケート", "イベント", "menu"]
FREE_TEXT = [
    "こんにちは",
    "ごみの収集日を教えてください",
    "駅前の街灯が暗いです",
    "子育て支援について知りたい",
    "ありがとうございました",
    "👍",
]
TAPPABLE = {"message", "postback"}  # what the load generator taps
STALE_TAP = "v=1&a=pick&f=onboarding&n=1&x=30代"  # an old button still visible in the chat


# --- servers -------------------------------------------------------------------------------


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Target:
    """One configuration under test: a gunicorn serving an app with some environment."""

    name: str
    app: str
    env: dict[str, str]
    log: Path
    cwd: Path = ROOT
    port: int = 0
    proc: subprocess.Popen | None = None
    prefix: tuple[str, ...] = ()  # e.g. ("nice", "-n", "10") for a lower CPU priority
    options: tuple[str, ...] = tuple(GUNICORN)
    worker: tuple[str, ...] = ()  # a process started beside gunicorn (the Procfile's worker)
    worker_proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Start gunicorn and wait until it answers."""
        self.port = free_port()
        cmd = [*self.prefix, sys.executable, "-m", "gunicorn", *self.options]
        cmd += ["--bind", f"127.0.0.1:{self.port}", self.app]
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                cmd, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                conn.close()
                self._start_worker()
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"{self.name}: gunicorn did not answer within 60 s; see {self.log}")

    def _start_worker(self) -> None:
        if not self.worker:
            return
        with open(self.log, "ab") as out:
            self.worker_proc = subprocess.Popen(
                self.worker, cwd=self.cwd, env=self.env, stdout=out, stderr=subprocess.STDOUT
            )
        time.sleep(2)
        if self.worker_proc.poll() is not None:
            raise RuntimeError(f"{self.name}: the worker process exited; see {self.log}")

    def stop(self) -> None:
        """Stop gunicorn (and the worker) gracefully."""
        for proc in (self.proc, self.worker_proc):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()

    def pids(self) -> list[int]:
        """The arbiter, its workers and the worker process."""
        if not self.proc:
            return []
        pids = [self.proc.pid]
        if self.worker_proc is not None:
            pids.append(self.worker_proc.pid)
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                    pids.append(int(entry.name))
        return pids


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU jiffies of the whole machine from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


def app_env(base: dict[str, str], fake_url: str, database_url: str) -> dict[str, str]:
    """The environment our app (and the echo bot) run with."""
    env = dict(base)
    env.update(
        LINE_CHANNEL_SECRET=SECRET,
        LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
        LINE_API_BASE_URL=fake_url,
        LINE_DATA_API_BASE_URL=fake_url,
        SECRET_KEY="bench-secret-key-" + "x" * 40,
        SIMULATOR_ENABLED="0",
        DATABASE_URL=database_url,
        PYTHONUNBUFFERED="1",
    )
    return env


def ours(name: str, env: dict[str, str], log: Path, cwd: Path = ROOT) -> Target:
    """Our app as the Procfile runs it: the web role's settings, and its worker beside it."""
    web_settings, _ = procfile.command("web", env)
    _, worker = procfile.command("worker", env)
    return Target(name, "wsgi:app", {**env, **web_settings}, log, cwd, worker=tuple(worker))


def prepare_database(env: dict[str, str], cwd: Path) -> None:
    """Migrate and apply the demo town with the real CLI."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for args in (["db", "upgrade"], ["content", "apply", str(TOWN)]):
        done = subprocess.run(
            [*flask, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


# --- load --------------------------------------------------------------------------------


@dataclass
class Person:
    """A resident as the load generator sees them."""

    uid: str
    started: bool = False
    buttons: list[dict] = field(default_factory=list)


@dataclass
class Sample:
    """One acknowledged (or refused) webhook request."""

    start: float
    end: float
    status: int
    kind: str


class Client(threading.Thread):
    """A closed-loop client: post one event, wait for the 200, read the reply, repeat."""

    def __init__(self, port: int, fake: FakeLineApi, people: list[Person], seed: int, stop):
        super().__init__(daemon=True)
        self.port, self.fake, self.people, self.stop = port, fake, people, stop
        self.rng = random.Random(seed)
        self.samples: list[Sample] = []
        self.errors: list[str] = []
        self.conn: http.client.HTTPConnection | None = None

    def event(self, person: Person) -> tuple[str, dict]:
        rng = self.rng
        token = self.fake.issue_reply_token(person.uid)
        if not person.started:
            person.started = True
            if rng.random() < 0.15:
                return "follow", line.follow(person.uid, token)
            return "text", line.text(person.uid, rng.choice(KEYWORDS), token)
        roll = rng.random()
        if roll < 0.45:
            if person.buttons:
                action = rng.choice(person.buttons)
                if action["type"] == "message":
                    return "tap", line.text(person.uid, action["text"], token)
                return "tap", line.postback(person.uid, action["data"], token)
            return "tap", line.postback(person.uid, STALE_TAP, token)
        if roll < 0.75:
            return "text", line.text(person.uid, rng.choice(KEYWORDS), token)
        if roll < 0.97:
            return "text", line.text(person.uid, rng.choice(FREE_TEXT), token)
        return "follow", line.follow(person.uid, token, unblocked=True)

    def post(self, body: bytes) -> int:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "x-line-signature": line.sign(body, SECRET),
        }
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        self.conn.request("POST", "/callback", body=body, headers=headers)
        response = self.conn.getresponse()
        response.read()
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status

    def run(self) -> None:
        while not self.stop.is_set():
            person = self.rng.choice(self.people)
            kind, event = self.event(person)
            body = line.payload(event)
            start = time.perf_counter()
            try:
                status = self.post(body)
            except (OSError, http.client.HTTPException) as exc:
                if self.conn is not None:
                    self.conn.close()
                self.conn = None
                self.errors.append(type(exc).__name__)
                status = 0
            self.samples.append(Sample(start, time.perf_counter(), status, kind))
            batches = self.fake.batches_for(person.uid)
            last = batches[-1].messages if batches else []
            person.buttons = list(line.actions(last[-1:], TAPPABLE)) if last else []
        if self.conn is not None:
            self.conn.close()


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) by nearest rank."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def drive(target: Target, fake: FakeLineApi, args, rep: int) -> dict:
    """One measured run against one target."""
    fake.clear()
    people = [Person(line.user_id(f"bench-{rep}-{i}")) for i in range(args.residents)]
    for i, person in enumerate(people):
        fake.add_user(person.uid, f"住民{i}", language="en" if i % 10 == 0 else "ja")
    stop = threading.Event()
    clients = [
        Client(target.port, fake, people[c :: args.clients], seed=1000 * rep + c, stop=stop)
        for c in range(args.clients)
    ]
    pids = target.pids()
    for client in clients:
        client.start()
    time.sleep(args.warmup)
    begin = time.perf_counter()
    cpu0 = (cpu_seconds(pids), cpu_seconds([os.getpid()]), *machine_busy())
    time.sleep(args.duration)
    end = time.perf_counter()
    cpu1 = (cpu_seconds(pids), cpu_seconds([os.getpid()]), *machine_busy())
    stop.set()
    for client in clients:
        client.join(timeout=60)
    samples = [s for c in clients for s in c.samples if begin <= s.end <= end]
    ok = [s for s in samples if s.status == 200]
    latencies = [s.end - s.start for s in ok]
    wall = end - begin
    kinds: dict[str, int] = {}
    for s in samples:
        kinds[s.kind] = kinds.get(s.kind, 0) + 1
    return {
        "target": target.name,
        "rep": rep,
        "requests": len(samples),
        "ok": len(ok),
        "failed": len(samples) - len(ok),
        "errors": sorted({e for c in clients for e in c.errors}),
        "rps": len(ok) / wall,
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "max": max(latencies, default=float("nan")),
        "kinds": kinds,
        "replies_ok": fake.count("reply", 200),
        "replies_refused": fake.count("reply") - fake.count("reply", 200),
        "violations": len(fake.violations),
        "server_cpu": (cpu1[0] - cpu0[0]) / wall,
        "driver_cpu": (cpu1[1] - cpu0[1]) / wall,
        "machine_busy": (cpu1[2] - cpu0[2]) / max(1, cpu1[3] - cpu0[3]),
    }


# --- report --------------------------------------------------------------------------------


def summarise(runs: list[dict], names: list[str]) -> dict[str, dict]:
    """Medians over rounds per target."""
    out = {}
    for name in names:
        mine = [r for r in runs if r["target"] == name]
        out[name] = {
            key: statistics.median(r[key] for r in mine)
            for key in ("rps", "p50", "p99", "server_cpu", "driver_cpu", "machine_busy")
        }
        out[name]["runs"] = len(mine)
        out[name]["failed"] = sum(r["failed"] for r in mine)
        out[name]["requests"] = sum(r["requests"] for r in mine)
        out[name]["violations"] = sum(r["violations"] for r in mine)
        out[name]["replies_refused"] = sum(r["replies_refused"] for r in mine)
    return out


def table(summary: dict[str, dict]) -> str:
    """A Markdown table of the medians, with the ratio to the echo bot."""
    echo = summary.get("echo", {}).get("rps")
    rows = [
        "| configuration | req/s | ratio to echo | p50 ms | p99 ms | failed | refused by LINE |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, s in summary.items():
        ratio = f"{s['rps'] / echo:.2f}" if echo else "-"
        failed = f"{s['failed']}/{s['requests']}"
        rows.append(
            f"| {name} | {s['rps']:.0f} | {ratio} | {s['p50'] * 1000:.0f} "
            f"| {s['p99'] * 1000:.0f} | {failed} | {s['replies_refused'] + s['violations']} |"
        )
    return "\n".join(rows)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo."""
    for row in Path("/proc/cpuinfo").read_text().splitlines():
        if row.startswith("model name"):
            return row.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def verdict(summary: dict[str, dict]) -> list[str]:
    """Target checks for each of our configurations; the floors for reference."""
    echo = summary.get("echo", {}).get("rps")
    lines = []
    for name, s in summary.items():
        if name == "echo" or not echo:
            continue
        ratio = s["rps"] / echo
        if name.startswith("floor-"):
            lines.append(
                f"- {name}: {ratio:.2f} × echo throughput, p99 {s['p99'] * 1000:.0f} ms: "
                "the guarantees alone, no handlers (for reference, not a target)"
            )
            continue
        ok = ratio >= TARGET_RATIO and s["p99"] < TARGET_P99
        lines.append(
            f"- {name}: {ratio:.2f} × echo throughput (target ≥ {TARGET_RATIO}), "
            f"p99 {s['p99'] * 1000:.0f} ms (target < {TARGET_P99 * 1000:.0f} ms): "
            + ("**met**" if ok else "**missed**")
        )
    return lines


def section(summary: dict[str, dict], runs: list[dict], args, started: datetime) -> str:
    """The `## Webhook` section of docs/performance.md."""
    cpu_rows = ["| configuration | server CPU (cores) | driver + fake CPU (cores) | machine busy |"]
    cpu_rows.append("|---|---:|---:|---:|")
    for name, s in summary.items():
        cpu_rows.append(
            f"| {name} | {s['server_cpu']:.2f} | {s['driver_cpu']:.2f} "
            f"| {s['machine_busy'] * 100:.0f}% |"
        )
    per_run = [
        "| round | configuration | req/s | p50 ms | p99 ms | max ms |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for r in runs:
        per_run.append(
            f"| {r['rep'] + 1} | {r['target']} | {r['rps']:.0f} | {r['p50'] * 1000:.0f} "
            f"| {r['p99'] * 1000:.0f} | {r['max'] * 1000:.0f} |"
        )
    kinds: dict[str, int] = {}
    for r in runs:
        if r["target"] != "echo":
            for k, n in r["kinds"].items():
                kinds[k] = kinds.get(k, 0) + n
    total = sum(kinds.values()) or 1
    mix = ", ".join(f"{k} {n * 100 / total:.0f}%" for k, n in sorted(kinds.items()))
    return "\n".join(
        [
            "## Webhook",
            "",
            "`POST /callback` acknowledgement under concurrent load, our app beside the simplest",
            "echo bot (`bench/echo_bot.py`: verify the signature, parse with `WebhookParser`,",
            "reply with the SDK) and the floor (`bench/floor_bot.py`: per event, only the",
            "webhook's guarantees — its id stored with its effect in one transaction, the",
            "resident's row locked — then a reply with the menu; no handlers). All run under the",
            f"same gunicorn settings (`{' '.join(GUNICORN)}`) against the fake",
            "Messaging API, which keeps connections alive as LINE does, in the same run.",
            "",
            "Rerun: `.venv/bin/python bench/webhook.py` (about 5 minutes; `--help` for options).",
            "",
            f"- Date: {started:%Y-%m-%d %H:%M} UTC",
            f"- Machine: {os.cpu_count()} cores ({cpu_model()}), Python "
            f"{platform.python_version()}, {platform.system()} {platform.release()}",
            f"- Load: {args.clients} closed-loop keep-alive clients, {args.residents} residents "
            f"per round, one event per webhook; {args.warmup:g} s warm-up then "
            f"{args.duration:g} s measured; {args.reps} rounds, configurations alternating in "
            "rotating order. Our app's event mix: " + mix + ".",
            "- Everything (gunicorn, PostgreSQL, the fake LINE API and the load generator) "
            "shares the same cores, so absolute numbers are low; the ratio is what we track. "
            f"Load average (1 min) at start {args.load[0]:.1f}, at end {args.load[1]:.1f}: "
            "anything well above 0 means other work was competing for the machine.",
            "",
            "Medians over rounds (p50/p99: median of each round's percentile):",
            "",
            table(summary),
            "",
            *verdict(summary),
            "",
            "Where the CPU went (median cores busy during the measured window):",
            "",
            *cpu_rows,
            "",
            "<details><summary>Every round</summary>",
            "",
            *per_run,
            "",
            "</details>",
            "",
        ]
    )


def write_doc(text: str) -> None:
    """Replace (or add) the `## Webhook` section, leaving other sections alone."""
    intro = (
        "# Performance\n\n"
        "How we measure: every benchmark runs its baseline in the same run on the same machine,\n"
        "alternates the configurations and reports medians over rounds and the ratio to the\n"
        "baseline, with the machine noted. Scripts live in `bench/`; each area has a section.\n\n"
    )
    doc = DOC.read_text() if DOC.exists() else intro
    lines = doc.splitlines(keepends=True)
    start = next((i for i, row in enumerate(lines) if row.strip() == "## Webhook"), None)
    if start is None:
        DOC.write_text(doc.rstrip("\n") + "\n\n" + text)
        return
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    tail = "".join(lines[end:])
    DOC.write_text("".join(lines[:start]) + text + ("\n" + tail if tail else ""))


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--residents", type=int, default=400)
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=2.0, help="discarded seconds per run")
    parser.add_argument("--reps", type=int, default=4, help="rounds (each runs every target)")
    parser.add_argument("--no-pg", action="store_true", help="skip the PostgreSQL variants")
    parser.add_argument("--no-floor", action="store_true", help="skip the floor bot")
    parser.add_argument("--no-doc", action="store_true", help="do not update performance.md")
    parser.add_argument("--quick", action="store_true", help="2 rounds of 3 s, docs untouched")
    parser.add_argument(
        "--app-root", type=Path, default=ROOT, help="serve our app from this copy of the tree"
    )
    parser.add_argument(
        "--variant",
        action="append",
        metavar="NAME=PATH",
        help="also serve another copy of the tree on SQLite (before/after comparisons)",
    )
    parser.add_argument(
        "--gunicorn", help="other gunicorn settings for every target, e.g. '--workers 3'"
    )
    parser.add_argument("--only", choices=CONFIGURATIONS, action="append")
    args = parser.parse_args(argv)
    if args.quick:
        args.duration, args.warmup, args.reps, args.no_doc = 3.0, 1.0, 2, True
    if args.gunicorn:
        GUNICORN[:] = [*args.gunicorn.split(), "--timeout", "30"]
        args.no_doc = True  # the documented run uses the Procfile's settings
    started = datetime.now(UTC)
    args.load = [os.getloadavg()[0], float("nan")]
    work = Path(tempfile.mkdtemp(prefix="machikoe-bench-"))
    fake = FakeLineApi(access_token=TOKEN)
    server = FakeLineServer(fake).start()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LINE_", "DATABASE_"))}
    targets: list[Target] = []
    pg = None
    try:
        wanted = args.only or [
            name for name in CONFIGURATIONS if not (args.no_floor and name.startswith("floor-"))
        ]
        if args.no_pg:
            wanted = [name for name in wanted if not name.endswith("-pg")]
        if any(name.endswith("-pg") for name in wanted):
            from tests.pg import PgServer

            try:
                pg = PgServer().start()
            except Exception as exc:
                print(f"PostgreSQL variants skipped: {exc}", file=sys.stderr)
                wanted = [name for name in wanted if not name.endswith("-pg")]
        for name, app, root in (
            ("ours", "wsgi:app", args.app_root),
            ("floor", "bench.floor_bot:app", ROOT),
        ):
            for kind in ("sqlite", "pg"):
                if f"{name}-{kind}" not in wanted:
                    continue
                url = pg.database(name) if kind == "pg" else f"sqlite:///{work / name}.db"
                env = app_env(base, server.url, url)
                prepare_database(env, root)
                log = work / f"{name}-{kind}.log"
                if name == "ours":
                    targets.append(ours(f"{name}-{kind}", env, log, root))
                else:
                    targets.append(Target(f"{name}-{kind}", app, env, log, root))
        for spec in args.variant or []:
            name, _, path = spec.partition("=")
            env = app_env(base, server.url, f"sqlite:///{work / (name + '.db')}")
            prepare_database(env, Path(path))
            targets.append(Target(name, "wsgi:app", env, work / f"{name}.log", Path(path)))
        if "echo" in wanted:
            env = app_env(base, server.url, "sqlite://")
            targets.append(Target("echo", "bench.echo_bot:app", env, work / "echo.log"))
        for target in targets:
            target.start()
        runs = []
        for rep in range(args.reps):
            order = targets[rep % len(targets) :] + targets[: rep % len(targets)]
            for target in order:
                run = drive(target, fake, args, rep)
                runs.append(run)
                print(
                    f"round {rep + 1}/{args.reps} {target.name:12} {run['rps']:7.1f} req/s "
                    f"p50 {run['p50'] * 1000:6.1f} ms p99 {run['p99'] * 1000:7.1f} ms "
                    f"failed {run['failed']} refused {run['replies_refused']} "
                    f"violations {run['violations']} server {run['server_cpu']:.2f} "
                    f"driver {run['driver_cpu']:.2f} cores, machine {run['machine_busy']:.0%} busy",
                    flush=True,
                )
    finally:
        for target in targets:
            target.stop()
        server.stop()
        if pg is not None:
            pg.stop()
    args.load[1] = os.getloadavg()[0]
    names = [t.name for t in targets]
    summary = summarise(runs, names)
    print()
    print(table(summary))
    print("\n".join(verdict(summary)))
    print(f"load average (1 min): {args.load[0]:.1f} at start, {args.load[1]:.1f} at end")
    RESULTS.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"webhook-{stamp}.json").write_text(
        json.dumps({"args": vars(args), "summary": summary, "runs": runs}, indent=1, default=str)
    )
    if not args.no_doc:
        write_doc(section(summary, runs, args, started))
        print(f"\nwritten to {DOC.relative_to(ROOT)}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
